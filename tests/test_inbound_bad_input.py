"""Bad inbound input gets a 4xx, never a 500 with a traceback (issue 12.8, RELIABILITY.md row
28): the three inputs that did (a non-ASCII MAC in a signed link, a non-ASCII
``X-Slack-Signature``, malformed JSON or a JSON array with the valid Telegram secret), then
Hypothesis over headers and bodies of every endpoint of the real aiohttp app."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certbot.demo.fakes import FAKE_TELEGRAM_TOKEN, TelegramFake, start_fake
from certbot.inbound.slack import SlackInbound, sign
from certbot.inbound.telegram import TelegramInbound
from certbot.inbound.web import InboundWeb
from certbot.outbound.links import make_token
from certbot.store import AsyncStore
from tests.inbound_helpers import World, make_world

HOOK = "hook-secret-for-bad-input"
SIGNING = "slack-signing-for-bad-input"
LINK = "link-secret-for-bad-input"
ENV = {
    "TELEGRAM_BOT_TOKEN": FAKE_TELEGRAM_TOKEN,
    "TG_HOOK": HOOK,
    "SLACK_SIGNING": SIGNING,
    "LINK_KEY": LINK,
}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[World, TestClient]]:
    tg = TelegramFake()
    runner, url = await start_fake(tg)
    world = make_world(
        tmp_path,
        telegram_base_url=f"{url}/bot",
        telegram_webhook_secret={"env": "TG_HOOK"},
        slack_signing_secret={"env": "SLACK_SIGNING"},
        link_secret={"env": "LINK_KEY"},
    )
    world.ctx.limiter.user_burst = world.ctx.limiter.muni_burst = 1e9
    astore = AsyncStore(world.store)
    telegram = TelegramInbound(world.ctx, astore, mode="webhook", environ=ENV)
    await telegram.start()
    slack = SlackInbound(world.ctx, astore, environ=ENV)
    site = InboundWeb(world.ctx, astore, telegram=telegram, slack=slack, link_secret=LINK)
    client = TestClient(TestServer(site.app()))
    await client.start_server()
    yield world, client
    await client.close()
    await telegram.stop()
    await runner.cleanup()
    astore._pool.shutdown(wait=True)


async def fine(resp: Any) -> int:
    """The status, after checking the answer is no server error and shows no traceback."""
    body = await resp.text()
    assert resp.status < 500, (resp.status, body[:300])
    assert "Traceback" not in body and 'File "' not in body
    return int(resp.status)


def token(world: World) -> str:
    expires = int(world.clock.now.timestamp()) + 3600
    return make_token(LINK, "0301", world.case, "ack", expires)


async def test_non_ascii_mac_in_a_signed_link_is_403(app: Any) -> None:
    world, client = app
    payload = token(world).partition(".")[0]
    for mac in ("æøå", "\u202e" * 43, "A" * 42 + "é"):
        path = f"/l/{payload}.{quote(mac)}"
        assert await fine(await client.get(path)) == 403
        assert await fine(await client.post(path)) == 403
    assert await fine(await client.get(f"/l/{quote('ø.ø')}")) == 403


async def test_a_valid_link_still_works(app: Any) -> None:
    world, client = app
    assert await fine(await client.post(f"/l/{token(world)}")) == 200


async def test_non_ascii_slack_signature_is_401(app: Any) -> None:
    _, client = app
    raw = urlencode({"user_id": "U0AAA", "text": "mine", "trigger_id": "t1"}).encode()
    ts = str(int(time.time()))
    for sig in ("v0=æøå", "v0=" + "é" * 64, "\u00ff"):
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
        assert await fine(await client.post("/slack/commands", data=raw, headers=headers)) == 401


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b"[]",
        b"42",
        b'"text"',
        b"null",
        b"\xff\xfe",
        b"",
        b"[" * 100_000,
    ],
)
async def test_malformed_telegram_body_with_the_valid_secret_is_400(app: Any, body: bytes) -> None:
    _, client = app
    headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK, "Content-Type": "application/json"}
    assert await fine(await client.post("/telegram/webhook", data=body, headers=headers)) == 400


async def test_an_object_that_is_no_update_is_4xx(app: Any) -> None:
    _, client = app
    headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK}
    for body in ({}, {"update_id": "x"}, {"update_id": 1, "message": "hi"}, {"message": {}}):
        status = await fine(await client.post("/telegram/webhook", json=body, headers=headers))
        assert status in (200, 400)


async def test_signed_slack_garbage_is_answered_not_crashed(app: Any) -> None:
    _, client = app
    for raw in (b"payload=%7Bnot", b"payload=%5B%5D", b"payload=" + b"%5B" * 50_000, b"\xff"):
        ts = int(time.time())
        headers = {
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(SIGNING, ts, raw),
        }
        assert await fine(await client.post("/slack/actions", data=raw, headers=headers)) == 200


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
UPDATE_KEYS = st.sampled_from(["update_id", "message", "callback_query", "edited_message", "x"])
MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        "message_id": JSON,
        "date": JSON,
        "chat": st.fixed_dictionaries({}, optional={"id": JSON, "type": JSON}),
        "from": st.fixed_dictionaries(
            {}, optional={"id": JSON, "is_bot": JSON, "first_name": JSON}
        ),
        "text": JSON,
    },
)
UPDATE = st.dictionaries(UPDATE_KEYS, JSON | MESSAGE, max_size=3)


@FUZZ
@given(
    body=st.one_of(JSON.map(json.dumps), UPDATE.map(json.dumps), st.binary(max_size=200).map(repr))
)
async def test_fuzz_telegram_webhook(app: Any, body: str) -> None:
    _, client = app
    headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK}
    await fine(await client.post("/telegram/webhook", data=body.encode(), headers=headers))


HEADER = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=80)


@FUZZ
@given(secret=HEADER, body=st.binary(max_size=200))
async def test_fuzz_telegram_secret_header(app: Any, secret: str, body: bytes) -> None:
    _, client = app
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret.encode("utf-8").decode("latin-1")}
    status = await fine(await client.post("/telegram/webhook", data=body, headers=headers))
    assert secret == HOOK or status == 403


FORM = st.dictionaries(
    st.sampled_from(
        ["user_id", "text", "trigger_id", "channel_id", "channel_name", "payload", "team_id", "x"]
    ),
    st.text(max_size=40) | JSON.map(json.dumps),
    max_size=5,
)


@FUZZ
@given(form=FORM, path=st.sampled_from(["/slack/commands", "/slack/actions"]))
async def test_fuzz_signed_slack_bodies(app: Any, form: dict[str, str], path: str) -> None:
    _, client = app
    raw = urlencode(form).encode()
    ts = int(time.time())
    headers = {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sign(SIGNING, ts, raw)}
    await fine(await client.post(path, data=raw, headers=headers))


@FUZZ
@given(ts=HEADER, sig=HEADER, body=st.binary(max_size=100))
async def test_fuzz_slack_headers(app: Any, ts: str, sig: str, body: bytes) -> None:
    _, client = app
    headers = {
        "X-Slack-Request-Timestamp": ts.encode("utf-8").decode("latin-1"),
        "X-Slack-Signature": sig.encode("utf-8").decode("latin-1"),
    }
    assert await fine(await client.post("/slack/commands", data=body, headers=headers)) == 401


@FUZZ
@given(tok=st.text(min_size=1, max_size=120), post=st.booleans())
async def test_fuzz_signed_link_tokens(app: Any, tok: str, post: bool) -> None:
    _, client = app
    path = "/l/" + quote(tok, safe="")
    resp = await (client.post(path) if post else client.get(path))
    await fine(resp)
