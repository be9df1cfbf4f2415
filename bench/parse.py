"""Parse throughput per format, through the sources' own parse (normalisation included)."""

from __future__ import annotations

import time
from typing import Any

from bench import generate as g
from certbot.config import FeedConfig
from certbot.sources import get_source


def _feed(kind: str) -> FeedConfig:
    return FeedConfig(id=f"p-{kind}", kind=kind, url="http://127.0.0.1/", allow_private=True)  # type: ignore[arg-type]


def _best(fn: Any, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def parse_throughput(load: g.Load, scale: float = 1.0) -> dict[str, Any]:
    vs = g.vulns(load, int(2000 * scale) + 50, relevant=0.5, seed_extra=7)
    rss_doc = g.rss("p", vs)
    kev_vs = g.vulns(load, 1900, seed_extra=8)[:1400]  # the full catalogue: ~1,400 entries
    kev_doc = g.kev(kev_vs)
    csaf_docs = [g.csaf_doc("p", v) for v in vs[: int(500 * scale) + 20]]
    stix_doc = g.stix("p", vs)
    rss, kev, csaf, stix = (get_source(k) for k in ("rss", "kev", "csaf", "stix"))
    out: dict[str, Any] = {}
    t = _best(lambda: list(rss.parse(rss_doc, _feed("rss"))))
    out["rss_items_per_s"] = len(vs) / t
    t = _best(lambda: list(kev.parse(kev_doc, _feed("kev"))))
    out["kev_ms"] = t * 1000
    out["kev_entries"] = len(kev_vs)
    t = _best(lambda: [list(csaf.parse(d, _feed("csaf"))) for d in csaf_docs])
    out["csaf_docs_per_s"] = len(csaf_docs) / t
    n_objs = len(__import__("json").loads(stix_doc)["objects"])
    t = _best(lambda: list(stix.parse(stix_doc, _feed("stix"))))
    out["stix_objects_per_s"] = n_objs / t
    return out
