"""CVE records as an enrichment expert (``kind: cve``): ``lookup(ids) -> {id: LookupResult}``.

`CveRecords` fetches CVE JSON 5 records either from the CVE Services API
(``GET {api}/api/cve/{CVE-ID}``, default https://cveawg.mitre.org, public for reading) through
certbot's guarded fetcher (`certbot.fetch.Http`: https only unless ``allow_private``, a total
deadline, a byte cap), with at most ``concurrency`` requests in flight and ``rate`` requests per
second (aiolimiter); or from a local mirror directory in the cvelistV5 layout
(``cves/YYYY/NNxxx/CVE-YYYY-NNNNN.json``) for offline and air-gapped use. Each record is parsed
with `certbot.sources.cve_parse.parse_record` into a structured `Advisory`.

Cache: a `RecordCache` (``get(cve_id) -> CachedRecord(date_updated, record, fetched_at) |
None``, ``put(cve_id, date_updated, record, fetched_at)``). `MemoryCache` is for tests; the
store's implementation will live in ``certbot/store/enrichment.py`` (table ``cve_records(cve_id
TEXT PRIMARY KEY, date_updated TEXT, fetched_at REAL, record TEXT /* JSON */)``). A cached
record younger than ``max_age`` is used without a request; an older one is fetched again, and
kept when the answer's ``cveMetadata.dateUpdated`` is not newer (only ``fetched_at`` moves).

Bad input never raises out of `lookup`: a malformed or oversized body, a REJECTED record, 404,
429 (Retry-After honoured: later ids in the same call are not asked until it passes), 5xx, a
network failure or a missing mirror file each give that id a `LookupResult` with ``status`` and
``error`` (a REJECTED record also carries its withdrawn Advisory). When a refetch fails and a
cached record exists, the cached Advisory is returned with the error, so a case keeps what is
known; the caller shows ``error`` in the feed's health and re-enriches later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from aiolimiter import AsyncLimiter
from pydantic import Field, field_validator

from certbot.config.common import Strict, parse_duration
from certbot.errors import FetchError, HttpStatusError, ParseError, TooLarge
from certbot.model import Advisory
from certbot.sources import Source
from certbot.sources.cve_parse import CVE_ID, MAX_RECORD_BYTES, parse_record
from certbot.sources.jsonload import load_json

if TYPE_CHECKING:
    from collections.abc import Iterator

    from certbot.config import FeedConfig
    from certbot.fetch import Http

log = logging.getLogger("certbot.sources.cve")
API = "https://cveawg.mitre.org"
MAX_AGE = 24 * 3600.0
LookupStatus = Literal["ok", "rejected", "not_found", "rate_limited", "error"]


class CachedRecord(NamedTuple):
    date_updated: str
    record: dict[str, Any]
    fetched_at: float


class RecordCache(Protocol):
    def get(self, cve_id: str) -> CachedRecord | None: ...

    def put(
        self, cve_id: str, date_updated: str, record: dict[str, Any], fetched_at: float
    ) -> None: ...


class MemoryCache:
    """A `RecordCache` in a dict (tests, one-off runs)."""

    def __init__(self) -> None:
        self.rows: dict[str, CachedRecord] = {}

    def get(self, cve_id: str) -> CachedRecord | None:
        return self.rows.get(cve_id)

    def put(
        self, cve_id: str, date_updated: str, record: dict[str, Any], fetched_at: float
    ) -> None:
        self.rows[cve_id] = CachedRecord(date_updated, record, fetched_at)


@dataclass(frozen=True, slots=True)
class CveOptions:
    """A ``kind: cve`` feed's options. ``mirror`` set: read files, never the network."""

    api: str = API
    mirror: Path | None = None
    max_age: float = MAX_AGE
    rate: float = 5.0  # requests per second to the API
    concurrency: int = 4
    max_bytes: int = MAX_RECORD_BYTES
    timeout: float = 30.0
    allow_private: bool = False  # only for a local test server or an internal mirror
    source: str = "cve"  # the feed id the Advisories carry


@dataclass(frozen=True, slots=True)
class LookupResult:
    """One id's answer. ``advisory`` is set when anything is known (``status`` ok/rejected, or a
    cached copy kept after a failed refetch, then with ``error`` set too)."""

    cve_id: str
    status: LookupStatus
    advisory: Advisory | None = None
    date_updated: str | None = None
    error: str | None = None
    retry_after: float | None = None
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return self.advisory is not None


