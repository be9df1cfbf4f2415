"""The Channel contract, for EVERY registered channel (certbot.channels.channel_classes()).

- status classification: 2xx ok; 408, 429 and 5xx retryable; other 4xx permanent (HTTP
  channels through their fakes); e-mail maps SMTP 2xx/4xx/5xx the same way; file has no
  remote status and is skipped there;
- canary secrets never appear in str/repr/traceback of an error, nor in any log line;
- hostile titles render inert and within the platform's limits.

A channel without a driver here fails `test_every_channel_has_a_contract_driver`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from certbot.channels import ChannelContext, channel_classes
from certbot.channels.teams import encode
from certbot.channels.telegram import utf16_len
from certbot.config import Config, SecretRef, ServiceConfig, SmtpConfig, TargetConfig
from certbot.demo.fakes import Resp
from certbot.errors import DeliveryError
from certbot.redact import install_redaction
from certbot.render import Renderer
from tests.chat_helpers import CANARY, HOSTILE_TITLES, ROOT, chat_env, make_alert, target

CHANNELS = sorted(channel_classes())
HTTP_ROWS = [
    (200, None),
    (202, None),
    (400, False),
    (401, False),
    (403, False),
    (404, False),
    (413, False),
    (408, True),
    (429, True),
    (500, True),
    (502, True),
    (503, True),
]
SMTP_ROWS = [(250, None), (421, True), (451, True), (452, True), (550, False), (553, False)]
SMTP_CANARY = "smtp-CANARY-password-4242"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ScriptedSMTP:
    """aiosmtpd handler answering RCPT with a scripted reply code."""

    def __init__(self, code: int = 250):
        self.code = code
        self.messages: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.code != 250:
            return f"{self.code} scripted reply"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted"


@contextlib.asynccontextmanager
async def driver(kind: str, tmp_path, canary: bool = False) -> AsyncIterator[dict[str, Any]]:
    """Channel instance, target, and ``fail(code)`` that makes the next send answer ``code``."""
    cls = channel_classes()[kind]
    if kind in ("slack", "teams", "telegram"):
        async with chat_env(canary=canary) as env:
            fake = getattr(env.fakes, kind)
            channel = cls(env.ctx)

            def fail(code: int) -> None:
                body: Any = {
                    "ok": False,
                    "error": f"http_{code}",
                    "error_code": code,
                    "description": f"scripted {code}",
                }
                fake.script([Resp(code, body if kind != "teams" else f"scripted {code}")])

            try:
                yield {
                    "channel": channel,
                    "target": target(kind),
                    "fail": fail,
                    "secret": CANARY["teams_sig" if kind == "teams" else kind],
                }
            finally:
                await channel.aclose()
        return
    if kind == "email":
        handler, port = ScriptedSMTP(), free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        smtp = SmtpConfig(
            host="127.0.0.1",
            port=port,
            starttls=False,
            sender="certbot@example.no",
            timeout=5,
            username="certbot" if canary else None,
            password=SecretRef(env="SMTP_PASSWORD") if canary else None,
        )
        ctx = ChannelContext(
            config=Config(
                root=tmp_path, service=ServiceConfig(smtp=smtp), feeds=(), subscribers=()
            ),
            renderer=Renderer(ROOT / "templates"),
            environ={"SMTP_PASSWORD": SMTP_CANARY},
        )

        def fail(code: int) -> None:
            handler.code = code

        try:
            yield {
                "channel": cls(ctx),
                "fail": fail,
                "secret": SMTP_CANARY,
                "target": TargetConfig(id="chat", kind="email", address="it@oslo.kommune.no"),
            }
        finally:
            controller.stop()
        return
    if kind == "file":
        ctx = ChannelContext(
            config=Config(root=tmp_path, service=ServiceConfig(), feeds=(), subscribers=()),
            renderer=Renderer(ROOT / "templates"),
            environ={},
        )
        yield {
            "channel": cls(ctx),
            "fail": None,
            "secret": None,
            "target": TargetConfig(id="chat", kind="file", address="out/alerts.jsonl"),
        }
        return
    raise AssertionError(f"no contract driver for channel {kind!r}: add one in this file")


DRIVEN = {"slack", "teams", "telegram", "email", "file"}


def test_every_channel_has_a_contract_driver():
    assert set(channel_classes()) <= DRIVEN, "add a driver for the new channel"
    assert {"slack", "teams", "telegram"} <= set(channel_classes())


@pytest.mark.parametrize("kind", CHANNELS)
async def test_status_classification(kind, tmp_path):
    if kind == "file":
        pytest.skip("the file channel has no remote status to classify")
    rows = SMTP_ROWS if kind == "email" else HTTP_ROWS
    results = {}
    for code, expected in rows:
        async with driver(kind, tmp_path) as d:
            payload = d["channel"].render(make_alert(), d["target"])
            if expected is not None:  # the ok row is the peer's normal answer (200/202/250)
                d["fail"](code)
            try:
                await d["channel"].deliver(payload, d["target"])
                results[code] = None
            except DeliveryError as exc:
                results[code] = exc.retryable
    assert results == dict(rows)


@pytest.mark.parametrize("kind", CHANNELS)
async def test_canary_secret_never_in_errors_or_logs(kind, tmp_path, caplog):
    undo = install_redaction()
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    try:
        async with driver(kind, tmp_path, canary=True) as d:
            if d["secret"] is None:
                pytest.skip(f"{kind} holds no secret")
            ch, t = d["channel"], d["target"]
            payload = ch.render(make_alert(), t)
            if kind != "email":  # (login needs TLS; the plain test server makes it fail)
                await ch.deliver(payload, t)  # a success, with the secret in use
            for code in [401, 500, 429] if kind != "email" else [451, 550]:
                d["fail"](code)
                with pytest.raises(DeliveryError) as info:
                    await ch.deliver(payload, t)
                exc = info.value
                texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
            assert d["secret"] not in json.dumps(payload.body, default=str)
    finally:
        undo()
    texts.append(caplog.text)
    texts += [str(r.__dict__) for r in caplog.records]
    for text in texts:
        assert d["secret"] not in text
    assert len(texts) >= 4


def _check_inert(kind: str, payload: Any, title: str, tmp_out: str | None) -> None:
    if kind == "slack":
        blocks = payload.body["blocks"]
        texts = [b["text"]["text"] for b in blocks if "text" in b] + [payload.body["text"]]
        buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
        assert all(e["text"]["type"] == "plain_text" for e in buttons)  # ours, never mrkdwn
        for text in texts:
            for tag in re.findall(r"<[^>]*>", text):  # only our own links are live
                assert re.fullmatch(r"<https?://[^|<>\s]+\|[a-z0-9.-]+>", tag), tag
            assert len(text) <= 3000
        assert sum(map(len, texts)) <= 13_000
        assert len(payload.body["blocks"]) <= 50
    elif kind == "teams":
        raw = encode(payload.body)
        assert len(raw) <= 28 * 1024
        card = payload.body["attachments"][0]["content"]
        for block in card["body"]:
            text = block.get("text", "")  # an ActionSet (signed links) has no text
            assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", text), text
        assert all(a["type"] == "Action.OpenUrl" for a in card.get("actions", []))
    elif kind == "telegram":
        text = payload.body["text"]
        assert utf16_len(text) <= 4096
        assert set(re.findall(r"</?([a-z]+)", text)) <= {"b", "a"}
        assert "<script" not in text
        if "<script>" in title:
            assert "&lt;script&gt;" in text
        assert text.count("<a ") == text.count("</a>") == 2  # the notification's two links
    elif kind == "email":
        msg = payload.body
        assert msg["Bcc"] is None
        assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
        html = msg.get_body(("html",)).get_content()
        assert "<script>" not in html and "<!channel>" not in html
    elif kind == "file":
        for record in payload.body:
            line = json.dumps(record, ensure_ascii=False)
            assert "\n" not in line and "\r" not in line
    if kind in ("slack", "teams", "telegram"):
        blob = json.dumps(payload.body, ensure_ascii=False)
        assert "\u202e" not in blob
        assert "<!channel>" not in blob and "<script>" not in blob


@pytest.mark.parametrize("kind", CHANNELS)
@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=lambda t: repr(t[:12]))
async def test_hostile_titles_are_inert(kind, title, tmp_path):
    async with driver(kind, tmp_path) as d:
        n = make_alert(
            title=title,
            summary=title,
            actions=[title],
            reasons=[title],
            links=["https://nsm.no/varsel", "javascript:alert(1)", title, "https://www.cisa.gov/x"],
        )
        payload = d["channel"].render(n, d["target"])
        _check_inert(kind, payload, title, None)
        await d["channel"].deliver(payload, d["target"])  # the real peer accepts it
