"""EPSS enrichment (an expert of `certbot.enrich`): ``lookup(ids) -> facts`` over the day's
FIRST EPSS file, and the store writes them.

EPSS is not asked per CVE: the whole daily file comes through the ``kind: epss`` feed
(`certbot.sources.epss` fetches and parses it). This module is what is done with it and what
the rest of certbot asks of it, all inside the caller's writer-thread transaction:

- ``keep(store, scores)``: today's file replaces yesterday's (table ``epss``) and every case
  with a scored CVE gets ``epss``, ``epss_percentile`` and ``epss_date`` in its enrichment;
  returns how many cases were updated (the source's pipeline hook, `EpssSource.enrich`);
- ``lookup(store, ids)``: the fact for a case's CVE ids, the highest score among them and its
  percentile (an `EpssFact`), or None when none is scored;
- ``apply(store, case_id, fact)``: writes a fact into the case's enrichment.

Planning reads the score at plan time through `Store.epss_for` (certbot/planning/plan.py),
which is the same query as ``lookup``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from certbot.sources.epss import EpssScores
    from certbot.store import Store


@dataclass(frozen=True, slots=True)
class EpssFact:
    epss: float
    percentile: float | None
    date: str | None = None


def keep(store: Store, scores: EpssScores) -> int:
    """Store the day's scores and put each known CVE's score into its case (see above)."""
    store.replace_epss(
        [(cve, score[0], score[1]) for cve, score in scores.scores.items()],
        scores.score_date,
        scores.model_version,
    )
    updated = 0
    for alias, case_id in store.cve_aliases():
        score = scores.scores.get(alias)
        if score is not None:
            apply(store, case_id, EpssFact(score[0], score[1], scores.score_date))
            updated += 1
    return updated


def lookup(store: Store, ids: Iterable[str]) -> EpssFact | None:
    """The highest stored EPSS score among ``ids`` (one case's CVEs), or None."""
    known = store.epss_for(tuple(ids))
    return EpssFact(known[0], known[1]) if known is not None else None


def apply(store: Store, case_id: str, fact: EpssFact) -> None:
    store.set_enrichment(case_id, "epss", fact.epss)
    store.set_enrichment(case_id, "epss_percentile", fact.percentile)
    store.set_enrichment(case_id, "epss_date", fact.date)
