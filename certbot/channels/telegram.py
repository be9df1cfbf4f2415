"""Telegram: python-telegram-bot ``send_message`` in HTML parse mode.

- One `telegram.ext.ExtBot` per channel, created and initialised (``getMe``) on first use,
  with PTB's `AIORateLimiter` (``max_retries=0``: the limiter paces, dispatch retries).
- Untrusted text is escaped with ``html.escape(quote=False)``; the plain text is shortened
  *before* markup is added, so the message stays within 4,096 characters (counted in UTF-16
  units, as Telegram does) and a tag is never cut.
- telegram.error is mapped to `DeliveryError`: RetryAfter -> retryable with retry_after,
  TimedOut -> retryable and ambiguous, NetworkError -> retryable, BadRequest ("can't parse
  entities"), Forbidden (bot removed), InvalidToken -> permanent. The token sits in URL paths,
  so messages are built from error classes and Telegram's description, redacted.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from certbot.channels import Channel, Payload, Sent, chat, escape, register
from certbot.config import TargetConfig, read_secret
from certbot.errors import DeliveryError, classify_status
from certbot.model import Notification
from certbot.redact import redact, register_secret

# PTB 22 warns on every time period it hands out as an int (RetryAfter.retry_after among
# them) unless the documented opt-in to timedelta values is set; certbot reads timedeltas.
os.environ.setdefault("PTB_TIMEDELTA", "true")

MAX_CHARS = 4096
PTB_HANDLED = {400, 401, 403, 404, 408, 409, 429}  # statuses PTB maps to its own errors


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_html(parts: list[chat.Section]) -> str:
    out = []
    for s in parts:
        if s.kind == "head":
            first, _, rest = " ".join(s.lines).partition(" · ")
            tail = f" · {escape.telegram(rest)}" if rest else ""
            out.append(f"<b>{escape.telegram(first)}</b>{tail}")
        elif s.kind == "title":
            out.append(f"<b>{escape.telegram(' '.join(s.lines))}</b>")
        else:
            if s.kind == "links":
                lines = [_link(u) for u in s.lines]
            elif s.kind == "list":
                lines = [f"• {escape.telegram(line)}" for line in s.lines]
            else:
                lines = [escape.telegram(line) for line in s.lines]
            out.append(f"<b>{escape.telegram(s.heading)}</b>\n" + "\n".join(lines))
    return "\n\n".join(out)


def _link(url: str) -> str:
    if escape.safe_url(url) != url:
        return f"• {escape.telegram(url)}"
    host = escape.telegram(escape.url_host(url))
    return f'• <a href="{escape.telegram_attr(url)}">{host}</a>'


class _Request(HTTPXRequest):
    """PTB maps unknown 4xx answers to NetworkError (retryable); certbot's contract says a
    4xx other than 408/429 is permanent, so those become `_PermanentStatus`."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if 400 <= code < 500 and code not in PTB_HANDLED:
            raise _PermanentStatus(code)
        return code, payload


class _PermanentStatus(TelegramError):
    def __init__(self, code: int):
        super().__init__(f"HTTP {code}")
        self.code = code


@register
class TelegramChannel(Channel):
    kind = "telegram"
    rate_per_second = 1.0  # Bot API: about one message per second per chat
    size_limit = MAX_CHARS  # UTF-16 code units of the message text
    service_secrets = ("telegram_token",)
    address_help = "a Telegram chat id (-100... for a group, a number for a person)"
    address_pattern = r"-?\d+|@[A-Za-z]\w{4,}"
    address_problem = "{address!r} is not a Telegram chat id; use a number such as -1001234567890"

    @classmethod
    def can_be_personal(cls, target: TargetConfig) -> bool:
        return (target.address or "")[:1] not in "-@"

    def payload_size(self, payload: Payload) -> int:
        return utf16_len(payload.body["text"])

    def __init__(self, ctx: Any):
        super().__init__(ctx)
        self._bot: ExtBot[Any] | None = None
        self._lock = asyncio.Lock()

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        safe = chat.sanitise(n)
        more = chat.MORE.get(safe.language, chat.MORE["en"])
        parts = chat.sections(self.ctx.renderer, "telegram", safe)
        text = chat.fit(parts, to_html, utf16_len, MAX_CHARS, more)
        body = {"chat_id": target.address, "text": text, "parse_mode": "HTML"}
        from certbot.inbound.telegram import alert_buttons  # issue 5: Kvitter/Patchet/Ikke berørt

        meta: dict[str, Any] = {"delivery_id": n.delivery_id}
        if buttons := alert_buttons(n):
            meta["buttons"] = buttons
        return Payload(channel="telegram", body=body, text=text, meta=meta)

    async def bot(self) -> ExtBot[Any]:
        async with self._lock:
            if self._bot is None:
                svc = self.ctx.config.service
                token = read_secret(svc.telegram_token.env, self.ctx.environ)
                if not token:
                    raise DeliveryError(
                        f"telegram token not configured ({svc.telegram_token.env})", retryable=False
                    )
                register_secret(token)
                bot: ExtBot[Any] = ExtBot(
                    token,
                    base_url=svc.telegram_base_url or "https://api.telegram.org/bot",
                    rate_limiter=AIORateLimiter(max_retries=0),
                    request=_Request(
                        connection_pool_size=8,
                        connect_timeout=10,
                        read_timeout=30,
                        write_timeout=30,
                        pool_timeout=10,
                    ),
                )
                try:
                    await _guard(bot.initialize(), "getMe")
                except DeliveryError:
                    await bot.shutdown()  # close the HTTP client getMe opened
                    raise
                self._bot = bot
            return self._bot

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        bot = await self.bot()
        message = await _guard(
            bot.send_message(
                chat_id=payload.body["chat_id"],
                text=payload.body["text"],
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_markup=_markup(payload.meta.get("buttons")),
            ),
            "sendMessage",
        )
        return Sent(external_id=str(message.message_id), detail={"chat_id": message.chat_id})

    async def aclose(self) -> None:
        if self._bot is not None:
            bot, self._bot = self._bot, None
            await bot.shutdown()


def _markup(buttons: list[tuple[str, str]] | None) -> Any:
    from certbot.inbound.telegram import markup

    return markup(buttons or [])


async def _guard(coro: Any, method: str) -> Any:
    try:
        return await coro
    except TelegramError as exc:
        error = map_error(exc, method)
    raise error  # outside the handler: the SDK exception (and its URL) is not chained


def map_error(exc: TelegramError, method: str) -> DeliveryError:
    name = type(exc).__name__
    if isinstance(exc, RetryAfter):
        seconds = exc._retry_after.total_seconds()  # the property warns about int/timedelta
        return DeliveryError(
            f"telegram {method}: RetryAfter {seconds:g}s", retryable=True, retry_after=seconds
        )
    if isinstance(exc, TimedOut):
        return DeliveryError(f"telegram {method}: TimedOut", retryable=True, ambiguous=True)
    if isinstance(exc, _PermanentStatus):
        return DeliveryError(
            f"telegram {method}: HTTP {exc.code}", retryable=bool(classify_status(exc.code))
        )
    if isinstance(exc, BadRequest | Forbidden | InvalidToken | ChatMigrated):
        return DeliveryError(
            f"telegram {method}: {name}: {redact(exc.message)[:200]}", retryable=False
        )
    if isinstance(exc, NetworkError):
        never_sent = isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)
        return DeliveryError(
            f"telegram {method}: {name}: {redact(exc.message)[:200]}",
            retryable=True,
            ambiguous=not never_sent,
        )
    return DeliveryError(f"telegram {method}: {name}", retryable=False)


CHANNEL = TelegramChannel
