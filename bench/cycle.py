"""Full cycle at national load, broken down per stage; the floor; idle poll; time to alert.

Stages are timed by calling them separately, as `Pipeline.poll_many` would in one go:
fetch+parse (every feed concurrently through the sources), ingest (`Store.ingest` in one
transaction), plan (`plan_case` per changed case: match, decide, notification, outbox), and
dispatch (`Dispatcher.run_once` to a fake without limits, rendering included).
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pysequoia
from lxml import etree

from bench import generate as g
from bench.common import World, null_channels, timer
from bench.stats import peak_rss_mb, spread
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
    t.update(advisories=sum(len(a) for _, a, _ in batch), cases=len(changed),
             planned=planned, delivered=len(null.sent))  # fmt: skip
    con = sqlite3.connect(db)
    cur = con.execute("SELECT * FROM matches")
    t["match_columns"] = [c[0] for c in cur.description]
    t["match_rows"] = cur.fetchall()
    con.close()
    return t


def _floor_urls(world: World) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Every URL the service reads in a cold cycle, and the (document, .sha512, .asc) triples."""
    base = world.server.base
    urls, csaf = [f"{base}/keys/bench.asc"], []
    for kind, fid in g.FEEDS:
        if kind != "csaf":
            urls.append(f"{base}/{fid}")
            continue
        urls += [f"{base}/{fid}/.well-known/csaf/provider-metadata.json", f"{base}/{fid}/feed.json"]
        for name, _ in world.docs[fid]:
            doc = f"{base}/{fid}/2026/{name}"
            urls += [doc, doc + ".sha512", doc + ".asc"]
            csaf.append((doc, doc + ".sha512", doc + ".asc"))
    return urls, csaf


async def _floor(world: World, cycle: dict[str, Any], db: Path) -> float:
    """The honest floor: what no correct implementation can skip. GET the same bytes over HTTP
    from the same local server (keys, provider metadata, ROLIE feeds, every CSAF document with
    its .sha512 and .asc, every other feed); check each document's SHA-512 and verify its
    OpenPGP signature (pysequoia, as the service); parse every body with orjson/lxml; insert
    the same match rows in one executemany and one transaction (synchronous=FULL)."""
    t0 = time.perf_counter()
    urls, csaf = _floor_urls(world)
    async with aiohttp.ClientSession() as session:
        sem = asyncio.Semaphore(16)

        async def get(url: str) -> bytes:
            async with sem, session.get(url) as r:
                return await r.read()

        bodies = dict(zip(urls, await asyncio.gather(*(get(u) for u in urls)), strict=True))
    key = pysequoia.Cert.from_bytes(bodies[urls[0]])
    for doc, sha, asc in csaf:
        if hashlib.sha512(bodies[doc]).hexdigest() != bodies[sha].split()[0].decode():
            raise AssertionError(f"floor: {doc} hash")
        sig = pysequoia.Sig.from_bytes(bodies[asc])
        pysequoia.verify(bytes=bodies[doc], store=lambda _ids: [key], signature=sig)
    n = 0
    for url, body in bodies.items():
        if url.endswith((".sha512", ".asc")):
            continue
        if body[:1] == b"<" or body[:5] == b"<?xml":
            n += len(etree.fromstring(body))
        else:
            n += len(orjson.loads(body))
    cols = cycle["match_columns"]
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute(f"CREATE TABLE IF NOT EXISTS matches ({', '.join(cols)})")
    with con:
        con.executemany(f"INSERT INTO matches VALUES ({', '.join('?' * len(cols))})",
                        cycle["match_rows"])  # fmt: skip
    con.close()
    return time.perf_counter() - t0


STAGES = ("fetch_parse", "ingest", "plan", "dispatch")


async def full_cycle(world: World, runs: int) -> dict[str, Any]:
    """``runs`` cold cycles, each followed by its floor; every figure as min/median/max."""
    results, floors = [], []
    for _i in range(runs):
        with tempfile.TemporaryDirectory(dir=world.root) as tmp:
            r = await _cycle_once(world, Path(tmp) / "certbot.db")
            floors.append(await _floor(world, r, Path(tmp) / "floor.db"))
        results.append(r)
    last = results[-1]
    return {
        "cycle_s": spread([r["total"] for r in results]),
        "stages": {k: spread([r[k] for r in results]) for k in STAGES},
        "floor_s": spread(floors),
        # each run against its own floor (same moment, same machine load)
        "ratio": spread([r["total"] / f for r, f in zip(results, floors, strict=True)]),
        "advisories": last["advisories"],
        "cases": last["cases"],
        "delivered": last["delivered"],
        "match_rows": len(last["match_rows"]),
        "csaf_documents": len(_floor_urls(world)[1]),
        "runs": runs,
        "peak_rss_mb": peak_rss_mb(),
    }


async def idle_poll(world: World, db: Path, runs: int = 3) -> dict[str, Any]:
    """Poll everything once (warm), then ``runs`` times more with every feed answering 304:
    CPU per feed (process CPU: the event loop and the writer thread)."""
    config = world.config()
    _, channels = null_channels(config)
    cpus, walls, statuses = [], [], set()
    async with App(config, db, channels=channels, rate_limits=False, clock=lambda: g.T0) as app:
        await app.poll()
        for _ in range(runs):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            results = await app.poll()
            n = len(results)
            cpus.append((time.process_time() - cpu0) * 1000 / n)
            walls.append((time.perf_counter() - wall0) * 1000)
            statuses |= {r.status for r in results}
    return {"cpu_ms_per_feed": spread(cpus), "wall_ms": spread(walls), "feeds": n,
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
    return {"ms": spread(out), "repeats": repeats}
