"""RELIABILITY.md rows 3-5 and the TLP rules through Pipeline + Dispatcher + the REAL Slack,
Teams and Telegram channels against the local protocol fakes. Time is the factory Clock: the
fakes decide their answers by that clock, and nothing sleeps."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from certbot.channels import Channel, ChannelContext
from certbot.channels.file import FileChannel
from certbot.channels.slack import SlackChannel
from certbot.channels.teams import TeamsChannel
from certbot.channels.telegram import TelegramChannel
from certbot.config import Config
from certbot.demo.fakes import Fake, Resp, slack_error, telegram_error
from certbot.model import TLP, AffectedProduct
from certbot.outbound.dispatch import Dispatcher, DispatchSummary
from certbot.pipeline import Pipeline
from certbot.render import Renderer
from certbot.sources import SourceState
from certbot.store import AsyncStore, Store
from tests.chat_helpers import ROOT, ChatEnv, chat_env
from tests.factory import T0, Clock, config, fortios_sub, item, kev, structured, subscriber
from tests.test_pipeline import FEED

SLACK = {"id": "slack", "kind": "slack", "address": "C0301SIKK", "tlp_max": "AMBER"}
TEAMS = {
    "id": "teams",
    "kind": "teams",
    "secret": {"env": "TEAMS_WEBHOOK_TEST"},
    "tlp_max": "AMBER",
}
TELEGRAM = {"id": "telegram", "kind": "telegram", "address": "-1001234567", "tlp_max": "AMBER"}
DM = {
    "id": "leder-dm",
    "kind": "telegram",
    "address": "123456789",
    "tlp_max": "RED",
    "personal": True,
}
EXPLOITED = kev("CVE-2024-21762", "Fortinet", "FortiOS")  # P1 for fortios_sub


@dataclass
class Rig:
    env: ChatEnv
    clock: Clock
    store: AsyncStore
    pipeline: Pipeline
    dispatcher: Dispatcher
    channels: dict[str, Channel]
    operator_file: Path
    answered: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    def plan(self, *advisories: Any) -> None:
        self.pipeline._ingest_and_plan(FEED, list(advisories), SourceState())

    def operator_lines(self) -> list[dict[str, Any]]:
        if not self.operator_file.exists():
            return []
        text = self.operator_file.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line]

    def rows(self, sub_id: str | None = None) -> list[dict[str, Any]]:
        out = self.store.store.deliveries(limit=10_000)
        return [r for r in out if sub_id is None or r["subscriber_id"] == sub_id]


def chat_config(env: ChatEnv, subs: list[Any], root: Path, **dispatch: Any) -> Config:
    service = {
        "slack_base_url": env.urls["slack"],
        "telegram_base_url": env.urls["telegram"],
        "operator_targets": [
            {"id": "vakt", "kind": "file", "address": "operator.jsonl", "tlp_max": "AMBER"}
        ],
        "dispatch": {"max_attempts": 30, **dispatch},
    }
    return config(subs, root=root, service=service)


def channels_for(env: ChatEnv, cfg: Config) -> dict[str, Channel]:
    ctx = ChannelContext(
        config=cfg, renderer=Renderer(ROOT / "templates"), http=env.ctx.http, environ=env.environ
    )
    return {
        "slack": SlackChannel(ctx),
        "teams": TeamsChannel(ctx),
        "telegram": TelegramChannel(ctx),
        "file": FileChannel(ctx),
    }


@contextlib.asynccontextmanager
async def rig(tmp_path: Path, subs: list[Any], **dispatch: Any) -> AsyncIterator[Rig]:
    clock = Clock()
    store = AsyncStore(Store(tmp_path / "t.db"))
    try:
        async with chat_env() as env:
            cfg = chat_config(env, subs, tmp_path, **dispatch)
            chans = channels_for(env, cfg)
            p = Pipeline(cfg, store, http=None, clock=clock)
            d = Dispatcher(cfg, store, chans, clock=clock, rng=random.Random(3), rate_limits=False)
            try:
                yield Rig(env, clock, store, p, d, chans, tmp_path / "operator.jsonl")
            finally:
                for ch in chans.values():
                    await ch.aclose()
    finally:
        store.close()


def answer_by_clock(
    fake: Fake, endpoint: str, clock: Clock, rule: Callable[[float], Resp | None]
) -> list[tuple[float, str]]:
    """Make ``fake`` answer ``endpoint`` by the test clock: ``rule(seconds since T0)`` gives a
    canned answer, or None for the fake's normal answer. Returns the log of (second, outcome)
    for every request that reached the fake."""
    log: list[tuple[float, str]] = []
    original = fake.scripted

    def scripted(request: Any, ep: str) -> Any:
        if ep == endpoint:
            at = (clock() - T0).total_seconds()
            resp = rule(at)
            outcome = "ok" if resp is None else ("reset" if resp.reset else str(resp.status))
            log.append((at, outcome))
            if resp is not None:
                fake.script([resp], endpoint=ep)
        return original(request, ep)

    fake.scripted = scripted  # type: ignore[method-assign]
    return log


# --- row 3: Slack 429 with Retry-After 600 --------------------------------------------------


async def test_slack_429_retry_after_600_no_early_retry_others_unaffected(tmp_path):
    sub = fortios_sub(targets=[SLACK, TEAMS, TELEGRAM])
    async with rig(tmp_path, [sub]) as r:
        slack_log = answer_by_clock(
            r.env.fakes.slack,
            "chat.postMessage",
            r.clock,
            lambda t: slack_error("ratelimited", status=429, retry_after=600) if t < 600 else None,
        )
        r.plan(EXPLOITED)
        first = await r.dispatcher.run_once()
        assert (first.sent, first.retried) == (2, 1)
        # Teams and Telegram of the same municipality got it at once (I4).
        assert len(r.env.fakes.teams.requests) == 1
        assert len(r.env.fakes.telegram.sent) == 1
        for _ in range(9):  # the dispatcher runs every 66 s for ten minutes: no early retry
            r.clock.advance(66)
            assert (await r.dispatcher.run_once()).sent == 0
        assert slack_log == [(0.0, "429")]  # one request before 600 s: the one refused
        r.clock.advance(600 - 9 * 66)
        assert (await r.dispatcher.run_once()).sent == 1
        assert slack_log == [(0.0, "429"), (600.0, "ok")]
        assert len(r.env.fakes.slack.messages["C0301SIKK"]) == 1
        assert {row["status"] for row in r.rows("0301")} == {"sent"}  # lost = 0
        assert len(r.rows("0301")) == 3
        assert len(r.env.fakes.teams.requests) == 1  # nothing repeated elsewhere
        assert len(r.env.fakes.telegram.sent) == 1


# --- row 4: Teams 503 for an hour, then resets, then OK -------------------------------------


async def test_teams_503_for_an_hour_then_resets_then_ok(tmp_path):
    sub = fortios_sub(targets=[TEAMS])
    async with rig(tmp_path, [sub], backoff_base=30, backoff_cap=900) as r:
        resets = 2

        def rule(t: float) -> Resp | None:
            nonlocal resets
            if t < 3600:
                return Resp(503, "Service Unavailable")
            if resets:
                resets -= 1
                return Resp.connection_reset()
            return None

        teams_log = answer_by_clock(r.env.fakes.teams, "webhook", r.clock, rule)
        r.plan(EXPLOITED)
        gaps: list[float] = []
        total = DispatchSummary()
        for _ in range(40):
            s = await r.dispatcher.run_once()
            total.sent += s.sent
            total.ambiguous_resends += s.ambiguous_resends
            (row,) = r.rows("0301")
            if row["status"] != "pending":
                break
            due = datetime.fromisoformat(row["next_attempt_at"])
            gaps.append((due - r.clock()).total_seconds())
            r.clock.now = due
        (row,) = r.rows("0301")
        assert row["status"] == "sent"  # lost = 0
        outcomes = [o for _, o in teams_log]
        n503 = outcomes.count("503")
        assert outcomes == ["503"] * n503 + ["reset", "reset", "ok"]
        assert row["attempts"] == n503 + 3 == len(gaps) + 1
        # Capped exponential backoff with jitter: attempt n waits between half and all of
        # min(900, 30 * 2^(n-1)); uncapped gaps never shrink; the cap holds; jitter is real.
        raws = [min(900.0, 30.0 * 2**i) for i in range(len(gaps))]
        assert all(raw / 2 - 1 <= g <= raw for g, raw in zip(gaps, raws, strict=True))
        uncapped = [g for g, raw in zip(gaps, raws, strict=True) if raw < 900]
        assert uncapped == sorted(uncapped) and uncapped[-1] > 2 * uncapped[0]
        assert max(gaps) <= 900 and sum(raw == 900 for raw in raws) >= 2
        assert len({round(g / raw, 3) for g, raw in zip(gaps, raws, strict=True)}) > 1
        assert n503 >= 6  # an hour of 503s at these gaps
        # Exactly one card accepted; the resets were ambiguous and the re-send is counted.
        assert outcomes.count("ok") == 1
        assert total.sent == 1 and total.ambiguous_resends == 1
        assert r.store.store.counters().get("ambiguous_resend", 0) == 1
        print(f"teams: {row['attempts']} attempts, gaps {[round(g) for g in gaps]} s")


# --- row 5: Telegram 400 can't parse entities / 403 Forbidden ------------------------------


@pytest.mark.parametrize(
    "answer,word",
    [
        (
            telegram_error(400, "Bad Request: can't parse entities: Unsupported start tag at 12"),
            "BadRequest",
        ),
        (telegram_error(403, "Forbidden: bot was kicked from the supergroup chat"), "Forbidden"),
    ],
    ids=["400-parse-entities", "403-forbidden"],
)
async def test_telegram_permanent_error_is_dead_and_operator_told(tmp_path, answer, word):
    sub = fortios_sub(targets=[TELEGRAM])
    async with rig(tmp_path, [sub]) as r:
        r.env.fakes.telegram.script([answer])
        r.plan(EXPLOITED)
        s = await r.dispatcher.run_once()
        assert s.dead == 1 and s.retried == 0
        for _ in range(5):  # never retried, however long we wait
            r.clock.advance(3600)
            await r.dispatcher.run_once()
        assert len(r.env.fakes.telegram.calls("sendMessage")) == 1
        assert r.env.fakes.telegram.sent == []
        (row,) = r.rows("0301")
        assert row["status"] == "dead" and row["attempts"] == 1
        assert word in row["last_error"]
        # Never silent: the operator target has the notice, and the decision is audited.
        (notice,) = r.operator_lines()
        assert "dead" in json.dumps(notice, ensure_ascii=False)
        assert {x["status"] for x in r.rows("operator")} == {"sent"}
        assert any(a["action"] == "delivery_dead" for a in r.store.store.audit_rows())


# --- TLP with the real channels -------------------------------------------------------------


async def test_red_never_reaches_shared_slack_or_teams_but_reaches_a_personal_dm(tmp_path):
    sub = fortios_sub(targets=[SLACK, TEAMS, DM])
    red = structured(
        "red-1",
        [AffectedProduct("Fortinet", "FortiOS")],
        tlp=TLP.RED,
        exploited=True,
        title="Hemmelig: FortiOS",
    )
    async with rig(tmp_path, [sub]) as r:
        r.plan(red)
        await r.dispatcher.run_once()
        assert r.env.fakes.slack.calls("chat.postMessage") == []
        assert r.env.fakes.teams.requests == []
        (dm,) = r.env.fakes.telegram.sent
        assert dm["chat_id"] == "123456789" and "TLP:RED" in dm["text"]
        statuses = {row["target_id"]: row["status"] for row in r.rows("0301")}
        assert statuses == {"slack": "blocked", "teams": "blocked", "leder-dm": "sent"}
        notices = r.operator_lines()
        assert len(notices) == 2  # each block reported, the RED title withheld from them
        assert "Hemmelig" not in json.dumps(notices, ensure_ascii=False)


async def test_amber_reaches_only_the_municipality_concerned(tmp_path):
    oslo = fortios_sub(
        "0301",
        targets=[{**SLACK, "address": "C0301SIKK"}, {**TELEGRAM, "address": "-1000301"}],
    )
    bergen = subscriber(
        "4601",
        "Bergen",
        [item("Microsoft", "Exchange Server", version="15.2.1544.4")],
        county="Vestland",
        targets=[{**SLACK, "address": "C4601SIKK"}, {**TELEGRAM, "address": "-1004601"}],
    )
    amber = structured(
        "amb-1", [AffectedProduct("Fortinet", "FortiOS")], tlp=TLP.AMBER, exploited=True
    )
    async with rig(tmp_path, [oslo, bergen]) as r:
        r.plan(amber)
        assert (await r.dispatcher.run_once()).sent == 2
        slack = r.env.fakes.slack.messages
        assert list(slack) == ["C0301SIKK"] and len(slack["C0301SIKK"]) == 1
        assert [m["chat_id"] for m in r.env.fakes.telegram.sent] == ["-1000301"]
        assert "TLP:AMBER" in slack["C0301SIKK"][0]["text"] + json.dumps(
            slack["C0301SIKK"][0]["blocks"]
        )
        assert r.rows("4601") == []


async def test_clearance_lowered_between_plan_and_send_blocks_the_send(tmp_path):
    sub = fortios_sub(targets=[SLACK])
    amber = structured(
        "amb-2", [AffectedProduct("Fortinet", "FortiOS")], tlp=TLP.AMBER, exploited=True
    )
    async with rig(tmp_path, [sub]) as r:
        r.plan(amber)  # planned while the Slack channel was cleared for AMBER
        lowered = fortios_sub(targets=[{**SLACK, "tlp_max": "GREEN"}])
        cfg2 = chat_config(r.env, [lowered], tmp_path)
        d2 = Dispatcher(cfg2, r.store, channels_for(r.env, cfg2), clock=r.clock, rate_limits=False)
        s = await d2.run_once()
        assert s.blocked == 1 and s.sent == 1  # the operator notice
        assert r.env.fakes.slack.calls("chat.postMessage") == []
        (row,) = r.rows("0301")
        assert row["status"] == "blocked" and "GREEN" in row["last_error"]
        assert any(a["action"] == "tlp_block_at_send" for a in r.store.store.audit_rows())
        assert len(r.operator_lines()) == 1