class _Failure(Exception):
    def __init__(self, status: LookupStatus, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


def mirror_path(root: Path, cve_id: str) -> Path:
    """cvelistV5 layout: CVE-2024-21762 -> cves/2024/21xxx/CVE-2024-21762.json."""
    _, year, number = cve_id.split("-")
    return root / "cves" / year / f"{int(number) // 1000}xxx" / f"{cve_id}.json"


def retry_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds (delta or HTTP date); None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if re.fullmatch(r"\d{1,7}", text):
        return float(text)
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _date_updated(record: dict[str, Any]) -> str:
    meta = record.get("cveMetadata")
    value = meta.get("dateUpdated") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def _newer(a: str, b: str) -> bool:
    """Is ISO timestamp ``a`` later than ``b``? (Both as CVE Services writes them.)"""
    return a.rstrip("Z") > b.rstrip("Z")


class CveRecords:
    """The CVE record expert. One instance per feed; `lookup` may be called every cycle."""

    def __init__(
        self,
        http: Http | None,
        options: CveOptions,
        cache: RecordCache,
        *,
        clock: Callable[[], float] = time.time,
        limiter: AsyncLimiter | None = None,
    ) -> None:
        if options.mirror is None and http is None:
            raise ValueError("CveRecords needs an Http for the API (or a mirror path)")
        self.http, self.options, self.cache, self.clock = http, options, cache, clock
        self.limiter = limiter or AsyncLimiter(max(options.rate, 0.001), 1.0)
        self._gate = asyncio.Semaphore(max(1, options.concurrency))
        self._blocked_until = 0.0

    async def lookup(self, ids: Iterable[str]) -> dict[str, LookupResult]:
        """Every id -> its LookupResult (never raises for one bad id)."""
        wanted = list(dict.fromkeys(str(i).strip().upper() for i in ids))
        results = await asyncio.gather(*(self._one(cve) for cve in wanted))
        return {r.cve_id: r for r in results}

    async def _one(self, cve: str) -> LookupResult:
        if not CVE_ID.match(cve):
            return LookupResult(cve, "error", error="not a CVE id")
        cached = self.cache.get(cve)
        if cached is not None and self.clock() - cached.fetched_at <= self.options.max_age:
            return self._result(cve, cached.record, from_cache=True)
        try:
            record = await self._fetch(cve)
        except _Failure as failure:
            log.warning("CVE record %s: %s", cve, failure)
            return self._failed(cve, failure, cached)
        except Exception as exc:  # one bad id never stops the others
            log.warning("CVE record %s: unexpected %s", cve, type(exc).__name__)
            return self._failed(cve, _Failure("error", type(exc).__name__), cached)
        now = self.clock()
        updated = _date_updated(record)
        if cached is not None and not _newer(updated, cached.date_updated):
            self.cache.put(cve, cached.date_updated, cached.record, now)  # nothing newer
            return self._result(cve, cached.record, from_cache=True)
        result = self._result(cve, record)
        if result.status in ("ok", "rejected"):
            self.cache.put(cve, updated, record, now)
        return result

    def _result(
        self, cve: str, record: dict[str, Any], *, from_cache: bool = False
    ) -> LookupResult:
        try:
            advisory = parse_record(record, self.options.source)
        except ParseError as exc:
            return LookupResult(cve, "error", error=f"unreadable record: {exc}")
        if advisory.source_id != cve:
            return LookupResult(cve, "error", error=f"record is for {advisory.source_id}")
        status: LookupStatus = "rejected" if advisory.withdrawn else "ok"
        return LookupResult(
            cve,
            status,
            advisory,
            _date_updated(record) or None,
            error="record REJECTED" if advisory.withdrawn else None,
            from_cache=from_cache,
        )

    def _failed(self, cve: str, failure: _Failure, cached: CachedRecord | None) -> LookupResult:
        if cached is not None:
            kept = self._result(cve, cached.record, from_cache=True)
            if kept.advisory is not None:
                return replace(kept, error=str(failure), retry_after=failure.retry_after)
        return LookupResult(
            cve, failure.status, error=str(failure), retry_after=failure.retry_after
        )

    async def _fetch(self, cve: str) -> dict[str, Any]:
        if self.options.mirror is not None:
            body = await asyncio.to_thread(self._read_mirror, cve)
        else:
            body = await self._get(cve)
        try:
            record = load_json(body)
        except ParseError as exc:
            raise _Failure("error", f"malformed record ({exc})") from None
        if not isinstance(record, dict):
            raise _Failure("error", "malformed record (not a JSON object)")
        return record

    def _read_mirror(self, cve: str) -> bytes:
        assert self.options.mirror is not None
        path = mirror_path(self.options.mirror, cve)
        cap = self.options.max_bytes
        try:
            with path.open("rb") as fh:
                body = fh.read(cap + 1)
        except FileNotFoundError:
            raise _Failure("not_found", f"{path.name}: not in the mirror") from None
        except OSError as exc:
            raise _Failure("error", f"{path.name}: cannot read ({exc.strerror})") from None
        if len(body) > cap:
            raise _Failure("error", f"{path.name}: record too large (over {cap} bytes)")
        return body

    async def _get(self, cve: str) -> bytes:
        assert self.http is not None
        wait = self._blocked_until - self.clock()
        if wait > 0:
            raise _Failure("rate_limited", f"CVE API asked to wait {wait:.0f} s more", wait)
        url = f"{self.options.api.rstrip('/')}/api/cve/{cve}"
        async with self._gate, self.limiter:
            try:
                got = await self.http.get(
                    url,
                    allow_private=self.options.allow_private,
                    max_bytes=self.options.max_bytes,
                    timeout=self.options.timeout,
                    headers={"Accept": "application/json"},
                )
            except HttpStatusError as exc:
                raise self._status_failure(exc) from None
            except TooLarge as exc:
                raise _Failure("error", f"record too large ({exc})") from None
            except FetchError as exc:
                raise _Failure("error", str(exc)) from None
        return got.body or b""

    def _status_failure(self, exc: HttpStatusError) -> _Failure:
        if exc.status == 404:
            return _Failure("not_found", f"{exc} (no such CVE record)")
        if exc.status == 429:
            after = retry_seconds(exc.retry_after, time.time())
            wait = after if after is not None else 60.0
            self._blocked_until = max(self._blocked_until, self.clock() + wait)
            return _Failure("rate_limited", f"{exc} (retry after {wait:.0f} s)", wait)
        return _Failure("error", str(exc))


def record_json(record: dict[str, Any]) -> str:
    """The form the store keeps a record in (compact JSON, UTF-8 kept)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def options_for(feed: FeedConfig, base_dir: Path | None = None) -> CveOptions:
    """A ``kind: cve`` feed -> CveOptions: ``path`` is the mirror (relative to ``base_dir``),
    else ``url`` the API base. ``max_age``, ``rate`` and ``concurrency`` are read when the feed
    config has them (the integrator adds those keys), else the defaults apply."""
    mirror = None
    if feed.path is not None:
        mirror = Path(feed.path)
        if not mirror.is_absolute() and base_dir is not None:
            mirror = base_dir / mirror
    return CveOptions(
        api=feed.url or API,
        mirror=mirror,
        max_age=float(getattr(feed, "max_age", MAX_AGE)),
        rate=float(getattr(feed, "rate", 5.0)),
        concurrency=int(getattr(feed, "concurrency", 4)),
        max_bytes=min(feed.max_bytes, MAX_RECORD_BYTES),
        timeout=feed.timeout,
        allow_private=feed.allow_private,
        source=feed.id,
    )


class CveFeedOptions(Strict):
    """The keys a ``kind: cve`` feed adds: ``url`` is the API base, ``path`` the mirror."""

    max_age: int = int(MAX_AGE)  # seconds (or "24h"): use a cached record without asking
    rate: float = Field(5.0, gt=0, le=100)  # requests per second to the API
    concurrency: int = Field(4, ge=1, le=32)  # requests in flight
    per_cycle: int = Field(200, ge=1, le=10_000)  # ids looked up per poll; the rest wait

    _dur = field_validator("max_age", mode="before")(classmethod(lambda cls, v: parse_duration(v)))


class CveSource(Source):
    """CVE records as an enrichment expert: it yields no advisories of its own; each poll
    cycle `certbot.enrich.cve` builds a `CveRecords` (``options_for(feed)``) and looks up the
    CVE ids of the cycle's advisories (``expert``: the pipeline runs it, not ``fetch``)."""

    kind = "cve"
    options = CveFeedOptions
    enrichment = True
    expert = True

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        return iter(())
