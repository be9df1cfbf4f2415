"""Fan-out against fakes that check the platforms' limits; time vs the floor those limits set.

T targets x K messages per platform, sent by the real channels and the real `Dispatcher`
(rate limits on, the service's default dispatch concurrency) to the local fakes. A middleware
records each send's arrival and counts limit violations (Slack 1/s per channel, Teams 4/s
per webhook, Telegram 1/s per chat and 30/s overall; 10 % slack for timer jitter).
"""

from __future__ import annotations

import itertools
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench import generate as g
from bench.stats import spread
from certbot.channels import ChannelContext, channel_classes
from certbot.config import Config, ServiceConfig, SubscriberConfig
from certbot.demo.fakes import FAKE_SLACK_TOKEN, FAKE_TELEGRAM_TOKEN, FAKES, Fakes, urls_for
from certbot.model import TLP, Notification, Priority
from certbot.outbound.dispatch import Dispatcher
from certbot.render import Renderer
from certbot.store import AsyncStore, Store

LIMITS = {"slack": 1.0, "teams": 4.0, "telegram": 1.0}
SEND = {"slack": "chat.postMessage", "teams": "webhook", "telegram": "sendMessage"}


class Watch:
    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.all: dict[str, list[float]] = defaultdict(list)

    @web.middleware
    async def mw(self, request: web.Request, handler: Any) -> web.StreamResponse:
        platform = request.path.split("/")[1]
        if SEND.get(platform, "\0") in request.path:
            body = await request.post() if request.content_type.endswith("form-urlencoded") else (
                await request.json() if request.can_read_body else {})  # fmt: skip
            key = str(body.get("channel") or body.get("chat_id") or request.path_qs)
            now = time.perf_counter()
            self.arrivals[f"{platform}:{key}"].append(now)
            self.all[platform].append(now)
        return await handler(request)

    def violations(self) -> int:
        bad = 0
        for key, times in self.arrivals.items():
            gap = 0.9 / LIMITS[key.split(":")[0]]
            bad += sum(1 for a, b in itertools.pairwise(times) if b - a < gap)
        tg = sorted(self.all.get("telegram", []))
        bad += sum(1 for i in range(30, len(tg)) if tg[i] - tg[i - 30] < 0.9)
        return bad


async def _serve(watch: Watch) -> tuple[web.AppRunner, dict[str, str]]:
    fakes = Fakes()
    app = web.Application(middlewares=[watch.mw])
    app[FAKES] = fakes
    for fake in (fakes.slack, fakes.teams, fakes.telegram):
        app.add_subapp(f"/{fake.name}", fake.app())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = {n: f"http://127.0.0.1:{port}/{n}" for n in ("slack", "teams", "telegram")}
    return runner, urls_for(base, fakes)


def _subs(kind: str, targets: int) -> list[SubscriberConfig]:
    out = []
    for i in range(targets):
        t: dict[str, Any] = {"id": "chat", "kind": kind, "tlp_max": "AMBER", "digest": False}
        if kind == "slack":
            t["address"] = f"C{i:04d}BENCH"
        elif kind == "telegram":
            t["address"] = f"-100{i:07d}"
        else:
            t["secret"] = {"env": f"TEAMS_HOOK_{i}"}
        out.append(SubscriberConfig.model_validate(
            {"id": f"46{i:02d}", "name": f"Kommune {i}", "county": "Vestland", "targets": [t]}))  # fmt: skip
    return out


async def _one(kind: str, targets: int, per: int, urls: dict[str, str], watch: Watch) -> dict:
    subs = _subs(kind, targets)
    svc = ServiceConfig.model_validate(
        {"slack_base_url": urls["slack"], "telegram_base_url": urls["telegram"]}
    )
    env = {"SLACK_BOT_TOKEN": FAKE_SLACK_TOKEN, "TELEGRAM_BOT_TOKEN": FAKE_TELEGRAM_TOKEN}
    env.update({f"TEAMS_HOOK_{i}": urls["teams"] + f"&hook={i}" for i in range(targets)})
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(root=Path(tmp), service=svc, feeds=(), subscribers=tuple(subs))
        store = AsyncStore(Store(Path(tmp) / "f.db"))
        async with aiohttp.ClientSession() as http:
            ctx = ChannelContext(config=config, renderer=Renderer(), http=http, environ=env)
            channel = channel_classes()[kind](ctx)
            for s in subs:
                for k in range(per):
                    did = f"d-{kind}-{s.id}-{k}"
                    n = Notification(did, "alert", "nb", s.id, s.name, "chat", TLP.CLEAR,
                                     Priority.P1, f"Varsel {k}", case_id=None)  # fmt: skip
                    row = {"id": did, "subscriber_id": s.id, "target_id": "chat",
                           "channel": kind, "kind": "alert", "priority": 1, "tlp": 0,
                           "status": "pending", "notification": n}  # fmt: skip
                    await store.add_delivery(row, now=g.T0)
            disp = Dispatcher(config, store, {kind: channel}, clock=lambda: g.T0)
            t0 = time.perf_counter()
            summary = await disp.run_once()
            elapsed = time.perf_counter() - t0
            await channel.aclose()
        store.close()
    floor = max((per - 1) / LIMITS[kind], (targets * per - 1) / 30 if kind == "telegram" else 0)
    return {"elapsed_s": elapsed, "floor_s": floor, "ratio": elapsed / floor if floor else 1.0,
            "sent": summary.sent, "desc": f"{targets} targets x {per} msgs"}  # fmt: skip


async def fanout(targets: int, per: int) -> dict[str, Any]:
    watch = Watch()
    runner, urls = await _serve(watch)
    try:
        out = {k: await _one(k, targets, per, urls, watch) for k in ("slack", "teams", "telegram")}
    finally:
        await runner.cleanup()
    for v in out.values():
        v["violations"] = watch.violations()
    return out


async def fanout_runs(targets: int, per: int, *, runs: int) -> dict[str, Any]:
    """`fanout` ``runs`` times: each platform's ratio as min/median/max, violations summed."""
    results = [await fanout(targets, per) for _ in range(runs)]
    return {
        kind: {
            "desc": results[0][kind]["desc"],
            "ratio": spread(r[kind]["ratio"] for r in results),
            "violations": sum(r[kind]["violations"] for r in results),
            "sent": [r[kind]["sent"] for r in results],
        }
        for kind in results[0]
    }
