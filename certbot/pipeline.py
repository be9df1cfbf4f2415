"""The poll cycle: fetch, parse, ingest in slices, then plan once.

`poll_many` fetches and parses a cycle's feeds concurrently (parsing in a worker thread, off
the event loop), runs the enrichment experts (`certbot.enrich`: the CVE records of the batch's
CVE ids join the batch as sibling advisories; NVD where a feed asks for it), then ingests it on
the store's writer thread in slices of at most `feed_cap.INGEST_SLICE` advisories, ONE
transaction each: a slice ingests its advisories and records the changed cases as pending
(`Cases.ingest_pending`); the slice that carries a feed's last advisory also saves that feed's
state. Planning then takes the pending cases in slices of `feed_cap.PLAN_SLICE`, each case
planned once per cycle (`certbot.planning.plan_case`; match and outbox in one transaction, I1)
and cleared from pending in the same transaction, so a crash between ingest and planning is
planned by the next cycle. Between slices the writer thread serves whatever waits (chat
commands, dispatch): it is never held by one big feed. A feed with more items than its
``max_items`` is cut (`certbot.feed_cap`, `certbot.sources.feed_items`): the rest come in later
polls, its ETag does not advance until they have, and the operator is told once per backlog.
A feed that fails is recorded in its feed state and told to the operator (once, again at 3 and
every 24 failures). Sending is `certbot.outbound.dispatch`'s job.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from certbot import enrich, feed_cap
from certbot.config import Config, FeedConfig
from certbot.enrich import cve as cve_expert
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


@dataclass
class SliceStat:
    """One writer-thread transaction of the cycle (the bench reads these)."""

    kind: str  # ingest | plan
    size: int  # advisories ingested or cases planned
    seconds: float  # on the writer thread
    committed: float  # time.monotonic() at commit


Owners = dict[str, str]  # case id -> the feed that first changed it this cycle
PerFeed = dict[str, tuple[list[CaseChange], int, int]]


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
        self.matcher = Matcher(config.subscribers, {f.id: f.kind for f in config.feeds})
        self._rejected: dict[str, list[dict[str, str]]] = {}
        self._capped: dict[str, feed_cap.Capped] = {}
        self._baseline: Baseline | None = None  # the cycle's first-run backlog (issue 11)
        self._noted: Config | None = None  # the config whose inventory is committed as seen
        self.slices: list[SliceStat] = []  # the last cycle's transactions
        self.on_slice: Callable[[SliceStat], None] | None = None  # bench/test hook

    async def poll_feed(self, feed: FeedConfig) -> FeedResult:
        return (await self.poll_many([feed]))[0]

    async def poll_many(self, feeds: list[FeedConfig]) -> list[FeedResult]:
        """Fetch and parse the feeds concurrently, then merge and plan them together.

        Planning after all feeds of one cycle are in means the same CVE arriving from NSM and
        KEV in one cycle is one alert, not an alert and an update.
        """
        self.store.store.check_file()  # deleted or replaced: DatabaseGone, no new work
        self.slices = []
        experts = [f for f in feeds if getattr(get_source(f.kind), "expert", False)]
        feeds = [f for f in feeds if not getattr(get_source(f.kind), "expert", False)]
        fetched = await asyncio.gather(*(self._fetch_parse(f) for f in feeds))
        batch = [
            (f, advs, state)
            for f, (res, advs, state) in zip(feeds, fetched, strict=True)
            if res.status == "ok"
        ]
        step = await self._cve_step(batch)
        if not batch:
            await self._plan_pending({}, {}, {})  # what a crash left between ingest and plan
        else:
            nvd: dict[str, Any] = {}
            cves = enrich.wanted_cves(batch)
            if cves:
                try:
                    nvd = await enrich.nvd_records(self.http, self.config, self.store, cves)
                except Exception:
                    log.exception("NVD enrichment failed; planning without it")
            planned = await self._ingest_then_plan(batch, nvd)
            for res, _, _ in fetched:
                if res.feed_id in planned:
                    res.changed_cases, res.planned, res.matches = planned[res.feed_id]
        await self._expert_health(step)
        fetched.extend((self._expert_result(f, step), [], None) for f in experts)
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

    async def _cve_step(
        self, batch: list[tuple[FeedConfig, list[Advisory], Any]]
    ) -> cve_expert.CveStep | None:
        """CVE records for the batch's CVE ids (and the ids still pending), added to the batch
        as the cve feed's advisories. Never fails the cycle: on any error the batch goes on."""
        try:
            step = await cve_expert.run(self.http, self.config, self.store, batch)
        except Exception:
            log.exception("CVE record enrichment failed; planning without it")
            return None
        if step is not None:
            batch.append((step.feed, step.advisories, None if step.error else step.state))
        return step

    async def _expert_health(self, step: cve_expert.CveStep | None) -> None:
        """The cve feed's state with the ids that failed; the operator is told only when no id
        got an answer (the API is down)."""
        if step is None or step.error is None:
            return
        await self.store.call(
            Store.save_feed_state, step.feed.id, step.state, now=self.clock(), error=step.error
        )
        if not step.advisories:
            await self.store.call(self._feed_health_alert, step.feed.id, step.error, self.clock())

    @staticmethod
    def _expert_result(feed: FeedConfig, step: cve_expert.CveStep | None) -> FeedResult:
        if step is None or step.feed.id != feed.id:
            return FeedResult(feed.id, "ok" if feed.enabled else "disabled")
        status = "error" if step.error and not step.advisories else "ok"
        return FeedResult(feed.id, status, advisories=len(step.advisories), error=step.error)

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
                fetched = await self._cap(source, feed, fetched)
                advisories.extend(await asyncio.to_thread(self._parse_all, source, feed, fetched))
        except CertbotError as exc:
            return await self._feed_failed(feed, f"{type(exc).__name__}: {exc}"), [], state
        except Exception as exc:
            log.exception("feed %s: unexpected error", feed.id)
            return (
                await self._feed_failed(feed, f"internal error ({type(exc).__name__})"),
                [],
                state,
            )
        capped = self._capped.get(feed.id)
        if capped is None or not capped.remaining:  # never advance past items not yet taken
            state.etag, state.last_modified = fetched.etag, fetched.last_modified
        if fetched.cursor is not None:
            state.cursor = fetched.cursor
        if capped is not None:
            capped.first = "backlog" not in state.cursor
            state.cursor = {**state.cursor, "backlog": capped.remaining}
            if not capped.remaining:
                del state.cursor["backlog"]
        return FeedResult(feed.id, "ok", advisories=len(advisories)), advisories, state

    def _parse_all(self, source: Any, feed: FeedConfig, fetched: Any) -> list[Advisory]:
        """Parse a single body, or each document of a multi-document source on its own: one
        bad document is rejected and reported; the others go on. CSAF documents come parsed
        (the fetch parsed each to check it)."""
        if not fetched.documents:
            if fetched.body is None:
                return []
            headers = {"headers": fetched.headers} if getattr(source, "reads_headers", 0) else {}
            return list(source.parse(fetched.body, feed, **headers))
        done = fetched.parsed is not None and len(fetched.parsed) == len(fetched.documents)
        out: list[Advisory] = list(fetched.parsed) if done else []
        rejected = list((fetched.cursor or {}).get("rejected", []))
        for i, doc in enumerate([] if done else fetched.documents):
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

    async def _cap(self, source: Any, feed: FeedConfig, fetched: Any) -> Any:
        """Cut a body with more than ``feed.max_items`` items to the next ones not yet taken
        (`certbot.feed_cap`); the parser then reads only those."""
        self._capped.pop(feed.id, None)
        split_items = getattr(source, "split_items", None)
        if split_items is None or fetched.body is None:
            return fetched
        parts = await asyncio.to_thread(split_items, fetched.body, fetched.headers)
        taken: set[str] = await self.store.call(Store.taken_items, feed.id)
        if len(parts.digests) <= feed.max_items and not taken:
            return fetched
        chosen, capped = feed_cap.choose(parts.digests, taken, feed.max_items)
        body = await asyncio.to_thread(parts.rebuild, chosen)
        self._capped[feed.id] = capped
        log.warning(
            "feed %s: %d items, %d taken this poll (max_items %d), %d left for later polls",
            feed.id, capped.total, capped.taken, feed.max_items, capped.remaining,
        )  # fmt: skip
        return dataclasses.replace(fetched, body=body)

    def _capped_feed_done(self, store: Store, feed: FeedConfig, now: datetime) -> None:
        """Remember what a capped feed's poll took; tell the operator once per backlog."""
        capped = self._capped.pop(feed.id, None)
        if capped is None:
            return
        if capped.remaining:
            store.add_taken_items(feed.id, capped.picked)
        else:
            store.clear_taken_items(feed.id)
        if capped.remaining and capped.first:
            text = (
                f"Feed {feed.id} has {capped.total} items, more than its max_items "
                f"({feed.max_items}): {capped.taken} taken now, the other {capped.remaining} "
                "in the next polls (newest first). Raise max_items if this is expected."
            )
            key = f"cap:{feed.id}:{now.date().isoformat()}"
            plan_operator(store, self.config, OperatorNotice(text, key=key), now)

    async def _ingest_then_plan(self, batch: list[Any], nvd: dict[str, Any]) -> PerFeed:
        """Ingest in slices, then plan the pending cases in slices (see the module doc)."""
        owner: Owners = {}
        out: PerFeed = {feed.id: ([], 0, 0) for feed, _, _ in batch}
        await self.store.call(self._start_baseline, [f.id for f, _, _ in batch], remember=True)
        for part in feed_cap.slices(batch):
            t0 = time.perf_counter()
            await self.store.call(self._ingest_slice, part, owner)
            self._record(SliceStat("ingest", part.size, time.perf_counter() - t0, time.monotonic()))
        # (a step that works on the cycle's changed cases before planning goes here)
        await self._plan_pending(nvd, owner, out)
        await self.store.call(self._flush_baseline)
        return out

    def _start_baseline(self, store: Store, feed_ids: list[str], *, remember: bool = False) -> None:
        """Before the first ingest slice saves any feed state: which feeds are polled for the
        first time and which inventory items are new (`certbot.planning.baseline`).

        ``remember`` (the poll path, whose transaction here is the writer thread's own): once
        committed, this config's inventory is known to be noted, so later polls with the same
        config skip reading every item key back (an idle poll at national load read 120,000).
        A reload brings a new config object, noted again."""
        config, fresh = self.config, self._noted is not self.config
        with store.tx():
            self._baseline = Baseline.start(store, config, feed_ids, self.clock(), inventory=fresh)
        if remember:
            self._noted = config

    def _flush_baseline(self, store: Store) -> None:
        """After the last plan slice: one "Status ved oppstart" per target with held rows."""
        baseline, self._baseline = self._baseline, None
        if baseline is not None:
            with store.tx():
                baseline.flush(store, self.config, self.clock())

    def _record(self, stat: SliceStat) -> None:
        self.slices.append(stat)
        if self.on_slice is not None:
            self.on_slice(stat)

    async def _plan_pending(self, nvd: dict[str, Any], owner: Owners, out: PerFeed) -> None:
        while True:
            t0 = time.perf_counter()
            n = await self.store.call(self._plan_slice, nvd, owner, out)
            if not n:
                return
            self._record(SliceStat("plan", n, time.perf_counter() - t0, time.monotonic()))

    def _ingest_slice(self, store: Store, part: feed_cap.Slice, owner: Owners) -> None:
        """One transaction: ingest a slice, record its changed cases as pending; a feed whose
        last advisories are in this slice gets its state saved here."""
        now = self.clock()
        with store.tx():
            for feed, advisories, state in part.parts:
                for change in store.ingest_pending(advisories, now=now):
                    owner.setdefault(change.case_id, feed.id)
                if state is None:
                    continue
                store.save_feed_state(feed.id, state, now=now)
                self._capped_feed_done(store, feed, now)
                for r in self._rejected.pop(feed.id, []):
                    text = (
                        f"Feed {feed.id}: document rejected (fail closed): {r.get('url')}: "
                        f"{r.get('reason')}"
                    )
                    key = f"reject:{feed.id}:{r.get('url')}:{r.get('reason')}"
                    plan_operator(store, self.config, OperatorNotice(text, key=key), now)

    def _plan_slice(self, store: Store, nvd: dict[str, Any], owner: Owners, out: PerFeed) -> int:
        """One transaction: plan up to `feed_cap.PLAN_SLICE` pending cases and clear them."""
        now = self.clock()
        with store.tx():
            pending = store.pending_changes(feed_cap.PLAN_SLICE)
            for change in pending:
                if nvd:
                    loaded = store.load_case(change.case_id)
                    if loaded is not None:
                        enrich.apply(store, change.case_id, loaded.cves, nvd)
                plan = plan_case(store, self.config, self.matcher, change, now, self._baseline)
                feed_id = owner.get(change.case_id)
                if feed_id in out:
                    cases, planned, matches = out[feed_id]
                    out[feed_id] = (
                        [*cases, change],
                        planned + plan.planned,
                        matches + plan.matched_subscribers,
                    )
            store.done_pending([c.case_id for c in pending])
        return len(pending)

    def _ingest_and_plan(
        self, feed: FeedConfig, advisories: list[Advisory], state: Any
    ) -> FeedResult:
        """One feed's batch, on the calling thread (tests run it on a synchronous store)."""
        batch = [(feed, advisories, state)]
        changed, planned, matches = self._ingest_and_plan_batch(self.store.store, batch)[feed.id]
        return FeedResult(feed.id, "ok", len(advisories), changed, planned, matches)

    def _ingest_and_plan_batch(
        self,
        store: Store,
        batch: list[tuple[FeedConfig, list[Advisory], Any]],
        nvd: dict[str, Any] | None = None,
    ) -> PerFeed:
        """The same slices as `poll_many`, run one after the other on the calling thread."""
        owner: Owners = {}
        out: PerFeed = {feed.id: ([], 0, 0) for feed, _, _ in batch}
        self._start_baseline(store, [f.id for f, _, _ in batch])
        for part in feed_cap.slices(batch):
            self._ingest_slice(store, part, owner)
        while self._plan_slice(store, nvd or {}, owner, out):
            pass
        self._flush_baseline(store)
        return out
