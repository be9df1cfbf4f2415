"""The service loop: one APScheduler job per feed, plus the dispatcher.

APScheduler 3.x ``AsyncIOScheduler`` in UTC; every job has ``coalesce=True``,
``max_instances=1``, jitter and a misfire grace of about one interval. Each job runs through
`guarded`, which catches, logs and counts every exception: a job never takes the service down,
with one exception: the database file deleted or replaced under the service (`DatabaseGone`,
checked before each poll cycle and every `DATABASE_CHECK_EVERY` seconds) is logged as critical
and the process exits with `EXIT_DATABASE_GONE` at once, writing nothing more.
The weekly leadership report is planned every Monday at 07:00 Oslo time
(`add_weekly_report`). After a poll that planned deliveries the dispatcher is woken at once (time to alert), and it
also runs on its own every few seconds for retries and digests. SIGTERM and SIGINT stop
cleanly: the scheduler stops taking new jobs, running work finishes, resources close.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from certbot.app import App
from certbot.config.loading import config_stamp
from certbot.outbound.escalation import run_escalation
from certbot.render import OSLO
from certbot.report.weekly import plan_weekly_reports
from certbot.store import DatabaseGone, OperationalError

log = logging.getLogger("certbot.scheduler")
FAILURES: Counter[str] = Counter()
DATABASE_CHECK_EVERY = 5.0  # seconds between checks that the database file is still ours
EXIT_DATABASE_GONE = 3


def guarded(name: str, fn: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        try:
            await fn()
        except asyncio.CancelledError:
            raise
        except DatabaseGone as exc:
            # Never write on: the file we hold is unlinked or another one is at its path.
            log.critical("%s", exc)
            logging.shutdown()
            os._exit(EXIT_DATABASE_GONE)
        except OperationalError as exc:
            FAILURES[name] += 1
            if "full" in str(exc):
                # Nothing can be recorded, so nothing new is taken on; what was acknowledged
                # stays in the database and every job retries on its next tick.
                log.critical("job %s: disk full; no new work until space is freed", name)
            else:
                log.exception("job %s failed (database); the service carries on", name)
        except Exception:
            FAILURES[name] += 1
            log.exception(
                "job %s failed (%d failures so far); the service carries on", name, FAILURES[name]
            )

    return job


def _add_job(
    sched: AsyncIOScheduler,
    name: str,
    fn: Callable[[], Awaitable[Any]],
    trigger: Any = "interval",
    **options: Any,
) -> None:
    """One job named (and identified by) ``name``, run through `guarded`, never two at once and
    missed runs coalesced; ``options`` are the trigger's and APScheduler's other settings."""
    sched.add_job(guarded(name, fn), trigger, id=name, coalesce=True, max_instances=1, **options)


def build_scheduler(
    app: App, *, dispatch_every: float = 10.0, config_check_every: float = 30.0
) -> AsyncIOScheduler:
    sched = AsyncIOScheduler(timezone=UTC)
    wake = app.dispatcher.wake

    async def dispatch() -> None:
        summary = await app.dispatch()
        if summary.sent or summary.dead or summary.retried:
            log.info(
                "dispatch: %d sent, %d retried, %d dead, %d blocked",
                summary.sent,
                summary.retried,
                summary.dead,
                summary.blocked,
            )

    def poller(feed_id: str) -> Callable[[], Awaitable[None]]:
        async def poll() -> None:
            results = await app.poll([feed_id])
            if any(r.planned for r in results):
                wake.set()

        return poll

    now = datetime.now(UTC)
    for i, feed in enumerate(f for f in app.config.feeds if f.enabled):
        _add_job(
            sched,
            f"poll:{feed.id}",
            poller(feed.id),
            seconds=feed.interval,
            jitter=max(1, min(60, feed.interval // 10)),
            misfire_grace_time=feed.interval,
            next_run_time=now + timedelta(seconds=i * 2),  # first polls staggered, at start-up
        )

    async def escalate() -> None:
        if await run_escalation(app.store, app.config, app.clock()):
            wake.set()

    _add_job(sched, "escalation", escalate, seconds=300, misfire_grace_time=300, next_run_time=now)
    _add_job(
        sched,
        "dispatch",
        dispatch,
        seconds=dispatch_every,
        misfire_grace_time=60,
        next_run_time=now,
    )

    async def check_database() -> None:
        app.store.store.check_file()

    _add_job(sched, "database-check", check_database, seconds=DATABASE_CHECK_EVERY)
    _add_config_watch(sched, app, config_check_every)
    add_weekly_report(sched, app)

    async def on_wake() -> None:
        while True:
            await wake.wait()
            wake.clear()
            await guarded("dispatch", dispatch)()

    app.wake_task = asyncio.get_running_loop().create_task(on_wake())  # type: ignore[attr-defined]
    return sched


def _add_config_watch(sched: AsyncIOScheduler, app: App, every: float) -> None:
    """Configuration files changed on disk (e.g. by 'inventory import'): reload as on SIGHUP."""
    stamp = [config_stamp(app.config)]

    async def watch_config() -> None:
        if (now_stamp := config_stamp(app.config)) != stamp[0]:
            stamp[0] = now_stamp
            reload_config(app)

    _add_job(sched, "config-watch", watch_config, seconds=every, misfire_grace_time=60)


#: When the weekly leadership report is planned: Monday 07:00 in Oslo (issue 14.4).
WEEKLY_REPORT = {"day_of_week": "mon", "hour": 7, "minute": 0}


def add_weekly_report(sched: AsyncIOScheduler, app: App) -> None:
    """Monday morning: last week's report to every ``role: leadership`` target, through the
    outbox (one row per municipality, week and target, so a second run plans nothing)."""

    async def weekly_report() -> None:
        if await app.store.call(plan_weekly_reports, app.config, app.clock()):
            app.dispatcher.wake.set()

    _add_job(
        sched,
        "weekly-report",
        weekly_report,
        trigger=CronTrigger(timezone=OSLO, **WEEKLY_REPORT),
        misfire_grace_time=6 * 3600,  # a loop stalled at 07:00 still sends that morning
    )


async def serve(app: App, *, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop`` is set)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        loop.add_signal_handler(signal.SIGHUP, reload_config, app)
    except (NotImplementedError, RuntimeError):
        pass
    sched = build_scheduler(app)
    sched.start()
    app.scheduler = sched
    log.info(
        "certbot running: %d feeds, %d municipalities",
        len([f for f in app.config.feeds if f.enabled]),
        len(app.config.subscribers),
    )
    try:
        await stop.wait()
    finally:
        log.info("stopping: no new jobs; waiting for running work")
        sched.shutdown(wait=False)
        task = getattr(app, "wake_task", None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        log.info("stopped")


def reload_config(app: App) -> bool:
    """SIGHUP: read the configuration again; a broken one is reported and the old one kept."""
    from certbot.config import load_config
    from certbot.errors import ConfigError

    try:
        config = load_config(app.config.root)
    except ConfigError as exc:
        log.error(
            "configuration not reloaded; %d problem(s), the old one stays in force:\n  %s",
            len(exc.problems),
            "\n  ".join(exc.problems),
        )
        return False
    later = app.reload(config)
    log.info("configuration reloaded: %d municipalities", len(config.subscribers))
    if later:
        log.warning("changed settings that apply after a restart: %s", ", ".join(later))
    return True
