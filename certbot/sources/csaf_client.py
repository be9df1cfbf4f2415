"""Where a CSAF feed's bytes come from: the provider over HTTP, or a local mirror directory.

Both clients have one interface, so a mirror is verified exactly like a remote provider:

- ``get(url) -> bytes`` raises `FetchError` when the file is not there;
- ``get_index(url, seen) -> bytes | None``: the ROLIE feed or ``changes.csv``. Over HTTP it is
  a conditional GET with the ETag / Last-Modified kept in ``seen[url]`` from the last poll;
  None means 304 (nothing changed). ``validators`` holds what to keep for the next poll.

`HttpClient` sends the feed's credentials (bearer token, basic auth, client certificate) only
to the feed's own host. `MirrorClient` reads files under the mirror root only: a URL, local or
the provider's own https:// one as a mirrored index names it, maps to the longest tail of its
path that exists under the root (``https://provider/csaf_files/IT/white/2024/a.json`` ->
``<root>/2024/a.json``); nothing is ever read outside the root, and nothing goes to the network.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from certbot.config import read_secret
from certbot.errors import FetchError, TooLarge

if TYPE_CHECKING:
    from certbot.config import FeedConfig
    from certbot.fetch import Http


def auth_headers(feed: FeedConfig) -> dict[str, str]:
    """Basic auth when ``feed.username`` is set (password = the ``token`` secret), else a bearer
    token from ``feed.token``; {} when neither is configured."""
    secret = read_secret(feed.token.env) if feed.token else None
    if feed.username is not None:
        raw = f"{feed.username}:{secret or ''}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    if secret:
        return {"Authorization": f"Bearer {secret}"}
    return {}


class HttpClient:
    """The feed's Http with its limits and, for its own host only, its credentials."""

    def __init__(self, feed: FeedConfig, http: Http) -> None:
        self.feed, self.http = feed, http
        self.start = discovery_url(feed.url or "")  # where discovery begins
        self.host = urlsplit(self.start).netloc.lower()
        self.auth = auth_headers(feed)
        self.client_cert = read_secret(feed.client_cert.env) if feed.client_cert else None
        self.validators: dict[str, dict[str, str]] = {}

    async def _get(self, url: str, seen: dict[str, Any] | None = None) -> Any:
        same_host = urlsplit(url).netloc.lower() == self.host
        return await self.http.get(
            url,
            allow_private=self.feed.allow_private,
            max_bytes=self.feed.max_bytes,
            timeout=self.feed.timeout,
            etag=(seen or {}).get("etag"),
            last_modified=(seen or {}).get("last_modified"),
            headers=self.auth if same_host else None,
            client_cert=self.client_cert if same_host else None,
        )

    async def get(self, url: str) -> bytes:
        return (await self._get(url)).body or b""

    async def get_index(self, url: str, seen: dict[str, Any]) -> bytes | None:
        old = seen.get(url) if isinstance(seen.get(url), dict) else None
        fetched = await self._get(url, old)
        kept = {k: v for k, v in (("etag", fetched.etag), ("last_modified", fetched.last_modified))}
        if any(kept.values()):
            self.validators[url] = {k: v for k, v in kept.items() if v}
        return None if fetched.not_modified else (fetched.body or b"")


class MirrorClient:
    """Files of a local mirror directory (or one index file and the files beside it)."""

    def __init__(self, feed: FeedConfig, root: Path) -> None:
        self.feed = feed
        self.start = root
        self.root = (root if root.is_dir() else root.parent).resolve()
        self.validators: dict[str, dict[str, str]] = {}

    def _parts(self, url: str) -> list[str]:
        parts = urlsplit(url)
        path = Path(unquote(parts.path)) if parts.scheme in ("file", "") else None
        if path is not None and path.is_absolute() and path.is_relative_to(self.root):
            return list(path.relative_to(self.root).parts)
        return [p for p in unquote(parts.path).split("/") if p]

    def locate(self, url: str) -> Path:
        """The file under the root that ``url`` names (FetchError when there is none)."""
        parts = self._parts(url)
        if ".." in parts:
            raise FetchError(f"{url}: '..' is not allowed in a mirror")
        for k in range(len(parts)):
            candidate = self.root.joinpath(*parts[k:])
            if candidate.is_file() and candidate.resolve().is_relative_to(self.root):
                return candidate
        raise FetchError(f"mirror {self.root}: no file for {url}")

    async def get(self, url: str) -> bytes:
        path = self.locate(url)
        if path.stat().st_size > self.feed.max_bytes:
            raise TooLarge(f"{path.name}: over the cap of {self.feed.max_bytes} bytes")
        try:
            return path.read_bytes()
        except OSError as exc:
            raise FetchError(f"{path.name}: cannot read ({exc.strerror})") from None

    async def get_index(self, url: str, seen: dict[str, Any]) -> bytes:
        return await self.get(url)


Client = HttpClient | MirrorClient


def client_for(feed: FeedConfig, http: Http) -> Client:
    """A mirror client for ``path:`` (relative to the config directory), else HTTP."""
    if feed.path is None:
        return HttpClient(feed, http)
    root = Path(feed.path)
    if not root.is_absolute():
        root = Path(http.base_dir) / root
    if not root.exists():
        raise FetchError(f"feed {feed.id}: mirror {root} does not exist")
    return MirrorClient(feed, root)


def discovery_url(url: str) -> str:
    """A bare domain (``example.org``) or a site root -> its well-known provider metadata
    (CSAF 2.0 §7.1.8 / §7.3.1); any other URL unchanged."""
    if "://" not in url:
        url = f"https://{url}"
    if urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + "/.well-known/csaf/provider-metadata.json"
    return url
