"""Prometheus ``/metrics``, ``/healthz`` and ``/readyz`` (issue 14.5).

Contract:
- Almost every figure is read from the database at scrape time (`Store.metrics_snapshot`, one
  trip to the writer thread): feed polls and failures (``feed_state``), items per feed,
  cases, matches, alerts, deliveries by channel and status, dead letters, outbox depth and the
  age of the oldest owed delivery, inbound commands by result (the audit trail), TLP blocks
  and ambiguous re-sends (``counters``). Nothing else in the program is instrumented, so the
  figures survive restarts and agree with the CLI and the pages.
- The one in-process figure is `SEND_SECONDS`, the send-latency histogram per channel, which
  `certbot.outbound.dispatch` observes around each ``deliver``.
- ``/healthz``: 200 while the process answers. ``/readyz``: 200 when the database takes a
  write, the scheduler runs, no enabled feed has failed ``ready_feed_failures`` times in a
  row, and no due delivery has waited ``ready_outbox_seconds``; else 503; both answer JSON
  with each check. Neither needs a token (no data). ``/metrics`` needs the bearer
  ``metrics_token`` when one is configured.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from certbot.config.api import ApiConfig
from certbot.store import Store, iso
from certbot.web.api_spec import Check, Health, Readiness

if TYPE_CHECKING:
    from certbot.app import App

PROCESS = CollectorRegistry(auto_describe=True)
SEND_SECONDS = Histogram(
    "certbot_send_seconds",
    "Time one delivery's send took, by channel (successful or not)",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=PROCESS,
)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DB_TIMEOUT = 5.0  # seconds /readyz waits for the writer thread


def _age(now: datetime, stamp: str | None) -> float:
    if not stamp:
        return 0.0
    return max((now - datetime.fromisoformat(stamp)).total_seconds(), 0.0)


class Snapshot(Collector):
    """The families of one scrape, from `Store.metrics_snapshot`."""

    def __init__(self, snap: dict[str, Any], now: datetime):
        self.snap = snap
        self.now = now

    def _feeds(self) -> Iterator[Metric]:
        feeds = self.snap["feeds"]
        polls = CounterMetricFamily("certbot_feed_polls", "Polls of a feed", labels=["feed"])
        fails = CounterMetricFamily("certbot_feed_failures", "Failed polls", labels=["feed"])
        row = GaugeMetricFamily(
            "certbot_feed_consecutive_failures", "Failed polls in a row", labels=["feed"]
        )
        items = GaugeMetricFamily("certbot_feed_items", "Advisories stored", labels=["feed"])
        ok = GaugeMetricFamily(
            "certbot_feed_last_success_timestamp_seconds", "Last good poll", labels=["feed"]
        )
        for fid, r in sorted(feeds.items()):
            polls.add_metric([fid], r.get("polls") or 0)
            fails.add_metric([fid], r.get("failures_total") or 0)
            row.add_metric([fid], r.get("failures") or 0)
            items.add_metric([fid], r.get("items") or 0)
            if r.get("last_ok"):
                ok.add_metric([fid], datetime.fromisoformat(r["last_ok"]).timestamp())
        yield from (polls, fails, row, items, ok)

    def _outbox(self) -> Iterator[Metric]:
        snap = self.snap
        by = GaugeMetricFamily(
            "certbot_deliveries", "Outbox rows by channel and status", labels=["channel", "status"]
        )
        dead = depth = 0
        for channel, status, n in snap["deliveries"]:
            by.add_metric([channel, status], n)
            dead += n if status == "dead" else 0
            depth += n if status in ("pending", "sending") else 0
        yield by
        yield GaugeMetricFamily("certbot_dead_letters", "Deliveries dead", value=dead)
        yield GaugeMetricFamily("certbot_outbox_depth", "Deliveries owed", value=depth)
        yield GaugeMetricFamily(
            "certbot_outbox_oldest_owed_age_seconds",
            "Age of the oldest delivery not yet sent (pending or sending)",
            value=_age(self.now, snap["oldest_owed"]),
        )
        yield GaugeMetricFamily(
            "certbot_outbox_oldest_due_wait_seconds",
            "How long the oldest due delivery has waited past its time (stuck outbox)",
            value=_age(self.now, snap["oldest_due"]),
        )
        yield CounterMetricFamily(
            "certbot_ambiguous_resends",
            "Re-sends after an unknowable outcome (RELIABILITY.md I2)",
            value=snap["counters"].get("ambiguous_resend", 0),
        )

    def collect(self) -> Iterator[Metric]:
        snap = self.snap
        yield from self._feeds()
        for name, key, text in (
            ("certbot_cases", "cases", "Cases"),
            ("certbot_matches", "matches", "Match rows (item x case x municipality x revision)"),
            ("certbot_alerts", "alerts", "Cases alerted per municipality"),
        ):
            yield GaugeMetricFamily(name, text, value=snap[key])
        yield from self._outbox()
        cmds = CounterMetricFamily(
            "certbot_inbound_commands", "Inbound commands by result", labels=["command", "result"]
        )
        for action, decision, n in snap["commands"]:
            cmds.add_metric([action, decision], n)
        yield cmds
        blocks = CounterMetricFamily(
            "certbot_tlp_blocks", "Deliveries blocked by TLP", labels=["stage"]
        )
        for stage, action in (("plan", "tlp_block"), ("send", "tlp_block_at_send")):
            blocks.add_metric([stage], snap["tlp_blocks"].get(action, 0))
        yield blocks


async def scrape(app: App) -> bytes:
    now = app.clock()
    snap = await app.store.call(Store.metrics_snapshot, iso(now) or "")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Snapshot(snap, now))
    return generate_latest(registry) + generate_latest(PROCESS)


async def readiness(app: App, cfg: ApiConfig) -> Readiness:
    now = app.clock()
    checks = []
    try:
        await asyncio.wait_for(app.store.call(Store.probe_write), DB_TIMEOUT)
        checks.append(Check(name="database", ok=True, detail="writable"))
        snap = await app.store.call(Store.ready_snapshot, iso(now) or "")
    except Exception as exc:  # a full disk, a locked or vanished file, a busy writer
        checks.append(Check(name="database", ok=False, detail=type(exc).__name__))
        snap = None
    sched = getattr(app, "scheduler", None)
    running = bool(sched is not None and getattr(sched, "running", False))
    checks.append(Check(name="scheduler", ok=running, detail="running" if running else "stopped"))
    if snap is not None:
        enabled = {f.id for f in app.config.feeds if f.enabled}
        failing = sorted(
            f for f, n in snap["failures"].items() if f in enabled and n >= cfg.ready_feed_failures
        )
        detail = ", ".join(failing) if failing else f"none at {cfg.ready_feed_failures} failures"
        checks.append(Check(name="feeds", ok=not failing, detail=detail))
        wait = _age(now, snap["oldest_due"])
        stuck = wait >= cfg.ready_outbox_seconds
        checks.append(
            Check(name="outbox", ok=not stuck, detail=f"oldest due delivery waits {wait:.0f} s")
        )
    return Readiness(ready=all(c.ok for c in checks), checks=checks)


def mount(root: web.Application, app: App, cfg: ApiConfig, token: str | None) -> None:
    """/metrics, /healthz and /readyz on the API's listener."""

    async def metrics(request: web.Request) -> web.Response:
        got = request.headers.get("Authorization", "")
        if token is not None and not hmac.compare_digest(got.encode(), f"Bearer {token}".encode()):
            return web.Response(
                status=401, text="unauthorized\n", headers={"WWW-Authenticate": "Bearer"}
            )
        return web.Response(body=await scrape(app), headers={"Content-Type": CONTENT_TYPE})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response(text=Health().model_dump_json())

    async def readyz(request: web.Request) -> web.Response:
        ready = await readiness(app, cfg)
        return web.json_response(text=ready.model_dump_json(), status=200 if ready.ready else 503)

    root.router.add_get("/metrics", metrics)
    root.router.add_get("/healthz", healthz)
    root.router.add_get("/readyz", readyz)
