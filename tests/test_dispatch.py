"""The outbox (RELIABILITY.md I1-I4): send then record, backoff, Retry-After, dead letters,
isolation between targets, and the TLP check at send time. A fake clock; nothing sleeps."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from certbot.config import SubscriberConfig
from certbot.errors import DeliveryError
from certbot.model import TLP, AffectedProduct
from certbot.outbound.dispatch import Dispatcher, backoff
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from certbot.store import Store
from tests.factory import (
    Clock,
    RecordingChannel,
    config,
    fortios_sub,
    item,
    kev,
    structured,
    subscriber,
)
from tests.test_pipeline import FEED

OPERATOR = {
    "operator_targets": [
        {"id": "vakt", "kind": "email", "address": "vakt@cert.example", "tlp_max": "AMBER"}
    ]
}


def setup(store, subs, clock, *, service=None, channels=None):
    cfg = config(subs, service=service or OPERATOR)
    chans = channels or {"file": RecordingChannel(), "email": RecordingChannel()}
    p = Pipeline(cfg, store, http=None, clock=clock)
    d = Dispatcher(cfg, store, chans, clock=clock, rng=random.Random(1), rate_limits=False)
    return cfg, p, d, chans


FORTIOS_BELOW_727 = AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.7")


def digest_sub(*extra: dict[str, Any]) -> SubscriberConfig:
    """0301 with an internet-facing, critical FortiOS 7.2.4 (a structured advisory for it is
    scheduled, P3, so it waits for the digest) and the ``extra`` inventory items."""
    fortios = item(
        "Fortinet", "FortiOS", version="7.2.4", internet_facing=True, criticality="critical"
    )
    return subscriber("0301", "Kommune 0301", [fortios, *extra])


def two_targets():
    return fortios_sub(
        targets=[
            {"id": "a", "kind": "file", "address": "a.jsonl", "tlp_max": "AMBER"},
            {"id": "b", "kind": "email", "address": "b@k.example", "tlp_max": "AMBER"},
        ]
    )


async def test_sent_once_and_recorded(store):
    clock = Clock()
    _, p, d, chans = setup(store, [fortios_sub()], clock)
    p._ingest_and_plan(FEED, [kev("CVE-2024-21762", "Fortinet", "FortiOS")], SourceState())
    s = await d.run_once()
    assert s.sent == 1 and len(chans["file"].sent) == 1
    assert (await d.run_once()).sent == 0  # nothing sent twice
    (row,) = store.store.deliveries()
    assert row["status"] == "sent" and row["external_id"] == "ext-1" and row["attempts"] == 1


async def test_retry_after_is_honoured_and_other_targets_unaffected(store):
    clock = Clock()
    _, p, d, chans = setup(store, [two_targets()], clock)
    chans["file"].script = [DeliveryError("slack 429", retryable=True, retry_after=600)]
    p._ingest_and_plan(FEED, [kev("CVE-2024-21762", "Fortinet", "FortiOS")], SourceState())
    s = await d.run_once()
    assert s.sent == 1 and s.retried == 1
    assert len(chans["email"].sent) == 1  # the other target got it at once (I4)
    for _ in range(3):  # no early retry, however often the dispatcher runs
        clock.advance(199)
        assert (await d.run_once()).sent == 0 and chans["file"].sent == []
    clock.advance(3)  # 600 s after the 429
    assert (await d.run_once()).sent == 1
    assert store.store.status_counts() == {"sent": 2}


async def test_backoff_grows_capped_with_jitter():
    rng = random.Random(7)
    waits = [backoff(a, 30, 3600, rng) for a in range(1, 12)]
    assert all(15 <= w <= 3600 for w in waits)
    assert waits[5] > waits[0]
    assert max(waits) <= 3600


async def test_teams_503_then_resets_then_ok_loses_nothing(store):
    clock = Clock()
    _, p, d, chans = setup(
        store, [fortios_sub()], clock, service={**OPERATOR, "dispatch": {"max_attempts": 20}}
    )
    chans["file"].script = [DeliveryError("503", retryable=True)] * 6 + [
        DeliveryError("reset", retryable=True, ambiguous=True)
    ] * 3
    p._ingest_and_plan(FEED, [kev("CVE-2024-21762", "Fortinet", "FortiOS")], SourceState())
    for _ in range(40):
        await d.run_once()
        clock.advance(3600)
    (row,) = [r for r in store.store.deliveries() if r["subscriber_id"] == "0301"]
    assert row["status"] == "sent" and row["attempts"] == 10
    assert len(chans["file"].sent) == 1  # lost = 0, no duplicate


async def test_permanent_failure_is_dead_and_alerts_the_operator(store):
    clock = Clock()
    _, p, d, chans = setup(store, [fortios_sub()], clock)
    chans["file"].script = [DeliveryError("telegram 403 bot was blocked", retryable=False)]
    p._ingest_and_plan(FEED, [kev("CVE-2024-21762", "Fortinet", "FortiOS")], SourceState())
    s = await d.run_once()
    assert s.dead == 1
    statuses = {(r["subscriber_id"], r["status"]) for r in store.store.deliveries()}
    assert ("0301", "dead") in statuses and ("operator", "sent") in statuses
    notice = chans["email"].sent[0]
    assert notice.kind == "operator" and "dead" in notice.summary
    assert any(a["action"] == "delivery_dead" for a in store.store.audit_rows())


async def test_last_attempt_makes_it_dead(store):
    clock = Clock()
    _, p, d, chans = setup(
        store, [fortios_sub()], clock, service={**OPERATOR, "dispatch": {"max_attempts": 3}}
    )
    chans["file"].script = [DeliveryError("500", retryable=True)] * 5
    p._ingest_and_plan(FEED, [kev("CVE-2024-21762", "Fortinet", "FortiOS")], SourceState())
    for _ in range(5):
        await d.run_once()
        clock.advance(7200)
    row = next(r for r in store.store.deliveries() if r["subscriber_id"] == "0301")
    assert row["status"] == "dead" and row["attempts"] == 3


async def test_clearance_lowered_between_plan_and_send_blocks_the_send(store):
    clock = Clock()
    sub = fortios_sub(
        targets=[{"id": "a", "kind": "file", "address": "a.jsonl", "tlp_max": "AMBER"}]
    )
    _, p, _, chans = setup(store, [sub], clock)
    p._ingest_and_plan(
        FEED,
        [
            structured(
                "amb", [AffectedProduct("Fortinet", "FortiOS")], tlp=TLP.AMBER, exploited=True
            )
        ],
        SourceState(),
    )
    lowered = fortios_sub(
        targets=[{"id": "a", "kind": "file", "address": "a.jsonl", "tlp_max": "GREEN"}]
    )
    cfg2 = config([lowered], service=OPERATOR)
    d2 = Dispatcher(cfg2, store, chans, clock=clock, rate_limits=False)
    s = await d2.run_once()
    assert s.blocked == 1 and chans["file"].sent == []
    assert any(a["action"] == "tlp_block_at_send" for a in store.store.audit_rows())


async def test_interrupted_send_is_resent_and_counted(store):
    clock = Clock()
    _, p, d, _chans = setup(store, [fortios_sub()], clock)
    p._ingest_and_plan(FEED, [kev("CVE-2024-21762", "Fortinet", "FortiOS")], SourceState())
    (row,) = store.store.deliveries()
    store.store.claim(row["id"], clock())  # a previous process claimed it, then died
    s = await d.run_once()
    assert s.sent == 1 and s.ambiguous_resends == 1
    assert store.store.counters()["ambiguous_resend"] == 1


async def test_digest_folds_held_items_at_its_time(store):
    clock = Clock()
    # Two scheduled (P3) cases for the FortiOS item (open, critical, version confirmed) and one
    # deferred (P4) case for a low-importance internal item.
    sub = digest_sub(item("Acme", "Lab Tool", version="1.0", criticality="low"))
    _, p, d, chans = setup(store, [sub], clock)
    lab = AffectedProduct("Acme", "Lab Tool", versions="vers:generic/<2.0")
    for i, product in enumerate((FORTIOS_BELOW_727, FORTIOS_BELOW_727, lab)):
        p._ingest_and_plan(FEED, [structured(f"low-{i}", [product])], SourceState())
    assert (await d.run_once()).sent == 0
    clock.advance(24 * 3600)  # the next morning's daily digest time has passed
    assert (await d.run_once()).sent == 1
    (digest,) = chans["file"].sent
    assert digest.kind == "digest" and len(digest.items) == 2  # the P4 waits for the weekly one
    clock.advance(7 * 24 * 3600)
    await d.run_once()
    assert len(chans["file"].sent) == 2 and len(chans["file"].sent[1].items) == 1


class _Gate:
    """A stand-in rate limiter that lets its target send only once ``open`` is set."""

    def __init__(self, open_: asyncio.Event | None = None):
        self.open = open_

    async def acquire(self) -> None:
        if self.open is not None:
            await self.open.wait()


async def test_a_target_waiting_on_its_rate_limit_holds_no_concurrency_slot(store):
    clock = Clock()
    cfg = config([two_targets()], service={**OPERATOR, "dispatch": {"concurrency": 1}})
    chans = {"file": RecordingChannel(), "email": RecordingChannel()}
    p = Pipeline(cfg, store, http=None, clock=clock)
    d = Dispatcher(cfg, store, chans, clock=clock, rng=random.Random(1))
    p._ingest_and_plan(FEED, [kev("CVE-2024-21762", "Fortinet", "FortiOS")], SourceState())
    first, second = ((r["subscriber_id"], r["target_id"]) for r in store.store.due(clock()))
    other_sent = asyncio.Event()
    d.limiters[first] = _Gate(other_sent)  # the first target drained waits for its turn ...
    d.limiters[second] = _Gate()
    real = chans["email" if second[1] == "b" else "file"].deliver

    async def deliver(payload, target):
        sent = await real(payload, target)
        other_sent.set()  # ... which comes only once the other target has sent
        return sent

    chans["email" if second[1] == "b" else "file"].deliver = deliver  # type: ignore[method-assign]
    s = await asyncio.wait_for(d.run_once(), timeout=10)  # held slot: a deadlock, not a pass
    assert s.sent == 2 and len(chans["file"].sent) == len(chans["email"].sent) == 1


@pytest.mark.parametrize(
    "labels", [(TLP.CLEAR,), (TLP.GREEN, TLP.AMBER), (TLP.AMBER, None), (None,)]
)
def test_case_tlp_reads_what_load_case_gives(tmp_path, labels):
    s = Store(tmp_path / "tlp.db")
    cve = "CVE-2024-21762"
    fortios = [AffectedProduct("Fortinet", "FortiOS")]
    advs = [
        structured(f"S-{i}", fortios, source=f"src{i}", cves=(cve,), tlp=t)
        for i, t in enumerate(labels)
    ]
    s.ingest(advs, now=Clock()())
    for ref in (cve, advs[0].key):  # the case id, and an alias of it
        assert s.case_tlp(ref) == (True, s.load_case(ref).tlp)
    assert s.case_tlp("CVE-1999-0001") == (False, None)
    s.close()
