"""Reading the overview for one viewer: the store's rows as response models, bounded by TLP.

Contract: `Reader(store, config, viewer, now)` is what the JSON API and the web pages call;
every method goes through the writer thread (``store.call``), returns `certbot.web.models`
objects and has already applied the viewer's clearance (`Restricted.bounded`) and, for a
municipality-scoped viewer, its municipality (rows of other municipalities are never read).
A municipality-scoped viewer asking for another municipality is the caller's 403: use
`Reader.scope`, which raises `OutOfScope`. A case list or sector summary that took `SLOW`
seconds or more to read is reused for `TTL` seconds (`slow_cached`): at tens of thousands of
alerts these reads take seconds of the writer thread, which chat commands share.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar
from weakref import WeakKeyDictionary

from certbot.config import COUNTIES, Config
from certbot.inbound.clearance import incident_label
from certbot.model import TLP
from certbot.sources import csaf_retry
from certbot.store import Store, StoreThread, iso
from certbot.store.overview import CaseFilter, RowFilter
from certbot.web.models import (
    AckEvent,
    AckOut,
    CaseDetail,
    CaseSummary,
    DeliveryOut,
    FeedStatus,
    IncidentEvent,
    IncidentOut,
    MatchedItem,
    MunicipalityMatch,
    PriorityCount,
    R,
    RollUp,
    SectorSummary,
    TrendDay,
    Viewer,
    label_of,
)

T = TypeVar("T")
MAX_ROWS = 1_000_000  # "all" for the summary's own reads
# A sector-wide read that took SLOW seconds or more on the writer thread (tens of thousands of
# alerts) is reused for TTL seconds, so dashboards polling it do not hold up chat commands.
SLOW = 0.5
TTL = 30.0
MAX_CACHED = 256
_slow_reads: WeakKeyDictionary[StoreThread, dict[Any, tuple[float, Any]]] = WeakKeyDictionary()


async def slow_cached(store: StoreThread, key: Any, compute: Callable[[], Awaitable[T]]) -> T:
    """``await compute()``, or its answer of the last TTL seconds if that took SLOW or more."""
    entries = _slow_reads.setdefault(store, {})
    hit = entries.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        cached: T = hit[1]
        return cached
    value = await compute()
    done = time.monotonic()
    if done - now >= SLOW:
        for k in [k for k, (until, _) in entries.items() if until <= done]:
            del entries[k]
        if len(entries) < MAX_CACHED:
            entries[key] = (done + TTL, value)
    return value


class OutOfScope(PermissionError):
    """A municipality-scoped viewer asked for another municipality (or its county)."""


def county_id(sub_id: str) -> str:
    """A municipality's county number: the first two digits of its kommunenummer."""
    return sub_id[:2]


def county_name(number: str) -> str:
    names = COUNTIES.get(number)
    return names[0] if names else number


def verdict(rule: str | None, confidence: str | None) -> Literal["affected", "possibly_affected"]:
    """A stored match's verdict (`certbot.model.Match.verdict`, from its rule and confidence):
    a versioned rule at high confidence, or a prose sentence at medium, confirms."""
    if confidence == "high" or (rule == "text" and confidence == "medium"):
        return "affected"
    return "possibly_affected"


def _tlp(rank: Any) -> TLP:
    return TLP.RED if rank is None else TLP(int(rank))


def _delivery_extras(r: dict[str, Any]) -> dict[str, Any]:
    return {"tlp": label_of(TLP(r["tlp"]))}


def _ack_extras(r: dict[str, Any]) -> dict[str, Any]:
    history = [AckEvent(**{k: e.get(k) for k in AckEvent.model_fields}) for e in r["history"]]
    return {"history": history, "tlp": label_of(_tlp(r["tlp"]))}


def _incident_extras(r: dict[str, Any]) -> dict[str, Any]:
    related = [str(a) for a in r["related_advisories"]]
    history = [IncidentEvent(**h) for h in r["history"]]
    return {"related_advisories": related, "history": history, "tlp": label_of(incident_label(r))}


