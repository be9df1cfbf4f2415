"""The platform-neutral command layer: a platform event becomes a `Command`, `handle` returns
a `Reply` (DESIGN.md 9). Nothing here imports a chat SDK.

`handle` runs on the store's writer thread. Authorisation, the effect, the audit line and the
de-duplication mark are ONE transaction, and the reply exists only after it commits
(RELIABILITY.md I3). A duplicate update (same platform and update id) has no effect; if the
first one's reply was never confirmed sent, the stored reply is returned again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from certbot.config import Config
from certbot.inbound import records
from certbot.inbound.auth import RateLimiter, Roles, roles
from certbot.inbound.texts import t
from certbot.store import Store, utcnow

ALIASES = {
    "kvitter": "ack",
    "ack": "ack",
    "status": "status",
    "mine": "mine",
    "hendelse": "incident",
    "incident": "incident",
    "hjelp": "help",
    "help": "help",
    "start": "help",
    "berorte": "affected",
    "berørte": "affected",
    "affected": "affected",
    "hendelser": "incidents",
    "incidents": "incidents",
    "oppdater": "update",
    "update": "update",
}
STATUS_WORDS = {
    "patched": "remediation_done",
    "patchet": "remediation_done",
    "in-progress": "remediation_in_progress",
    "pågår": "remediation_in_progress",
    "pagar": "remediation_in_progress",
    "not-affected": "not_affected",
    "ikke-berørt": "not_affected",
    "ikke-berort": "not_affected",
}


@dataclass
class Command:
    platform: str  # telegram | slack | web
    user_id: str
    name: str  # as typed; normalised by `handle`
    args: list[str] = field(default_factory=list)
    text: str = ""  # everything after the command word, as given
    chat_id: str | None = None
    update_id: str | None = None  # platform update / request id, for de-duplication
    at: datetime | None = None
    link_subscriber: str | None = None  # set by web.py after a signed link verified


@dataclass
class Notice:
    """A message to someone other than the sender (the reporter of an incident)."""

    platform: str
    chat_id: str
    text: str


@dataclass
class Reply:
    text: str
    ok: bool = True
    buttons: list[tuple[str, str]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    duplicate: bool = False


@dataclass
class Context:
    store: Store
    config: Config
    limiter: RateLimiter = field(default_factory=RateLimiter)
    clock: Callable[[], datetime] = utcnow
    crash: Callable[[str], None] = lambda point: None  # fault injection in tests


@dataclass
class Outcome:
    reply: Reply
    decision: str = "allowed"  # allowed | denied | rate_limited
    subscriber_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def who(cmd: Command, ctx: Context) -> Roles:
    if cmd.platform == "web" and cmd.link_subscriber:
        return Roles({cmd.link_subscriber: "responder"})
    return roles(ctx.config, cmd.platform, cmd.user_id)


def language(ctx: Context, r: Roles) -> str:
    subs = {s.id: s for s in ctx.config.subscribers}
    for sub_id in sorted(r.municipalities):
        if sub_id in subs:
            return subs[sub_id].language
    return "nb"


def handle(ctx: Context, cmd: Command) -> Reply | None:
    """Run one command; None means a duplicate whose reply was already sent."""
    from certbot.inbound.handlers import dispatch  # the actions, kept in their own module

    store = ctx.store
    now = cmd.at or ctx.clock()
    if cmd.update_id is not None:
        prior = records.seen(store, cmd.platform, cmd.update_id)
        if prior is not None:
            store.bump("inbound_duplicate")
            return None if prior["replied"] else Reply(prior["reply"] or "", duplicate=True)
    r = who(cmd, ctx)
    lang = language(ctx, r)
    with store.tx():
        if not r.known:
            out = Outcome(Reply(t(lang, "unknown_user", user=cmd.user_id), ok=False), "denied")
            out.detail["why"] = "unknown_user"
        elif hit := ctx.limiter.allow(f"{cmd.platform}:{cmd.user_id}", sorted(r.municipalities)):
            out = Outcome(Reply(t(lang, "rate"), ok=False), "rate_limited", detail={"limit": hit})
        else:
            out = dispatch(ctx, cmd, r, lang, now)
        store.audit(
            action=ALIASES.get(cmd.name.lower(), cmd.name.lower()[:40]),
            actor=f"{cmd.platform}:{cmd.user_id}",
            subscriber_id=out.subscriber_id,
            decision=out.decision,
            detail={"args": cmd.args[:3], **out.detail},
            now=now,
        )
        if cmd.update_id is not None:
            records.mark_seen(store, cmd.platform, cmd.update_id, out.reply.text, now)
        ctx.crash("before_commit")
    ctx.crash("after_commit")
    return out.reply
