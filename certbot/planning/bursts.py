"""Bursts grouped (issue 11.3): several cases for one municipality planned in one poll from one
vendor become ONE message per target (Alertmanager's ``group_by``, here by municipality,
target and vendor).

Contract: `Bursts.hold(ctx, row)` is called for every immediate row (an alert or update that
goes now, not a digest, not blocked) planned in a batch; the row is written ``pending`` in the
case's own plan transaction (RELIABILITY.md I1), held back by `GRACE` so no dispatch round
sends it before the batch ends. `flush` (after the batch's last plan slice, one transaction)
folds each (municipality, target, vendor) with two or more held rows into group deliveries of
kind ``group``: each lists its cases, P1 first, and takes the highest priority of the cases it
lists and the earliest send time; a target gets as many as its channel's ``size_limit`` needs
(`per_message`). A row left on its own gets its own send time back. Each listed row stays in
the outbox as ``digested`` with the group's id, so every case keeps its ack, its signed links,
its escalation ladder and its place in ``explain``. If the process dies before `flush`, the
held rows are sent one by one when the grace runs out: nothing is lost, only not grouped.

The vendor is the one of the municipality's matched inventory item (as the municipality wrote
it); a case with no matched item (a withdrawal) falls back to its first product's vendor, then
to its primary source. A multi-CVE bulletin is one case already (cases merge by CVE); a
bulletin that changes two cases the municipality was alerted about separately gives one
update that lists both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from certbot.channels import channel_class
from certbot.config import Config, SubscriberConfig, TargetConfig
from certbot.model import TLP, Notification, Priority
from certbot.planning.context import PlanContext
from certbot.planning.digests import Fold, fold_rows
from certbot.store import Delivery, Store, delivery_id

GRACE = timedelta(minutes=10)
MAX_ITEMS = 20  # cases in one grouped message on a channel without a size limit
ITEM_BUDGET = 500  # what one listed case may take, in the unit the channel's size_limit counts
TITLE = {
    "nb": "Samlet varsel fra {vendor}: {n} saker",
    "en": "Grouped alert from {vendor}: {n} cases",
}


def _at(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")  # as the outbox stores times


def per_message(channel: str) -> int:
    """How many cases one grouped message lists on this channel: what fits its declared
    ``size_limit`` with room for the heading (at least 2, at most `MAX_ITEMS`)."""
    try:
        limit = getattr(channel_class(channel), "size_limit", None)
    except KeyError:
        limit = None
    if limit is None:
        return MAX_ITEMS
    return max(2, min(MAX_ITEMS, int(limit) // ITEM_BUDGET - 1))


def vendor_of(ctx: PlanContext) -> tuple[str, str]:
    """(group key, vendor as shown) for a planned case."""
    inv = ctx.sub.inventory
    names = sorted(inv[m.item_index].vendor for m in ctx.matches if 0 <= m.item_index < len(inv))
    if not names and ctx.case.products:
        names = [ctx.case.products[0][1].vendor]
    if names and names[0].strip():
        return names[0].strip().casefold(), names[0].strip()
    primary = ctx.case.primary
    return primary.key, primary.source


@dataclass
class Held:
    row: Delivery
    at: str  # the row's own send time, given back if it stays alone
    vendor: str


@dataclass
class Bursts:
    now: datetime
    held: dict[tuple[str, str, str], list[Held]] = field(default_factory=lambda: defaultdict(list))

    def hold(self, ctx: PlanContext, row: Delivery) -> None:
        if row.status != "pending" or row.kind not in ("alert", "update"):
            return
        own = row.next_attempt_at or _at(self.now)
        row.next_attempt_at = max(own, _at(self.now + GRACE))
        key, shown = vendor_of(ctx)
        self.held[(row.subscriber_id, row.target_id, key)].append(Held(row, own, shown))

    def flush(self, store: Store, config: Config, now: datetime) -> int:
        """Group what the batch held; returns how many group deliveries were written."""
        made = 0
        alone: list[tuple[str, str]] = []
        subs = {s.id: s for s in config.subscribers}
        with store.tx():
            for (sub_id, target_id, _), held in sorted(self.held.items()):
                live = store.still_pending(h.row.id for h in held)
                rows = sorted(
                    (h for h in held if h.row.id in live),
                    key=lambda h: (h.row.priority or 4, h.row.case_id or ""),
                )
                sub, target = subs.get(sub_id), config.target(sub_id, target_id)
                if sub is None or target is None or len(rows) < 2:
                    alone += [(h.row.id, h.at) for h in rows]
                    continue
                size = per_message(target.kind)
                for i in range(0, len(rows), size):
                    chunk = rows[i : i + size]
                    if len(chunk) < 2:
                        alone += [(h.row.id, h.at) for h in chunk]
                        continue
                    made += _fold(store, sub, target, chunk, now)
            store.release_held(alone, now)
        self.held.clear()
        return made


def _fold(
    store: Store, sub: SubscriberConfig, target: TargetConfig, chunk: list[Held], now: datetime
) -> int:
    """One group delivery listing ``chunk``'s cases, its rows marked as folded into it."""
    rows = [h.row for h in chunk]
    children = [r.notification for r in rows if isinstance(r.notification, Notification)]
    did = delivery_id("group", sub.id, target.id, *sorted(r.id for r in rows))
    title = TITLE.get(sub.language, TITLE["en"]).format(vendor=chunk[0].vendor, n=len(rows))
    fold = Fold(
        sub,
        target,
        children,
        title,
        max(TLP(r.tlp) for r in rows),
        min(Priority(r.priority or 4) for r in rows),
        "group",
        {"group": True, "cases": [r.case_id for r in rows if r.case_id]},
        next_attempt_at=min(h.at for h in chunk),
    )
    return fold_rows(store, fold, did, [r.id for r in rows], now)
