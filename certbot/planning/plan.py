"""Planning: from a case's matches to outbox rows, on the store's writer thread.

`plan_case` plans one new or materially changed case in ONE transaction (RELIABILITY.md I1):
for every municipality it concerns, the decision (priority, deadline), whether this is an
alert, an update or nothing new, then per target the TLP check at plan time, routing (digest
for P3/P4 where the target takes one, quiet hours for P2, the daily cap) and the
notification; the matches, the alert state and the deliveries are written together by
`Store.record_plan`. A TLP block, or a case with no known TLP label, is told to the operator
(`certbot.outbound.notices`). Sending is `certbot.outbound.dispatch`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from certbot import tlp as tlp_rules
from certbot.channels import channel_class
from certbot.config import Config, SubscriberConfig, TargetConfig
from certbot.match import Matcher
from certbot.model import TLP, Decision, Match, Priority
from certbot.outbound.links import action_links
from certbot.outbound.notices import OperatorNotice, plan_operator
from certbot.planning.baseline import Baseline
from certbot.planning.context import PlanContext
from certbot.planning.diff import ranges_moved
from certbot.planning.notify import build_notification
from certbot.priority import decide
from certbot.render import OSLO
from certbot.routing import digest_due, in_quiet_hours, quiet_hours_end
from certbot.store import CaseChange, Delivery, PlanRecord, Store, delivery_id, iso


@dataclass
class PlanResult:
    matched_subscribers: int = 0
    planned: int = 0
    blocked: int = 0


def plan_case(
    store: Store,
    config: Config,
    matcher: Matcher,
    change: CaseChange,
    now: datetime,
    baseline: Baseline | None = None,
) -> PlanResult:
    """Plan one changed case; a ``baseline`` (one per batch) holds first-run backlog rows for
    its onboarding message instead of sending them."""
    case = store.load_case(change.case_id)
    result = PlanResult()
    if case is None:
        return result
    if case.tlp is None:  # DOMAIN.md: routed as RED, and the operator is told (once per case)
        text = (
            f"{case.id} carries no TLP label or one certbot does not know "
            f"({', '.join(case.sources)}); it is routed as TLP:RED"
        )
        notice = OperatorNotice(text, key=f"tlp-unknown:{case.id}", tlp=TLP.RED, title=case.title)
        plan_operator(store, config, notice, now)
    if (marking := tlp_rules.text_marking_notice(case)) is not None:  # a stricter label in text
        # The notice names only ids and labels, none of the advisory's words (no title): it may
        # go to every operator target, so the operator learns of it even without RED clearance.
        key, text, _label = marking
        plan_operator(store, config, OperatorNotice(text, key=key, tlp=TLP.GREEN), now)
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
        ctx = PlanContext(store, config, case, change, sub, now, matches=by_sub.get(sub_id, []))
        _plan_subscriber(ctx, previous.get(sub_id), result, baseline)
    return result


def _plan_subscriber(
    ctx: PlanContext, prev: dict[str, Any] | None, result: PlanResult, baseline: Baseline | None
) -> None:
    """One municipality's part of a plan: the decision, what is new, one row per target."""
    if not ctx.matches and prev is None:
        return
    if ctx.matches:
        ctx.decision = decide(ctx.case, ctx.matches, ctx.sub, ctx.config.service.priority, ctx.now)
    kind, changes = _what_changed(ctx, prev)
    if kind is None:
        return
    ctx.kind, ctx.changes = kind, changes
    result.matched_subscribers += 1
    decision = ctx.decision
    ctx.priority = decision.priority if decision else Priority(prev["priority"] if prev else 4)
    deliveries = []
    backlog = baseline is not None and baseline.is_backlog(ctx)
    for target in ctx.sub.targets:
        row = _plan_target(ctx, target)
        if row is not None:
            if backlog and row.status != "blocked":
                assert baseline is not None
                baseline.hold(row)  # written now, folded into the onboarding message
            elif baseline is not None and baseline.bursts is not None:
                baseline.bursts.hold(ctx, row)  # written now, grouped per vendor at the end
            deliveries.append(row)
            result.blocked += row.status == "blocked"
    plan = PlanRecord(
        ctx.case.id,
        ctx.case.revision,
        ctx.sub.id,
        priority=int(ctx.priority),
        matches=[_match_row(m, decision) for m in ctx.matches],
        deliveries=deliveries,
    )
    result.planned += ctx.store.record_plan(plan, now=ctx.now)


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


