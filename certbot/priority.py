"""Priority: how urgent is this case for this municipality, by when, and what to do.

Pure. The default model (DOMAIN.md "Priority"; thresholds in ``service.priority``):

- P1 "Handle nå": exploited and (internet-facing or critical item or CVSS >= 9); or
  CVSS >= 9 and internet-facing.
- P2 "Snarlig": exploited, or CVSS >= 7, or EPSS >= 0.1.
- P3 "Planlagt": CVSS >= 4.
- P4 "Til orientering": everything else that matched.

Deadline: the KEV due date, else P1 = 24 h and P2 = 7 days. A text-only match ("possibly
affected" through prose) is never raised above P2 on its own: the municipality is told to
check, not to drop everything.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from certbot.config import PriorityConfig, SubscriberConfig
from certbot.model import Case, Decision, Match, Priority
from certbot.render import OSLO

T = {
    "nb": {
        "exploited": "Sårbarheten utnyttes aktivt",
        "ransomware": "Brukes i løsepengevirusangrep",
        "internet": "{item} er eksponert mot internett",
        "critical": "{item} er merket som kritisk",
        "cvss": "CVSS {score:.1f}",
        "epss": "EPSS {score:.0%} sannsynlighet for utnyttelse",
        "possible": "Mulig berørt: versjon ikke bekreftet",
        "text": "Produktet er nevnt i varselteksten; kontroller om dere er berørt",
        "fix": "Installer leverandørens rettelse{version}",
        "fix_version": " (versjon {v} eller nyere)",
        "p1_isolate": "Vurder å koble {item} fra internett til rettelsen er installert",
        "p1_hunt": "Se etter tegn på kompromittering (logger, nye kontoer, ukjente filer)",
        "p1_report": "Meld fra til sektorresponsmiljøet med «hendelse» hvis dere finner spor",
        "p2_plan": "Planlegg oppdatering denne uken",
        "p3_plan": "Ta med i neste planlagte oppdateringsrunde",
        "p4_info": "Til orientering; ingen handling kreves nå",
        "check_version": "Bekreft hvilken versjon dere kjører av {item}",
        "workaround": "Midlertidig tiltak: {text}",
        "mitigation": "Risikoreduserende tiltak: {text}",
        "none_available": "Leverandøren har ingen rettelse ennå; bruk tiltakene over og følg med",
        "no_fix_planned": "Leverandøren planlegger ingen rettelse; vurder å erstatte eller isolere produktet",
        "kev": "CISA krever: {text}",
    },
    "en": {
        "exploited": "The vulnerability is actively exploited",
        "ransomware": "Used in ransomware campaigns",
        "internet": "{item} is exposed to the internet",
        "critical": "{item} is marked as critical",
        "cvss": "CVSS {score:.1f}",
        "epss": "EPSS {score:.0%} probability of exploitation",
        "possible": "Possibly affected: version not confirmed",
        "text": "The product is named in the advisory text; check whether you are affected",
        "fix": "Install the vendor's fix{version}",
        "fix_version": " (version {v} or later)",
        "p1_isolate": "Consider disconnecting {item} from the internet until the fix is installed",
        "p1_hunt": "Look for signs of compromise (logs, new accounts, unknown files)",
        "p1_report": "Report to the sector response team with 'incident' if you find traces",
        "p2_plan": "Plan the update this week",
        "p3_plan": "Include in the next planned patch cycle",
        "p4_info": "For information; no action needed now",
        "check_version": "Confirm which version of {item} you run",
        "workaround": "Workaround: {text}",
        "mitigation": "Mitigation: {text}",
        "none_available": "The vendor has no fix yet; apply the measures above and keep watching",
        "no_fix_planned": "The vendor plans no fix; consider replacing or isolating the product",
        "kev": "CISA requires: {text}",
    },
}


def decide(
    case: Case,
    matches: list[Match],
    sub: SubscriberConfig,
    cfg: PriorityConfig,
    now: datetime,
) -> Decision:
    lang = sub.language if sub.language in T else "en"
    t = T[lang]
    items = [sub.inventory[m.item_index] for m in matches]
    exposed = [i for i in items if i.internet_facing]
    critical = [i for i in items if i.criticality == "critical"]
    cvss = case.cvss or 0.0
    epss = case.epss or 0.0
    text_only = all(m.rule == "text" for m in matches)
    reasons: list[str] = []
    if case.exploited:
        reasons.append(t["exploited"])
    if case.ransomware:
        reasons.append(t["ransomware"])
    if exposed:
        reasons.append(t["internet"].format(item=exposed[0].display))
    if critical:
        reasons.append(t["critical"].format(item=critical[0].display))
    if cvss:
        reasons.append(t["cvss"].format(score=cvss))
    if epss >= cfg.p2_epss:
        reasons.append(t["epss"].format(score=epss))

    if (case.exploited and (exposed or critical or cvss >= cfg.p1_cvss)) or (
        cvss >= cfg.p1_cvss and exposed
    ):
        priority = Priority.P1
    elif case.exploited or cvss >= cfg.p2_cvss or epss >= cfg.p2_epss:
        priority = Priority.P2
    elif cvss >= cfg.p3_cvss:
        priority = Priority.P3
    else:
        priority = Priority.P4
    if text_only and priority == Priority.P1:
        priority = Priority.P2
    if text_only:
        reasons.append(t["text"])
    elif all(m.rule in ("product_no_version", "text") for m in matches):
        reasons.append(t["possible"])

    deadline = _deadline(case, priority, cfg, now)
    return Decision(
        priority, deadline, tuple(reasons), tuple(_actions(case, matches, items, priority, t))
    )


def _deadline(
    case: Case, priority: Priority, cfg: PriorityConfig, now: datetime
) -> datetime | None:
    if case.due_date is not None and priority <= Priority.P2:
        # End of the due day, Oslo time; a due date already past (an old KEV entry newly
        # matched) would be a deadline nobody can meet, so the default applies instead.
        due = datetime.combine(case.due_date, time(23, 59), OSLO).astimezone(UTC)
        if due > now:
            return due
    if priority == Priority.P1:
        return now + timedelta(hours=cfg.p1_hours)
    if priority == Priority.P2:
        return now + timedelta(days=cfg.p2_days)
    return None


def _actions(
    case: Case, matches: list[Match], items: list, priority: Priority, t: dict[str, str]
) -> list[str]:
    out: list[str] = []
    first = items[0].display if items else ""
    if any(m.rule in ("text", "product_no_version") for m in matches):
        out.append(t["check_version"].format(item=first))
    fixes = [r for r in case.remediations if r.category == "vendor_fix"]
    if fixes:
        versions = sorted({r.fixed_version for r in fixes if r.fixed_version})
        v = t["fix_version"].format(v=", ".join(versions)) if versions else ""
        vendor_words = next((r.text for r in fixes if r.text), "")
        out.append(
            t["fix"].format(version=v)
            + (f": {vendor_words[:300]}" if vendor_words and not versions else "")
        )
    for r in case.remediations:
        if r.category in ("workaround", "mitigation") and r.text:
            out.append(t[r.category].format(text=r.text[:500]))
        elif r.category in ("none_available", "no_fix_planned") and not fixes:
            out.append(t[r.category] + (f" ({r.text[:200]})" if r.text else ""))
        elif r.category == "required_action" and r.text:
            out.append(t["kev"].format(text=r.text[:500]))
    if priority == Priority.P1:
        if any(i.internet_facing for i in items):
            exposed = next(i for i in items if i.internet_facing)
            out.append(t["p1_isolate"].format(item=exposed.display))
        out.append(t["p1_hunt"])
        out.append(t["p1_report"])
    elif priority == Priority.P2:
        out.append(t["p2_plan"])
    elif priority == Priority.P3:
        out.append(t["p3_plan"])
    else:
        out.append(t["p4_info"])
    return list(dict.fromkeys(out))
