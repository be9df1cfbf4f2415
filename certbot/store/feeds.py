"""Feed state: conditional-GET validators (ETag, Last-Modified), source cursors and feed
health (last poll, last success, last error, consecutive failures)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from certbot.sources import SourceState
from certbot.store.base import StoreBase, iso


class Feeds(StoreBase):
    def feed_state(self, feed_id: str) -> SourceState:
        rows = list(self.select("SELECT * FROM feed_state WHERE feed_id = ?", [feed_id]))
        if not rows:
            return SourceState()
        r = rows[0]
        return SourceState(
            etag=r["etag"], last_modified=r["last_modified"], cursor=json.loads(r["cursor"] or "{}")
        )

    def save_feed_state(
        self, feed_id: str, state: SourceState | None, *, now: datetime, error: str | None = None
    ) -> None:
        with self.tx():
            old = list(self.select("SELECT * FROM feed_state WHERE feed_id = ?", [feed_id]))
            row: dict[str, Any] = (
                dict(old[0]) if old else {"feed_id": feed_id, "failures": 0, "polls": 0}
            )
            row["last_polled"] = iso(now)
            row["polls"] = (row.get("polls") or 0) + 1
            if error is None:
                row["last_ok"] = iso(now)
                row["last_error"] = None
                row["failures"] = 0
                if state is not None:
                    row["etag"] = state.etag
                    row["last_modified"] = state.last_modified
                    row["cursor"] = json.dumps(state.cursor, sort_keys=True)
            else:
                row["last_error"] = error[:500]
                row["failures"] = (row.get("failures") or 0) + 1
                row["failures_total"] = (row.get("failures_total") or 0) + 1
                if state is not None:  # an expert's partial failure keeps its retry list
                    row["cursor"] = json.dumps(state.cursor, sort_keys=True)
            self.db.table("feed_state").upsert(row, pk="feed_id")

    def feed_health(self, feed_id: str) -> dict[str, Any] | None:
        """A feed's health row: last_polled, last_ok, last_error, failures, polls."""
        rows = list(
            self.select(
                "SELECT last_polled, last_ok, last_error, failures, polls FROM feed_state "
                "WHERE feed_id = ?",
                [feed_id],
            )
        )
        return dict(rows[0]) if rows else None

    def feed_failures(self, feed_id: str) -> int:
        """Consecutive failures of a feed (1 for a feed never recorded)."""
        rows = self.select("SELECT failures FROM feed_state WHERE feed_id = ?", [feed_id])
        row = next(iter(rows), None)
        return int(row["failures"]) if row else 1

    def feed_cursors(self, feed_id: str | None = None) -> dict[str, dict[str, Any]]:
        """Each feed's stored cursor (one feed with ``feed_id``), for listings such as the
        CSAF documents waiting to be fetched again (``kommune-certbot rejected``)."""
        sql = "SELECT feed_id, cursor FROM feed_state"
        rows = self.select(sql + " WHERE feed_id = ?", [feed_id]) if feed_id else self.select(sql)
        return {r["feed_id"]: json.loads(r["cursor"] or "{}") for r in rows}

    def taken_items(self, feed_id: str) -> set[str]:
        """Digests of the items earlier polls of a capped feed took (`certbot.feed_cap`)."""
        rows = self.db.execute("SELECT digest FROM feed_taken WHERE feed_id = ?", [feed_id])
        return {r[0] for r in rows}

    def add_taken_items(self, feed_id: str, digests: list[str]) -> None:
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO feed_taken (feed_id, digest) VALUES (?, ?)",
            [(feed_id, d) for d in digests],
        )

    def clear_taken_items(self, feed_id: str) -> None:
        self.db.execute("DELETE FROM feed_taken WHERE feed_id = ?", [feed_id])
