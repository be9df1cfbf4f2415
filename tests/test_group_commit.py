"""Group commit in the outbox (issue 16.1): claims and finished sends of concurrent sends are
written in one transaction per batch, every send is still recorded exactly once, and a finish
is recorded only by the instance that still holds the claim (issue 12 leftover)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from certbot.outbound.dispatch import Dispatcher
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from certbot.store import Delivery, Store
from certbot.store.instances import Instance
from tests.factory import Clock, RecordingChannel, config, fortios_sub, kev
from tests.test_pipeline import FEED

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def many_targets(n: int):
    targets = [
        {"id": f"t{i}", "kind": "file", "address": f"t{i}.jsonl", "tlp_max": "AMBER"}
        for i in range(n)
    ]
    return fortios_sub(targets=targets, daily_cap=1000)


async def test_concurrent_sends_share_transactions_and_all_are_recorded(store):
    clock = Clock()
    cfg = config(
        [many_targets(40)],
        service={"dispatch": {"concurrency": 16}, "routing": {"group_bursts": False}},
    )  # one delivery per case: grouping would fold the five cases into one message
    p = Pipeline(cfg, store, http=None, clock=clock)
    cves = [f"CVE-2026-{30000 + i}" for i in range(5)]
    p._ingest_and_plan(FEED, [kev(c, "Fortinet", "FortiOS") for c in cves], SourceState())
    channel = RecordingChannel()
    d = Dispatcher(cfg, store, {"file": channel}, clock=clock, rng=random.Random(1),
                   rate_limits=False)  # fmt: skip
    summary = await d.run_once()
    assert summary.sent == len(channel.sent) == 200
    assert store.store.status_counts() == {"sent": 200}
    # 200 claims + 200 records in far fewer transactions than 400, and never more than the
    # 16 slots in flight or unrecorded at once (the crash exposure).
    assert d.group.ops == 400
    assert d.group.batches <= 400 / 4
    assert d.group.peak_active <= 16


def test_a_claim_taken_over_after_lease_expiry_is_not_recorded_by_the_old_owner(tmp_path: Path):
    store = Store(tmp_path / "c.db")
    old = Instance("run", pid=1, host="elsewhere.example")
    assert store.register_instance(old, NOW, lease=60) is None
    store.add_delivery(
        Delivery("d1", "0301", "siem", "file", "alert", 2, 0, "pending", "{}"), now=NOW
    )
    assert store.claim("d1", NOW, old.id)
    later = NOW + timedelta(seconds=120)  # the old owner's lease ran out mid-send
    new = Instance("run", pid=2, host="other.example")
    assert store.register_instance(new, later, lease=60) is None
    assert store.recover_inflight(later, new.id) == 1
    assert store.claim("d1", later, new.id)
    # The old owner comes back and tries to record its (stale) outcome: refused both ways.
    assert not store.finish_sent("d1", later, "old-ext", ambiguous=False, owner=old.id)
    assert not store.finish_failed("d1", later, "boom", retry_at=None, owner=old.id)
    row = store.delivery("d1")
    assert row is not None
    assert (row["status"], row["claimed_by"], row["external_id"]) == ("sending", new.id, None)
    assert store.counters().get("sent", 0) == 0 and store.counters().get("dead", 0) == 0
    # The new owner records it, counted as the ambiguous re-send it is.
    assert store.finish_sent("d1", later, "new-ext", ambiguous=True, owner=new.id)
    row = store.delivery("d1")
    assert row is not None
    assert (row["status"], row["external_id"], row["ambiguous_resends"]) == ("sent", "new-ext", 1)
    # And a finish on a row that is no longer `sending` is refused, too.
    assert not store.finish_sent("d1", later, "again", ambiguous=False, owner=new.id)
    store.close()
