"""No first-run flood: the baseline window and the "Status ved oppstart" message (issue 11.2).

Contract: `Baseline.start(store, config, feed_ids, now)` is called once per plan batch, before
the batch saves any feed state; it notes which feeds are polled for the first time and which
(municipality, inventory item) pairs are new (`certbot.store` keeps them; a new municipality's
items are all new). `is_backlog(ctx)` is true for a first alert of a case first published before
``routing.baseline_days`` (KEV: ``dateAdded``) when its feed, its municipality or one of its
matched items is new. Planning then keeps the case's rows as held deliveries (`hold`) instead of
sending them; `flush` folds each (municipality, target)'s held rows into ONE delivery of kind
``onboarding`` whose notification lists them, highest priority first (rendered like a digest,
so every channel's size fitting applies). Nothing is dropped: the matches and alert state are
written as for any alert (``explain``, ``sector``), and each held row stays in the outbox as
``digested`` with the onboarding delivery's id. The batch's other immediate rows are
grouped per vendor by the `Bursts` it carries (`certbot.planning.bursts`), flushed here too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from certbot.config import Config, InventoryItem, SubscriberConfig
from certbot.model import TLP, Case, Notification, Priority
from certbot.planning.bursts import Bursts
from certbot.planning.context import PlanContext
from certbot.planning.digests import Fold, fold_rows
from certbot.store import Delivery, Store, delivery_id

TITLE = {
    "nb": "Status ved oppstart: {n} saker som gjelder dere",
    "en": "Status at start-up: {n} items that concern you",
}


def item_key(item: InventoryItem) -> str:
    return f"{item.vendor}|{item.product}|{item.version or ''}".lower()


# The last subscribers tuple asked for and its pairs: the configuration is frozen, so the same
# tuple (held here, so its id is not reused) has the same pairs at every poll.
_PAIRS: list[tuple[tuple[SubscriberConfig, ...], list[tuple[str, str]]]] = []


def inventory_pairs(subscribers: tuple[SubscriberConfig, ...]) -> list[tuple[str, str]]:
    """(municipality, item key) of every inventory item (computed once per configuration)."""
    if _PAIRS and _PAIRS[0][0] is subscribers:
        return _PAIRS[0][1]
    pairs = [(s.id, item_key(i)) for s in subscribers for i in s.inventory]
    _PAIRS[:] = [(subscribers, pairs)]
    return pairs


def first_published(case: Case) -> datetime | None:
    """When the case was first published by any source (KEV: the date it was added)."""
    dates = [a.published for a in case.advisories if a.published is not None]
    return min(dates) if dates else None


@dataclass
class Baseline:
    cutoff: datetime
    first_feeds: set[str] = field(default_factory=set)
    new_items: set[tuple[str, str]] = field(default_factory=set)
    held: dict[tuple[str, str], list[Delivery]] = field(default_factory=lambda: defaultdict(list))
    bursts: Bursts | None = None  # the batch's immediate rows, grouped at `flush` (11.3)

    @classmethod
    def start(
        cls,
        store: Store,
        config: Config,
        feed_ids: list[str],
        now: datetime,
        *,
        inventory: bool = True,
    ) -> Baseline:
        """``inventory=False``: the caller knows this config's inventory is already noted (an
        earlier committed batch), so no item is new and the stored keys are not read back."""
        days = config.service.routing.baseline_days
        new_items: set[tuple[str, str]] = set()
        if inventory:
            new_items = store.note_inventory(inventory_pairs(config.subscribers), now)
        return cls(
            cutoff=now - timedelta(days=days),
            first_feeds=store.first_polls(feed_ids),
            new_items=new_items,
            bursts=Bursts(now) if config.service.routing.group_bursts else None,
        )

    def is_backlog(self, ctx: PlanContext) -> bool:
        if ctx.kind != "alert":
            return False
        published = first_published(ctx.case)
        if published is None or published >= self.cutoff:
            return False
        if any(a.source in self.first_feeds for a in ctx.case.advisories):
            return True
        inv = ctx.sub.inventory
        return any(
            (ctx.sub.id, item_key(inv[m.item_index])) in self.new_items
            for m in ctx.matches
            if 0 <= m.item_index < len(inv)
        )

    def hold(self, row: Delivery) -> None:
        """Keep a backlog row in the outbox, held for this batch's onboarding message."""
        row.status, row.due_at, row.next_attempt_at = "digest", None, None
        self.held[(row.subscriber_id, row.target_id)].append(row)

    def flush(self, store: Store, config: Config, now: datetime) -> int:
        """One onboarding delivery per (municipality, target) with held rows, then the
        batch's bursts grouped (`certbot.planning.bursts`)."""
        made = 0
        subs = {s.id: s for s in config.subscribers}
        for (sub_id, target_id), rows in sorted(self.held.items()):
            sub, target = subs.get(sub_id), config.target(sub_id, target_id)
            if sub is None or target is None or not rows:
                continue
            rows.sort(key=lambda r: (r.priority or 4, r.case_id or ""))
            children = [r.notification for r in rows if isinstance(r.notification, Notification)]
            did = delivery_id("onboarding", sub_id, target_id, *sorted(r.id for r in rows))
            top = max(TLP(r.tlp) for r in rows)
            best = min(Priority(r.priority or 4) for r in rows)
            title = TITLE.get(sub.language, TITLE["en"]).format(n=len(children))
            fold = Fold(sub, target, children, title, top, best, "onboarding", {"onboarding": True})
            fold_rows(store, fold, did, [r.id for r in rows], now)
            made += 1
        self.held.clear()
        if self.bursts is not None:
            made += self.bursts.flush(store, config, now)
        return made
