"""FileChannel: JSON Lines records, digests split per item, atomic appends, golden output."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from pathlib import Path

import pytest

from certbot.app import App
from certbot.channels import ChannelContext
from certbot.channels.file import FileChannel
from certbot.config import Config, ServiceConfig, TargetConfig
from certbot.errors import DeliveryError
from certbot.render import Renderer
from tests.channel_contract import ChannelContract, Driver
from tests.conftest import ROOT
from tests.factory import config as make_config
from tests.factory import fortios_sub
from tests.notifications import make_alert, make_digest, make_update

TARGET = TargetConfig(id="logg", kind="file", address="out/alerts.jsonl")


def make_channel(tmp_path: Path, **state) -> FileChannel:
    config = Config(root=tmp_path, service=ServiceConfig(), feeds=(), subscribers=())
    return FileChannel(ChannelContext(config=config, renderer=Renderer(), state=state))


def read_lines(tmp_path: Path) -> list[dict]:
    text = (tmp_path / "out" / "alerts.jsonl").read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_render_is_pure_and_golden(tmp_path, golden):
    channel = make_channel(tmp_path)
    for name, n in (
        ("alert", make_alert()),
        ("digest", make_digest()),
        ("update_en", make_update("en")),
    ):
        payload = channel.render(n, TARGET)
        assert payload.channel == "file"
        assert channel.render(n, TARGET).body == payload.body  # same input, same output
        assert all("delivered_at" not in r for r in payload.body)
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in payload.body)
        golden(f"file/{name}.jsonl", lines)


async def test_two_deliveries_append_two_lines(tmp_path):
    channel = make_channel(tmp_path)
    await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    sent = await channel.deliver(channel.render(make_update(), TARGET), TARGET)
    assert sent.external_id == "d-0301-cve-2024-21762-r2-it-vakt"
    first, second = read_lines(tmp_path)
    assert (first["kind"], second["kind"]) == ("alert", "update")
    assert first["advisory_id"] == "CVE-2024-21762" and second["revision"] == 2
    assert first["tlp"] == "TLP:AMBER" and first["priority"] == "P1"
    assert first["deadline"] == "2024-02-10T10:00:00+00:00"
    assert first["matched"][0]["rule"] == "product_version"
    assert first["text"].startswith("TLP:AMBER\nP1 Handle nå\n")
    assert "sårbarhet" in (tmp_path / "out" / "alerts.jsonl").read_text(encoding="utf-8")
    assert first["delivered_at"].endswith("+00:00")


async def test_digest_yields_one_line_per_item(tmp_path):
    channel = make_channel(tmp_path)
    digest = make_digest()
    await channel.deliver(channel.render(digest, TARGET), TARGET)
    lines = read_lines(tmp_path)
    assert [r["delivery_id"] for r in lines] == [i.delivery_id for i in digest.items]
    assert all(r["digest"] is True and r["digest_id"] == digest.delivery_id for r in lines)
    assert len({r["delivery_id"] for r in lines}) == len(lines) == 4


async def test_concurrent_deliveries_do_not_interleave(tmp_path):
    channel = make_channel(tmp_path)
    big = "x" * 50_000  # large lines make torn writes visible if they happened
    payloads = [
        channel.render(make_alert(delivery_id=f"d-{i}", summary=f"{i} {big}"), TARGET)
        for i in range(40)
    ]
    await asyncio.gather(*(channel.deliver(p, TARGET) for p in payloads))
    lines = read_lines(tmp_path)  # every line parses as one JSON object
    assert sorted(r["delivery_id"] for r in lines) == sorted(f"d-{i}" for i in range(40))
    assert all(r["summary"].startswith(r["delivery_id"][2:] + " ") for r in lines)


async def test_echo_prints_the_text(tmp_path, capsys):
    channel = make_channel(tmp_path, file_echo=True)
    await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    out = capsys.readouterr().out
    assert out.startswith("TLP:AMBER\n") and "Hva dere bør gjøre" in out


async def test_unwritable_path_raises_delivery_error(tmp_path):
    (tmp_path / "out").write_text("a file, not a directory")
    channel = make_channel(tmp_path)
    try:
        await channel.deliver(channel.render(make_alert(), TARGET), TARGET)
    except DeliveryError as exc:
        assert exc.retryable
    else:
        raise AssertionError("expected DeliveryError")


def test_registered_under_its_kind():
    from certbot.channels import channel_classes

    assert channel_classes()["file"] is FileChannel and FileChannel.kind == "file"


class TestFileContract(ChannelContract):
    """The shared channel checks (tests/channel_contract.py); a file has no remote status and
    holds no secret, so those two checks are skipped by the contract itself."""

    kind = "file"
    status_rows = ()

    @contextlib.asynccontextmanager
    async def driver(self, tmp_path, canary=False):
        yield Driver(make_channel(tmp_path), TARGET)

    def check_inert(self, payload, title):
        for record in payload.body:
            line = json.dumps(record, ensure_ascii=False)
            assert "\n" not in line and "\r" not in line


# --- issue 12.4: a file target writes only inside the output directory -----------------------


@pytest.mark.parametrize(
    "address",
    ["/etc/certbot-test-should-never-exist.jsonl", "../escape.jsonl", "out/../../x.jsonl"],
)
async def test_paths_outside_the_output_directory_are_refused_at_send_time(tmp_path, address):
    channel = make_channel(tmp_path)
    target = TargetConfig(id="logg", kind="file", address=address)
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), target), target)
    assert not info.value.retryable  # a definite failure: dead, and the operator is told
    assert "outside the output directory" in str(info.value)
    assert not Path(address).is_absolute() or not Path(address).exists()
    assert not (tmp_path / "escape.jsonl").exists()


async def test_a_symlink_out_of_the_output_directory_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path / "elsewhere")
    channel = make_channel(tmp_path)
    target = TargetConfig(id="logg", kind="file", address="out/link/alerts.jsonl")
    with pytest.raises(DeliveryError, match="outside the output directory"):
        await channel.deliver(channel.render(make_alert(), target), target)
    assert list((tmp_path / "elsewhere").iterdir()) == []


@pytest.mark.parametrize("name", ["certbot.db", "certbot.db-wal", "feeds.yaml", "x.yml"])
async def test_database_and_config_files_are_refused_inside_the_directory_too(tmp_path, name):
    channel = make_channel(tmp_path)
    target = TargetConfig(id="logg", kind="file", address=f"out/{name}")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), target), target)
    assert not info.value.retryable
    assert not (tmp_path / "out" / name).exists()


async def test_a_refused_file_target_goes_dead_and_the_operator_is_told(tmp_path):
    shutil.copy(ROOT / "examples/demo/kev.json", tmp_path / "kev.json")

    bad = {"id": "logg", "kind": "file", "address": "../passwd", "tlp_max": "AMBER"}
    vakt = {"id": "vakt", "kind": "file", "address": "out/operator.jsonl", "tlp_max": "AMBER"}
    cfg = make_config(
        [fortios_sub(targets=[bad])],
        root=tmp_path,
        service={"output_dir": "out", "operator_targets": [vakt]},
        feeds=[{"id": "cisa-kev", "kind": "kev", "path": "kev.json"}],
    )
    async with App(cfg, str(tmp_path / "c.db"), rate_limits=False) as app:
        await app.poll()
        await app.dispatch()
        await app.dispatch()  # the operator notice planned by the first round
        statuses = await app.store.status_counts()
    assert statuses.get("dead", 0) >= 1 and statuses.get("sent", 0) >= 1  # notices sent
    text = (tmp_path / "out" / "operator.jsonl").read_text(encoding="utf-8")
    notices = [json.loads(line) for line in text.splitlines()]
    assert any("outside the output directory" in n["summary"] for n in notices)
    assert not (tmp_path.parent / "passwd").exists()
