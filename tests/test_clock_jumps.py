"""Clock jumps and digests (issue 12.13, RELIABILITY.md row 33), with the App's fake clock:
a digest folds each held item once, so hours back or forward never send one twice (the
escalation side is in tests/test_escalation.py)."""

from __future__ import annotations

from certbot.sources import SourceState
from tests.factory import Clock, structured
from tests.test_dispatch import FORTIOS_BELOW_727, digest_sub, setup
from tests.test_pipeline import FEED

HOUR = 3600


async def test_clock_jumps_never_double_a_digest(store):
    clock = Clock()
    _, p, d, chans = setup(store, [digest_sub()], clock)
    fortios = FORTIOS_BELOW_727
    for i in range(2):
        p._ingest_and_plan(FEED, [structured(f"low-{i}", [fortios])], SourceState())
    clock.advance(24 * HOUR)
    await d.run_once()
    assert [len(n.items) for n in chans["file"].sent] == [2]
    for jump in (-30, 6, 20, -48, 72):  # back past the digest time, and far forward
        clock.advance(jump * HOUR)
        for _ in range(3):
            await d.run_once()
    assert [len(n.items) for n in chans["file"].sent] == [2]  # still the one digest
    p._ingest_and_plan(FEED, [structured("low-2", [fortios])], SourceState())
    clock.advance(24 * HOUR)
    await d.run_once()
    await d.run_once()
    assert [len(n.items) for n in chans["file"].sent] == [2, 1]  # only the new item, once
