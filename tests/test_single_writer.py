"""One writer for real (issue 12, point 1): every job of the service reaches SQLite through the
store's writer thread, and a thread that does not own the connection is refused at once.

The defect: the escalation job unwrapped the async store and ran ``escalate()`` on the event
loop's thread, on the connection the writer thread was using; one job's COMMIT or ROLLBACK
could end another job's half-done transaction ("cannot start a transaction within a
transaction", "no such savepoint").
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from certbot.config import FeedConfig
from certbot.inbound.commands import Command, handle
from certbot.model import Fetched
from certbot.outbound.dispatch import Dispatcher
from certbot.outbound.escalation import escalate, run_escalation
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from certbot.store import Store, StoreThread, WrongThread
from certbot.store import replies as records
from tests.factory import RecordingChannel
from tests.inbound_helpers import World, make_world

HOUR = 3600
DATA = Path(__file__).parent / "data"
TX_ERRORS = ("within a transaction", "savepoint")


class LocalHttp:
    """Serves one feed document from tests/data (no network)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def get_feed(self, feed: Any, *, etag: Any = None, last_modified: Any = None) -> Fetched:
        return Fetched(status=200, body=self.body)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def test_a_thread_that_does_not_own_the_store_is_refused_at_once(world: World) -> None:
    door = StoreThread(world.store)
    try:
        with pytest.raises(WrongThread):
            world.store.deliveries()  # the event loop's (here: the test's) thread
        # The defect's own path: escalate() on a thread other than the writer's.
        with pytest.raises(WrongThread):
            escalate(world.store, world.config, world.clock.now)
        seen: list[BaseException] = []

        def other() -> None:
            try:
                world.store.audit("from another thread")
            except WrongThread as exc:
                seen.append(exc)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert len(seen) == 1
        assert door._pool.submit(world.store.audit_rows).result() == []  # nothing was written
    finally:
        door.close()


async def test_escalation_dispatch_poll_and_commands_run_together(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    door = StoreThread(world.store)
    cfg = world.config
    world.clock.advance(7 * HOUR)  # every P1 ladder is due
    kev_feed = FeedConfig(id="kev", kind="kev", path="kev.json")
    pipeline = Pipeline(
        cfg,
        door,
        LocalHttp((DATA / "kev" / "kev-sample.json").read_bytes()),
        clock=world.clock,
    )
    channel = RecordingChannel()
    dispatcher = Dispatcher(cfg, door, {"file": channel}, clock=world.clock, rate_limits=False)
    commands = [
        Command("telegram", "222", "ack", [world.case], world.case, chat_id="222", update_id="1"),
        Command("telegram", "111", "mine", [], "", chat_id="111", update_id="2"),
        Command(
            "telegram",
            "111",
            "status",
            [world.case, "patched"],
            f"{world.case} patched",
            chat_id="111",
            update_id="3",
        ),
    ]

    def half_done(store: Store, n: int) -> None:
        """A job that fails in the middle of its transaction: none of it may remain."""
        with store.tx():
            store.audit("half-done", detail=str(n))
            store.bump("half_done")
            raise RuntimeError("the job failed half-way")

    jobs: list[Any] = []
    for i in range(3):
        jobs += [
            run_escalation(door, cfg, world.clock.now),
            dispatcher.run_once(),
            door.call(half_done, i),
        ]
    jobs += [pipeline.poll_many([kev_feed])]
    jobs += [door.run(handle, world.ctx, cmd) for cmd in commands]
    results = await asyncio.gather(*jobs, return_exceptions=True)

    failures = [r for r in results if isinstance(r, BaseException)]
    assert [str(f) for f in failures] == ["the job failed half-way"] * 3
    assert not [r for r in caplog.records if any(e in r.getMessage() for e in TX_ERRORS)]

    def check(store: Store) -> dict[str, Any]:
        audit = store.audit_rows(10_000)
        ladders = list(store.db.query("SELECT * FROM escalations"))
        reminders = store.deliveries(limit=10_000)
        return {
            "in_tx": store.db.conn.in_transaction,
            "half_done": [a for a in audit if a["action"] == "half-done"],
            "counter": store.counters().get("half_done"),
            "rungs": sorted(
                (a["subscriber_id"], a["decision"]) for a in audit if a["action"] == "escalation"
            ),
            "ladders": sorted((r["subscriber_id"], r["stage"]) for r in ladders),
            "reminders": {r["subscriber_id"] for r in reminders if r["kind"] == "reminder"},
            "ack": records.ack_row(store, world.case, "4601"),
            "kev": store.feed_state("kev"),
            "ok": store.integrity_ok(),
        }

    state = await door.call(check)
    door.close()
    assert state["ok"] and not state["in_tx"]
    assert state["half_done"] == [] and state["counter"] is None  # all or nothing
    # Each rung is its escalations row, its audit line and its reminders, together.
    # (Three escalation jobs ran: a ladder may have climbed up to three rungs.)
    assert {sub for sub, _ in state["ladders"]} == {"0301", "4601"}
    assert state["rungs"] == sorted(
        (sub, f"stage{k}") for sub, top in state["ladders"] for k in range(1, top + 1)
    )
    assert state["reminders"] == {"0301", "4601"}
    assert state["ack"] is not None and state["ack"]["status"] == "acknowledged"
    assert state["kev"] == SourceState(cursor={})
    replies = [r for r in results[-3:] if not isinstance(r, BaseException)]
    assert len(replies) == 3 and all(r is not None for r in replies)
    assert channel.sent  # dispatch sent while the others wrote
