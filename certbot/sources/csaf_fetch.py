"""Fetching a CSAF provider: discovery, ROLIE or directory index, cursor, integrity checks.

``fetch_provider(feed, http, state)`` (called by `CsafSource.fetch`):

1. Discovery: ``feed.url`` is a provider-metadata.json URL, a bare domain (then
   ``https://<domain>/.well-known/csaf/provider-metadata.json``), a ROLIE feed (``*.json``) or
   a directory's ``changes.csv``. Provider metadata chooses ROLIE feeds when it lists any, else
   the directory distribution (``changes.csv``).
2. Index: every ROLIE entry (``updated``) or every ``changes.csv`` row (``path,timestamp``;
   unquoted, unsorted, CRLF or LF: every line is read and no order is trusted). Only entries
   newer than ``cursor["since"]`` are fetched.
3. Integrity before parsing (CSAF §7.3.2): the ``.sha512`` (or ``.sha256``) file must match and
   the ``.asc`` detached signature must verify with a key whose fingerprint is pinned in
   ``feed.fingerprints``. Any failure rejects the document (fail closed): it is logged at ERROR
   and listed in ``cursor["rejected"]`` for the operator. A verified document that is not
   valid CSAF (schema) is rejected the same way, so one bad document never fails the poll.
4. Cursor: ``since`` = the newest timestamp up to which every entry was handled (verified or
   rejected); a document that could not be fetched stops the cursor before it, so it is tried
   again next poll.

Auth headers (bearer token from ``feed.token``, or basic auth when ``feed.username`` is set)
go only to the feed's own host, never to other hosts a provider links to.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from certbot.config import read_secret
from certbot.errors import FetchError, IntegrityError, ParseError
from certbot.model import Fetched
from certbot.sources import csaf_verify
from certbot.sources.csaf_document import parse_document
from certbot.sources.csaf_meta import parse_time
from certbot.sources.jsonload import load_json

if TYPE_CHECKING:
    import pysequoia

    from certbot.config import FeedConfig
    from certbot.fetch import Http
    from certbot.sources import SourceState

log = logging.getLogger(__name__)
WELL_KNOWN = "/.well-known/csaf/provider-metadata.json"
PARALLEL = 4
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Entry:
    url: str
    updated: datetime
    hash_url: str | None = None
    sig_url: str | None = None


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


class _Client:
    """The feed's Http with its limits and, for its own host only, its credentials."""

    def __init__(self, feed: FeedConfig, http: Http) -> None:
        self.feed, self.http = feed, http
        self.host = urlsplit(feed.url or "").netloc.lower()
        self.auth = auth_headers(feed)
        self.client_cert = read_secret(feed.client_cert.env) if feed.client_cert else None

    async def get(self, url: str) -> bytes:
        same_host = urlsplit(url).netloc.lower() == self.host
        fetched = await self.http.get(
            url,
            allow_private=self.feed.allow_private,
            max_bytes=self.feed.max_bytes,
            timeout=self.feed.timeout,
            headers=self.auth if same_host else None,
            client_cert=self.client_cert if same_host else None,
        )
        return fetched.body or b""


def _href(links: Any, rel: str) -> str | None:
    for link in links if isinstance(links, list) else []:
        # CISA writes "ref" where RFC 4287 says "rel": accept both.
        if isinstance(link, dict) and rel in (link.get("rel"), link.get("ref")):
            href = link.get("href")
            if isinstance(href, str) and href:
                return href
    return None


def rolie_entries(doc: bytes, base: str) -> list[Entry]:
    """Entries of a ROLIE feed document (entries without a readable ``updated`` are kept
    with the epoch, so they are fetched once rather than lost)."""
    data = load_json(doc)
    feed = data.get("feed") if isinstance(data, dict) else None
    entries = feed.get("entry") if isinstance(feed, dict) else None
    out = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        content = entry.get("content")
        content = content if isinstance(content, dict) else {}
        url = _href(entry.get("link"), "self") or content.get("src")
        if not isinstance(url, str) or not url:
            continue
        hash_url = _href(entry.get("link"), "hash")
        out.append(
            Entry(
                urljoin(base, url),
                parse_time(entry.get("updated")) or _EPOCH,
                urljoin(base, hash_url) if hash_url else None,
                urljoin(base, s) if (s := _href(entry.get("link"), "signature")) else None,
            )
        )
    return out


