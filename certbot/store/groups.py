"""Grouped bursts in the outbox (issue 11.3): the rows of one burst and the one message that
lists them.

Contract: planning writes each case's rows ``pending`` in its plan transaction (I1), held back
by a short ``next_attempt_at`` grace so no dispatch round sends them before the batch ends;
then, in one transaction, `fold_into_group` writes the group delivery and marks the rows it
lists ``digested`` (with its id in ``digest_id``), and `release_held` gives a row that stays
on its own its real send time back. If the process dies in between, the rows are sent one by
one when the grace runs out: nothing is lost, only not grouped. `still_pending` names the
rows a fold may still take (a row already claimed or sent is never listed twice).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from certbot.store.base import iso
from certbot.store.outbox import Delivery, Outbox


class Groups(Outbox):
    def still_pending(self, ids: Iterable[str]) -> set[str]:
        wanted = list(ids)
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        return {
            r["id"]
            for r in self.db.query(
                f"SELECT id FROM deliveries WHERE id IN ({marks}) AND status = 'pending'",  # noqa: S608
                wanted,
            )
        }

    def fold_into_group(self, group_row: Delivery, item_ids: list[str], now: datetime) -> int:
        """The group delivery and its items marked ``digested``, in one transaction; returns 1
        if the group row was new (folding the same rows again changes nothing)."""
        with self.tx():
            made = self.add_delivery(group_row, now=now)
            if made:
                marks = ",".join("?" * len(item_ids))
                self.db.execute(
                    f"UPDATE deliveries SET status = 'digested', digest_id = ?, updated_at = ? "  # noqa: S608
                    f"WHERE id IN ({marks}) AND status = 'pending'",
                    [group_row.id, iso(now), *item_ids],
                )
        return made

    def release_held(self, rows: Iterable[tuple[str, str]], now: datetime) -> None:
        """(delivery id, send time): a held row that is not grouped goes at its own time."""
        self.db.conn.executemany(
            "UPDATE deliveries SET next_attempt_at = ?, updated_at = ? "
            "WHERE id = ? AND status = 'pending'",
            [(at, iso(now), did) for did, at in rows],
        )
