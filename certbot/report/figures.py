"""The report's numbers for one municipality and week, from `Store.report_alerts` rows. Pure.

Definitions (README "Weekly report for leadership"):

- *concerned this week*: alerts first sent to the municipality during the week; *serious*:
  those at priority P1 (act within a day) or P2 (within a week).
- *handled*: declared patched (``remediation_done``) or not affected; an acknowledgement
  alone is not handling. *Within the deadline*: of the alerts whose deadline fell in the week,
  those handled at or before it.
- *overdue*: not handled when the week ended and past the deadline by then.
- *comparison*: the share handled within the deadline over the 12 weeks up to this one, and
  the number overdue at the week's end, for the municipality, the median of its county (the
  first two digits of the kommunenummer, `COUNTIES`) and the median of the sector (every
  configured municipality). Medians only: no other municipality is named.

A case's title is shown only when its TLP label is within the reader's ``clearance``; an
unknown label counts as RED.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import median
from typing import Any

from certbot.config import COUNTIES, Config, SubscriberConfig
from certbot.model import TLP
from certbot.report.weeks import Week

TREND_WEEKS = 12
SERIOUS = 2  # P1 and P2


@dataclass(frozen=True)
class Alert:
    case_id: str
    priority: int
    created: datetime
    deadline: datetime | None
    handled: datetime | None
    title: str
    tlp: TLP

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Alert:
        labels = [TLP[t] for t in (row["tlps"] or "").split(",") if t in TLP.__members__]
        unknown = bool(row["tlp_unknown"]) or not labels
        return cls(
            case_id=row["case_id"],
            priority=int(row["priority"] or 4),
            created=_time(row["created_at"]) or datetime.min.replace(tzinfo=UTC),
            deadline=_time(row["deadline"]),
            handled=_time(row["handled_at"]),
            title=row["title"] or "",
            tlp=TLP.RED if unknown else max(labels),
        )

    def open_at(self, moment: datetime) -> bool:
        return self.handled is None or self.handled >= moment

    def overdue_at(self, moment: datetime) -> bool:
        return self.deadline is not None and self.deadline < moment and self.open_at(moment)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Overdue:
    case_id: str
    priority: int
    days: int  # whole days past the deadline when the week ended
    title: str | None  # None: withheld (above the reader's clearance)
    tlp: TLP


@dataclass(frozen=True)
class TrendPoint:
    week: Week
    total: int
    serious: int


@dataclass(frozen=True)
class Comparison:
    """The municipality's figure, its county's median and the sector's median (None: no
    data, e.g. no deadline fell in the period)."""

    own: float | None
    county: float | None
    sector: float | None


@dataclass
class Report:
    sub_id: str
    name: str
    county: str
    language: str
    week: Week
    clearance: TLP
    new: int = 0
    serious: int = 0
    due: int = 0
    on_time: int = 0
    overdue: list[Overdue] = field(default_factory=list)
    on_time_share: Comparison = Comparison(None, None, None)
    overdue_count: Comparison = Comparison(None, None, None)
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def overdue_serious(self) -> int:
        return sum(1 for o in self.overdue if o.priority <= SERIOUS)

    @property
    def withheld(self) -> int:
        return sum(1 for o in self.overdue if o.title is None)

    @property
    def tlp(self) -> TLP:
        """The report's own label: TLP:GREEN (a municipality's exposure is not for the public)
        or the most restricted label of a title it shows."""
        return max([TLP.GREEN, *(o.tlp for o in self.overdue if o.title is not None)])


def county_name(sub: SubscriberConfig) -> str:
    names = COUNTIES.get(sub.id[:2])
    return names[0] if names else sub.county


def compute(
    config: Config, rows: list[dict[str, Any]], sub_id: str, week: Week, clearance: TLP
) -> Report:
    """The report of municipality ``sub_id`` for ``week``, shown to a reader cleared for
    ``clearance``. ``rows``: `Store.report_alerts` up to the end of the week, all municipalities."""
    sub = config.subscriber(sub_id)
    by_sub: dict[str, list[Alert]] = defaultdict(list)
    for row in rows:
        by_sub[row["subscriber_id"]].append(Alert.from_row(row))
    own = by_sub.get(sub_id, [])
    start, end = week.start, week.end
    new = [a for a in own if start <= a.created < end]
    due = [a for a in own if a.deadline is not None and start <= a.deadline < end]
    report = Report(sub_id, sub.name, county_name(sub), sub.language, week, clearance)
    report.new, report.serious = len(new), sum(1 for a in new if a.priority <= SERIOUS)
    report.due = len(due)
    report.on_time = sum(1 for a in due if _on_time(a))
    report.overdue = _overdue(own, end, clearance)
    report.trend = [_point(own, w) for w in week.last(TREND_WEEKS)]
    peers = [s.id for s in config.subscribers if s.id[:2] == sub_id[:2]]
    everyone = [s.id for s in config.subscribers]
    window = week.shift(1 - TREND_WEEKS).start
    share = {s: _share(by_sub.get(s, []), window, end) for s in everyone}
    late = {s: float(sum(a.overdue_at(end) for a in by_sub.get(s, []))) for s in everyone}
    report.on_time_share = _compare(share, sub_id, peers)
    report.overdue_count = _compare(late, sub_id, peers)
    return report


def _on_time(a: Alert) -> bool:
    return a.handled is not None and a.deadline is not None and a.handled <= a.deadline


def _overdue(alerts: list[Alert], end: datetime, clearance: TLP) -> list[Overdue]:
    out = [
        Overdue(
            a.case_id,
            a.priority,
            (end - a.deadline).days if a.deadline else 0,
            a.title if a.tlp <= clearance else None,
            a.tlp,
        )
        for a in alerts
        if a.overdue_at(end)
    ]
    return sorted(out, key=lambda o: (o.priority, -o.days, o.case_id))


def _point(alerts: list[Alert], week: Week) -> TrendPoint:
    new = [a for a in alerts if week.start <= a.created < week.end]
    return TrendPoint(week, len(new), sum(1 for a in new if a.priority <= SERIOUS))


def _share(alerts: list[Alert], start: datetime, end: datetime) -> float | None:
    due = [a for a in alerts if a.deadline is not None and start <= a.deadline < end]
    return sum(_on_time(a) for a in due) / len(due) if due else None


def _compare(values: Mapping[str, float | None], sub_id: str, peers: list[str]) -> Comparison:
    def med(ids: list[str]) -> float | None:
        known = [v for i in ids if (v := values.get(i)) is not None]
        return float(median(known)) if known else None

    return Comparison(values.get(sub_id), med(peers), med(list(values)))
