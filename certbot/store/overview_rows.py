"""The overview's listings and gauges (issue 14): deliveries, acks, incidents, feeds, and the
figures /metrics reads at scrape time.

Contract: read-only, like `certbot.store.overview` (whose `RowFilter` and paging these use):
each page method returns (rows, total). Deliveries never carry their notification (the
rendered text stays in the outbox). `metrics_snapshot` is one call that reads everything a
scrape needs, so a scrape is one trip to the writer thread.
"""

from __future__ import annotations

import json
from typing import Any

from certbot.store.base import StoreBase
from certbot.store.overview import RowFilter, _page, tlp_rank, where

_DELIVERY_COLUMNS = (
    "id, case_id, revision, subscriber_id, target_id, channel, kind, priority, tlp, status, "
    "attempts, created_at, next_attempt_at, sent_at, last_error"
)
OWED = ("pending", "sending")


class OverviewRows(StoreBase):
    def _listing(
        self,
        source: str,
        order: str,
        flt: RowFilter | None,
        columns: tuple[str, str, str, str],
        page: tuple[int, int],
    ) -> tuple[list[dict[str, Any]], int]:
        """One ``page`` (limit, offset) of "SELECT ``source`` ORDER BY ``order``", filtered by
        ``flt`` on ``columns`` (municipality, status, channel, case; "" where a listing has no
        such column), and how many rows match in all."""
        f = flt or RowFilter()
        who, *others = columns
        values = (f.status, f.channel, f.case_id)
        args: list[Any] = []
        equals = [(c, v) for c, v in zip(others, values, strict=True) if c]
        cond = where(args, who, f.subscribers, *equals)
        rows = self.db.query(
            f"SELECT count(*) OVER () AS _total, {source} WHERE 1{cond} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [*args, *page],
        )
        return _page(list(rows))

    def delivery_page(
        self, flt: RowFilter | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Deliveries, newest first."""
        return self._listing(
            f"{_DELIVERY_COLUMNS} FROM deliveries",
            "created_at DESC, id",
            flt,
            ("subscriber_id", "status", "channel", "case_id"),
            (limit, offset),
        )

    def ack_page(
        self, flt: RowFilter | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Acks and statuses, the latest first, with their history (parsed)."""
        rows, total = self._listing(
            f"k.*, {tlp_rank('k.case_id')} AS tlp FROM acks k",
            "k.at DESC, k.case_id, k.subscriber_id",
            flt,
            ("k.subscriber_id", "k.status", "", "k.case_id"),
            (limit, offset),
        )
        for r in rows:
            r["history"] = json.loads(r["history"] or "[]")
        return rows, total

    def incident_page(
        self, flt: RowFilter | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Incident reports, newest first, each with its history."""
        rows, total = self._listing(
            "* FROM incidents",
            "created_at DESC, id DESC",
            flt,
            ("municipality", "status", "", ""),
            (limit, offset),
        )
        ids = [r["id"] for r in rows]
        history: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for h in self.db.query(
                f"SELECT incident_id, at, status, comment FROM incident_history "  # noqa: S608
                f"WHERE incident_id IN ({','.join('?' * len(ids))}) ORDER BY id",
                ids,
            ):
                history[h.pop("incident_id")].append(h)
        for r in rows:
            r["history"] = history[r["id"]]
            r["related_advisories"] = json.loads(r["related_advisories"] or "[]")
        return rows, total

    def feed_rows(self, *, cursors: bool = True) -> dict[str, dict[str, Any]]:
        """Per recorded feed: last poll, last success, last error, consecutive failures,
        polls, failures in all, items stored and (``cursors``) the cursor, parsed."""
        items = {
            r["feed_id"]: r["n"]
            for r in self.db.query("SELECT feed_id, count(*) AS n FROM advisories GROUP BY feed_id")
        }
        out: dict[str, dict[str, Any]] = {}
        columns = "*" if cursors else "feed_id, last_ok, failures, failures_total, polls"
        for r in self.db.query(f"SELECT {columns} FROM feed_state"):  # noqa: S608
            row = dict(r)
            row["cursor"] = json.loads(row.get("cursor") or "{}")
            row["items"] = items.get(row["feed_id"], 0)
            out[row["feed_id"]] = row
        for feed_id, n in items.items():
            out.setdefault(feed_id, {"feed_id": feed_id, "items": n, "cursor": {}})
        return out

    def metrics_snapshot(self, now: str) -> dict[str, Any]:
        """Everything a /metrics scrape reads, in one call on the writer thread."""
        db = self.db
        deliveries = [
            (r[0], r[1], r[2])
            for r in db.execute(
                "SELECT channel, status, count(*) FROM deliveries GROUP BY channel, status"
            )
        ]
        # Owed: planned for sending now or later, not yet sent. Due: its time has come (a
        # pending row past next_attempt_at, or a row being sent since updated_at).
        owed = db.execute(
            "SELECT min(created_at) FROM deliveries WHERE status IN ('pending', 'sending')"
        ).fetchone()[0]
        commands = [
            (r[0], r[1] or "", r[2])
            for r in db.execute(
                "SELECT action, decision, count(*) FROM audit WHERE actor IS NOT NULL "
                "AND action NOT LIKE 'tlp_block%' GROUP BY action, decision"
            )
        ]
        blocks = dict(
            db.execute(
                "SELECT action, count(*) FROM audit WHERE action IN "
                "('tlp_block', 'tlp_block_at_send') GROUP BY action"
            ).fetchall()
        )
        return {
            "feeds": self.feed_rows(cursors=False),
            "cases": db.execute("SELECT count(*) FROM cases").fetchone()[0],
            "matches": db.execute("SELECT count(*) FROM matches").fetchone()[0],
            "alerts": db.execute("SELECT count(*) FROM alerts").fetchone()[0],
            "deliveries": deliveries,
            "oldest_owed": owed,
            **self.ready_snapshot(now),
            "commands": commands,
            "tlp_blocks": blocks,
            "counters": self.counters(),
        }

    def ready_snapshot(self, now: str) -> dict[str, Any]:
        """What /readyz reads: consecutive failures per feed and the oldest due delivery."""
        failures = dict(self.db.execute("SELECT feed_id, failures FROM feed_state").fetchall())
        due = self.db.execute(
            "SELECT min(CASE WHEN status = 'sending' THEN updated_at "
            "WHEN next_attempt_at <= ? THEN next_attempt_at END) FROM deliveries "
            "WHERE status IN ('pending', 'sending')",
            [now],
        ).fetchone()[0]
        return {"failures": failures, "oldest_due": due}

    def probe_write(self) -> None:
        """A small committed write (a counter bumped by 0): /readyz asks whether the database
        takes writes."""
        with self.tx():
            self.bump("readyz_probe", 0)
