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
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from certbot.store.schema import MIGRATIONS

# What callers outside the store catch (they may not import sqlite3 themselves).
OperationalError = sqlite3.OperationalError
DatabaseError = sqlite3.DatabaseError


class WrongThread(RuntimeError):
    """The connection was used from a thread other than its owner (the single writer)."""


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

    def bind_owner(self, ident: int | None = None) -> None:
        """From now on only thread ``ident`` (default: the calling thread) may use the store."""
        self._owner = threading.get_ident() if ident is None else ident

    def close(self) -> None:
        self.db.close()

    # --- transactions -------------------------------------------------------------------

    def tx(self) -> Any:
        """``with store.tx():`` one atomic transaction (nested calls join the outer one)."""
        return self.db.atomic()

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
        """A consistent copy through SQLite's online backup API (safe during writes); the copy
        is checked with integrity_check before this returns."""
        target = sqlite3.connect(str(dest))
        try:
            with self._lock:
                self.db.conn.backup(target)
            if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError(f"backup {dest} failed its integrity check")
        finally:
            target.close()

    def integrity_ok(self) -> bool:
        return next(self.db.query("PRAGMA integrity_check"))["integrity_check"] == "ok"
