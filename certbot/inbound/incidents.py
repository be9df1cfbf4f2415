"""Incident reports: the guided conversation (state in SQLite), the one-message form, the
forward to the operator target within the report's TLP, and operator status updates relayed
to the reporter. The id reaches the reporter only in the reply, after the commit (I3)."""

from __future__ import annotations

from datetime import datetime

from certbot.inbound import records
from certbot.inbound.auth import Roles
from certbot.inbound.clearance import Chat, incident_label, kind_from_id, may_show
from certbot.inbound.messages import Command, Context, Notice, Outcome, Reply
from certbot.inbound.texts import t
from certbot.model import TLP
from certbot.outbound.notices import OperatorNotice, plan_operator

STEPS = ("what_happened", "rsit_class", "services", "impact", "measures", "others_notified")
FORM_KEYS = {
    "hva": "what_happened",
    "what": "what_happened",
    "klasse": "rsit_class",
    "class": "rsit_class",
    "type": "rsit_type",
    "tjenester": "services",
    "services": "services",
    "konsekvens": "impact",
    "impact": "impact",
    "tiltak": "measures",
    "measures": "measures",
    "varslet": "others_notified",
    "notified": "others_notified",
    "varsler": "related_advisories",
    "advisories": "related_advisories",
}
UPDATE_WORDS = {
    "ny": "new",
    "new": "new",
    "pågår": "in-progress",
    "in-progress": "in-progress",
    "videresendt": "forwarded",
    "forwarded": "forwarded",
    "løst": "resolved",
    "resolved": "resolved",
}
MAX_FIELD = 4000


def _start_sub(r: Roles) -> str | None:
    subs = r.responder_of()
    return subs[0] if subs else None


def incident_command(ctx: Context, cmd: Command, r: Roles, lang: str, now: datetime) -> Outcome:
    sub_id = _start_sub(r)
    if sub_id is None:
        why = "viewer" if r.municipalities else "not_yours"
        return Outcome(Reply(t(lang, "denied", why=t(lang, why)), ok=False), "denied")
    form = cmd.form or parse_form(cmd.text)  # the web form's fields arrive parsed
    if form:
        if not form.get("what_happened"):
            reply = Reply(t(lang, "inc_missing") + "\n" + t(lang, "inc_form"), ok=False)
            return Outcome(reply, "allowed", sub_id, {"why": "incomplete"})
        return _commit(ctx, cmd, sub_id, form, lang, now)
    if cmd.platform == "slack":
        return Outcome(Reply(t(lang, "inc_form")), "allowed", sub_id)
    convo = records.Conversation(cmd.platform, cmd.user_id, sub_id, STEPS[0], {})
    records.save_conversation(ctx.store, convo, now)
    text = t(lang, "inc_start") + "\n" + t(lang, "inc_" + STEPS[0])
    return Outcome(Reply(text), "allowed", sub_id, {"step": STEPS[0]})


