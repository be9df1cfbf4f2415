"""Slack inbound: request verification and the slash command / button endpoints' logic.

Every request is verified before anything else: v0 HMAC-SHA256 over ``v0:<timestamp>:<raw
body>`` with the signing secret, the timestamp within 300 s of now, and the signature not
seen before (a replay cache covering the window, kept in the store's ``slack_seen`` table
through the writer thread, so a restart does not forget it: `SlackInbound.verify`). The body is verified exactly as received:
a body re-encoded on the way (``+`` for ``%20``, reordered fields) fails.

Slack wants an answer within 3 s, so the command runs with a 2.5 s budget; if it takes longer,
the request is answered "Mottatt" at once, the command finishes in the background, and its
reply is POSTed to the request's ``response_url`` with the shared aiohttp session. A
response_url is followed only to ``https://hooks.slack.com/`` - or, when
``service.slack_base_url`` is set (local fakes), to that URL's own scheme, host and port.
Any other host is refused and logged (without the URL: it is a capability).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from certbot.config import Config, read_secret
from certbot.errors import ConfigError
from certbot.inbound.auth import roles
from certbot.inbound.clearance import slack_kind
from certbot.inbound.commands import Command, Context, Notice, Reply, handle, language
from certbot.inbound.messages import split_command
from certbot.inbound.texts import t
from certbot.redact import register_secret
from certbot.store import StoreThread
from certbot.store.replies import note_slack_signature

log = logging.getLogger("certbot.inbound.slack")

WINDOW = 300
BUDGET = 2.5
SLACK_HOOKS = ("https", "hooks.slack.com")
FOLLOW_UP_TIMEOUT = aiohttp.ClientTimeout(total=10)


class SlackVerifier:
    def __init__(self, secret: str, clock: Callable[[], float] = time.time):
        self.secret = secret.encode()
        self.clock = clock
        self._seen: dict[str, float] = {}

    def check(self, raw: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """None if the request is genuine and fresh, else why not (for the audit)."""
        if not timestamp or not signature:
            return "missing headers"
        if not (timestamp.isascii() and signature.isascii()):
            return "bad signature"  # compare_digest refuses non-ASCII str: never a 500
        try:
            ts = int(timestamp)
        except ValueError:
            return "bad timestamp"
        now = self.clock()
        if abs(now - ts) > WINDOW:
            return "stale"
        base = b"v0:" + timestamp.encode() + b":" + raw
        expected = "v0=" + hmac.new(self.secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "bad signature"
        self._seen = {k: v for k, v in self._seen.items() if now - v <= WINDOW}
        if signature in self._seen:
            return "replay"
        self._seen[signature] = now
        return None


def sign(secret: str, timestamp: int, raw: bytes) -> str:
    """What Slack sends in X-Slack-Signature (for tests and the demo)."""
    base = b"v0:" + str(timestamp).encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def response_origins(config: Config) -> frozenset[tuple[str, str]]:
    """(scheme, host[:port]) a response_url may point at: Slack's hooks host, plus the
    origin of ``service.slack_base_url`` when one is set (the local fakes: "fake mode")."""
    origins = {SLACK_HOOKS}
    if config.service.slack_base_url:
        base = urlsplit(config.service.slack_base_url)
        origins.add((base.scheme.lower(), base.netloc.lower()))
    return frozenset(origins)


def follow_allowed(url: str, origins: frozenset[tuple[str, str]]) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    return (parts.scheme.lower(), parts.netloc.lower()) in origins


def _field(obj: Any, key: str) -> str:
    """``obj[key]`` as a string when ``obj`` is a JSON object, else ""."""
    return str(obj.get(key) or "") if isinstance(obj, dict) else ""


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


class SlackInbound:
    def __init__(
        self,
        ctx: Context,
        store: StoreThread,
        *,
        environ: Any = None,
        clock: Callable[[], float] = time.time,
        http: aiohttp.ClientSession | None = None,
        budget: float = BUDGET,
    ):
        ref = ctx.config.service.slack_signing_secret
        secret = read_secret(ref.env, environ) if ref else None
        if not secret:
            raise ConfigError(
                [
                    "service.slack_signing_secret: Slack inbound needs the signing secret "
                    "(refusing to start without one)"
                ]
            )
        register_secret(secret)
        self.verifier = SlackVerifier(secret, clock)
        self.ctx, self.store, self.http, self.budget = ctx, store, http, budget
        self.relay: Callable[[list[Notice]], Awaitable[None]] | None = None  # set by the service
        self.origins = response_origins(ctx.config)
        # The command's work; a test may wrap it (a gate that holds it past the budget).
        self.work: Callable[[Command], Awaitable[Reply | None]] = self._work
        self._background: set[asyncio.Task[Any]] = set()

    async def verify(self, raw: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """`SlackVerifier.check`, then the persisted replay cache: None if genuine, fresh and
        never seen (also not before a restart), else why not."""
        why = self.verifier.check(raw, timestamp, signature)
        if why is None and signature is not None:
            fresh = await self.store.call(
                note_slack_signature, signature, self.verifier.clock(), WINDOW
            )
            if not fresh:
                return "replay"
        return why

    async def _work(self, cmd: Command) -> Reply | None:
        return await self.store.run(handle, self.ctx, cmd)

    @staticmethod
    def response_url(raw: bytes) -> str | None:
        """The ``response_url`` of a slash command or of an interactive payload."""
        form = _form(raw)
        if "payload" in form:
            try:
                url = json.loads(form["payload"]).get("response_url")
            except (ValueError, AttributeError, RecursionError):
                return None
        else:
            url = form.get("response_url")
        return url if isinstance(url, str) and url else None

    def command_from(self, raw: bytes) -> Command | None:
        """The command in a verified request; None for one that carries none (or garbage)."""
        form = _form(raw)
        if "payload" in form:  # an interactive button
            return self._button(form["payload"])
        text = form.get("text", "")
        word, rest = split_command(text)
        if not word:
            word = "help"
        return Command(
            "slack",
            form.get("user_id", ""),
            word,
            rest.split(),
            rest,
            chat_id=form.get("channel_id"),
            update_id=form.get("trigger_id") or None,
            chat_kind=slack_kind(form.get("channel_id"), form.get("channel_name")),
        )

    @staticmethod
    def _button(raw_payload: str) -> Command | None:
        try:
            payload = json.loads(raw_payload)
        except (ValueError, RecursionError):
            return None
        actions = payload.get("actions") if isinstance(payload, dict) else None
        action = actions[0] if isinstance(actions, list) and actions else None
        if not isinstance(action, dict):
            return None
        value, action_id = str(action.get("value", "")), str(action.get("action_id", ""))
        # "<case id>:<word>" (channels/slack.py `buttons`); case ids may hold colons
        case, _, word = value.rpartition(":") if ":" in value else (value, "", "")
        if action_id == "ack":
            name, args = "ack", [case]
        elif action_id.startswith("status"):
            name, args = "status", [case, word]
        else:
            return None
        user = _field(payload.get("user"), "id")
        rid = str(payload.get("trigger_id") or action.get("action_ts") or "")
        channel = payload.get("channel")
        chat = _field(channel, "id") or None
        return Command(
            "slack",
            user,
            name,
            args,
            " ".join(args),
            chat_id=chat,
            update_id=rid or None,
            chat_kind=slack_kind(chat, _field(channel, "name")),
        )

    async def run(self, cmd: Command, response_url: str | None = None) -> Reply | None:
        """The command within Slack's budget; if it takes longer, the request is answered
        at once and the reply follows to ``response_url`` when the work is done."""
        task = asyncio.ensure_future(self._work_and_relay(cmd))
        done, _ = await asyncio.wait({task}, timeout=self.budget)
        if task in done:
            return task.result()
        follow = asyncio.ensure_future(self._follow_up(task, response_url, self._lang(cmd)))
        self._background.add(follow)
        follow.add_done_callback(self._background.discard)
        return Reply(t(self._lang(cmd), "slack_received"))

    async def _work_and_relay(self, cmd: Command) -> Reply | None:
        reply = await self.work(cmd)
        if reply is not None and reply.notices and self.relay is not None:
            await self.relay(reply.notices)
        return reply

    def _lang(self, cmd: Command) -> str:
        """The language of the municipality the Slack user acts for (nb when unknown)."""
        return language(self.ctx, roles(self.ctx.config, cmd.platform, cmd.user_id))

    async def _follow_up(
        self, task: asyncio.Future[Reply | None], url: str | None, lang: str
    ) -> None:
        try:
            reply = await task
        except Exception as exc:  # the command failed after the budget; say so
            log.error("slack command failed in the background: %s", type(exc).__name__)
            reply = Reply(t(lang, "slack_failed"), ok=False)
        if reply is None:
            return  # a duplicate whose reply was already given
        if not url:
            log.warning("slack reply finished after the budget but came without response_url")
            return
        if not follow_allowed(url, self.origins):
            log.warning("slack response_url refused: not hooks.slack.com (reply not sent)")
            return
        await self._post(url, {"response_type": "ephemeral", "text": reply.text})

    async def _post(self, url: str, body: dict[str, Any]) -> None:
        session = self.http or aiohttp.ClientSession()
        try:
            async with session.post(
                url, json=body, timeout=FOLLOW_UP_TIMEOUT, allow_redirects=False
            ) as resp:
                if resp.status >= 300:
                    log.warning("slack response_url answered HTTP %s", resp.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("slack response_url post failed (%s)", type(exc).__name__)
        finally:
            if session is not self.http:
                await session.close()

    async def drain(self) -> None:
        """Wait for replies still on their way (at shutdown, and in tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
