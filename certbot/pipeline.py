"""The poll cycle: fetch, parse, ingest, then plan once.

`poll_many` fetches and parses a cycle's feeds concurrently on the event loop (through the
shared `Http`), looks up NVD enrichment where a feed asks for it, then hands the whole batch
to the store's writer thread: ONE transaction ingests every feed's advisories, saves each
feed's state and plans each changed case once (`certbot.planning.plan_case`). A feed that
fails is recorded in its feed state and told to the operator (once, again at 3 and every 24
failures). Sending is `certbot.outbound.dispatch`'s job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from certbot import enrich
from certbot.config import Config, FeedConfig
from certbot.errors import CertbotError
from certbot.match import Matcher
from certbot.model import Advisory
from certbot.outbound.notices import OperatorNotice, plan_operator
from certbot.planning import Baseline, plan_case
from certbot.sources import get_source
from certbot.store import CaseChange, Store, StoreThread, utcnow

log = logging.getLogger("certbot.pipeline")


@dataclass
class FeedResult:
    feed_id: str
    status: str  # ok | not_modified | error | disabled
    advisories: int = 0
    changed_cases: list[CaseChange] = field(default_factory=list)
    planned: int = 0
    matches: int = 0
    error: str | None = None


class Pipeline:
    def __init__(
        self,
        config: Config,
        store: StoreThread,
        http: Any,
        *,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.config = config
        self.store = store
        self.http = http
        self.clock = clock
        self.matcher = Matcher(config.subscribers)
        self._rejected: dict[str, list[dict[str, str]]] = {}

    async def poll_feed(self, feed: FeedConfig) -> FeedResult:
        return (await self.poll_many([feed]))[0]

    async def poll_many(self, feeds: list[FeedConfig]) -> list[FeedResult]:
        """Fetch and parse the feeds concurrently, then merge and plan them together.

        Planning after all feeds of one cycle are in means the same CVE arriving from NSM and
        KEV in one cycle is one alert, not an alert and an update.
        """
        fetched = await asyncio.gather(*(self._fetch_parse(f) for f in feeds))
        batch = [
            (f, advs, state)
            for f, (res, advs, state) in zip(feeds, fetched, strict=True)
            if res.status == "ok"
        ]
        if batch:
            nvd: dict[str, Any] = {}
            cves = enrich.wanted_cves(batch)
            if cves:
                try:
                    nvd = await enrich.nvd_records(self.http, self.config, self.store, cves)
                except Exception:
                    log.exception("NVD enrichment failed; planning without it")
            planned = await self.store.call(self._ingest_and_plan_batch, batch, nvd)
            for res, _, _ in fetched:
                if res.feed_id in planned:
                    res.changed_cases, res.planned, res.matches = planned[res.feed_id]
        for res, _, _ in fetched:
            if res.status == "ok":
                log.info(
                    "feed %s: %d advisories, %d new or changed cases, %d deliveries planned",
                    res.feed_id,
                    res.advisories,
                    len(res.changed_cases),
                    res.planned,
                )
        return [res for res, _, _ in fetched]

    async def _fetch_parse(self, feed: FeedConfig) -> tuple[FeedResult, list[Advisory], Any]:
        if not feed.enabled:
            return FeedResult(feed.id, "disabled"), [], None
        source = get_source(feed.kind)
        state = await self.store.feed_state(feed.id)
        advisories: list[Advisory] = []
        try:
            fetched = await source.fetch(feed, self.http, state)
            if fetched.not_modified:
                await self.store.call(Store.save_feed_state, feed.id, state, now=self.clock())
                return FeedResult(feed.id, "not_modified"), [], state
            if source.enrichment:
                await self._enrich(source, feed, fetched)
            else:
                advisories.extend(self._parse_all(source, feed, fetched))
        except CertbotError as exc:
            return await self._feed_failed(feed, f"{type(exc).__name__}: {exc}"), [], state
        except Exception as exc:
            log.exception("feed %s: unexpected error", feed.id)
            return (
                await self._feed_failed(feed, f"internal error ({type(exc).__name__})"),
                [],
                state,
            )
        state.etag, state.last_modified = fetched.etag, fetched.last_modified
        if fetched.cursor is not None:
            state.cursor = fetched.cursor
        return FeedResult(feed.id, "ok", advisories=len(advisories)), advisories, state

    def _parse_all(self, source: Any, feed: FeedConfig, fetched: Any) -> list[Advisory]:
        """Parse a single body, or each document of a multi-document source on its own: one
        bad document is rejected and reported; the others go on."""
        if not fetched.documents:
            if fetched.body is None:
                return []
            if source.reads_headers:
                return list(source.parse(fetched.body, feed, headers=fetched.headers))
            return list(source.parse(fetched.body, feed))
        out: list[Advisory] = []
        rejected = list((fetched.cursor or {}).get("rejected", []))
        for i, doc in enumerate(fetched.documents):
            try:
                out.extend(source.parse(doc, feed))
            except CertbotError as exc:
                log.error("feed %s: document %d rejected: %s", feed.id, i, exc)
                rejected.append({"url": f"document {i}", "reason": str(exc)[:300]})
        if rejected:
            self._rejected[feed.id] = rejected
        return out

    async def _feed_failed(self, feed: FeedConfig, error: str) -> FeedResult:
        log.warning("feed %s failed: %s", feed.id, error)
        now = self.clock()
        await self.store.call(Store.save_feed_state, feed.id, None, now=now, error=error)
        await self.store.call(self._feed_health_alert, feed.id, error, now)
        return FeedResult(feed.id, "error", error=error)

    async def _enrich(self, source: Any, feed: FeedConfig, fetched: Any) -> None:
        hook = getattr(source, "enrich", None)
        if hook is not None and fetched.body is not None:
            await self.store.call(hook, fetched.body, feed)

    def _feed_health_alert(self, store: Store, feed_id: str, error: str, now: datetime) -> None:
        failures = store.feed_failures(feed_id)
        if failures in (1, 3) or failures % 24 == 0:  # tell once, again if it persists; no flood
            text = f"Feed {feed_id} failed ({failures}x): {error}"
            notice = OperatorNotice(text, key=f"feed:{feed_id}:{failures}")
            plan_operator(store, self.config, notice, now)

    def _ingest_and_plan(
        self, feed: FeedConfig, advisories: list[Advisory], state: Any
    ) -> FeedResult:
        """One feed's batch, on the writer thread (tests run it with ``store.run``)."""
        batch = [(feed, advisories, state)]
        changed, planned, matches = self._ingest_and_plan_batch(self.store.store, batch)[feed.id]
        return FeedResult(feed.id, "ok", len(advisories), changed, planned, matches)

    def _ingest_and_plan_batch(
        self,
        store: Store,
        batch: list[tuple[FeedConfig, list[Advisory], Any]],
        nvd: dict[str, Any] | None = None,
    ) -> dict[str, tuple[list[CaseChange], int, int]]:
        """One transaction: ingest every feed's advisories, plan each changed case once."""
        now = self.clock()
        out: dict[str, tuple[list[CaseChange], int, int]] = {}
        with store.tx():
            baseline = Baseline.start(store, self.config, [f.id for f, _, _ in batch], now)
            changed: dict[str, CaseChange] = {}
            owner: dict[str, str] = {}
            for feed, advisories, state in batch:
                for change in store.ingest(advisories, now=now):
                    if change.case_id in changed:
                        prev = changed[change.case_id]
                        prev.changes = sorted(set(prev.changes) | set(change.changes))
                        prev.new = prev.new or change.new
                    else:
                        changed[change.case_id] = change
                        owner[change.case_id] = feed.id
                store.save_feed_state(feed.id, state, now=now)
                out[feed.id] = ([], 0, 0)
                for r in self._rejected.pop(feed.id, []):
                    text = (
                        f"Feed {feed.id}: document rejected (fail closed): {r.get('url')}: "
                        f"{r.get('reason')}"
                    )
                    key = f"reject:{feed.id}:{r.get('url')}:{r.get('reason')}"
                    plan_operator(store, self.config, OperatorNotice(text, key=key), now)
            for case_id, change in changed.items():
                if nvd:
                    loaded = store.load_case(case_id)
                    if loaded is not None:
                        enrich.apply(store, case_id, loaded.cves, nvd)
                plan = plan_case(store, self.config, self.matcher, change, now, baseline)
                cases, planned, matches = out[owner[case_id]]
                out[owner[case_id]] = (
                    [*cases, change],
                    planned + plan.planned,
                    matches + plan.matched_subscribers,
                )
            baseline.flush(store, self.config, now)  # one "Status ved oppstart" per target
        return out
