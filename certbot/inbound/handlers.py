"""The actions behind the commands. Each returns an `Outcome`; `commands.handle` has already
opened the transaction, and writes the audit line and the de-duplication mark in it."""

from __future__ import annotations

from datetime import datetime

from certbot.inbound import records
from certbot.inbound.auth import Roles
from certbot.inbound.clearance import SHARED, Chat, incident_label, may_show
from certbot.inbound.incidents import conversation_step, incident_command, update_incident
from certbot.inbound.messages import ALIASES, STATUS_WORDS, Command, Context, Notice, Outcome, Reply
from certbot.inbound.texts import status_label, t
from certbot.model import TLP
from certbot.publish import chat as publish_chat

CANCEL = {"avbryt", "cancel"}


def dispatch(ctx: Context, cmd: Command, r: Roles, lang: str, now: datetime) -> Outcome:
    name = ALIASES.get(cmd.name.lower().lstrip("/"))
    convo = records.conversation(ctx.store, cmd.platform, cmd.user_id)
    free = name is None or cmd.name.lower() in CANCEL
    if name == "publish" or (convo is not None and convo["step"] == publish_chat.STEP and free):
        return _publish(ctx, cmd, r, lang, now, name)
    if convo is not None and free:
        return conversation_step(ctx, cmd, r, lang, now, convo)
    return _known(ctx, cmd, r, lang, now, name)


def _known(
    ctx: Context, cmd: Command, r: Roles, lang: str, now: datetime, name: str | None
) -> Outcome:
    if name == "help":
        return Outcome(Reply(t(lang, "help") + (t(lang, "help_op") if r.operator else "")))
    if name == "ack":
        return set_status(ctx, cmd, r, lang, now, "acknowledged")
    if name == "status":
        word = cmd.args[1].lower() if len(cmd.args) > 1 else ""
        if word not in STATUS_WORDS:
            return Outcome(
                Reply(t(lang, "usage_status"), ok=False), "denied", detail={"why": "usage"}
            )
        return set_status(ctx, cmd, r, lang, now, STATUS_WORDS[word])
    if name == "mine":
        return mine(ctx, cmd, r, lang)
    if name == "incident":
        return incident_command(ctx, cmd, r, lang, now)
    if name in ("affected", "incidents", "update"):
        if not r.operator:
            return _deny(lang, "not_operator")
        if name == "affected":
            return affected(ctx, cmd, lang)
        if name == "incidents":
            return list_incidents(ctx, cmd, lang)
        return update_incident(ctx, cmd, lang, now)
    return Outcome(Reply(t(lang, "unknown_cmd"), ok=False), "denied", detail={"why": "unknown"})


def _publish(
    ctx: Context, cmd: Command, r: Roles, lang: str, now: datetime, name: str | None
) -> Outcome:
    """``/publiser`` (issue 13), and what an operator types while a notice waits."""
    if not r.operator:
        return _deny(lang, "not_operator")
    if name == "publish":
        return publish_chat.publish_command(ctx, cmd, r, lang, now)
    if cmd.name.lower() in CANCEL:
        return publish_chat.cancel(ctx, cmd, lang)
    return publish_chat.waiting(lang)


def _deny(lang: str, why: str, sub_id: str | None = None) -> Outcome:
    reply = Reply(t(lang, "denied", why=t(lang, why)), ok=False)
    return Outcome(reply, "denied", sub_id, {"why": why})


