"""Building the `Notification` a municipality's target gets for a planned alert or update.

Pure: reads the `PlanContext` and the target, returns the notification. Title and summary
come in the municipality's own language where a source speaks it; a summary in another
language is shown as a labelled quote (`quoted_summary`); change codes become
sentences in that language, as a diff against the last notification where the change is
known (`certbot.planning.diff`).
"""

from __future__ import annotations

from collections.abc import Callable

from certbot.actions import LANGUAGE_NAMES
from certbot.config import TargetConfig
from certbot.model import Case, Notification
from certbot.planning.context import PlanContext
from certbot.planning.diff import CHANGE_TEXT, change_lines, snapshot
from certbot.planning.evidence import with_evidence

__all__ = ["CHANGE_TEXT", "build_notification", "quoted_summary"]

SUMMARY_LABEL = {
    "nb": "Kildens tekst ({language}): «{text}»",
    "en": "Source text ({language}): “{text}”",
}
NORWEGIAN = {"nb", "nn", "no"}
# A title where no source speaks the municipality's language (KEV's English
# "vulnerabilityName"): built from the product and the CVE, never left in another language.
OWN_TITLE = {
    "nb": {True: "Aktivt utnyttet sårbarhet i {product}{cve}", False: "Sårbarhet i {product}{cve}",
           "and": " og ", "more": " m.fl."},
    "en": {True: "Actively exploited vulnerability in {product}{cve}",
           False: "Vulnerability in {product}{cve}", "and": " and ", "more": " et al."},
}  # fmt: skip


def quoted_summary(text: str, source: str, lang: str) -> str:
    """The source's summary as it is where it speaks the municipality's language; otherwise
    a labelled quote ("Kildens tekst (engelsk): «…»"), so no English stands unmarked in a
    bokmål message (KEV's summaries are English). Bokmål and nynorsk need no label."""
    text = text.strip()
    if not text or _speaks(source, lang):
        return text
    names = LANGUAGE_NAMES.get(lang, LANGUAGE_NAMES["en"])
    label = SUMMARY_LABEL.get(lang, SUMMARY_LABEL["en"])
    clean = text.replace("»", "”").replace("“", '"').replace("”", '"') if lang == "nb" else text
    return label.format(language=names.get(source, source), text=clean)


def build_notification(ctx: PlanContext, target: TargetConfig, did: str) -> Notification:
    case, sub, decision = ctx.case, ctx.sub, ctx.decision
    lang = sub.language
    # Title and summary in the municipality's own language where a source speaks it (NSM's
    # bokmål text rather than KEV's English for the same CVE).
    own = [a for a in case.advisories if a.language == lang and a.title]
    primary = own[0] if own else case.primary
    return Notification(
        delivery_id=did,
        kind=ctx.kind,  # type: ignore[arg-type]
        language=lang,
        subscriber_id=sub.id,
        subscriber_name=sub.name,
        target_id=target.id,
        tlp=case.effective_tlp,
        priority=ctx.priority,
        title=_title(ctx, primary.title if _speaks(primary.language, lang) else None),
        case_id=case.id,
        revision=case.revision,
        cves=list(case.cves),
        deadline=decision.deadline if decision else None,
        matched=with_evidence([m.summary() for m in ctx.matches], lang, _languages(case)),
        reasons=list(decision.reasons) if decision else [],
        actions=list(decision.actions) if decision else [],
        links=case.urls[:5],
        summary=quoted_summary(primary.summary[:1500], primary.language, lang),
        changes=change_lines(ctx, ctx.previous) if ctx.kind == "update" else [],
        extra={
            "sources": case.sources,
            "exploited": case.exploited,
            "tlp_unknown": case.tlp is None,
            "state": snapshot(ctx),  # what the next update's diff compares against
        },
    )


def _speaks(source: str, lang: str) -> bool:
    """Text in ``source``'s language reads as the municipality's own (bokmål and nynorsk
    alike)."""
    return source == lang or {source, lang} <= NORWEGIAN


def _title(ctx: PlanContext, own: str | None) -> str:
    """The source's title where it speaks the municipality's language; otherwise one in that
    language from the products the municipality declared (as it names them) and the CVE:
    "Aktivt utnyttet sårbarhet i Citrix NetScaler ADC (CVE-2025-5777)"."""
    if own:
        return own
    case, words = ctx.case, OWN_TITLE.get(ctx.sub.language, OWN_TITLE["en"])
    names: list[str] = []
    for m in ctx.matches:
        item = ctx.sub.inventory[m.item_index]
        name = _product_name(item.vendor, item.product)
        if name not in names:
            names.append(name)
    if not names:
        names = [_product_name(p.vendor, p.product) for _, p in case.products[:1]]
    product = words["and"].join(names[:2]) + (str(words["more"]) if len(names) > 2 else "")
    cve = ""
    if case.cves:
        cve = f" ({case.cves[0]}{words['more'] if len(case.cves) > 1 else ''})"
    template = str(words[bool(case.exploited)])
    return template.format(product=product or case.title, cve=cve)


def _product_name(vendor: str, product: str) -> str:
    """'Citrix NetScaler ADC'; the vendor once ('Fortinet FortiOS', not 'Fortinet Fortinet
    FortiOS')."""
    if not vendor or product.lower().startswith(vendor.lower()):
        return product or vendor
    return f"{vendor} {product}"


def _languages(case: Case) -> Callable[[str], str]:
    """source id -> the language its advisory in this case is written in ("en" by default)."""
    langs = {a.source: a.language for a in case.advisories if a.language}
    return lambda source: langs.get(source, "en")
