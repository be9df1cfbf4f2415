"""From feed to outbox: poll one feed, merge into cases, match, decide, plan deliveries.

`poll_feed` is the async edge (fetch through the shared `Http`, parse, then hand everything to
the store thread). `plan_case` runs on the store's writer thread and does the whole plan for a
case in ONE transaction: matches, alert state and outbox rows (RELIABILITY.md I1), after the TLP
check at plan time. Sending is `dispatch`'s job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from certbot import enrich
from certbot import tlp as tlp_rules
from certbot.channels import channel_class
from certbot.config import OPERATOR, Config, FeedConfig, SubscriberConfig, TargetConfig
from certbot.errors import CertbotError
from certbot.match import Matcher
from certbot.model import TLP, Advisory, Case, Decision, Match, Notification, Priority
from certbot.priority import decide
from certbot.render import OSLO
from certbot.routing import digest_due, in_quiet_hours, quiet_hours_end
from certbot.sources import get_source
from certbot.store import AsyncStore, CaseChange, Store, delivery_id, iso, utcnow

log = logging.getLogger("certbot.pipeline")

CHANGE_TEXT = {
    "nb": {
        "exploited": "Sårbarheten er nå kjent utnyttet",
        "severity_up": "Alvorlighetsgraden er økt",
        "new_products": "Flere produkter er berørt",
        "remediation_changed": "Rettelse eller tiltak er endret",
        "withdrawn": "Varselet er trukket tilbake av kilden",
        "tlp_changed": "TLP-merkingen er endret",
        "priority_up": "Prioriteten er økt for dere",
        "new_items": "Flere av deres produkter er berørt",
    },
    "en": {
        "exploited": "The vulnerability is now known to be exploited",
        "severity_up": "The severity has increased",
        "new_products": "More products are affected",
        "remediation_changed": "The fix or mitigation has changed",
        "withdrawn": "The advisory has been withdrawn by its source",
        "tlp_changed": "The TLP marking has changed",
        "priority_up": "The priority has increased for you",
        "new_items": "More of your products are affected",
    },
}


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
class PlanResult:
    matched_subscribers: int = 0
    planned: int = 0
    blocked: int = 0


class Pipeline:
    def __init__(
        self,
        config: Config,
        store: AsyncStore,
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
                    nvd = await enrich.nvd_records(
                        self.http, self.config, self.store.store.path, cves
                    )
                except Exception:
                    log.exception("NVD enrichment failed; planning without it")
            planned = await self.store.run(self._ingest_and_plan_many, batch, nvd)
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
                await self.store.save_feed_state(feed.id, state, now=self.clock())
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
            return list(source.parse(fetched.body, feed)) if fetched.body is not None else []
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
        await self.store.save_feed_state(feed.id, None, now=now, error=error)
        await self.store.run(self._feed_health_alert, feed.id, error, now)
        return FeedResult(feed.id, "error", error=error)

    async def _enrich(self, source: Any, feed: FeedConfig, fetched: Any) -> None:
        hook = getattr(source, "enrich", None)
        if hook is not None and fetched.body is not None:
            await self.store.run(hook, self.store.store, fetched.body, feed)

    def _feed_health_alert(self, feed_id: str, error: str, now: datetime) -> None:
        store = self.store.store
        rows = store.db.query("SELECT failures FROM feed_state WHERE feed_id = ?", [feed_id])
        row = next(iter(rows), None)
        failures = row["failures"] if row else 1
        if failures in (1, 3) or failures % 24 == 0:  # tell once, again if it persists; no flood
            plan_operator(
                store,
                self.config,
                f"Feed {feed_id} failed ({failures}x): {error}",
                now,
                key=f"feed:{feed_id}:{failures}",
            )

    def _ingest_and_plan(
        self, feed: FeedConfig, advisories: list[Advisory], state: Any
    ) -> FeedResult:
        changed, planned, matches = self._ingest_and_plan_many([(feed, advisories, state)])[feed.id]
        return FeedResult(feed.id, "ok", len(advisories), changed, planned, matches)

    def _ingest_and_plan_many(
        self, batch: list[tuple[FeedConfig, list[Advisory], Any]], nvd: dict[str, Any] | None = None
    ) -> dict[str, tuple[list[CaseChange], int, int]]:
        """One transaction: ingest every feed's advisories, plan each changed case once."""
        store = self.store.store
        now = self.clock()
        out: dict[str, tuple[list[CaseChange], int, int]] = {}
        with store.tx():
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
                    plan_operator(
                        store,
                        self.config,
                        f"Feed {feed.id}: document rejected (fail closed): {r.get('url')}: "
                        f"{r.get('reason')}",
                        now,
                        key=f"reject:{feed.id}:{r.get('url')}:{r.get('reason')}",
                    )
            for case_id, change in changed.items():
                if nvd:
                    loaded = store.load_case(case_id)
                    if loaded is not None:
                        enrich.apply(store, case_id, loaded.cves, nvd)
                plan = plan_case(store, self.config, self.matcher, change, now)
                cases, planned, matches = out[owner[case_id]]
                out[owner[case_id]] = (
                    [*cases, change],
                    planned + plan.planned,
                    matches + plan.matched_subscribers,
                )
        return out


