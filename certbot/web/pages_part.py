"""Registers the web overview with `certbot.httpd` (part ``web``): on when ``service.web`` is
set. Refuses to start (`ConfigError`) with sign-in configured but its client secret missing
from the environment (``$NAME`` or ``$NAME_FILE``); the config itself already refuses
``service.web`` without sign-in unless ``insecure_local_demo`` on 127.0.0.1.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from certbot import httpd
from certbot.config import read_secret
from certbot.errors import ConfigError
from certbot.web import auth_routes, pages_views
from certbot.web.auth import RateLimit, Sessions
from certbot.web.auth_oidc import Oidc
from certbot.web.pages import Site, mount_site

if TYPE_CHECKING:
    from certbot.app import App

ROUTES = [auth_routes.add_routes, pages_views.add_routes]


async def web_part(app: App, stack: AsyncExitStack) -> httpd.Part | None:
    cfg = app.config.service.web
    if cfg is None:
        return None
    oidc = None
    if cfg.sign_in is not None and not cfg.insecure_local_demo:
        env = cfg.sign_in.client_secret.env
        secret = read_secret(env, app.environ)
        if not secret:
            raise ConfigError(
                [
                    f"feeds.yaml: service.web.sign_in.client_secret: ${env} (or ${env}_FILE) is "
                    "not set; put the OpenID Connect client secret there"
                ]
            )
        oidc = Oidc(cfg.sign_in, secret, app.session, f"{cfg.public_url}/auth/callback")
    ttl = cfg.sign_in.session_ttl if cfg.sign_in else 8 * 3600
    per_minute = cfg.sign_in.attempts_per_minute if cfg.sign_in else 10
    site = Site(app, cfg, Sessions(ttl), oidc, RateLimit(per_minute), ttl=ttl)
    return httpd.Part("web", cfg.listen, mount_site(site, ROUTES))


httpd.register(web_part)

__all__ = ["web_part"]