def parse_form(text: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        field = FORM_KEYS.get(key.strip().lower())
        if sep and field:
            if field == "related_advisories":
                out[field] = [v.strip() for v in value.split(",") if v.strip()][:20]
            else:
                out[field] = value.strip()[:MAX_FIELD]
    return out


def conversation_step(
    ctx: Context, cmd: Command, r: Roles, lang: str, now: datetime, convo: dict[str, object]
) -> Outcome:
    store = ctx.store
    sub_id = str(convo["subscriber_id"])
    if cmd.name.lower() in ("avbryt", "cancel"):
        records.end_conversation(store, cmd.platform, cmd.user_id)
        return Outcome(Reply(t(lang, "inc_cancelled")), "allowed", sub_id, {"step": "cancel"})
    if not r.can_act(sub_id) or sub_id not in r.municipalities:
        records.end_conversation(store, cmd.platform, cmd.user_id)
        reply = Reply(t(lang, "denied", why=t(lang, "not_yours")), ok=False)
        return Outcome(reply, "denied", sub_id, {"why": "role_changed"})
    step = str(convo["step"])
    data = dict(convo["data"])  # type: ignore[call-overload]
    data[step] = f"{cmd.name} {cmd.text}".strip()[:MAX_FIELD]
    nxt = STEPS.index(step) + 1
    if nxt < len(STEPS):
        following = records.Conversation(cmd.platform, cmd.user_id, sub_id, STEPS[nxt], data)
        records.save_conversation(store, following, now)
        return Outcome(Reply(t(lang, "inc_" + STEPS[nxt])), "allowed", sub_id, {"step": STEPS[nxt]})
    records.end_conversation(store, cmd.platform, cmd.user_id)
    return _commit(ctx, cmd, sub_id, data, lang, now)


def _commit(
    ctx: Context, cmd: Command, sub_id: str, fields: dict[str, object], lang: str, now: datetime
) -> Outcome:
    store = ctx.store
    inc_id = records.create_incident(
        store,
        municipality=sub_id,
        reporter=f"{cmd.platform}:{cmd.user_id}",
        reporter_chat=cmd.chat_id or cmd.user_id,
        fields=fields,
        now=now,
    )
    summary = "\n".join(f"{k}: {fields.get(k) or '-'}" for k in records.INCIDENT_FIELDS)
    if isinstance(times := fields.get("times"), dict) and times.get("occurred"):
        summary += f"\noccurred: {times['occurred']}"  # the web form's "when"
    notice = OperatorNotice(
        f"Hendelse {inc_id} fra {sub_id} ({cmd.platform}:{cmd.user_id}):\n{summary}",
        key=f"incident:{inc_id}",
        tlp=TLP.AMBER_STRICT,
        title=f"Hendelse {inc_id} fra {sub_id}",
    )
    plan_operator(store, ctx.config, notice, now)
    return Outcome(Reply(t(lang, "inc_done", id=inc_id)), "allowed", sub_id, {"incident": inc_id})


def update_incident(ctx: Context, cmd: Command, lang: str, now: datetime) -> Outcome:
    if len(cmd.args) < 2 or cmd.args[1].lower() not in UPDATE_WORDS:
        return Outcome(Reply(t(lang, "usage_update"), ok=False), "denied", detail={"why": "usage"})
    store = ctx.store
    inc = records.incident(store, cmd.args[0])
    if inc is None:
        reply = Reply(t(lang, "inc_unknown", id=cmd.args[0][:40]), ok=False)
        return Outcome(reply, "denied", detail={"why": "no_incident"})
    status = UPDATE_WORDS[cmd.args[1].lower()]
    comment = " ".join(cmd.args[2:])[:1000]
    records.set_incident_status(store, inc["id"], status)
    records.add_history(store, inc["id"], f"{cmd.platform}:{cmd.user_id}", status, comment, now)
    platform = str(inc["reporter"]).split(":", 1)[0]
    sub_lang = _sub_lang(ctx, inc["municipality"])
    relay = t(
        sub_lang, "inc_relay", id=inc["id"], status=status, comment=_relayed(ctx, inc, comment)
    ).strip()
    reply = Reply(
        t(lang, "inc_updated", id=inc["id"], status=status),
        notices=[Notice(platform, str(inc["reporter_chat"]), relay)],
    )
    return Outcome(reply, "allowed", inc["municipality"], {"incident": inc["id"], "status": status})


def _relayed(ctx: Context, inc: dict[str, object], comment: str) -> str:
    """The operator's comment as the reporter's chat may see it: the chat's clearance for the
    incident's municipality and label (a report typed in a group is answered in that group)."""
    if not comment:
        return ""
    platform, _, user = str(inc["reporter"]).partition(":")
    chat_id = str(inc["reporter_chat"] or user)
    chat = Chat(platform, chat_id, kind_from_id(platform, chat_id), user)
    label = incident_label(inc)
    if may_show(ctx.config, chat, str(inc["municipality"]), label):
        return comment
    return t(_sub_lang(ctx, str(inc["municipality"])), "withheld_content", label=label.label)


def _sub_lang(ctx: Context, sub_id: str) -> str:
    try:
        return ctx.config.subscriber(sub_id).language
    except KeyError:
        return "nb"
