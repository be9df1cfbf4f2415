"""Disk full under a real `run` process (issue 12.13, RELIABILITY.md row 34).

The configuration and the database live on a small tmpfs of their own. `run` sends 72
rate-limited deliveries to a fake Teams webhook; once it has started, a filler file takes all
the space that is left, so the writer's next commits fail with "database or disk is full".
Then the filler is removed. What must hold: the process keeps running (it does not die or
spin), nothing is lost (every delivery reaches the peer and ends `sent`), duplicates at the
peer are no more than the re-sends the database counted, and `PRAGMA integrity_check` is ok.

Mounting a tmpfs needs root (CI runs as root); elsewhere the test skips and says why.
Loopback only, bounded waits, no sleeps as synchronisation.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from certbot.demo.fakes import start_fake
from tests.test_second_process import (
    CVES,
    TARGETS,
    SlowTeams,
    cli,
    db_counts,
    env,
    make_config,
    received,
    sent_all,
    until,
)

pytestmark = pytest.mark.slow

SIZE = "24m"


@contextlib.contextmanager
def small_disk(path: Path) -> Iterator[Path]:
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    """Write a filler file until the disk refuses another byte."""
    filler = disk / "filler.bin"
    block = b"\0" * (64 * 1024)
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        try:  # the last partial block
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def ambiguous(root: Path) -> int:
    db = sqlite3.connect(root / "c.db", timeout=10)
    try:
        row = db.execute("SELECT coalesce(sum(ambiguous_resends), 0) FROM deliveries").fetchone()
        return int(row[0])
    finally:
        db.close()


def integrity(root: Path) -> str:
    db = sqlite3.connect(root / "c.db", timeout=10)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


async def test_disk_full_while_run_sends_loses_nothing_and_resumes(tmp_path: Path) -> None:
    teams = SlowTeams()
    runner, url = await start_fake(teams)
    total = TARGETS * len(CVES)
    with small_disk(tmp_path / "disk") as root:
        make_config(root)
        log = root.parent / "run.log"
        with log.open("wb") as err:
            run = await asyncio.create_subprocess_exec(
                *cli(root, "run"), env=env(url, teams.sig), stderr=err
            )
            try:
                await until(lambda: len(teams.requests) >= TARGETS, "run to start sending")
                filler = fill(root)
                await until(
                    lambda: "disk is full" in log.read_text(errors="replace"),
                    "a write to fail with a full disk",
                )
                assert run.returncode is None, "run died on a full disk"
                sent_while_full = len(teams.requests)
                assert sent_while_full < total, "everything was sent before the disk filled"
                filler.unlink()
                await until(lambda: sent_all(db_counts(root), total), "every delivery sent")
            finally:
                if run.returncode is None:
                    run.send_signal(signal.SIGTERM)
                await asyncio.wait_for(run.wait(), 60)
                await runner.cleanup()
        text = log.read_text(errors="replace")
        seen = received(teams)
        dupes = sum(seen.values()) - len(seen)
        counted = ambiguous(root)
        ok = integrity(root)
        os.sync()
    assert "Traceback" not in text, text[-3000:]
    assert len(seen) == total, f"lost {total - len(seen)} of {total}"
    assert dupes <= counted, (dupes, counted)
    assert ok == "ok"
    print(
        f"\ndisk full under run: {total} deliveries, {sent_while_full} posted before the disk "
        f"filled, lost 0, duplicates {dupes} <= counted {counted}, integrity {ok}"
    )
