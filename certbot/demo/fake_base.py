"""Recording and scripting shared by the protocol fakes (certbot.demo.fakes).

`Fake` records every request (`Recorded`: method, path, headers, parsed body, raw bytes) and
answers from a script of canned `Resp` objects, in order, before it answers normally. A
scripted `Resp.connection_reset()` aborts the connection with a TCP RST. `slack_error` and
`telegram_error` build the platforms' own error answers. The platform fakes live in
certbot.demo.fake_platforms.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


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

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Record the request, then answer with the next response scripted for its endpoint (the
        route's ``{method}``, else `default_endpoint`), or as the platform would (`answer`)."""
        rec = await self.record(request)
        endpoint = request.match_info.get("method", self.default_endpoint)
        canned = self.scripted(request, endpoint)
        if canned is not None:
            return canned
        return await self.answer(request, rec, endpoint)

    async def answer(
        self, request: web.Request, rec: Recorded, endpoint: str
    ) -> web.StreamResponse:
        raise NotImplementedError

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
