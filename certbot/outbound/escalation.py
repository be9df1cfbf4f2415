"""The escalation ladder for unacknowledged P1 alerts (issue 5).

A P1 alert with no ack or status after ``service.escalation_after`` (default 2 h) climbs one
rung per step: (1) a reminder to the municipality's targets, (2) the alert to its targets
marked ``escalation: true``, (3) the operator target. If the deadline is close, the step is
shortened so all three rungs happen before it. Acknowledging (or any status) stops the ladder.
Rungs are at least one step apart by the time the last one was taken (stored with it), so a
clock that jumps hours forward climbs one rung, not the whole ladder at once, and one that
jumps back delays the next rung, never repeats one.
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
from certbot.outbound.notices import OperatorNotice, plan_operator
from certbot.store import Delivery, Store, StoreThread, delivery_id
from certbot.store import replies as records

RUNGS = 3


async def run_escalation(store: StoreThread | Store, config: Config, now: datetime) -> int:
    """Climb every due ladder one rung; returns how many rungs were taken.

    With the service's `StoreThread` the whole job runs on the writer thread (never on the
    event loop's); a plain `Store` (CLI, tests) is used in the calling thread.
    """
    if isinstance(store, StoreThread):
        return await store.call(escalate, config, now)
    return escalate(store, config, now)


def escalate(store: Store, config: Config, now: datetime) -> int:
    rows = records.unacked_p1(store, RUNGS)
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
    due = created + step * (int(row["stage"]) + 1)
    if row.get("escalated_at"):  # one step after the last rung, whatever the clock did
        due = max(due, datetime.fromisoformat(row["escalated_at"]) + step)
    return due


def _rung(store: Store, config: Config, row: dict[str, Any], stage: int, now: datetime) -> None:
    case_id, sub_id = row["case_id"], row["subscriber_id"]
    latest: dict[str, dict[str, Any]] = {}
    for d in records.original_deliveries(store, case_id, sub_id):
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
        notice = OperatorNotice(
            f"P1 {case_id} er ikke kvittert av {sub_id} (opprettet {row['created_at']}).",
            key=f"escalation:{case_id}:{sub_id}",
            tlp=tlp,
            title=f"Ikke kvittert: {shown} ({sub_id})",
        )
        planned += plan_operator(store, config, notice, now)
    records.set_escalation_stage(store, case_id, sub_id, stage, now)
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
    reminder = Delivery(
        id=did,
        case_id=original["case_id"],
        revision=original["revision"],
        subscriber_id=original["subscriber_id"],
        target_id=original["target_id"],
        channel=original["channel"],
        kind="reminder",
        priority=original["priority"],
        tlp=original["tlp"],
        status="pending",
        notification=n,
    )
    return store.add_delivery(reminder, now=now)
