"""Ten times the sector (issue 16.4): 4,000 municipalities x 300 items and 20,000 advisories.

Run on its own (``python -m bench --sector10``, or ``python -m bench.sector10 N ITEMS M``):
it takes minutes, so ``--quick`` and the default run leave it out. In a child process (its
own peak memory): the generated advisories are parsed by the sources, then for N/4, N/2 and
N municipalities the inventories are built, the `Matcher` index is built and every advisory
is matched ``runs`` times. Reported: the time of each step, the match time per size (min,
median, max), the growth per doubling of N (median of the runs' worst doubling; linear is
2.0, the target is "no worse than linear") and the child's peak RSS (target <= 1 GB).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import generate as g
from bench.matching import parsed_advisories, time_matcher
from bench.stats import peak_rss_mb, spread
from certbot.match import Matcher

SIZE = {"n": 4000, "items": 300, "m": 20_000}


def measure(n: int, items: int, m: int, runs: int = 3) -> dict[str, Any]:
    t0 = time.perf_counter()
    load = g.make_load(1)
    vs = g.vulns(load, m)
    advs = parsed_advisories(g.feed_documents(vs))
    del vs
    out: dict[str, Any] = {"n": n, "items": items, "m": m, "advisories": len(advs),
                           "generate_parse_s": time.perf_counter() - t0, "by_n": {}}  # fmt: skip
    sizes = [n // 4, n // 2, n]
    for k in sizes:
        t = time.perf_counter()
        subs = g.inventories(load, k, items)
        made = time.perf_counter() - t
        t = time.perf_counter()
        matcher = Matcher(subs)
        built = time.perf_counter() - t
        time_matcher(matcher, advs[:500])  # warm the version caches, as a running service has
        times, hits = [], 0
        for _ in range(runs):
            s, hits = time_matcher(matcher, advs)
            times.append(s)
        out["by_n"][k] = {"inventories_s": made, "index_build_s": built, "times": times,
                          "match_s": spread(times), "hits": hits}  # fmt: skip
        del subs, matcher
    worst = [max(out["by_n"][b]["times"][r] / out["by_n"][a]["times"][r]
                 for a, b in itertools.pairwise(sizes)) for r in range(runs)]  # fmt: skip
    out["growth_per_doubling"] = spread(worst)
    out["total_s"] = time.perf_counter() - t0
    out["peak_mb"] = peak_rss_mb()
    return out


def run(n: int = SIZE["n"], items: int = SIZE["items"], m: int = SIZE["m"]) -> dict[str, Any]:
    """`measure` in a child process (its own peak memory)."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.sector10", str(n), str(items), str(m)],
        capture_output=True, text=True, check=True, timeout=3600,
    )  # fmt: skip
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def rows(s: dict[str, Any], row: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    growth = s["growth_per_doubling"]["median"]
    return [
        row(f"ten times the sector: N={s['n']:,} x {s['items']} items, {s['advisories']:,} "
            "advisories, whole scenario", s["total_s"], "s", "", None),
        row("  generate + parse the advisories", s["generate_parse_s"], "s", "", None),
        *[row(f"  matcher N={k}: match every advisory (index built in "
              f"{v['index_build_s']:.1f} s)", v["match_s"], "s", "", None)
          for k, v in s["by_n"].items()],
        row("  matcher growth per doubling of N (linear = 2.0)", s["growth_per_doubling"], "x",
            "<= 2", growth <= 2.0),
        row("  peak memory (RSS) of the scenario", s["peak_mb"], "MB", "<= 1024",
            s["peak_mb"] <= 1024),
    ]  # fmt: skip


if __name__ == "__main__":
    n_, items_, m_ = (int(x) for x in sys.argv[1:4])
    print(json.dumps(measure(n_, items_, m_)))
