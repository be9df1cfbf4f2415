"""The application: owns every resource in one AsyncExitStack (store, HTTP session,
channels) and wires the pipeline and the dispatcher. ``async with App(...) as app`` either
opens everything or closes what it opened and raises.

With ``instance="run"|"poll"|"send-test"`` the App registers this process in the store's
``instances`` table with a lease, renews it while open and removes it on exit; the dispatcher's
claims carry its id (`certbot.store.instances`). A second ``run`` raises `AlreadyRunning`;
``poll``/``send-test`` find the running service in ``app.defer_to`` and leave sending to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict, Unpack

import aiohttp

from certbot import httpd
from certbot.channels import Channel, ChannelContext, Payload, Sent, channel_classes
from certbot.config import Config, TargetConfig, read_secret
from certbot.errors import ConfigError
from certbot.fetch import Http
from certbot.inbound.service import start_inbound
from certbot.match import Matcher
from certbot.model import Notification
from certbot.outbound.dispatch import Dispatcher, DispatchSummary
from certbot.pipeline import FeedResult, Pipeline
from certbot.redact import register_secret
from certbot.render import Renderer
from certbot.store import Store, StoreThread, utcnow
from certbot.store.instances import LEASE_SECONDS, Instance

log = logging.getLogger("certbot.app")


class AlreadyRunning(RuntimeError):
    """A live ``run`` holds this database; ``holder`` is its ``instances`` row."""

    def __init__(self, holder: dict[str, Any]):
        super().__init__(
            "another certbot run is active on this database: " + Instance.describe(holder)
        )
        self.holder = holder


class RedirectChannel(Channel):
    """Sends what any target would receive to one JSON Lines file instead (demo, dry runs)."""

    kind = "redirect"
    rate_per_second = 1000.0  # everything goes to one local file

    def __init__(self, inner: Channel, path: str):
        super().__init__(inner.ctx)
        self.inner = inner
        self.path = path

    def _as_file(self, target: TargetConfig) -> TargetConfig:
        return target.model_copy(update={"kind": "file", "address": self.path})

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        payload = self.inner.render(n, self._as_file(target))
        for line in payload.body if isinstance(payload.body, list) else []:
            line["channel"] = target.kind
        return payload

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        return await self.inner.deliver(payload, self._as_file(target))


class AppOptions(TypedDict, total=False):
    """`App`'s keyword options (all optional)."""

    environ: dict[str, str] | None  # secrets' environment (default: os.environ)
    clock: Callable[[], datetime]
    redirect_to: str | None  # every target's messages to this one JSON Lines file
    echo: bool  # file channel echoes to stdout
    channels: dict[str, Channel] | None  # instead of one instance per registered kind
    rate_limits: bool
    serve_inbound: bool
    instance: str | None  # register this process: "run", "poll" or "send-test"
    lease: float  # seconds an instance's lease lasts (renewed every third of it)


