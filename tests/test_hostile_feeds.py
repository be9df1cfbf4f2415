"""RELIABILITY.md rows 7-11: hostile XML, oversize bodies, gzip bombs, slow drips, address
tricks and bad certificates. Each test prints (and asserts a bound on) its figure."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web

from certbot.config import FeedConfig
from certbot.errors import AddressBlocked, DeadlineExceeded, FetchError, ParseError, TooLarge
from certbot.fetch import Http, is_blocked_address
from certbot.sources.rss import RssSource
from tests.test_fetch import FEED, MapResolver, serve

MB = 1024 * 1024
RSS_FEED = FeedConfig(id="hostile", kind="rss", url="https://feeds.example.org/rss")


def measure(fn: Callable[[], Any]) -> tuple[BaseException | None, float, float]:
    """Run ``fn``; return (exception, seconds, peak MB allocated meanwhile)."""
    tracemalloc.start()
    start = time.perf_counter()
    error: BaseException | None = None
    try:
        fn()
    except Exception as exc:
        error = exc
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return error, elapsed, peak


async def ameasure(coro: Any) -> tuple[BaseException | None, float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    error: BaseException | None = None
    try:
        await coro
    except Exception as exc:
        error = exc
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return error, elapsed, peak


# --- row 7: XML bombs -----------------------------------------------------------------------

LOLS = "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
)  # lol9 expands to 10^9 "lol"
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + LOLS + "]>"
    "<rss version='2.0'><channel><title>&lol9;</title></channel></rss>"
).encode()
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<rss version='2.0'><channel><item><title>&xxe;</title></item></channel></rss>"
)
EXTERNAL_DTD = (
    b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">'
    b"<rss version='2.0'><channel><title>x</title></channel></rss>"
)
QUADRATIC = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + "a" * 50_000 + '">]>'
    "<rss version='2.0'><channel><item><title>" + "&a;" * 20_000 + "</title></item></channel></rss>"
).encode()  # ~110 KB that expands to 1,000,000,000 characters
MALFORMED_QUADRATIC = QUADRATIC.replace(
    b"<rss", b"<rss \x01", 1
)  # expat fails; feedparser would not


@pytest.mark.parametrize(
    "name,doc",
    [
        ("billion laughs", BILLION_LAUGHS),
        ("external entity", EXTERNAL_ENTITY),
        ("external DTD", EXTERNAL_DTD),
        ("quadratic blow-up", QUADRATIC),
        ("malformed quadratic", MALFORMED_QUADRATIC),
    ],
)
def test_xml_bombs_rejected_before_expansion(name: str, doc: bytes) -> None:
    error, elapsed, peak = measure(lambda: list(RssSource().parse(doc, RSS_FEED)))
    print(f"row 7 {name}: {len(doc)} bytes rejected in {elapsed * 1000:.1f} ms, peak {peak:.1f} MB")
    assert isinstance(error, ParseError), f"{name}: expected ParseError, got {error!r}"
    assert elapsed < 1.0, f"{name}: took {elapsed:.2f} s (row 7 target: < 100 ms)"
    assert peak < 50, f"{name}: peak {peak:.1f} MB (row 7 target: < 50 MB)"


def test_good_feed_still_parses_after_bombs() -> None:
    for doc in (BILLION_LAUGHS, QUADRATIC):
        with pytest.raises(ParseError):
            RssSource().parse(doc, RSS_FEED)
    good = (
        b"<rss version='2.0'><channel><item><title>ok</title><guid>1</guid></item></channel></rss>"
    )
    assert [a.title for a in RssSource().parse(good, RSS_FEED)] == ["ok"]


# --- row 8: oversize bodies and gzip bombs --------------------------------------------------


async def test_content_length_over_cap_refused_before_reading() -> None:
    never = asyncio.Event()

    async def huge(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = 200 * MB  # claims 200 MB, then sends nothing
        await resp.prepare(request)
        await never.wait()
        return resp

    async with serve([web.get("/f", huge)]) as (base, _), Http() as http:
        start = time.perf_counter()
        with pytest.raises(TooLarge, match="Content-Length"):
            await http.get(f"{base}/f", allow_private=True, max_bytes=MB, timeout=10)
        elapsed = time.perf_counter() - start
    print(f"row 8 Content-Length 200 MB: refused in {elapsed * 1000:.0f} ms without reading")
    assert elapsed < 5  # long before the 10 s deadline: nothing was read


async def test_chunked_200mb_stopped_at_cap() -> None:
    chunk = b"<item>" + b"x" * (64 * 1024 - 6)
    sent = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal sent
        resp = web.StreamResponse()  # chunked, no Content-Length
        await resp.prepare(request)
        try:
            while sent < 200 * MB:
                await resp.write(chunk)
                sent += len(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async with serve([web.get("/f", endless)]) as (base, _), Http() as http:
        error, elapsed, peak = await ameasure(
            http.get(f"{base}/f", allow_private=True, max_bytes=20 * MB, timeout=30)
        )
    print(
        f"row 8 chunked 200 MB: stopped after {sent / MB:.0f} MB sent, {elapsed:.2f} s, "
        f"peak {peak:.1f} MB"
    )
    assert isinstance(error, TooLarge), repr(error)
    assert sent < 200 * MB
    assert peak < 100, f"peak {peak:.1f} MB (row 8 target: < 100 MB)"


async def test_gzip_bomb_stopped_at_decompressed_cap() -> None:
    bomb = gzip.compress(b"\0" * (10 * MB), compresslevel=9)

    async def gz(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip"})

    async with serve([web.get("/f", gz)]) as (base, _), Http() as http:
        error, elapsed, peak = await ameasure(
            http.get(f"{base}/f", allow_private=True, max_bytes=MB)
        )
    print(
        f"row 8 gzip bomb: {len(bomb) / 1024:.0f} KB -> 10 MB, stopped at 1 MB cap in "
        f"{elapsed * 1000:.0f} ms, peak {peak:.1f} MB"
    )
    assert isinstance(error, TooLarge) and "decompressed" in str(error)
    assert peak < 20, f"peak {peak:.1f} MB"


async def test_deflate_bomb_stopped_too() -> None:
    import zlib

    bomb = zlib.compress(b"\0" * (10 * MB), 9)

    async def df(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "deflate"})

    async with serve([web.get("/f", df)]) as (base, _), Http() as http:
        with pytest.raises(TooLarge):
            await http.get(f"{base}/f", allow_private=True, max_bytes=MB)


# --- row 9: slow drip and silence -----------------------------------------------------------


async def test_slow_drip_hits_deadline_while_other_feed_on_time() -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            for _ in range(600):  # a byte every 100 ms, for a minute
                await resp.write(b"<")
                await asyncio.sleep(0.1)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async def good(request: web.Request) -> web.Response:
        return web.Response(body=FEED)

    async with serve([web.get("/drip", drip), web.get("/good", good)]) as (base, _):
        async with Http() as http:
            start = time.perf_counter()
            good_done: list[float] = []

            async def fetch_good() -> bytes | None:
                got = await http.get(f"{base}/good", allow_private=True, timeout=5)
                good_done.append(time.perf_counter() - start)
                return got.body

            drip_result, good_body = await asyncio.gather(
                http.get(f"{base}/drip", allow_private=True, timeout=1.0),
                fetch_good(),
                return_exceptions=True,
            )
            elapsed = time.perf_counter() - start
    print(
        f"row 9 slow drip: stopped after {elapsed:.2f} s (deadline 1 s); "
        f"other feed in {good_done[0]:.3f} s"
    )
    assert isinstance(drip_result, DeadlineExceeded), repr(drip_result)
    assert 0.9 < elapsed < 2.0
    assert good_body == FEED and good_done[0] < 0.5


async def test_server_that_never_answers_hits_deadline() -> None:
    never = asyncio.Event()

    async def silent(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()

    async with serve([web.get("/f", silent)]) as (base, _), Http() as http:
        start = time.perf_counter()
        with pytest.raises(DeadlineExceeded, match=r"127\.0\.0\.1"):
            await http.get(f"{base}/f?sig=secret", allow_private=True, timeout=0.5)
        elapsed = time.perf_counter() - start
    print(f"row 9 silent server: stopped after {elapsed:.2f} s (deadline 0.5 s)")
    assert elapsed < 1.5


# --- row 10: addresses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.1.2.3", "::1", "169.254.169.254", "10.0.0.1", "172.16.5.4",
        "192.168.1.1", "100.64.0.1", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "fe80::1",
        "fc00::1", "240.0.0.1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:8.8.8.8",
        "2002:7f00:1::", "fe80::1%eth0", "not-an-address",
    ],
)  # fmt: skip
def test_guard_blocks(address: str) -> None:
    assert is_blocked_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_guard_allows_public(address: str) -> None:
    assert not is_blocked_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/feed",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/feed",
        "https://[::1]/feed",
        "https://localhost/feed",
        "file:///etc/passwd",
    ],
)
async def test_urls_refused_before_connecting(url: str) -> None:
    resolver = MapResolver({"localhost": "127.0.0.1"})
    async with Http(resolver=resolver) as http:
        with pytest.raises(AddressBlocked):
            await http.get(url)  # the conftest guard would raise RuntimeError on a connect


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_ssl(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(ctx)
    return ctx


def client_ssl(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


async def test_redirect_hops_checked(ca: trustme.CA) -> None:
    """feed.example.test is trusted (fake DNS -> 127.0.0.1); every redirect off it is checked."""
    hits: list[str] = []
    ports: list[int] = []

    def redirect(target: Callable[[], str]) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.Response:
            raise web.HTTPFound(location=target())

        return handler

    async def feed(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=FEED)

    routes = [
        web.get("/feed", feed),
        web.get("/ok", redirect(lambda: "/feed")),
        web.get("/loopback", redirect(lambda: f"https://127.0.0.1:{ports[0]}/feed")),
        web.get("/metadata", redirect(lambda: "https://169.254.169.254/latest/meta-data/")),
        web.get("/mapped", redirect(lambda: f"https://[::ffff:127.0.0.1]:{ports[0]}/feed")),
        web.get("/rebind", redirect(lambda: f"https://evil.example.test:{ports[0]}/feed")),
        web.get("/http", redirect(lambda: f"http://feed.example.test:{ports[0]}/feed")),
        web.get("/file", redirect(lambda: "file:///etc/passwd")),
    ]
    resolver = MapResolver({"feed.example.test": "127.0.0.1", "evil.example.test": "127.0.0.1"})
    tls = server_ssl(ca, "feed.example.test", "evil.example.test", "127.0.0.1")
    async with serve(routes, ssl_context=tls) as (_, port):
        ports.append(port)
        base = f"https://feed.example.test:{port}"
        async with Http(
            resolver=resolver, trusted_hosts=["feed.example.test"], ssl_context=client_ssl(ca)
        ) as http:
            ok = await http.get(f"{base}/ok")
            assert ok.body == FEED and ok.url == f"{base}/ok" and hits == ["/feed"]
            for path in ("loopback", "metadata", "mapped", "rebind", "http", "file"):
                with pytest.raises(AddressBlocked, match="redirect refused") as info:
                    await http.get(f"{base}/{path}?token=canary")
                assert "canary" not in str(info.value)
    assert hits == ["/feed"]  # no blocked hop ever reached a server


async def test_dns_rebinding_blocked_at_connect_time(ca: trustme.CA) -> None:
    """The name looks public when checked and points at loopback when the connector dials."""
    answers = iter(["93.184.216.34"])
    resolver = MapResolver({"rebind.example.test": lambda: next(answers, "127.0.0.1")})
    hits: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=FEED)

    tls = server_ssl(ca, "rebind.example.test")
    async with serve([web.get("/feed", feed)], ssl_context=tls) as (_, port):
        async with Http(resolver=resolver, ssl_context=client_ssl(ca)) as http:
            with pytest.raises(AddressBlocked, match="connect time"):
                await http.get(f"https://rebind.example.test:{port}/feed")
    assert resolver.calls == ["rebind.example.test", "rebind.example.test"]
    assert hits == []


# --- row 11: bad certificate ----------------------------------------------------------------


async def test_bad_certificate_refused_without_http_fallback(
    ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested: list[str] = []
    real_request = aiohttp.ClientSession._request

    async def spy(self: aiohttp.ClientSession, method: str, url: Any, **kw: Any) -> Any:
        requested.append(str(url))
        return await real_request(self, method, url, **kw)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", spy)
    hits: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=FEED)

    tls = server_ssl(ca, "127.0.0.1")  # signed by a CA the client does not trust
    async with serve([web.get("/feed", feed)], ssl_context=tls) as (base, _), Http() as http:
        with pytest.raises(FetchError, match="TLS certificate refused") as info:
            await http.get(f"{base}/feed?key=canary", allow_private=True)
    print(f"row 11 bad certificate: refused ({info.value}); requests made: {len(requested)}")
    assert hits == [] and "canary" not in str(info.value)
    assert requested and all(u.startswith("https://") for u in requested)
