"""Shared bench plumbing: a world (load, feeds served, config), a null channel, timers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import generate as g
from bench.server import FeedServer
from certbot.channels import Channel, ChannelContext, Payload, Sent
from certbot.channels.file import FileChannel
from certbot.config import Config, ServiceConfig, SubscriberConfig
from certbot.model import Notification
from certbot.render import Renderer
from certbot.sources import SOURCES, get_source
from certbot.sources.csaf import CsafSource
from certbot.sources.stix import StixSource


def register_sources() -> None:
    """CSAF and STIX are registered by the structured-source module once it lands."""
    get_source("rss")
    SOURCES.setdefault("csaf", CsafSource())
    SOURCES.setdefault("stix", StixSource())


@contextmanager
def timer(out: dict[str, float], key: str) -> Iterator[None]:
    t = time.perf_counter()
    try:
        yield
    finally:
        out[key] = out.get(key, 0.0) + time.perf_counter() - t


class NullChannel(Channel):
    """A fake without limits: renders exactly like the file channel, sends nowhere."""

    kind = "file"

    def __init__(self, ctx: ChannelContext):
        super().__init__(ctx)
        self.inner = FileChannel(ctx)
        self.sent: list[str] = []
        self.sent_at: dict[str, float] = {}

    def render(self, n: Notification, target: Any) -> Payload:
        return self.inner.render(n, target)

    async def deliver(self, payload: Payload, target: Any) -> Sent:
        did = payload.meta.get("delivery_id")
        self.sent.append(did)
        self.sent_at[did] = time.perf_counter()
        return Sent(external_id=did)


@dataclass
class World:
    load: g.Load
    subscribers: list[SubscriberConfig]
    vulns: list[g.Vuln]
    docs: dict[str, Any]
    server: FeedServer
    root: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def config(self, **service: Any) -> Config:
        svc = {"dispatch": {"concurrency": 64}, **service}
        return Config(
            root=self.root,
            service=ServiceConfig.model_validate(svc),
            feeds=tuple(self.server.feeds()),
            subscribers=tuple(self.subscribers),
        )


async def make_world(n: int, items: int, m: int, root: Path, *, seed: int = 1) -> World:
    register_sources()
    load = g.make_load(seed)
    subs = g.inventories(load, n, items)
    vs = g.vulns(load, m)
    docs = g.feed_documents(vs)
    server = await FeedServer(docs).start()
    return World(load, subs, vs, docs, server, root)


# One Renderer for the bench process, as the service has one per process: its compiled
# templates are kept, so a measured cycle does not pay Jinja's compile (~0.5 s per template
# on a loaded machine) that a running service paid once at its first message.
RENDERER = Renderer()


def null_channels(config: Config) -> tuple[NullChannel, dict[str, Channel]]:
    ch = NullChannel(ChannelContext(config=config, renderer=RENDERER))
    return ch, {k: ch for k in ("file", "email", "slack", "teams", "telegram")}