class App:
    def __init__(self, config: Config, db_path: str | Path, **options: Unpack[AppOptions]):
        self.config = config
        self.db_path = db_path
        self.environ = options.get("environ")
        self.clock = options.get("clock", utcnow)
        self.redirect_to = options.get("redirect_to")
        self.echo = options.get("echo", False)
        self._channels = options.get("channels")
        self.rate_limits = options.get("rate_limits", True)
        self.serve_inbound = options.get("serve_inbound", False)
        self.instance = Instance(kind) if (kind := options.get("instance")) else None
        self.lease = options.get("lease", LEASE_SECONDS)
        self.defer_to: dict[str, Any] | None = None  # the live `run` poll/send-test leave to
        self.scheduler: Any = None  # the running scheduler, set by `scheduler.serve` (/readyz)
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> App:
        try:
            await self._open()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._stack.aclose()

    async def _open(self) -> None:
        stack = self._stack
        _register_secrets(self.config, self.environ)
        self.store = StoreThread(Store(self.db_path))
        stack.callback(self.store.close)
        if self.instance is not None:
            await self._register(self.instance)
        self.http = await stack.enter_async_context(Http(base_dir=self.config.root))
        session = await stack.enter_async_context(
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        )
        self.session = session  # shared by the channels and the inbound side
        self.channel_ctx = ctx = ChannelContext(
            config=self.config,
            renderer=Renderer(),
            http=session,
            environ=self.environ,
            state={"file_echo": self.echo},
        )
        if self._channels is not None:
            self.channels = self._channels
        else:
            self.channels = {}
            for kind, cls in channel_classes().items():
                self.channels[kind] = cls(ctx)
            if self.redirect_to is not None:
                file_channel = self.channels["file"]
                redirect = RedirectChannel(file_channel, self.redirect_to)
                self.channels = {kind: redirect for kind in self.channels}
        for ch in set(self.channels.values()):
            stack.push_async_callback(ch.aclose)
        self.inbound = await start_inbound(self, stack) if self.serve_inbound else None
        self.sites = await httpd.start(self, stack) if self.serve_inbound else {}
        self.pipeline = Pipeline(self.config, self.store, self.http, clock=self.clock)
        self.dispatcher = Dispatcher(
            self.config, self.store, self.channels, clock=self.clock, rate_limits=self.rate_limits
        )
        self.dispatcher.owner = self.instance.id if self.instance else None

    async def _register(self, inst: Instance) -> None:
        """This process in ``instances``, its lease kept alive, removed again on exit."""
        holder = await self.store.call(Store.register_instance, inst, utcnow(), self.lease)
        if holder is not None:
            raise AlreadyRunning(holder)
        self._stack.push_async_callback(self.store.call, Store.release_instance, inst.id)
        keeper = asyncio.get_running_loop().create_task(self._keep_lease(inst))

        async def stop_keeper() -> None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

        self._stack.push_async_callback(stop_keeper)
        if inst.kind != "run":
            self.defer_to = await self.store.call(Store.live_run, utcnow(), other_than=inst.id)

    async def _keep_lease(self, inst: Instance) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)  # a periodic renewal, not synchronisation
            try:
                alive = await self.store.call(Store.renew_lease, inst.id, utcnow(), self.lease)
            except Exception as exc:  # a full disk, a locked file: try again next time
                log.error(
                    "could not renew the lease of instance %s (%s: %s); trying again in %.0f s",
                    inst.id,
                    type(exc).__name__,
                    exc,
                    self.lease / 3,
                )
                continue
            if not alive:
                log.critical("instance %s lost its lease row; registering again", inst.id)
                await self.store.call(Store.register_instance, inst, utcnow(), self.lease)

    async def poll(self, feed_ids: list[str] | None = None) -> list[FeedResult]:
        feeds = [f for f in self.config.feeds if feed_ids is None or f.id in feed_ids]
        return await self.pipeline.poll_many(feeds)

    async def dispatch(self) -> DispatchSummary:
        return await self.dispatcher.run_once()

    def reload(self, config: Config) -> list[str]:
        """Take a new configuration (SIGHUP): municipalities, inventories, targets, people,
        priorities and routing apply from the next poll, delivery and command. Returns what
        still needs a restart (feeds and their intervals, inbound settings)."""
        needs_restart = []
        if config.feeds != self.config.feeds:
            needs_restart.append("feeds (the polling schedule)")
        if config.service.inbound != self.config.service.inbound:
            needs_restart.append("service.inbound")
        _register_secrets(config, self.environ)
        self.config = config
        self.channel_ctx.config = config
        self.pipeline.config = config
        self.pipeline.matcher = Matcher(config.subscribers, {f.id: f.kind for f in config.feeds})
        self.dispatcher.config = config
        if self.inbound is not None:
            self.inbound[0].ctx.config = config  # shared by Telegram, Slack and the links
        return needs_restart


def _register_secrets(config: Config, environ: dict[str, str] | None) -> None:
    """Tell the log redactor every secret the configuration names, so none is ever logged."""
    svc = config.service
    refs = [
        svc.slack_token,
        svc.telegram_token,
        svc.smtp.password,
        svc.telegram_webhook_secret,
        svc.slack_signing_secret,
        svc.link_secret,
    ]
    refs += [t.secret for s in config.subscribers for t in s.targets]
    refs += [t.secret for t in svc.operator_targets]
    refs += [ref for f in config.feeds for ref in f.secrets()]
    if svc.provider is not None:
        refs += [ref for _, ref in svc.provider.all_refs()]
    for ref in refs:
        if ref is None:
            continue
        try:
            register_secret(read_secret(ref.env, environ))
        except ConfigError:  # an unreadable *_FILE is reported by check-config
            continue
