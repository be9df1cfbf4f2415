"""Issue 12.2 on real processes (RELIABILITY.md row 24, I2): `python -m certbot run` sends
many rate-limited deliveries to a fake Teams webhook on 127.0.0.1 while `poll --once`, a
`send-test` and a second `run` start on the same database. No duplicate reaches the peer,
the second `run` refuses and names the first, and `poll`/`send-test` leave the sending to the
running service and say so. Loopback only, bounded waits, no sleeps as synchronisation."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web

from certbot.demo.fakes import TeamsFake, start_fake
from tests.factory import kev_entry

pytestmark = pytest.mark.slow

TARGETS = 6
CVES = [f"CVE-2026-{20000 + i}" for i in range(12)]
DEADLINE = 90.0
LATENCY = 0.5  # the peer's answer time, so sends are in flight when the others start


class SlowTeams(TeamsFake):
    """A Teams webhook that takes LATENCY seconds to answer (a real one takes about that)."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(LATENCY)  # simulated network latency, not synchronisation
        return await super().handle(request)


def make_config(root: Path) -> None:
    (root / "subscribers").mkdir(parents=True)
    vulns = [kev_entry(cve) for cve in CVES]
    catalogue = {
        "title": "test",
        "catalogVersion": "2026.01.01",
        "dateReleased": "2026-01-01T00:00:00.000Z",
        "count": len(vulns),
        "vulnerabilities": vulns,
    }
    (root / "kev.json").write_text(json.dumps(catalogue))
    (root / "feeds.yaml").write_text(
        "feeds:\n  - {id: kev, kind: kev, path: kev.json}\nservice:\n  dispatch: {concurrency: 2}\n"
        "  routing: {baseline_days: 100000, group_bursts: false}\n"  # every case sent alone
    )
    targets = "".join(
        f"  - {{id: t{i}, kind: teams, secret: {{env: TEAMS_T{i}}}, tlp_max: GREEN}}\n"
        for i in range(TARGETS)
    )
    (root / "subscribers" / "0301-oslo.yaml").write_text(
        "id: '0301'\nname: Oslo kommune\ncounty: Oslo\ndaily_cap: 1000\n"
        f"targets:\n{targets}"
        "inventory:\n  - {vendor: Fortinet, product: FortiOS, version: '7.2.4', internet_facing: true}\n"
    )


def env(url: str, sig: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CERTBOT_")}
    hooks = {f"TEAMS_T{i}": f"{url}/webhook/t{i}?api-version=1&sig={sig}" for i in range(TARGETS)}
    return {**base, **hooks, "PYTHONUNBUFFERED": "1"}


def cli(root: Path, *args: str) -> list[str]:
    db = str(root / "c.db")
    return [sys.executable, "-m", "certbot", "--config-dir", str(root), "--db", db, *args]


def db_counts(root: Path) -> dict[str, int]:
    if not (root / "c.db").exists():
        return {}
    db = sqlite3.connect(root / "c.db", timeout=10)
    try:
        return dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))
    except sqlite3.OperationalError:
        return {}  # not migrated yet
    finally:
        db.close()


def sent_all(counts: dict[str, int], total: int) -> bool:
    return (
        counts.get("sent", 0) >= total and not counts.get("pending") and not counts.get("sending")
    )


async def until(cond, what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll a condition with a deadline (never a sleep as synchronisation)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def received(teams: TeamsFake) -> Counter[tuple[str, str]]:
    """(target path, CVE) per accepted webhook post of an alert."""
    seen: Counter[tuple[str, str]] = Counter()
    for rec in teams.requests:
        m = re.search(rb"CVE-2026-2\d{4}", rec.raw)
        if m and rec.path.startswith("/webhook/t"):
            seen[(rec.path, m.group().decode())] += 1
    return seen


async def finish(proc: asyncio.subprocess.Process) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def test_poll_send_test_and_a_second_run_while_run_sends(tmp_path: Path) -> None:
    teams = SlowTeams()
    runner, url = await start_fake(teams)
    make_config(tmp_path)
    e = env(url, teams.sig)
    pipe = subprocess.PIPE
    total = TARGETS * len(CVES)
    run = await asyncio.create_subprocess_exec(*cli(tmp_path, "run"), env=e, stderr=pipe)
    try:
        # `run` is sending (4 posts per second per target, 2 slots): start the others now.
        await until(lambda: len(teams.requests) >= 2 * TARGETS, "run to start sending")
        assert db_counts(tmp_path).get("pending", 0) > 0, "too few deliveries to overlap"
        second = await asyncio.create_subprocess_exec(
            *cli(tmp_path, "run"), env=e, stdout=pipe, stderr=pipe
        )
        poll = await asyncio.create_subprocess_exec(
            *cli(tmp_path, "poll", "--once"), env=e, stdout=pipe, stderr=pipe
        )
        test = await asyncio.create_subprocess_exec(
            *cli(tmp_path, "send-test", "0301"), env=e, stdout=pipe, stderr=pipe
        )
        (rcp, outp, errp), (rct, outt, errt) = await asyncio.gather(finish(poll), finish(test))
        await until(
            lambda: sent_all(db_counts(tmp_path), total),
            "every delivery (and the test messages) to be sent",
        )
        if second.returncode is None:  # it did not refuse: stop it, and fail below
            second.send_signal(signal.SIGTERM)
        rc2, _, err2 = await finish(second)
    finally:
        if run.returncode is None:
            run.send_signal(signal.SIGTERM)
        assert run.stderr is not None
        run_log = (await asyncio.wait_for(run.stderr.read(), DEADLINE)).decode(errors="replace")
        await asyncio.wait_for(run.wait(), DEADLINE)
        await runner.cleanup()
    got = received(teams)
    duplicates = sum(n - 1 for n in got.values())
    print(f"row 24: {total} deliveries, {len(got)} unique received, {duplicates} duplicates")
    assert len(got) == total  # lost = 0
    assert duplicates == 0, f"{duplicates} duplicates without a crash"
    # A second `run` refuses, naming the running one.
    assert rc2 != 0
    assert f"pid {run.pid}" in err2 and "another certbot run" in err2, err2[-1500:]
    # `poll --once` and `send-test` plan, and leave the sending to the service.
    assert rcp == 0, errp[-1500:]
    assert "sending is left to the running service" in outp, outp
    assert rct == 0, errt[-1500:]
    assert "queued for the running service" in outt, outt
    tests = [r for r in teams.requests if b"TEST" in r.raw]
    assert len(tests) == TARGETS  # run's dispatcher sent each test message once
    assert "interrupted mid-send" not in run_log