def set_status(
    ctx: Context, cmd: Command, r: Roles, lang: str, now: datetime, status: str
) -> Outcome:
    if not cmd.args:
        return Outcome(Reply(t(lang, "usage_ack"), ok=False), "denied", detail={"why": "usage"})
    store = ctx.store
    case = records.resolve_case(store, cmd.args[0])
    alerted = records.alert_subscribers(store, cmd.args[0])
    if case is None or not alerted:
        reply = Reply(t(lang, "no_case", case=cmd.args[0][:40]), ok=False)
        return Outcome(reply, "denied", detail={"why": "no_case"})
    mine_ = sorted(s for s in alerted if s in r.municipalities)
    acting = [s for s in mine_ if r.municipalities[s] == "responder"]
    if not acting:
        why = "viewer" if mine_ else "not_yours"
        return _deny(lang, why, ",".join(mine_ or sorted(alerted)))
    comment = " ".join(cmd.args[2:])[:500] if status != "acknowledged" else ""
    for sub_id in acting:
        update = records.AckUpdate(case, sub_id, status, f"{cmd.platform}:{cmd.user_id}", comment)
        records.set_ack(store, update, now)
    subs = ", ".join(acting)
    key = "acked" if status == "acknowledged" else "status_set"
    text = t(lang, key, case=case, subs=subs, status=status_label(lang, status))
    return Outcome(Reply(text), "allowed", ",".join(acting), {"case": case, "status": status})


def chat_of(cmd: Command) -> Chat:
    """The chat the reply goes to, as the platform event described it."""
    return Chat(cmd.platform, cmd.chat_id, cmd.chat_kind or SHARED, cmd.user_id)


def case_label(ctx: Context, case_id: str) -> TLP:
    """The case's TLP for a listing; a missing or unknown label counts as RED."""
    _, label = ctx.store.case_tlp(case_id)
    return TLP.RED if label is None else label


def shown_title(ctx: Context, cmd: Command, lang: str, row: dict[str, object]) -> str:
    label = case_label(ctx, str(row["case_id"]))
    if not may_show(ctx.config, chat_of(cmd), str(row["subscriber_id"]), label):
        return t(lang, "withheld_title", label=label.label)
    return str(row["title"] or "")[:80]


def mine(ctx: Context, cmd: Command, r: Roles, lang: str) -> Outcome:
    rows = records.open_alerts(ctx.store, sorted(r.municipalities))
    if not rows:
        return Outcome(Reply(t(lang, "mine_none")))
    lines = [t(lang, "mine_head")]
    for row in rows[:30]:
        deadline = (row["deadline"] or "")[:16].replace("T", " ")
        status = status_label(lang, row["status"] or "not_remediated")
        lines.append(
            f"P{row['priority']} {row['case_id']} ({row['subscriber_id']}) {deadline} – "
            f"{status} – {shown_title(ctx, cmd, lang, row)}"
        )
    return Outcome(Reply("\n".join(lines)), subscriber_id=",".join(sorted(r.municipalities)))


def affected(ctx: Context, cmd: Command, lang: str) -> Outcome:
    """Who was alerted and what they did; a row is shown only where this chat is cleared
    for the case's label for that municipality."""
    case = cmd.args[0] if cmd.args else ""
    rows = records.affected(ctx.store, case)
    if not rows:
        return Outcome(Reply(t(lang, "affected_none", case=case[:40])))
    label = case_label(ctx, case)
    lines = [t(lang, "affected_head", case=case)]
    for row in rows:
        if not may_show(ctx.config, chat_of(cmd), row["subscriber_id"], label):
            lines.append(
                f"{row['subscriber_id']}: {t(lang, 'withheld_content', label=label.label)}"
            )
            continue
        who = f" – {row['by']} {row['at']}" if row["by"] else ""
        lines.append(
            f"{row['subscriber_id']} P{row['priority']}: {status_label(lang, row['status'])}{who}"
        )
    return Outcome(Reply("\n".join(lines)), detail={"case": case})


def list_incidents(ctx: Context, cmd: Command, lang: str) -> Outcome:
    rows = records.incidents(ctx.store, open_only=True)
    if not rows:
        return Outcome(Reply(t(lang, "inc_none")))
    lines = []
    for x in rows[:30]:
        label = incident_label(x)
        if may_show(ctx.config, chat_of(cmd), x["municipality"], label):
            what = f"{x['rsit_class'] or ''}: {(x['what_happened'] or '')[:80]}"
        else:
            what = t(lang, "withheld_content", label=label.label)
        lines.append(f"{x['id']} {x['municipality']} {x['status']} {what}")
    return Outcome(Reply("\n".join(lines)))


__all__ = ["Notice", "dispatch"]
