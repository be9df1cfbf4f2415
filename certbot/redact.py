"""Keep secrets out of log lines: a redacting `logging.Filter` and the set-up the app calls.

Telegram tokens travel in URL paths (``/bot123:ABC.../sendMessage``), Teams Workflows webhook
URLs carry their credential in ``sig=``, and Slack tokens start with ``xox``. Channels never
put these into messages on purpose; this module is the second line of defence:

- `register_secret(value)`: a channel calls it with every secret it reads, so the exact value
  is redacted even when it matches no pattern (canary tests rely on this).
- `redact(text)`: the known secrets and the patterns above replaced by ``[REDACTED]``.
- `install_redaction()`: HTTP client loggers to WARNING, and every log record redacted when
  it is created (a record factory, so it holds for handlers added later, such as pytest's
  caplog). Returns a function that undoes it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

MASK = "[REDACTED]"
NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "slack_sdk", "aiohttp", "hpack")
PATTERNS = (
    re.compile(r"xox[abposre]-[A-Za-z0-9-]+"),  # Slack tokens
    re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{20,}"),  # Telegram bot tokens
    re.compile(r"(?i)([?&](?:amp;)?sig=)[^&\s\"'<>]+"),  # Teams/Azure webhook signatures
)
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that `redact` removes it wherever it appears."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)
            # A multi-line secret (a PEM key) is masked line by line too: a log line or a
            # traceback may carry one line of it.
            if "\n" in value:
                _secrets.update(
                    line.strip()
                    for line in value.splitlines()
                    if len(line.strip()) >= 16 and not line.startswith("-----")
                )


def redact(text: str) -> str:
    """``text`` with known secrets and secret-looking substrings masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    for pattern in PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and traceback text) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not hide the record
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)


def install_redaction(level: int = logging.WARNING) -> Callable[[], None]:
    """Quieten HTTP client loggers and redact every log record; returns an undo function."""
    previous_levels = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(level)
    old_factory = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = old_factory(*args, **kwargs)
        redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    handler_filter = RedactingFilter()
    root_handlers = list(logging.getLogger().handlers)
    for handler in root_handlers:
        handler.addFilter(handler_filter)

    def undo() -> None:
        logging.setLogRecordFactory(old_factory)
        for name, lvl in previous_levels.items():
            logging.getLogger(name).setLevel(lvl)
        for handler in root_handlers:
            handler.removeFilter(handler_filter)

    return undo
