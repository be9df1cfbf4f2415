"""The escalation ladder for unacknowledged P1 alerts (issue 5).

A P1 alert with no ack or status after ``service.escalation_after`` (default 2 h) climbs one
rung per step: (1) a reminder to the municipality's targets, (2) the alert to its targets
marked ``escalation: true``, (3) the operator target. If the deadline is close, the step is
shortened so all three rungs happen before it. Acknowledging (or any status) stops the ladder.
Each rung is planned into the outbox in one transaction with its ``escalations`` row, so a
run that crashes repeats nothing and skips nothing; `run_escalation` is what the scheduler
calls periodically.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from certbot.config import Config
from certbot.model import TLP, Notification
from certbot.pipeline import plan_operator
from certbot.store import AsyncStore, Store, delivery_id, iso

RUNGS = 3


async def run_escalation(app_or_store: Any, config: Config, now: datetime) -> int:
    """Climb every due ladder one rung; returns how many rungs were taken."""
    store = getattr(app_or_store, "store", app_or_store)
    if isinstance(store, AsyncStore):
        return await store.run(escalate, store.store, config, now)
    return escalate(store, config, now)


def escalate(store: Store, config: Config, now: datetime) -> int:
    rows = list(
        store.db.query(
            "SELECT l.case_id, l.subscriber_id, l.created_at, coalesce(e.stage, 0) AS stage, "
            "(SELECT min(deadline) FROM matches m WHERE m.case_id = l.case_id "
            " AND m.subscriber_id = l.subscriber_id) AS deadline "
            "FROM alerts l LEFT JOIN escalations e ON e.case_id = l.case_id "
            "AND e.subscriber_id = l.subscriber_id "
            "WHERE l.priority = 1 AND l.state = 'open' AND coalesce(e.stage, 0) < ? "
            "AND NOT EXISTS (SELECT 1 FROM acks k WHERE k.case_id = l.case_id "
            " AND k.subscriber_id = l.subscriber_id)",
            [RUNGS],
        )
    )
    taken = 0
    for row in rows:
        if now >= due_at(row, config.service.escalation_after):
            with store.tx():
                _rung(store, config, row, int(row["stage"]) + 1, now)
            taken += 1
    return taken


def due_at(row: dict[str, Any], after: int) -> datetime:
    created = datetime.fromisoformat(row["created_at"])
    step = timedelta(seconds=after)
    if row["deadline"]:
        room = datetime.fromisoformat(row["deadline"]) - created
        step = min(step, room / (RUNGS + 1))
    return created + step * (int(row["stage"]) + 1)


def _originals(store: Store, case_id: str, sub_id: str) -> list[dict[str, Any]]:
    return list(
        store.db.query(
            "SELECT * FROM deliveries WHERE case_id = ? AND subscriber_id = ? AND "
            "kind IN ('alert', 'update') AND status NOT IN ('blocked') ORDER BY created_at DESC",
            [case_id, sub_id],
        )
    )


def _rung(store: Store, config: Config, row: dict[str, Any], stage: int, now: datetime) -> None:
    case_id, sub_id = row["case_id"], row["subscriber_id"]
    latest: dict[str, dict[str, Any]] = {}
    for d in _originals(store, case_id, sub_id):
        latest.setdefault(d["target_id"], d)
    planned = 0
    if stage in (1, 2):
        try:
            sub = config.subscriber(sub_id)
        except KeyError:
            sub = None
        wanted = {t.id for t in sub.targets if stage == 1 or t.escalation} if sub else set()
        for target_id, d in sorted(latest.items()):
            if target_id in wanted:
                planned += _resend(store, d, stage, now)
    else:
        tlp = max((TLP(d["tlp"]) for d in latest.values()), default=TLP.AMBER)
        title = next(iter(latest.values()), {}).get("notification")
        shown = json.loads(title)["title"] if title else case_id
        planned += plan_operator(
            store,
            config,
            f"P1 {case_id} er ikke kvittert av {sub_id} (opprettet {row['created_at']}).",
            now,
            key=f"escalation:{case_id}:{sub_id}",
            tlp=tlp,
            title=f"Ikke kvittert: {shown} ({sub_id})",
        )
    store.db.table("escalations").upsert(
        {"case_id": case_id, "subscriber_id": sub_id, "stage": stage, "at": iso(now)},
        pk=("case_id", "subscriber_id"),
    )
    store.audit(
        "escalation",
        subscriber_id=sub_id,
        decision=f"stage{stage}",
        detail={"case": case_id, "planned": planned},
        now=now,
    )


def _resend(store: Store, original: dict[str, Any], stage: int, now: datetime) -> int:
    n = Notification.from_json(json.loads(original["notification"]))
    did = delivery_id(original["id"], "reminder", stage)
    n.delivery_id, n.kind = did, "reminder"
    n.extra = {**n.extra, "reminder": True, "escalation": stage == 2}
    return store.add_delivery(
        {
            "id": did,
            "case_id": original["case_id"],
            "revision": original["revision"],
            "subscriber_id": original["subscriber_id"],
            "target_id": original["target_id"],
            "channel": original["channel"],
            "kind": "reminder",
            "priority": original["priority"],
            "tlp": original["tlp"],
            "status": "pending",
            "notification": n,
        },
        now=now,
    )
