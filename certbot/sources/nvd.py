"""NVD CVE API 2.0: an enrichment source (``kind: nvd``) for affected products and CVSS.

``parse_cve(doc) -> {cve_id: [AffectedProduct]}`` reads an API response (``vulnerabilities[]
.cve``) or a single ``cve`` item: every ``configurations[].nodes[].cpeMatch[]`` with
``vulnerable: true`` becomes an affected product; ``versionStart/End Including/Excluding``
become a ``vers:generic`` range, a concrete CPE version an exact version, ``*`` all versions.
``vulnerable: false`` matches are platforms (the OS a vulnerable application runs on): they
never become products, but are named in the entry of the products they qualify.
``parse_records`` also gives the highest base CVSS (v4.0, v3.x, v2) and ``lastModified``.

``lookup(http, cve_ids, api_key=..., cache=..., clock=...)`` asks the API one CVE at a time
(``?cveId=``), at most 1 request per 6 s without an API key and 50 per 30 s with one
(aiolimiter), and keeps every answer in an `AnswerCache` (in the store: `NvdCache`, table
``nvd_cache(cve PK, fetched_at, body)``), so a cached CVE costs no request. The API key is
sent in the ``apiKey`` header and never logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, Unpack

from aiolimiter import AsyncLimiter

from certbot.errors import FetchError, ParseError
from certbot.model import AffectedProduct
from certbot.sources import Source, scoring
from certbot.sources.jsonload import load_json
from certbot.sources.options import AuthOptions
from certbot.versions import exact, parse_range

if TYPE_CHECKING:
    from certbot.config import FeedConfig
    from certbot.fetch import Http
    from certbot.model import Advisory

log = logging.getLogger(__name__)
API = "https://services.nvd.nist.gov/rest/json/cves/2.0"
MAX_AGE = 24 * 3600
_BOUNDS = (
    ("versionStartIncluding", ">="),
    ("versionStartExcluding", ">"),
    ("versionEndIncluding", "<="),
    ("versionEndExcluding", "<"),
)


class AnswerCache(Protocol):
    """Where `lookup` keeps NVD answers: `certbot.store.enrichment.NvdCache` (SQLite) or
    `certbot.store.enrichment.MemoryNvdCache` (read and written by the store's writer)."""

    def get(self, cve: str, now: float) -> bytes | None: ...

    def put(self, cve: str, body: bytes, now: float) -> None: ...


@dataclass(slots=True)
class NvdRecord:
    cve: str
    products: list[AffectedProduct] = field(default_factory=list)
    cvss: float | None = None
    cvss_vector: str | None = None
    last_modified: str | None = None


def _cpe_parts(criteria: str) -> list[str]:
    parts = criteria.split(":")
    return parts if len(parts) >= 6 and parts[:2] == ["cpe", "2.3"] else []


def _match_product(match: dict[str, Any], platforms: list[str]) -> AffectedProduct | None:
    parts = _cpe_parts(str(match.get("criteria", "")))
    if not parts:
        return None
    bounds = [f"{op}{match[k]}" for k, op in _BOUNDS if isinstance(match.get(k), str)]
    version = parts[5]
    if bounds:
        versions: str | None = "vers:generic/" + "|".join(bounds)
    elif version == "*":
        versions = "vers:generic/*"
    elif version not in ("-", ""):
        versions = exact(version.replace("\\", ""))
    else:
        versions = None
    if versions is not None and parse_range(versions) is None:
        versions = None
    entry = str(match.get("matchCriteriaId") or match.get("criteria"))
    if platforms:
        entry += " on " + ", ".join(platforms[:3])
    return AffectedProduct(
        vendor=parts[3].replace("_", " "),
        product=parts[4].replace("_", " "),
        versions=versions,
        cpe=str(match["criteria"]),
        status="affected",
        fixed_version=match.get("versionEndExcluding"),
        entry=entry,
    )


def _config_products(config: dict[str, Any]) -> Iterator[AffectedProduct]:
    nodes = [n for n in config.get("nodes") or [] if isinstance(n, dict)]
    matches = [
        m
        for n in nodes
        if not n.get("negate")
        for m in n.get("cpeMatch") or []
        if isinstance(m, dict)
    ]
    platforms = [str(m.get("criteria")) for m in matches if m.get("vulnerable") is False]
    for m in matches:
        if m.get("vulnerable") is True and (p := _match_product(m, platforms)) is not None:
            yield p


def _cvss(metrics: Any) -> tuple[float, str | None] | None:
    best: tuple[float, str | None] | None = None
    if not isinstance(metrics, dict):
        return None
    for key in ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"):
        for metric in metrics.get(key) or []:
            data = metric.get("cvssData") if isinstance(metric, dict) else None
            if isinstance(data, dict):
                vec = data.get("vectorString")
                best = scoring.best(best, scoring.base_score(data.get("baseScore"), vec), vec)
    return best


def _items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("vulnerabilities"), list):
        return [
            v["cve"]
            for v in data["vulnerabilities"]
            if isinstance(v, dict) and isinstance(v.get("cve"), dict)
        ]
    if isinstance(data, dict) and isinstance(data.get("cve"), dict):
        return [data["cve"]]
    if isinstance(data, dict) and "configurations" in data and "id" in data:
        return [data]
    raise ParseError("not an NVD CVE API 2.0 response or cve item")