# --- planning (runs on the store thread, inside a transaction) ------------------------------


def plan_case(
    store: Store, config: Config, matcher: Matcher, change: CaseChange, now: datetime
) -> PlanResult:
    case = store.load_case(change.case_id)
    result = PlanResult()
    if case is None:
        return result
    if case.tlp is None:  # DOMAIN.md: routed as RED, and the operator is told (once per case)
        plan_operator(
            store,
            config,
            f"{case.id} carries no TLP label or one certbot does not know "
            f"({', '.join(case.sources)}); it is routed as TLP:RED",
            now,
            key=f"tlp-unknown:{case.id}",
            tlp=TLP.RED,
            title=case.title,
        )
    if case.epss is None and (known := store.epss_for(case.cves)) is not None:
        case.enrichment["epss"], case.enrichment["epss_percentile"] = known
        store.set_enrichment(case.id, "epss", known[0])
    previous = store.alert_states(case.id)
    by_sub = matcher.match(case)
    subs = _subscribers_by_id(config)
    targets_of = set(by_sub) | ({k for k in previous} if "withdrawn" in change.changes else set())
    for sub_id in sorted(targets_of):
        sub = subs.get(sub_id)
        if sub is None:
            continue
        matches = by_sub.get(sub_id, [])
        prev = previous.get(sub_id)
        if not matches and prev is None:
            continue
        decision = decide(case, matches, sub, config.service.priority, now) if matches else None
        kind, changes = _what_changed(store, case, change, sub, matches, decision, prev)
        if kind is None:
            continue
        result.matched_subscribers += 1
        priority = decision.priority if decision else Priority(prev["priority"] if prev else 4)
        deliveries = []
        for target in sub.targets:
            row = _plan_target(
                store, config, case, sub, target, matches, decision, priority, kind, changes, now
            )
            if row is not None:
                deliveries.append(row)
                result.blocked += row["status"] == "blocked"
        result.planned += store.record_plan(
            case.id,
            case.revision,
            sub.id,
            priority=int(priority),
            matches=[_match_row(m, decision) for m in matches],
            deliveries=deliveries,
            now=now,
        )
    return result


_by_id: tuple[Config, dict[str, SubscriberConfig]] | None = None


def _subscribers_by_id(config: Config) -> dict[str, SubscriberConfig]:
    """id -> subscriber, built once per configuration rather than once per case planned."""
    global _by_id
    cached = _by_id
    if cached is None or cached[0] is not config:
        cached = _by_id = (config, {s.id: s for s in config.subscribers})
    return cached[1]


def _match_row(m: Match, d: Decision | None) -> dict[str, Any]:
    return {
        "item": m.item,
        "item_index": m.item_index,
        "rule": m.rule,
        "confidence": m.confidence,
        "source": m.source,
        "entry": m.entry,
        "detail": m.detail,
        "priority": int(d.priority) if d else None,
        "deadline": d.deadline.isoformat() if d and d.deadline else None,
    }


def _what_changed(
    store: Store,
    case: Case,
    change: CaseChange,
    sub: SubscriberConfig,
    matches: list[Match],
    decision: Decision | None,
    prev: dict[str, Any] | None,
) -> tuple[str | None, list[str]]:
    """'alert' for a first alert, 'update' with change codes for a material revision, or None."""
    if prev is None:
        return ("alert", []) if not case.withdrawn else (None, [])
    if prev["revision"] == case.revision:
        return None, []
    codes = [
        c
        for c in change.changes
        if c in ("exploited", "severity_up", "remediation_changed", "withdrawn")
    ]
    if decision is not None and int(decision.priority) < int(prev["priority"]):
        codes.append("priority_up")
    old_items = {k.split("|")[0] for k in store.matched_items(case.id, sub.id)}
    if {str(m.item_index) for m in matches} - old_items:
        codes.append("new_items")
    return ("update", codes) if codes else (None, [])


