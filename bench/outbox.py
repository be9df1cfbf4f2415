"""Outbox throughput on its own (issue 16.1, 16.2): N alerts queued for the bench world's
municipalities (one file target each, round robin), drained by `Dispatcher.run_once` to a fake
without limits (it renders exactly like the file channel and sends nowhere).

Every delivery takes the real path: claim (group-committed, with the send-time TLP read of its
case), render, send, record ``sent`` (group-committed), on a database with
``synchronous=FULL``. Reported: deliveries/s (min, median, max of the runs), the transactions
it took, and the crash exposure: the most sends that held a slot at once (in flight or sent
and not yet recorded), which bounds what one crash can re-send; the configured concurrency is
the bound.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import generate as g
from bench.common import World, null_channels
from bench.stats import spread
from certbot.model import TLP, Notification, Priority
from certbot.outbound.dispatch import Dispatcher
from certbot.store import Delivery, Store, StoreThread


def _queue(store: Store, world: World, n: int) -> None:
    subs = world.subscribers
    with store.tx():
        for i in range(n):
            sub = subs[i % len(subs)]
            did = f"bench-{i:06d}"
            cve = f"CVE-2026-{50000 + i // len(subs)}"
            note = Notification(
                delivery_id=did, kind="alert", language="nb", subscriber_id=sub.id,
                subscriber_name=sub.name, target_id="drift", tlp=TLP.GREEN,
                priority=Priority.P1, title=f"{cve}: aktivt utnyttet sårbarhet", case_id=cve,
                revision=1, cves=[cve], summary="Oppdater snarest.",
                actions=["Oppgrader til siste versjon innen 24 timer."],
            )  # fmt: skip
            store.add_delivery(
                Delivery(did, sub.id, "drift", "file", "alert", 1, int(TLP.GREEN), "pending",
                         note, case_id=cve, revision=1),
                now=g.T0,
            )  # fmt: skip


async def _once(world: World, db: Path, n: int, concurrency: int) -> dict[str, Any]:
    config = world.config(dispatch={"concurrency": concurrency})
    null, channels = null_channels(config)
    store = StoreThread(Store(db))
    try:
        await store.run(_queue, store.store, world, n)
        d = Dispatcher(config, store, channels, clock=lambda: g.T0, rate_limits=False)
        t0 = time.perf_counter()
        while (await d.run_once(limit=n)).sent:
            pass
        elapsed = time.perf_counter() - t0
        counts = await store.status_counts()
    finally:
        store.close()
    return {"rate": len(null.sent) / elapsed, "sent": len(null.sent), "status": counts,
            "batches": d.group.batches, "ops": d.group.ops,
            "exposure": d.group.peak_active}  # fmt: skip


async def measure(world: World, n: int, runs: int, concurrency: int = 64) -> dict[str, Any]:
    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(dir=world.root) as tmp:
            out.append(await _once(world, Path(tmp) / "outbox.db", n, concurrency))
    rates = [r["rate"] for r in out]
    last = out[-1]
    return {
        "deliveries": n,
        "concurrency": concurrency,
        "rate": spread(rates),
        "rates": rates,
        "sent_all": all(r["status"] == {"sent": n} and r["sent"] == n for r in out),
        "transactions": last["batches"],
        "ops": last["ops"],
        "exposure_max": max(r["exposure"] for r in out),
    }
