"""Bursts grouped (issue 11.3): several cases for one municipality planned in one poll from one
vendor become one message per target, through the pipeline, the outbox and the channels."""

from __future__ import annotations

import json
from datetime import timedelta

from certbot import feed_cap
from certbot.model import Notification
from certbot.pipeline import Pipeline
from certbot.planning.bursts import GRACE, per_message
from certbot.sources import SourceState
from certbot.store import iso
from tests.factory import (
    FORTIOS_FIXED_727,
    T0,
    Clock,
    config,
    confirmed,
    fortios_sub,
    kev,
    structured,
)
from tests.test_baseline import FEED, poll, rows

RECENT = T0 - timedelta(days=2)


def sendable(store, at):
    """What a dispatch round at ``at`` would send: pending rows that are due."""
    return [r for r in rows(store, status="pending") if r["next_attempt_at"] <= iso(at)]


def burst(n: int, *, vendor_kev: int = 0):
    advs = [confirmed(f"CVE-2026-{i:04d}", published=RECENT, exploited=True) for i in range(n)]
    advs += [
        kev(f"CVE-2026-9{i:03d}", "Fortinet", "FortiOS", published=RECENT)
        for i in range(vendor_kev)
    ]
    return advs


def test_a_burst_from_one_vendor_is_one_message_listing_the_cases_p1_first(store):
    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    poll(p, *burst(2, vendor_kev=1))
    groups = rows(store, kind="group")
    assert len(groups) == 1  # one target, one message
    assert [r["id"] for r in sendable(store, clock())] == [groups[0]["id"]]
    n = Notification.from_json(json.loads(groups[0]["notification"]))
    cases = [i.case_id for i in n.items]
    assert sorted(cases) == ["CVE-2026-0000", "CVE-2026-0001", "CVE-2026-9000"]
    prios = [int(i.priority) for i in n.items]
    assert prios == sorted(prios) and n.priority == min(i.priority for i in n.items)
    assert n.title == "Samlet varsel fra Fortinet: 3 saker"
    assert all(i.actions for i in n.items)  # each case keeps its actions
    # Each case keeps its own row (ack, escalation, explain), folded into the group.
    alerts = rows(store, kind="alert")
    assert {r["status"] for r in alerts} == {"digested"}
    assert {r["digest_id"] for r in alerts} == {groups[0]["id"]}
    assert groups[0]["priority"] == min(r["priority"] for r in alerts)


def test_a_single_case_stays_a_single_alert_sent_at_once(store):
    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    poll(p, *burst(1))
    assert rows(store, kind="group") == []
    due = sendable(store, clock())
    assert [r["case_id"] for r in due] == ["CVE-2026-0000"]  # the grace was given back


def test_different_vendors_are_not_grouped(store):
    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    poll(
        p,
        kev("CVE-2026-1000", "Fortinet", "FortiOS", published=RECENT),
        kev("CVE-2026-2000", "Microsoft", "Exchange Server", published=RECENT),
    )
    assert rows(store, kind="group") == []
    planned = rows(store, kind="alert")
    assert sorted(r["case_id"] for r in planned) == ["CVE-2026-1000", "CVE-2026-2000"]
    assert all(r["digest_id"] is None for r in planned)
    assert all(r["next_attempt_at"] <= iso(clock()) for r in planned)  # none held back


def test_a_burst_is_split_to_fit_the_channel_and_nothing_is_dropped(store):
    targets = [
        {"id": "tg", "kind": "telegram", "address": "-1001", "tlp_max": "AMBER"},
        {"id": "drift", "kind": "file", "address": "out/x.jsonl", "tlp_max": "AMBER"},
    ]
    clock = Clock()
    p = Pipeline(config([fortios_sub(targets=targets)]), store, http=None, clock=clock)
    n = per_message("telegram") * 2 + 1
    poll(p, *burst(n))
    tg = [r for r in rows(store, kind="group") if r["target_id"] == "tg"]
    listed = [i["case_id"] for r in tg for i in json.loads(r["notification"])["items"]]
    alone = [r["case_id"] for r in sendable(store, clock()) if r["kind"] == "alert"]
    assert len(tg) == 2 and len(alone) == 1  # 2 full messages and one left on its own
    assert sorted(listed + alone) == sorted(f"CVE-2026-{i:04d}" for i in range(n))
    drift = [r for r in rows(store, kind="group") if r["target_id"] == "drift"]
    assert len(drift) == 1  # the file channel declares no size limit


def test_a_crash_before_grouping_loses_nothing(store):
    """RELIABILITY I1: the rows are in the outbox from the plan transaction on; if the process
    dies before the group is written, they are sent one by one when the grace runs out."""
    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    p._start_baseline(store.store, [FEED.id])
    for part in feed_cap.slices([(FEED, burst(3), SourceState())]):
        p._ingest_slice(store.store, part, {})
    while p._plan_slice(store.store, {}, {}, {FEED.id: ([], 0, 0)}):
        pass
    # the process dies here, before `_flush_baseline` writes the group
    assert sendable(store, clock()) == []  # not before the batch would have ended
    later = sendable(store, clock() + GRACE)
    assert sorted(r["case_id"] for r in later) == [
        "CVE-2026-0000",
        "CVE-2026-0001",
        "CVE-2026-0002",
    ]


def test_grouping_the_same_rows_twice_writes_one_group(store):
    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    poll(p, *burst(2))
    poll(p, *burst(2))  # the same advisories again: nothing new is planned
    assert len(rows(store, kind="group")) == 1


def test_a_bulletin_spanning_two_alerted_cases_gives_one_message(store):
    """Two KEV cases alerted in two polls; then one vendor bulletin names both CVEs with the
    fixed version: one message for the target, not one per case."""
    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    poll(p, kev("CVE-2026-1000", "Fortinet", "FortiOS", published=RECENT))
    poll(p, kev("CVE-2026-1001", "Fortinet", "FortiOS", published=RECENT))
    before = {r["id"] for r in rows(store)}
    clock.advance(3600)
    cves = ("CVE-2026-1000", "CVE-2026-1001")
    poll(p, structured("fg-bulletin", [FORTIOS_FIXED_727], cves=cves, published=clock()))
    new = [r for r in rows(store) if r["id"] not in before]
    messages = [r for r in new if r["digest_id"] is None]
    assert len(messages) == 1, [(r["kind"], r["case_id"]) for r in new]
    assert messages[0]["kind"] == "update"


def test_group_bursts_false_sends_each_case_on_its_own(store):
    clock = Clock()
    cfg = config([fortios_sub()], service={"routing": {"group_bursts": False}})
    p = Pipeline(cfg, store, http=None, clock=clock)
    poll(p, *burst(3))
    assert rows(store, kind="group") == []
    assert len(sendable(store, clock())) == 3
