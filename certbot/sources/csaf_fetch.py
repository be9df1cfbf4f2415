"""Fetching a CSAF provider: discovery, ROLIE or directory index, cursor, integrity checks.

``fetch_provider(feed, http, state)`` (called by `CsafSource.fetch`):

1. Discovery: ``feed.url`` is a provider-metadata.json URL, a bare domain (then
   ``https://<domain>/.well-known/csaf/provider-metadata.json``, CSAF 2.0 §7.3.1), a ROLIE
   feed (``*.json``) or a directory's ``changes.csv``; ``feed.path`` is a local mirror
   (`csaf_client.MirrorClient`: its provider-metadata.json, else its ROLIE feeds, else its
   changes.csv). Provider metadata chooses ROLIE feeds when it lists any, else the directory
   distribution (``changes.csv``).
2. Index: every ROLIE entry (``updated``) or every ``changes.csv`` row (``path,timestamp``;
   unquoted, unsorted, CRLF or LF: every line is read and no order is trusted). ROLIE feeds and
   changes.csv are conditional GETs (ETag / Last-Modified per URL in ``cursor["http"]``); a
   304 means no new entries. Only entries newer than ``cursor["since"]`` are fetched.
3. Integrity before parsing (CSAF §7.3.2): the ``.sha512`` (or ``.sha256``) file must match and
   the ``.asc`` detached signature must verify with a pinned key: one the provider metadata
   lists whose fingerprint is in ``feed.fingerprints``, or one of ``feed.public_keys`` (each
   pinned by its own fingerprint). Any failure rejects the document (fail closed); so does a
   verified document that is not valid CSAF, so one bad document never fails the poll.
4. Rejected documents go to ``cursor["retry"]`` (`csaf_retry`) and are fetched again on later
   polls, so fixing the configuration brings them back; ``cursor["rejected"]`` lists the first
   rejections of this poll (the operator is told of those, logged at ERROR).
5. Cursor: ``since`` = the newest timestamp up to which every entry was handled (verified or
   rejected); a document that could not be fetched stops the cursor before it, and drops the
   index validators, so it is tried again next poll.

Auth headers (bearer token from ``feed.token``, or basic auth when ``feed.username`` is set)
go only to the feed's own host, never to other hosts a provider links to.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from certbot.errors import FetchError, IntegrityError, ParseError
from certbot.model import Advisory, Fetched
from certbot.sources import csaf_retry, csaf_verify
from certbot.sources.csaf_client import Client, HttpClient, MirrorClient, auth_headers, client_for
from certbot.sources.csaf_document import parse_document
from certbot.sources.csaf_meta import parse_time
from certbot.sources.jsonload import load_json

if TYPE_CHECKING:
    import pysequoia

    from certbot.config import FeedConfig
    from certbot.fetch import Http
    from certbot.sources import SourceState
    from certbot.sources.options import PublicKey

log = logging.getLogger(__name__)
PARALLEL = 4
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Entry:
    """One document a provider's index lists (ROLIE feed or changes.csv): its URL, when it
    last changed, and its hash and signature files where the feed names them."""

    url: str
    updated: datetime
    hash_url: str | None = None
    sig_url: str | None = None


_Client = HttpClient  # the name tests and older callers use
__all__ = ["Entry", "_Client", "auth_headers", "fetch_provider"]


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


async def _keys(client: Client, http: Http, meta: dict[str, Any]) -> list[pysequoia.Cert]:
    """The pinned keys: those the provider metadata lists whose fingerprint is pinned, and the
    feed's own ``public_keys`` (each pinned by its fingerprint)."""
    feed = client.feed
    pinned = {csaf_verify.normalise_fingerprint(f) for f in feed.fingerprints}
    blobs = []
    for key in meta.get("public_openpgp_keys") or []:
        fpr = csaf_verify.normalise_fingerprint(str(key.get("fingerprint", "")))
        if fpr in pinned and isinstance(key.get("url"), str):
            try:
                blobs.append(await client.get(key["url"]))
            except FetchError as exc:
                log.error("feed %s: OpenPGP key %s not fetched: %s", feed.id, fpr, exc)
    for pk in feed.public_keys:
        try:
            blobs.append(await _public_key(feed, http, pk))
        except FetchError as exc:
            log.error("feed %s: public key %s not read: %s", feed.id, pk.url or pk.path, exc)
    pins = (*feed.fingerprints, *(k.fingerprint for k in feed.public_keys))
    return csaf_verify.pinned_keys(blobs, pins)


