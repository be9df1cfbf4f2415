"""/metrics, /healthz, /readyz (issue 14.5): a scrape parses with prometheus_client's own
parser and has every family; readiness follows the database, the scheduler, the feeds and
the outbox. Answers are validated against the OpenAPI document like the API's."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client.parser import text_string_to_metric_families

from certbot.config import FeedConfig
from certbot.store import Store
from tests.api_helpers import TOKENS, running_api
from tests.conftest import ROOT

FAMILIES = {
    "certbot_feed_polls",
    "certbot_feed_failures",
    "certbot_feed_consecutive_failures",
    "certbot_feed_items",
    "certbot_feed_last_success_timestamp_seconds",
    "certbot_cases",
    "certbot_matches",
    "certbot_alerts",
    "certbot_deliveries",
    "certbot_dead_letters",
    "certbot_outbox_depth",
    "certbot_outbox_oldest_owed_age_seconds",
    "certbot_outbox_oldest_due_wait_seconds",
    "certbot_ambiguous_resends",
    "certbot_send_seconds",
    "certbot_inbound_commands",
    "certbot_tlp_blocks",
}


def _samples(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


async def test_scrape_parses_and_has_every_family(tmp_path):
    async with running_api(tmp_path) as api:
        now = api.app.clock()
        await api.app.store.call(Store.save_feed_state, "kev", None, now=now, error="timeout")
        await api.app.store.call(Store.save_feed_state, "kev", None, now=now, error="timeout")
        status, before, _ = await api.get("/metrics")
        assert status == 200
        owed = _samples(before)["certbot_outbox_depth"][()]
        assert owed > 0
        summary = await api.app.dispatch()  # the file targets send: latency observed
        assert summary.sent > 0
        status, text, headers = await api.get("/metrics")
        assert headers["Content-Type"].startswith("text/plain")
        names = {f.name for f in text_string_to_metric_families(text)}
        assert FAMILIES <= names, FAMILIES - names
        got = _samples(text)
        assert got["certbot_feed_failures_total"][(("feed", "kev"),)] == 2
        assert got["certbot_feed_consecutive_failures"][(("feed", "kev"),)] == 2
        assert got["certbot_feed_polls_total"][(("feed", "kev"),)] == 2
        assert got["certbot_cases"][()] == 2 and got["certbot_matches"][()] > 0
        sent = got["certbot_deliveries"][(("channel", "file"), ("status", "sent"))]
        assert sent == summary.sent and got["certbot_outbox_depth"][()] < owed
        assert got["certbot_send_seconds_count"][(("channel", "file"),)] >= summary.sent
        assert got["certbot_tlp_blocks_total"][(("stage", "plan"),)] >= 0


async def test_metrics_token_when_configured(tmp_path):
    async with running_api(tmp_path, metrics_token={"env": "METRICS_TOKEN"}) as api:
        status, _, headers = await api.get("/metrics")
        assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
        status, _, _ = await api.get("/metrics", TOKENS["OPS_TOKEN"])
        assert status == 401
        status, text, _ = await api.get("/metrics", TOKENS["METRICS_TOKEN"])
        assert status == 200 and "certbot_cases" in text
        status, health, _ = await api.get("/healthz")  # health stays open
        assert status == 200 and health == {"status": "ok"}


async def test_readyz_follows_scheduler_feeds_and_outbox(tmp_path):
    async with running_api(tmp_path, ready_feed_failures=2, ready_outbox_seconds=600) as api:
        status, ready, _ = await api.get("/readyz")
        checks = {c["name"]: c["ok"] for c in ready["checks"]}
        assert status == 503 and checks == {
            "database": True,
            "scheduler": False,
            "feeds": True,
            "outbox": True,
        }
        sched = AsyncIOScheduler()
        sched.start()
        api.app.scheduler = sched
        try:
            status, ready, _ = await api.get("/readyz")
            assert status == 200 and ready["ready"]
            api.app.clock.advance(timedelta(hours=1).total_seconds())  # nothing was sent
            status, ready, _ = await api.get("/readyz")
            outbox = next(c for c in ready["checks"] if c["name"] == "outbox")
            assert status == 503 and not outbox["ok"] and "3600" in outbox["detail"]
            await api.app.dispatch()
            assert (await api.get("/readyz"))[0] == 200
            for _ in range(2):
                await api.app.store.call(
                    Store.save_feed_state, "kev", None, now=api.app.clock(), error="x"
                )
            assert (await api.get("/readyz"))[0] == 200  # "kev" is no feed of this world
            kev = FeedConfig.model_validate(
                {"id": "kev", "kind": "kev", "url": "https://www.cisa.gov/kev.json"}
            )
            api.app.config = api.app.config.model_copy(update={"feeds": (kev,)})
            status, ready, _ = await api.get("/readyz")
            feeds = next(c for c in ready["checks"] if c["name"] == "feeds")
            assert status == 503 and not feeds["ok"] and feeds["detail"] == "kev"
        finally:
            sched.shutdown(wait=False)


def _healthcheck_command() -> list[str]:
    """The Dockerfile's HEALTHCHECK CMD (exec form)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(x for x in text.splitlines() if x.startswith("HEALTHCHECK"))
    command: list[str] = json.loads(line.split(" CMD ", 1)[1])
    return command


async def test_dockerfile_healthcheck_runs_against_healthz(tmp_path):
    command = _healthcheck_command()
    assert command[0] == "python"  # the slim image has python, not curl
    async with running_api(tmp_path) as api:
        env = {**os.environ, "CERTBOT_HEALTH_URL": api.base + "/healthz"}
        ok = await asyncio.create_subprocess_exec(sys.executable, *command[1:], env=env)
        assert await ok.wait() == 0
        env["CERTBOT_HEALTH_URL"] = api.base + "/api/v1/cases"  # 401: unhealthy
        bad = await asyncio.create_subprocess_exec(
            sys.executable, *command[1:], env=env, stderr=asyncio.subprocess.DEVNULL
        )
        assert await bad.wait() != 0
