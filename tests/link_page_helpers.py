"""A served signed-link page for the HTTP and browser tests (tests/test_link_page*.py).

`serve_links(tmp)` builds the inbound test world (tests/inbound_helpers.py: 0301 in bokmål,
4601 in English, one P1 FortiOS case), adds a personal e-mail target to 0301, and serves
`InboundWeb` with links on. `link(world, sub, action, target)` is the path of a signed link.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from certbot.config import Config, TargetConfig
from certbot.inbound.web import InboundWeb
from certbot.model import TLP
from certbot.outbound.links import action_links
from certbot.store import AsyncStore
from tests.inbound_helpers import World, make_world

LINK = "link-secret-for-the-link-page"
ENV = {"LINK_SECRET": LINK}
BASE = "https://certbot.example.no"
PERSON = "ola.nordmann@oslo.kommune.no"


@dataclass
class Served:
    world: World
    client: TestClient

    def link(self, sub: str = "0301", action: str = "ack", target: str | None = "drift") -> str:
        config = self.world.ctx.config
        t = config.target(sub, target) if target else None
        links = action_links(config, sub, self.world.case, self.world.clock.now, ENV, target=t)
        return links[action].removeprefix(BASE)


def with_personal_target(config: Config) -> Config:
    """0301 gets a personal e-mail target (a named leader), cleared for RED."""
    leader = TargetConfig.model_construct(
        id="leder", kind="email", address=PERSON, personal=True, tlp_max=TLP.RED
    )
    subs = tuple(
        s.model_copy(update={"targets": (*s.targets, leader)}) if s.id == "0301" else s
        for s in config.subscribers
    )
    return config.model_copy(update={"subscribers": subs})


@contextlib.asynccontextmanager
async def serve_links(tmp: Path) -> AsyncIterator[Served]:
    world = make_world(tmp, link_secret={"env": "LINK_SECRET"}, public_url=BASE)
    world.ctx.config = with_personal_target(world.config)
    astore = AsyncStore(world.store)
    site = InboundWeb(world.ctx, astore, link_secret=LINK)
    client = TestClient(TestServer(site.app(), host="127.0.0.1"))
    await client.start_server()
    try:
        yield Served(world, client)
    finally:
        await client.close()
        astore._pool.shutdown(wait=True)
