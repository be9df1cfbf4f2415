"""The web overview under test: the demo's data served by a real `App` with ``service.web``.

`demo_database(dir)` runs the offline demo cycle once (examples/demo, every delivery to a
JSON Lines file) and returns the database and the config; each test serves a copy of it
(`serve`), so tests may change it. `signin_web` is ``service.web`` signed in through the
local provider (tests/oidc_provider.py) with three people: an operator, a viewer (cleared
for GREEN) and a viewer of 0301 only. `browser_client` is an aiohttp client whose cookie
jar treats the loopback site as secure (the session cookie is ``Secure``). `signin_site` is all
three at once: the local provider, the demo served with sign-in through it, and a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from certbot.app import App
from certbot.config import Config, load_config
from certbot.config.web import WebConfig
from certbot.demo.cycle import DEMO_DIR, run_cycle
from certbot.demo.web import with_demo_web
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OPERATOR, Provider, running_provider

VIEWER = {"sub": "v-1", "email": "per@fylke.example.no", "email_verified": True, "name": "Per"}
OSLO = {"sub": "o-1", "email": "ola@oslo.kommune.no", "email_verified": True, "name": "Ola"}
STRANGER = {"sub": "x-1", "email": "eve@example.com", "email_verified": True, "name": "Eve"}
ENV = {"CERTBOT_OIDC_CLIENT_SECRET": CLIENT_SECRET}


def demo_database(where: Path) -> tuple[Config, Path]:
    config = load_config(DEMO_DIR)
    svc = config.service.model_copy(update={"output_dir": str(where)})
    config = config.model_copy(update={"service": svc})
    db = where / "demo.db"

    async def cycle() -> None:
        async with App(
            config, db, redirect_to=str(where / "alerts.jsonl"), rate_limits=False
        ) as app:
            await run_cycle(app, config)

    asyncio.run(cycle())
    return config, db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signin_web(issuer: str, port: int, **extra: Any) -> WebConfig:
    return WebConfig.model_validate(
        {
            "listen": f"127.0.0.1:{port}",
            "public_url": f"http://127.0.0.1:{port}",
            "sign_in": {"issuer": issuer, "client_id": CLIENT_ID, **extra},
            "roles": [
                {"role": "operator", "emails": [OPERATOR["email"]], "tlp_max": "AMBER+STRICT"},
                {"role": "viewer", "emails": ["@fylke.example.no"]},
                {
                    "role": "municipality",
                    "subjects": [OSLO["sub"]],
                    "municipality": "0301",
                    "tlp_max": "AMBER",
                },
            ],
        }
    )


@dataclass
class Served:
    app: App
    base: str
    db: Path


@contextlib.asynccontextmanager
async def serve(
    config: Config, db: Path, tmp: Path, web: WebConfig | None = None
) -> AsyncIterator[Served]:
    """The demo database (a copy in ``tmp``) behind the web part; demo mode without ``web``."""
    copy = tmp / "served.db"
    shutil.copy(db, copy)
    if web is None:
        config = with_demo_web(config, f"127.0.0.1:{free_port()}")
    else:
        config = config.model_copy(
            update={"service": config.service.model_copy(update={"web": web})}
        )
    async with App(config, copy, serve_inbound=True, environ=ENV, rate_limits=False) as app:
        yield Served(app, app.sites["web"], copy)


@contextlib.asynccontextmanager
async def signin_site(
    demo: tuple[Config, Path], tmp: Path, person: dict[str, Any] | None = None, **sign_in: Any
) -> AsyncIterator[tuple[Provider, Served, aiohttp.ClientSession]]:
    """The local provider (signing ``person`` in, the operator by default), the demo database
    served with ``signin_web`` (``sign_in``: extra sign-in settings) and a `browser_client`."""
    config, db = demo
    async with running_provider() as idp:
        if person is not None:
            idp.user = dict(person)
        web = signin_web(idp.base, free_port(), **sign_in)
        async with serve(config, db, tmp, web) as served, browser_client(served.base) as client:
            yield idp, served, client


def browser_client(base: str) -> aiohttp.ClientSession:
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
    return aiohttp.ClientSession(cookie_jar=jar)


async def sign_in(client: aiohttp.ClientSession, base: str) -> aiohttp.ClientResponse:
    """Follow the whole code flow from ``/signin?go=1``; the last response."""
    async with client.get(f"{base}/signin?go=1") as resp:
        await resp.read()
        return resp


async def csrf_of(client: aiohttp.ClientSession, url: str) -> str:
    """The CSRF token in a page's forms."""
    async with client.get(url) as resp:
        html = await resp.text()
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
