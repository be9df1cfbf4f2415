"""Who is signed in to the web overview, and what they may see and do.

- `Person`: who is signed in (IdP subject, e-mail, role from `service.web.roles`), or the
  demo operator under ``insecure_local_demo``.
- `Sessions`: server-side sessions in memory, keyed by a random id that is the only thing in
  the cookie (``certbot_session``: Secure, HttpOnly, SameSite=Lax, Max-Age = the TTL). A
  session past its expiry is gone; a restart signs everyone out. Each session has its own
  CSRF token, which every form carries and every POST must return (`csrf_ok`). Pending
  sign-ins (state, nonce, PKCE verifier) live here too, for ten minutes, keyed by ``state``.
- `RateLimit`: sign-in attempts per client address in a sliding minute.
- TLP: `clearance` is the most restricted label a person may read: the role's ``tlp_max``
  (at most AMBER+STRICT), or more where their e-mail is a configured target (the chat rules
  of `certbot.inbound.clearance`, as a private chat, so RED only on a personal target with
  ``tlp_max: RED``). `reader_viewer` turns it into the `certbot.web.models.Viewer` that bounds
  every read (`certbot.web.api_read.Reader`); `withheld_title` words a withheld title
  exactly as chat replies do.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from certbot.config import OPERATOR, Config
from certbot.inbound import clearance as chat_clearance
from certbot.inbound.texts import t
from certbot.model import TLP
from certbot.web.models import Viewer

COOKIE = "certbot_session"
PENDING_TTL = 600.0  # seconds a started sign-in may take


@dataclass(frozen=True)
class Person:
    """Who is signed in (or the demo operator)."""

    subject: str
    email: str | None
    name: str
    role: str  # operator | viewer | municipality
    municipality: str | None = None  # a municipality-scoped viewer's kommunenummer
    tlp_max: TLP = TLP.GREEN

    @property
    def operator(self) -> bool:
        return self.role == "operator"

    @property
    def municipalities(self) -> tuple[str, ...]:
        return (self.municipality,) if self.municipality else ()

    def may_see(self, sub_id: str) -> bool:
        return self.municipality is None or sub_id == self.municipality


DEMO_PERSON = Person("demo", None, "demo", "operator", None, TLP.AMBER_STRICT)


@dataclass
class Session:
    id: str
    person: Person
    expires: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    lang: str = "nb"


@dataclass
class Pending:
    nonce: str
    verifier: str
    next: str
    expires: float


def _now() -> float:
    return time.time()


class Sessions:
    def __init__(self, ttl: float, clock: Callable[[], float] | None = None):
        self.ttl = ttl
        self.clock = clock or (lambda: _now())
        self._by_id: dict[str, Session] = {}
        self._pending: dict[str, Pending] = {}

    def new(self, person: Person, lang: str = "nb") -> Session:
        self._sweep()
        sid = secrets.token_urlsafe(32)
        session = Session(sid, person, self.clock() + self.ttl, lang=lang)
        self._by_id[sid] = session
        return session

    def get(self, sid: str | None) -> Session | None:
        session = self._by_id.get(sid or "")
        if session is None:
            return None
        if session.expires <= self.clock():
            del self._by_id[session.id]
            return None
        return session

    def drop(self, sid: str | None) -> None:
        self._by_id.pop(sid or "", None)

    def expire_all(self) -> None:
        """Tests: every session past its expiry now."""
        for session in self._by_id.values():
            session.expires = self.clock()

    def start(self, state: str, pending: Pending) -> None:
        self._sweep()
        self._pending[state] = pending

    def take(self, state: str) -> Pending | None:
        pending = self._pending.pop(state, None)
        return pending if pending is not None and pending.expires > self.clock() else None

    def _sweep(self) -> None:
        now = self.clock()
        for sid in [k for k, s in self._by_id.items() if s.expires <= now]:
            del self._by_id[sid]
        for state in [k for k, p in self._pending.items() if p.expires <= now]:
            del self._pending[state]


def csrf_ok(session: Session | None, sent: str | None) -> bool:
    return session is not None and bool(sent) and hmac.compare_digest(session.csrf, str(sent))


class RateLimit:
    """At most ``per_minute`` events per key in any 60 seconds."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return False
        seen.append(now)
        if len(self._seen) > 10_000:  # forget quiet addresses
            self._seen = {k: v for k, v in self._seen.items() if v}
        return True


def clearance(config: Config, person: Person) -> TLP:
    """The most restricted label ``person`` may read of what concerns their scope (their
    municipality, or the sector): the role's grant, or more where their e-mail address is a
    configured target (the chat rules of `certbot.inbound.clearance`, as a private chat)."""
    granted = person.tlp_max
    if person.email:
        chat = chat_clearance.Chat("email", person.email, chat_clearance.PRIVATE)
        granted = max(
            granted, chat_clearance.clearance(config, chat, person.municipality or OPERATOR)
        )
    return granted


def reader_viewer(config: Config, person: Person) -> Viewer:
    """The `certbot.web.models.Viewer` the overview's reads are bounded by."""
    return Viewer(
        tlp_max=clearance(config, person), municipality=person.municipality, personal=True
    )


def withheld_title(lang: str, label: str) -> str:
    """A withheld title, worded exactly as chat replies word it (``[tittel holdt tilbake:
    TLP:AMBER]``); ``label`` is a label such as ``TLP:AMBER``."""
    return t(lang, "withheld_title", label=label)


__all__ = [
    "COOKIE",
    "DEMO_PERSON",
    "PENDING_TTL",
    "Pending",
    "Person",
    "RateLimit",
    "Session",
    "Sessions",
    "clearance",
    "csrf_ok",
    "reader_viewer",
    "withheld_title",
]
