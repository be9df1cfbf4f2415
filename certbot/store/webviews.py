"""What the web overview's pages read and the one thing they change (issue 14.1).

Functions take the `Store` and run on its writer thread (``await store.call(f, ...)``):

- `alert_rows`: one row per alerted (case, municipality): priority, the earliest deadline,
  the status (no ack row: ``not_remediated``), when the alert was made and when its status
  last changed, the case's title, and its TLP label and source feeds. Pages aggregate these
  (counts, medians, county roll-ups, the 90-day series) in Python.
- `feed_items`: advisories stored per feed.
- `retry_dead`: a dead delivery back to ``pending``, due now, attempts reset, with one audit
  line in the same transaction; False (and nothing changed) if it is not dead.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from certbot.store.base import iso

if TYPE_CHECKING:
    from certbot.store.facade import Store


def alert_rows(store: Store, sub_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Every alert (or those of ``sub_ids``), with its case's title, label and sources."""
    where, args = "", []
    if sub_ids is not None:
        if not sub_ids:
            return []
        where = f"WHERE l.subscriber_id IN ({','.join('?' * len(sub_ids))}) "
        args = list(sub_ids)
    rows = list(
        store.db.query(
            "SELECT l.case_id, l.subscriber_id, l.priority, l.created_at, c.title, "  # noqa: S608
            "coalesce(k.status, 'not_remediated') AS status, k.at AS status_at, k.by, "
            "(SELECT min(m.deadline) FROM matches m WHERE m.case_id = l.case_id "
            " AND m.subscriber_id = l.subscriber_id) AS deadline "
            "FROM alerts l JOIN cases c ON c.id = l.case_id "
            "LEFT JOIN acks k ON k.case_id = l.case_id AND k.subscriber_id = l.subscriber_id "
            + where
            + "ORDER BY l.priority, deadline IS NULL, deadline, l.case_id, l.subscriber_id",
            args,
        )
    )
    labels: dict[str, Any] = {}
    sources: dict[str, list[str]] = {}
    for case_id in {r["case_id"] for r in rows}:
        labels[case_id] = store.case_tlp(case_id)[1]
        sources[case_id] = sorted(
            r["feed_id"]
            for r in store.db.query(
                "SELECT DISTINCT feed_id FROM advisories WHERE case_id = ?", [case_id]
            )
        )
    for r in rows:
        r["tlp"] = labels[r["case_id"]]
        r["sources"] = sources[r["case_id"]]
    return rows


def feed_items(store: Store) -> dict[str, int]:
    return {
        r["feed_id"]: r["n"]
        for r in store.db.query("SELECT feed_id, count(*) AS n FROM advisories GROUP BY feed_id")
    }


def feed_states(store: Store) -> dict[str, dict[str, Any]]:
    return {r["feed_id"]: r for r in store.db.query("SELECT * FROM feed_state")}


def retry_dead(store: Store, delivery_id: str, actor: str, now: datetime) -> bool:
    with store.tx():
        changed = store.db.execute(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, "
            "updated_at = ? WHERE id = ? AND status = 'dead'",
            [iso(now), iso(now), delivery_id],
        ).rowcount
        if changed:
            row = next(
                store.db.query("SELECT subscriber_id FROM deliveries WHERE id = ?", [delivery_id])
            )
            store.audit(
                "retry_dead",
                actor=actor,
                subscriber_id=row["subscriber_id"],
                decision="pending",
                detail={"delivery": delivery_id},
                now=now,
            )
    return bool(changed)


__all__ = ["alert_rows", "feed_items", "feed_states", "retry_dead"]