@dataclass
class Reader:
    store: StoreThread
    config: Config
    viewer: Viewer
    now: datetime

    @property
    def _now(self) -> str:
        return iso(self.now) or ""

    def _names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.config.subscribers}

    def scope(
        self, municipality: str | None = None, county: str | None = None
    ) -> tuple[str, ...] | None:
        """The municipalities a read covers: the viewer's own, narrowed by ``municipality``
        or ``county`` (a county number); `OutOfScope` when they leave the viewer's."""
        own = self.viewer.municipality
        if municipality is not None and not self.viewer.may_read(municipality):
            raise OutOfScope(municipality)
        if county is not None and own is not None and own[:2] != county:
            raise OutOfScope(county)
        if municipality is not None:
            return (municipality,)
        if own is not None:
            return (own,)
        if county is not None:
            return tuple(sorted(s.id for s in self.config.subscribers if s.id[:2] == county))
        return None

    # --- cases ----------------------------------------------------------------------------

    def _summary(self, row: dict[str, Any]) -> CaseSummary:
        return CaseSummary(
            id=row["case_id"],
            title=row["title"],
            tlp=label_of(_tlp(row["tlp"])),
            priority=row["priority"],
            revision=row["revision"],
            updated_at=row["updated_at"],
            sources=row["sources"],
            municipalities=row["municipalities"],
            acknowledged=row["acknowledged"],
            patched=row["patched"],
            not_affected=row["not_affected"],
            overdue=row["overdue"],
            first_deadline=row["first_deadline"],
        ).bounded(self.viewer)

    async def cases(
        self, flt: CaseFilter, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[CaseSummary], int]:
        rows, total = await slow_cached(
            self.store,
            ("cases", flt, limit, offset),
            lambda: self.store.call(
                Store.case_summaries, self._now, flt, limit=limit, offset=offset
            ),
        )
        return [self._summary(r) for r in rows], total

    async def case(self, case_id: str) -> CaseDetail | None:
        """One case with its matches per municipality; None when it was never alerted to a
        municipality this viewer may read."""
        subs = self.scope()
        rows, _ = await self.store.call(
            Store.case_summaries, self._now, CaseFilter(subscribers=subs, case_id=case_id)
        )
        if not rows:
            return None
        matches = await self.store.call(Store.case_matches, case_id, self._now, subs)
        names = self._names()
        summary = self._summary(rows[0])
        detail = CaseDetail(
            **summary.model_dump(),
            matches=[
                MunicipalityMatch(
                    subscriber_id=m["subscriber_id"],
                    name=names.get(m["subscriber_id"]),
                    county=county_name(county_id(m["subscriber_id"])),
                    priority=m["priority"],
                    deadline=m["deadline"],
                    status=m["status"] or "not_remediated",
                    overdue=m["overdue"],
                    status_at=m["status_at"],
                    alerted_at=m["created_at"],
                    items=[
                        MatchedItem(
                            item=i["item"],
                            verdict=verdict(i["rule"], i["confidence"]),
                            confidence=i["confidence"],
                            rule=i["rule"],
                            source=i["source"],
                        )
                        for i in m["items"]
                    ],
                )
                for m in matches
            ],
        )
        if summary.withheld:  # the per-municipality rows name no advisory text; keep them
            detail.title = None
        return detail

    # --- outbox, acks, incidents ----------------------------------------------------------

    def _bounded(self, model: type[R], row: dict[str, Any], **values: Any) -> R:
        """``model`` from the row's columns of the same names (``values`` win), as this
        viewer may see it."""
        fields = {k: row[k] for k in model.model_fields if k in row and k not in values}
        return model(**fields, **values).bounded(self.viewer)

    async def _listing(
        self,
        page: Callable[..., tuple[list[dict[str, Any]], int]],
        model: type[R],
        extras: Callable[[dict[str, Any]], dict[str, Any]],
        flt: RowFilter,
        at: tuple[int, int],
    ) -> tuple[list[R], int]:
        """One page (``at``: limit, offset) of a store listing, each row as ``model`` with the
        fields ``extras`` derives from it, and the total."""
        rows, total = await self.store.call(page, flt, limit=at[0], offset=at[1])
        return [self._bounded(model, r, **extras(r)) for r in rows], total

    async def deliveries(
        self, flt: RowFilter, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[DeliveryOut], int]:
        extras = _delivery_extras
        return await self._listing(Store.delivery_page, DeliveryOut, extras, flt, (limit, offset))

    async def acks(
        self, flt: RowFilter, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[AckOut], int]:
        return await self._listing(Store.ack_page, AckOut, _ack_extras, flt, (limit, offset))

    async def incidents(
        self, flt: RowFilter, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[IncidentOut], int]:
        extras = _incident_extras
        return await self._listing(Store.incident_page, IncidentOut, extras, flt, (limit, offset))

    # --- feeds and the summary ------------------------------------------------------------

    async def feeds(self) -> list[FeedStatus]:
        rows = await self.store.call(Store.feed_rows)
        out = []
        for feed in self.config.feeds:
            r = rows.get(feed.id, {})
            polled = r.get("last_polled")
            nxt = (
                datetime.fromisoformat(polled) + timedelta(seconds=feed.interval)
                if polled
                else None
            )
            out.append(
                FeedStatus(
                    id=feed.id,
                    kind=feed.kind,
                    enabled=feed.enabled,
                    interval_seconds=feed.interval,
                    last_polled=polled,
                    last_success=r.get("last_ok"),
                    last_error=r.get("last_error"),
                    items=r.get("items", 0),
                    consecutive_failures=r.get("failures") or 0,
                    polls=r.get("polls") or 0,
                    next_poll=iso(nxt) if feed.enabled else None,
                    rejected_documents=len(csaf_retry.listing(feed.id, r.get("cursor") or {})),
                )
            )
        return out

    async def sector(self, subs: tuple[str, ...] | None = None, days: int = 90) -> SectorSummary:
        """The sector (or ``subs``) at a glance; counts only, so nothing is withheld."""
        return await slow_cached(
            self.store, ("sector", subs, days), lambda: self._sector(subs, days)
        )

    async def _sector(self, subs: tuple[str, ...] | None, days: int) -> SectorSummary:
        cases, total = await self.store.call(
            Store.case_summaries,
            self._now,
            CaseFilter(subscribers=subs, open_only=True),
            limit=MAX_ROWS,
        )
        muni = await self.store.call(Store.municipality_rollup, self._now, subs)
        times = await self.store.call(Store.response_times, subs)
        trend = await self.store.call(Store.open_trend, self.now.date(), days, subs)
        names = self._names()
        counties: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        keys = ("open", "open_p1", "open_p2", "acknowledged", "patched", "not_affected", "overdue")
        for m in muni:
            c = counties[county_id(m["subscriber_id"])]
            for k in keys:
                c[k] += m[k] or 0
        by_prio = [
            PriorityCount(
                priority=p,
                cases=sum(1 for c in cases if c["priority"] == p),
                municipalities=sum(1 for m in muni if (m[f"open_p{p}"] or 0) > 0),
            )
            for p in (1, 2, 3, 4)
        ]
        return SectorSummary(
            generated_at=self._now,
            open_cases=total,
            open_by_priority=by_prio,
            affected_municipalities=sum(1 for m in muni if (m["open"] or 0) > 0),
            **{k: sum(m[k] or 0 for m in muni) for k in keys[3:]},
            median_hours_to_acknowledge=times["ack_hours"],
            median_hours_to_patch=times["patch_hours"],
            counties=[
                RollUp(id=cid, name=county_name(cid), **{k: c[k] for k in keys})
                for cid, c in sorted(counties.items())
            ],
            municipalities=[
                RollUp(
                    id=m["subscriber_id"],
                    name=names.get(m["subscriber_id"], m["subscriber_id"]),
                    **{k: m[k] or 0 for k in keys},
                )
                for m in muni
            ],
            trend=[TrendDay(**t) for t in trend],
        )
