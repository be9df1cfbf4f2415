# certbot for Norwegian municipalities: runs `kommune-certbot run`.
# Config (feeds.yaml + subscribers/) is mounted at /config, the database lives in /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CERTBOT_CONFIG_DIR=/config CERTBOT_DB=/data/certbot.db \
    CERTBOT_TEMPLATES=/app/templates

WORKDIR /app
COPY pyproject.toml README.md ./
COPY certbot ./certbot
COPY templates ./templates
COPY feeds.yaml ./config-example/feeds.yaml
COPY subscribers ./config-example/subscribers
# Installed the same way the README does it: pip install of this project (without the dev extra).
RUN python -m pip install --no-cache-dir . \
 && useradd --system --uid 10001 --home-dir /data certbot \
 && mkdir -p /data /config && cp -r /app/config-example/. /config/ \
 && chown -R certbot:certbot /data /config

USER certbot
VOLUME ["/config", "/data"]
EXPOSE 8080 8081
# /healthz is served by service.api (feeds.yaml); python is what the slim image has (no curl).
# CERTBOT_HEALTH_URL overrides the address when service.api.listen names another port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request as u; o = u.build_opener(u.ProxyHandler({})); sys.exit(0 if o.open(os.environ.get('CERTBOT_HEALTH_URL', 'http://127.0.0.1:8081/healthz'), timeout=4).status == 200 else 1)"]
ENTRYPOINT ["kommune-certbot"]
CMD ["run"]
