"""The fetcher against real aiohttp servers on 127.0.0.1: conditional GET, redirects, schemes,
local paths."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from certbot.config import FeedConfig
from certbot.errors import AddressBlocked, FetchError, TooLarge
from certbot.fetch import Http

FEED = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


@contextlib.asynccontextmanager
async def serve(
    routes: list[web.RouteDef], *, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[str, int]]:
    """Run an aiohttp app on 127.0.0.1 (random port); yield (base URL, port)."""
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = runner.addresses[0][1]
    scheme = "https" if ssl_context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{port}", port
    finally:
        await runner.cleanup()


class MapResolver(AbstractResolver):
    """A fake DNS: name -> list of addresses (a callable may change its answer per call)."""

    def __init__(self, table: dict[str, str | Callable[[], str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        if host not in self.table:
            raise OSError(f"unknown host {host}")
        entry = self.table[host]
        address = entry() if callable(entry) else entry
        fam = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [
            {"hostname": host, "host": address, "port": port, "family": fam, "proto": 0, "flags": 0}
        ]

    async def close(self) -> None:
        pass


async def test_200_then_304_with_conditional_headers() -> None:
    seen: list[dict[str, str | None]] = []

    async def feed(request: web.Request) -> web.Response:
        seen.append(
            {
                "inm": request.headers.get("If-None-Match"),
                "ims": request.headers.get("If-Modified-Since"),
            }
        )
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            body=FEED,
            headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
        )

    async with serve([web.get("/feed", feed)]) as (base, _), Http() as http:
        first = await http.get(f"{base}/feed", allow_private=True)
        second = await http.get(
            f"{base}/feed",
            allow_private=True,
            etag=first.etag,
            last_modified=first.last_modified,
        )
    assert first.status == 200 and first.body == FEED
    assert first.etag == '"v1"' and first.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert second.status == 304 and second.body is None and second.not_modified
    assert second.etag == '"v1"' and second.last_modified == first.last_modified
    assert seen == [
        {"inm": None, "ims": None},
        {"inm": '"v1"', "ims": "Mon, 01 Jan 2024 00:00:00 GMT"},
    ]


async def test_redirect_followed_but_feed_url_unchanged() -> None:
    async def old(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(location="/moved/feed.xml")

    async def new(request: web.Request) -> web.Response:
        return web.Response(body=FEED)

    routes = [web.get("/feed", old), web.get("/moved/feed.xml", new)]
    async with serve(routes) as (base, _), Http() as http:
        got = await http.get(f"{base}/feed?token=s3cret", allow_private=True)
    assert got.status == 200 and got.body == FEED
    assert got.url == f"{base}/feed?token=s3cret"  # never the redirect target
    assert "moved" not in got.url


async def test_too_many_redirects_is_an_error_without_query_string() -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(location="/loop?sig=secret")

    async with serve([web.get("/loop", loop)]) as (base, _), Http() as http:
        with pytest.raises(FetchError, match="redirects") as info:
            await http.get(f"{base}/loop?sig=secret", allow_private=True)
    assert "secret" not in str(info.value) and "127.0.0.1" in str(info.value)


async def test_http_refused_without_opt_in_before_connecting() -> None:
    hits = 0

    async def feed(request: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        return web.Response(body=FEED)

    async with serve([web.get("/feed", feed)]) as (base, _), Http() as http:
        with pytest.raises(AddressBlocked, match="https"):
            await http.get(f"{base}/feed")
    assert hits == 0


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/feed", "gopher://x/", "data:,hello"]
)
async def test_other_schemes_refused(url: str) -> None:
    async with Http() as http:
        with pytest.raises(AddressBlocked):
            await http.get(url, allow_private=True)


async def test_http_error_status_names_host_only() -> None:
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=503)

    async with serve([web.get("/f", gone)]) as (base, _), Http() as http:
        with pytest.raises(FetchError, match="HTTP 503") as info:
            await http.get(f"{base}/f?key=canary-123", allow_private=True)
    assert "canary-123" not in str(info.value) and "/f" not in str(info.value)


async def test_local_path_read_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "demo.xml").write_bytes(FEED)
    feed = FeedConfig(id="demo", kind="rss", path="feeds/demo.xml")
    async with Http(base_dir=tmp_path) as http:
        first = await http.get_feed(feed)
        again = await http.get_feed(feed, etag=first.etag)
    assert first.status == 200 and first.body == FEED and first.etag
    assert again.status == 304 and again.body is None


async def test_local_path_honours_cap(tmp_path: Path) -> None:
    (tmp_path / "big.xml").write_bytes(b"x" * 2048)
    feed = FeedConfig(id="big", kind="rss", path="big.xml", max_bytes=1024)
    async with Http() as http:
        with pytest.raises(TooLarge):
            await http.get_feed(feed, base_dir=tmp_path)


async def test_get_feed_url_uses_feed_settings() -> None:
    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=b"y" * 5000)

    async with serve([web.get("/f", feed)]) as (base, _), Http() as http:
        small = FeedConfig(id="f", kind="rss", url=f"{base}/f", allow_private=True, max_bytes=100)
        with pytest.raises(TooLarge):
            await http.get_feed(small)
        ok = FeedConfig(id="f", kind="rss", url=f"{base}/f", allow_private=True)
        assert (await http.get_feed(ok)).body == b"y" * 5000


async def test_gzip_body_is_decompressed() -> None:
    import gzip

    async def feed(request: web.Request) -> web.Response:
        assert "gzip" in request.headers["Accept-Encoding"]
        return web.Response(body=gzip.compress(FEED), headers={"Content-Encoding": "gzip"})

    async with serve([web.get("/f", feed)]) as (base, _), Http() as http:
        got = await http.get(f"{base}/f", allow_private=True)
    assert got.body == FEED


async def test_authorization_dropped_on_cross_host_redirect() -> None:
    seen: list[str | None] = []

    async def first(request: web.Request) -> web.Response:
        raise web.HTTPFound(location=str(request.url.with_host("localhost").with_path("/b")))

    async def second(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.Response(body=FEED)

    async with serve([web.get("/a", first), web.get("/b", second)]) as (base, _):
        async with Http() as http:
            got = await http.get(
                f"{base}/a", allow_private=True, headers={"Authorization": "Bearer t0ken"}
            )
    assert got.body == FEED and seen == [None]


def test_client_loggers_are_quiet() -> None:
    import certbot.fetch  # noqa: F401 - importing sets the levels

    assert logging.getLogger("aiohttp.client").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("urllib3").getEffectiveLevel() >= logging.WARNING


async def test_body_shorter_than_its_content_length_is_a_fetch_error() -> None:
    """A server that declares 1,000 bytes, sends 10 and closes: an error, never a short body."""

    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(cut, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Http() as http:
            with pytest.raises(FetchError, match=r"127\.0\.0\.1"):
                await http.get(f"http://127.0.0.1:{port}/feed", allow_private=True, timeout=5.0)
    finally:
        server.close()
        await server.wait_closed()
