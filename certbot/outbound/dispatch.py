"""Dispatch: drain the outbox. Send first, record second; retries, backoff, rate limits,
dead letters and the send-time TLP check live here and nowhere else.

For each due delivery: wait for the target's rate limiter and a concurrency slot, and only then
claim it (``sending``, committed, owned by this process instance), check TLP again against the
configuration as it is NOW, render, send, then record ``sent``. So a row in ``sending`` is one
that went, or was about to go, to the network (issue 12.6). A retryable failure is
rescheduled with capped exponential backoff and jitter, or after the platform's Retry-After if
that is longer; the target is paused until then so its other deliveries do not hammer it. A
permanent failure, or the last attempt, makes the delivery ``dead`` and plans an operator
notice. Targets are drained concurrently and independently (I4): one slow or failing target
never holds up another.

A delivery found in ``sending`` whose owner is dead (its lease expired, or its process is gone)
was interrupted between send and record: it is sent again (the channel may first look for it,
e.g. Slack metadata) and counted as an ``ambiguous_resend`` (I2). Rows claimed by another live
process are left to it, and a finish is recorded only while this process still holds the claim.

Claims and finished sends are group-committed (`certbot.outbound.group`): one writer-thread
transaction per batch of concurrent sends. A send keeps its slot until its record has
committed, so a crash re-sends at most ``concurrency`` sends (in flight or unrecorded).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiolimiter import AsyncLimiter

from certbot import faults
from certbot import tlp as tlp_rules
from certbot.channels import Channel
from certbot.config import OPERATOR, Config, TargetConfig
from certbot.errors import DeliveryError
from certbot.model import TLP, Notification
from certbot.outbound.group import GroupCommit
from certbot.outbound.notices import OperatorNotice, plan_operator
from certbot.planning import build_digests
from certbot.store import Delivery, Store, StoreThread, utcnow
from certbot.web.metrics import SEND_SECONDS

log = logging.getLogger("certbot.dispatch")

# Platform limits (DOMAIN.md "Channels"): messages per second per target.


@dataclass
class DispatchSummary:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    blocked: int = 0
    ambiguous_resends: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Job:
    """A claimed delivery that passed the send-time checks, with what sending it needs."""

    row: Delivery
    key: tuple[str, str]
    n: Notification
    target: TargetConfig
    channel: Channel


def backoff(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Capped exponential backoff with jitter: between half and all of base * 2^(attempt-1)."""
    raw = min(cap, base * (2 ** max(0, attempt - 1)))
    return raw * rng.uniform(0.5, 1.0)


