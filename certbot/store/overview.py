"""The overview queries (issue 14): what the web pages, the JSON API, `sector` and /metrics read.

Contract: read-only SQL over the existing state (``alerts``, ``acks``, ``matches``,
``deliveries``, ``incidents``, ``feed_state``, ``audit``, ``counters``), run on the writer
thread like every store call (``await store.call(Store.case_summaries, ...)``). Rows come
back as plain dicts with the store's own vocabulary; `certbot.web.api_read` turns them into
the response models and applies TLP. Paging is ``limit`` / ``offset`` with the total in the
same answer (one window count, no second query). Filters are `CaseFilter` / `RowFilter`;
``subscribers=None`` means the whole sector, an empty tuple means nothing.

An alert is *open* while its municipality has neither patched (``remediation_done``) nor
declared ``not_affected``; it is *overdue* when open past the earliest deadline of its
matches. Time to acknowledge / patch counts from the alert's creation to the first status
(any) / the first ``remediation_done`` in the ack's history.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from certbot.store.base import StoreBase

CLOSED = ("remediation_done", "not_affected")


# A case's TLP as a number (certbot.levels.TLP): the most restricted advisory; unknown = RED.
def tlp_rank(case_column: str) -> str:
    """SQL for the TLP rank of the case in ``case_column``."""
    return (
        "(SELECT max(CASE json_extract(a.data, '$.tlp') WHEN 'CLEAR' THEN 0 WHEN 'GREEN' "  # noqa: S608
        "THEN 1 WHEN 'AMBER' THEN 2 WHEN 'AMBER_STRICT' THEN 3 ELSE 4 END) FROM advisories a "
        f"WHERE a.case_id = {case_column})"
    )


# One row per alert with its ack status and earliest deadline (the inner query of the rest).
_ALERTS = (
    "SELECT l.case_id, l.subscriber_id, l.priority, l.created_at, k.status, k.at AS status_at, "
    "coalesce(k.status, '') NOT IN ('remediation_done', 'not_affected') AS open, "
    "(SELECT min(m.deadline) FROM matches m WHERE m.case_id = l.case_id "
    " AND m.subscriber_id = l.subscriber_id) AS deadline "
    "FROM alerts l LEFT JOIN acks k ON k.case_id = l.case_id AND k.subscriber_id = l.subscriber_id"
)
# The alerts of a query, computed once: without MATERIALIZED SQLite flattens the subquery and
# repeats the deadline lookup for every expression that names it (measured: 3x slower).
_WITH = "WITH x AS MATERIALIZED ({alerts} WHERE 1{cond}) "
_OPEN = "x.open"


@dataclass(frozen=True)
class CaseFilter:
    """Which cases: alerted to these municipalities (None: any), this priority, a source
    (feed id), a TLP rank (0 CLEAR .. 4 RED), only open ones, or one case."""

    subscribers: tuple[str, ...] | None = None
    priority: int | None = None
    source: str | None = None
    tlp: int | None = None
    open_only: bool = False
    case_id: str | None = None


@dataclass(frozen=True)
class RowFilter:
    """Deliveries, acks or incidents: of these municipalities (None: any), a status, a
    channel (deliveries), a case."""

    subscribers: tuple[str, ...] | None = None
    status: str | None = None
    channel: str | None = None
    case_id: str | None = None


def _in(column: str, values: Sequence[str] | None, args: list[Any]) -> str:
    if values is None:
        return ""
    args.extend(values)
    return f" AND {column} IN ({','.join('?' * len(values))})" if values else " AND 0"


def where(
    args: list[Any], column: str, members: Sequence[str] | None, *equals: tuple[str, Any]
) -> str:
    """`` AND ...`` conditions: ``column`` among ``members`` (None: any), and each
    (column, value) pair whose value is not None; their values are appended to ``args``."""
    out = _in(column, members, args)
    for name, value in equals:
        if value is not None:
            out += f" AND {name} = ?"
            args.append(value)
    return out


def _page(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    total = int(rows[0].pop("_total")) if rows else 0
    for r in rows[1:]:
        r.pop("_total", None)
    return rows, total


def _first_event_at(statuses: tuple[str, ...] | None) -> str:
    """SQL: when the ack row ``k``'s history first reached one of ``statuses`` (None: any)."""
    if statuses is None:
        return "json_extract(k.history, '$[0].at')"
    names = ", ".join(f"'{x}'" for x in statuses)
    return (
        "(SELECT json_extract(e.value, '$.at') FROM json_each(k.history) e "  # noqa: S608
        f"WHERE json_extract(e.value, '$.status') IN ({names}) ORDER BY e.key LIMIT 1)"
    )


