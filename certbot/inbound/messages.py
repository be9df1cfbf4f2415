"""What travels through the inbound command layer: a `Command` comes in, an `Outcome` (a `Reply`
plus the audit decision) goes out, `Notice`s reach people other than the sender, and every
handler runs in one `Context` (store, config, rate limiter, clock).

Data only, so `commands` (the entry point), `handlers` and `incidents` all import it without
importing each other in a circle. `ALIASES` maps every typed command word (bokmål and English)
to its action; `STATUS_WORDS` maps the remediation words of ``status`` to their state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from certbot.config import Config
from certbot.inbound.auth import RateLimiter
from certbot.store import Store, utcnow

ALIASES = {
    "kvitter": "ack",
    "ack": "ack",
    "status": "status",
    "mine": "mine",
    "hendelse": "incident",
    "incident": "incident",
    "hjelp": "help",
    "help": "help",
    "start": "help",
    "berorte": "affected",
    "berørte": "affected",
    "affected": "affected",
    "hendelser": "incidents",
    "incidents": "incidents",
    "oppdater": "update",
    "update": "update",
    "publiser": "publish",
    "publish": "publish",
}
STATUS_WORDS = {
    "patched": "remediation_done",
    "patchet": "remediation_done",
    "in-progress": "remediation_in_progress",
    "pågår": "remediation_in_progress",
    "pagar": "remediation_in_progress",
    "not-affected": "not_affected",
    "ikke-berørt": "not_affected",
    "ikke-berort": "not_affected",
}


def split_command(text: str) -> tuple[str, str]:
    """(command word, the rest): split at the first space or line break, so a command whose
    form starts on the next line ("/publiser\ntittel: ...") keeps its word."""
    parts = text.strip().split(maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0] if parts else "", "")


@dataclass
class Command:
    platform: str  # telegram | slack | web
    user_id: str
    name: str  # as typed; normalised by `handle`
    args: list[str] = field(default_factory=list)
    text: str = ""  # everything after the command word, as given
    chat_id: str | None = None
    update_id: str | None = None  # platform update / request id, for de-duplication
    at: datetime | None = None
    link_subscriber: str | None = None  # set by web.py after a signed link verified
    chat_kind: str | None = None  # "private" | "shared", from the platform event (clearance.py)
    form: dict[str, Any] | None = None  # incident fields from the link page's form (web.py)


@dataclass
class Notice:
    """A message to someone other than the sender (the reporter of an incident)."""

    platform: str
    chat_id: str
    text: str


@dataclass
class Reply:
    text: str
    ok: bool = True
    buttons: list[tuple[str, str]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    duplicate: bool = False


@dataclass
class Context:
    store: Store
    config: Config
    limiter: RateLimiter = field(default_factory=RateLimiter)
    clock: Callable[[], datetime] = utcnow
    crash: Callable[[str], None] = lambda point: None  # fault injection in tests


@dataclass
class Outcome:
    reply: Reply
    decision: str = "allowed"  # allowed | denied | rate_limited
    subscriber_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
