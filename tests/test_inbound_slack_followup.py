"""Slack: a command that outlasts the 3-second budget is answered "Mottatt" at once and its
real reply follows to the request's response_url - only to an allowed origin.

The slow command is a gate (an asyncio.Event the test opens) wrapped around the real work, so
the budget has always run out before the work can finish; nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from certbot.demo.fakes import FAKES, SlackFake, serve_fakes, start_fake
from certbot.inbound import records
from certbot.inbound.commands import Command, Reply
from certbot.inbound.slack import SlackInbound, follow_allowed, response_origins, sign
from certbot.inbound.web import InboundWeb
from certbot.store import AsyncStore
from tests.inbound_helpers import World, make_world

SIGNING = "slack-signing-secret-for-tests"
ENV = {"SLACK_SIGNING_SECRET": SIGNING}


@dataclass
class Rig:
    world: World
    client: TestClient
    slack: SlackInbound
    fake: SlackFake
    base: str  # the fake's slack base URL (service.slack_base_url)
    gate: asyncio.Event
    started: asyncio.Event


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    runner, urls = await serve_fakes()
    world = make_world(
        tmp_path,
        slack_signing_secret={"env": "SLACK_SIGNING_SECRET"},
        slack_base_url=urls["slack"],
    )
    astore = AsyncStore(world.store)
    now = world.clock.now.timestamp()
    async with aiohttp.ClientSession() as http:
        slack = SlackInbound(
            world.ctx, astore, environ=ENV, clock=lambda: now, http=http, budget=0.01
        )
        gate, started = asyncio.Event(), asyncio.Event()
        real = slack.work

        async def slow(cmd: Command) -> Reply | None:
            started.set()
            await gate.wait()  # held until the test opens the gate
            return await real(cmd)

        slack.work = slow
        client = TestClient(TestServer(InboundWeb(world.ctx, astore, slack=slack).app()))
        await client.start_server()
        try:
            yield Rig(world, client, slack, runner.app[FAKES].slack, urls["slack"], gate, started)
        finally:
            gate.set()
            await slack.drain()
            await client.close()
            astore._pool.shutdown(wait=True)
            await runner.cleanup()


async def post(rig: Rig, raw: bytes, path: str = "/slack/commands") -> dict[str, Any]:
    ts = int(rig.world.clock.now.timestamp())
    headers = {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(SIGNING, ts, raw),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    resp = await rig.client.post(path, data=raw, headers=headers)
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


def slash(text: str, response_url: str | None, trigger: str = "t1") -> bytes:
    form = {"user_id": "U0AAA", "command": "/certbot", "text": text, "trigger_id": trigger}
    if response_url is not None:
        form["response_url"] = response_url
    return urlencode(form, quote_via=quote).encode()


def button(case: str, response_url: str) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0AAA"},
        "trigger_id": "b1",
        "response_url": response_url,
        "actions": [{"action_id": "status-patched", "value": f"{case}:patched"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def status(world: World) -> str | None:
    row = records.ack_row(world.store, world.case, "0301")
    return None if row is None else row["status"]


async def test_slow_slash_command_answers_mottatt_then_posts_the_reply(rig: Rig) -> None:
    url = rig.fake.response_url(rig.base)
    answer = await post(rig, slash(f"kvitter {rig.world.case}", url))
    assert answer["text"].startswith("Mottatt")
    assert rig.started.is_set() and status(rig.world) is None  # still held at the gate
    assert rig.fake.responses == []
    rig.gate.set()
    await asyncio.wait_for(rig.fake.responded.wait(), 10)  # a bound, not a synchroniser
    [follow] = rig.fake.responses
    assert follow.body["response_type"] == "ephemeral"
    assert "Kvittert" in follow.body["text"] and rig.world.case in follow.body["text"]
    assert status(rig.world) == "acknowledged"


async def test_slow_button_press_follows_up_to_the_payload_response_url(rig: Rig) -> None:
    url = rig.fake.response_url(rig.base, "T0FAKE/2/button")
    answer = await post(rig, button(rig.world.case, url), "/slack/actions")
    assert answer["text"].startswith("Mottatt")
    rig.gate.set()
    await asyncio.wait_for(rig.fake.responded.wait(), 10)
    [follow] = rig.fake.responses
    assert follow.path.endswith("/response/T0FAKE/2/button")
    assert status(rig.world) == "remediation_done"


async def test_fast_command_answers_directly_and_posts_nothing(rig: Rig) -> None:
    rig.gate.set()  # no hold: the work is quick ...
    rig.slack.budget = 30  # ... and well within the budget
    answer = await post(rig, slash(f"kvitter {rig.world.case}", rig.fake.response_url(rig.base)))
    assert "Kvittert" in answer["text"]
    await rig.slack.drain()
    assert rig.fake.responses == [] and status(rig.world) == "acknowledged"


async def test_response_url_to_another_host_is_never_followed(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    other = SlackFake()  # a listener on another port of 127.0.0.1: not the fake's origin
    runner, other_base = await start_fake(other)
    try:
        evil = f"{other_base}/response/T0FAKE/9/steal"
        with caplog.at_level(logging.WARNING, "certbot.inbound.slack"):
            answer = await post(rig, slash(f"kvitter {rig.world.case}", evil))
            assert answer["text"].startswith("Mottatt")
            rig.gate.set()
            await rig.slack.drain()
        assert status(rig.world) == "acknowledged"  # the work was done ...
        assert other.requests == [] and rig.fake.responses == []  # ... the reply not sent
        assert "refused" in caplog.text and "steal" not in caplog.text
    finally:
        await runner.cleanup()


async def test_failed_slow_command_reports_the_failure(rig: Rig) -> None:
    async def broken(cmd: Command) -> Reply | None:
        await rig.gate.wait()
        raise RuntimeError("disk full")

    rig.slack.work = broken
    await post(rig, slash(f"kvitter {rig.world.case}", rig.fake.response_url(rig.base)))
    rig.gate.set()
    await asyncio.wait_for(rig.fake.responded.wait(), 10)
    [follow] = rig.fake.responses
    assert "feilet" in follow.body["text"] and "disk full" not in follow.body["text"]


def test_allowed_origins(tmp_path: Path) -> None:
    prod = response_origins(make_world(tmp_path).config)
    assert follow_allowed("https://hooks.slack.com/commands/T0/1/abc", prod)
    for url in (
        "http://hooks.slack.com/commands/T0/1/abc",  # not https
        "https://hooks.slack.com.evil.example/commands",
        "https://hooks.slack.com@evil.example/commands",
        "https://evil.example/?https://hooks.slack.com/",
        "http://127.0.0.1:8701/response/x",  # the fakes only in fake mode
        "not a url",
    ):
        assert not follow_allowed(url, prod), url
    fake = response_origins(
        make_world(tmp_path / "f", slack_base_url="http://127.0.0.1:8701/api/").config
    )
    assert follow_allowed("http://127.0.0.1:8701/response/x", fake)
    assert not follow_allowed("http://127.0.0.1:8702/response/x", fake)
    assert follow_allowed("https://hooks.slack.com/commands/T0/1/abc", fake)


def test_the_interim_answer_speaks_the_municipality_language(tmp_path) -> None:
    from certbot.inbound.commands import Command, Context
    from certbot.inbound.slack import SlackInbound
    from certbot.store import AsyncStore, Store
    from tests.factory import config as make_config
    from tests.factory import fortios_sub

    cfg = make_config(
        [
            fortios_sub(
                "4601",
                county="Vestland",
                language="en",
                people=[{"platform": "slack", "user_id": "U0EN", "role": "responder"}],
            ),
            fortios_sub(
                "0301", people=[{"platform": "slack", "user_id": "U0NB", "role": "responder"}]
            ),
        ],
        service={"slack_signing_secret": {"env": "SLACK_SIGNING"}},
    )
    store = AsyncStore(Store(tmp_path / "c.db"))
    slack = SlackInbound(
        Context(store.store, cfg), store, environ={"SLACK_SIGNING": "s3cret-signing"}
    )
    assert slack._lang(Command("slack", "U0EN", "mine", [], "")) == "en"
    assert slack._lang(Command("slack", "U0NB", "mine", [], "")) == "nb"
    assert slack._lang(Command("slack", "U0NOBODY", "mine", [], "")) == "nb"
    store.close()
