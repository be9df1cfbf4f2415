"""MailChannel against a real aiosmtpd server on 127.0.0.1 that requires STARTTLS.

The server runs in the test's own event loop with a trustme certificate; the channel trusts
the test CA through ``ctx.state["smtp_tls_context"]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import logging
import socket
import ssl
import traceback
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult

from certbot.channels import ChannelContext
from certbot.channels.mail import MailChannel, message_id
from certbot.config import Config, SecretRef, ServiceConfig, SmtpConfig, TargetConfig
from certbot.errors import DeliveryError
from certbot.render import Renderer
from tests.channel_contract import SMTP_ROWS, ChannelContract, Driver
from tests.notifications import HOSTILE_TITLES, make_alert

CANARY = "canary-7f3e9b2a-smtp-password"
SENDER = "certbot@kommunecert.no"
TARGET = TargetConfig(id="it-vakt", kind="email", address="it-vakt@oslo.kommune.no")


@pytest.fixture(scope="module")
def tls() -> dict[str, ssl.SSLContext]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return {"server": server, "client": client}


class Recorder:
    """aiosmtpd handler: records what arrives; optional canned replies per stage."""

    def __init__(self, rcpt: str | None = None, data: str | None = None):
        self.rcpt_reply, self.data_reply = rcpt, data
        self.mail_from: list[str] = []
        self.messages: list[tuple[list[str], bytes, bool]] = []
        self.hold = asyncio.Event()  # set to release a held DATA
        self.hold_data = False

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.mail_from.append(address)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold_data:
            await self.hold.wait()
        if self.data_reply:
            return self.data_reply
        tls_used = session.ssl is not None
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content, tls_used))
        return "250 2.0.0 queued"


@pytest.fixture
async def smtp_server(tls):
    servers: list[asyncio.AbstractServer] = []

    async def start(handler: Recorder, *, starttls: bool = True, **kwargs: Any) -> int:
        loop = asyncio.get_running_loop()
        if starttls:
            kwargs.update(tls_context=tls["server"], require_starttls=True)

        def factory() -> SMTPServer:
            return SMTPServer(handler, hostname="mx.test", loop=loop, **kwargs)

        server = await loop.create_server(factory, "127.0.0.1", 0)
        servers.append(server)
        return server.sockets[0].getsockname()[1]

    yield start
    for s in servers:
        s.close()
        await s.wait_closed()


def make_ctx(
    tmp_path: Path, port: int, tls_ctx: ssl.SSLContext | None, environ: dict | None = None, **smtp
) -> ChannelContext:
    cfg = SmtpConfig(host="127.0.0.1", port=port, sender=SENDER, timeout=5, **smtp)
    config = Config(root=tmp_path, service=ServiceConfig(smtp=cfg), feeds=(), subscribers=())
    state = {"smtp_tls_context": tls_ctx} if tls_ctx else {}
    return ChannelContext(config=config, renderer=Renderer(), environ=environ or {}, state=state)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_delivers_multipart_alert_over_starttls(tmp_path, tls, smtp_server):
    handler = Recorder()
    port = await smtp_server(handler)
    channel = MailChannel(make_ctx(tmp_path, port, tls["client"]))
    n = make_alert()
    sent = await channel.deliver(channel.render(n, TARGET), TARGET)

    assert sent.external_id == "<d-0301-cve-2024-21762-r1-it-vakt@kommunecert.no>"
    [(rcpts, raw, tls_used)] = handler.messages
    assert rcpts == ["it-vakt@oslo.kommune.no"] and tls_used
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Subject"] == f"[TLP:AMBER] [P1] {n.title}"
    assert msg["Message-ID"] == message_id(n.delivery_id, SENDER) == sent.external_id
    assert msg["List-Unsubscribe"] == f"<mailto:{SENDER}?subject=unsubscribe>"
    assert msg["From"] == SENDER and msg["To"] == TARGET.address and msg["Date"]
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("TLP:AMBER\nP1 Handle nå\nFrist: 10.02.2024 kl. 11:00\n")
    for heading in ("Hvorfor dette gjelder dere", "Hva dere bør gjøre", "Kilder"):
        assert heading in text
    html = msg.get_body(("html",)).get_content()
    assert "Hva dere bør gjøre" in html and "CVE-2024-21762" in html


async def test_login_then_send_with_password_from_env(tmp_path, tls, smtp_server):
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

    handler = Recorder()
    port = await smtp_server(handler, authenticator=authenticator, auth_required=True)
    ctx = make_ctx(
        tmp_path, port, tls["client"], {"SMTP_PW": CANARY},
        username="certbot", password=SecretRef(env="SMTP_PW"),
    )  # fmt: skip
    channel = MailChannel(ctx)
    await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    assert seen == [(b"certbot", CANARY.encode())]
    assert len(handler.messages) == 1


@pytest.mark.parametrize(
    ("rcpt", "data", "retryable"),
    [
        ("451 4.3.0 Try again later", None, True),
        (None, "451 4.3.0 Local error in processing", True),
        (None, "550 5.7.1 Message rejected", False),
        ("550 5.1.1 No such user", None, False),
    ],
)
async def test_smtp_replies_map_to_retryable(tmp_path, tls, smtp_server, rcpt, data, retryable):
    port = await smtp_server(Recorder(rcpt=rcpt, data=data))
    channel = MailChannel(make_ctx(tmp_path, port, tls["client"]))
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    assert err.value.retryable is retryable
    assert not err.value.ambiguous
    assert (rcpt or data)[:3] in str(err.value)


async def test_connection_refused_is_retryable(tmp_path, tls):
    channel = MailChannel(make_ctx(tmp_path, free_port(), tls["client"]))
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    assert err.value.retryable and not err.value.ambiguous


async def test_timeout_after_data_is_ambiguous(tmp_path, tls, smtp_server):
    handler = Recorder()
    handler.hold_data = True
    port = await smtp_server(handler)
    ctx = make_ctx(tmp_path, port, tls["client"])
    ctx = ChannelContext(
        config=ctx.config.model_copy(
            update={"service": ServiceConfig(smtp=ctx.config.service.smtp.model_copy(
                update={"timeout": 0.3}))}
        ),
        renderer=ctx.renderer, environ={}, state=ctx.state,
    )  # fmt: skip
    channel = MailChannel(ctx)
    try:
        with pytest.raises(DeliveryError) as err:
            await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    finally:
        handler.hold.set()
    assert err.value.retryable and err.value.ambiguous
    assert "data" in str(err.value)


async def test_server_without_starttls_is_refused_and_nothing_sent(tmp_path, tls, smtp_server):
    handler = Recorder()
    port = await smtp_server(handler, starttls=False)
    channel = MailChannel(make_ctx(tmp_path, port, tls["client"]))
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    assert err.value.retryable is False
    assert "STARTTLS" in str(err.value)
    assert handler.mail_from == [] and handler.messages == []


async def test_untrusted_certificate_is_refused(tmp_path, smtp_server):
    handler = Recorder()
    port = await smtp_server(handler)
    channel = MailChannel(make_ctx(tmp_path, port, None))  # system trust store only
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    assert err.value.retryable is False
    assert "certificate" in str(err.value)
    assert handler.mail_from == [] and handler.messages == []


def _assert_no_canary(exc: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    tb = "".join(traceback.format_exception(exc))
    for where in (str(exc), repr(exc), tb, caplog.text):
        assert CANARY not in where
    assert all(CANARY not in r.getMessage() for r in caplog.records)


async def test_canary_password_absent_on_auth_failure(tmp_path, tls, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="mail.log")  # the test server's own log

    def refuse(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    port = await smtp_server(Recorder(), authenticator=refuse, auth_required=True)
    ctx = make_ctx(
        tmp_path, port, tls["client"], {"SMTP_PW": CANARY},
        username="certbot", password=SecretRef(env="SMTP_PW"),
    )  # fmt: skip
    channel = MailChannel(ctx)
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    assert err.value.retryable is False and "535" in str(err.value)
    _assert_no_canary(err.value, caplog)


async def test_canary_password_absent_on_refusal(tmp_path, tls, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="mail.log")

    def accept(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=True)

    handler = Recorder(rcpt=f"550 5.1.1 unknown user {CANARY}")  # a server echoing it back
    port = await smtp_server(handler, authenticator=accept, auth_required=True)
    ctx = make_ctx(
        tmp_path, port, tls["client"], {"SMTP_PW": CANARY},
        username="certbot", password=SecretRef(env="SMTP_PW"),
    )  # fmt: skip
    channel = MailChannel(ctx)
    with pytest.raises(DeliveryError) as err:
        await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    assert err.value.retryable is False and "[redacted]" in str(err.value)
    _assert_no_canary(err.value, caplog)


async def test_missing_password_variable_is_permanent(tmp_path, tls):
    ctx = make_ctx(tmp_path, free_port(), tls["client"], {}, username="u",
                   password=SecretRef(env="SMTP_PW"))  # fmt: skip
    channel = MailChannel(ctx)
    with pytest.raises(DeliveryError, match="SMTP_PW") as err:
        await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    assert err.value.retryable is False


def test_message_id_is_deterministic_and_safe():
    assert message_id("d-1", SENDER) == message_id("d-1", SENDER) == "<d-1@kommunecert.no>"
    assert message_id("a b<c>\r\n", "x@bad domain") == "<a-b-c---@certbot.invalid>"


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=range(len(HOSTILE_TITLES)))
def test_hostile_titles_are_inert(tmp_path, title):
    channel = MailChannel(make_ctx(tmp_path, 25, None))
    n = make_alert(title=title, summary=title, actions=[title], links=[title, "javascript:x()"])
    msg = channel.render(n, TARGET).body
    raw = msg.as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    headers = raw.split(b"\n\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc:") for line in headers.splitlines())
    for name, value in msg.items():
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in str(value)), name
        assert "\u202e" not in str(value)
    assert len(msg["Subject"]) <= 200
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "<script" not in html and "<!channel>" not in html
    assert 'href="javascript' not in html and "href='javascript" not in html
    assert "\u202e" not in html + text
    # every field is capped: 10,000 characters of title, summary, action and link shrink
    assert "A" * 8_001 not in text and len(text) < 16_000


def test_registered_under_its_kind():
    from certbot.channels import channel_classes

    assert channel_classes()["email"] is MailChannel and MailChannel.kind == "email"


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


class TestMailContract(ChannelContract):
    """The shared channel checks (tests/channel_contract.py) against a plain aiosmtpd server
    whose RCPT answer is scripted."""

    kind = "email"
    status_rows = SMTP_ROWS
    leak_codes = (451, 550)
    succeed_first = False  # (login needs TLS; the plain test server makes it fail)

    @contextlib.asynccontextmanager
    async def driver(self, tmp_path, canary=False):
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
            renderer=Renderer(),
            environ={"SMTP_PASSWORD": CANARY},
        )

        def fail(code: int) -> None:
            handler.code = code

        target = TargetConfig(id="chat", kind="email", address="it@oslo.kommune.no")
        try:
            yield Driver(MailChannel(ctx), target, fail, CANARY)
        finally:
            controller.stop()

    def check_inert(self, payload, title):
        msg = payload.body
        assert msg["Bcc"] is None
        assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
        html = msg.get_body(("html",)).get_content()
        assert "<script>" not in html and "<!channel>" not in html
