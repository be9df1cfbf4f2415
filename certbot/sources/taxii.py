"""TAXII 2.1 collections: poll ``objects/`` with ``added_after``, follow paging, parse as STIX.

``TaxiiSource.fetch`` asks ``<api root>/collections/<feed.collection>/objects/`` (or
``feed.url`` itself when it already ends in ``/objects/``) with ``Accept:
application/taxii+json;version=2.1``, ``added_after=<cursor>`` and ``limit``, then follows
``more`` + ``next`` until the server says there is no more. All pages are merged into one
bundle document (so a relationship on page 2 still links a vulnerability on page 1), which
`StixSource.parse` turns into advisories.

Cursor: ``X-TAXII-Date-Added-Last`` of the last page when the HTTP client passes response
headers on (`Fetched.headers`); otherwise the newest ``date_added`` of the last object, asked
from the collection's ``manifest/`` endpoint (one request: objects come sorted by date_added);
if that fails too, the newest ``modified`` of the objects (servers stamp ``date_added`` on
receipt, after ``modified``, so at worst objects are fetched twice). It never moves backwards.

Auth: basic (``feed.username`` + the secret named by ``feed.token`` as password) or a bearer
token (``feed.token`` alone); both only ever sent to the feed's own host.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from certbot.errors import FetchError, ParseError
from certbot.model import Fetched
from certbot.sources import Source
from certbot.sources.csaf import parse_time
from certbot.sources.csaf_fetch import auth_headers
from certbot.sources.jsonload import load_json
from certbot.sources.options import AuthAdvisoryOptions
from certbot.sources.stix import objects_of, parse_bundle

if TYPE_CHECKING:
    from certbot.config import FeedConfig
    from certbot.fetch import Http
    from certbot.model import Advisory
    from certbot.sources import SourceState

log = logging.getLogger(__name__)
ACCEPT = "application/taxii+json;version=2.1"
MAX_PAGES = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def objects_url(feed: FeedConfig) -> str:
    base = feed.url or ""
    if base.rstrip("/").endswith("/objects"):
        return base.rstrip("/") + "/"
    if not feed.collection:
        raise ParseError(f"feed {feed.id}: a taxii feed needs 'collection' (or an objects/ URL)")
    return f"{base.rstrip('/')}/collections/{feed.collection}/objects/"


def _newest(objs: list[dict[str, Any]], current: str | None) -> str | None:
    best, best_t = current, parse_time(current)
    for obj in objs:
        stamp = obj.get("modified") or obj.get("created")
        t = parse_time(stamp)
        if t is not None and (best_t is None or t > best_t):
            best, best_t = stamp, t
    return best


class TaxiiOptions(AuthAdvisoryOptions):
    collection: str | None = None  # TAXII collection id (or give an objects/ URL)


class TaxiiSource(Source):
    """A TAXII 2.1 collection; ``page_size`` is the ``limit`` asked per request."""

    kind = "taxii"
    options = TaxiiOptions

    def __init__(self, page_size: int = 500) -> None:
        self.page_size = page_size

    async def fetch(self, feed: FeedConfig, http: Http, state: SourceState) -> Fetched:
        url = objects_url(feed)
        headers = {"Accept": ACCEPT, **auth_headers(feed)}
        since = state.cursor.get("added_after")
        params: dict[str, str] = {"limit": str(self.page_size)}
        if since:
            params["added_after"] = since
        objects: list[dict[str, Any]] = []
        last_header: str | None = None
        next_token: str | None = None
        for _page in range(MAX_PAGES):
            query = {**params, **({"next": next_token} if next_token else {})}
            got = await http.get(
                f"{url}?{urlencode(query)}",
                allow_private=feed.allow_private,
                max_bytes=feed.max_bytes,
                timeout=feed.timeout,
                headers=headers,
            )
            envelope = load_json(got.body or b"{}")
            if not isinstance(envelope, dict):
                raise ParseError("TAXII envelope is not a JSON object")
            objects += objects_of(envelope) if envelope.get("objects") else []
            hdrs = {k.lower(): v for k, v in (getattr(got, "headers", None) or {}).items()}
            last_header = hdrs.get("x-taxii-date-added-last") or last_header
            next_token = envelope.get("next") if envelope.get("more") is True else None
            if not next_token:
                break
        else:
            log.warning("feed %s: stopped after %d TAXII pages", feed.id, MAX_PAGES)
        cursor = last_header
        if cursor is None and objects:
            cursor = await self._date_added(feed, http, url, headers, objects[-1])
        cursor = cursor or _newest(objects, since)
        if since and parse_time(cursor) is not None and parse_time(since) is not None:
            cursor = max(since, cursor or since, key=lambda s: parse_time(s) or _EPOCH)
        bundle = json.dumps({"type": "bundle", "id": "bundle--taxii", "objects": objects})
        return Fetched(
            200,
            None,
            url=url,
            cursor={"added_after": cursor, "objects": len(objects)},
            documents=[bundle.encode()] if objects else [],
        )

    async def _date_added(
        self, feed: FeedConfig, http: Http, url: str, headers: dict[str, str], last: dict[str, Any]
    ) -> str | None:
        """The newest date_added of the last object received, from the manifest endpoint
        (one request; objects come sorted by date_added, so it bounds the whole poll)."""
        if not isinstance(last.get("id"), str):
            return None
        query = urlencode({"match[id]": last["id"], "match[version]": "all"})
        manifest_url = url[: -len("objects/")] + "manifest/?" + query
        try:
            got = await http.get(
                manifest_url,
                allow_private=feed.allow_private,
                max_bytes=feed.max_bytes,
                timeout=feed.timeout,
                headers=headers,
            )
            records = load_json(got.body or b"{}").get("objects") or []
        except (FetchError, ParseError, AttributeError):
            log.warning("feed %s: TAXII manifest unavailable; cursor from modified", feed.id)
            return None
        stamps = [r.get("date_added") for r in records if isinstance(r, dict)]
        valid = [s for s in stamps if isinstance(s, str) and parse_time(s) is not None]
        return max(valid, key=lambda s: parse_time(s) or _EPOCH) if valid else None

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        yield from parse_bundle(doc, feed.id)
