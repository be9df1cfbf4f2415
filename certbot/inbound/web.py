"""The inbound web server (aiohttp): Telegram webhook, Slack endpoints, signed-link pages.

Signed links (for Teams cards and e-mail): ``/l/<payload>.<mac>`` where the payload names ONE
municipality, ONE case, one action and an expiry, and the MAC is HMAC-SHA256 with
``service.link_secret``. GET shows a confirm page and changes nothing (mail gateways' link
scanners fetch every URL); only the form's POST acts.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
from typing import Any

from aiohttp import web

from certbot.inbound.commands import Command, Context, handle
from certbot.inbound.slack import SlackInbound
from certbot.inbound.telegram import TelegramInbound
from certbot.outbound.links import ACTIONS, action_links, make_token, read_token
from certbot.store import Store, StoreThread
from certbot.store import replies as records

PAGE = """<!doctype html><html lang="nb"><meta charset="utf-8"><title>certbot</title>
<body><h1>{title}</h1><p>{body}</p>{form}</body></html>"""


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None (malformed, too deep, an array, a number)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def page(title: str, body: str, form: str = "", status: int = 200) -> web.Response:
    text = PAGE.format(title=html.escape(title), body=html.escape(body), form=form)
    return web.Response(text=text, content_type="text/html", status=status)


class InboundWeb:
    def __init__(
        self,
        ctx: Context,
        store: StoreThread,
        *,
        telegram: TelegramInbound | None = None,
        slack: SlackInbound | None = None,
        link_secret: str | None = None,
    ):
        self.ctx, self.store = ctx, store
        self.telegram, self.slack, self.link_secret = telegram, slack, link_secret

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        if self.telegram is not None:
            app.router.add_post("/telegram/webhook", self.telegram_webhook)
        if self.slack is not None:
            app.router.add_post("/slack/commands", self.slack_request)
            app.router.add_post("/slack/actions", self.slack_request)
        if self.link_secret:
            app.router.add_get("/l/{token}", self.link_get)
            app.router.add_post("/l/{token}", self.link_post)
        return app

    async def telegram_webhook(self, request: web.Request) -> web.Response:
        assert self.telegram is not None and self.telegram.secret
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.telegram.secret.encode()):
            await self.store.call(
                Store.audit,
                "telegram_webhook",
                actor="telegram:?",
                decision="denied",
                detail="secret token",
            )
            return web.Response(status=403)
        update = _json_object(await request.read())
        if update is None:
            return web.Response(status=400, text="not a JSON object")
        try:
            await self.telegram.process(update)
        except (TypeError, ValueError, KeyError, AttributeError):
            # Update.de_json on an object that is no update; PTB routes handler errors itself
            return web.Response(status=400, text="not a Telegram update")
        return web.Response(status=200)

    async def slack_request(self, request: web.Request) -> web.Response:
        assert self.slack is not None
        raw = await request.read()
        why = await self.slack.verify(
            raw,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
        )
        if why is not None:
            await self.store.call(
                Store.audit, "slack_request", actor="slack:?", decision="denied", detail=why
            )
            return web.Response(status=401, text="invalid request")
        cmd = self.slack.command_from(raw)
        reply = await self.slack.run(cmd, self.slack.response_url(raw)) if cmd else None
        text = reply.text if reply else ""
        return web.json_response({"response_type": "ephemeral", "text": text})

    def _token(self, request: web.Request) -> dict[str, Any] | None:
        assert self.link_secret
        token = request.match_info["token"]
        if not token.isascii():
            return None  # a non-ASCII MAC cannot be ours (compare_digest would raise)
        try:
            return read_token(self.link_secret, token, self.ctx.clock())
        except (ValueError, TypeError, KeyError, RecursionError):
            return None

    async def link_get(self, request: web.Request) -> web.Response:
        data = self._token(request)
        if data is None:
            return page("Ugyldig lenke", "Lenken er ugyldig eller utløpt.", status=403)
        title = ACTIONS[data["a"]][0]
        form = '<form method="post"><button type="submit">Bekreft</button></form>'
        return page(title, f"{data['c']} for kommune {data['s']}", form)

    async def link_post(self, request: web.Request) -> web.Response:
        data = self._token(request)
        if data is None:
            return page("Ugyldig lenke", "Lenken er ugyldig eller utløpt.", status=403)
        _, name, extra = ACTIONS[data["a"]]
        args = [data["c"], *extra]
        cmd = Command("web", f"link:{data['s']}", name, args, " ".join(args))
        cmd.link_subscriber = data["s"]
        reply = await self.store.run(handle, self.ctx, cmd)
        digest = hashlib.sha256(request.match_info["token"].encode()).hexdigest()
        await self.store.call(records.record_link_use, digest, data, self.ctx.clock())
        ok = reply is not None and reply.ok
        return page("Registrert" if ok else "Ikke registrert", reply.text if reply else "")


__all__ = ["InboundWeb", "action_links", "make_token"]
