"""Building the `Notification` a municipality's target gets for a planned alert or update.

Pure: reads the `PlanContext` and the target, returns the notification. Title and summary
come in the municipality's own language where a source speaks it; change codes become
sentences in that language (`CHANGE_TEXT`).
"""

from __future__ import annotations

from collections.abc import Callable

from certbot.config import TargetConfig
from certbot.model import Case, Notification
from certbot.planning.context import PlanContext
from certbot.planning.evidence import with_evidence

CHANGE_TEXT = {
    "nb": {
        "exploited": "Sårbarheten er nå kjent utnyttet",
        "severity_up": "Alvorlighetsgraden er økt",
        "new_products": "Flere produkter er berørt",
        "remediation_changed": "Rettelse eller tiltak er endret",
        "withdrawn": "Varselet er trukket tilbake av kilden",
        "tlp_changed": "TLP-merkingen er endret",
        "priority_up": "Prioriteten er økt for dere",
        "new_items": "Flere av deres produkter er berørt",
    },
    "en": {
        "exploited": "The vulnerability is now known to be exploited",
        "severity_up": "The severity has increased",
        "new_products": "More products are affected",
        "remediation_changed": "The fix or mitigation has changed",
        "withdrawn": "The advisory has been withdrawn by its source",
        "tlp_changed": "The TLP marking has changed",
        "priority_up": "The priority has increased for you",
        "new_items": "More of your products are affected",
    },
}


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
        title=primary.title,
        case_id=case.id,
        revision=case.revision,
        cves=list(case.cves),
        deadline=decision.deadline if decision else None,
        matched=with_evidence([m.summary() for m in ctx.matches], lang, _languages(case)),
        reasons=list(decision.reasons) if decision else [],
        actions=list(decision.actions) if decision else [],
        links=case.urls[:5],
        summary=primary.summary[:1500],
        changes=[CHANGE_TEXT.get(lang, CHANGE_TEXT["en"]).get(c, c) for c in ctx.changes],
        extra={
            "sources": case.sources,
            "exploited": case.exploited,
            "tlp_unknown": case.tlp is None,
        },
    )


def _languages(case: Case) -> Callable[[str], str]:
    """source id -> the language its advisory in this case is written in ("en" by default)."""
    langs = {a.source: a.language for a in case.advisories if a.language}
    return lambda source: langs.get(source, "en")