class Dispatcher:
    def __init__(
        self,
        config: Config,
        store: StoreThread,
        channels: dict[str, Channel],
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        rate_limits: bool = True,
    ):
        self.config = config
        self.store = store
        self.channels = channels
        self.clock = clock
        self.rng = rng or random.Random()
        self.paused_until: dict[tuple[str, str], datetime] = {}
        self.limiters: dict[tuple[str, str], AsyncLimiter] = {}
        self.rate_limits = rate_limits
        self.owner: str | None = None  # the process instance id claims carry (App sets it)
        self._round = asyncio.Lock()
        self.wake = asyncio.Event()
        self.group = GroupCommit(store)

    def _limiter(self, key: tuple[str, str], channel: str) -> AsyncLimiter | None:
        if not self.rate_limits:
            return None
        if key not in self.limiters:
            rate = self.channels[channel].rate_per_second  # declared: register() checks it
            self.limiters[key] = AsyncLimiter(1, 1.0 / (rate or 0.0))
        return self.limiters[key]

    async def run_once(self, *, limit: int = 1000) -> DispatchSummary:
        """Send everything that is due now; return what happened.

        Rounds never overlap (the scheduler's tick and a wake-up after a poll share a lock), so
        a row still ``sending`` when a round starts was interrupted: by a crash before this
        process started, or by a failure to record (a full disk) in an earlier round. It is
        sent again and counted; nothing stays stuck in ``sending``.
        """
        async with self._round:
            return await self._run_once(limit)

    async def _run_once(self, limit: int) -> DispatchSummary:
        summary = DispatchSummary()
        n = await self.store.call(Store.recover_inflight, self.clock(), self.owner)
        if n:
            log.warning("%d deliveries were interrupted mid-send; re-sending (counted)", n)
        await self.store.call(build_digests, self.config, self.clock())
        rows = await self.store.call(Store.due_deliveries, self.clock(), limit)
        by_target: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
        for row in rows:
            by_target[(row.subscriber_id, row.target_id)].append(row)
        # Bounds the sends in flight, not the targets: a target waiting for its rate limiter
        # holds no slot, so the others are not queued behind it.
        sem = asyncio.Semaphore(self.config.service.dispatch.concurrency)

        async def drain(key: tuple[str, str], items: list[Delivery]) -> None:
            for row in items:  # one target's deliveries in order, one at a time
                paused = self.paused_until.get(key)
                if paused and paused > self.clock():
                    continue
                await self._one(row, key, summary, sem)

        await asyncio.gather(*(drain(k, v) for k, v in by_target.items()))
        # Operator notices planned by failures in this round go out in the same round.
        if summary.dead or summary.blocked:
            for row in await self.store.call(Store.due_deliveries, self.clock(), limit):
                if row.subscriber_id == OPERATOR:
                    await self._one(row, (OPERATOR, row.target_id), summary, sem)
        return summary

    async def _one(
        self,
        row: Delivery,
        key: tuple[str, str],
        summary: DispatchSummary,
        sem: asyncio.Semaphore,
    ) -> None:
        target = self.config.target(row.subscriber_id, row.target_id)
        channel = self.channels.get(target.kind) if target is not None else None
        limiter = self._limiter(key, target.kind) if target and channel else None
        if limiter is not None:
            await limiter.acquire()
        async with sem:
            self.group.enter()
            try:
                # Claimed only now that the limiter and the slot let it go: a row in `sending`
                # is one that went to the network (issue 12.6), never one still waiting.
                now, owner = self.clock(), self.owner
                claimed, tlp = await self.group.submit(lambda s: _claim(s, row, now, owner))
                if not claimed:
                    return  # someone else has it
                faults.crashpoint("after_claim")
                job = await self._prepare(row, key, target, tlp, summary)
                if job is not None:
                    await self._send(job, summary)
            finally:
                self.group.leave()

    async def _prepare(
        self,
        row: Delivery,
        key: tuple[str, str],
        target: TargetConfig | None,
        tlp: TLP | None,
        summary: DispatchSummary,
    ) -> _Job | None:
        """The send-time checks of a claimed delivery; None when it is not to be sent."""
        if target is None:
            await self._dead(row, "target is no longer configured", summary)
            return None
        # TLP again at send time (read with the claim): the clearance or the label may have
        # changed since planning.
        owner = row.subscriber_id
        reason = tlp_rules.check(tlp, target, target_owner=owner, concerned=owner)
        if reason is not None:
            await self.store.call(_block, self.config, row, reason, self.clock())
            summary.blocked += 1
            return None
        channel = self.channels.get(target.kind)
        if channel is None:
            await self._dead(row, f"no channel '{target.kind}' is available", summary)
            return None
        n = row.notice()
        if n.kind == "update" and n.case_id:
            ref = await self.store.call(Store.thread_ref, n.case_id, owner, target.id)
            if ref:
                n.extra["thread_ts"] = ref
        return _Job(row, key, n, target, channel)

    async def _send(self, job: _Job, summary: DispatchSummary) -> None:
        """Render and send one claimed delivery (its slot held), then record the outcome. An
        interrupted one (``ambiguous``) is first looked for where the channel can tell."""
        row, key, n, target, channel = job.row, job.key, job.n, job.target, job.channel
        ambiguous = bool(row.ambiguous)
        try:
            if ambiguous and channel.finds_sent:
                found = await channel.already_sent(channel.render(n, target), target)
                if found is not None:
                    await self._record_sent(row, found.external_id, False, summary)
                    return
            with SEND_SECONDS.labels(target.kind).time():
                sent = await channel.deliver(channel.render(n, target), target)
        except DeliveryError as exc:
            await self._failed(row, key, exc, summary)
            return
        except Exception as exc:
            log.exception("unexpected error delivering %s", row.id)
            await self._failed(row, key, DeliveryError(type(exc).__name__, retryable=True), summary)
            return
        faults.crashpoint("after_send")
        await self._record_sent(row, sent.external_id, ambiguous, summary)

    async def _record_sent(
        self, row: Delivery, external_id: str | None, ambiguous: bool, summary: DispatchSummary
    ) -> None:
        """Record a send in the next group commit (the slot is held until it is durable)."""
        now, owner = self.clock(), self.owner
        if await self.group.submit(
            lambda s: s.finish_sent(row.id, now, external_id, ambiguous=ambiguous, owner=owner)
        ):
            summary.sent += 1
            summary.ambiguous_resends += ambiguous
        else:
            log.warning("delivery %s was taken over by another instance; not recorded", row.id)

    async def _failed(
        self,
        row: Delivery,
        key: tuple[str, str],
        exc: DeliveryError,
        summary: DispatchSummary,
    ) -> None:
        attempts = row.attempts + 1
        max_attempts = self.config.service.dispatch.max_attempts
        message = str(exc)[:300]
        if exc.retryable and attempts < max_attempts:
            cfg = self.config.service.dispatch
            wait = backoff(attempts, cfg.backoff_base, cfg.backoff_cap, self.rng)
            if exc.retry_after is not None:
                wait = max(wait, float(exc.retry_after))
                self.paused_until[key] = self.clock() + timedelta(seconds=float(exc.retry_after))
            now, owner = self.clock(), self.owner
            retry_at = now + timedelta(seconds=wait)
            await self.group.submit(
                lambda s: s.finish_failed(
                    row.id, now, message, retry_at=retry_at, ambiguous=exc.ambiguous, owner=owner
                )
            )
            log.warning(
                "delivery %s to %s/%s failed (%s); retry in %.0f s",
                row.id,
                row.subscriber_id,
                row.target_id,
                message,
                wait,
            )
            summary.retried += 1
            return
        await self._dead(row, message, summary)

    async def _dead(self, row: Delivery, message: str, summary: DispatchSummary) -> None:
        await self.store.call(_mark_dead, self.config, row, message, (self.clock(), self.owner))
        summary.dead += 1
        summary.errors.append(f"{row.id}: {message}")


