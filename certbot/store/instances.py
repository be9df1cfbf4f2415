"""Process instances and their leases (RELIABILITY.md I2, issue 12.2).

Every process that opens the service (`run`, `poll`, `send-test`) registers one row in
``instances`` (id, pid, host, started_at, lease_until, kind) and renews its lease while it
lives (`renew_lease`, every ``LEASE_SECONDS / 3``). A claimed delivery names its owner
(``deliveries.claimed_by``); `Outbox.recover_inflight` takes back only rows whose owner is
dead. An instance is dead when its lease has expired, or, on this host, when its pid no longer
runs (or is our own pid: a predecessor in a container restarted as pid 1), so a SIGKILLed
process is taken over at once on restart, not a lease later.

At most one `run` is live per database: `register_instance` for kind ``run`` refuses (returns
the live one) in the same IMMEDIATE transaction that would insert it. ``poll``/``send-test``
register too, and `live_run` tells them whether to leave the sending to the running service.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from certbot.store.base import StoreBase, iso

LEASE_SECONDS = 60.0
KINDS = ("run", "poll", "send-test")


@dataclass(frozen=True)
class Instance:
    """This process, as registered in ``instances``."""

    kind: str
    id: str = field(default_factory=lambda: "i-" + uuid.uuid4().hex[:16])
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)

    @staticmethod
    def describe(row: dict[str, Any]) -> str:
        """'pid 123 on host h, since 2026-…' for a console message."""
        return f"pid {row['pid']} on host {row['host']}, since {row['started_at']}"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a row with our own pid that is not us: a dead predecessor
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def is_live(row: dict[str, Any], now: datetime, host: str) -> bool:
    """The lease holds, and on this host the process still runs."""
    if (row["lease_until"] or "") <= (iso(now) or ""):
        return False
    return row["host"] != host or _pid_alive(int(row["pid"]))


def live_ids(store: StoreBase, now: datetime) -> set[str]:
    """The ids of the instances alive now (`is_live`)."""
    host = socket.gethostname()
    rows = store.db.query("SELECT * FROM instances")
    return {r["id"] for r in rows if is_live(r, now, host)}


class Instances(StoreBase):
    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: two processes registering at once are serialised (a deferred
        transaction that reads, then writes, could not be upgraded under WAL)."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def instances(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM instances ORDER BY started_at"))

    def live_instance_ids(self, now: datetime) -> set[str]:
        return live_ids(self, now)

    def live_run(self, now: datetime, *, other_than: str | None = None) -> dict[str, Any] | None:
        """The live `run` instance on this database, if any (not ``other_than``)."""
        host = socket.gethostname()
        for row in self.instances():
            if row["kind"] == "run" and row["id"] != other_than and is_live(row, now, host):
                return row
        return None

    def register_instance(
        self, inst: Instance, now: datetime, lease: float = LEASE_SECONDS
    ) -> dict[str, Any] | None:
        """Insert this process with a lease; dead instances are pruned. For kind ``run``,
        returns the live `run` instead (and inserts nothing) when there is one."""
        if inst.kind not in KINDS:
            raise ValueError(f"instance kind {inst.kind!r} is not one of {KINDS}")
        with self._immediate():
            live = self.live_instance_ids(now)
            holder = self.live_run(now) if inst.kind == "run" else None
            if holder is not None:
                return holder
            marks = ",".join("?" * len(live))
            self.db.execute(
                f"DELETE FROM instances WHERE id NOT IN ({marks})",  # noqa: S608
                list(live),
            )
            self.db.execute(
                "INSERT INTO instances (id, pid, host, started_at, lease_until, kind) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    inst.id,
                    inst.pid,
                    inst.host,
                    iso(now),
                    iso(now + timedelta(seconds=lease)),
                    inst.kind,
                ],
            )
        return None

    def renew_lease(self, instance_id: str, now: datetime, lease: float = LEASE_SECONDS) -> bool:
        """Extend the lease; False if the row is gone (pruned as dead by another process)."""
        with self.tx():
            cur = self.db.execute(
                "UPDATE instances SET lease_until = ? WHERE id = ?",
                [iso(now + timedelta(seconds=lease)), instance_id],
            )
        return cur.rowcount == 1

    def release_instance(self, instance_id: str) -> None:
        """A clean exit: the row goes, so nothing waits for its lease."""
        with self.tx():
            self.db.execute("DELETE FROM instances WHERE id = ?", [instance_id])
