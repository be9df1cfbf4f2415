"""A channel defined only here and registered with one line works end to end.

`EchoChannel` is not shipped: `register(EchoChannel)` is all it takes for a subscriber file
with ``kind: echo`` to pass check-config (with the channel's own address rule), for planning
to add signed links (the class says its messages carry them), and for the real Dispatcher to
send through it at the rate the class declares. Nothing in config, planning or dispatch names
it. It also inherits the shared `ChannelContract`.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import ClassVar

import pytest

import certbot.channels as channels_mod
from certbot.app import App
from certbot.channels import Channel, ChannelContext, Payload, Sent, register
from certbot.config import Config, ConfigError, ServiceConfig, TargetConfig, load_config
from certbot.errors import DeliveryError
from certbot.model import Notification
from certbot.render import Renderer
from tests.channel_contract import ChannelContract, Driver
from tests.conftest import ROOT

LINK_SECRET = "echo-link-secret-0123456789abcdef"


class EchoChannel(Channel):
    """Keeps what it is given; ``address`` must be ``echo:<name>``."""

    kind = "echo"
    rate_per_second = 50.0
    signed_links = True
    size_limit = 10_000
    address_help = "echo:<name>"
    sent: ClassVar[list[tuple[Payload, str]]] = []
    fail_with: ClassVar[int | None] = None

    @classmethod
    def target_problem(cls, target: TargetConfig) -> tuple[str, str] | None:
        if not (target.address or "").startswith("echo:"):
            return ("address", f"{target.address!r} is not echo:<name>; write e.g. echo:drift")
        return None

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        text = f"{n.priority.name if n.priority else '-'} {n.title}"[:500]
        return Payload(
            channel="echo",
            body={"text": text, "links": dict(n.extra.get("action_links") or {})},
            text=text,
            meta={"delivery_id": n.delivery_id},
        )

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        if self.fail_with is not None:
            code, type(self).fail_with = self.fail_with, None
            raise DeliveryError(f"echo refused with {code}", retryable=code >= 500)
        self.sent.append((payload, target.address or ""))
        return Sent(external_id=payload.meta["delivery_id"])


@pytest.fixture
def echo(monkeypatch):
    """Register EchoChannel for one test; the registry is restored afterwards."""
    monkeypatch.setattr(channels_mod, "_REGISTRY", dict(channels_mod.channel_classes()))
    register(EchoChannel)  # the one line
    EchoChannel.sent = []
    yield EchoChannel


def write_config(root: Path, address: str = "echo:drift") -> None:
    shutil.copy(ROOT / "examples/demo/kev.json", root / "kev.json")
    (root / "feeds.yaml").write_text(
        "service:\n"
        "  link_secret: {env: ECHO_LINK_SECRET}\n"
        # the demo's KEV entries are old: alert on them as new (this test is not the first run)
        "  routing: {baseline_days: 100000, group_bursts: false}\n"
        "feeds:\n"
        "  - {id: cisa-kev, kind: kev, path: kev.json}\n",
        encoding="utf-8",
    )
    (root / "subscribers").mkdir()
    (root / "subscribers" / "0301-oslo.yaml").write_text(
        'id: "0301"\n'
        "name: Oslo kommune\n"
        "county: Oslo\n"
        "targets:\n"
        f"  - {{id: ekko, kind: echo, address: '{address}', tlp_max: AMBER}}\n"
        "inventory:\n"
        "  - {vendor: Fortinet, product: FortiOS, version: '7.2.4', internet_facing: true}\n",
        encoding="utf-8",
    )


def test_unknown_kind_is_refused_until_registered(tmp_path):
    write_config(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "targets[0].kind: 'echo' is not allowed; use 'email'" in info.value.problems[0]


def test_check_config_applies_the_channels_own_address_rule(tmp_path, echo):
    write_config(tmp_path, address="drift")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.problems[0] == (
        "subscribers/0301-oslo.yaml: targets[0].address: 'drift' is not echo:<name>; "
        "write e.g. echo:drift (line 5)"
    )


async def test_registered_channel_goes_through_config_planning_and_dispatch(
    tmp_path, echo, monkeypatch
):
    monkeypatch.setenv("ECHO_LINK_SECRET", LINK_SECRET)
    write_config(tmp_path)
    config = load_config(tmp_path)
    assert config.subscriber("0301").targets[0].kind == "echo"
    async with App(config, str(tmp_path / "c.db")) as app:
        assert isinstance(app.channels["echo"], EchoChannel)
        await app.poll()
        summary = await app.dispatch()
        limiter = next(lim for (sub, tid), lim in app.dispatcher.limiters.items() if tid == "ekko")
    assert summary.sent >= 1
    assert limiter.time_period == pytest.approx(1 / EchoChannel.rate_per_second)
    payloads = [p for p, address in echo.sent if address == "echo:drift"]
    assert any(p.body["text"].startswith("P2 Aktivt utnyttet sårbarhet i Fortinet FortiOS") for p in payloads), payloads
    # planning asked the class, not the kind: signed links are on every message
    assert all(set(p.body["links"]) >= {"ack"} for p in payloads), payloads[0].body


async def test_a_definite_failure_goes_dead_through_the_usual_path(tmp_path, echo):
    write_config(tmp_path)
    config = load_config(tmp_path)
    EchoChannel.fail_with = 400
    async with App(config, str(tmp_path / "c.db")) as app:
        await app.poll()
        summary = await app.dispatch()
        statuses = await app.store.status_counts()
    assert summary.dead >= 1 and statuses.get("dead", 0) >= 1


def test_a_channel_without_a_rate_limit_is_refused():
    class NoRate(Channel):
        kind = "norate"

    with pytest.raises(TypeError, match="rate_per_second"):
        register(NoRate)
    assert "norate" not in channels_mod.channel_classes()


class TestEchoContract(ChannelContract):
    """The test-only channel passes the same shared checks as the shipped ones."""

    kind = "echo"
    status_rows = ((200, None), (400, False), (503, True))

    @pytest.fixture(autouse=True)
    def _registered(self, echo):
        return echo

    @contextlib.asynccontextmanager
    async def driver(self, tmp_path, canary=False):
        config = Config(root=tmp_path, service=ServiceConfig(), feeds=(), subscribers=())
        channel = EchoChannel(ChannelContext(config=config, renderer=Renderer()))

        def fail(code: int) -> None:
            EchoChannel.fail_with = code

        target = TargetConfig(id="ekko", kind="echo", address="echo:x")
        yield Driver(channel, target, fail, None)

    def check_inert(self, payload, title):
        assert "\n" not in payload.body["text"] or title.count("\n")
