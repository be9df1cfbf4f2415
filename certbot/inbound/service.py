"""Starting the inbound side with the service: the aiohttp server (Slack endpoints, Telegram
webhook, signed-link pages) and Telegram polling, as ``service.inbound`` switches them on.

A part that is switched on but lacks its verification secret raises `ConfigError` here, so
`run` refuses to start instead of accepting unverified requests.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from aiohttp import web

from certbot.config import read_secret
from certbot.errors import ConfigError
from certbot.inbound.commands import Context, Notice
from certbot.inbound.slack import SlackInbound
from certbot.inbound.telegram import TelegramInbound
from certbot.inbound.web import InboundWeb

if TYPE_CHECKING:
    from certbot.app import App

log = logging.getLogger("certbot.inbound")


class Relay:
    """Sends notices (an operator's incident update to its reporter) on the reporter's platform,
    whatever platform the operator used: Telegram through the bot, Slack through the Slack
    channel's client (``chat.postMessage`` to the reporter's conversation)."""

    def __init__(self, app: App, telegram: TelegramInbound | None):
        self.app, self.telegram = app, telegram

    async def __call__(self, notices: list[Notice]) -> None:
        for notice in notices:
            try:
                if notice.platform == "telegram" and self.telegram is not None:
                    await self.telegram.app.bot.send_message(
                        chat_id=int(notice.chat_id), text=notice.text
                    )
                elif notice.platform == "slack" and "slack" in self.app.channels:
                    client = self.app.channels["slack"].client()
                    await client.chat_postMessage(channel=notice.chat_id, text=notice.text)
                else:
                    log.warning(
                        "no way to reach a %s reporter; notice kept in the incident history",
                        notice.platform,
                    )
            except Exception as exc:  # a failed relay must not fail the command that caused it
                log.error(
                    "relay to the %s reporter failed (%s)", notice.platform, type(exc).__name__
                )


async def start_inbound(app: App, stack: AsyncExitStack) -> tuple[InboundWeb, str] | None:
    """Start what ``service.inbound`` asks for; returns the web part and its base URL."""
    cfg = app.config.service.inbound
    if cfg is None:
        return None
    ctx = Context(app.store.store, app.config, clock=app.clock)
    telegram = slack = None
    link_secret = None
    if cfg.telegram != "off":
        telegram = TelegramInbound(ctx, app.store, mode=cfg.telegram, environ=app.environ)
        await telegram.start()
        stack.push_async_callback(telegram.stop)
    if cfg.slack:
        slack = SlackInbound(ctx, app.store, environ=app.environ, http=app.session)
        stack.push_async_callback(slack.drain)  # runs before the shared session closes
    if cfg.links:
        ref = app.config.service.link_secret
        link_secret = read_secret(ref.env, app.environ) if ref else None
        if not link_secret:
            raise ConfigError(
                ["feeds.yaml: service.link_secret: signed links need a key (refusing to start)"]
            )
    relay = Relay(app, telegram)
    for part in (telegram, slack):
        if part is not None:
            part.relay = relay
    site = InboundWeb(ctx, app.store, telegram=telegram, slack=slack, link_secret=link_secret)
    runner = web.AppRunner(site.app(), access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    host, _, port = cfg.listen.rpartition(":")
    tcp = web.TCPSite(runner, host.strip("[]"), int(port))
    await tcp.start()
    bound = tcp._server.sockets[0].getsockname()  # type: ignore[union-attr]
    base = f"http://{bound[0]}:{bound[1]}"
    log.info(
        "inbound listening on %s (telegram %s, slack %s, links %s)",
        base,
        cfg.telegram,
        "on" if cfg.slack else "off",
        "on" if cfg.links else "off",
    )
    return site, base
