"""Disk full (RELIABILITY.md row 21), simulated with SQLite's max_page_count: ingesting and
sending fail cleanly, nothing acknowledged is lost, the database stays intact, and work resumes
when space is back."""

from __future__ import annotations

import random
import sqlite3

import pytest

from certbot.dispatch import Dispatcher
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from certbot.store import AsyncStore, Store
from tests.factory import Clock, RecordingChannel, config, fortios_sub, kev
from tests.test_pipeline import FEED


def cap(store: AsyncStore, extra_pages: int) -> None:
    """Allow the database to grow by at most ``extra_pages`` pages from now on."""
    pages = store.store.db.execute("PRAGMA page_count").fetchone()[0]
    store.store.db.execute(f"PRAGMA max_page_count = {pages + extra_pages}")


def uncap(store: AsyncStore) -> None:
    store.store.db.execute("PRAGMA max_page_count = 1073741823")


@pytest.fixture
def store(tmp_path):
    s = AsyncStore(Store(tmp_path / "t.db"))
    yield s
    s.close()


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
