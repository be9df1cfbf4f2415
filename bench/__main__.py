"""Run the benchmark suite, print one table, write the same figures as JSON.

python -m bench                 # national load (N=400, M=5,000), a few minutes
python -m bench --quick         # every benchmark on small sizes (CI), well under a minute
python -m bench --sector10      # also ten times the sector (4,000 x 300, 20,000 advisories)
python -m bench --json out.json # default bench/results/latest.json
python -m bench quality         # the matching-quality report only (labelled corpus)
python -m bench steady          # the steady-state simulation only (400 municipalities, a month)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import (
    bigfeed,
    csaf_versions,
    cycle,
    fanout,
    inventory,
    matching,
    outbox,
    parse,
    quality,
    sector10,
    startup,
    steady,
)
from bench.common import make_world
from bench.stats import median, over, repeat

FULL = {"n": 400, "items": 300, "m": 5000, "runs": 3, "sizes": [400, 800, 1600], "naive": 20,
        "scale": 1.0, "fan": (10, 5), "bigfeed": 100_000, "sbom": 10_000, "outbox": 5000}  # fmt: skip
QUICK = {"n": 40, "items": 60, "m": 400, "runs": 3, "sizes": [40, 80, 160], "naive": 10,
         "scale": 0.1, "fan": (3, 2), "bigfeed": 3_000, "sbom": 200, "outbox": 600}  # fmt: skip


def row(fig: str, value: Any, unit: str, target: str, ok: bool | None) -> dict[str, Any]:
    """One table row. ``value`` is a number or a `bench.stats.spread` (min/median/max of the
    runs): the row shows the median, its range and the number of runs."""
    verdict = "-" if ok is None else ("OK" if ok else "MISS")
    out = {"figure": fig, "value": round(median(value), 3), "unit": unit, "target": target,
           "verdict": verdict}  # fmt: skip
    if isinstance(value, dict):
        out.update(min=round(value["min"], 3), max=round(value["max"], 3), runs=value["n"])
    return out


async def run(p: dict[str, Any], root: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    raw: dict[str, Any] = {"params": {k: v for k, v in p.items()}}
    runs = p["runs"]
    world = await make_world(p["n"], p["items"], p["m"], root)
    try:
        c = await cycle.full_cycle(world, runs)
        raw["cycle"] = c
        raw["idle"] = await cycle.idle_poll(world, root / "idle.db", runs)
        raw["tta"] = await cycle.time_to_alert(world, root / "tta.db", runs)
        raw["outbox"] = await outbox.measure(world, p["outbox"], runs)
    finally:
        await world.server.stop()
    advs = matching.parsed_advisories(world.docs)
    raw["matching"] = matching.matching(world.load, advs, p["sizes"], p["items"], p["naive"], runs)
    raw["parse"] = parse.parse_throughput(world.load, p["scale"], runs)
    st = repeat(runs, lambda: startup.startup(world.load, root / "startup", p["n"], p["items"]))
    raw["startup"] = {**over(st, "startup_s", "load_config_s", "startup_cpu_s", "load_config_cpu_s"),
                      "files": st[0]["files"]}  # fmt: skip
    # --quick reads the 35-document sample (the 2,383-document mirror takes ~10 s of CPU).
    sample = str(csaf_versions.SAMPLE) if p is QUICK else None
    raw["csaf_versions"] = csaf_versions.measure(sample, top=10)
    raw["quality"] = quality.measure(quick=p is QUICK, csaf=raw["csaf_versions"])
    if p is FULL:  # the steady-state simulation takes minutes: full runs only
        raw["steady"] = await steady.measure_async()
    bf = repeat(runs, lambda: bigfeed.run(p["bigfeed"]))
    raw["bigfeed"] = {**bf[-1], **over(bf, "poll_s", "slice_max_s", "slice_median_s",
                                       "command_max_s", "peak_mb")}  # fmt: skip
    iv = repeat(runs, lambda: inventory.inventory(world.load, root / "inventory", p["n"],
                                                  p["items"], p["sbom"]))  # fmt: skip
    raw["inventory"] = {**iv[-1], **over(iv, "import_s", "import_peak_mb", "matcher_rebuild_s",
                                         "reload_load_config_s", "import_cpu_s",
                                         "matcher_rebuild_cpu_s", "reload_load_config_cpu_s")}  # fmt: skip
    raw["fanout"] = await fanout.fanout_runs(*p["fan"], runs=runs)
    return table(raw, p), raw


def table(raw: dict[str, Any], p: dict[str, Any]) -> list[dict[str, Any]]:
    c, m, pa, st, ob = raw["cycle"], raw["matching"], raw["parse"], raw["startup"], raw["outbox"]
    n, med = p["n"], median
    rows = [
        row(f"full cycle, N={n} M={p['m']} ({c['delivered']} alerts, {c['match_rows']} match rows)",
            c["cycle_s"], "s", "<= 2", med(c["cycle_s"]) <= 2),
        *[row(f"  stage: {k}", v, "s", "", None) for k, v in c["stages"].items()],
        row(f"floor (GET + SHA-512 + OpenPGP verify of {c['csaf_documents']} CSAF docs, parse, "
            "insert the match rows)", c["floor_s"], "s", "", None),
        row("full cycle / floor (each run against its own floor)", c["ratio"], "x", "<= 4",
            med(c["ratio"]) <= 4),
        row(f"matcher, N={p['sizes'][0]}, {c['advisories']} advisories",
            m["by_n"][p["sizes"][0]]["match_s"], "s", "", None),
        row(f"naive nested loop (extrapolated from {m['naive_subset']} advisories)",
            m["naive_s_extrapolated"], "s", "", None),
        row("matcher speed-up vs naive", m["speedup"], "x", ">= 1000", m["speedup"] >= 1000),
        *[row(f"  matcher N={k}", v["match_s"], "s", "", None) for k, v in m["by_n"].items()],
        row("matcher growth per doubling of N (worst doubling, per run)",
            m["growth_per_doubling"], "x", "<= 1.4", med(m["growth_per_doubling"]) <= 1.4),
        row("parse RSS (process CPU)", pa["rss_items_per_s"], "items/s", "", None),
        row(f"parse KEV catalogue ({pa['kev_entries']} entries, process CPU)", pa["kev_ms"], "ms", "<= 20",
            med(pa["kev_ms"]) <= 20),
        row("parse CSAF (incl. normalisation, process CPU)", pa["csaf_docs_per_s"], "docs/s", ">= 5000",
            med(pa["csaf_docs_per_s"]) >= 5000),
        row("parse STIX (process CPU)", pa["stix_objects_per_s"], "objects/s", ">= 50000",
            med(pa["stix_objects_per_s"]) >= 50000),
        row("idle poll (all 304 / no new CSAF), CPU per feed", raw["idle"]["cpu_ms_per_feed"],
            "ms", "<= 20", med(raw["idle"]["cpu_ms_per_feed"]) <= 20),
        row(f"outbox: {ob['deliveries']} queued alerts to a fake without limits "
            f"(concurrency {ob['concurrency']})", ob["rate"], "deliveries/s", ">= 1000",
            med(ob["rate"]) >= 1000 and ob["sent_all"]),
        row(f"  transactions for {ob['ops']} claims + records (group commit)",
            ob["transactions"], "tx", "", None),
        row("  crash bound: sends in flight + unrecorded at once (worst seen; bound = "
            "concurrency)", ob["exposure_max"], "sends", f"<= {ob['concurrency']}",
            ob["exposure_max"] <= ob["concurrency"]),
        row("peak memory (RSS) of the process", c["peak_rss_mb"], "MB", "<= 300",
            c["peak_rss_mb"] <= 300),
        row(f"start-up with {st['files']} subscriber files (fresh process; CPU "
            f"{med(st['startup_cpu_s']):.2f} s)", st["startup_s"], "s", "<= 2",
            med(st["startup_s"]) <= 2),
        row(f"  of which load_config (CPU {med(st['load_config_cpu_s']):.2f} s)",
            st["load_config_s"], "s", "", None),
        row("time to alert (new P1 in KEV -> fake channel)", raw["tta"]["ms"], "ms", "<= 1000",
            med(raw["tta"]["ms"]) <= 1000),
    ]  # fmt: skip
    if cv := raw.get("csaf_versions"):
        rows.append(row(f"CISA CSAF entries with unreadable version ({cv['entries']} entries, "
                        f"{cv['documents']} docs)", cv["share_pct"], "%", "<= 1",
                        cv["share_pct"] <= 1.0))  # fmt: skip
    if q := raw.get("quality"):
        rows += quality.rows(q, row)
    if s := raw.get("steady"):
        rows += steady.rows(s, row)
    if bf := raw.get("bigfeed"):
        rows += [
            row(f"big feed: {bf['items']:,} items, {bf['bytes'] / 1e6:.0f} MB, one poll "
                f"({bf['taken']} taken)", bf["poll_s"], "s", "", None),
            row(f"  writer held per slice (worst of {bf['slices']})", bf["slice_max_s"], "s",
                "<= 1", med(bf["slice_max_s"]) <= 1),
            row("  writer held per slice (median)", bf["slice_median_s"], "s", "", None),
            row(f"  chat command latency during ingest (worst of {bf['commands']})",
                bf["command_max_s"], "s", "<= 1", med(bf["command_max_s"]) <= 1),
            row("  peak memory (RSS) of the poll", bf["peak_mb"], "MB", "<= 300",
                med(bf["peak_mb"]) <= 300),
        ]  # fmt: skip
    if iv := raw.get("inventory"):
        rows.append(row(f"inventory import, {iv['components']}-component SBOM (CPU "
                        f"{med(iv['import_cpu_s']):.2f} s)", iv["import_s"], "s", "<= 5",
                        med(iv["import_s"]) <= 5))  # fmt: skip
        rows.append(row("  its peak Python memory (tracemalloc)", iv["import_peak_mb"], "MB",
                        "<= 200", med(iv["import_peak_mb"]) <= 200))  # fmt: skip
        rows.append(row(f"matcher rebuild after the import ({iv['inventory_items']} items; CPU "
                        f"{med(iv['matcher_rebuild_cpu_s']):.2f} s)", iv["matcher_rebuild_s"], "s",
                        "<= 1", med(iv["matcher_rebuild_s"]) <= 1))  # fmt: skip
        rows.append(row(f"  load_config on reload (CPU {med(iv['reload_load_config_cpu_s']):.2f} "
                        "s)", iv["reload_load_config_s"], "s", "", None))  # fmt: skip
    for name, f in raw.get("fanout", {}).items():
        rows.append(row(f"fan-out {name}: time / floor ({f['desc']}, {f['violations']} viol.)",
                        {k: v * 100 if k != "n" else v for k, v in f["ratio"].items()},
                        "%", "<= 110", med(f["ratio"]) <= 1.10))  # fmt: skip
    if big := raw.get("sector10"):
        rows += sector10.rows(big, row)
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    w = max(len(r["figure"]) for r in rows)
    lines = [f"{'figure':<{w}}  {'median':>12}  {'min–max (runs)':<24} {'unit':<13} "
             f"{'target':<9} verdict"]  # fmt: skip
    for r in rows:
        rng = f"{r['min']:,.3f}–{r['max']:,.3f} ({r['runs']})" if "runs" in r else ""
        lines.append(f"{r['figure']:<{w}}  {r['value']:>12,.3f}  {rng:<24} {r['unit']:<13} "
                     f"{r['target']:<9} {r['verdict']}")  # fmt: skip
    return "\n".join(lines)


def section(what: str, quick: bool) -> int:
    """One section on its own: its table rows and its detail (misses, false alerts)."""
    if what == "quality":
        q = quality.measure(quick=quick)
        print(render(quality.rows(q, row)))
        print()
        print(quality.report(q))
        return 0
    s = steady.measure(quick=quick)
    print(render(steady.rows(s, row)))
    print()
    print(steady.report(s))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("what", nargs="?", choices=["all", "quality", "steady"], default="all")
    ap.add_argument("--quick", action="store_true", help="small sizes (CI)")
    ap.add_argument("--sector10", action="store_true",
                    help="also ten times the sector: 4,000 municipalities x 300 items, 20,000 "
                    "advisories (minutes; a child process)")  # fmt: skip
    ap.add_argument("--json", default="bench/results/latest.json", help="output path")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("certbot").setLevel(logging.CRITICAL)
    p = QUICK if args.quick else FULL
    if args.what != "all":
        return section(args.what, args.quick)
    t, load = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="certbot-bench-") as tmp:
        rows, raw = asyncio.run(run(p, Path(tmp)))
    if args.sector10:
        raw["sector10"] = sector10.run()
        rows = table(raw, p)
    raw["suite_s"] = time.perf_counter() - t
    # The machine's 1-minute load average at the start and the end, with its core count: a
    # loaded shared machine stretches every timing, and the README line says so.
    raw["machine"] = {"cores": os.cpu_count(), "load_start": load, "load_end": os.getloadavg()[0]}
    print(render(rows))
    print(f"\nsuite: {raw['suite_s']:.1f} s ({'quick' if args.quick else 'full'})")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "raw": raw}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
