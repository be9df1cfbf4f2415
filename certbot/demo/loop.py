"""The two-way loop in `demo --fakes`: after the cycle, three municipalities acknowledge the
same alert — Trondheim from Telegram (the webhook, with its secret token), Bergen from Slack (a
signed slash command) and Oslo from the signed link in its e-mail — and the operator asks
`berorte`. Everything goes through the real inbound server on 127.0.0.1; the answers come back
through the Telegram fake."""

from __future__ import annotations

import json
import secrets
import time
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import aiohttp

from certbot.config import Config
from certbot.inbound.service import start_inbound
from certbot.inbound.slack import sign

if TYPE_CHECKING:
    from certbot.app import App
    from certbot.demo.fakes import Fakes

OPERATOR_ID = "7000000001"  # the demo's operator on Telegram (service.operators)
ENV = {
    "hook": "CERTBOT_DEMO_TG_SECRET",
    "slack": "CERTBOT_DEMO_SLACK_SECRET",
    "link": "CERTBOT_DEMO_LINK_SECRET",
}


def with_inbound(config: Config, environ: dict[str, str]) -> Config:
    """The demo config with the inbound side on (random secrets for this run only)."""
    for name in ENV.values():
        environ.setdefault(name, secrets.token_urlsafe(24))
    data = config.service.model_dump()
    data.update(
        {
            "operators": [
                *data["operators"],
                {"platform": "telegram", "user_id": OPERATOR_ID, "name": "Demo-vakt"},
            ],
            "telegram_webhook_secret": {"env": ENV["hook"]},
            "slack_signing_secret": {"env": ENV["slack"]},
            "link_secret": {"env": ENV["link"]},
            "inbound": {
                "listen": "127.0.0.1:0",
                "telegram": "webhook",
                "slack": True,
                "links": True,
            },
        }
    )
    svc = type(config.service).model_validate(data)
    return config.model_copy(update={"service": svc})


def _people(config: Config, sub_id: str, platform: str) -> str:
    sub = config.subscriber(sub_id)
    return next(p.user_id for p in sub.people if p.platform == platform and p.role == "responder")


def _update(n: int, user: str, text: str) -> dict[str, Any]:
    return {
        "update_id": 9000 + n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": int(user), "type": "private"},
            "from": {"id": int(user), "is_bot": False, "first_name": "Demo"},
        },
    }


async def ack_round(
    app: App, fakes: Fakes, environ: dict[str, str], case_id: str
) -> dict[str, str]:
    """Acknowledge ``case_id`` three ways, then ask `berorte`; returns what each step answered."""
    cfg = app.config
    rows = await app.store.deliveries(limit=1_000_000)
    link = next(
        (
            json.loads(r["notification"])["extra"].get("action_links", {}).get("ack")
            for r in rows
            if r["case_id"] == case_id
            and r["subscriber_id"] == "0301"
            and json.loads(r["notification"])["extra"].get("action_links")
        ),
        None,
    )
    out: dict[str, str] = {}
    async with AsyncExitStack() as stack:
        started = await start_inbound(app, stack)
        assert started is not None
        _, base = started
        hook = {"X-Telegram-Bot-Api-Secret-Token": environ[ENV["hook"]]}
        async with aiohttp.ClientSession() as http:
            user = _people(cfg, "5001", "telegram")
            async with http.post(
                f"{base}/telegram/webhook",
                json=_update(1, user, f"/kvitter {case_id}"),
                headers=hook,
            ) as r:
                out["telegram"] = f"HTTP {r.status}: {fakes.telegram.sent[-1]['text'][:80]}"
            body = urlencode(
                {
                    "command": "/certbot",
                    "text": f"kvitter {case_id}",
                    "team_id": "T0DEMO",
                    "user_id": _people(cfg, "4601", "slack"),
                    "trigger_id": "demo",
                }
            ).encode()
            ts = int(time.time())
            signed = {
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": sign(environ[ENV["slack"]], ts, body),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            async with http.post(f"{base}/slack/commands", data=body, headers=signed) as r:
                out["slack"] = f"HTTP {r.status}: {(await r.text())[:80]}"
            if link:
                async with http.post(base + urlsplit(link).path) as r:
                    out["link"] = f"HTTP {r.status}"
            async with http.post(
                f"{base}/telegram/webhook",
                json=_update(2, OPERATOR_ID, f"/berorte {case_id}"),
                headers=hook,
            ) as r:
                out["berorte"] = fakes.telegram.sent[-1]["text"]
    return out
