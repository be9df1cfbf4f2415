"""The platform-neutral command layer: a platform event becomes a `Command`, `handle` returns
a `Reply` (DESIGN.md 9). Nothing here imports a chat SDK.

`handle` runs on the store's writer thread. Authorisation, the effect, the audit line and the
de-duplication mark are ONE transaction, and the reply exists only after it commits
(RELIABILITY.md I3). A duplicate update (same platform and update id) has no effect; if the
first one's reply was never confirmed sent, the stored reply is returned again.

The data types live in `certbot.inbound.messages` and are re-exported here for the platforms.
"""

from __future__ import annotations

from certbot.inbound import records
from certbot.inbound.auth import Roles, roles
from certbot.inbound.handlers import dispatch  # the actions, kept in their own module
from certbot.inbound.messages import ALIASES, Command, Context, Notice, Outcome, Reply
from certbot.inbound.texts import t

__all__ = ["Command", "Context", "Notice", "Outcome", "Reply", "handle", "language", "who"]


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
