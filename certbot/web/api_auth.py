"""Who calls the API: bearer tokens per client, scopes, rate limits, and problem answers.

Contract:
- `Clients.load` reads every client's token through `certbot.config.read_secret` when the
  service starts and refuses to start (`ConfigError`, naming the key and the variable, never
  the value) when one is missing, too short, shared, or names a municipality that is not
  configured. Tokens are registered with the log redactor and kept only as SHA-256 digests;
  `Clients.find` compares digests in constant time against every client.
- `Clients.admit` answers None (go on) or the problem response: 401 without a known token
  (with ``WWW-Authenticate: Bearer``), 403 without the route's scope, 429 (``Retry-After``)
  when the client, or an unauthenticated remote address, is over its rate. No other detail
  leaves: the answer never says which part of a token was wrong.
- `problem` builds an RFC 9457 ``application/problem+json`` response.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web
from aiolimiter import AsyncLimiter

from certbot.config import read_secret
from certbot.config.api import ApiConfig, api_problems
from certbot.errors import ConfigError
from certbot.redact import register_secret
from certbot.web.api_spec import PROBLEM_JSON, Problem
from certbot.web.models import Viewer

# On every API answer: JSON only, never cached, never framed, never sniffed as something else.
SAFE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
MIN_TOKEN = 24  # characters: a bearer token is a random secret, not a password
MAX_REMOTES = 10_000  # unauthenticated addresses remembered for their rate limit
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    429: "Too many requests",
    500: "Internal error",
}


def problem(
    status: int, detail: str | None = None, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = Problem(title=TITLES.get(status, "Error"), status=status, detail=detail)
    return web.Response(
        status=status,
        body=body.model_dump_json(exclude_none=False).encode(),
        content_type=PROBLEM_JSON,
        headers={**SAFE_HEADERS, **(headers or {})},
    )


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def bearer(request: web.Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None when absent or malformed."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


@dataclass
class Client:
    id: str
    digest: bytes
    scopes: frozenset[str]
    viewer: Viewer
    limiter: AsyncLimiter


@dataclass
class Clients:
    clients: list[Client]
    per_minute: int
    failed_per_minute: int
    _failed: OrderedDict[str, AsyncLimiter] = field(default_factory=OrderedDict)

    @classmethod
    def load(
        cls, cfg: ApiConfig, environ: Mapping[str, str] | None, municipalities: set[str]
    ) -> Clients:
        problems = api_problems(cfg, municipalities)
        out: list[Client] = []
        seen: set[bytes] = set()
        for i, c in enumerate(cfg.clients):
            where = f"feeds.yaml: service.api.clients[{i}]"
            token = read_secret(c.token.env, environ)
            if token is None:
                problems.append(
                    f"{where}.token: ${c.token.env} (or ${c.token.env}_FILE) is not set; "
                    f"give client {c.id!r} its bearer token there"
                )
                continue
            if len(token) < MIN_TOKEN:
                problems.append(
                    f"{where}.token: the token in ${c.token.env} is shorter than {MIN_TOKEN} "
                    "characters; use a random one (e.g. `openssl rand -hex 32`)"
                )
            register_secret(token)
            digest = _digest(token)
            if digest in seen:
                problems.append(f"{where}.token: another client has the same token")
            seen.add(digest)
            viewer = Viewer(c.tlp_max, municipality=c.municipality, personal=False)
            limiter = AsyncLimiter(cfg.rate_per_minute, 60)
            out.append(Client(c.id, digest, frozenset(c.scopes), viewer, limiter))
        if problems:
            raise ConfigError(problems)
        return cls(out, cfg.rate_per_minute, cfg.failed_auth_per_minute)

    def find(self, token: str | None) -> Client | None:
        if token is None:
            return None
        digest = _digest(token)
        found = None
        for c in self.clients:  # every client compared: the time says nothing
            if hmac.compare_digest(c.digest, digest):
                found = c
        return found

    def _remote_limiter(self, remote: str) -> AsyncLimiter:
        limiter = self._failed.pop(remote, None) or AsyncLimiter(self.failed_per_minute, 60)
        self._failed[remote] = limiter
        while len(self._failed) > MAX_REMOTES:
            self._failed.popitem(last=False)
        return limiter

    async def admit(
        self, request: web.Request, scope: str
    ) -> tuple[Client | None, web.Response | None]:
        """(the client, None) when the request may go on; else (None, the problem answer)."""
        client = self.find(bearer(request))
        if client is None:
            limiter = self._remote_limiter(request.remote or "?")
            if not limiter.has_capacity():
                return None, problem(429, "too many failed attempts", {"Retry-After": "60"})
            await limiter.acquire()
            return None, problem(401, None, {"WWW-Authenticate": 'Bearer realm="certbot"'})
        if scope not in client.scopes:
            return None, problem(403, f"this token lacks the scope {scope!r}")
        if not client.limiter.has_capacity():
            wait = max(1, round(60 / self.per_minute))
            return None, problem(429, "rate limit", {"Retry-After": str(wait)})
        await client.limiter.acquire()
        return client, None
