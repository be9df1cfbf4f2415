"""The inbound web server (aiohttp): Telegram webhook, Slack endpoints, signed-link pages.

Signed links (for Teams cards and e-mail): ``/l/<payload>.<mac>`` where the payload names ONE
municipality, ONE case, one action, an expiry and the target it was sent to, and the MAC is
HMAC-SHA256 with ``service.link_secret``. GET shows a phone-sized confirm page (the title,
priority, municipality and deadline, in the municipality's language: `link_pages`) and
changes nothing (mail gateways' link scanners fetch every URL); only the form's POST acts.

The same page carries an incident report form (``POST /l/<token>/incident``) for Teams and
e-mail users, who have no chat command: the form holds a per-render nonce, its render time
and an HMAC over both and the token (`links.form_mac`); a POST without a valid one is
refused (403). The report goes through the same command layer as a chat report (one
transaction with the audit line; the id is shown only after the commit), and the nonce is
the update id, so a form sent twice files one report and shows the same id again.

Every response under ``/l/`` carries `link_pages.headers` (CSP, no-store, nosniff, no
referrer, no framing), set in ``on_response_prepare`` so errors get them too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from aiohttp import web

from certbot.inbound import link_pages
from certbot.inbound.commands import Command, Context, handle
from certbot.inbound.slack import SlackInbound
from certbot.inbound.telegram import TelegramInbound
from certbot.outbound.links import (
    ACTIONS,
    action_links,
    form_mac,
    form_ok,
    make_token,
    read_token,
)
from certbot.render import Renderer
from certbot.store import Store, StoreThread
from certbot.store import replies as records


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None (malformed, too deep, an array, a number)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


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
        self.renderer = Renderer()

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
            app.router.add_post("/l/{token}/incident", self.incident_post)
            app.on_response_prepare.append(_link_headers)
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

    def page(self, lang: str, name: str, status: int = 200, **values: Any) -> web.Response:
        """A link page from templates/web/<name>.html in ``lang``, with its CSP style nonce."""
        nonce = link_pages.new_nonce()
        text = link_pages.render(self.renderer, lang, name, csp_nonce=nonce, **values)
        resp = web.Response(text=text, content_type="text/html", status=status)
        resp.headers.update(link_pages.headers(nonce))
        return resp

    def invalid(self) -> web.Response:
        return self.page("nb", "invalid", status=403)

    async def link_get(self, request: web.Request) -> web.Response:
        data = self._token(request)
        if data is None:
            return self.invalid()
        return await self._show(request, data)

    async def _show(
        self,
        request: web.Request,
        data: dict[str, Any],
        form: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> web.Response:
        """The link page: the alert, the action button and the incident form."""
        assert self.link_secret
        v = await self.store.call(link_pages.view, self.ctx.config, data)
        token = request.match_info["token"]
        nonce, issued = link_pages.new_nonce(), int(self.ctx.clock().timestamp())
        csrf = {
            "nonce": nonce,
            "issued": issued,
            "mac": form_mac(self.link_secret, token, nonce, issued),
        }
        return self.page(
            v.lang,
            "link",
            status=400 if error else 200,
            v=v,
            token=token,
            csrf=csrf,
            form=form or {},
            error=error,
        )

    async def link_post(self, request: web.Request) -> web.Response:
        data = self._token(request)
        if data is None:
            return self.invalid()
        _, name, extra = ACTIONS[data["a"]]
        args = [data["c"], *extra]
        cmd = Command("web", link_pages.actor(self.ctx.config, data), name, args, " ".join(args))
        cmd.link_subscriber = data["s"]
        reply = await self.store.run(handle, self.ctx, cmd)
        digest = hashlib.sha256(request.match_info["token"].encode()).hexdigest()
        await self.store.call(records.record_link_use, digest, data, self.ctx.clock())
        ok = reply is not None and reply.ok
        lang = link_pages.language(self.ctx.config, data["s"])
        text = reply.text if reply else ""
        return self.page(lang, "done", ok=ok, text=text, back="")

    async def incident_post(self, request: web.Request) -> web.Response:
        """The incident form: refused without this page's nonce and MAC, re-shown (400) with
        the reason when a field is wrong, committed through `handle` otherwise."""
        assert self.link_secret
        data = self._token(request)
        if data is None:
            return self.invalid()
        post = {k: str(v) for k, v in (await request.post()).items() if isinstance(v, str)}
        token = request.match_info["token"]
        if not form_ok(self.link_secret, post, token, self.ctx.clock(), link_pages.FORM_TTL):
            lang = link_pages.language(self.ctx.config, data["s"])
            return self.page(lang, "refused", status=403)
        fields, wrong = link_pages.incident_fields(post)
        if wrong is not None:
            return await self._show(request, data, post, wrong)
        user = link_pages.actor(self.ctx.config, data)
        cmd = Command("web", user, "hendelse", update_id=f"form:{post['nonce']}", form=fields)
        cmd.link_subscriber = data["s"]
        reply = await self.store.run(handle, self.ctx, cmd)
        ok = reply is not None and reply.ok
        lang = link_pages.language(self.ctx.config, data["s"])
        text = reply.text if reply else ""
        return self.page(lang, "done", ok=ok, text=text, back=f"../{token}")


async def _link_headers(request: web.Request, response: web.StreamResponse) -> None:
    """The security headers on every response under /l/, errors (404, 405, 413) included."""
    if request.path.startswith("/l/") and "Content-Security-Policy" not in response.headers:
        response.headers.update(link_pages.headers(None))


__all__ = ["InboundWeb", "action_links", "make_token"]
