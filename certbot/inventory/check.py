"""``inventory check``: which items certbot can match, which it never can, and what recent
advisories the inventory would have matched.

Contract: `coverage(sub, store=None, recent=200)` returns a `Coverage` with one `ItemCheck`
per inventory item (the catalogue entry, CPE or PURL it resolves to, or unknown with rapidfuzz
suggestions), the share of known items in %, the items without a version, the counts of
internet-facing and critical items, and, when a store is given, the recent cases (up to
``recent``) the items match with the current matcher. `summary_line` is the one line
``check-config`` prints per municipality. Read-only: nothing is written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from certbot.config import InventoryItem, SubscriberConfig
from certbot.identity import resolve, suggest
from certbot.match import Matcher
from certbot.store import Store

UNKNOWN = "unknown: none of the sources certbot reads names this product"


@dataclass
class ItemCheck:
    index: int
    item: str
    resolved: str | None  # "catalogue fortinet/fortios (by name)", "cpe ...", "purl ..."
    suggestions: list[str] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.resolved is not None


@dataclass
class Coverage:
    kommunenummer: str
    name: str
    items: list[ItemCheck]
    without_version: list[str]
    internet_facing: int
    critical: int
    would_match: list[dict[str, Any]] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * sum(i.known for i in self.items) / len(self.items) if self.items else 0.0

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["coverage_percent"] = round(self.percent, 1)
        out["unknown"] = sum(not i.known for i in self.items)
        return out


def _resolved(item: InventoryItem) -> str | None:
    r = resolve(item.vendor, item.product, item.cpe, item.purl)
    if r is None:
        r = next((x for a in item.aliases if (x := resolve(item.vendor, a)) is not None), None)
    if r is not None:
        return r.describe()
    if item.cpe:
        return f"cpe {item.cpe}"
    if item.purl:
        return f"purl {item.purl}"
    return None


def _would_match(sub: SubscriberConfig, store: Store, recent: int) -> list[dict[str, Any]]:
    matcher = Matcher([sub])
    out = []
    for row in store.list_cases(recent):
        case = store.load_case(row["id"])
        if case is None:
            continue
        ms = matcher.match(case).get(sub.id, [])
        if ms:
            items = sorted({m.item for m in ms})
            out.append(
                {
                    "case": case.id,
                    "title": case.title,
                    "items": items,
                    "rules": sorted({m.rule for m in ms}),
                }
            )
    return out


def coverage(sub: SubscriberConfig, store: Store | None = None, recent: int = 200) -> Coverage:
    checks = []
    for i, item in enumerate(sub.inventory):
        resolved = _resolved(item)
        hints = [] if resolved else suggest(item.vendor, item.product)
        checks.append(ItemCheck(i, item.display, resolved, hints))
    return Coverage(
        kommunenummer=sub.id,
        name=sub.name,
        items=checks,
        without_version=[i.display for i in sub.inventory if not (i.version or i.versions)],
        internet_facing=sum(i.internet_facing for i in sub.inventory),
        critical=sum(i.criticality == "critical" for i in sub.inventory),
        would_match=_would_match(sub, store, recent) if store is not None else [],
    )


def summary_line(c: Coverage) -> str:
    known = sum(i.known for i in c.items)
    return (
        f"{c.kommunenummer} {c.name}: {len(c.items)} items, {known} known to certbot "
        f"({c.percent:.0f} %), {len(c.items) - known} unknown, {len(c.without_version)} without "
        f"a version, {c.internet_facing} internet-facing, {c.critical} critical"
    )


def format_coverage(c: Coverage) -> str:
    lines = [summary_line(c), ""]
    for i in c.items:
        if i.known:
            lines.append(f"  [{i.index}] {i.item}: {i.resolved}")
        else:
            hint = (
                f"; did you mean {', '.join(repr(s) for s in i.suggestions)}?"
                if i.suggestions
                else ""
            )
            lines.append(f"  [{i.index}] {i.item}: {UNKNOWN}{hint}")
    if c.without_version:
        lines += ["", "without a version (matched as 'possibly affected' at best):"]
        lines += [f"  {d}" for d in c.without_version]
    if c.would_match:
        lines += ["", "these items would have matched these recent advisories:"]
        lines += [
            f"  {w['case']}: {', '.join(w['items'])} ({(w['title'] or '')[:60]})"
            for w in c.would_match
        ]
    return "\n".join(lines)
