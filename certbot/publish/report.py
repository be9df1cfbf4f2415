"""What ``publish`` prints: per municipality and target, the priority with its decision path
and each TLP decision, blocked targets included; and why nobody gets it when nobody does.

Contract: pure. `format_outcome(config, outcome)` returns the lines for the operator (English,
like the rest of the command line; the advisory's own words as written). `why_nobody(config,
outcome)` explains 0 recipients: which products no municipality runs, which run outside the
affected range, and that no explicit recipient was named.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from certbot.config import Config, TargetConfig
from certbot.levels import TLP, Priority
from certbot.publish.publish import Outcome

STATUS = {
    "pending": "planned, sent now",
    "digest": "held for the digest",
    "blocked": "BLOCKED",
}


def _targets(config: Config) -> dict[tuple[str, str], TargetConfig]:
    return {(s.id, t.id): t for s in config.subscribers for t in s.targets}


def _delivery_line(row: dict[str, Any], target: TargetConfig | None) -> str:
    tlp = TLP(row["tlp"]).label
    clearance = target.tlp_max.label if target else "?"
    where = f"{row['target_id']} ({row['channel']})"
    if row["status"] == "blocked":
        return f"    {where}: TLP: blocked: {row['last_error']}"
    when = STATUS.get(row["status"], row["status"])
    if row["status"] == "pending" and row.get("next_attempt_at"):
        when = f"planned, after quiet hours ({row['next_attempt_at']})"
    elif row["status"] == "digest" and row.get("due_at"):
        when = f"held for the digest due {row['due_at']}"
    return f"    {where}: TLP: {tlp} allowed (clearance {clearance}); {row['kind']} {when}"


def _skipped(config: Config, sub_id: str, priority: int, planned: set[str]) -> list[str]:
    sub = next((s for s in config.subscribers if s.id == sub_id), None)
    out = []
    for t in sub.targets if sub else ():
        if t.id not in planned:
            out.append(
                f"    {t.id} ({t.kind}): not planned: P{priority} is below the target's "
                f"min_priority {Priority(t.min_priority).name}"
            )
    return out


def _municipality(
    config: Config, outcome: Outcome, sub_id: str, rows: list[dict[str, Any]]
) -> list[str]:
    n = json.loads(rows[0]["notification"])
    targets = _targets(config)
    prio = rows[0]["priority"]
    lines = [f"{sub_id} {n['subscriber_name']}: P{prio} ({rows[0]['kind']})"]
    for m in n.get("matched", []):
        lines.append(f"  matched: {m['item']} by {m['rule']} ({m['confidence']}): {m['detail']}")
    lines += outcome.paths.get(sub_id, [])
    lines += [f"  why P{prio}: {r}" for r in n.get("reasons", [])]
    lines += [f"  change: {c}" for c in n.get("changes", [])]
    lines.append("  targets:")
    lines += [_delivery_line(r, targets.get((sub_id, r["target_id"]))) for r in rows]
    lines += _skipped(config, sub_id, prio, {r["target_id"] for r in rows})
    return lines


def why_nobody(config: Config, outcome: Outcome) -> list[str]:
    d = outcome.advisory.draft
    if outcome.action == "withdrawn":
        return ["nobody was alerted about it before, so nobody is told of the withdrawal"]
    out = []
    for p in d.products:
        names = {p.product.casefold()}
        runs = [
            f"{s.id} {s.name} ({i.version or i.versions or 'no version'})"
            for s in config.subscribers
            for i in s.inventory
            if names & {i.product.casefold(), *(a.casefold() for a in i.aliases)}
        ]
        what = f"{p.vendor} {p.product} {p.versions or '(every version)'}"
        if runs:
            out.append(f"{what}: run by {', '.join(runs)}, but no declared version is affected")
        else:
            out.append(f"{what}: no municipality's inventory has this product")
    if not d.products:
        out.append("the draft names no affected products")
    if not (d.recipients.municipalities or d.recipients.counties):
        out.append("the draft names no explicit recipients (recipients: municipalities/counties)")
    return out


def format_outcome(config: Config, outcome: Outcome) -> list[str]:
    adv, d = outcome.advisory, outcome.advisory.draft
    head = "DRY RUN (nothing written): " if outcome.dry_run else ""
    verb = {"published": "published", "revised": "revised", "withdrawn": "withdrew"}
    if outcome.action == "unchanged":
        return [
            f"{head}{adv.id} revision {adv.revision} is already published with exactly this "
            "content: nothing changed, nothing sent"
        ]
    lines = [
        f"{head}{verb[outcome.action]} {adv.id} revision {adv.revision}: {d.title} "
        f"(TLP:{d.tlp}){' by ' + adv.history[-1].operator if adv.history[-1].operator else ''}"
    ]
    lines += [f"warning: {w}" for w in outcome.warnings]
    lines += [f"what changed: {c}" for c in outcome.changes]
    lines += [f"warning: recipient not configured: {u}" for u in outcome.unknown_recipients]
    if not outcome.material:
        lines.append(
            "the change is not material for the municipalities (text only): the revision is "
            "recorded, no update is sent"
        )
        return lines
    by_sub: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in outcome.deliveries:
        by_sub[row["subscriber_id"]].append(row)
    if outcome.case_id:
        lines.append(f"case {outcome.case_id}")
    for sub_id in sorted(by_sub):
        lines += _municipality(config, outcome, sub_id, by_sub[sub_id])
    sending = sum(r["status"] != "blocked" for r in outcome.deliveries)
    blocked = len(outcome.deliveries) - sending
    lines.append(
        f"{len(by_sub)} municipalities, {sending} deliveries "
        f"{'would be ' if outcome.dry_run else ''}planned, {blocked} blocked by TLP"
    )
    if not by_sub:
        lines += [f"0 recipients: {why}" for why in why_nobody(config, outcome)]
    elif not outcome.dry_run:
        lines.append("the running service sends them (or the next 'poll --once')")
    return lines
