"""Who may read what from the served CSAF provider (TLP-gated, issue 13).

| TLP          | served to                                                          |
|--------------|--------------------------------------------------------------------|
| CLEAR        | anyone                                                             |
| GREEN        | any sector member's token (a municipality's or a ``member_tokens``)|
| AMBER(+STRICT)| the token of a municipality the advisory concerns                 |
| RED          | nobody: never in the provider                                      |

Tokens are bearer tokens (``Authorization: Bearer <token>``) read once at start from the
secrets in ``service.provider.tokens`` / ``member_tokens`` (env or ``*_FILE``); each entry may
list several accepted secrets (rotation). Comparison is constant-time over every configured
secret (`hmac.compare_digest`, no early exit), and tokens are never logged.

An advisory concerns the municipalities it names explicitly, those in the counties it names,
and those whose inventory matches its products (`certbot.match.Matcher` over the advisory as
certbot's own CSAF source reads it back).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from certbot.config import SubscriberConfig
from certbot.config.common import SecretRef, read_secret
from certbot.config.provider import ProviderConfig
from certbot.match import Matcher
from certbot.model import Advisory, Case
from certbot.publish.draft import PublishedAdvisory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Whose token came with a request: ``municipality`` is a kommunenummer or None for a
    sector member that is not a municipality."""

    municipality: str | None


class Tokens:
    def __init__(self, cfg: ProviderConfig, environ: Mapping[str, str] | None = None):
        self._accepted: list[tuple[bytes, str | None]] = []
        tables: list[tuple[str, dict[str, tuple[SecretRef, ...]], bool]] = [
            ("tokens", dict(cfg.tokens), True),
            ("member_tokens", dict(cfg.member_tokens), False),
        ]
        for section, table, municipal in tables:
            for key, value in table.items():
                for ref in value:
                    secret = read_secret(ref.env, environ)
                    if secret is None:
                        log.warning(
                            "service.provider.%s.%s: %s is not set; that token is not accepted",
                            section,
                            key,
                            ref.env,
                        )
                        continue
                    self._accepted.append((secret.encode(), key if municipal else None))

    def caller(self, authorization: str | None) -> Caller | None:
        """The caller a ``Bearer`` header identifies, or None (no or unknown token)."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():  # the scheme is case-insensitive
            return None
        given = value.strip().encode()
        found: Caller | None = None
        for secret, municipality in self._accepted:  # every secret compared: no early exit
            if hmac.compare_digest(secret, given) and found is None:
                found = Caller(municipality)
        return found


def may_read(tlp: str, concerned: frozenset[str], caller: Caller | None) -> bool:
    if tlp == "CLEAR":
        return True
    if caller is None or tlp == "RED":
        return False
    if tlp == "GREEN":
        return True
    return caller.municipality is not None and caller.municipality in concerned


def concerned(
    adv: PublishedAdvisory,
    parsed: Advisory,
    subscribers: tuple[SubscriberConfig, ...],
    matcher: Matcher,
) -> frozenset[str]:
    """The kommunenummer the advisory concerns (see the module docstring); ``matcher`` is
    built once over ``subscribers`` for the whole tree."""
    rec = adv.draft.recipients
    out = set(rec.municipalities)
    out |= {s.id for s in subscribers if s.id[:2] in rec.counties}
    out |= set(matcher.match(Case(id=adv.id, advisories=[parsed])))
    return frozenset(out)
