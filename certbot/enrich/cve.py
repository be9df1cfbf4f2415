"""The CVE record step of the poll cycle: look up the cycle's CVE ids, hand back the records.

Contract: `run(http, config, store, batch)` runs on the event loop after a cycle's feeds are
fetched and parsed, and before they are ingested. It returns None when no enabled
``kind: cve`` feed is configured or there is nothing to look up; otherwise a `CveStep`:

- ``advisories``: each record's structured `Advisory` (source = the cve feed id), to be
  ingested with the cycle's batch, so it joins the case of the same CVE as a sibling
  advisory. A record fetched again with the same ``dateUpdated`` parses to the same
  Advisory, so ingest sees no change: no revision, no re-alert.
- ``state``: the cve feed's state, whose cursor keeps ``pending``, the ids whose look-up
  failed (network, 404, 429, 5xx, malformed), retried on the next cycles (at most
  ``per_cycle`` ids per cycle; the rest wait).
- ``error``: one line naming the failed ids and why, for the feed's health; None when all
  were answered.

Nothing here raises for a bad id or an unreachable API, so the poll cycle goes on with what
is known. The cache (table ``cve_records``) is read and written through the writer thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from certbot.config import Config, FeedConfig
from certbot.model import Advisory
from certbot.sources import SourceState
from certbot.sources.cve import CachedRecord, CveRecords, LookupResult, options_for, record_json
from certbot.store import Store, StoreThread

if TYPE_CHECKING:
    from certbot.fetch import Http

log = logging.getLogger("certbot.enrich.cve")
Batch = list[tuple[FeedConfig, list[Advisory], Any]]


@dataclass
class CveStep:
    feed: FeedConfig
    state: SourceState
    advisories: list[Advisory]
    error: str | None = None
    looked_up: int = 0


class StoreCache:
    """A `RecordCache` over rows read before the look-up; ``fresh`` collects what the look-up
    learnt, for the writer thread to keep (`Store.cve_keep`)."""

    def __init__(self, rows: dict[str, tuple[str, str, float]]) -> None:
        self.rows = rows
        self.fresh: dict[str, tuple[str, str, float]] = {}

    def get(self, cve_id: str) -> CachedRecord | None:
        row = self.rows.get(cve_id)
        if row is None:
            return None
        try:
            record = json.loads(row[1])
        except ValueError:
            return None
        return CachedRecord(row[0], record, row[2]) if isinstance(record, dict) else None

    def put(
        self, cve_id: str, date_updated: str, record: dict[str, Any], fetched_at: float
    ) -> None:
        row = (date_updated, record_json(record), fetched_at)
        self.rows[cve_id] = self.fresh[cve_id] = row


def cve_feed(config: Config) -> FeedConfig | None:
    """The first enabled ``kind: cve`` feed (one is enough; more would ask twice)."""
    return next((f for f in config.feeds if f.kind == "cve" and f.enabled), None)


def wanted(batch: Batch, pending: Iterable[str], limit: int) -> tuple[list[str], list[str]]:
    """(ids to look up now, ids that wait): pending first, then the batch's CVE ids."""
    ids: dict[str, None] = dict.fromkeys(pending)
    for feed, advisories, _ in batch:
        if feed.kind == "cve":
            continue
        for adv in advisories:
            ids.update(dict.fromkeys(adv.cves))
    order = list(ids)
    return order[:limit], order[limit:]


def _error_line(failed: dict[str, LookupResult]) -> str | None:
    if not failed:
        return None
    shown = "; ".join(f"{cve}: {r.error or r.status}" for cve, r in sorted(failed.items())[:5])
    more = f" (+{len(failed) - 5} more)" if len(failed) > 5 else ""
    return f"{len(failed)} CVE record(s) not read, retried next poll: {shown}{more}"


async def run(
    http: Http | None, config: Config, store: StoreThread, batch: Batch
) -> CveStep | None:
    """Look up the records for this cycle (see the module docstring)."""
    feed = cve_feed(config)
    if feed is None:
        return None
    state = await store.feed_state(feed.id)
    limit = int(getattr(feed, "per_cycle", 200))
    now_ids, waiting = wanted(batch, state.cursor.get("pending", ()), limit)
    if not now_ids:
        return None
    cache = StoreCache(await store.call(Store.cve_cached, now_ids))
    base = getattr(http, "base_dir", None)
    expert = CveRecords(http, options_for(feed, Path(base) if base else None), cache)
    results = await expert.lookup(now_ids)
    if cache.fresh:
        await store.call(Store.cve_keep, cache.fresh)
    advisories = [r.advisory for r in results.values() if r.advisory is not None]
    failed = {c: r for c, r in results.items() if r.error and r.status != "rejected"}
    # A failure that kept a cached copy still counts: the record is asked for again later.
    state.cursor = {**state.cursor, "pending": sorted(failed) + waiting}
    error = _error_line(failed)
    if error:
        log.warning("feed %s: %s", feed.id, error)
    return CveStep(feed, state, advisories, error, len(now_ids))
