"""One demo cycle against a running `App`: poll, send, fold every digest at once, send again.

Shared by `demo` (certbot.demo.run, every delivery to one JSON Lines file) and `demo --fakes`
(certbot.demo.with_fakes, chat targets to the local protocol fakes). `DEMO_DIR` is the bundled
sample configuration in examples/demo/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from certbot.app import App
from certbot.config import Config
from certbot.planning import build_digests

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "examples" / "demo"


async def offline_cycle(config: Config, db: Path, alerts: Path) -> dict[str, Any]:
    """The cycle with every delivery redirected to ``alerts`` and echoed to the console."""
    async with App(config, db, redirect_to=str(alerts), echo=True, rate_limits=False) as app:
        return await run_cycle(app, config)


async def run_cycle(app: App, config: Config) -> dict[str, Any]:
    """Poll, send, fold every digest at once, send again; summarise."""
    results = await app.poll()
    await app.dispatch()
    await app.store.call(build_digests, config, app.clock(), force=True)
    await app.dispatch()
    statuses = await app.store.status_counts()
    cases = await app.store.list_cases(10_000)
    rows = await app.store.deliveries(limit=1_000_000)
    return {
        "feeds": [(r.feed_id, r.status, r.advisories) for r in results],
        "cases": len(cases),
        "municipalities": len(
            {r["subscriber_id"] for r in rows if r["subscriber_id"] != "operator"}
        ),
        "statuses": ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
    }
