"""``/publiser`` on Telegram and Slack: an operator publishes a short notice from chat.

Contract: `publish_command(ctx, cmd, r, lang, now)` runs inside `commands.handle`'s
transaction (which writes the audit line of every step, action ``publish``) and returns an
`Outcome`. Three steps, operators only (`Roles.operator`):

    /publiser            + lines "felt: verdi" (tittel, tlp, tekst; cve, leverandør, produkt,
                         versjoner, utnyttet, tiltak, kommuner, fylker): checked, then a dry
                         run (`publish.dry_run`, nothing written) whose summary is the reply;
                         the notice waits in the operator's conversation (step
                         ``publish_confirm``)
    /publiser bekreft    publishes the waiting notice (`publish.publish_draft`, its own audit
                         event with the operator); above TLP:GREEN only as
                         ``/publiser bekreft AMBER``, naming the label
    /publiser avbryt     drops it (so does "avbryt" while a notice waits)

Replies are bokmål (English for ``lang == "en"``). A chat notice always gets a new id.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from certbot.inbound import records
from certbot.inbound.auth import Roles
from certbot.inbound.messages import Command, Context, Outcome, Reply
from certbot.levels import TLP
from certbot.publish import publish as pub
from certbot.publish.advisory import tlp_of
from certbot.publish.draft import CVE_ID, KOMMUNENUMMER, Draft
from certbot.publish.load import check_draft

STEP = "publish_confirm"
LABELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
FORM_KEYS = {
    "tittel": "title",
    "title": "title",
    "tlp": "tlp",
    "tekst": "summary",
    "text": "summary",
    "cve": "cves",
    "leverandør": "vendor",
    "leverandor": "vendor",
    "vendor": "vendor",
    "produkt": "product",
    "product": "product",
    "versjoner": "versions",
    "versions": "versions",
    "utnyttet": "exploited",
    "exploited": "exploited",
    "tiltak": "actions",
    "actions": "actions",
    "kommuner": "municipalities",
    "municipalities": "municipalities",
    "fylker": "counties",
    "counties": "counties",
}
YES = {"ja", "yes", "true", "sann"}
TEXT = {
    "nb": {
        "form": "Bruk: /publiser og deretter linjer «felt: verdi»: tittel, tlp, tekst (påkrevd); "
        "cve, leverandør, produkt, versjoner, utnyttet (ja/nei), tiltak, kommuner, fylker.",
        "bad": "Varselet kan ikke publiseres:\n{problems}",
        "missing": "mangler «{field}»",
        "bad_tlp": "TLP «{value}» finnes ikke; bruk CLEAR, GREEN, AMBER, AMBER+STRICT eller RED",
        "bad_cve": "«{value}» er ikke en CVE-id (CVE-ÅÅÅÅ-NNNN)",
        "bad_kommune": "«{value}» er ikke et firesifret kommunenummer",
        "bad_fylke": "«{value}» er ikke et tosifret fylkesnummer",
        "bad_versions": "versjonene «{value}» kan ikke leses; skriv f.eks. «før 7.2.7» eller "
        "«7.2.0 til 7.2.6»",
        "bad_other": "skjemaet kunne ikke leses ({what})",
        "preview": "Forhåndsvisning, ingenting er sendt: «{title}» (TLP:{tlp}).\n"
        "{n} kommuner, {m} leveranser, {k} blokkert av TLP.",
        "row": "{sub} {name}: P{prio}, {m} mål{blocked}",
        "row_blocked": ", {k} blokkert av TLP",
        "nobody": "Ingen kommuner får varselet: ingen kommune har produktet i en berørt versjon, "
        "og ingen mottakere er oppgitt.",
        "confirm": "Skriv «/publiser bekreft» for å publisere, eller «/publiser avbryt».",
        "confirm_label": "TLP:{tlp} må bekreftes med navnet: skriv «/publiser bekreft {tlp}» for "
        "å publisere, eller «/publiser avbryt».",
        "nothing": "Ingen forhåndsvisning venter. Send «/publiser» med skjemaet først.",
        "wrong_label": "Ikke publisert: varselet er TLP:{tlp}. Skriv «/publiser bekreft {tlp}».",
        "done": "Publisert {id} (TLP:{tlp}): {m} leveranser planlagt til {n} kommuner, "
        "{k} blokkert av TLP.",
        "cancelled": "Publiseringen er avbrutt. Ingenting er sendt.",
        "waiting": "Et varsel venter på bekreftelse: skriv «/publiser bekreft» eller "
        "«/publiser avbryt».",
    },
    "en": {
        "form": "Usage: /publiser followed by lines 'field: value': tittel, tlp, tekst "
        "(required); cve, leverandør, produkt, versjoner, utnyttet (ja/nei), tiltak, kommuner, "
        "fylker.",
        "bad": "The notice cannot be published:\n{problems}",
        "missing": "'{field}' is missing",
        "bad_tlp": "there is no TLP '{value}'; use CLEAR, GREEN, AMBER, AMBER+STRICT or RED",
        "bad_cve": "'{value}' is not a CVE id (CVE-YYYY-NNNN)",
        "bad_kommune": "'{value}' is not a four-digit kommunenummer",
        "bad_fylke": "'{value}' is not a two-digit fylkesnummer",
        "bad_versions": "the versions '{value}' cannot be read; write e.g. 'før 7.2.7'",
        "bad_other": "the form could not be read ({what})",
        "preview": "Preview, nothing sent: '{title}' (TLP:{tlp}).\n"
        "{n} municipalities, {m} deliveries, {k} blocked by TLP.",
        "row": "{sub} {name}: P{prio}, {m} targets{blocked}",
        "row_blocked": ", {k} blocked by TLP",
        "nobody": "No municipality gets it: none runs the product in an affected version, and "
        "no recipients are named.",
        "confirm": "Type '/publiser bekreft' to publish, or '/publiser avbryt'.",
        "confirm_label": "TLP:{tlp} must be confirmed by name: type '/publiser bekreft {tlp}', "
        "or '/publiser avbryt'.",
        "nothing": "No preview is waiting. Send '/publiser' with the form first.",
        "wrong_label": "Not published: the notice is TLP:{tlp}. Type '/publiser bekreft {tlp}'.",
        "done": "Published {id} (TLP:{tlp}): {m} deliveries planned to {n} municipalities, "
        "{k} blocked by TLP.",
        "cancelled": "Publishing cancelled. Nothing was sent.",
        "waiting": "A notice waits for confirmation: type '/publiser bekreft' or "
        "'/publiser avbryt'.",
    },
}


def _t(lang: str, key: str, **kw: Any) -> str:
    return TEXT.get(lang, TEXT["nb"])[key].format(**kw)


def parse_form(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        field = FORM_KEYS.get(key.strip().lower())
        if sep and field and value.strip():
            out[field] = value.strip()[:2000]
    return out


def _items(value: str) -> list[str]:
    return [x for x in re.split(r"[,;\s]+", value) if x]


def _problems(form: dict[str, str], lang: str) -> list[str]:
    out = [_t(lang, "missing", field=f) for f, k in (("tittel", "title"), ("tlp", "tlp"), ("tekst", "summary")) if k not in form]  # fmt: skip
    label = form.get("tlp", "").upper().removeprefix("TLP:")
    if "tlp" in form and label not in LABELS:
        out.append(_t(lang, "bad_tlp", value=form["tlp"][:40]))
    out += [_t(lang, "bad_cve", value=c[:40]) for c in _items(form.get("cves", "")) if not CVE_ID.match(c.upper())]  # fmt: skip
    out += [_t(lang, "bad_kommune", value=m[:10]) for m in _items(form.get("municipalities", "")) if not KOMMUNENUMMER.match(m)]  # fmt: skip
    out += [_t(lang, "bad_fylke", value=c[:10]) for c in _items(form.get("counties", "")) if not re.fullmatch(r"\d{2}", c)]  # fmt: skip
    return out


def to_draft(form: dict[str, str], lang: str) -> tuple[Draft | None, list[str]]:
    """The draft of a chat form, or the problems in the operator's language."""
    if problems := _problems(form, lang):
        return None, problems
    raw: dict[str, Any] = {
        "title": form["title"],
        "tlp": form["tlp"].upper().removeprefix("TLP:"),
        "summary": form["summary"],
        "cves": [c.upper() for c in _items(form.get("cves", ""))],
        "exploited": form.get("exploited", "").lower() in YES,
        "actions": [form["actions"]] if form.get("actions") else [],
        "recipients": {
            "municipalities": _items(form.get("municipalities", "")),
            "counties": _items(form.get("counties", "")),
        },
    }
    if form.get("product"):
        product = {"vendor": form.get("vendor") or form["product"], "product": form["product"]}
        raw["products"] = [product | ({"versions": form["versions"]} if "versions" in form else {})]
    try:
        draft = Draft.model_validate(raw)
    except ValidationError as exc:
        return None, [_t(lang, "bad_other", what=exc.errors()[0]["msg"][:120])]
    if check_draft(draft, None, "chat"):
        return None, [_t(lang, "bad_versions", value=form.get("versions", "")[:60])]
    return draft, []


