"""The process's HTTP listeners beyond the inbound chat/link server.

Each *part* (the web overview, the JSON API with /metrics and health, the CSAF provider) is a
factory ``async (app, stack) -> Part | None``: None when its configuration is off, else the
address it listens on and a function that adds its routes (and middlewares scoped to its own
paths) to an aiohttp application. Parts that name the same listen address share one server;
each distinct address gets its own. A part that is switched on but misconfigured raises
`ConfigError` from its factory, so `run` refuses to start.

A part registers itself with `register`; the modules that hold parts are listed in
`PART_MODULES` (one line each) and imported when the listeners start.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from certbot.app import App

log = logging.getLogger("certbot.httpd")

# Modules whose import registers a part (one line each).
PART_MODULES: tuple[str, ...] = (
    "certbot.web.api",  # the JSON API, /metrics, /healthz, /readyz (service.api)
    "certbot.web.pages_part",  # the web overview and its sign-in (service.web)
    "certbot.publish.provider_http",  # the CSAF provider (issue 13)
)


@dataclass(frozen=True)
class Part:
    name: str  # "web", "api", "provider": the key of its base URL in `App.sites`
    listen: str  # "host:port"; port 0 picks a free one (tests)
    mount: Callable[[web.Application], None]


PartFactory = Callable[["App", AsyncExitStack], Awaitable[Part | None]]
_FACTORIES: list[PartFactory] = []


def register(factory: PartFactory) -> PartFactory:
    """Decorator: make ``factory`` one of the parts `start` asks."""
    if factory not in _FACTORIES:
        _FACTORIES.append(factory)
    return factory


def _split(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


async def start(app: App, stack: AsyncExitStack) -> dict[str, str]:
    """Start every configured part; returns each part's base URL by name."""
    for module in PART_MODULES:
        importlib.import_module(module)
    groups: dict[str, list[Part]] = {}
    for factory in _FACTORIES:
        part = await factory(app, stack)
        if part is not None:
            groups.setdefault(part.listen, []).append(part)
    bases: dict[str, str] = {}
    for listen, parts in groups.items():
        root = web.Application(client_max_size=1 << 20)
        for part in parts:
            part.mount(root)
        runner = web.AppRunner(root, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        host, port = _split(listen)
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]
        base = f"http://{bound[0]}:{bound[1]}"
        for part in parts:
            bases[part.name] = base
        log.info("listening on %s (%s)", base, ", ".join(p.name for p in parts))
    return bases
