"""The overview's filters, pure: the query string in, a `CaseFilter` and the county scope out.

`Filters.read` takes ``county`` (a county number, the first two digits of a kommunenummer,
among the configured municipalities' counties), ``priority`` (P1..P4), ``tlp`` (a TLP 2.0
label) and ``source`` (a configured feed id); anything else is ignored, never echoed. The
county narrows everything on the page (the counts, roll-ups and chart); priority, TLP and
source narrow the case list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from certbot.config import COUNTIES, Config
from certbot.model import TLP
from certbot.store.overview import CaseFilter
from certbot.web.models import TrendDay


def counties(config: Config) -> list[tuple[str, str]]:
    """(county number, name) of the configured municipalities' counties."""
    numbers = sorted({s.id[:2] for s in config.subscribers})
    return [(n, COUNTIES.get(n, (n,))[0]) for n in numbers]


@dataclass(frozen=True)
class Filters:
    county: str = ""
    priority: int = 0
    tlp: TLP | None = None
    source: str = ""

    @classmethod
    def read(cls, query: Mapping[str, str], config: Config) -> Filters:
        known = {n for n, _ in counties(config)}
        county, prio, source = (query.get(k, "") for k in ("county", "priority", "source"))
        return cls(
            county=county if county in known else "",
            priority=int(prio[1]) if prio in ("P1", "P2", "P3", "P4") else 0,
            tlp=TLP.parse(query.get("tlp", "")) if query.get("tlp") else None,
            source=source if source in {f.id for f in config.feeds} else "",
        )

    def cases(self, subs: tuple[str, ...] | None) -> CaseFilter:
        return CaseFilter(
            subscribers=subs,
            priority=self.priority or None,
            source=self.source or None,
            tlp=int(self.tlp) if self.tlp is not None else None,
            open_only=True,
        )

    def as_query(self) -> dict[str, str]:
        return {
            "county": self.county,
            "source": self.source,
            "priority": f"P{self.priority}" if self.priority else "",
            "tlp": self.tlp.label if self.tlp is not None else "",
        }


def series(trend: list[TrendDay]) -> list[tuple[date, int, int]]:
    """The summary's trend as (day, open P1, open P2), oldest first (for the chart)."""
    return [(date.fromisoformat(d.date), d.p1, d.p2) for d in trend]


__all__ = ["Filters", "counties", "series"]