async def _public_key(feed: FeedConfig, http: Http, pk: PublicKey) -> bytes:
    if pk.url is not None:
        got = await http.get(
            pk.url, allow_private=feed.allow_private, max_bytes=1 << 20, timeout=feed.timeout
        )
        return got.body or b""
    path = Path(pk.path or "")
    path = path if path.is_absolute() else Path(http.base_dir) / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FetchError(f"{path}: cannot read ({exc.strerror})") from None


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


async def _discover(client: Client, seen: dict[str, Any]) -> tuple[dict[str, Any], list[Entry]]:
    """(provider metadata or {}, every index entry; none from an index that answered 304)."""
    meta: dict[str, Any] = {}
    entries: list[Entry] = []
    starts = _mirror_start(client.start) if isinstance(client, MirrorClient) else [client.start]
    for url in starts:
        if url.endswith("provider-metadata.json"):
            meta, found = await _from_metadata(client, url, seen)
        else:
            body = await client.get_index(url, seen)
            found = [] if body is None else _index_entries(body, url)
        entries += found
    return meta, entries


def _index_entries(body: bytes, url: str) -> list[Entry]:
    if url.endswith("changes.csv"):
        return _changes(body, url)
    data = load_json(body)
    if isinstance(data, dict) and "feed" in data:
        return rolie_entries(body, url)
    raise ParseError("not provider-metadata.json, a ROLIE feed or changes.csv")


async def _from_metadata(
    client: Client, url: str, seen: dict[str, Any]
) -> tuple[dict[str, Any], list[Entry]]:
    data = load_json(await client.get(url))
    if isinstance(data, dict) and "feed" in data:  # a ROLIE feed under an odd name
        return {}, rolie_entries(_dump(data), url)
    if not isinstance(data, dict) or not isinstance(data.get("distributions"), list):
        raise ParseError("not provider-metadata.json, a ROLIE feed or changes.csv")
    entries: list[Entry] = []
    dists = [d for d in data["distributions"] if isinstance(d, dict)]
    feeds = [
        urljoin(url, f["url"])
        for d in dists
        for f in (d.get("rolie") or {}).get("feeds") or []
        if isinstance(f, dict) and isinstance(f.get("url"), str)
    ]
    if not feeds:
        feeds = [
            d["directory_url"].rstrip("/") + "/changes.csv"
            for d in dists
            if isinstance(d.get("directory_url"), str)
        ]
    for index_url in feeds:
        body = await client.get_index(index_url, seen)
        entries += [] if body is None else _index_entries(body, index_url)
    return data, entries


def _mirror_start(start: Path) -> list[str]:
    """The index files of a mirror: its provider metadata, else its ROLIE feeds, else its
    changes.csv (``path:`` may also name one of these files)."""
    if start.is_file():
        return [start.resolve().as_uri()]
    for rel in ("provider-metadata.json", ".well-known/csaf/provider-metadata.json"):
        if (start / rel).is_file():
            return [(start / rel).resolve().as_uri()]
    feeds = [p.resolve().as_uri() for p in sorted(start.glob("*.json")) if _is_rolie(p)]
    if feeds:
        return feeds
    if (start / "changes.csv").is_file():
        return [(start / "changes.csv").resolve().as_uri()]
    raise FetchError(f"mirror {start}: no provider-metadata.json, ROLIE feed or changes.csv")


