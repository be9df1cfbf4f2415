"""Who may do what: default deny, re-checked on every command, rate-limited, audited.

Roles come from the configuration each time (``SubscriberConfig.people``, ``ServiceConfig.
operators``), so a person removed from the config is denied on their next command. Telegram's
anonymous-admin ids (1087968824, 777000) never authorise, whatever the config says.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from certbot.config import Config

ANONYMOUS = {("telegram", "1087968824"), ("telegram", "777000")}


@dataclass(frozen=True)
class Roles:
    """What one platform user is: responder/viewer per municipality, and operator or not."""

    municipalities: dict[str, str]  # subscriber id -> role
    operator: bool = False

    def can_act(self, sub_id: str) -> bool:
        return self.operator or self.municipalities.get(sub_id) == "responder"

    @property
    def known(self) -> bool:
        return self.operator or bool(self.municipalities)

    def responder_of(self) -> list[str]:
        return sorted(s for s, r in self.municipalities.items() if r == "responder")


NOBODY = Roles({})


def roles(config: Config, platform: str, user_id: str) -> Roles:
    if (platform, user_id) in ANONYMOUS or not user_id:
        return NOBODY
    subs: dict[str, str] = {
        s.id: str(p.role)
        for s in config.subscribers
        for p in s.people
        if p.platform == platform and p.user_id == user_id
    }
    op = any(p.platform == platform and p.user_id == user_id for p in config.service.operators)
    return Roles(subs, op)


@dataclass
class Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """Token buckets per key with an injectable monotonic clock (tests pass a fake one).

    Defaults: a user may send 10 commands at once and then one every 6 s; a municipality 30
    and then one every 2 s.
    """

    clock: Callable[[], float] = time.monotonic
    user_burst: float = 10
    user_rate: float = 1 / 6
    muni_burst: float = 30
    muni_rate: float = 1 / 2
    _buckets: dict[str, Bucket] = field(default_factory=dict)

    def _take(self, key: str, burst: float, rate: float) -> bool:
        now = self.clock()
        b = self._buckets.setdefault(key, Bucket(burst, now))
        b.tokens = min(burst, b.tokens + (now - b.at) * rate)
        b.at = now
        if b.tokens < 1:
            return False
        b.tokens -= 1
        return True

    def allow(self, actor: str, municipalities: list[str]) -> str | None:
        """None if allowed, else which limit was hit (``user`` or ``municipality:<id>``)."""
        if not self._take("u:" + actor, self.user_burst, self.user_rate):
            return "user"
        for m in municipalities:
            if not self._take("m:" + m, self.muni_burst, self.muni_rate):
                return f"municipality:{m}"
        return None
