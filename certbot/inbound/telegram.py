"""Telegram inbound: a python-telegram-bot `Application` that turns messages and inline
button presses into `Command`s, in polling or webhook mode.

- Webhook mode refuses to start without ``service.telegram_webhook_secret``; web.py checks
  the ``X-Telegram-Bot-Api-Secret-Token`` header before an update reaches PTB.
- ``update_id``s are de-duplicated in SQLite (commands.handle), so a redelivered update has
  one effect; a reply is marked sent only after Telegram took it.
- Buttons under each alert carry ``ack:<case>`` or ``st:<case>:<word>``
  (`alert_buttons`, used by certbot/channels/telegram.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from certbot.config import read_secret
from certbot.errors import ConfigError
from certbot.inbound import records
from certbot.inbound.clearance import SHARED, telegram_kind
from certbot.inbound.commands import Command, Context, Notice, Reply, handle
from certbot.inbound.messages import split_command
from certbot.model import Notification
from certbot.redact import register_secret
from certbot.store import StoreThread

os.environ.setdefault("PTB_TIMEDELTA", "true")
log = logging.getLogger("certbot.inbound.telegram")

BUTTONS = {
    "nb": (("Kvitter", "ack"), ("Patchet", "patched"), ("Ikke berørt", "not-affected")),
    "en": (("Acknowledge", "ack"), ("Patched", "patched"), ("Not affected", "not-affected")),
}


def alert_buttons(n: Notification) -> list[tuple[str, str]]:
    """(label, callback data) for the buttons under an alert; data stays within 64 bytes."""
    if not n.case_id or n.kind not in ("alert", "update", "reminder"):
        return []
    out = []
    for label, word in BUTTONS.get(n.language, BUTTONS["nb"]):
        data = f"ack:{n.case_id}" if word == "ack" else f"st:{n.case_id}:{word}"
        if len(data.encode()) <= 64:
            out.append((label, data))
    return out


def markup(buttons: list[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(lbl, callback_data=d) for lbl, d in buttons]]
    )


class TelegramInbound:
    def __init__(
        self,
        ctx: Context,
        store: StoreThread,
        *,
        mode: str = "polling",
        environ: Any = None,
    ):
        svc = ctx.config.service
        token = read_secret(svc.telegram_token.env, environ)
        if not token:
            raise ConfigError([f"service.telegram_token: {svc.telegram_token.env} is not set"])
        self.secret: str | None = None
        if mode == "webhook":
            ref = svc.telegram_webhook_secret
            self.secret = read_secret(ref.env, environ) if ref else None
            if not self.secret:
                raise ConfigError(
                    [
                        "service.telegram_webhook_secret: webhook mode needs a secret token "
                        "(refusing to start without one)"
                    ]
                )
            register_secret(self.secret)
        register_secret(token)
        self.ctx, self.store, self.mode = ctx, store, mode
        self.relay: Callable[[list[Notice]], Awaitable[None]] | None = None  # set by the service
        builder = Application.builder().token(token)
        builder = builder.base_url(svc.telegram_base_url or "https://api.telegram.org/bot")
        if mode == "webhook":
            builder = builder.updater(None)
        self.app = builder.build()
        self.app.add_handler(CallbackQueryHandler(self.on_button))
        self.app.add_handler(MessageHandler(filters.TEXT, self.on_message))

    async def start(self) -> None:
        await self.app.initialize()
        await self.app.start()
        if self.mode == "polling" and self.app.updater is not None:
            await self.app.updater.start_polling(allowed_updates=["message", "callback_query"])

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def process(self, data: dict[str, Any]) -> None:
        """One update (from the webhook), processed to the end before returning."""
        await self.app.process_update(Update.de_json(data, self.app.bot))

    async def on_message(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        msg, user = update.effective_message, update.effective_user
        if msg is None or user is None or not msg.text:
            return
        word, rest = split_command(msg.text)
        name = word.lstrip("/").split("@", 1)[0]
        cmd = Command(
            "telegram",
            str(user.id),
            name,
            rest.split(),
            rest,
            chat_id=str(msg.chat_id),
            update_id=str(update.update_id),
            chat_kind=telegram_kind(msg.chat.type),
        )
        await self._run(cmd, msg.chat_id)

    async def on_button(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        query: CallbackQuery | None = update.callback_query
        if query is None or not query.data:
            return
        kind, _, rest = query.data.partition(":")
        if kind == "ack":
            name, args = "ack", [rest]
        else:
            case, _, word = rest.rpartition(":")
            name, args = "status", [case, word]
        chat = query.message.chat.id if query.message else query.from_user.id
        cmd = Command(
            "telegram",
            str(query.from_user.id),
            name,
            args,
            " ".join(args),
            chat_id=str(chat),
            update_id=str(update.update_id),
            chat_kind=telegram_kind(query.message.chat.type) if query.message else SHARED,
        )
        reply = await self._run(cmd, chat)
        await query.answer(text=(reply.text[:190] if reply else None))

    async def _run(self, cmd: Command, chat_id: int) -> Reply | None:
        reply = await self.store.run(handle, self.ctx, cmd)
        if reply is None:
            return None
        await self.app.bot.send_message(chat_id=chat_id, text=reply.text)
        if cmd.update_id is not None:
            await self.store.call(records.mark_replied, "telegram", cmd.update_id)
        if reply.notices and self.relay is not None:
            await self.relay(reply.notices)
        else:
            for notice in reply.notices:
                if notice.platform == "telegram":
                    await self.app.bot.send_message(chat_id=int(notice.chat_id), text=notice.text)
        return reply
