"""A feed that explodes (RELIABILITY.md row 29, issue 16.3): 100,000 RSS items, ~18 MB.

One poll of the feed through the real pipeline (HTTP on 127.0.0.1, the writer thread, the
item cap at its default 2,000, ingest and planning in slices), while a chat command
(``/mine`` by an operator, through `certbot.inbound.commands.handle` on the writer thread,
as the service runs it) is issued every 50 ms. Reports the poll's time, the time per slice
(worst and median), the command latency (worst) and the process's peak RSS. Runs in a child
process (``python -m bench.bigfeed N``) so the peak is this scenario's alone.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.stats import peak_rss_mb
from certbot.config import Config, FeedConfig, ServiceConfig, SubscriberConfig
from certbot.fetch import Http
from certbot.inbound.auth import RateLimiter
from certbot.inbound.commands import Command, Context, handle
from certbot.pipeline import Pipeline
from certbot.store import Store, StoreThread

VENDORS = [("Fortinet", "FortiOS"), ("Cisco", "IOS XE"), ("Microsoft", "Exchange Server"),
           ("Citrix", "NetScaler ADC"), ("Ivanti", "Connect Secure")]  # fmt: skip


def big_rss(n: int) -> bytes:
    """``n`` short items (about 180 bytes each), newest first, each naming one CVE."""
    parts = []
    for i in range(n):
        vendor, product = VENDORS[i % len(VENDORS)]
        cve = f"CVE-2026-{100000 + i}"
        parts.append(
            f"<item><title>{vendor} {product} ({cve})</title><guid>urn:x:{i}</guid>"
            f"<description>{cve}: {vendor} {product} før versjon {i % 9 + 1}.2 er sårbar.</description></item>"
        )
    head = "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>big</title>"
    return (head + "".join(parts) + "</channel></rss>").encode()


async def serve(body: bytes) -> tuple[web.AppRunner, str]:
    """``body`` at ``/feed`` on 127.0.0.1 with an ETag (304 on a match)."""

    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=body, headers={"ETag": '"v1"', "Content-Type": "text/xml"})

    app = web.Application()
    app.router.add_get("/feed", feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/feed"


def world(root: Path, url: str, max_items: int = 2000) -> Config:
    sub = SubscriberConfig.model_validate(
        {"id": "0301", "name": "Oslo", "county": "Oslo",
         "targets": [{"id": "drift", "kind": "file", "address": "out/0301.jsonl"}],
         "inventory": [{"vendor": "Fortinet", "product": "FortiOS", "version": "7.2.4"}]}
    )  # fmt: skip
    service = ServiceConfig.model_validate(
        {"output_dir": str(root),
         "operators": [{"platform": "telegram", "user_id": "999", "role": "responder"}],
         "operator_targets": [{"id": "ops", "kind": "file", "address": str(root / "ops.jsonl")}]}
    )  # fmt: skip
    feed = FeedConfig.model_validate(
        {"id": "big", "kind": "rss", "url": url, "allow_private": True, "max_items": max_items}
    )
    return Config(root=root, service=service, feeds=(feed,), subscribers=(sub,))


async def measure(n: int, root: Path) -> dict[str, Any]:
    body = big_rss(n)
    runner, url = await serve(body)
    cfg = world(root, url)
    store = StoreThread(Store(root / "big.db"))
    ctx = Context(store.store, cfg, RateLimiter())
    latencies: list[float] = []
    done = asyncio.Event()

    async def commands() -> None:
        while not done.is_set():
            t0 = time.perf_counter()
            cmd = Command("telegram", "999", "/mine", [], "", chat_id="999")
            await store.run(handle, ctx, cmd)
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(0.05)

    try:
        async with Http() as http:
            p = Pipeline(cfg, store, http)
            chat = asyncio.create_task(commands())
            t0 = time.perf_counter()
            (res,) = await p.poll_many(list(cfg.feeds))
            total = time.perf_counter() - t0
            done.set()
            await chat
    finally:
        store.close()
        await runner.cleanup()
    held = [s.seconds for s in p.slices]
    return {
        "items": n, "bytes": len(body), "taken": res.advisories, "poll_s": round(total, 3),
        "slices": len(held), "slice_max_s": round(max(held), 3),
        "slice_median_s": round(statistics.median(held), 3),
        "command_max_s": round(max(latencies), 3), "commands": len(latencies),
        "peak_mb": round(peak_rss_mb(), 1),
    }  # fmt: skip


def run(n: int) -> dict[str, Any]:
    """The scenario in a child process (its own peak memory)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.bigfeed", str(n)],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(measure(int(sys.argv[1]), Path(tmp)))))