def parse_records(doc: bytes) -> dict[str, NvdRecord]:
    """Response or cve item -> {cve_id: NvdRecord}."""
    out: dict[str, NvdRecord] = {}
    for item in _items(load_json(doc)):
        cve = str(item.get("id", "")).upper()
        if not cve.startswith("CVE-"):
            continue
        products = [
            p
            for c in item.get("configurations") or []
            if isinstance(c, dict)
            for p in _config_products(c)
        ]
        best = _cvss(item.get("metrics"))
        out[cve] = NvdRecord(
            cve,
            products,
            best[0] if best else None,
            best[1] if best else None,
            item.get("lastModified"),
        )
    return out


def parse_cve(doc: bytes) -> dict[str, list[AffectedProduct]]:
    """Response or cve item -> {cve_id: affected products}."""
    return {cve: rec.products for cve, rec in parse_records(doc).items()}


def limiter_for(api_key: str | None) -> AsyncLimiter:
    """NVD's published limits: 5 requests / 30 s without a key (we keep to 1 per 6 s), 50 / 30 s
    with one."""
    return AsyncLimiter(50, 30) if api_key else AsyncLimiter(1, 6)


_LIMITERS: dict[tuple[int, bool], AsyncLimiter] = {}


def shared_limiter(api_key: str | None) -> AsyncLimiter:
    """One limiter per event loop and key state, shared by every lookup in the process."""
    key = (id(asyncio.get_running_loop()), bool(api_key))
    if key not in _LIMITERS:
        _LIMITERS[key] = limiter_for(api_key)
    return _LIMITERS[key]


class LookupOptions(TypedDict, total=False):
    """The optional knobs of `lookup` (tests pass a clock and a fast limiter)."""

    clock: Callable[[], float]
    limiter: AsyncLimiter
    timeout: float  # passed on to Http.get
    api: str | None
    allow_private: bool


async def lookup(
    http: Http,
    cve_ids: Iterable[str],
    *,
    api_key: str | None,
    cache: AnswerCache,
    **opts: Unpack[LookupOptions],
) -> dict[str, NvdRecord]:
    """NVD records for ``cve_ids``: from the cache when fresh, else one rate-limited request
    per CVE. A CVE that cannot be fetched or read is logged and left out."""
    clock = opts.get("clock", time.time)
    timeout = opts.get("timeout", 30.0)
    api = opts.get("api")
    allow_private = opts.get("allow_private", False)
    limiter = opts.get("limiter")
    limiter = limiter or shared_limiter(api_key)
    headers = {"apiKey": api_key} if api_key else None
    out: dict[str, NvdRecord] = {}
    for cve in dict.fromkeys(c.strip().upper() for c in cve_ids):
        body = cache.get(cve, clock())
        if body is None:
            async with limiter:
                try:
                    got = await http.get(
                        f"{api or API}?cveId={cve}",
                        allow_private=allow_private,
                        timeout=timeout,
                        headers=headers,
                        max_bytes=5 * 1024 * 1024,
                    )
                except FetchError as exc:
                    log.warning("NVD lookup of %s failed: %s", cve, exc)
                    continue
            body = got.body or b""
            cache.put(cve, body, clock())
        try:
            record = parse_records(body).get(cve)
        except ParseError as exc:
            log.warning("NVD answer for %s unreadable: %s", cve, exc)
            continue
        if record is not None:
            out[cve] = record
    return out


class NvdSource(Source):
    """NVD as an enrichment source: ``parse`` yields no advisories; the pipeline calls
    ``parse_cve`` / ``lookup``."""

    options = AuthOptions

    kind = "nvd"
    enrichment = True

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        return iter(())

    def parse_cve(self, doc: bytes) -> dict[str, list[AffectedProduct]]:
        return parse_cve(doc)
