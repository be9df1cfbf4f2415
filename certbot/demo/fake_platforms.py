"""The three platform fakes: Slack Web API, a Teams Workflows webhook and the Telegram Bot API.

Each speaks enough of its platform's wire format on 127.0.0.1 for the real SDKs
(slack_sdk, python-telegram-bot) and the Teams channel to talk to it; recording and scripting
come from `Fake` (certbot.demo.fake_base).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

from certbot.demo.fake_base import Fake, Recorded

TEAMS_MAX_BYTES = 28 * 1024
FAKE_SLACK_TOKEN = "xoxb-fake-certbot-token"  # noqa: S105 - a fake's own credential
FAKE_TELEGRAM_TOKEN = "123456789:FAKEfakeFAKEfakeFAKEfakeFAKEfake123"  # noqa: S105
FAKE_TEAMS_SIG = "fake-signature"


class SlackFake(Fake):
    """Slack Web API: ``chat.postMessage``, ``conversations.history``/``replies``, ``auth.test``."""

    name = "slack"
    default_endpoint = "chat.postMessage"

    token = FAKE_SLACK_TOKEN

    def __init__(self) -> None:
        super().__init__()
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.responses: list[Recorded] = []  # what was POSTed to a response_url
        self.responded = asyncio.Event()  # set at each response_url POST
        self._n = 0

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_route("*", "/api/{method}", self.handle)
        app.router.add_post("/{method:response}/{hook:.*}", self.handle)

    def response_url(self, base: str, hook: str = "T0FAKE/1/fake") -> str:
        """A response_url on this fake, as Slack puts in slash commands and payloads;
        ``base`` is the fake's slack base URL (``.../slack/api/``)."""
        return base.rstrip("/").removesuffix("/api") + f"/response/{hook}"

    async def answer(self, request: web.Request, rec: Recorded, method: str) -> web.StreamResponse:
        if method == "response":
            self.responses.append(rec)
            self.responded.set()
            return web.Response(text="ok")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        args = {**rec.query, **(rec.body or {})}
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "team_id": "T0FAKE",
                    "user_id": "U0BOT",
                    "bot_id": "B0BOT",
                    "user": "certbot",
                }
            )
        if method == "chat.postMessage":
            return web.json_response(self.post(args))
        if method in ("conversations.history", "conversations.replies"):
            return web.json_response(self.history(args, replies=method.endswith("replies")))
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        self._n += 1
        ts = f"{1700000000 + self._n}.{self._n:06d}"
        message = {
            "type": "message",
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
            "bot_id": "B0BOT",
        }
        for key in ("thread_ts", "metadata"):
            if args.get(key):
                message[key] = args[key]
        self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def history(self, args: dict[str, Any], *, replies: bool) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        msgs = self.messages.get(channel, [])
        if replies:
            msgs = [m for m in msgs if args.get("ts") in (m["ts"], m.get("thread_ts"))]
        else:
            msgs = [m for m in msgs if "thread_ts" not in m]
        with_meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        out = [
            m if with_meta else {k: v for k, v in m.items() if k != "metadata"}
            for m in reversed(msgs)
        ]
        return {"ok": True, "messages": out[: int(args.get("limit", 100))], "has_more": False}


class TeamsFake(Fake):
    """A Teams Workflows webhook: POST an Adaptive Card message, get 202 Accepted."""

    name = "teams"
    default_endpoint = "webhook"

    sig = FAKE_TEAMS_SIG

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_post("/webhook/{flow}", self.handle)

    async def answer(self, request: web.Request, rec: Recorded, _: str) -> web.StreamResponse:
        if request.query.get("sig") != self.sig:
            return web.json_response(
                {"error": {"code": "DirectApiAuthorizationRequired"}}, status=401
            )
        if len(rec.raw) > TEAMS_MAX_BYTES:
            return web.Response(status=413, text="RequestEntityTooLarge")
        body = rec.body if isinstance(rec.body, dict) else {}
        attachments = body.get("attachments") or []
        if (
            body.get("type") != "message"
            or not attachments
            or not all(
                a.get("contentType") == "application/vnd.microsoft.card.adaptive"
                for a in attachments
            )
        ):
            return web.Response(status=400, text="InvalidRequestContent")
        return web.Response(status=202)


class TelegramFake(Fake):
    """The Telegram Bot API: ``getMe``, ``sendMessage``, ``getUpdates``, ``setWebhook``,
    ``answerCallbackQuery``; ``/bot<token>/<method>``, JSON or form bodies.

    ``queue_update`` hands an update to the next ``getUpdates`` (polling mode), once; with
    nothing queued, ``getUpdates`` holds the request up to `max_hold` seconds (a short long-poll) and
    answers []. ``sent_event`` is set at each ``sendMessage``."""

    name = "telegram"
    default_endpoint = "sendMessage"
    max_hold = 1.0  # seconds an empty getUpdates is held (tests shorten it)

    token = FAKE_TELEGRAM_TOKEN

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []
        self.sent_event = asyncio.Event()
        self._updates: deque[dict[str, Any]] = deque()
        self._queued = asyncio.Event()

    def queue_update(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._queued.set()

    async def get_updates(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        if not self._updates:
            wait = min(float(args.get("timeout") or 0), self.max_hold)
            self._queued.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queued.wait(), wait)
        out = list(self._updates)
        self._updates.clear()
        return out

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_post("/bot{token}/{method}", self.handle)

    async def answer(self, request: web.Request, rec: Recorded, method: str) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        args = rec.body or {}
        if method == "getMe":
            return _ok(
                {
                    "id": 123456789,
                    "is_bot": True,
                    "first_name": "certbot",
                    "username": "certbot_test_bot",
                    "can_join_groups": True,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            )
        if method == "sendMessage":
            return _ok(self.send(args))
        if method == "getUpdates":
            return _ok(await self.get_updates(args))
        if method in ("setWebhook", "deleteWebhook", "answerCallbackQuery"):
            return _ok(True)
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    def send(self, args: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(args.get("chat_id", 0))
        message = {
            "message_id": len(self.sent) + 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "text": args.get("text", ""),
        }
        self.sent.append({**args, "message_id": message["message_id"]})
        self.sent_event.set()
        return message


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})
