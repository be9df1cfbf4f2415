"""Digests: P3/P4 deliveries held for a target's daily or weekly digest are folded, when their
digest time has come (and not in the municipality's quiet hours), into ONE digest delivery per
target. Runs on the store's writer thread; `Store.fold_into_digest` writes the digest row and
marks its items ``digested`` in one transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from certbot.config import Config, SubscriberConfig, TargetConfig
from certbot.model import TLP, Notification, Priority
from certbot.routing import in_quiet_hours
from certbot.store import Delivery, Store, delivery_id


def build_digests(store: Store, config: Config, now: datetime, *, force: bool = False) -> int:
    """Fold held P3/P4 deliveries whose digest time has come into one digest per target."""
    rows = store.held_for_digest(now) if not force else store.all_held_for_digest()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["subscriber_id"], r["target_id"])].append(r)
    made = 0
    for (sub_id, target_id), items in groups.items():
        target = config.target(sub_id, target_id)
        sub = next((s for s in config.subscribers if s.id == sub_id), None)
        if target is None or sub is None or not items:
            continue
        if not force and in_quiet_hours(sub.quiet_hours, now):
            continue
        children = [Notification.from_json(json.loads(r["notification"])) for r in items]
        did = delivery_id("digest", sub_id, target_id, *sorted(r["id"] for r in items))
        top = max(TLP(r["tlp"]) for r in items)
        best = min(Priority(r["priority"]) for r in items)
        lang = sub.language
        title = (
            f"Sammendrag: {len(items)} varsler" if lang == "nb" else f"Digest: {len(items)} alerts"
        )
        fold = Fold(sub, target, children, title, top, best)
        fold_rows(store, fold, did, [r["id"] for r in items], now)
        made += 1
    return made


@dataclass
class Fold:
    """One list-of-items delivery for a target: a digest, or the start-up status message."""

    sub: SubscriberConfig
    target: TargetConfig
    children: list[Notification]
    title: str
    tlp: TLP
    priority: Priority
    kind: str = "digest"  # the outbox row's kind ("digest", "onboarding" or "group")
    extra: dict[str, Any] = field(default_factory=dict)
    next_attempt_at: str | None = None  # a group goes at its earliest item's time


def fold_rows(store: Store, fold: Fold, did: str, ids: list[str], now: datetime) -> int:
    """Write the one delivery that lists ``fold.children`` and mark the rows ``ids`` as folded
    into it (`Store.fold_into_digest`, or `Store.fold_into_group` for a group of immediate
    rows; one transaction). Every channel renders it as a list. Returns 1 if it was new."""
    n = Notification(
        delivery_id=did,
        kind="digest",
        language=fold.sub.language,
        subscriber_id=fold.sub.id,
        subscriber_name=fold.sub.name,
        target_id=fold.target.id,
        tlp=fold.tlp,
        priority=fold.priority,
        title=fold.title,
        items=fold.children,
        extra=dict(fold.extra),
    )
    row = Delivery.planned(
        n, fold.target.kind, kind=fold.kind, next_attempt_at=fold.next_attempt_at
    )
    if fold.kind == "group":
        return store.fold_into_group(row, ids, now)
    store.fold_into_digest(row, ids, now)
    return 1
