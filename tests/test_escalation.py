"""The escalation ladder with a fake clock: reminder, escalation contacts, operator; an ack
in between stops it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certbot.outbound.escalation import run_escalation
from certbot.store import AsyncStore
from tests.inbound_helpers import World, make_world

HOUR = 3600


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def planned(w: World, kind: str) -> list[tuple[str, str]]:
    rows = w.store.db.query(
        "SELECT subscriber_id, target_id FROM deliveries WHERE kind = ? ORDER BY 1, 2", [kind]
    )
    return [(r["subscriber_id"], r["target_id"]) for r in rows]


def operator_texts(w: World) -> list[str]:
    rows = w.store.db.query("SELECT notification FROM deliveries WHERE kind = 'operator'")
    return [json.loads(r["notification"])["summary"] for r in rows]


async def test_ladder_and_ack_stops_it(world: World) -> None:
    async def tick(hours: float) -> int:
        world.clock.advance(hours * HOUR)
        return await run_escalation(world.store, world.config, world.clock.now)

    assert await tick(1.9) == 0  # not yet two hours
    assert planned(world, "reminder") == []

    assert await tick(0.1) == 2  # 2 h: a reminder to every target of both municipalities
    assert planned(world, "reminder") == [("0301", "drift"), ("0301", "vakt"), ("4601", "drift")]
    reminder = json.loads(
        next(world.store.db.query("SELECT notification FROM deliveries WHERE kind = 'reminder'"))[
            "notification"
        ]
    )
    assert reminder["kind"] == "reminder" and reminder["extra"]["reminder"] is True

    assert await tick(1) == 0  # nothing more until the next step
    world.run("telegram", "222", f"ack {world.case}")  # 4601 acknowledges in between

    assert await tick(1) == 1  # 4 h: only 0301 climbs, to its escalation contacts
    rows = list(
        world.store.db.query(
            "SELECT target_id, notification FROM deliveries WHERE kind = 'reminder' "
            "AND subscriber_id = '0301' ORDER BY created_at DESC, target_id"
        )
    )
    escalated = [r for r in rows if json.loads(r["notification"])["extra"]["escalation"]]
    assert [r["target_id"] for r in escalated] == ["vakt"]

    assert operator_texts(world) == []
    assert await tick(2) == 1  # 6 h: the operator
    texts = operator_texts(world)
    assert len(texts) == 1 and "0301" in texts[0] and "4601" not in texts[0]

    assert await tick(10) == 0  # the top of the ladder; nothing repeats
    audit = world.store.db.query(
        "SELECT subscriber_id, decision FROM audit WHERE action = 'escalation' ORDER BY id"
    )
    assert [(r["subscriber_id"], r["decision"]) for r in audit] == [
        ("0301", "stage1"),
        ("4601", "stage1"),
        ("0301", "stage2"),
        ("0301", "stage3"),
    ]


async def test_ack_before_first_step_means_no_reminder(world: World) -> None:
    world.run("telegram", "111", f"kvitter {world.case}")
    world.run("telegram", "222", f"ack {world.case}")
    world.clock.advance(48 * HOUR)
    assert await run_escalation(world.store, world.config, world.clock.now) == 0
    assert planned(world, "reminder") == []


async def test_short_deadline_shortens_the_steps(world: World) -> None:
    world.store.db.execute("UPDATE matches SET deadline = '2026-03-10T13:00:00+00:00'")
    world.clock.advance(1 * HOUR)  # 4 h to the deadline: steps of 1 h
    astore = AsyncStore(world.store)
    try:
        assert await run_escalation(astore, world.config, world.clock.now) == 2
    finally:
        astore._pool.shutdown(wait=True)


async def test_clock_jumps_bring_no_burst_and_no_repeat(world: World) -> None:
    """Issue 12.13: hours forward climb one rung per step; hours back repeat nothing."""

    async def run(hours: float) -> int:
        world.clock.advance(hours * HOUR)
        return await run_escalation(world.store, world.config, world.clock.now)

    assert await run(10) == 2  # 10 h forward at once: one rung for each municipality
    assert [await run(5 / 60) for _ in range(6)] == [0] * 6  # the next 30 min: no burst
    assert await run(-5) == 0  # the clock goes back 5 h
    assert [await run(1) for _ in range(6)] == [0] * 6  # ...and catches up: nothing repeats
    assert await run(1.5) == 2  # one step after the last rung (by the clock that took it)
    stages = world.store.db.query(
        "SELECT decision, count(*) AS n FROM audit WHERE action = 'escalation' GROUP BY 1"
    )
    assert {r["decision"]: r["n"] for r in stages} == {"stage1": 2, "stage2": 2}
    assert len(planned(world, "reminder")) == 3 + 1  # rung 1: 3 targets; rung 2: 0301's vakt
