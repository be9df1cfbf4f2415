"""Routing through planning + dispatch with a fake clock: daily and weekly digests at their
Oslo times, quiet hours, the daily cap, and no empty digests. T0 is Tuesday 10 March 2026,
10:00 in Oslo (CET, UTC+1)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from certbot.config import RoutingConfig
from certbot.model import Priority
from certbot.outbound.dispatch import Dispatcher
from certbot.pipeline import Pipeline
from certbot.render import OSLO
from certbot.routing import digest_due, in_quiet_hours, quiet_hours_end
from certbot.sources import SourceState
from tests.factory import (
    FORTIOS_FIXED_727,
    Clock,
    RecordingChannel,
    config,
    confirmed,
    fortios_sub,
    item,
    kev,
    structured,
    subscriber,
)
from tests.test_pipeline import FEED

QUIET = {"start": "22:00", "end": "07:00"}
# Version-confirmed (7.2.4 is in the range), so the SSVC tree decides without the cap. The
# FortiOS item is internet-facing and critical: open exposure, very high impact.
FORTIOS = [FORTIOS_FIXED_727]
AUTOMATABLE = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def oslo(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2026, Oslo wall time, as an aware UTC datetime."""
    return datetime(2026, 3, day, hour, minute, tzinfo=OSLO).astimezone(UTC)


def setup(store, sub, clock):
    cfg = config([sub])
    chans = {"file": RecordingChannel(), "email": RecordingChannel()}
    p = Pipeline(cfg, store, http=None, clock=clock)
    d = Dispatcher(cfg, store, chans, clock=clock, rng=random.Random(1), rate_limits=False)
    return p, d, chans["file"]


def plan(p: Pipeline, *advisories: Any) -> None:
    p._ingest_and_plan(FEED, list(advisories), SourceState())


def p2(i: int) -> Any:  # none/open/automatable/very high: out-of-cycle
    return structured(f"p2-{i}", FORTIOS, cvss=8.0, cvss_vector=AUTOMATABLE)


def p3(i: int) -> Any:  # none/open/not automatable/very high: scheduled
    return structured(f"p3-{i}", FORTIOS, cvss=5.0)


def p4(i: int) -> Any:  # for low_sub(): none/controlled/no/low: defer
    return structured(f"p4-{i}", FORTIOS, cvss=2.0)


def low_sub() -> Any:
    """FortiOS 7.2.4 on an internal lab box of low importance."""
    return subscriber(
        "0301", "Kommune 0301", [item("Fortinet", "FortiOS", version="7.2.4", criticality="low")]
    )


def short(case_id: str | None) -> str:
    return (case_id or "").removeprefix("csaf-test:")


def priorities(store) -> dict[str, int]:
    return {short(r["case_id"]): r["priority"] for r in store.store.deliveries() if r["case_id"]}


async def test_p3_lands_in_the_next_daily_digest_not_before_0800_oslo(store):
    clock = Clock()  # Tuesday 10:00 Oslo: today's digest has gone
    p, d, ch = setup(store, fortios_sub(), clock)
    plan(p, p3(1))
    assert priorities(store) == {"p3-1": int(Priority.P3)}
    assert (await d.run_once()).sent == 0
    clock.now = oslo(11, 7, 59)  # Wednesday, one minute early
    assert (await d.run_once()).sent == 0 and ch.sent == []
    clock.now = oslo(11, 8, 0)  # Wednesday 08:00 Oslo = 07:00 UTC
    assert (await d.run_once()).sent == 1
    (digest,) = ch.sent
    assert digest.kind == "digest" and [short(n.case_id) for n in digest.items] == ["p3-1"]
    assert {r["status"] for r in store.store.deliveries() if r["kind"] == "alert"} == {"digested"}
    clock.advance(3600)
    assert (await d.run_once()).sent == 0  # folded once, sent once


async def test_p3_planned_early_morning_goes_into_that_mornings_digest(store):
    clock = Clock(oslo(11, 6, 30))
    p, d, ch = setup(store, fortios_sub(), clock)
    plan(p, p3(1))
    clock.now = oslo(11, 8, 0)
    assert (await d.run_once()).sent == 1 and ch.sent[0].kind == "digest"


async def test_p4_waits_for_the_weekly_digest(store):
    clock = Clock()
    p, d, ch = setup(store, low_sub(), clock)
    plan(p, p4(1))
    assert priorities(store) == {"p4-1": int(Priority.P4)}
    for day in (11, 12, 13, 14, 15):  # the daily digests of Wednesday..Sunday pass it by
        clock.now = oslo(day, 8, 0)
        assert (await d.run_once()).sent == 0
    clock.now = oslo(16, 7, 59)  # Monday, one minute early
    assert (await d.run_once()).sent == 0
    clock.now = oslo(16, 8, 0)
    assert (await d.run_once()).sent == 1
    (digest,) = ch.sent
    assert digest.kind == "digest" and [short(n.case_id) for n in digest.items] == ["p4-1"]


async def test_p1_during_quiet_hours_goes_out_at_once(store):
    clock = Clock(oslo(10, 23, 30))
    p, d, ch = setup(store, fortios_sub(quiet_hours=QUIET), clock)
    plan(p, kev("CVE-2024-21762", "Fortinet", "FortiOS"), confirmed("CVE-2024-21762"))
    assert (await d.run_once()).sent == 1
    assert ch.sent[0].priority == Priority.P1 and ch.sent[0].kind == "alert"


