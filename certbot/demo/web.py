"""`demo --web`: after the demo cycle, serve its database through the web overview on
127.0.0.1 with ``insecure_local_demo`` (no sign-in; everyone is a demo operator) until
Ctrl-C, or until ``stop`` is set (tests). Prints the URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from certbot.app import App
from certbot.config import Config
from certbot.config.web import WebConfig, demo_web

DEMO_LISTEN = "127.0.0.1:8090"


def with_demo_web(config: Config, listen: str = DEMO_LISTEN) -> Config:
    svc = config.service.model_copy(update={"web": WebConfig(**demo_web(listen))})
    return config.model_copy(update={"service": svc})


async def serve_web(
    config: Config,
    db: Path,
    listen: str = DEMO_LISTEN,
    stop: asyncio.Event | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    async with App(with_demo_web(config, listen), db, serve_inbound=True) as app:
        url = app.sites["web"] + "/"
        print(f"\n  Web overview: {url}   (demo without sign-in; Ctrl-C stops it)", flush=True)
        if ready is not None:
            ready(url)
        await (stop or asyncio.Event()).wait()


__all__ = ["DEMO_LISTEN", "serve_web", "with_demo_web"]
