"""Local protocol fakes for Slack, Microsoft Teams (Workflows webhook) and Telegram.

Each fake is a small aiohttp app that speaks enough of the platform's wire format for the
real SDKs (slack_sdk, python-telegram-bot) and the Teams channel to talk to it on 127.0.0.1.
Every request is recorded (`Recorded`: method, path, headers, JSON body), and each fake can be
scripted with canned answers that are used, in order, before it answers normally::

    fake.script([Resp(429, {"ok": False, "error": "ratelimited"},
                      headers={"Retry-After": "600"})] * 3)
    fake.script([Resp.connection_reset()])                   # connection reset, no answer
    teams.script([Resp(200, "Microsoft Teams endpoint returned HTTP error 429 ...")])

Scripts apply to the fake's sending endpoint (``chat.postMessage``, ``sendMessage``, the
webhook) unless ``endpoint=`` names another, so PTB's ``getMe`` handshake never eats them.

``python -m certbot.demo.fakes`` starts all three on 127.0.0.1:8701 (Slack), 8702 (Teams) and 8703
(Telegram) and prints the settings to point certbot at them.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from aiohttp import web

from certbot.demo.fake_base import Fake, Recorded, Resp, slack_error, telegram_error
from certbot.demo.fake_platforms import (
    FAKE_SLACK_TOKEN,
    FAKE_TEAMS_SIG,
    FAKE_TELEGRAM_TOKEN,
    TEAMS_MAX_BYTES,
    SlackFake,
    TeamsFake,
    TelegramFake,
)

__all__ = [
    "FAKES",
    "FAKE_SLACK_TOKEN",
    "FAKE_TEAMS_SIG",
    "FAKE_TELEGRAM_TOKEN",
    "TEAMS_MAX_BYTES",
    "Fake",
    "Fakes",
    "Recorded",
    "Resp",
    "SlackFake",
    "TeamsFake",
    "TelegramFake",
    "serve_fakes",
    "slack_error",
    "start_fake",
    "telegram_error",
    "urls_for",
]


@dataclass
class Fakes:
    slack: SlackFake = field(default_factory=SlackFake)
    teams: TeamsFake = field(default_factory=TeamsFake)
    telegram: TelegramFake = field(default_factory=TelegramFake)


FAKES = web.AppKey("fakes", Fakes)


def urls_for(base: dict[str, str], fakes: Fakes) -> dict[str, str]:
    return {
        "slack": f"{base['slack']}/api/",
        "telegram": f"{base['telegram']}/bot",
        "teams": f"{base['teams']}/webhook/demo?api-version=1&sig={fakes.teams.sig}",
    }


async def serve_fakes(
    host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, dict[str, str]]:
    """All three fakes in one app on one port, under /slack, /teams and /telegram.

    Returns the runner (``runner.app[FAKES]`` holds the `Fakes`; ``await runner.cleanup()``
    stops it) and the URLs: slack and telegram base URLs for ServiceConfig, teams webhook URL.
    """
    fakes = Fakes()
    app = web.Application()
    app[FAKES] = fakes
    for fake in (fakes.slack, fakes.teams, fakes.telegram):
        app.add_subapp(f"/{fake.name}", fake.app())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    root = f"http://{host}:{bound}"
    base = {name: f"{root}/{name}" for name in ("slack", "teams", "telegram")}
    return runner, urls_for(base, fakes)


async def start_fake(
    fake: Fake, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """One fake on its own port; returns the runner and ``http://host:port``."""
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://{host}:{bound}"


async def _main(host: str = "127.0.0.1") -> None:
    fakes = Fakes()
    runners, base = [], {}
    for fake, port in ((fakes.slack, 8701), (fakes.teams, 8702), (fakes.telegram, 8703)):
        runner, base[fake.name] = await start_fake(fake, host, port)
        runners.append(runner)
    urls = urls_for(base, fakes)
    print("certbot protocol fakes are running (Ctrl-C to stop); recorded requests at /_requests")
    print(
        f"  slack     {base['slack']}\n  teams     {base['teams']}\n  telegram  {base['telegram']}"
    )
    print("\nfeeds.yaml, service:")
    print(f"  slack_base_url: {urls['slack']}\n  telegram_base_url: {urls['telegram']}")
    print("\nenvironment:")
    print(f"  export SLACK_BOT_TOKEN={fakes.slack.token}")
    print(f"  export TELEGRAM_BOT_TOKEN={fakes.telegram.token}")
    print(f"  export TEAMS_WEBHOOK_DEMO='{urls['teams']}'", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        for runner in runners:
            await runner.cleanup()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main())
