"""Disk full (RELIABILITY.md row 21), simulated with SQLite's max_page_count: ingesting and
sending fail cleanly, nothing acknowledged is lost, the database stays intact, and work resumes
when space is back."""

from __future__ import annotations

import random
import sqlite3

import pytest

from certbot.outbound.dispatch import Dispatcher
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from certbot.store import AsyncStore
from tests.factory import Clock, RecordingChannel, config, fortios_sub, kev
from tests.test_pipeline import FEED


def cap(store: AsyncStore, extra_pages: int) -> None:
    """Allow the database to grow by at most ``extra_pages`` pages from now on."""
    pages = store.store.db.execute("PRAGMA page_count").fetchone()[0]
    store.store.db.execute(f"PRAGMA max_page_count = {pages + extra_pages}")


def uncap(store: AsyncStore) -> None:
    store.store.db.execute("PRAGMA max_page_count = 1073741823")


def many(n: int):
    return [kev(f"CVE-2026-{20000 + i}", "Fortinet", "FortiOS", title="x" * 2000) for i in range(n)]


def test_disk_full_while_ingesting_keeps_nothing_half_done_and_resumes(store):
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=Clock())
    cap(store, 3)
    with pytest.raises(sqlite3.OperationalError, match="full"):
        p._ingest_and_plan(FEED, many(200), SourceState(etag='"v1"'))
    assert store.store.integrity_ok()
    # All or nothing: no case without its alert, and the feed's ETag was not advanced, so the
    # next poll fetches the same items again instead of skipping them.
    assert store.store.db.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    assert store.store.feed_state(FEED.id).etag is None
    uncap(store)
    result = p._ingest_and_plan(FEED, many(200), SourceState(etag='"v1"'))
    assert result.planned == 200
    assert store.store.feed_state(FEED.id).etag == '"v1"'


async def test_disk_full_while_sending_resends_counted_and_resumes(store, monkeypatch):
    clock = Clock()
    cfg = config([fortios_sub()])
    p = Pipeline(cfg, store, http=None, clock=clock)
    p._ingest_and_plan(FEED, [kev("CVE-2024-21762", "Fortinet", "FortiOS")], SourceState())
    channel = RecordingChannel()
    d = Dispatcher(
        cfg, store, {"file": channel}, clock=clock, rng=random.Random(1), rate_limits=False
    )
    real = store.store.finish_sent

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store.store, "finish_sent", full)
    with pytest.raises(sqlite3.OperationalError, match="full"):
        await d.run_once()  # sent, but the record could not be written
    assert len(channel.sent) == 1
    (row,) = store.store.deliveries()
    assert row["status"] == "sending"  # not lost: still owed
    monkeypatch.setattr(store.store, "finish_sent", real)  # space is back
    summary = await d.run_once()
    assert summary.sent == 1 and summary.ambiguous_resends == 1
    (row,) = store.store.deliveries()
    assert row["status"] == "sent" and row["ambiguous_resends"] == 1
    assert store.store.integrity_ok()