def _counts(outcome: pub.Outcome) -> dict[str, int]:
    subs = {r["subscriber_id"] for r in outcome.deliveries}
    blocked = sum(r["status"] == "blocked" for r in outcome.deliveries)
    return {"n": len(subs), "m": len(outcome.deliveries) - blocked, "k": blocked}


def _preview_text(ctx: Context, outcome: pub.Outcome, lang: str) -> str:
    d = outcome.advisory.draft
    lines = [_t(lang, "preview", title=d.title, tlp=d.tlp, **_counts(outcome))]
    names = {s.id: s.name for s in ctx.config.subscribers}
    for sub in sorted({r["subscriber_id"] for r in outcome.deliveries}):
        rows = [r for r in outcome.deliveries if r["subscriber_id"] == sub]
        k = sum(r["status"] == "blocked" for r in rows)
        blocked = _t(lang, "row_blocked", k=k) if k else ""
        row = _t(lang, "row", sub=sub, name=names.get(sub, ""), prio=rows[0]["priority"], m=len(rows) - k, blocked=blocked)  # fmt: skip
        lines.append(row)
    if not outcome.deliveries:
        lines.append(_t(lang, "nobody"))
    above_green = tlp_of(d.tlp) > TLP.GREEN
    lines.append(_t(lang, "confirm_label", tlp=d.tlp) if above_green else _t(lang, "confirm"))
    return "\n".join(lines)


