"""Matching alone: certbot's Matcher vs the naive nested loop, and growth with N."""

from __future__ import annotations

import itertools
import time
from typing import Any

from bench import generate as g
from bench.stats import spread
from certbot.match import Matcher
from certbot.model import Advisory, Case
from certbot.sources import get_source


def parsed_advisories(world_docs: dict[str, Any]) -> list[Advisory]:
    from certbot.config import FeedConfig

    out: list[Advisory] = []
    for kind, fid in g.FEEDS:
        feed = FeedConfig(id=fid, kind=kind, url="http://127.0.0.1/", allow_private=True)  # type: ignore[arg-type]
        doc = world_docs[fid]
        for body in [b for _, b in doc] if isinstance(doc, list) else [doc]:
            out.extend(get_source(kind).parse(body, feed))
    return out


def time_matcher(matcher: Matcher, advs: list[Advisory]) -> tuple[float, int]:
    cases = [Case(a.key, [a]) for a in advs]
    t = time.perf_counter()
    hits = sum(len(matcher.match(c)) for c in cases)
    return time.perf_counter() - t, hits


def matching(load: g.Load, advs: list[Advisory], sizes: list[int], items: int,
             naive_advs: int, rounds: int = 3) -> dict[str, Any]:  # fmt: skip
    from bench.naive import naive_match

    out: dict[str, Any] = {"by_n": {}}
    subs_by_n = {}
    for n in sizes:
        subs = g.inventories(load, n, items)
        subs_by_n[n] = subs
        t0 = time.perf_counter()
        m = Matcher(subs)
        build = time.perf_counter() - t0
        time_matcher(m, advs[:200])  # warm the version caches, as a running service has them
        times = [time_matcher(m, advs)[0] for _ in range(rounds)]
        out["by_n"][n] = {"match_s": spread(times), "index_build_s": build, "times": times}
    base = sizes[0]
    # Growth per round (round k of every size against round k of the next), worst doubling
    # of each round; the verdict is the median of the rounds.
    worst = [max((out["by_n"][b]["times"][k] / out["by_n"][a]["times"][k]
                  for a, b in itertools.pairwise(sizes)), default=1.0)
             for k in range(rounds)]  # fmt: skip
    out["growth_per_doubling"] = spread(worst)
    # The naive loop on a subset (every kind represented), extrapolated per advisory.
    step = max(1, len(advs) // naive_advs)
    subset = advs[::step][:naive_advs]
    subs = subs_by_n[base]
    t = time.perf_counter()
    for a in subset:
        naive_match(a, subs)
    naive_per_adv = (time.perf_counter() - t) / len(subset)
    fast_per_adv = out["by_n"][base]["match_s"]["median"] / len(advs)
    out["naive_s_extrapolated"] = naive_per_adv * len(advs)
    out["naive_subset"] = len(subset)
    out["speedup"] = naive_per_adv / fast_per_adv
    return out
