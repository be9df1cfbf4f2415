"""The store's transactions against a second connection to the same file (RELIABILITY.md I2:
a CLI command beside the running service). A write transaction takes the write lock when it
begins, where ``busy_timeout`` waits, instead of reading first and failing at once with
"database is locked" when the other process committed in between (SQLITE_BUSY_SNAPSHOT, seen
in the federation test). A backup taken inside a transaction reads the last committed state
and returns."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from certbot.store import Store


def other_connection(path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=0")
    return conn


def test_a_transaction_holds_the_write_lock_from_its_start(tmp_path):
    store = Store(tmp_path / "certbot.db")
    other = other_connection(tmp_path / "certbot.db")
    try:
        with store.tx():
            # Nothing written yet: a deferred BEGIN would hold no lock here.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("CREATE TABLE probe (x)")
        other.execute("CREATE TABLE probe (x)")  # released at commit
    finally:
        other.close()
        store.close()


def test_read_then_write_succeeds_when_another_process_commits_between(tmp_path):
    path = tmp_path / "certbot.db"
    store = Store(path)
    store.bump("seed")
    began, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_process() -> None:
        conn = sqlite3.connect(str(path), isolation_level=None)
        conn.execute("PRAGMA busy_timeout=10000")
        began.wait()
        try:
            conn.execute("CREATE TABLE other_writer (x)")  # waits for the store's commit
        except BaseException as e:
            errors.append(e)
        finally:
            conn.close()
            done.set()

    t = threading.Thread(target=other_process)
    t.start()
    try:
        with store.tx():
            store.select("SELECT * FROM sqlite_master")  # the read
            began.set()
            # Give the other writer a chance to commit between our read and our write (it
            # must not get one: the lock is ours); a deferred BEGIN lets it, and our write
            # then fails with "database is locked".
            finished_inside = done.wait(0.5)
            store.bump("after-read")
        assert not finished_inside, "another connection wrote inside our transaction"
        assert done.wait(30), "the other writer never got the lock after the commit"
    finally:
        began.set()
        t.join(30)
        store.close()
    assert errors == []


def test_backup_inside_a_transaction_returns_the_committed_state(tmp_path):
    store = Store(tmp_path / "certbot.db")
    store.bump("committed")
    out: list[BaseException | None] = []

    def backup() -> None:
        try:
            with store.tx():
                store.bump("uncommitted")
                store.backup(tmp_path / "copy.db")
            out.append(None)
        except BaseException as e:
            out.append(e)

    t = threading.Thread(target=backup, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "backup inside a write transaction did not return"
    assert out == [None]
    copy = Store(tmp_path / "copy.db")
    try:
        names = {r["name"] for r in copy.select("SELECT name FROM counters")}
    finally:
        copy.close()
        store.close()
    assert "committed" in names and "uncommitted" not in names
