"""The per-feed item cap and the slices the poll cycle ingests in (RELIABILITY.md row 29).

Contract: `choose` picks, in document order, at most ``cap`` items whose digest is not among
those an earlier poll already took; whatever is left is counted, never dropped: the poll
cycle keeps the feed's ETag/Last-Modified from advancing while anything is left, so the next
poll fetches the whole document again and takes the next ``cap`` (an edited item has a new
digest and is taken again). Once nothing is left the remembered digests are dropped and the
ETag advances; a feed that is still too big when it next changes starts a new backlog (its
unchanged items cost one ``last_seen`` update each) and the operator is told again. Document order is newest first by RSS/Atom convention; we do not
sort by the feed's own dates (a hostile feed chooses those). `slices` cuts one cycle's batch
into chunks of at most ``size`` advisories, each ingested in its own transaction, marking the
chunk that carries a feed's last advisory (that chunk also saves the feed's state).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MAX_ITEMS = 2000
INGEST_SLICE = 200  # advisories per ingest transaction
PLAN_SLICE = 100  # cases per planning transaction


@dataclass
class Capped:
    """What the cap did to one feed's poll."""

    taken: int  # items handed to the parser this poll
    total: int  # items in the document
    picked: list[str] = field(default_factory=list)  # digests taken this poll
    remaining: int = 0  # items left for later polls
    first: bool = True  # the first capped poll of this backlog (the operator is told)


def choose(digests: list[str], taken: set[str], cap: int) -> tuple[list[int], Capped]:
    chosen: list[int] = []
    for i, d in enumerate(digests):
        if d not in taken and len(chosen) < cap:
            chosen.append(i)
    picked = [digests[i] for i in chosen]
    keep = taken | set(picked)
    remaining = sum(1 for d in digests if d not in keep)
    return chosen, Capped(len(chosen), len(digests), picked, remaining)


@dataclass
class Slice:
    """One ingest transaction: (feed, advisories, state or None) parts; a part with a state
    is that feed's last, and saves the state in the same transaction."""

    parts: list[tuple[Any, list[Any], Any]]

    @property
    def size(self) -> int:
        return sum(len(advs) for _, advs, _ in self.parts)


def slices(batch: list[tuple[Any, list[Any], Any]], size: int = INGEST_SLICE) -> Iterator[Slice]:
    current = Slice([])
    for feed, advisories, state in batch:
        start = 0
        while True:
            room = size - current.size
            piece = advisories[start : start + room]
            start += len(piece)
            last = start >= len(advisories)
            current.parts.append((feed, piece, state if last else None))
            if last:
                break
            yield current
            current = Slice([])
        if current.size >= size:
            yield current
            current = Slice([])
    if current.parts:
        yield current
