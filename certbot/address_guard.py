"""The address guard: which IP addresses a feed may reach, checked at connection time too.

`is_blocked_address` refuses loopback, private, link-local, multicast, reserved, unspecified,
site-local, CGNAT (100.64.0.0/10) and IPv4 hidden in IPv6 (mapped, 6to4, Teredo); anything
that is not an address at all is refused rather than guessed. `GuardedResolver` wraps the
connector's resolver and drops every blocked address for the request in progress, so DNS
rebinding between the pre-check and the connection does not help. The per-request `Policy`
(``allow_private``, trusted hosts) travels in the `POLICY` context variable that `Http.get`
sets around each request; with none set, the strict default applies.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from certbot.errors import AddressBlocked

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def is_blocked_address(address: str) -> bool:
    """True for any address a feed may not reach without ``allow_private``."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    except ValueError:
        return True  # not an address at all: refuse rather than guess
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None or ip.sixtofour is not None or ip.teredo is not None:
            return True  # IPv4 hidden in IPv6: refuse outright
        if ip.is_site_local:
            return True
    elif ip in _CGNAT:
        return True
    return (
        not ip.is_global
        or ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class Policy:
    """What the current request may reach beyond the strict default."""

    allow_private: bool = False
    trusted_hosts: frozenset[str] = frozenset()


POLICY: contextvars.ContextVar[Policy] = contextvars.ContextVar("certbot_fetch_policy")


class GuardedResolver(AbstractResolver):
    """Resolves through ``inner`` and drops every address the current request may not reach.

    The policy comes from a context variable that `Http.get` sets around each request, so one
    shared connector serves feeds with and without ``allow_private``. With no policy set
    (someone else using the session) the strict default applies.
    """

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self.inner = inner if inner is not None else aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        policy = POLICY.get(Policy())
        if policy.allow_private or host in policy.trusted_hosts:
            return results
        allowed = [r for r in results if not is_blocked_address(r["host"])]
        if not allowed:
            raise AddressBlocked(f"{host}: resolves only to blocked addresses (at connect time)")
        return allowed

    async def close(self) -> None:
        await self.inner.close()
