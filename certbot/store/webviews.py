"""The one thing the web overview's pages change (issue 14.1); what they read is
`certbot.store.overview`, shared with the JSON API.

Runs on the store's writer thread (``await store.call(retry_dead, ...)``):

- `retry_dead`: a dead delivery back to ``pending``, due now, attempts reset, with one audit
  line in the same transaction; False (and nothing changed) if it is not dead.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from certbot.store.base import iso

if TYPE_CHECKING:
    from certbot.store.facade import Store


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


__all__ = ["retry_dead"]
