"""Full cycle at national load, broken down per stage; the floor; idle poll; time to alert.

Stages are timed by calling them separately, as `Pipeline.poll_many` would in one go:
fetch+parse (every feed concurrently through the sources), ingest (`Store.ingest` in one
transaction), plan (`plan_case` per changed case: match, decide, notification, outbox), and
dispatch (`Dispatcher.run_once` to a fake without limits, rendering included).
"""

from __future__ import annotations

import asyncio
import resource
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from lxml import etree

from bench import generate as g
from bench.common import World, null_channels, timer
from certbot.app import App
from certbot.planning import plan_case


async def _cycle_once(world: World, db: Path) -> dict[str, Any]:
    config = world.config()
    null, channels = null_channels(config)
    t: dict[str, float] = {}
    async with App(config, db, channels=channels, rate_limits=False, clock=lambda: g.T0) as app:
        pipe, store = app.pipeline, app.store
        with timer(t, "total"):
            with timer(t, "fetch_parse"):
                fetched = await asyncio.gather(*(pipe._fetch_parse(f) for f in config.feeds))
            batch = [(f, a, s) for f, (r, a, s) in zip(config.feeds, fetched, strict=True)
                     if r.status == "ok"]  # fmt: skip

            def ingest() -> dict[str, Any]:
                changed: dict[str, Any] = {}
                with store.store.tx():
                    for feed, advs, state in batch:
                        for c in store.store.ingest(advs, now=g.T0):
                            if c.case_id in changed:
                                prev = changed[c.case_id]
                                prev.changes = sorted(set(prev.changes) | set(c.changes))
                            else:
                                changed[c.case_id] = c
                        store.store.save_feed_state(feed.id, state, now=g.T0)
                return changed

            def plan(changed: dict[str, Any]) -> int:
                n = 0
                with store.store.tx():
                    for change in changed.values():
                        n += plan_case(store.store, config, pipe.matcher, change, g.T0).planned
                return n

            with timer(t, "ingest"):
                changed = await store.run(ingest)
            with timer(t, "plan"):
                planned = await store.run(plan, changed)
            with timer(t, "dispatch"):
                while True:
                    s = await app.dispatch()
                    if not s.sent:
                        break
        pairs = [r for r in await store.deliveries(limit=10**9) if r["subscriber_id"] != "operator"]
    t.update(advisories=sum(len(a) for _, a, _ in batch), cases=len(changed),
             planned=planned, delivered=len(null.sent))  # fmt: skip
    t["pairs"] = [(r["case_id"], r["subscriber_id"]) for r in pairs]
    return t


async def _floor(world: World, pairs: list[tuple[str, str]], db: Path) -> float:
    """Read the same bytes, parse with orjson/lxml, insert the pairs with one executemany."""
    t0 = time.perf_counter()
    base = world.server.base
    urls = []
    for kind, fid in g.FEEDS:
        if kind == "csaf":
            urls += [f"{base}/{fid}/2026/{name}" for name, _ in world.docs[fid]]
        else:
            urls.append(f"{base}/{fid}")
    async with aiohttp.ClientSession() as session:
        sem = asyncio.Semaphore(16)

        async def get(url: str) -> bytes:
            async with sem, session.get(url) as r:
                return await r.read()

        bodies = await asyncio.gather(*(get(u) for u in urls))
    n = 0
    for body in bodies:
        if body[:1] == b"<" or body[:5] == b"<?xml":
            n += len(etree.fromstring(body))
        else:
            n += len(orjson.loads(body))
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE IF NOT EXISTS pairs (case_id TEXT, subscriber_id TEXT)")
    with con:
        con.executemany("INSERT INTO pairs VALUES (?, ?)", pairs)
    con.close()
    return time.perf_counter() - t0


async def full_cycle(world: World, runs: int) -> dict[str, Any]:
    results, floors = [], []
    for _i in range(runs):
        with tempfile.TemporaryDirectory(dir=world.root) as tmp:
            r = await _cycle_once(world, Path(tmp) / "certbot.db")
            floors.append(await _floor(world, r["pairs"], Path(tmp) / "floor.db"))
        results.append(r)
    med = sorted(results, key=lambda r: r["total"])[len(results) // 2]
    floor = statistics.median(floors)
    return {
        "cycle_s": med["total"],
        "stages": {k: med[k] for k in ("fetch_parse", "ingest", "plan", "dispatch")},
        "floor_s": floor,
        "ratio": med["total"] / floor,
        "advisories": med["advisories"],
        "cases": med["cases"],
        "delivered": med["delivered"],
        "runs": runs,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def idle_poll(world: World, db: Path) -> dict[str, Any]:
    """Poll everything once (warm), then again with every feed answering 304: CPU per feed."""
    config = world.config()
    _, channels = null_channels(config)
    async with App(config, db, channels=channels, rate_limits=False, clock=lambda: g.T0) as app:
        await app.poll()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        results = await app.poll()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    statuses = {r.status for r in results}
    n = len(results)
    return {"cpu_ms_per_feed": cpu * 1000 / n, "wall_ms": wall * 1000, "feeds": n,
            "statuses": sorted(statuses)}  # fmt: skip


async def time_to_alert(world: World, db: Path, repeats: int = 3) -> dict[str, Any]:
    """A new P1 item (exploited, internet-facing product) appears in a feed: ms from the start
    of the poll that sees it until the fake channel has it."""
    config = world.config()
    null, channels = null_channels(config)
    target = next(
        (s, it)
        for s in world.subscribers
        for it in s.inventory
        if it.internet_facing and it.version
    )
    _sub, item = target
    product = next(
        p for p in world.load.universe if (p.vendor, p.name) == (item.vendor, item.product)
    )
    out = []
    async with App(config, db, channels=channels, rate_limits=False, clock=lambda: g.T0) as app:
        await app.poll()  # steady state: everything already known
        while (await app.dispatch()).sent:
            pass
        for k in range(repeats):
            v = g.Vuln(f"CVE-2026-9{k:04d}", product, "999.0", f"{product.vendor} {product.name}: "
                       "aktivt utnyttet sårbarhet", 9.8, True, ["kev"], g.T0)  # fmt: skip
            docs = dict(world.docs)
            docs["kev"] = g.kev([v, *g.by_feed(world.vulns)["kev"]])
            world.server.publish({"kev": docs["kev"]})
            before = len(null.sent)
            t0 = time.perf_counter()
            await app.poll(["kev"])
            await app.dispatch()
            new = null.sent[before:]
            out.append((max(null.sent_at[d] for d in new) - t0) * 1000 if new else float("inf"))
        world.server.publish({"kev": world.docs["kev"]})
    return {"ms": statistics.median(out), "max_ms": max(out), "repeats": repeats}
