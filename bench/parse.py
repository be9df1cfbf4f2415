"""Parse throughput per format, through the sources' own parse (normalisation included), in
process CPU time."""

from __future__ import annotations

import json
import time
from typing import Any

from bench import generate as g
from bench.stats import spread
from certbot.config import FeedConfig
from certbot.sources import get_source


def _feed(kind: str) -> FeedConfig:
    return FeedConfig(id=f"p-{kind}", kind=kind, url="http://127.0.0.1/", allow_private=True)  # type: ignore[arg-type]


def _times(fn: Any, repeats: int = 3) -> list[float]:
    """CPU seconds per call, ``repeats`` calls after one warm-up (caches, lazy imports).

    A parse is pure CPU on one thread (no I/O; the feed server is stopped by now), so its
    process CPU time is what it costs, and what the wall clock shows on an idle core. On a
    shared machine the wall clock adds the neighbours' time slices (a loaded 2-core run read
    KEV at 230 ms wall for ~35 ms of CPU), as the idle-poll row already avoids."""
    fn()
    out = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return out


def parse_throughput(load: g.Load, scale: float = 1.0, runs: int = 3) -> dict[str, Any]:
    vs = g.vulns(load, int(2000 * scale) + 50, relevant=0.5, seed_extra=7)
    rss_doc = g.rss("p", vs)
    kev_vs = g.vulns(load, 1900, seed_extra=8)[:1400]  # the full catalogue: ~1,400 entries
    kev_doc = g.kev(kev_vs)
    csaf_docs = [g.csaf_doc("p", v) for v in vs[: int(500 * scale) + 20]]
    stix_doc = g.stix("p", vs)
    rss, kev, csaf, stix = (get_source(k) for k in ("rss", "kev", "csaf", "stix"))
    # One FeedConfig per format, built once as config loading does (not per document).
    f_rss, f_kev, f_csaf, f_stix = (_feed(k) for k in ("rss", "kev", "csaf", "stix"))
    out: dict[str, Any] = {}
    ts = _times(lambda: list(rss.parse(rss_doc, f_rss)), runs)
    out["rss_items_per_s"] = spread(len(vs) / t for t in ts)
    ts = _times(lambda: list(kev.parse(kev_doc, f_kev)), runs)
    out["kev_ms"] = spread(t * 1000 for t in ts)
    out["kev_entries"] = len(kev_vs)
    ts = _times(lambda: [list(csaf.parse(d, f_csaf)) for d in csaf_docs], runs)
    out["csaf_docs_per_s"] = spread(len(csaf_docs) / t for t in ts)
    n_objs = len(json.loads(stix_doc)["objects"])
    ts = _times(lambda: list(stix.parse(stix_doc, f_stix)), runs)
    out["stix_objects_per_s"] = spread(n_objs / t for t in ts)
    return out
