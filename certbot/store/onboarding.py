"""What certbot has seen before, for the baseline window (issue 11.2): which feeds have been
polled, which inventory items of which municipality were planned for.

Contract: `first_polls(feed_ids)` names the feeds with no stored feed state yet;
`note_inventory(pairs, now)` records (municipality, item key) pairs and returns those that were
new. Run on the writer thread inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from certbot.store.base import StoreBase, iso


class Onboarding(StoreBase):
    def first_polls(self, feed_ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(feed_ids))
        if not ids:
            return set()
        known = {
            r["feed_id"]
            for r in self.db.query(
                f"SELECT feed_id FROM feed_state WHERE feed_id IN ({','.join('?' * len(ids))})",  # noqa: S608
                ids,
            )
        }
        return set(ids) - known

    def note_inventory(
        self, pairs: Iterable[tuple[str, str]], now: datetime
    ) -> set[tuple[str, str]]:
        """Record the pairs; return the ones not seen before."""
        pairs = list(dict.fromkeys(pairs))
        # Plain tuples: 120,000 rows at national load, read at every poll.
        seen = set(self.db.conn.execute("SELECT subscriber_id, item_key FROM inventory_seen"))
        new = [p for p in pairs if p not in seen]
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO inventory_seen (subscriber_id, item_key, first_seen) "
            "VALUES (?, ?, ?)",
            [(s, k, iso(now)) for s, k in new],
        )
        return set(new)
