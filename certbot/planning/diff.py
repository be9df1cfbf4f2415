"""What changed for a municipality since its last message about a case, as a diff.

Contract: pure. ``snapshot(ctx)`` is what a notification remembers of itself (priority, the
fixed version and the affected range per matched item), stored in ``Notification.extra``;
``change_lines(ctx, before)`` compares the current plan with the snapshot of the last planned
notification and returns the sentences an update shows: "Prioritet: P3 → P1 (nå kjent
utnyttet)", "Rettet versjon for 7.2-grenen: 7.2.7", "Berørte versjoner utvidet: 7.4.0 til før
7.4.3", "Varselet er trukket tilbake av kilden". A change code that no diff line explains keeps
its sentence from `CHANGE_TEXT`; "Rettelse eller tiltak er endret" appears only where the
fixed version is unchanged (a new workaround, say).
"""

from __future__ import annotations

import re
from typing import Any

from certbot.actions import branch, fixed_for_branch, human_range
from certbot.model import Case, Match
from certbot.planning.context import PlanContext

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
DIFF_TEXT = {
    "nb": {
        "priority": "Prioritet: P{old} → P{new}",
        "fixed_branch": "Rettet versjon for {branch}-grenen: {fixed}",
        "fixed_item": "Rettet versjon for {item}: {fixed}",
        "range_wider": "Berørte versjoner utvidet: {range}",
        "range_changed": "Berørte versjoner endret: {range}",
        "why_exploited": "nå kjent utnyttet",
        "why_severity": "høyere alvorlighetsgrad",
        "why_items": "flere av deres produkter er berørt",
    },
    "en": {
        "priority": "Priority: P{old} → P{new}",
        "fixed_branch": "Fixed version for the {branch} branch: {fixed}",
        "fixed_item": "Fixed version for {item}: {fixed}",
        "range_wider": "Affected versions widened: {range}",
        "range_changed": "Affected versions changed: {range}",
        "why_exploited": "now known to be exploited",
        "why_severity": "higher severity",
        "why_items": "more of your products are affected",
    },
}
_IN_RANGE = re.compile(r"(?:^|; )\S+(?: \(.*\))? in (vers:\S+)")


def _fixed_candidates(case: Case, names: set[str]) -> list[str]:
    out = [r.fixed_version for r in case.remediations if r.fixed_version]
    out += [
        p.fixed_version for _, p in case.products if p.fixed_version and p.product.lower() in names
    ]
    return [v for v in out if v]


def snapshot(ctx: PlanContext) -> dict[str, Any]:
    """What the next update compares against: priority, and per matched item its declared
    version, the fixed version for its branch and the range it matched."""
    items: dict[str, dict[str, str | None]] = {}
    for m in ctx.matches:
        items[m.item] = _item_state(ctx, m)
    return {"priority": int(ctx.priority), "items": items}


def _item_state(ctx: PlanContext, m: Match) -> dict[str, str | None]:
    inv = ctx.sub.inventory
    item = inv[m.item_index] if 0 <= m.item_index < len(inv) else None
    declared = item.version if item is not None else None
    fixed = None
    if item is not None and declared:
        names = {item.product.lower(), *(a.lower() for a in item.aliases)}
        fixed = fixed_for_branch(declared, _fixed_candidates(ctx.case, names))
    found = _IN_RANGE.search(m.detail)
    return {"declared": declared, "fixed": fixed, "range": found.group(1) if found else None}


def ranges_moved(ctx: PlanContext, before: dict[str, Any] | None) -> bool:
    """Has the range any matched item falls in changed since the last notification?"""
    old_items: dict[str, dict[str, Any]] = (before or {}).get("items", {})
    for name, state in snapshot(ctx)["items"].items():
        old = old_items.get(name)
        if old and state["range"] and old.get("range") and state["range"] != old["range"]:
            return True
    return False


def change_lines(ctx: PlanContext, before: dict[str, Any] | None) -> list[str]:
    """The sentences of an update: diff lines where the change is known, else the code's."""
    lang = ctx.sub.language
    t, codes = DIFF_TEXT.get(lang, DIFF_TEXT["en"]), list(ctx.changes)
    plain = CHANGE_TEXT.get(lang, CHANGE_TEXT["en"])
    if before is None:
        return [plain.get(c, c) for c in codes]
    out: list[str] = []
    explained: set[str] = set()
    old_p, new_p = before.get("priority"), int(ctx.priority)
    if old_p is not None and old_p != new_p:
        why = [
            t[k]
            for c, k in (
                ("exploited", "why_exploited"),
                ("severity_up", "why_severity"),
                ("new_items", "why_items"),
            )
            if c in codes
        ]
        line = t["priority"].format(old=old_p, new=new_p)
        out.append(f"{line} ({', '.join(why)})" if why else line)
        explained |= {"priority_up", "exploited", "severity_up", "new_items"} & set(codes)
    now = snapshot(ctx)["items"]
    old_items: dict[str, dict[str, Any]] = before.get("items", {})
    for name, state in now.items():
        old = old_items.get(name)
        if old is None:
            continue
        if state["fixed"] and state["fixed"] != old.get("fixed"):
            out.append(_fixed_line(t, name, state))
            explained.add("remediation_changed")
        if state["range"] and old.get("range") and state["range"] != old["range"]:
            key = "range_wider" if "new_products" in codes else "range_changed"
            out.append(t[key].format(range=human_range(state["range"], lang) or state["range"]))
            explained.add("new_products")
    out += [plain.get(c, c) for c in codes if c not in explained and c != "priority_up"]
    return out


def _fixed_line(t: dict[str, str], name: str, state: dict[str, Any]) -> str:
    declared = state.get("declared")
    if declared:
        return t["fixed_branch"].format(branch=".".join(branch(declared)), fixed=state["fixed"])
    return t["fixed_item"].format(item=name, fixed=state["fixed"])