def median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


class Overview(StoreBase):
    def case_summaries(
        self, now: str, flt: CaseFilter | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Per alerted case: priority, title, TLP rank, sources, municipalities alerted,
        acknowledged, patched, not affected, overdue, first deadline; most urgent first.
        Returns (one page of rows, how many match in all)."""
        f = flt or CaseFilter()
        args: list[Any] = []
        cond = where(args, "l.subscriber_id", f.subscribers, ("l.case_id", f.case_id))
        n_where = len(args)
        having = ["1"]
        for test, value in (
            ("min(x.priority) = ?", f.priority),  # not the bare column of one row
            ("tlp = ?", f.tlp),
            ("instr(',' || sources || ',', ',' || ? || ',') > 0", f.source),
        ):
            if value is not None:
                having.append(test)
                args.append(value)
        if f.open_only:
            having.append("sum(x.open) > 0")
        select = (
            "SELECT x.case_id, c.title, c.revision, c.updated_at, min(x.priority) AS priority, "  # noqa: S608
            "count(*) AS municipalities, sum(x.status IS NOT NULL) AS acknowledged, "
            "sum(coalesce(x.status, '') = 'remediation_done') AS patched, "
            "sum(coalesce(x.status, '') = 'not_affected') AS not_affected, "
            f"sum({_OPEN} AND x.deadline < ?) AS overdue, sum({_OPEN}) AS open, "
            f"min(x.deadline) AS first_deadline, {tlp_rank('x.case_id')} AS tlp, "
            "(SELECT group_concat(DISTINCT a.feed_id) FROM advisories a "
            " WHERE a.case_id = x.case_id) AS sources, count(*) OVER () AS _total "
            "FROM x JOIN cases c ON c.id = x.case_id "
            f"GROUP BY x.case_id HAVING {' AND '.join(having)} "
            "ORDER BY min(x.priority), overdue DESC, first_deadline, x.case_id LIMIT ? OFFSET ?"
        )
        sql = _WITH.format(alerts=_ALERTS, cond=cond) + select
        where_args, having_args = args[:n_where], args[n_where:]
        rows = self.db.execute(sql, [*where_args, now, *having_args, limit, offset])
        names = [d[0] for d in rows.description]
        out = [dict(zip(names, r, strict=True)) for r in rows.fetchall()]
        for r in out:
            r["sources"] = sorted((r["sources"] or "").split(",")) if r["sources"] else []
        return _page(out)

    def case_matches(
        self, case_id: str, now: str, subscribers: tuple[str, ...] | None = None
    ) -> list[dict[str, Any]]:
        """Per municipality alerted about a case: priority, deadline, status, overdue, when
        alerted and when its status was set, and the matched items of its latest revision."""
        args: list[Any] = [case_id]
        cond = _in("l.subscriber_id", subscribers, args)
        rows = list(
            self.db.query(
                f"SELECT * FROM ({_ALERTS} WHERE l.case_id = ?{cond}) ORDER BY subscriber_id",  # noqa: S608
                args,
            )
        )
        items: dict[str, list[dict[str, Any]]] = {}
        for m in self.db.query(
            "SELECT subscriber_id, item, item_index, rule, confidence, source FROM matches m "
            "WHERE case_id = ? AND revision = (SELECT max(revision) FROM matches n "
            " WHERE n.case_id = m.case_id AND n.subscriber_id = m.subscriber_id) "
            "ORDER BY subscriber_id, item_index, id",
            [case_id],
        ):
            got = items.setdefault(m["subscriber_id"], [])
            if all((g["item_index"], g["rule"]) != (m["item_index"], m["rule"]) for g in got):
                got.append(m)
        for r in rows:
            r["overdue"] = r["status"] not in CLOSED and bool(r["deadline"]) and r["deadline"] < now
            r["items"] = items.get(r["subscriber_id"], [])
            r.pop("open", None)
        return rows

    def municipality_rollup(
        self, now: str, subscribers: tuple[str, ...] | None = None
    ) -> list[dict[str, Any]]:
        """Per alerted municipality: open alerts (and P1..P4 among them), acknowledged,
        patched, not affected, overdue."""
        args: list[Any] = []
        cond = _in("l.subscriber_id", subscribers, args)
        return list(
            self.db.query(
                _WITH.format(alerts=_ALERTS, cond=cond)
                + f"SELECT x.subscriber_id, sum({_OPEN}) AS open, "  # noqa: S608
                f"sum({_OPEN} AND x.priority = 1) AS open_p1, "
                f"sum({_OPEN} AND x.priority = 2) AS open_p2, "
                f"sum({_OPEN} AND x.priority = 3) AS open_p3, "
                f"sum({_OPEN} AND x.priority = 4) AS open_p4, "
                "sum(x.status IS NOT NULL) AS acknowledged, "
                "sum(coalesce(x.status, '') = 'remediation_done') AS patched, "
                "sum(coalesce(x.status, '') = 'not_affected') AS not_affected, "
                f"sum({_OPEN} AND x.deadline < ?) AS overdue "
                "FROM x GROUP BY x.subscriber_id ORDER BY x.subscriber_id",
                [*args, now],
            )
        )

    def response_times(self, subscribers: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Median hours from alert to first status and to ``remediation_done``, with counts."""
        args: list[Any] = []
        cond = _in("l.subscriber_id", subscribers, args)
        to_ack: list[float] = []
        to_patch: list[float] = []
        hours = "max((julianday({at}) - julianday(l.created_at)) * 24, 0)"
        for ack_h, patch_h in self.db.execute(
            f"SELECT {hours.format(at=_first_event_at(None))}, "  # noqa: S608
            f"{hours.format(at=_first_event_at(('remediation_done',)))} FROM alerts l "
            "JOIN acks k ON k.case_id = l.case_id AND k.subscriber_id = l.subscriber_id "
            f"WHERE l.created_at IS NOT NULL{cond}",
            args,
        ):
            if ack_h is not None:
                to_ack.append(ack_h)
            if patch_h is not None:
                to_patch.append(patch_h)
        return {"ack_hours": median(to_ack), "patch_hours": median(to_patch)}

    def open_trend(
        self, today: date, days: int = 90, subscribers: tuple[str, ...] | None = None
    ) -> list[dict[str, Any]]:
        """Per day (UTC) of the last ``days`` up to ``today``: cases open at P1 and at P2 (a
        case counts once, at its most urgent open priority) at the end of that day."""
        args: list[Any] = []
        cond = _in("l.subscriber_id", subscribers, args)
        ends = []  # the end of each day (midnight after it), oldest first
        for n in range(days - 1, -1, -1):
            day = today - timedelta(days=n)
            end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
            ends.append(end.isoformat(timespec="seconds"))
        # Per case and priority, +1 / -1 where an alert's open days begin and end.
        diffs: dict[str, list[list[int]]] = {}
        for r in self.db.query(
            f"SELECT l.case_id, l.priority, l.created_at, {_first_event_at(CLOSED)} AS closed "  # noqa: S608
            "FROM alerts l LEFT JOIN acks k ON k.case_id = l.case_id "
            "AND k.subscriber_id = l.subscriber_id "
            f"WHERE l.priority <= 2 AND l.created_at IS NOT NULL{cond}",
            args,
        ):
            closed = r["closed"]
            first = bisect_right(ends, r["created_at"])  # open at the end of days >= first
            stop = bisect_right(ends, closed) if closed else days  # ... and before stop
            if first < stop:
                diff = diffs.setdefault(r["case_id"], [[0] * (days + 1), [0] * (days + 1)])
                diff[r["priority"] - 1][first] += 1
                diff[r["priority"] - 1][stop] -= 1
        p1, p2 = [0] * days, [0] * days
        for d1, d2 in diffs.values():
            open1 = open2 = 0
            for i in range(days):
                open1 += d1[i]
                open2 += d2[i]
                if open1:
                    p1[i] += 1
                elif open2:
                    p2[i] += 1
        out = [
            {"date": (today - timedelta(days=days - 1 - i)).isoformat(), "p1": p1[i], "p2": p2[i]}
            for i in range(days)
        ]
        return out
