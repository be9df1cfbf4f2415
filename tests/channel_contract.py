"""`ChannelContract`: the checks every channel must pass, inherited by each channel's tests.

Modelled on Alertmanager's ``notify/test`` helpers (``RetryTests``,
``AssertNotifyLeaksNoSecret``), which each integration's own test calls. A channel's test
module declares one class::

    class TestSlackContract(ChannelContract):
        kind = "slack"
        status_rows = HTTP_ROWS

        @contextlib.asynccontextmanager
        async def driver(self, tmp_path, canary=False):
            ...
            yield Driver(channel, target, fail, secret)

        def check_inert(self, payload, title): ...  # the platform's own markup rules

and inherits, without an if/elif on kind:

- status classification: each ``(code, retryable)`` row of ``status_rows`` (None: success);
  a channel with no remote status (file) leaves the list empty;
- canary secrets never in str/repr/traceback of an error, nor in any log line or record;
- hostile titles render inert and within the channel's declared ``size_limit``, and the real
  peer (fake) accepts them;
- the class is registered under its kind and declares its rate limit.

The chat channels (Slack, Telegram, Teams) share one wiring, `ChatContract`: the three fakes
from tests/chat_helpers.py (``chat_env``), the channel class, its canary and how its fake is
told to fail; each names those three and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from certbot.channels import Channel, Payload, channel_classes
from certbot.config import TargetConfig
from certbot.errors import DeliveryError
from certbot.redact import install_redaction
from tests.chat_helpers import (
    CANARY,
    HOSTILE_TITLES,
    ChatEnv,
    chat_env,
    make_alert,
    make_huge,
    target,
)

HTTP_ROWS: tuple[tuple[int, bool | None], ...] = (
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
)
SMTP_ROWS: tuple[tuple[int, bool | None], ...] = (
    (250, None),
    (421, True),
    (451, True),
    (452, True),
    (550, False),
    (553, False),
)


@dataclass
class Driver:
    """A channel wired to its fake peer: ``fail(code)`` makes the next send answer ``code``
    (None if the channel has no remote peer); ``secret`` is the canary it holds (or None)."""

    channel: Channel
    target: TargetConfig
    fail: Callable[[int], None] | None = None
    secret: str | None = None


class ChannelContract:
    """Inherit in ``tests/test_channel_<kind>.py``; name the subclass ``Test...``."""

    kind: ClassVar[str] = ""
    #: (status code, retryable) rows; None = success. Empty: no remote status to classify.
    status_rows: ClassVar[tuple[tuple[int, bool | None], ...]] = HTTP_ROWS
    #: Failure codes sent while the canary secret is in use.
    leak_codes: ClassVar[tuple[int, ...]] = (401, 500, 429)
    #: Deliver once successfully (the secret in use) before the failures.
    succeed_first: ClassVar[bool] = True

    def driver(
        self, tmp_path: Path, canary: bool = False
    ) -> contextlib.AbstractAsyncContextManager[Driver]:
        """The channel wired to its fake peer (an async context manager)."""
        raise NotImplementedError

    def check_inert(self, payload: Payload, title: str) -> None:
        """The platform's own rules for a hostile title (markup, mentions, links)."""

    # --- the shared checks -----------------------------------------------------------------

    def test_registered_with_its_declarations(self) -> None:
        cls = channel_classes()[self.kind]
        assert cls.kind == self.kind
        assert cls.rate_per_second is not None and cls.rate_per_second > 0
        assert cls.size_limit is None or cls.size_limit > 0

    async def test_status_classification(self, tmp_path: Path) -> None:
        if not self.status_rows:
            pytest.skip(f"the {self.kind} channel has no remote status to classify")
        results = {}
        for code, expected in self.status_rows:
            async with self.driver(tmp_path) as d:
                payload = d.channel.render(make_alert(), d.target)
                if expected is not None:  # the ok row is the peer's normal answer
                    assert d.fail is not None
                    d.fail(code)
                try:
                    await d.channel.deliver(payload, d.target)
                    results[code] = None
                except DeliveryError as exc:
                    results[code] = exc.retryable
        assert results == dict(self.status_rows)

    async def test_canary_secret_never_in_errors_or_logs(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        undo = install_redaction()
        caplog.set_level(logging.DEBUG)
        texts: list[str] = []
        try:
            async with self.driver(tmp_path, canary=True) as d:
                if d.secret is None or d.fail is None:
                    pytest.skip(f"{self.kind} holds no secret")
                payload = d.channel.render(make_alert(), d.target)
                if self.succeed_first:
                    await d.channel.deliver(payload, d.target)  # a success, secret in use
                for code in self.leak_codes:
                    d.fail(code)
                    with pytest.raises(DeliveryError) as info:
                        await d.channel.deliver(payload, d.target)
                    exc = info.value
                    texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
                assert d.secret not in json.dumps(payload.body, default=str)
        finally:
            undo()
        texts.append(caplog.text)
        texts += [str(r.__dict__) for r in caplog.records]
        for text in texts:
            assert d.secret not in text
        assert len(texts) >= 4

    @pytest.mark.parametrize("title", HOSTILE_TITLES, ids=lambda t: repr(t[:12]))
    async def test_hostile_titles_are_inert(self, title: str, tmp_path: Path) -> None:
        async with self.driver(tmp_path) as d:
            n = make_alert(
                title=title,
                summary=title,
                actions=[title],
                reasons=[title],
                links=[
                    "https://nsm.no/varsel",
                    "javascript:alert(1)",
                    title,
                    "https://www.cisa.gov/x",
                ],
            )
            payload = d.channel.render(n, d.target)
            self.check_inert(payload, title)
            limit = type(d.channel).size_limit
            if limit is not None:
                assert d.channel.payload_size(payload) <= limit
            await d.channel.deliver(payload, d.target)  # the real peer accepts it

    async def test_huge_notification_fits_the_size_limit(self, tmp_path: Path) -> None:
        async with self.driver(tmp_path) as d:
            limit = type(d.channel).size_limit
            if limit is None:
                pytest.skip(f"the {self.kind} channel declares no size limit")
            payload = d.channel.render(make_huge(), d.target)
            assert 0 < d.channel.payload_size(payload) <= limit


class ChatContract(ChannelContract):
    """`ChannelContract` wired to a chat platform's fake (``chat_env``): a subclass names
    ``channel_class``, the ``canary`` key in `CANARY` and ``fail_with`` (script the fake)."""

    channel_class: ClassVar[Any]
    canary: ClassVar[str]

    def fail_with(self, env: ChatEnv, code: int) -> None:
        """Make the fake's next answer an HTTP ``code`` failure."""
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def driver(self, tmp_path: Path, canary: bool = False):  # type: ignore[no-untyped-def]
        async with chat_env(canary=canary) as env:
            channel = self.channel_class(env.ctx)

            def fail(code: int) -> None:
                self.fail_with(env, code)

            try:
                yield Driver(channel, target(self.kind), fail, CANARY[self.canary])
            finally:
                await channel.aclose()


def chat_blob_is_inert(payload: Payload) -> None:
    """What every chat platform shares: no bidi override, no mass mention, no script tag."""
    blob = json.dumps(payload.body, ensure_ascii=False)
    assert "\u202e" not in blob
    assert "<!channel>" not in blob and "<script>" not in blob


__all__ = [
    "HTTP_ROWS",
    "SMTP_ROWS",
    "ChannelContract",
    "ChatContract",
    "Driver",
    "chat_blob_is_inert",
]
