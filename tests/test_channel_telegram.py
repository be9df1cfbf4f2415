"""Telegram channel through python-telegram-bot (ExtBot + AIORateLimiter) against the fake."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from certbot.channels.telegram import MAX_CHARS, TelegramChannel, map_error, utf16_len
from certbot.demo.fakes import Resp, telegram_error
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
        await TelegramChannel(e.ctx).aclose()


class TagChecker(HTMLParser):
    """Collects tags; fails on anything Telegram would not parse as balanced b/a markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert tag in ("b", "a"), tag
        self.stack.append(tag)
        self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag

    def handle_data(self, data):
        self.text.append(data)


def check_markup(text: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.stack == []
    return checker


@pytest.mark.parametrize(
    "name,make",
    [
        ("alert_nb", lambda: make_alert("nb")),
        ("alert_en", lambda: make_alert("en")),
        ("update_nb", lambda: make_update("nb")),
        ("digest_nb", lambda: make_digest("nb")),
    ],
)
async def test_delivers_html_message_to_fake(env, golden, name, make):
    channel, t = TelegramChannel(env.ctx), target("telegram")
    try:
        sent = await channel.deliver(channel.render(make(), t), t)
    finally:
        await channel.aclose()
    [sent_msg] = env.fakes.telegram.sent
    assert sent.external_id == str(sent_msg["message_id"])
    assert sent_msg["parse_mode"] == "HTML"
    assert sent_msg["chat_id"] == "-1001234567"
    assert sent_msg["link_preview_options"] == {"is_disabled": True}
    assert sent_msg["text"].startswith(f"<b>{make().tlp.label}</b>")
    check_markup(sent_msg["text"])
    golden(f"telegram/{name}.html", sent_msg["text"] + "\n")


async def test_bot_initialised_once(env):
    channel, t = TelegramChannel(env.ctx), target("telegram")
    payload = channel.render(make_alert(), t)
    try:
        await channel.deliver(payload, t)
        await channel.deliver(payload, t)
    finally:
        await channel.aclose()
    assert len(env.fakes.telegram.calls("getMe")) == 1
    assert len(env.fakes.telegram.calls("sendMessage")) == 2


async def test_huge_notification_truncated_before_markup(env):
    channel, t = TelegramChannel(env.ctx), target("telegram")
    payload = channel.render(make_huge(), t)
    text = payload.body["text"]
    assert utf16_len(text) <= MAX_CHARS
    checker = check_markup(text)
    assert checker.tags.count("b") >= 3  # head, title and section headings survived
    try:
        await channel.deliver(payload, t)
    finally:
        await channel.aclose()
    assert env.fakes.telegram.sent[0]["text"] == text


@pytest.mark.parametrize(
    "resp,retryable,retry_after",
    [
        (
            telegram_error(400, "Bad Request: can't parse entities: unsupported start tag"),
            False,
            None,
        ),
        (telegram_error(403, "Forbidden: bot was kicked from the supergroup chat"), False, None),
        (telegram_error(429, "Too Many Requests: retry after 5", retry_after=5), True, 5),
        (telegram_error(500, "Internal Server Error"), True, None),
        (telegram_error(502, "Bad Gateway"), True, None),
        (telegram_error(413, "Request Entity Too Large"), False, None),
    ],
)
async def test_error_mapping(env, resp, retryable, retry_after):
    env.fakes.telegram.script([resp])
    channel, t = TelegramChannel(env.ctx), target("telegram")
    try:
        with pytest.raises(DeliveryError) as info:
            await channel.deliver(channel.render(make_alert(), t), t)
    finally:
        await channel.aclose()
    assert info.value.retryable is retryable
    assert info.value.retry_after == retry_after
    assert len(env.fakes.telegram.calls("sendMessage")) == 1  # nothing retried inside PTB


async def test_parse_error_is_not_silent(env):
    env.fakes.telegram.script([telegram_error(400, "Bad Request: can't parse entities")])
    channel, t = TelegramChannel(env.ctx), target("telegram")
    try:
        with pytest.raises(DeliveryError, match=r"(?i)can't parse entities") as info:
            await channel.deliver(channel.render(make_alert(), t), t)
    finally:
        await channel.aclose()
    assert "BadRequest" in str(info.value)


async def test_connection_reset_is_retryable_and_ambiguous(env):
    env.fakes.telegram.script([Resp.connection_reset()])
    channel, t = TelegramChannel(env.ctx), target("telegram")
    try:
        with pytest.raises(DeliveryError) as info:
            await channel.deliver(channel.render(make_alert(), t), t)
    finally:
        await channel.aclose()
    assert (info.value.retryable, info.value.ambiguous) == (True, True)


async def test_invalid_token_is_permanent(env):
    env.fakes.telegram.token = "1:other"
    channel, t = TelegramChannel(env.ctx), target("telegram")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert info.value.retryable is False and "getMe" in str(info.value)


def test_timed_out_is_ambiguous_and_connect_error_is_not():
    timed_out = map_error(TimedOut(), "sendMessage")
    assert (timed_out.retryable, timed_out.ambiguous) == (True, True)
    try:
        raise NetworkError("httpx.ConnectError: refused") from httpx.ConnectError("refused")
    except NetworkError as exc:
        refused = map_error(exc, "sendMessage")
    assert (refused.retryable, refused.ambiguous) == (True, False)


class TestTelegramContract(ChatContract):
    """The shared channel checks (tests/channel_contract.py) against the Bot API fake."""

    kind = "telegram"
    channel_class = TelegramChannel
    canary = "telegram"

    def fail_with(self, env: ChatEnv, code: int) -> None:
        body = {"ok": False, "error_code": code, "description": f"scripted {code}"}
        env.fakes.telegram.script([Resp(code, body)])

    def check_inert(self, payload, title):
        text = payload.body["text"]
        assert utf16_len(text) <= MAX_CHARS
        assert set(re.findall(r"</?([a-z]+)", text)) <= {"b", "a"}
        assert "<script" not in text
        if "<script>" in title:
            assert "&lt;script&gt;" in text
        assert text.count("<a ") == text.count("</a>") == 2  # the notification's two links
        chat_blob_is_inert(payload)
