"""`explain`: for one case, which municipalities it concerns, by which rule, from which source
and product entry, at which priority and why. Re-runs matching against the configuration as
it is now, and lists what was actually delivered.

The priority part is the SSVC decision path of the deciding inventory item: each decision
point with its value and source ("Exploitation: active (CISA KEV)"), the tree's outcome and
priority, and the confidence cap when one applied. Labels are English (operators read it).

Each item's verdict (affected / possibly affected / not affected) names the source that
decided it and its evidence ("decided by CVE record (Fortinet): 7.2.0 ≤ v ≤ 7.2.6"); a
municipality whose items a source excludes is listed as "not affected (nothing sent)"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from certbot.config import Config, SubscriberConfig
from certbot.match import Matcher
from certbot.model import Match
from certbot.priority import Path, assess
from certbot.prose import split_detail
from certbot.render import RULE_NAMES, fmt_time
from certbot.store import Store


def explain(
    store: Store, config: Config, ident: str, *, subscriber: str | None, now: datetime
) -> dict[str, Any] | None:
    case = store.load_case(ident)
    if case is None:
        return None
    excluded: dict[tuple[str, int], Match] = {}
    kinds = {f.id: f.kind for f in config.feeds}
    matches = Matcher(config.subscribers, kinds).match(case, excluded)
    out: dict[str, Any] = {
        "case": case.id,
        "title": case.title,
        "revision": case.revision,
        "cves": list(case.cves),
        "tlp": case.tlp.label if case.tlp is not None else "unknown (routed as TLP:RED)",
        "exploited": case.exploited,
        "cvss": case.cvss,
        "epss": case.epss,
        "sources": [{"feed": a.source, "id": a.source_id, "url": a.url} for a in case.advisories],
        "cvss_notes": [
            f"{a.source}:{a.source_id}: {a.extra['cvss_note']}"
            for a in case.advisories
            if a.extra.get("cvss_note")
        ],
        "municipalities": [],
    }
    for sub in config.subscribers:
        if subscriber and sub.id != subscriber:
            continue
        ms = matches.get(sub.id)
        nots = [_match_json(m) for (sid, _), m in sorted(excluded.items()) if sid == sub.id]
        if not ms:
            if nots:
                out["municipalities"].append(_not_affected(store, case.id, sub, nots))
            continue
        a = assess(case, ms, sub, config.service.priority, now)
        d = a.decision
        deliveries = store.case_deliveries(case.id, sub.id)
        out["municipalities"].append(
            {
                "id": sub.id,
                "name": sub.name,
                "priority": d.priority.name,
                "deadline": d.deadline.isoformat() if d.deadline else None,
                "reasons": list(d.reasons),
                "actions": list(d.actions),
                "verdict": "affected" if any(m.confirmed for m in ms) else "possibly affected",
                "matches": [_match_json(m) for m in ms],
                "not_affected": nots,
                "decision_path": _path_json(a.path),
                "deliveries": deliveries,
            }
        )
    return out


def _match_json(m: Match) -> dict[str, Any]:
    return {**m.summary(), "decided_by": m.decided_by or None}


def _not_affected(
    store: Store, case_id: str, sub: SubscriberConfig, nots: list[dict[str, Any]]
) -> dict[str, Any]:
    """A municipality whose items a source excludes: nothing is sent; the evidence is shown."""
    return {
        "id": sub.id,
        "name": sub.name,
        "verdict": "not affected",
        "priority": None,
        "deadline": None,
        "reasons": [],
        "actions": [],
        "matches": [],
        "not_affected": nots,
        "decision_path": None,
        "deliveries": store.case_deliveries(case_id, sub.id),
    }


VERDICT_TEXT = {"confirmed": "affected", "possible": "possibly affected"}


def _format_match(x: dict[str, Any]) -> list[str]:
    detail, sentence = split_detail(x["detail"])
    lines = [
        f"  - {x['item']}: rule {x['rule']} ({RULE_NAMES['en'][x['rule']]}), "
        f"confidence {x['confidence']}; from {x['source']} entry {x['entry']}"
        + (f"; {detail}" if detail else "")
    ]
    if sentence:
        lines.append(f"    evidence (the advisory's sentence): {sentence}")
    verdict = VERDICT_TEXT.get(x.get("affected") or "", x.get("affected"))
    by = x.get("decided_by")
    lines.append(
        f"    verdict: {verdict}" + (f"; decided by {by}" if by else "; no source gives versions")
    )
    return lines


def _format_not_affected(x: dict[str, Any]) -> str:
    detail, _ = split_detail(x["detail"])
    return (
        f"  - {x['item']}: not affected ({detail}); decided by {x.get('decided_by')}"
        f" (from {x['source']} entry {x['entry']})"
    )


def _path_json(p: Path | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "item": p.item,
        "points": [{"point": x.name, "value": x.value, "source": x.source} for x in p.points],
        "outcome": p.outcome,
        "tree_priority": p.tree_priority.name,
        "priority": p.priority.name,
        "cap": p.cap,
    }


POINT_LABELS = {
    "exploitation": "Exploitation",
    "exposure": "Exposure",
    "automatable": "Automatable",
    "human_impact": "Human impact",
}


def _format_path(p: dict[str, Any]) -> list[str]:
    lines = [f"  decision (SSVC deployer tree) for {p['item']}:"]
    for x in p["points"]:
        lines.append(f"    {POINT_LABELS[x['point']]}: {x['value']} ({x['source']})")
    lines.append(f"    Outcome: {p['outcome']} -> {p['tree_priority']}")
    if p["cap"]:
        lines.append(f"    Cap: {p['cap']}")
    return lines


def format_explain(r: dict[str, Any]) -> str:
    lines = [
        f"{r['case']} (revision {r['revision']}): {r['title']}",
        f"  TLP {r['tlp']}; exploited: {'yes' if r['exploited'] else 'no'}; "
        f"CVSS: {r['cvss'] if r['cvss'] is not None else '-'}; EPSS: {r['epss'] if r['epss'] is not None else '-'}",
        f"  CVEs: {', '.join(r['cves']) or '-'}",
        "  sources: " + "; ".join(f"{s['feed']}:{s['id']}" for s in r["sources"]),
    ]
    for note in r.get("cvss_notes", ()):
        lines.append(f"  CVSS from the vector, not the stated score: {note}")
    if not r["municipalities"]:
        lines.append("\nNo municipality's inventory matches this advisory.")
    for m in r["municipalities"]:
        if m["priority"] is None:
            lines.append(f"\n{m['id']} {m['name']}: not affected (nothing sent)")
            lines.extend(_format_not_affected(x) for x in m["not_affected"])
            continue
        lines.append(
            f"\n{m['id']} {m['name']}: {m['priority']} ({m['verdict']})"
            + (
                f", deadline {fmt_time(datetime.fromisoformat(m['deadline']), 'en')}"
                if m["deadline"]
                else ""
            )
        )
        for x in m["matches"]:
            lines.extend(_format_match(x))
        lines.extend(_format_not_affected(x) for x in m.get("not_affected", ()))
        if m.get("decision_path"):
            lines.extend(_format_path(m["decision_path"]))
        lines.append("  why: " + "; ".join(m["reasons"]) if m["reasons"] else "  why: matched")
        for d in m["deliveries"]:
            lines.append(
                f"  delivery {d['id']} -> {d['target_id']} ({d['channel']}): {d['status']}"
            )
    return "\n".join(lines)
