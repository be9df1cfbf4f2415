"""NVD enrichment (an expert of `certbot.enrich`) for cases that carry only CVE ids (prose
RSS, KEV), opt-in per feed (``enrich_nvd: true``).

Before a poll cycle is planned, the CVEs of such advisories that name no versioned product are
looked up in the NVD CVE API 2.0 (`certbot.sources.nvd.lookup`: cached in SQLite, at most one
request per 6 s without an API key). The answers become the case's enrichment (affected CPE
ranges and CVSS) inside the same transaction that matches and plans, so matching is
version-accurate from the first alert. Uncached look-ups are capped per cycle
(``NVD_BUDGET``); the rest wait for the next cycle rather than stalling the poll.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from certbot.config import Config, FeedConfig, read_secret
from certbot.model import Advisory
from certbot.sources.nvd import NvdRecord, lookup
from certbot.store import Store, StoreThread
from certbot.store.enrichment import NVD_MAX_AGE, MemoryNvdCache

if TYPE_CHECKING:
    from certbot.fetch import Http

log = logging.getLogger("certbot.enrich")
NVD_BUDGET = {False: 5, True: 100}  # uncached look-ups per cycle, without / with an API key


def wanted_cves(batch: list[tuple[FeedConfig, list[Advisory], Any]]) -> list[str]:
    out: dict[str, None] = {}
    for feed, advisories, _ in batch:
        if not getattr(feed, "enrich_nvd", False):  # an option of advisory sources
            continue
        for adv in advisories:
            if not any(p.versions or p.cpe for p in adv.products):
                out.update(dict.fromkeys(adv.cves))
    return list(out)


async def nvd_records(
    http: Http, config: Config, store: StoreThread, cves: list[str]
) -> dict[str, NvdRecord]:
    """NVD records for ``cves``: the cache is read and written through the store's writer
    thread (the network waits happen on the event loop, holding no database connection)."""
    if not cves:
        return {}
    nvd_feed = next((f for f in config.feeds if f.kind == "nvd"), None)
    api_key = read_secret(nvd_feed.token.env) if nvd_feed and nvd_feed.token else None
    cache = MemoryNvdCache(await store.call(Store.nvd_cached, cves, time.time(), NVD_MAX_AGE))
    cached = [c for c in cves if c in cache.known]
    budget = NVD_BUDGET[bool(api_key)]
    fresh = [c for c in cves if c not in cache.known][:budget]
    if len(cves) - len(cached) > budget:
        log.info(
            "NVD: %d CVEs wait for the next cycle (budget %d)",
            len(cves) - len(cached) - budget,
            budget,
        )
    try:
        return await lookup(
            http,
            [*cached, *fresh],
            api_key=api_key,
            cache=cache,
            api=nvd_feed.url if nvd_feed and nvd_feed.url else None,
            allow_private=bool(nvd_feed and nvd_feed.allow_private),
        )
    finally:
        if cache.fresh:
            await store.call(Store.nvd_keep, cache.fresh)


def apply(store: Store, case_id: str, cves: tuple[str, ...], records: dict[str, NvdRecord]) -> None:
    """Write NVD products and CVSS into the case's enrichment (inside the caller's transaction)."""
    found = [records[c] for c in cves if c in records]
    if not found:
        return
    products = [asdict(p) for r in found for p in r.products]
    scores = [r.cvss for r in found if r.cvss is not None]
    store.set_enrichment(case_id, "products", products)
    if scores:
        store.set_enrichment(case_id, "nvd_cvss", max(scores))
