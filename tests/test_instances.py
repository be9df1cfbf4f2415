"""Process instances and leases (issue 12.2, RELIABILITY.md I2): one live `run` per database,
claims owned by an instance, and recovery that takes over only the rows of dead owners."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certbot.store import Delivery, Store
from certbot.store.instances import Instance

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LIVE_PID = os.getppid()  # a process that runs (pytest's parent), not this one


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "c.db")


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def add(store: Store, did: str) -> None:
    store.add_delivery(
        Delivery(did, "0301", "siem", "file", "alert", 2, 0, "pending", "{}"), now=NOW
    )


def test_a_second_run_is_refused_and_told_who_holds_the_database(store: Store) -> None:
    first = Instance("run", pid=LIVE_PID)
    assert store.register_instance(first, NOW) is None
    holder = store.register_instance(Instance("run", pid=LIVE_PID), NOW)
    assert holder is not None and holder["id"] == first.id
    assert f"pid {LIVE_PID} on host " in Instance.describe(holder)
    assert store.live_run(NOW)["id"] == first.id  # type: ignore[index]
    # poll and send-test register next to it, and see it
    poll = Instance("poll")
    assert store.register_instance(poll, NOW) is None
    assert store.live_run(NOW, other_than=poll.id)["id"] == first.id  # type: ignore[index]


def test_a_dead_or_expired_run_does_not_hold_the_database(store: Store) -> None:
    assert store.register_instance(Instance("run", pid=dead_pid()), NOW) is None
    assert store.live_run(NOW) is None  # its process is gone (same host)
    other_host = Instance("run", pid=1, host="elsewhere.example")
    assert store.register_instance(other_host, NOW, lease=60) is None
    assert store.live_run(NOW + timedelta(seconds=30))["id"] == other_host.id  # type: ignore[index]
    assert store.live_run(NOW + timedelta(seconds=61)) is None  # its lease ran out
    assert store.renew_lease(other_host.id, NOW + timedelta(seconds=50), lease=60)
    assert store.live_run(NOW + timedelta(seconds=61)) is not None  # renewed
    store.release_instance(other_host.id)
    assert store.live_run(NOW) is None
    assert not store.renew_lease(other_host.id, NOW)


def test_recovery_takes_over_only_rows_of_dead_owners(store: Store) -> None:
    live = Instance("run", pid=LIVE_PID)
    dead = Instance("poll", pid=dead_pid())
    me = Instance("poll")
    real_now = datetime.now(UTC)
    for inst in (live, dead, me):
        assert store.register_instance(inst, real_now) is None
    for did, owner in (("d-live", live), ("d-dead", dead), ("d-mine", me), ("d-none", None)):
        add(store, did)
        assert store.claim(did, real_now, owner.id if owner else None)
    assert store.recover_inflight(real_now, me.id) == 3
    status = {r["id"]: (r["status"], r["ambiguous"]) for r in store.deliveries()}
    assert status["d-live"] == ("sending", 0)  # the live service's send is left to it
    assert status["d-dead"] == status["d-mine"] == status["d-none"] == ("pending", 1)
    assert store.delivery("d-live")["claimed_by"] == live.id  # type: ignore[index]