def _is_rolie(path: Path) -> bool:
    try:
        data = load_json(path.read_bytes())
    except (OSError, ParseError):
        return False
    return isinstance(data, dict) and isinstance(data.get("feed"), dict)


def _changes(doc: bytes, url: str) -> list[Entry]:
    base = url.rsplit("/", 1)[0] + "/" if url.endswith("changes.csv") else url
    return [
        Entry(join_path(base, e.url.removeprefix(base)), e.updated)
        for e in changes_entries(doc, base)
    ]


def _dump(data: Any) -> bytes:
    return json.dumps(data).encode()


async def _verified(client: Client, entry: Entry, keys: list[Any]) -> tuple[bytes, Advisory]:
    """The document's bytes after its hash and signature check (IntegrityError otherwise),
    and the document parsed (the check parses it: the pipeline need not parse it again)."""
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
        return doc, parse_document(doc, client.feed.id)
    except ParseError as exc:
        raise IntegrityError(f"invalid CSAF document: {exc}") from None


async def fetch_provider(feed: FeedConfig, http: Http, state: SourceState) -> Fetched:
    """One poll of a CSAF provider or mirror (see the module docstring)."""
    client = client_for(feed, http)
    old = state.cursor
    since = parse_time(old.get("since")) or _EPOCH
    seen: dict[str, Any] = old["http"] if isinstance(old.get("http"), dict) else {}
    retry = csaf_retry.load(old)
    meta, entries = await _discover(client, seen)
    latest: dict[str, Entry] = {}
    for e in entries:  # the newest row per document; order in the index is not trusted
        if e.updated > since and (e.url not in latest or e.updated > latest[e.url].updated):
            latest[e.url] = e
    new = sorted(latest.values(), key=lambda e: e.updated)
    again = [
        Entry(u, _when(r), r.get("hash_url"), r.get("sig_url"))
        for u, r in csaf_retry.due(retry, set(latest))
    ]
    todo = new + again
    keys = await _keys(client, http, meta) if todo else []
    gate = asyncio.Semaphore(PARALLEL)

    async def one(entry: Entry) -> tuple[bytes, Advisory] | Exception:
        async with gate:
            try:
                return await _verified(client, entry, keys)
            except (IntegrityError, FetchError) as exc:
                return exc

    results = await asyncio.gather(*(one(e) for e in todo))
    documents, parsed, rejected, cursor = [], [], [], since
    blocked, now = False, datetime.now(UTC)
    for n, (entry, result) in enumerate(zip(todo, results, strict=True)):
        if isinstance(result, IntegrityError):
            where = {
                "updated": entry.updated.isoformat(),
                "hash_url": entry.hash_url,
                "sig_url": entry.sig_url,
            }
            if csaf_retry.record(retry, entry.url, str(result), now, where):
                log.error("feed %s: CSAF document rejected (%s): %s", feed.id, result, entry.url)
                rejected.append({"url": entry.url, "reason": str(result)})
            else:
                log.warning(
                    "feed %s: CSAF document still rejected (%s): %s", feed.id, result, entry.url
                )
        elif isinstance(result, Exception):
            log.warning(
                "feed %s: CSAF document not fetched, retried next poll: %s", feed.id, result
            )
            blocked = blocked or n < len(new)
        else:
            documents.append(result[0])
            parsed.append(result[1])
            retry.pop(entry.url, None)
        if not blocked and n < len(new):
            cursor = max(cursor, entry.updated)
    new_cursor = {
        "since": cursor.isoformat(),
        "rejected": rejected,  # first rejections this poll (the operator is told of these)
        "retry": retry,  # every rejected document, fetched again on later polls
        "http": {} if blocked else client.validators,  # a blocked poll reads its indexes whole
        "fetched": len(documents),
    }
    return Fetched(
        200,
        None,
        url=feed.url or feed.path or "",
        cursor=new_cursor,
        documents=documents,
        parsed=parsed,
    )


def _when(record: dict[str, Any]) -> datetime:
    return parse_time(record.get("updated")) or _EPOCH
