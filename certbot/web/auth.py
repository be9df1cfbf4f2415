"""Who is signed in to the web overview, and what they may see and do.

- `Viewer`: a signed-in person (IdP subject, e-mail, role from `service.web.roles`), or the
  demo operator under ``insecure_local_demo``.
- `Sessions`: server-side sessions in memory, keyed by a random id that is the only thing in
  the cookie (``certbot_session``: Secure, HttpOnly, SameSite=Lax, Max-Age = the TTL). A
  session past its expiry is gone; a restart signs everyone out. Each session has its own
  CSRF token, which every form carries and every POST must return (`csrf_ok`). Pending
  sign-ins (state, nonce, PKCE verifier) live here too, for ten minutes, keyed by ``state``.
- `RateLimit`: sign-in attempts per client address in a sliding minute.
- TLP: `clearance` is the most restricted label a viewer may see of an item concerning one
  municipality (or `OPERATOR`): the role's ``tlp_max`` within its scope, or more where the
  person's e-mail is a configured target (the chat rules of `certbot.inbound.clearance`,
  as a private chat, so RED only on a personal target with ``tlp_max: RED``). `title_or_withheld`
  words a withheld title exactly as chat replies do.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from certbot.config import OPERATOR, Config
from certbot.inbound import clearance as chat_clearance
from certbot.inbound.texts import t
from certbot.model import TLP

COOKIE = "certbot_session"
PENDING_TTL = 600.0  # seconds a started sign-in may take


@dataclass(frozen=True)
class Viewer:
    subject: str
    email: str | None
    name: str
    role: str  # operator | viewer | municipality
    municipalities: tuple[str, ...] = ()  # empty: every municipality
    tlp_max: TLP = TLP.GREEN

    @property
    def operator(self) -> bool:
        return self.role == "operator"

    def may_see(self, sub_id: str) -> bool:
        return not self.municipalities or sub_id in self.municipalities


DEMO_VIEWER = Viewer("demo", None, "demo", "operator", (), TLP.AMBER_STRICT)


@dataclass
class Session:
    id: str
    viewer: Viewer
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

    def new(self, viewer: Viewer, lang: str = "nb") -> Session:
        self._sweep()
        sid = secrets.token_urlsafe(32)
        session = Session(sid, viewer, self.clock() + self.ttl, lang=lang)
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


def clearance(config: Config, viewer: Viewer, concerned: str) -> TLP:
    """The most restricted label ``viewer`` may see of an item concerning ``concerned``."""
    granted = TLP.CLEAR
    if concerned == OPERATOR or viewer.may_see(concerned):
        granted = viewer.tlp_max
    if viewer.email:
        chat = chat_clearance.Chat("email", viewer.email, chat_clearance.PRIVATE)
        granted = max(granted, chat_clearance.clearance(config, chat, concerned))
    return granted


def may_show(config: Config, viewer: Viewer, concerned: Iterable[str], label: TLP | None) -> bool:
    """True if an item with ``label`` (None: unknown, as RED) concerning any of ``concerned``
    may be shown to ``viewer``."""
    need = TLP.RED if label is None else label
    return any(need <= clearance(config, viewer, c) for c in (*concerned, OPERATOR))


def title_or_withheld(
    config: Config,
    viewer: Viewer,
    title: str,
    label: TLP | None,
    concerned: Iterable[str],
    lang: str,
) -> tuple[str, bool]:
    """(what to show as a case's title, whether it is withheld): worded as in chat replies."""
    if may_show(config, viewer, concerned, label):
        return title, False
    return t(lang, "withheld_title", label=(TLP.RED if label is None else label).label), True


__all__ = [
    "COOKIE",
    "DEMO_VIEWER",
    "PENDING_TTL",
    "Pending",
    "RateLimit",
    "Session",
    "Sessions",
    "Viewer",
    "clearance",
    "csrf_ok",
    "may_show",
    "title_or_withheld",
]
