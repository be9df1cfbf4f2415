"""Building blocks for the poll-cycle tests that put a source and an enrichment peer together.

`serving(app)` runs an aiohttp application on 127.0.0.1 at a free port and yields its base URL
(``http://127.0.0.1:<port>``); the runner is cleaned up on exit. `FixedSource(make)` is
a KEV-kind source stand-in: every poll "fetches" and yields ``make()`` (fresh advisories), so a test
controls exactly what the pipeline ingests while enrichment (NVD, CVE records) goes over HTTP
to a `serving` peer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from aiohttp import web

from certbot.model import Advisory, Fetched


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """``app`` on 127.0.0.1 at an ephemeral port; yields the base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class FixedSource:
    """A source stand-in of kind ``kev`` that yields ``advisories()`` (built anew) on every poll."""

    kind = "kev"
    enrichment = False
    expert = False
    reads_headers = False

    def __init__(self, advisories: Callable[[], Iterable[Advisory]]) -> None:
        self.advisories = advisories

    async def fetch(self, feed: Any, http: Any, state: Any) -> Fetched:
        return Fetched(200, b"x")

    def parse(self, doc: bytes, feed: Any) -> Iterator[Advisory]:
        yield from self.advisories()
