"""The safe HTTP fetcher: one shared aiohttp session, a total deadline, byte caps, an address guard.

Every feed is fetched through `Http.get` (or `Http.get_feed`, which also reads local files for
demos and tests). The rules (RELIABILITY.md, "Hostile input"):

- https only; http only with the feed's explicit ``allow_private`` opt-in; nothing else.
- One total deadline over the whole request, redirects and body included (a slow drip that
  sends a byte every 100 ms never finishes a per-read timeout, but it does finish this one).
- A byte cap on Content-Length, on the raw bytes read and on the decompressed bytes (we
  inflate gzip/deflate ourselves, so a gzip bomb stops at the cap).
- Redirects are followed by hand (at most 5 hops) and every hop is checked again; the
  returned `Fetched.url` is always the URL we were asked for, never a redirect target.
- The address guard refuses loopback, private, link-local, multicast, reserved, unspecified,
  CGNAT and IPv4-mapped IPv6 addresses, once before connecting and again at connection time
  (`GuardedResolver` filters what the connector may dial, so DNS rebinding does not help;
  both live in `certbot.address_guard`).
- Error messages name hosts, never paths or query strings (they may carry secrets).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import os
import socket
import ssl
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from certbot.address_guard import POLICY, GuardedResolver, Policy, is_blocked_address
from certbot.errors import AddressBlocked, DeadlineExceeded, FetchError, HttpStatusError, TooLarge
from certbot.model import Fetched

if TYPE_CHECKING:
    from certbot.config import FeedConfig

log = logging.getLogger("certbot.fetch")
for _name in ("aiohttp", "aiohttp.client", "aiohttp.internal", "urllib3", "urllib"):
    logging.getLogger(_name).setLevel(logging.WARNING)  # URLs may carry tokens

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
_SENSITIVE = ("authorization", "cookie", "proxy-authorization")
# Response headers a source may need (TAXII paging); nothing else is passed on.
_PASSED_ON = {"x-taxii-date-added-first", "x-taxii-date-added-last", "content-type", "date"}


class _Inflater:
    """Decompresses a body chunk by chunk, never producing more than ``cap`` bytes."""

    def __init__(self, encoding: str, cap: int, host: str) -> None:
        self.encoding = encoding.strip().lower()
        if self.encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(f"{host}: unsupported Content-Encoding {self.encoding[:20]!r}")
        self.cap, self.host = cap, host
        self.out = bytearray()
        self._d: zlib._Decompress | None = None

    def _new(self, first: bytes) -> zlib._Decompress:
        if self.encoding == "deflate":  # zlib-wrapped per RFC, raw from some servers
            wrapped = (
                len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
            )
            return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _add(self, data: bytes) -> None:
        self.out += data
        if len(self.out) > self.cap:
            raise TooLarge(f"{self.host}: body over the cap of {self.cap} bytes (decompressed)")

    def feed(self, data: bytes) -> None:
        if self.encoding in ("", "identity"):
            return self._add(data)
        try:
            while data:
                if self._d is None:
                    self._d = self._new(data)
                self._add(self._d.decompress(data, self.cap - len(self.out) + 1))
                data = self._d.unconsumed_tail
                if self._d.eof:  # another gzip member may follow
                    data, self._d = self._d.unused_data, None
        except zlib.error:
            raise FetchError(f"{self.host}: corrupt {self.encoding} body") from None


async def read_capped(resp: aiohttp.ClientResponse, max_bytes: int, host: str) -> bytes:
    """The (decompressed) body, refusing more than ``max_bytes`` raw or decompressed bytes."""
    length = resp.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise TooLarge(f"{host}: Content-Length {length} is over the cap of {max_bytes} bytes")
    encoding = resp.headers.get("Content-Encoding", "")
    if length.isdigit() and encoding.strip().lower() in ("", "identity"):
        # A declared length within the cap, not compressed: aiohttp reads exactly that many
        # bytes (the framing stops there), so the body is under the cap in one read.
        try:
            return await resp.content.readexactly(int(length)) if int(length) else b""
        except asyncio.IncompleteReadError:
            raise FetchError(f"{host}: body shorter than its Content-Length") from None
    inflater = _Inflater(encoding, max_bytes, host)
    raw = 0
    async for chunk in resp.content.iter_chunked(CHUNK):
        raw += len(chunk)
        if raw > max_bytes:
            raise TooLarge(f"{host}: body over the cap of {max_bytes} bytes")
        inflater.feed(chunk)
    return bytes(inflater.out)


def _read_local(path: Path, max_bytes: int, etag: str | None) -> Fetched:
    try:
        st = path.stat()
        tag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
        if etag == tag:
            return Fetched(status=304, body=None, etag=tag, url=str(path))
        if st.st_size > max_bytes:
            raise TooLarge(f"{path.name}: {st.st_size} bytes is over the cap of {max_bytes}")
        with path.open("rb") as fh:
            body = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FetchError(f"{path.name}: cannot read local feed ({exc.strerror})") from None
    if len(body) > max_bytes:
        raise TooLarge(f"{path.name}: over the cap of {max_bytes} bytes")
    return Fetched(status=200, body=body, etag=tag, url=str(path))


class Http:
    """Owns one shared aiohttp session (unless given one) and fetches feeds safely.

    ``resolver`` replaces DNS (tests map names to 127.0.0.1); ``trusted_hosts`` are host names
    exempt from the address guard, e.g. an internal mirror (redirects elsewhere are still
    checked); ``ssl_context`` replaces the system trust store; ``base_dir`` anchors relative
    feed paths.
    """

    user_agent = "kommune-certbot/0.1"

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        base_dir: str | Path | None = None,
        resolver: AbstractResolver | None = None,
        trusted_hosts: Iterable[str] = (),
        ssl_context: ssl.SSLContext | None = None,
        cafile: str | None = None,
    ) -> None:
        self.session = session
        self._owns_session = session is None
        self.base_dir = Path.cwd() if base_dir is None else Path(base_dir)
        self.resolver = GuardedResolver(resolver)
        self.trusted_hosts = frozenset(h.lower() for h in trusted_hosts)
        self.ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        if ssl_context is None and cafile is not None:
            self.ssl = ssl.create_default_context(cafile=cafile)
        self.cafile = cafile  # an extra CA bundle (a private PKI or a test CA)
        self._client_contexts: dict[str, ssl.SSLContext] = {}

    def _client_context(self, pem: str) -> ssl.SSLContext:
        """A TLS context that trusts what this client trusts and presents ``pem``'s
        certificate. The key is written to a private temporary file only for as long as
        ``load_cert_chain`` reads it (the ssl module takes no in-memory keys)."""
        digest = hashlib.sha256(pem.encode()).hexdigest()
        ctx = self._client_contexts.get(digest)
        if ctx is not None:
            return ctx
        ctx = ssl.create_default_context()
        if self.cafile is not None:
            ctx.load_verify_locations(cafile=self.cafile)
        fd, path = tempfile.mkstemp(prefix="certbot-client-", suffix=".pem")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(pem)
            ctx.load_cert_chain(path)
        except (ssl.SSLError, OSError) as exc:
            raise FetchError(
                f"client certificate could not be loaded ({type(exc).__name__})"
            ) from None
        finally:
            os.unlink(path)
        self._client_contexts[digest] = ctx
        return ctx

    async def __aenter__(self) -> Http:
        self._session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._owns_session and self.session is not None:
            await self.session.close()
            self.session = None

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None:
            connector = aiohttp.TCPConnector(resolver=self.resolver, use_dns_cache=False)
            self.session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.user_agent}, trust_env=False
            )
        return self.session

    async def check_url(self, url: URL, *, allow_private: bool) -> None:
        """Refuse a URL's scheme or host before any connection is made."""
        host = (url.host or "").lower()
        if url.scheme != "https" and not (url.scheme == "http" and allow_private):
            raise AddressBlocked(f"{host or '(no host)'}: scheme {url.scheme!r} refused; use https")
        if not host:
            raise AddressBlocked("URL has no host")
        if allow_private or host in self.trusted_hosts:
            return
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            try:
                found = await self.resolver.inner.resolve(host, url.port or 443, socket.AF_UNSPEC)
            except OSError:
                raise FetchError(f"{host}: name does not resolve") from None
            addresses = [r["host"] for r in found]
        if not addresses or any(is_blocked_address(a) for a in addresses):
            raise AddressBlocked(f"{host}: loopback, private or reserved address refused")

    def _check_peer(self, resp: aiohttp.ClientResponse, host: str, allow_private: bool) -> None:
        if allow_private or host in self.trusted_hosts or resp.connection is None:
            return
        transport = resp.connection.transport
        peer = transport.get_extra_info("peername") if transport else None
        if peer and is_blocked_address(str(peer[0])):
            raise AddressBlocked(f"{host}: connected to a blocked address")

    async def get(  # noqa: PLR0913 - a request's keyword options; see below
        self,
        url: str,
        *,
        allow_private: bool = False,
        max_bytes: int = 20 * 1024 * 1024,
        timeout: float = 30.0,  # noqa: ASYNC109 - the pipeline passes the feed's deadline
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
        client_cert: str | None = None,
    ) -> Fetched:
        """Conditional GET under one total deadline; 304 -> ``Fetched(304, None)``.

        Seven keyword options, one over the rule: every source and enricher calls this with
        keywords, and folding them into a request object changes a signature that parallel
        work calls too (issue 9 leaves that for after the merge).

        ``client_cert`` is a PEM holding a certificate and its key, presented for TLS client
        authentication (access-protected CSAF feeds)."""
        origin = URL(url)
        host = origin.host or "(no host)"
        hdrs = {"Accept-Encoding": "gzip, deflate", **(headers or {})}
        if etag:
            hdrs["If-None-Match"] = etag
        if last_modified:
            hdrs["If-Modified-Since"] = last_modified
        token = POLICY.set(Policy(allow_private, self.trusted_hosts))
        try:
            async with asyncio.timeout(timeout):
                fetched = await self._follow(origin, hdrs, allow_private, max_bytes, client_cert)
        except TimeoutError:
            raise DeadlineExceeded(f"{host}: no complete answer within {timeout:g} s") from None
        except (ssl.SSLError, aiohttp.ClientSSLError) as exc:
            raise FetchError(
                f"{host}: TLS certificate refused ({type(exc).__name__}); not retried over http"
            ) from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"{host}: request failed ({type(exc).__name__})") from None
        finally:
            POLICY.reset(token)
        if fetched.status == 304:
            fetched = replace(
                fetched,
                etag=fetched.etag or etag,
                last_modified=fetched.last_modified or last_modified,
            )
        return replace(fetched, url=url)  # never a redirect target

    async def _follow(
        self,
        url: URL,
        hdrs: dict[str, str],
        allow_private: bool,
        max_bytes: int,
        client_cert: str | None = None,
    ) -> Fetched:
        session = self._session()
        origin_host = url.host or ""
        for hop in range(MAX_REDIRECTS + 1):
            try:
                await self.check_url(url, allow_private=allow_private)
            except AddressBlocked as exc:
                if hop == 0:
                    raise
                raise AddressBlocked(f"{origin_host}: redirect refused: {exc}") from None
            host = url.host or ""
            async with session.get(
                url,
                headers=hdrs,
                allow_redirects=False,
                auto_decompress=False,
                ssl=self._client_context(client_cert) if client_cert else self.ssl,
            ) as resp:
                self._check_peer(resp, host.lower(), allow_private)
                if resp.status in REDIRECTS:
                    location = resp.headers.get("Location")
                    if not location:
                        raise FetchError(f"{host}: HTTP {resp.status} without Location")
                    target = url.join(URL(location))
                    if target.host != url.host:  # credentials stay with their own host
                        hdrs = {k: v for k, v in hdrs.items() if k.lower() not in _SENSITIVE}
                        client_cert = None
                    log.debug("redirect %s -> %s", host, target.host)
                    url = target
                    continue
                if resp.status == 304:
                    return Fetched(
                        304, None, resp.headers.get("ETag"), resp.headers.get("Last-Modified")
                    )
                if not 200 <= resp.status < 300:
                    raise HttpStatusError(host, resp.status, resp.headers.get("Retry-After"))
                body = await read_capped(resp, max_bytes, host)
                return Fetched(
                    200,
                    body,
                    resp.headers.get("ETag"),
                    resp.headers.get("Last-Modified"),
                    headers={k: v for k, v in resp.headers.items() if k.lower() in _PASSED_ON},
                )
        raise FetchError(f"{origin_host}: more than {MAX_REDIRECTS} redirects")

    async def get_feed(
        self,
        feed: FeedConfig,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
        base_dir: str | Path | None = None,
    ) -> Fetched:
        """Fetch a feed's ``url``, or read its local ``path`` (relative to ``base_dir``)."""
        if feed.url is not None:
            return await self.get(
                feed.url,
                allow_private=feed.allow_private,
                max_bytes=feed.max_bytes,
                timeout=feed.timeout,
                etag=etag,
                last_modified=last_modified,
                headers=headers,
            )
        if feed.path is None:
            raise FetchError(f"feed {feed.id}: neither url nor path")
        path = Path(feed.path)
        if not path.is_absolute():
            path = Path(base_dir if base_dir is not None else self.base_dir) / path
        return await asyncio.to_thread(_read_local, path, feed.max_bytes, etag)