def _claim(
    store: Store, row: Delivery, now: datetime, owner: str | None
) -> tuple[bool, TLP | None]:
    """Claim ``row`` for ``owner`` and read its TLP as it is now (one group-commit op)."""
    if not store.claim(row.id, now, owner):
        return False, None
    return True, _current_tlp(store, row)


def _current_tlp(store: Store, row: Delivery) -> TLP | None:
    if not row.case_id:
        return TLP(row.tlp)
    found, current = store.case_tlp(row.case_id)
    if not found:
        return TLP(row.tlp)
    # Never lower than what was planned: a label can only tighten between plan and send.
    if current is None:
        return None
    return max(current, TLP(row.tlp))


def _audit(
    store: Store, row: Delivery, event: str, decision: str, now: datetime, **detail: str
) -> None:
    """The audit line of a delivery that ends here (blocked at send time, dead)."""
    detail = {"delivery": row.id, "target": row.target_id, **detail}
    store.audit(event, subscriber_id=row.subscriber_id, decision=decision, detail=detail, now=now)


def _block(store: Store, config: Config, row: Delivery, reason: str, now: datetime) -> None:
    with store.tx():
        store.set_status(row.id, "blocked", now, error=reason)
        _audit(store, row, "tlp_block_at_send", "blocked", now, reason=reason)
        text = (
            f"Blocked by TLP at send time: {row.id} to "
            f"{row.subscriber_id}/{row.target_id}: {reason}"
        )
        notice = OperatorNotice(text, key=f"tlpsend:{row.id}", tlp=TLP(row.tlp))
        plan_operator(store, config, notice, now)


def _mark_dead(
    store: Store, config: Config, row: Delivery, message: str, at: tuple[datetime, str | None]
) -> None:
    """Dead letter, audit and operator notice; nothing if the claim (``at``: when and whose)
    was taken over by another instance."""
    now, owner = at
    with store.tx():
        if not store.finish_failed(row.id, now, message, retry_at=None, owner=owner):
            log.warning("delivery %s was taken over by another instance; not recorded", row.id)
            return
        _audit(store, row, "delivery_dead", "dead", now, error=message)
        if row.subscriber_id == OPERATOR:
            log.critical("an operator notice could not be delivered: %s (%s)", row.id, message)
            return
        text = (
            f"Delivery {row.id} of {row.case_id or row.kind} to "
            f"{row.subscriber_id}/{row.target_id} is dead after {row.attempts + 1} "
            f"attempt(s): {message}"
        )
        plan_operator(
            store, config, OperatorNotice(text, key=f"dead:{row.id}", tlp=TLP(row.tlp)), now
        )
    log.error("delivery %s is dead: %s", row.id, message)