async def test_p2_during_quiet_hours_waits_until_they_end(store):
    clock = Clock(oslo(10, 23, 30))
    p, d, ch = setup(store, fortios_sub(quiet_hours=QUIET), clock)
    plan(p, p2(1))
    assert priorities(store) == {"p2-1": int(Priority.P2)}
    assert (await d.run_once()).sent == 0
    clock.now = oslo(11, 6, 59)
    assert (await d.run_once()).sent == 0 and ch.sent == []
    clock.now = oslo(11, 7, 0)
    assert (await d.run_once()).sent == 1
    assert ch.sent[0].kind == "alert" and short(ch.sent[0].case_id) == "p2-1"


async def test_p2_outside_quiet_hours_goes_out_at_once(store):
    clock = Clock(oslo(10, 21, 59))
    p, d, _ch = setup(store, fortios_sub(quiet_hours=QUIET), clock)
    plan(p, p2(1))
    assert (await d.run_once()).sent == 1


async def test_daily_cap_moves_overflow_into_the_digest_never_drops_it(store):
    clock = Clock()
    p, d, ch = setup(store, fortios_sub(daily_cap=2), clock)
    for i in range(5):
        plan(p, p2(i))
        clock.advance(60)
    assert (await d.run_once()).sent == 2
    assert [short(n.case_id) for n in ch.sent] == ["p2-0", "p2-1"]
    assert sorted(r["status"] for r in store.store.deliveries()) == ["digest"] * 3 + ["sent"] * 2
    clock.now = oslo(11, 8, 0)
    assert (await d.run_once()).sent == 1
    digest = ch.sent[-1]
    assert digest.kind == "digest"
    assert sorted(short(n.case_id) for n in digest.items) == [
        "p2-2",
        "p2-3",
        "p2-4",
    ]  # none dropped


async def test_daily_cap_counts_messages_not_targets(store):
    """Two targets carry the same alert: that is one message to the municipality, so a cap of
    2 lets two alerts through on each target, not one."""
    sub = fortios_sub(
        daily_cap=2,
        targets=[
            {"id": "a", "kind": "file", "address": "a.jsonl", "tlp_max": "AMBER"},
            {"id": "b", "kind": "email", "address": "b@k.example", "tlp_max": "AMBER"},
        ],
    )
    clock = Clock()
    cfg = config([sub])
    chans = {"file": RecordingChannel(), "email": RecordingChannel()}
    p = Pipeline(cfg, store, http=None, clock=clock)
    d = Dispatcher(cfg, store, chans, clock=clock, rng=random.Random(1), rate_limits=False)
    for i in range(3):
        plan(p, p2(i))
    assert (await d.run_once()).sent == 4
    for ch in chans.values():
        assert sorted(short(n.case_id) for n in ch.sent) == ["p2-0", "p2-1"]


async def test_the_cap_starts_again_the_next_oslo_day(store):
    clock = Clock(oslo(10, 20, 0))
    p, d, ch = setup(store, fortios_sub(daily_cap=1), clock)
    plan(p, p2(0))
    plan(p, p2(1))  # over today's cap: digest
    clock.now = oslo(11, 0, 30)  # after midnight in Oslo (still 10 March in UTC)
    plan(p, p2(2))
    await d.run_once()
    assert [short(n.case_id) for n in ch.sent if n.kind == "alert"] == ["p2-0", "p2-2"]


async def test_an_empty_digest_is_not_sent(store):
    clock = Clock()
    p, d, ch = setup(store, fortios_sub(), clock)
    plan(p, p2(1))  # immediate: nothing is held for the digest
    assert (await d.run_once()).sent == 1
    for day in (11, 16):  # the daily and the weekly digest times
        clock.now = oslo(day, 8, 0)
        assert (await d.run_once()).sent == 0
    assert [n.kind for n in ch.sent] == ["alert"]
    assert not [r for r in store.store.deliveries() if r["kind"] == "digest"]


def test_digest_due_and_quiet_hours_are_oslo_wall_times():
    routing = RoutingConfig()
    assert digest_due(routing, Priority.P3, oslo(10, 10)) == oslo(11, 8)
    assert digest_due(routing, Priority.P3, oslo(10, 7, 59)) == oslo(10, 8)
    assert digest_due(routing, Priority.P4, oslo(10, 10)) == oslo(16, 8)
    assert digest_due(routing, Priority.P4, oslo(16, 7)) == oslo(16, 8)
    # Summer time (CEST, UTC+2) after 29 March 2026: still 08:00 on the wall.
    summer = datetime(2026, 3, 30, 8, 0, tzinfo=OSLO)
    assert digest_due(routing, Priority.P3, datetime(2026, 3, 29, 12, tzinfo=OSLO)) == summer
    assert summer.astimezone(UTC).hour == 6
    from certbot.config import QuietHours

    q = QuietHours.model_validate(QUIET)
    assert in_quiet_hours(q, oslo(10, 22)) and in_quiet_hours(q, oslo(11, 6, 59))
    assert not in_quiet_hours(q, oslo(11, 7)) and not in_quiet_hours(q, oslo(10, 21, 59))
    assert quiet_hours_end(q, oslo(10, 23, 30)) == oslo(11, 7)
    assert quiet_hours_end(q, oslo(11, 1)) == oslo(11, 7)
