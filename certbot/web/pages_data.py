"""The overview's figures, pure: alert rows (`certbot.store.webviews.alert_rows`) in, what the
pages show out. No I/O.

- `Filters` reads ``county``, ``priority``, ``tlp`` and ``source`` from the query string
  (unknown values are ignored, never echoed unescaped) and keeps the rows that pass.
- `cases`: one line per case: its most urgent priority, how many municipalities it concerns,
  how many acknowledged (any status), patched, not affected, and overdue (past the deadline
  and neither patched nor not affected); sorted most urgent first.
- `rollup`: the same counts per county (``SubscriberConfig.county``) and per municipality.
- `medians`: the median hours from the alert to its first status (acknowledge) and to
  ``remediation_done`` (patch), over the rows that have one. The ack row keeps only its
  latest change, so "to patch" is measured to the latest status of a patched alert.
- `series`: open P1/P2 alerts at the end of each of the last ``days`` days: made by then and
  not closed (patched / not affected) by then.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from certbot.config import Config
from certbot.model import TLP

CLOSED = ("remediation_done", "not_affected")


def _at(value: str | None) -> datetime | None:
    if not value:
        return None
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    county: str = ""
    priority: int = 0
    tlp: TLP | None = None
    source: str = ""

    @classmethod
    def read(cls, query: Mapping[str, str], config: Config) -> Filters:
        counties = {s.county for s in config.subscribers}
        sources = {f.id for f in config.feeds}
        county = query.get("county", "")
        prio = query.get("priority", "")
        source = query.get("source", "")
        return cls(
            county=county if county in counties else "",
            priority=int(prio[1]) if prio in ("P1", "P2", "P3", "P4") else 0,
            tlp=TLP.parse(query.get("tlp", "")) if query.get("tlp") else None,
            source=source if source in sources else "",
        )

    def keep(
        self, rows: Iterable[dict[str, Any]], county_of: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        out = []
        for r in rows:
            if self.county and county_of.get(r["subscriber_id"]) != self.county:
                continue
            if self.priority and r["priority"] != self.priority:
                continue
            if self.tlp is not None and r["tlp"] != self.tlp:
                continue
            if self.source and self.source not in r["sources"]:
                continue
            out.append(r)
        return out

    def as_query(self) -> dict[str, str]:
        out = {"county": self.county, "source": self.source}
        out["priority"] = f"P{self.priority}" if self.priority else ""
        out["tlp"] = self.tlp.label if self.tlp is not None else ""
        return out


def is_open(r: Mapping[str, Any]) -> bool:
    return r["status"] not in CLOSED


def is_overdue(r: Mapping[str, Any], now: datetime) -> bool:
    deadline = _at(r.get("deadline"))
    return is_open(r) and deadline is not None and deadline < now


def counts(rows: list[dict[str, Any]], now: datetime) -> dict[str, int]:
    return {
        "alerts": len(rows),
        "open": sum(1 for r in rows if is_open(r)),
        "acknowledged": sum(1 for r in rows if r["status"] != "not_remediated"),
        "patched": sum(1 for r in rows if r["status"] == "remediation_done"),
        "not_affected": sum(1 for r in rows if r["status"] == "not_affected"),
        "overdue": sum(1 for r in rows if is_overdue(r, now)),
    }


def cases(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    by_case: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_case.setdefault(r["case_id"], []).append(r)
    out = []
    for case_id, rs in by_case.items():
        deadlines = [d for r in rs if is_open(r) and (d := _at(r.get("deadline")))]
        out.append(
            {
                "case_id": case_id,
                "title": rs[0]["title"] or "",
                "tlp": rs[0]["tlp"],
                "sources": rs[0]["sources"],
                "priority": min(r["priority"] or 4 for r in rs),
                "municipalities": sorted(r["subscriber_id"] for r in rs),
                "first_deadline": min(deadlines, default=None),
                "open": any(is_open(r) for r in rs),
                **counts(rs, now),
            }
        )
    out.sort(key=lambda c: (not c["open"], c["priority"], -c["overdue"], c["case_id"]))
    return out


def rollup(
    rows: list[dict[str, Any]], keys: Mapping[str, str], now: datetime
) -> list[tuple[str, dict[str, int]]]:
    """Counts per group; ``keys`` maps a municipality id to its group (county or itself)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(keys.get(r["subscriber_id"], r["subscriber_id"]), []).append(r)
    return [(k, counts(v, now)) for k, v in sorted(groups.items())]


def _hours(rows: Iterable[dict[str, Any]], status: str | None) -> float | None:
    spans = []
    for r in rows:
        made, changed = _at(r.get("created_at")), _at(r.get("status_at"))
        if made is None or changed is None or (status and r["status"] != status):
            continue
        spans.append(max(0.0, (changed - made).total_seconds() / 3600))
    return round(statistics.median(spans), 1) if spans else None


def medians(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    return {"ack": _hours(rows, None), "patch": _hours(rows, "remediation_done")}


def series(rows: list[dict[str, Any]], today: date, days: int = 90) -> list[tuple[date, int, int]]:
    """(day, open P1, open P2) for each of the last ``days`` days, oldest first."""
    out = []
    for i in range(days - 1, -1, -1):
        day = today - timedelta(days=i)
        end = datetime.combine(day, time.max, tzinfo=UTC)
        n = {1: 0, 2: 0}
        for r in rows:
            if r["priority"] not in n:
                continue
            made, changed = _at(r.get("created_at")), _at(r.get("status_at"))
            if made is None or made > end:
                continue
            if r["status"] in CLOSED and changed is not None and changed <= end:
                continue
            n[r["priority"]] += 1
        out.append((day, n[1], n[2]))
    return out


__all__ = ["Filters", "cases", "counts", "is_open", "is_overdue", "medians", "rollup", "series"]