def operator_name(ctx: Context, cmd: Command) -> str:
    for p in ctx.config.service.operators:
        if p.platform == cmd.platform and p.user_id == cmd.user_id and p.name:
            return p.name
    return f"{cmd.platform}:{cmd.user_id}"


def _preview(ctx: Context, cmd: Command, lang: str, now: datetime) -> Outcome:
    form = parse_form(cmd.text)
    if not form:
        return Outcome(Reply(_t(lang, "form"), ok=False), detail={"step": "usage"})
    draft, problems = to_draft(form, lang)
    if draft is None:
        text = _t(lang, "bad", problems="\n".join(f"– {p}" for p in problems))
        return Outcome(Reply(text, ok=False), "denied", detail={"step": "invalid"})
    who = operator_name(ctx, cmd)
    outcome = pub.dry_run(
        ctx.store,
        lambda s: pub.publish_draft(s, ctx.config, draft, operator=who, now=now),
    )
    data = {"draft": draft.model_dump(mode="json")}
    records.save_conversation(ctx.store, records.Conversation(cmd.platform, cmd.user_id, "", STEP, data), now)  # fmt: skip
    detail = {"step": "preview", "title": draft.title[:80], "tlp": draft.tlp, **_counts(outcome)}
    return Outcome(Reply(_preview_text(ctx, outcome, lang)), detail=detail)


def _confirm(ctx: Context, cmd: Command, lang: str, now: datetime) -> Outcome:
    convo = records.conversation(ctx.store, cmd.platform, cmd.user_id)
    if convo is None or convo["step"] != STEP:
        return Outcome(Reply(_t(lang, "nothing"), ok=False), "denied", detail={"step": "confirm", "why": "nothing"})  # fmt: skip
    draft = Draft.model_validate(convo["data"]["draft"])
    named = cmd.args[1].upper().removeprefix("TLP:") if len(cmd.args) > 1 else ""
    if tlp_of(draft.tlp) > TLP.GREEN and named != draft.tlp:
        reply = Reply(_t(lang, "wrong_label", tlp=draft.tlp), ok=False)
        return Outcome(reply, "denied", detail={"step": "confirm", "why": "tlp_label"})
    outcome = pub.publish_draft(ctx.store, ctx.config, draft, operator=operator_name(ctx, cmd), now=now)  # fmt: skip
    records.end_conversation(ctx.store, cmd.platform, cmd.user_id)
    counts = _counts(outcome)
    text = _t(lang, "done", id=outcome.id, tlp=draft.tlp, **counts)
    return Outcome(Reply(text), detail={"step": "confirm", "id": outcome.id, **counts})


def cancel(ctx: Context, cmd: Command, lang: str) -> Outcome:
    records.end_conversation(ctx.store, cmd.platform, cmd.user_id)
    return Outcome(Reply(_t(lang, "cancelled")), detail={"step": "cancel"})


def waiting(lang: str) -> Outcome:
    """Free text while a notice waits for its confirmation."""
    return Outcome(Reply(_t(lang, "waiting"), ok=False), detail={"step": "waiting"})


def publish_command(ctx: Context, cmd: Command, r: Roles, lang: str, now: datetime) -> Outcome:
    word = cmd.args[0].lower() if cmd.args else ""
    if word in ("bekreft", "confirm"):
        return _confirm(ctx, cmd, lang, now)
    if word in ("avbryt", "cancel"):
        return cancel(ctx, cmd, lang)
    return _preview(ctx, cmd, lang, now)
