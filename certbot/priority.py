"""Priority: how urgent is this case for this municipality, by when, and what to do.

Contract: pure. ``assess`` runs the CERT/CC SSVC deployer tree (`certbot.ssvc`) once per
matched inventory item, applies the confidence cap, and keeps the most urgent item's path;
``decide`` is its `Decision`. Outcomes: Immediate P1, Out-of-cycle P2, Scheduled P3, Defer P4.

Cap (DOMAIN.md): a match that is not confirmed by version ("possibly affected": a product
without version information, or a text-only match) is at most P2, and P2 only with active
exploitation and open exposure; otherwise at most P3. A version confirmed by prose alone is
affected (no cap to P3) but at most P2: P1 needs a structured source or a CVE record.

Deadline: from the priority (``service.priority``: P1 ``p1_hours``, P2 ``p2_days``, P3
``p3_days``, P4 ``p4_days``; default 24 h / 7 d / 30 d / none). A KEV due date is the
deadline CISA gives US federal agencies: a reason line, and the deadline only when
``kev_due_date_is_deadline`` is set (and the date is not past).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from certbot import ssvc
from certbot.actions import ActionContext, actions
from certbot.config import InventoryItem, PriorityConfig, SubscriberConfig
from certbot.model import Case, Decision, Match, Priority
from certbot.render import OSLO

T = {
    "nb": {
        "active": "Sårbarheten utnyttes aktivt",
        "poc": "Det finnes offentlig kjent kode for å utnytte sårbarheten",
        "epss": "EPSS: {score:.0%} sannsynlighet for utnyttelse de neste 30 dagene",
        "ransomware": "Brukes i løsepengevirusangrep",
        "internet": "{item} er eksponert mot internett",
        "small": "{item} er bare tilgjengelig lokalt eller i et strengt kontrollert nett",
        "automatable": "Angrep kan automatiseres (over nettverket, uten pålogging eller "
        "brukerhandling)",
        "critical": "{item} er merket som kritisk",
        "high": "{item} er merket med høy betydning for tjenestene",
        "class": "{item} regnes som viktig for kommunen ({cls})",
        "cvss": "CVSS {score:.1f}",
        "possible": "Mulig berørt: versjon ikke bekreftet",
        "text": "Produktet er nevnt i varselteksten; kontroller om dere er berørt",
        "cap": "Prioriteten er satt til høyst {cap} fordi det ikke er bekreftet at deres "
        "versjon er berørt",
        "prose_cap": "Prioriteten er satt til høyst {cap} fordi bare varselteksten bekrefter "
        "at deres versjon er berørt",
        "kev_due": "CISA har gitt amerikanske etater frist til {date}",
    },
    "en": {
        "active": "The vulnerability is actively exploited",
        "poc": "Exploit code for the vulnerability is public",
        "epss": "EPSS: {score:.0%} probability of exploitation in the next 30 days",
        "ransomware": "Used in ransomware campaigns",
        "internet": "{item} is exposed to the internet",
        "small": "{item} is reachable only locally or on a tightly controlled network",
        "automatable": "Attacks can be automated (over the network, without login or user action)",
        "critical": "{item} is marked as critical",
        "high": "{item} is marked as highly important to services",
        "class": "{item} counts as important to the municipality ({cls})",
        "cvss": "CVSS {score:.1f}",
        "possible": "Possibly affected: version not confirmed",
        "text": "The product is named in the advisory text; check whether you are affected",
        "cap": "The priority is at most {cap} because it is not confirmed that your version "
        "is affected",
        "prose_cap": "The priority is at most {cap} because only the advisory text confirms "
        "that your version is affected",
        "kev_due": "CISA has given US federal agencies a deadline of {date}",
    },
}

PROSE_CAP = "confirmed by prose only"

CLASS_NAMES = {
    "nb": {
        "identity": "identitet og pålogging",
        "perimeter": "VPN, brannmur og nettverksgrense",
        "backup": "sikkerhetskopi",
        "e-mail": "e-post",
        "health and care": "helse og omsorg",
    },
    "en": {},
}


@dataclass(frozen=True, slots=True)
class Path:
    """One item's way through the tree: the points, the tree's outcome, the cap."""

    item: str
    points: tuple[ssvc.Point, ...]
    outcome: str  # the tree's outcome
    tree_priority: Priority
    priority: Priority  # after the cap
    cap: str | None  # why the priority was capped, for `explain`; None when not capped


@dataclass(frozen=True, slots=True)
class Assessment:
    decision: Decision
    path: Path | None  # the deciding item's path; None when nothing matched
    paths: tuple[Path, ...]


def is_possible(match: Match) -> bool:
    """Not confirmed by version: "possibly affected" (a product without version information,
    a range still under investigation, or a text-only hit without versions)."""
    return not match.confirmed


def cap_for(points: tuple[ssvc.Point, ...]) -> Priority:
    """The most urgent priority a "possibly affected" match may get."""
    active = points[0].value == "active" and points[1].value == "open"
    return Priority.P2 if active else Priority.P3


def item_path(case: Case, match: Match, item: InventoryItem, cfg: PriorityConfig) -> Path:
    """The SSVC path for one matched item, with the confidence cap applied."""
    pts = ssvc.points(case, item, cfg.poc_epss)
    out = ssvc.outcome(*(p.value for p in pts))
    tree = ssvc.OUTCOME_PRIORITY[out]
    prio, cap = tree, None
    if is_possible(match):
        limit = cap_for(pts)
        if tree < limit:
            prio = limit
            cap = (
                f"{match.rule} match ({match.confidence} confidence) is possibly affected: "
                f"{tree.name} capped to {limit.name}"
            )
    elif match.version_source == "prose" and tree == Priority.P1:
        # Issue 11.8: P1 only where a structured source or a CVE record confirms the version.
        prio = Priority.P2
        cap = f"{PROSE_CAP} (no structured source or CVE record): P1 capped to P2"
    return Path(match.item, pts, out, tree, prio, cap)


def deadline(case: Case, priority: Priority, cfg: PriorityConfig, now: datetime) -> datetime | None:
    """The municipality's deadline for this priority (KEV due date only when configured)."""
    if cfg.kev_due_date_is_deadline and case.due_date is not None and priority <= Priority.P2:
        due = datetime.combine(case.due_date, time(23, 59), OSLO).astimezone(UTC)
        if due > now:
            return due
    if priority == Priority.P1:
        return now + timedelta(hours=cfg.p1_hours)
    days = {Priority.P2: cfg.p2_days, Priority.P3: cfg.p3_days, Priority.P4: cfg.p4_days}
    n = days[priority]
    return now + timedelta(days=n) if n else None


