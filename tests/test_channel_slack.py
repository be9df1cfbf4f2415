"""Slack channel through the real slack_sdk AsyncWebClient against the local Slack fake."""

from __future__ import annotations

import json
import re

import pytest

from certbot.channels.slack import MAX_BLOCKS, MAX_SECTION, SlackChannel
from certbot.demo.fakes import Resp, slack_error
from certbot.errors import DeliveryError
from tests.channel_contract import ChatContract, chat_blob_is_inert
from tests.chat_helpers import (
    ChatEnv,
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


def dump(body: object) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@pytest.mark.parametrize(
    "name,make",
    [
        ("alert_nb", lambda: make_alert("nb")),
        ("alert_en", lambda: make_alert("en")),
        ("digest_nb", lambda: make_digest("nb")),
    ],
)
async def test_delivers_block_kit_to_fake(env, golden, name, make):
    channel, t = SlackChannel(env.ctx), target("slack")
    sent = await channel.deliver(channel.render(make(), t), t)
    [call] = env.fakes.slack.calls("chat.postMessage")
    assert call.headers["Authorization"] == f"Bearer {env.fakes.slack.token}"
    assert sent.external_id == env.fakes.slack.messages["C0123TEST"][0]["ts"]
    assert call.body["metadata"]["event_payload"]["delivery_id"] == make().delivery_id
    golden(f"slack/{name}.json", dump(call.body))


async def test_update_is_a_thread_reply_to_the_alert(env, golden):
    channel, t = SlackChannel(env.ctx), target("slack")
    first = await channel.deliver(channel.render(make_alert(), t), t)
    update = make_update(extra={"thread_ts": first.external_id})
    second = await channel.deliver(channel.render(update, t), t)
    calls = env.fakes.slack.calls("chat.postMessage")
    assert "thread_ts" not in calls[0].body
    assert calls[1].body["thread_ts"] == first.external_id
    assert second.external_id != first.external_id
    golden("slack/update_nb.json", dump(calls[1].body))


async def test_huge_notification_stays_within_block_kit_limits(env):
    channel, t = SlackChannel(env.ctx), target("slack")
    payload = channel.render(make_huge(), t)
    blocks = payload.body["blocks"]
    texts = [b["text"]["text"] for b in blocks if b["type"] != "actions"]
    assert len(blocks) <= MAX_BLOCKS
    assert blocks[-1]["type"] == "actions"  # the buttons survive the shrinking
    assert len(texts) == len(blocks) - 1
    assert max(len(x) for x in texts) <= MAX_SECTION
    assert sum(map(len, texts)) + len(payload.body["text"]) <= 13_000
    assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= 150
    assert any("og " in x and " til" in x for x in texts)  # "… og N til" says what was cut
    await channel.deliver(payload, t)
    assert len(env.fakes.slack.calls("chat.postMessage")) == 1


async def test_429_is_retryable_with_retry_after_and_no_sdk_retry(env):
    env.fakes.slack.script([slack_error("ratelimited", status=429, retry_after=600)])
    channel, t = SlackChannel(env.ctx), target("slack")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert info.value.retryable is True
    assert info.value.retry_after == 600
    assert len(env.fakes.slack.calls("chat.postMessage")) == 1  # the SDK did not retry


@pytest.mark.parametrize(
    "error", ["channel_not_found", "not_in_channel", "invalid_auth", "is_archived", "msg_too_long"]
)
async def test_platform_errors_are_permanent(env, error):
    env.fakes.slack.script([slack_error(error)])
    channel, t = SlackChannel(env.ctx), target("slack")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert info.value.retryable is False
    assert error in str(info.value)


async def test_connection_reset_is_retryable_and_ambiguous(env):
    env.fakes.slack.script([Resp.connection_reset()])
    channel, t = SlackChannel(env.ctx), target("slack")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)
    assert len(env.fakes.slack.requests) == 1  # connection errors are not retried by the SDK


async def test_wrong_token_is_permanent(env):
    env.fakes.slack.token = "xoxb-other"
    channel, t = SlackChannel(env.ctx), target("slack")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert not info.value.retryable and "invalid_auth" in str(info.value)


async def test_missing_token_is_permanent(env):
    env.ctx.environ.pop("SLACK_BOT_TOKEN")
    channel, t = SlackChannel(env.ctx), target("slack")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert not info.value.retryable and "SLACK_BOT_TOKEN" in str(info.value)
    assert env.fakes.slack.requests == []


async def test_already_sent_finds_the_message_by_delivery_id(env):
    channel, t = SlackChannel(env.ctx), target("slack")
    payload = channel.render(make_alert(), t)
    assert await channel.already_sent(payload, t) is None  # nothing there yet (no channel)
    sent = await channel.deliver(payload, t)
    other = channel.render(make_alert(delivery_id="d-other"), t)
    found = await channel.already_sent(payload, t)
    assert found is not None and found.external_id == sent.external_id
    assert await channel.already_sent(other, t) is None
    [history] = env.fakes.slack.calls("conversations.history")[-1:]
    assert history.query["include_all_metadata"] in ("1", "true")


async def test_already_sent_looks_in_the_thread_for_updates(env):
    channel, t = SlackChannel(env.ctx), target("slack")
    first = await channel.deliver(channel.render(make_alert(), t), t)
    update = channel.render(make_update(extra={"thread_ts": first.external_id}), t)
    assert await channel.already_sent(update, t) is None
    reply = await channel.deliver(update, t)
    found = await channel.already_sent(update, t)
    assert found is not None and found.external_id == reply.external_id
    assert env.fakes.slack.calls("conversations.replies")


class TestSlackContract(ChatContract):
    """The shared channel checks (tests/channel_contract.py) against the Slack fake."""

    kind = "slack"
    channel_class = SlackChannel
    canary = "slack"

    def fail_with(self, env: ChatEnv, code: int) -> None:
        env.fakes.slack.script([Resp(code, {"ok": False, "error": f"http_{code}"})])

    def check_inert(self, payload, title):
        blocks = payload.body["blocks"]
        texts = [b["text"]["text"] for b in blocks if "text" in b] + [payload.body["text"]]
        buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
        assert all(e["text"]["type"] == "plain_text" for e in buttons)  # ours, never mrkdwn
        for text in texts:
            for tag in re.findall(r"<[^>]*>", text):  # only our own links are live
                assert re.fullmatch(r"<https?://[^|<>\s]+\|[a-z0-9.-]+>", tag), tag
            assert len(text) <= MAX_SECTION
        assert len(payload.body["blocks"]) <= MAX_BLOCKS
        chat_blob_is_inert(payload)
