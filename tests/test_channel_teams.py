"""Teams channel: Adaptive Cards posted with aiohttp to the local Workflows webhook fake."""

from __future__ import annotations

import contextlib
import json
import re
import socket

import pytest

from certbot.channels.teams import MAX_BYTES, TeamsChannel, encode
from certbot.demo.fakes import TEAMS_MAX_BYTES, Resp
from certbot.errors import DeliveryError
from tests.channel_contract import ChannelContract, Driver, chat_blob_is_inert
from tests.chat_helpers import (
    CANARY,
    chat_env,
    make_alert,
    make_digest,
    make_huge,
    make_update,
    target,
)


@pytest.fixture
async def env():
    async with chat_env() as e:
        yield e


def card(body: dict) -> dict:
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


@pytest.mark.parametrize(
    "name,make",
    [
        ("alert_nb", lambda: make_alert("nb")),
        ("alert_en", lambda: make_alert("en")),
        ("update_nb", lambda: make_update("nb")),
        ("digest_nb", lambda: make_digest("nb")),
    ],
)
async def test_delivers_adaptive_card_to_webhook(env, golden, name, make):
    channel, t = TeamsChannel(env.ctx), target("teams")
    sent = await channel.deliver(channel.render(make(), t), t)
    [call] = env.fakes.teams.requests
    assert sent.detail["status"] == 202
    assert call.headers["Content-Type"] == "application/json"
    body = call.body
    assert body["type"] == "message"
    c = card(body)
    assert c["body"][0]["text"] == make().tlp.label  # the TLP label comes first, coloured
    assert c["body"][0]["color"] in ("Default", "Good", "Warning", "Attention")
    golden(f"teams/{name}.json", json.dumps(body, indent=2, ensure_ascii=False) + "\n")


async def test_links_only_as_open_url_actions(env):
    channel, t = TeamsChannel(env.ctx), target("teams")
    n = make_alert(links=["https://nsm.no/a", "javascript:alert(1)", "http://x.example/?q=1"])
    c = card(channel.render(n, t).body)
    assert [a["type"] for a in c["actions"]] == ["Action.OpenUrl", "Action.OpenUrl"]
    assert [a["title"] for a in c["actions"]] == ["nsm.no", "x.example"]
    assert "Action.Submit" not in json.dumps(c)
    assert "javascript" not in json.dumps(c)


async def test_huge_notification_fits_28kb(env):
    channel, t = TeamsChannel(env.ctx), target("teams")
    payload = channel.render(make_huge(), t)
    assert len(encode(payload.body)) <= MAX_BYTES < TEAMS_MAX_BYTES
    await channel.deliver(payload, t)
    [call] = env.fakes.teams.requests
    assert len(call.raw) <= MAX_BYTES  # measured on the wire, as the fake saw it
    assert len(card(call.body)["actions"]) <= 5


@pytest.mark.parametrize(
    "resp,retryable,retry_after",
    [
        (Resp(503, "Service Unavailable"), True, None),
        (Resp(502, ""), True, None),
        (Resp(429, "Too Many Requests", {"Retry-After": "120"}), True, 120),
        (
            Resp(200, "Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0"),
            True,
            None,
        ),
        (
            Resp(202, "Microsoft Teams endpoint returned HTTP error 413 with ContextId x"),
            False,
            None,
        ),
        (Resp(400, "Bad payload"), False, None),
        (Resp(413, "RequestEntityTooLarge"), False, None),
        (Resp(404, "flow not found"), False, None),
    ],
)
async def test_status_classification(env, resp, retryable, retry_after):
    env.fakes.teams.script([resp])
    channel, t = TeamsChannel(env.ctx), target("teams")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert info.value.retryable is retryable
    assert info.value.retry_after == retry_after
    assert "sig=" not in str(info.value) and "webhook/" not in str(info.value)


async def test_connection_reset_is_retryable_and_ambiguous(env):
    env.fakes.teams.script([Resp.connection_reset()])
    channel, t = TeamsChannel(env.ctx), target("teams")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)
    assert len(env.fakes.teams.requests) == 1


async def test_connection_refused_is_retryable_not_ambiguous(env):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env.ctx.environ["TEAMS_WEBHOOK_TEST"] = f"http://127.0.0.1:{port}/webhook/x?sig=abc123abc"
    channel, t = TeamsChannel(env.ctx), target("teams")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert (info.value.retryable, info.value.ambiguous) == (True, False)
    assert "abc123abc" not in str(info.value)


async def test_wrong_signature_is_permanent_and_not_leaked(env):
    env.ctx.environ["TEAMS_WEBHOOK_TEST"] = env.urls["teams"].replace("fake-signature", "nope123")
    channel, t = TeamsChannel(env.ctx), target("teams")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert info.value.retryable is False and "401" in str(info.value)
    assert "nope123" not in repr(info.value)


class TestTeamsContract(ChannelContract):
    """The shared channel checks (tests/channel_contract.py) against the Workflows fake."""

    kind = "teams"

    @contextlib.asynccontextmanager
    async def driver(self, tmp_path, canary=False):
        async with chat_env(canary=canary) as env:
            channel = TeamsChannel(env.ctx)

            def fail(code: int) -> None:
                env.fakes.teams.script([Resp(code, f"scripted {code}")])

            try:
                yield Driver(channel, target("teams"), fail, CANARY["teams_sig"])
            finally:
                await channel.aclose()

    def check_inert(self, payload, title):
        assert len(encode(payload.body)) <= 28 * 1024
        card = payload.body["attachments"][0]["content"]
        for block in card["body"]:
            text = block.get("text", "")  # an ActionSet (signed links) has no text
            assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", text), text
        assert all(a["type"] == "Action.OpenUrl" for a in card.get("actions", []))
        chat_blob_is_inert(payload)
