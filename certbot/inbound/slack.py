"""Slack inbound: request verification and the slash command / button endpoints' logic.

Every request is verified before anything else: v0 HMAC-SHA256 over ``v0:<timestamp>:<raw
body>`` with the signing secret, the timestamp within 300 s of now, and the signature not
seen before (a replay cache covering the window). The body is verified exactly as received:
a body re-encoded on the way (``+`` for ``%20``, reordered fields) fails. Slack wants an
answer within 3 s, so the command runs with a 2.5 s budget; if it takes longer, the request
is answered at once and the command finishes in the background.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from certbot.config import read_secret
from certbot.errors import ConfigError
from certbot.inbound.commands import Command, Context, Reply, handle
from certbot.redact import register_secret
from certbot.store import AsyncStore

WINDOW = 300
BUDGET = 2.5


class SlackVerifier:
    def __init__(self, secret: str, clock: Callable[[], float] = time.time):
        self.secret = secret.encode()
        self.clock = clock
        self._seen: dict[str, float] = {}

    def check(self, raw: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """None if the request is genuine and fresh, else why not (for the audit)."""
        if not timestamp or not signature:
            return "missing headers"
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


class SlackInbound:
    def __init__(
        self,
        ctx: Context,
        store: AsyncStore,
        *,
        environ: Any = None,
        clock: Callable[[], float] = time.time,
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
        self.ctx, self.store = ctx, store
        self._background: set[asyncio.Task[Any]] = set()

    def command_from(self, raw: bytes) -> Command | None:
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        if "payload" in form:  # an interactive button
            payload = json.loads(form["payload"])
            action = (payload.get("actions") or [{}])[0]
            value, action_id = str(action.get("value", "")), str(action.get("action_id", ""))
            # "<case id>:<word>" (channels/slack.py `buttons`); case ids may hold colons
            case, _, word = value.rpartition(":") if ":" in value else (value, "", "")
            if action_id == "ack":
                name, args = "ack", [case]
            elif action_id.startswith("status"):
                name, args = "status", [case, word]
            else:
                return None
            user = str(payload.get("user", {}).get("id", ""))
            rid = str(payload.get("trigger_id") or action.get("action_ts") or "")
            return Command("slack", user, name, args, " ".join(args), update_id=rid or None)
        text = form.get("text", "")
        word, _, rest = text.strip().partition(" ")
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
        )

    async def run(self, cmd: Command) -> Reply | None:
        """The command within Slack's budget; later work continues in the background."""
        task = asyncio.ensure_future(self.store.run(handle, self.ctx, cmd))
        done, _ = await asyncio.wait({task}, timeout=BUDGET)
        if task in done:
            return task.result()
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return Reply("Mottatt – svaret kommer.")
