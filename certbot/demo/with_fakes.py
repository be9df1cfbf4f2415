"""`demo --fakes`: the demo cycle with the Slack, Teams and Telegram targets of the shipped
municipalities sent through the REAL channels to the local protocol fakes (certbot.demo.fakes),
started in-process on 127.0.0.1. E-mail and file targets still go to the JSON Lines file.

After the start-up cycle (only "Status ved oppstart": the snapshots are old), one SYNTHETIC
new case arrives (`certbot.demo.arrival`), so one alert reaches all three platforms and is
acknowledged in the loop.

Each chat channel is wrapped in a tap that remembers which request the fake received for
which delivery, so the demo can show one advisory as Slack, Teams and Telegram received it.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from certbot.app import App
from certbot.channels import Channel, Payload, Sent, channel_classes
from certbot.config import Config, TargetConfig
from certbot.demo.arrival import arrive, fresh_feeds
from certbot.demo.cycle import run_cycle
from certbot.demo.fakes import FAKES, Fake, Fakes, serve_fakes
from certbot.demo.loop import ack_round, with_inbound
from certbot.model import Notification

CHAT = ("slack", "teams", "telegram")
ENDPOINT = {"slack": "/chat.postMessage", "teams": "/webhook/", "telegram": "/sendMessage"}


class Tap(Channel):
    """Delegates to a real channel; records the body the fake received per delivery id."""

    def __init__(self, inner: Channel, fake: Fake, kind: str):
        super().__init__(inner.ctx)
        self.inner, self.fake, self.platform = inner, fake, kind
        self.received: dict[str, Any] = {}
        self._lock = asyncio.Lock()  # one request at a time, so the fake's record lines up

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        return self.inner.render(n, target)

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        async with self._lock:
            before = len(self.fake.requests)
            sent = await self.inner.deliver(payload, target)
            got = [r for r in self.fake.requests[before:] if ENDPOINT[self.platform] in r.path]
        if got:
            self.received[str(payload.meta.get("delivery_id"))] = got[-1].body
        return sent

    async def aclose(self) -> None:
        await self.inner.aclose()


def point_at_fakes(config: Config, urls: dict[str, str], fakes: Fakes) -> tuple[Config, dict]:
    """The config with chat base URLs at the fakes, and an environment with their secrets."""
    svc = config.service.model_copy(
        update={"slack_base_url": urls["slack"], "telegram_base_url": urls["telegram"]}
    )
    environ = {
        **os.environ,
        svc.slack_token.env: fakes.slack.token,
        svc.telegram_token.env: fakes.telegram.token,
    }
    for sub in config.subscribers:
        for t in sub.targets:
            if t.kind == "teams" and t.secret is not None:
                environ[t.secret.env] = urls["teams"]
    return config.model_copy(update={"service": svc}), environ


async def cycle_with_fakes(config: Config, db: Path, alerts: Path) -> tuple[dict, dict]:
    """Run the demo cycle against the fakes; return the summary and, for one advisory that
    reached all three platforms, what each fake received ({} if none did)."""
    runner, urls = await serve_fakes()
    try:
        fakes = runner.app[FAKES]
        cfg, environ = point_at_fakes(config, urls, fakes)
        cfg = with_inbound(cfg, environ)
        cfg, kev, mirror = fresh_feeds(cfg, db.parent)
        os.environ.update({k: environ[k] for k in environ if k.startswith("CERTBOT_DEMO_")})
        async with App(
            cfg, db, environ=environ, redirect_to=str(alerts), echo=False, rate_limits=False
        ) as app:
            ctx = app.channels["file"].ctx
            classes = channel_classes()
            taps = {k: Tap(classes[k](ctx), getattr(fakes, k), k) for k in CHAT}
            app.channels.update(taps)  # the dispatcher shares this dict
            try:
                summary = await run_cycle(app, cfg)
                await arrive(app, kev, mirror)  # a new case, inside the baseline window
                rows = await app.store.deliveries(limit=1_000_000)
                shown_case = _one_advisory(rows, taps).get("case_id")
                loop = await ack_round(app, fakes, environ, shown_case) if shown_case else {}
            finally:
                for tap in taps.values():
                    await tap.aclose()
        shown = _one_advisory(rows, taps)
        shown["received"] = {k: len(tap.received) for k, tap in taps.items()}
        shown["loop"] = loop
        return summary, shown
    finally:
        await runner.cleanup()


def _one_advisory(rows: list[dict[str, Any]], taps: dict[str, Tap]) -> dict[str, Any]:
    by_case: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (r["priority"] or 9, r["case_id"] or "", r["id"])):
        body = taps[r["channel"]].received.get(r["id"]) if r["channel"] in taps else None
        if r["case_id"] and r["kind"] == "alert" and body is not None:
            by_case.setdefault(r["case_id"], {}).setdefault(r["channel"], body)
    for case_id, seen in by_case.items():
        if set(seen) == set(CHAT):
            return {"case_id": case_id, **seen}
    return {}


def print_payloads(shown: dict[str, Any]) -> None:
    received = shown.get("received", {})
    print("\n  the fakes received: " + ", ".join(f"{k} {n}" for k, n in received.items()))
    if "case_id" not in shown:
        print("\nno advisory reached Slack, Teams and Telegram in this run")
        return
    print(f"\n=== {shown['case_id']} as the three platforms received it ===")
    for kind in CHAT:
        print(f"\n--- {kind} ---")
        print(json.dumps(shown[kind], indent=2, ensure_ascii=False))
    loop = shown.get("loop") or {}
    if loop:
        print(f"\n=== {shown['case_id']}: acknowledged from Telegram, Slack and a signed link ===")
        for how in ("telegram", "slack", "link"):
            print(f"  {how:<9} {loop.get(how, 'not tried')}")
        print("\n--- the operator asks: /berorte " + shown["case_id"] + " ---")
        print(loop.get("berorte", ""))