def changes_entries(doc: bytes, base: str) -> list[Entry]:
    """Rows of a changes.csv: ``path,timestamp`` per line, any order, CRLF or LF, quotes
    tolerated; unreadable lines are logged and skipped."""
    out = []
    for n, line in enumerate(doc.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        path, _, stamp = line.strip().rpartition(",")
        when = parse_time(stamp.strip().strip('"'))
        path = path.strip().strip('"')
        if not path or when is None:
            log.warning("changes.csv line %d unreadable; skipped", n)
            continue
        out.append(Entry(urljoin(base, path), when))
    return out


async def _keys(client: _Client, meta: dict[str, Any]) -> list[pysequoia.Cert]:
    pinned = {csaf_verify.normalise_fingerprint(f) for f in client.feed.fingerprints}
    blobs = []
    for key in meta.get("public_openpgp_keys") or []:
        fpr = csaf_verify.normalise_fingerprint(str(key.get("fingerprint", "")))
        if fpr in pinned and isinstance(key.get("url"), str):
            try:
                blobs.append(await client.get(key["url"]))
            except FetchError as exc:
                log.error("feed %s: OpenPGP key %s not fetched: %s", client.feed.id, fpr, exc)
    return csaf_verify.pinned_keys(blobs, client.feed.fingerprints)


def join_path(base: str, path: str) -> str:
    """Resolve a changes.csv path against the directory URL. Some providers (CISA) write paths
    relative to the repository root (``csaf_files/IT/white/2024/x.json``) rather than to the
    directory: when the path repeats the directory's trailing segments, they are not doubled."""
    if "://" in path:
        return path
    parts = urlsplit(base)
    segments = [s for s in parts.path.split("/") if s]
    for k in range(len(segments)):
        if path.startswith("/".join(segments[k:]) + "/"):
            return f"{parts.scheme}://{parts.netloc}/{'/'.join([*segments[:k], path])}"
    return urljoin(base if base.endswith("/") else base + "/", path)


async def _discover(client: _Client) -> tuple[dict[str, Any], list[Entry]]:
    """(provider metadata or {}, every index entry)."""
    url = client.feed.url or ""
    if "://" not in url:
        url = f"https://{url}"
    if urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + WELL_KNOWN
    if url.endswith("changes.csv"):
        return {}, _changes(await client.get(url), url)
    data = load_json(await client.get(url))
    if isinstance(data, dict) and "feed" in data:
        return {}, rolie_entries(_dump(data), url)
    if not isinstance(data, dict) or not isinstance(data.get("distributions"), list):
        raise ParseError("not provider-metadata.json, a ROLIE feed or changes.csv")
    entries: list[Entry] = []
    feeds = [
        f
        for d in data["distributions"]
        if isinstance(d, dict)
        for f in (d.get("rolie") or {}).get("feeds") or []
        if isinstance(f, dict)
    ]
    for f in feeds:
        entries += rolie_entries(await client.get(urljoin(url, f["url"])), urljoin(url, f["url"]))
    if not feeds:
        for d in data["distributions"]:
            if isinstance(d, dict) and isinstance(d.get("directory_url"), str):
                base = d["directory_url"].rstrip("/") + "/"
                entries += _changes(await client.get(base + "changes.csv"), base)
    return data, entries


def _changes(doc: bytes, url: str) -> list[Entry]:
    base = url.rsplit("/", 1)[0] + "/" if url.endswith("changes.csv") else url
    return [
        Entry(join_path(base, e.url.removeprefix(base)), e.updated)
        for e in changes_entries(doc, base)
    ]


def _dump(data: Any) -> bytes:
    return json.dumps(data).encode()


async def _verified(client: _Client, entry: Entry, keys: list[Any]) -> bytes:
    """The document's bytes after its hash and signature check (IntegrityError otherwise)."""
    doc = await client.get(entry.url)
    hashes = [entry.hash_url] if entry.hash_url else [entry.url + ".sha512", entry.url + ".sha256"]
    for hash_url in hashes:
        algorithm = "sha256" if hash_url.endswith(".sha256") else "sha512"
        try:
            hash_file = await client.get(hash_url)
        except FetchError:
            continue
        csaf_verify.check_hash(doc, hash_file, algorithm)
        break
    else:
        raise IntegrityError("no .sha512 or .sha256 file")
    try:
        asc = await client.get(entry.sig_url or entry.url + ".asc")
    except FetchError:
        raise IntegrityError("no .asc signature file") from None
    csaf_verify.check_signature(doc, asc, keys)
    try:  # a verified but invalid document is reported here, not left to sink the whole poll
        parse_document(doc, client.feed.id)
    except ParseError as exc:
        raise IntegrityError(f"invalid CSAF document: {exc}") from None
    return doc


async def fetch_provider(feed: FeedConfig, http: Http, state: SourceState) -> Fetched:
    """One poll of a CSAF provider (see the module docstring)."""
    client = _Client(feed, http)
    since = parse_time(state.cursor.get("since")) or _EPOCH
    meta, entries = await _discover(client)
    latest: dict[str, Entry] = {}
    for e in entries:  # the newest row per document; order in the index is not trusted
        if e.updated > since and (e.url not in latest or e.updated > latest[e.url].updated):
            latest[e.url] = e
    todo = sorted(latest.values(), key=lambda e: e.updated)
    keys = await _keys(client, meta) if todo else []
    gate = asyncio.Semaphore(PARALLEL)

    async def one(entry: Entry) -> bytes | Exception:
        async with gate:
            try:
                return await _verified(client, entry, keys)
            except (IntegrityError, FetchError) as exc:
                return exc

    results = await asyncio.gather(*(one(e) for e in todo))
    documents, rejected, cursor = [], [], since
    blocked = False
    for entry, result in zip(todo, results, strict=True):
        if isinstance(result, IntegrityError):
            log.error("feed %s: CSAF document rejected (%s): %s", feed.id, result, entry.url)
            rejected.append({"url": entry.url, "reason": str(result)})
        elif isinstance(result, Exception):
            log.warning(
                "feed %s: CSAF document not fetched, retried next poll: %s", feed.id, result
            )
            blocked = True
        else:
            documents.append(result)
        if not blocked:
            cursor = max(cursor, entry.updated)
    new_cursor = {"since": cursor.isoformat(), "rejected": rejected, "fetched": len(documents)}
    return Fetched(200, None, url=feed.url or "", cursor=new_cursor, documents=documents)
