"""Configs, contexts, a huge notification and the fakes environment for the chat channel
tests. Notifications come from tests/notifications.py (shared with the other channels)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from certbot.channels import ChannelContext
from certbot.config import Config, ServiceConfig, TargetConfig
from certbot.demo.fakes import FAKES, Fakes, serve_fakes
from certbot.model import Notification
from certbot.render import Renderer
from tests.notifications import HOSTILE_TITLES as BASE_HOSTILE
from tests.notifications import (  # noqa: F401 - re-exported for the chat tests
    make_alert,
    make_digest,
    make_operator,
    make_reminder,
    make_test,
    make_update,
)

ROOT = Path(__file__).resolve().parent.parent
HOSTILE_TITLES = [
    *BASE_HOSTILE,
    "<!here> <@U123> fiks nå",
    '<a href="https://evil.example">nsm.no</a> &amp; <b>fet</b>',
]
CANARY = {
    "slack": "xoxb-CANARY-0000-slack-secret-token",
    "telegram": "987654321:CANARYcanaryCANARYcanaryCANARY_tg",
    "teams_sig": "CANARYsigTeamsWebhookSecret123",
}


def make_huge(language: str = "nb") -> Notification:
    """Far over every platform's limit: long title, 500 matches, 500 actions, 300 links."""
    return make_alert(
        language,
        title="Å" * 2000,
        matched=[
            {
                "item": f"Produkt {i} & <b>x</b>",
                "rule": "text",
                "confidence": "low",
                "source": "nsm",
                "entry": "title",
                "detail": "x" * 200,
            }
            for i in range(500)
        ],
        actions=[f"Tiltak {i}: " + "gjør & sjekk <ting> " * 20 for i in range(500)],
        links=[f"https://example{i}.no/varsel?id={i}&x=<y>" for i in range(300)],
        cves=[f"CVE-2024-{i:05d}" for i in range(1000)],
        summary=("Lang tekst med <tegn> & *markdown* [lenke](javascript:x) 🎉\n" * 2000),
        reasons=["grunn " * 100] * 50,
    )


def target(kind: str, **kw: Any) -> TargetConfig:
    defaults: dict[str, Any] = {
        "slack": {"address": "C0123TEST"},
        "telegram": {"address": "-1001234567"},
        "teams": {"secret": {"env": "TEAMS_WEBHOOK_TEST"}},
    }.get(kind, {})
    return TargetConfig(id="chat", kind=kind, **{**defaults, **kw})  # type: ignore[arg-type]


def make_ctx(
    service: dict[str, Any] | None = None, environ: dict[str, str] | None = None, http: Any = None
) -> ChannelContext:
    config = Config(root=ROOT, service=ServiceConfig(**(service or {})), feeds=(), subscribers=())
    return ChannelContext(
        config=config, renderer=Renderer(ROOT / "templates"), http=http, environ=environ or {}
    )


@dataclass
class ChatEnv:
    fakes: Fakes
    urls: dict[str, str]
    ctx: ChannelContext
    environ: dict[str, str]


@contextlib.asynccontextmanager
async def chat_env(*, canary: bool = False) -> AsyncIterator[ChatEnv]:
    """The three fakes on 127.0.0.1, an aiohttp session and a ChannelContext pointing at them.
    With ``canary``, the fakes expect the canary secrets (so successful calls use them too)."""
    import aiohttp

    runner, urls = await serve_fakes()
    fakes = runner.app[FAKES]
    if canary:
        fakes.slack.token = CANARY["slack"]
        fakes.telegram.token = CANARY["telegram"]
        fakes.teams.sig = CANARY["teams_sig"]
        urls["teams"] = urls["teams"].replace("fake-signature", CANARY["teams_sig"])
    environ = {
        "SLACK_BOT_TOKEN": fakes.slack.token,
        "TELEGRAM_BOT_TOKEN": fakes.telegram.token,
        "TEAMS_WEBHOOK_TEST": urls["teams"],
    }
    service = {"slack_base_url": urls["slack"], "telegram_base_url": urls["telegram"]}
    try:
        async with aiohttp.ClientSession() as http:
            yield ChatEnv(fakes, urls, make_ctx(service, environ, http), environ)
    finally:
        await runner.cleanup()
