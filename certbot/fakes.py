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

``python -m certbot.fakes`` starts all three on 127.0.0.1:8701 (Slack), 8702 (Teams) and 8703
(Telegram) and prints the settings to point certbot at them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAMS_MAX_BYTES = 28 * 1024
FAKE_SLACK_TOKEN = "xoxb-fake-certbot-token"  # noqa: S105 - a fake's own credential
FAKE_TELEGRAM_TOKEN = "123456789:FAKEfakeFAKEfakeFAKEfakeFAKEfake123"  # noqa: S105
FAKE_TEAMS_SIG = "fake-signature"


@dataclass
class Resp:
    """A canned answer: a status with a JSON (dict) or text (str) body, or a reset."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False

    @classmethod
    def connection_reset(cls) -> Resp:
        return cls(reset=True)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON or form fields; None if empty
    raw: bytes


def slack_error(error: str, status: int = 200, retry_after: int | None = None) -> Resp:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Resp(status, {"ok": False, "error": error}, headers)


def telegram_error(code: int, description: str, retry_after: int | None = None) -> Resp:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Resp(code, body)


class Fake:
    """Recording and scripting shared by the three fakes."""

    name = ""
    default_endpoint = ""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._scripts: dict[str, deque[Resp]] = defaultdict(deque)

    def script(self, responses: list[Resp], *, endpoint: str | None = None) -> None:
        self._scripts[endpoint or self.default_endpoint].extend(responses)

    def calls(self, endpoint: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/" + endpoint)]

    async def record(self, request: web.Request) -> Recorded:
        raw = await request.read()
        body: Any = None
        if raw and request.content_type == "application/json":
            body = json.loads(raw)
        elif raw:
            body = {k: _maybe_json(str(v)) for k, v in (await request.post()).items()}
        rec = Recorded(
            request.method, request.path, dict(request.query), dict(request.headers), body, raw
        )
        self.requests.append(rec)
        return rec

    def scripted(self, request: web.Request, endpoint: str) -> web.StreamResponse | None:
        queue = self._scripts.get(endpoint)
        if not queue:
            return None
        resp = queue.popleft()
        if resp.reset:
            _reset(request)
            raise asyncio.CancelledError  # nothing more is written to the aborted transport
        if isinstance(resp.body, dict | list):
            return web.json_response(resp.body, status=resp.status, headers=resp.headers)
        return web.Response(status=resp.status, text=resp.body or "", headers=resp.headers)

    def routes(self, app: web.Application) -> None:
        async def dump(request: web.Request) -> web.Response:
            return web.json_response(
                [{"method": r.method, "path": r.path, "body": r.body} for r in self.requests]
            )

        app.router.add_get("/_requests", dump)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        self.routes(app)
        return app


def _maybe_json(value: str) -> Any:
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _reset(request: web.Request) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), as a crashing proxy would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class SlackFake(Fake):
    """Slack Web API: ``chat.postMessage``, ``conversations.history``/``replies``, ``auth.test``."""

    name = "slack"
    default_endpoint = "chat.postMessage"

    def __init__(self, token: str = FAKE_SLACK_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.responses: list[Recorded] = []  # what was POSTed to a response_url
        self.responded = asyncio.Event()  # set at each response_url POST
        self._n = 0

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_route("*", "/api/{method}", self.handle)
        app.router.add_post("/response/{hook:.*}", self.response)

    def response_url(self, base: str, hook: str = "T0FAKE/1/fake") -> str:
        """A response_url on this fake, as Slack puts in slash commands and payloads;
        ``base`` is the fake's slack base URL (``.../slack/api/``)."""
        return base.rstrip("/").removesuffix("/api") + f"/response/{hook}"

    async def response(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        canned = self.scripted(request, "response")
        if canned is not None:
            return canned
        self.responses.append(rec)
        self.responded.set()
        return web.Response(text="ok")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        method = request.match_info["method"]
        canned = self.scripted(request, method)
        if canned is not None:
            return canned
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

    def __init__(self, sig: str = FAKE_TEAMS_SIG) -> None:
        super().__init__()
        self.sig = sig

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_post("/webhook/{flow}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        canned = self.scripted(request, "webhook")
        if canned is not None:
            return canned
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

    def __init__(self, token: str = FAKE_TELEGRAM_TOKEN) -> None:
        super().__init__()
        self.token = token
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

    async def handle(self, request: web.Request) -> web.StreamResponse:
        rec = await self.record(request)
        method = request.match_info["method"]
        canned = self.scripted(request, method)
        if canned is not None:
            return canned
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
