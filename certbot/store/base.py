"""The connection and what every kind of state shares: transactions, counters, the audit trail.

`StoreBase` opens ONE SQLite connection (WAL, ``synchronous=FULL``, ``busy_timeout``, foreign
keys on) and applies the migrations (`certbot.store.schema`). Every query goes through its
``db`` property, the door: once `bind_owner` has named an owner thread (the writer thread of
`certbot.store.thread.StoreThread`), ``db`` raises `WrongThread` at once when any other
thread touches the connection, so no job can open or end another job's transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from certbot.errors import ConfigError
from certbot.store.schema import MIGRATIONS

# What callers outside the store catch (they may not import sqlite3 themselves).
OperationalError = sqlite3.OperationalError
DatabaseError = sqlite3.DatabaseError


class WrongThread(RuntimeError):
    """The connection was used from a thread other than its owner (the single writer)."""


class DatabaseUnusable(ConfigError):
    """The database file cannot be written at start (read-only file or directory): a refusal
    that names the file and the fix (RELIABILITY.md row 33)."""


class DatabaseGone(RuntimeError):
    """The database file was deleted or replaced under the running service: nothing more may
    be written (it would go to a file nobody reads, or to a new empty one)."""


def check_writable(path: str) -> None:
    """Refuse a database SQLite could open but never write: the file, its directory (the
    WAL and the journal are created there) and an existing ``-wal`` must be writable."""
    if path == ":memory:":
        return
    db = Path(path)
    fix = "make it writable by this user (chmod u+w / chown), or pass --db with another file"
    for p in (db, db.parent, Path(f"{path}-wal"), Path(f"{path}-shm")):
        # Root may write anything: a file with no write bit at all was made read-only on
        # purpose, and is refused for root too.
        if p.exists() and (
            not os.access(p, os.W_OK) or (p.is_file() and not p.stat().st_mode & 0o222)
        ):
            what = "directory" if p.is_dir() else "file"
            raise DatabaseUnusable([f"database {db}: the {what} {p} is read-only; {fix}"])


def file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``; None if there is none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat(timespec="seconds")


def delivery_id(*parts: object) -> str:
    """Deterministic delivery id: planning the same thing twice gives the same row."""
    blob = "\x1f".join(str(p) for p in parts)
    return "d-" + hashlib.sha256(blob.encode()).hexdigest()[:20]


class StoreBase:
    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        check_writable(self.path)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db = sqlite_utils.Database(conn)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "busy_timeout=10000",
            "foreign_keys=ON",
        ):
            self._db.execute(f"PRAGMA {pragma}")
        MIGRATIONS.apply(self._db)
        self._identity = None if self.path == ":memory:" else file_identity(self.path)
        self._owner: int | None = None
        self._lock = threading.RLock()

    @property
    def db(self) -> sqlite_utils.Database:
        """The connection, for the owner thread only (any thread until one is bound)."""
        owner = self._owner
        if owner is not None and threading.get_ident() != owner:
            raise WrongThread(
                f"store {self.path} used from thread {threading.current_thread().name!r}, "
                "not its writer thread"
            )
        return self._db

    def check_file(self) -> None:
        """Raise `DatabaseGone` if the file at our path is no longer the one we opened
        (deleted, or replaced by another file): checked before each poll cycle and by the
        service's periodic check, so no new work is taken on a database nobody will read."""
        if self.path == ":memory:":
            return
        now = file_identity(self.path)
        if now != self._identity:
            what = "deleted" if now is None else "replaced by another file"
            raise DatabaseGone(
                f"database {self.path} was {what} while the service ran; stopping without "
                "writing anything more. Restore the file (or its backup) and start again"
            )

    def bind_owner(self, ident: int | None = None) -> None:
        """From now on only thread ``ident`` (default: the calling thread) may use the store."""
        self._owner = threading.get_ident() if ident is None else ident

    def close(self) -> None:
        self.db.close()

    # --- transactions -------------------------------------------------------------------

    def select(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """A SELECT's rows as dicts: sqlite-utils' ``db.query`` without the savepoint it opens
        and releases around every statement (three statements per read; a SELECT writes
        nothing, so there is nothing to roll back). The rows are read to the end and the
        statement closed before returning: a half-read statement keeps SQLite's read lock until
        the garbage collector finalises it, and a second process's write waits on that lock
        ("database is locked" in tests/test_second_process.py)."""
        cur = self.db.conn.execute(sql, params)
        try:
            keys = [d[0] for d in cur.description]
            return iter([dict(zip(keys, row, strict=True)) for row in cur.fetchall()])
        finally:
            cur.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite_utils.Database]:
        """``with store.tx():`` one atomic transaction (nested calls join the outer one as a
        savepoint). The outermost one is ``BEGIN IMMEDIATE``: the write lock is taken at the
        start, where ``busy_timeout`` waits for another process. A deferred ``BEGIN`` reads
        first and fails at once ("database is locked", SQLITE_BUSY_SNAPSHOT in WAL) when it
        then writes after another process committed."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def bump(self, name: str, by: int = 1) -> None:
        self.db.execute(
            "INSERT INTO counters(name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
            [name, by],
        )

    def counters(self) -> dict[str, int]:
        return {r["name"]: r["value"] for r in self.db.table("counters").rows}

    # --- audit and maintenance ----------------------------------------------------------

    def audit(
        self,
        action: str,
        *,
        actor: str | None = None,
        subscriber_id: str | None = None,
        decision: str | None = None,
        detail: Any = None,
        now: datetime | None = None,
    ) -> None:
        self.db.table("audit").insert(
            {
                "at": iso(now or utcnow()),
                "actor": actor,
                "subscriber_id": subscriber_id,
                "action": action,
                "decision": decision,
                "detail": detail
                if isinstance(detail, str) or detail is None
                else json.dumps(detail, ensure_ascii=False),
            }
        )

    def audit_rows(self, limit: int = 200) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit]))

    def backup(self, dest: str | Path) -> None:
        """A consistent copy of the last committed state through SQLite's online backup API
        (safe during writes); the copy is checked with integrity_check before this returns.

        A file database is read through a second, read-only connection: the backup API
        refuses a source connection that holds a write transaction (SQLITE_LOCKED), and
        Python's ``backup`` retries that forever, so a backup taken inside ``tx()`` (the chat
        ``/publiser`` preview runs inside its command's transaction) would hang."""
        target = sqlite3.connect(str(dest))
        source = None
        try:
            if self.path == ":memory:":
                with self._lock:
                    self.db.conn.backup(target)
            else:
                source = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro", uri=True)
                source.execute("PRAGMA busy_timeout=10000")
                source.backup(target)
            if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError(f"backup {dest} failed its integrity check")
        finally:
            if source is not None:
                source.close()
            target.close()

    def integrity_ok(self) -> bool:
        return next(self.select("PRAGMA integrity_check"))["integrity_check"] == "ok"