def _plan_target(
    store: Store,
    config: Config,
    case: Case,
    sub: SubscriberConfig,
    target: TargetConfig,
    matches: list[Match],
    decision: Decision | None,
    priority: Priority,
    kind: str,
    changes: list[str],
    now: datetime,
) -> dict[str, Any] | None:
    if priority > target.min_priority and "withdrawn" not in changes:
        return None
    did = delivery_id(case.id, case.revision, sub.id, target.id)
    n = build_notification(did, kind, case, sub, target, matches, decision, priority, changes)
    if getattr(channel_class(target.kind), "signed_links", False):  # ack/status links (issue 5)
        from certbot.inbound.links import action_links

        if links := action_links(config, sub.id, case.id, now):
            n.extra["action_links"] = links
    row: dict[str, Any] = {
        "id": did,
        "case_id": case.id,
        "revision": case.revision,
        "subscriber_id": sub.id,
        "target_id": target.id,
        "channel": target.kind,
        "kind": kind,
        "priority": int(priority),
        "tlp": int(case.effective_tlp),
        "status": "pending",
        "notification": n,
    }
    reason = tlp_rules.check(case.tlp, target, target_owner=sub.id, concerned=sub.id)
    if reason is not None:
        row["status"] = "blocked"
        row["last_error"] = reason
        store.audit(
            "tlp_block",
            subscriber_id=sub.id,
            decision="blocked",
            detail={"delivery": did, "case": case.id, "target": target.id, "reason": reason},
            now=now,
        )
        plan_operator(
            store,
            config,
            f"Blocked by TLP: delivery {did} of {case.id} to {sub.id}/{target.id}: {reason}",
            now,
            key=f"tlp:{did}",
            tlp=case.effective_tlp,
            title=case.title,
        )
        return row
    if priority >= Priority.P3 and target.digest:
        row["status"] = "digest"
        # Stored in UTC like every other time: the outbox compares them as text.
        row["due_at"] = iso(digest_due(config.service.routing, priority, now))
        return row
    if priority == Priority.P2 and in_quiet_hours(sub.quiet_hours, now):
        row["next_attempt_at"] = (
            quiet_hours_end(sub.quiet_hours, now).astimezone(UTC).isoformat(timespec="seconds")
        )
    if priority >= Priority.P2:
        day_start = now.astimezone(OSLO).replace(hour=0, minute=0, second=0, microsecond=0)
        if store.immediate_count_since(sub.id, day_start) >= sub.daily_cap:
            row["status"] = "digest"
            row["due_at"] = iso(digest_due(config.service.routing, Priority.P3, now))
    return row


def build_notification(
    did: str,
    kind: str,
    case: Case,
    sub: SubscriberConfig,
    target: TargetConfig,
    matches: list[Match],
    decision: Decision | None,
    priority: Priority,
    changes: list[str],
) -> Notification:
    lang = sub.language
    # Title and summary in the municipality's own language where a source speaks it (NSM's
    # bokmål text rather than KEV's English for the same CVE).
    own = [a for a in case.advisories if a.language == lang and a.title]
    primary = own[0] if own else case.primary
    return Notification(
        delivery_id=did,
        kind=kind,  # type: ignore[arg-type]
        language=lang,
        subscriber_id=sub.id,
        subscriber_name=sub.name,
        target_id=target.id,
        tlp=case.effective_tlp,
        priority=priority,
        title=primary.title,
        case_id=case.id,
        revision=case.revision,
        cves=list(case.cves),
        deadline=decision.deadline if decision else None,
        matched=[m.summary() for m in matches],
        reasons=list(decision.reasons) if decision else [],
        actions=list(decision.actions) if decision else [],
        links=case.urls[:5],
        summary=primary.summary[:1500],
        changes=[CHANGE_TEXT.get(lang, CHANGE_TEXT["en"]).get(c, c) for c in changes],
        extra={
            "sources": case.sources,
            "exploited": case.exploited,
            "tlp_unknown": case.tlp is None,
        },
    )


def plan_operator(
    store: Store,
    config: Config,
    text: str,
    now: datetime,
    *,
    key: str,
    tlp: TLP = TLP.CLEAR,
    title: str | None = None,
) -> int:
    """Tell the sector response team (dead deliveries, TLP blocks, feed health).

    The notice itself obeys TLP: an operator target not cleared for the advisory's label gets
    the notice without the advisory's title.
    """
    planned = 0
    if not config.service.operator_targets:
        log.error("operator notice (no operator target configured): %s", text)
        store.audit("operator_notice", decision="no_target", detail=text, now=now)
        return 0
    for target in config.service.operator_targets:
        cleared = tlp_rules.check(tlp, target, target_owner=OPERATOR, concerned=OPERATOR) is None
        shown_title = (title or text) if cleared else "(innhold holdt tilbake av TLP)"
        did = delivery_id("operator", key, target.id)
        n = Notification(
            delivery_id=did,
            kind="operator",
            language="nb",
            subscriber_id=OPERATOR,
            subscriber_name="Sektorresponsmiljøet",
            target_id=target.id,
            tlp=tlp if cleared else TLP.CLEAR,
            priority=None,
            title=shown_title[:300],
            summary=text
            if cleared
            else "Et varsel ble holdt tilbake; se `deliveries --status blocked`.",
        )
        planned += store.add_delivery(
            {
                "id": did,
                "subscriber_id": OPERATOR,
                "target_id": target.id,
                "channel": target.kind,
                "kind": "operator",
                "priority": 1,
                "tlp": int(n.tlp),
                "status": "pending",
                "notification": n,
            },
            now=now,
        )
    return planned