def _point_reasons(
    case: Case, path: Path, item: InventoryItem, t: dict[str, str], lang: str
) -> list[str]:
    """One line per decision point that raised the priority, in the reader's language."""
    expl, expo, auto, impact = path.points
    out: list[str] = []
    if expl.value == "active":
        out.append(t["active"])
    elif expl.source.startswith("EPSS") and case.epss is not None:
        out.append(t["epss"].format(score=case.epss))
    elif expl.value == "poc":
        out.append(t["poc"])
    if case.ransomware:
        out.append(t["ransomware"])
    if expo.value in ("open", "small"):
        out.append(t["internet" if expo.value == "open" else "small"].format(item=item.display))
    if auto.value == "yes":
        out.append(t["automatable"])
    if impact.source.startswith("inventory") and item.criticality in ("critical", "high"):
        out.append(t[item.criticality].format(item=item.display))
    elif (cls := ssvc.product_class(item)) is not None and impact.source.startswith("municipal"):
        name = CLASS_NAMES.get(lang, {}).get(cls[0], cls[0])
        out.append(t["class"].format(item=item.display, cls=name))
    return out


def _reasons(case: Case, path: Path, ctx: ActionContext, t: dict[str, str]) -> list[str]:
    item = next(i for i, m in zip(ctx.items, ctx.matches, strict=True) if m.item == path.item)
    out = _point_reasons(case, path, item, t, ctx.lang)
    if case.cvss:
        out.append(t["cvss"].format(score=case.cvss))
    if all(m.rule == "text" and is_possible(m) for m in ctx.matches):
        out.append(t["text"])
    elif all(is_possible(m) for m in ctx.matches):
        out.append(t["possible"])
    if path.cap is not None:
        key = "prose_cap" if path.cap.startswith(PROSE_CAP) else "cap"
        out.append(t[key].format(cap=path.priority.name))
    if case.due_date is not None:
        shown = case.due_date.strftime("%d.%m.%Y" if ctx.lang == "nb" else "%Y-%m-%d")
        out.append(t["kev_due"].format(date=shown))
    return out


def assess(
    case: Case, matches: list[Match], sub: SubscriberConfig, cfg: PriorityConfig, now: datetime
) -> Assessment:
    """The decision for one case and one municipality, with every item's path."""
    lang = sub.language if sub.language in T else "en"
    t = T[lang]
    items = [sub.inventory[m.item_index] for m in matches]
    paths = tuple(item_path(case, m, i, cfg) for m, i in zip(matches, items, strict=True))
    best = min(paths, key=lambda p: p.priority) if paths else None
    priority = best.priority if best else Priority.P4
    due = deadline(case, priority, cfg, now)
    ctx = ActionContext(case, matches, items, priority, due, lang)
    reasons = _reasons(case, best, ctx, t) if best else []
    steps = actions(ctx)
    return Assessment(Decision(priority, due, tuple(reasons), tuple(steps)), best, paths)


def decide(
    case: Case, matches: list[Match], sub: SubscriberConfig, cfg: PriorityConfig, now: datetime
) -> Decision:
    """The priority, deadline, reasons and actions for one case and one municipality."""
    return assess(case, matches, sub, cfg, now).decision
