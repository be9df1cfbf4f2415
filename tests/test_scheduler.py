"""The service loop: a failing job is logged and counted and never stops the service; jobs
have the promised settings; SIGTERM stops cleanly."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

from certbot import scheduler
from certbot.render import OSLO
from tests.conftest import ROOT


async def test_failing_job_is_logged_counted_and_survived(caplog):
    calls = []

    async def boom() -> None:
        calls.append(1)
        raise ValueError("feed exploded")

    job = scheduler.guarded("poll:test", boom)
    before = scheduler.FAILURES["poll:test"]
    with caplog.at_level(logging.ERROR, logger="certbot.scheduler"):
        await job()
        await job()  # and again: the wrapper never lets it escape
    assert len(calls) == 2
    assert scheduler.FAILURES["poll:test"] == before + 2
    assert "feed exploded" in caplog.text and "carries on" in caplog.text


async def test_jobs_have_the_promised_settings(tmp_path):
    from certbot.app import App
    from certbot.config import load_config

    config = load_config(ROOT / "examples" / "demo")
    async with App(config, tmp_path / "c.db") as app:
        sched = scheduler.build_scheduler(app)
        jobs = {j.id: j for j in sched.get_jobs()}
        assert set(jobs) == {
            "poll:nsm-varsler",
            "poll:cisa-kev",
            "poll:cve-records",
            "dispatch",
            "escalation",
            "database-check",
            "config-watch",
            "weekly-report",
        }
        weekly = jobs["weekly-report"]  # Monday 07:00 in Oslo (issue 14.4)
        assert weekly.coalesce is True and weekly.max_instances == 1
        fire = weekly.trigger.get_next_fire_time(None, datetime(2026, 3, 11, 12, tzinfo=UTC))
        assert fire.astimezone(OSLO).isoformat() == "2026-03-16T07:00:00+01:00"
        for job_id in ("poll:nsm-varsler", "poll:cisa-kev"):
            job = jobs[job_id]
            assert job.coalesce is True and job.max_instances == 1
            assert (
                job.trigger.jitter
                and job.misfire_grace_time == job.trigger.interval.total_seconds()
            )
        assert str(sched.timezone) == "UTC"
        app.wake_task.cancel()  # type: ignore[attr-defined]
        await asyncio.gather(app.wake_task, return_exceptions=True)  # type: ignore[attr-defined]


def test_sigterm_stops_the_service_cleanly(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "certbot",
            "--config-dir",
            str(ROOT / "examples" / "demo"),
            "--db",
            str(tmp_path / "c.db"),
            "run",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:  # wait for the service to say it runs: no sleeps
            if "certbot running" in line:
                break
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        assert proc.wait(timeout=30) == 0
    assert "stopped" in rest


async def test_disk_full_is_logged_as_critical_and_survived(caplog):
    import sqlite3

    async def full() -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with caplog.at_level(logging.CRITICAL, logger="certbot.scheduler"):
        await scheduler.guarded("poll:x", full)()
    assert "disk full" in caplog.text