def _what_changed(ctx: PlanContext, prev: dict[str, Any] | None) -> tuple[str | None, list[str]]:
    """'alert' for a first alert, 'update' with change codes for a material revision, or None."""
    case, decision = ctx.case, ctx.decision
    if prev is None:
        return ("alert", []) if not case.withdrawn else (None, [])
    if prev["revision"] == case.revision:
        return None, []
    codes = [
        c
        for c in ctx.change.changes
        if c in ("exploited", "severity_up", "remediation_changed", "withdrawn")
    ]
    if decision is not None and int(decision.priority) < int(prev["priority"]):
        codes.append("priority_up")
    old_items = {k.split("|")[0] for k in ctx.store.matched_items(case.id, ctx.sub.id)}
    if {str(m.item_index) for m in ctx.matches} - old_items:
        codes.append("new_items")
    if (last := ctx.store.last_notification(case.id, ctx.sub.id)) is not None:
        ctx.previous = (last.get("extra") or {}).get("state")
        if "new_products" in ctx.change.changes and ranges_moved(ctx, ctx.previous):
            codes.append("new_products")  # the range an item matched by changed
    return ("update", codes) if codes else (None, [])


def _plan_target(ctx: PlanContext, target: TargetConfig) -> Delivery | None:
    case, sub, priority = ctx.case, ctx.sub, ctx.priority
    if not target.takes_alerts:  # a leadership target (issue 14.4): the weekly report only
        return None
    if priority > target.min_priority and "withdrawn" not in ctx.changes:
        return None
    did = delivery_id(case.id, case.revision, sub.id, target.id)
    n = build_notification(ctx, target, did)
    if getattr(channel_class(target.kind), "signed_links", False) and (  # issue 5 links
        links := action_links(ctx.config, sub.id, case.id, ctx.now, target=target)
    ):
        n.extra["action_links"] = links
    row = Delivery.planned(n, target.kind)
    reason = tlp_rules.check(case.tlp, target, target_owner=sub.id, concerned=sub.id)
    if reason is not None:
        _block(ctx, row, reason)
    else:
        _route(ctx, target, row)
    return row


def _block(ctx: PlanContext, row: Delivery, reason: str) -> None:
    """TLP forbids this target: the row is kept as ``blocked``, audited, the operator told."""
    case, now = ctx.case, ctx.now
    row.status, row.last_error = "blocked", reason
    ctx.store.audit(
        "tlp_block",
        subscriber_id=ctx.sub.id,
        decision="blocked",
        detail={"delivery": row.id, "case": case.id, "target": row.target_id, "reason": reason},
        now=now,
    )
    text = (
        f"Blocked by TLP: delivery {row.id} of {case.id} to {ctx.sub.id}/{row.target_id}: {reason}"
    )
    notice = OperatorNotice(text, key=f"tlp:{row.id}", tlp=case.effective_tlp, title=case.title)
    plan_operator(ctx.store, ctx.config, notice, now)


def _only_a_score(ctx: PlanContext) -> bool:
    """An update whose only news is a higher score: the priority, the deadline and the items
    stay as they were, so nothing changes in what the municipality does; it waits for the
    digest instead of interrupting (a priority that rises is its own change, "priority_up")."""
    return ctx.kind == "update" and set(ctx.changes) == {"severity_up"}  # P1 keeps its path


def _route(ctx: PlanContext, target: TargetConfig, row: Delivery) -> None:
    """When the row goes: held for a digest (P3/P4 where the target takes one, a P2 update
    whose only news is a higher score, or over the daily cap), after quiet hours (P2), or now."""
    sub, priority, now, routing = ctx.sub, ctx.priority, ctx.now, ctx.config.service.routing
    if (
        priority >= Priority.P3 or (priority == Priority.P2 and _only_a_score(ctx))
    ) and target.digest:
        row.status = "digest"
        # Stored in UTC like every other time: the outbox compares them as text.
        row.due_at = iso(digest_due(routing, priority, now))
        return
    if priority == Priority.P2 and in_quiet_hours(sub.quiet_hours, now):
        row.next_attempt_at = (
            quiet_hours_end(sub.quiet_hours, now).astimezone(UTC).isoformat(timespec="seconds")
        )
    if priority >= Priority.P2:
        day_start = now.astimezone(OSLO).replace(hour=0, minute=0, second=0, microsecond=0)
        if ctx.store.immediate_count_since(sub.id, day_start) >= sub.daily_cap:
            row.status = "digest"
            row.due_at = iso(digest_due(routing, Priority.P3, now))
