"""Issue 13.5: federation on real processes. Instance A (its own config directory and
database) runs ``python -m certbot run`` serving the CSAF provider on 127.0.0.1; the operator
publishes, revises and withdraws with ``python -m certbot publish`` while it runs. Instance B
(``kind: csaf`` at A's provider-metadata.json, A's key fingerprint pinned, a token from the
environment) runs ``poll --once`` after each step and alerts its own municipality (a file
target): the advisory arrives as an alert, the revision as an update, the withdrawal as a
withdrawal. A TLP:AMBER advisory for Oslo (0301) is not served to B with a sector member's
GREEN token, and is with Oslo's token. Loopback only; waits are bounded and wait for events
(A's log line, process exits), never for time."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path

import pytest

from certbot.cli import main
from tests.provider_helpers import config_dir, fingerprint, provider_yaml, signing_key

pytestmark = pytest.mark.slow
DEADLINE = 90.0
TOKENS = (
    "    tokens:\n      '0301': {env: TOK_0301}\n    member_tokens:\n      nsm: {env: TOK_NSM}\n"
)
SECRETS = {"TOK_0301": "oslo-token-5f2b8c9d0e1a", "TOK_NSM": "nsm-token-7a6b5c4d3e2f"}

FORTIOS = """\
id: KCERT-2026-0001
title: Kritisk sårbarhet i FortiOS SSL-VPN
tlp: GREEN
summary: En angriper uten innlogging kan kjøre kode på brannmuren.
cves: [CVE-2026-99901]
cvss: 9.8
exploited: {exploited}
products:
  - {{vendor: Fortinet, product: FortiOS, versions: 7.2.0 til 7.2.6, fixed: ["7.2.7"]}}
actions: [{action}]
"""
PORTAL = """\
id: KCERT-2026-0002
title: Sårbarhet i Acme Portal hos Oslo kommune
tlp: AMBER
summary: Innloggingen i Acme Portal kan omgås.
cves: [CVE-2026-99902]
cvss: 9.1
exploited: true
products:
  - {vendor: Acme, product: Portal, versions: vers:generic/<3.1, fixed: ["3.1"]}
recipients: {municipalities: ["0301"]}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(extra: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CERTBOT_", "CSAF_"))}
    return {**base, **extra, "PYTHONUNBUFFERED": "1"}


def _b_config(root: Path, port: int) -> Path:
    feeds = (
        "feeds:\n  - id: kcert\n    kind: csaf\n"
        f"    url: http://127.0.0.1:{port}/.well-known/csaf/provider-metadata.json\n"
        f"    fingerprints: ['{fingerprint()}']\n"
        "    token: {env: KCERT_TOKEN}\n    allow_private: true\n"
    )
    config_dir(root, "", feeds=feeds)
    (root / "subscribers" / "4601-bergen.yaml").unlink()
    sub = root / "subscribers" / "0301-oslo.yaml"
    text = sub.read_text().replace("version: '7.2.4'}", "version: '7.2.4', internet_facing: true}")
    sub.write_text(
        text + "  - {vendor: Acme, product: Portal, version: '3.0', internet_facing: true}\n"
    )
    return root


class Cli:
    """The real command line (`certbot.cli.main`), in a worker thread of this process: B's
    ``poll --once`` and the operator's ``publish`` (A's ``run`` is its own process)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys, self.monkeypatch = capsys, monkeypatch

    async def __call__(self, root: Path, *args: str, token: str | None = None) -> str:
        if token is not None:
            self.monkeypatch.setenv("KCERT_TOKEN", token)
        self.capsys.readouterr()
        argv = ["--config-dir", str(root), "--db", str(root / "c.db"), *args]
        rc = await asyncio.wait_for(asyncio.to_thread(main, argv), DEADLINE)
        out = self.capsys.readouterr()
        assert rc == 0, (args, out.out, out.err)
        return out.out

    async def poll(self, root: Path, token: str) -> dict[str, object]:
        summary = json.loads(await self(root, "poll", "--once", "--json", token=token))
        assert [f["status"] for f in summary["feeds"]] != ["error"], summary
        return summary


def _alerts(root: Path) -> list[dict[str, object]]:
    path = root / "out" / "0301.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def _start_a(root: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "certbot",
        "--config-dir",
        str(root),
        "--db",
        str(root / "c.db"),
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    seen = []
    while True:  # A's own log line says the provider listens
        line = (await asyncio.wait_for(proc.stderr.readline(), DEADLINE)).decode()
        seen.append(line)
        assert line, "A exited before listening:\n" + "".join(seen)
        if "listening on" in line and "provider" in line:
            return proc


@pytest.mark.timeout(300)
async def test_federation_publish_revise_withdraw_and_tlp_gating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(capsys, monkeypatch)
    port = _free_port()
    a = config_dir(
        tmp_path / "a",
        "  publish: {operators: [vakt]}\n"
        + provider_yaml(f"http://127.0.0.1:{port}", listen=f"127.0.0.1:{port}", tokens=TOKENS),
    )
    a_env = _env({"CSAF_SIGNING_KEY": signing_key(), **SECRETS})
    b = _b_config(tmp_path / "b", port)
    b_amber = _b_config(tmp_path / "b-oslo", port)
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "v1.yaml").write_text(FORTIOS.format(exploited="true", action="Oppgrader."))
    (drafts / "v2.yaml").write_text(
        FORTIOS.format(exploited="true", action="Oppgrader i dag, og slå av SSL-VPN.")
    )
    (drafts / "portal.yaml").write_text(PORTAL)
    run = await _start_a(a, a_env)
    try:
        await cli(a, "publish", str(drafts / "v1.yaml"), "--as", "vakt")
        await cli(a, "publish", str(drafts / "portal.yaml"), "--as", "vakt")
        first = await cli.poll(b, SECRETS["TOK_NSM"])  # a sector member's GREEN token
        alerts = _alerts(b)
        assert first["new_cases"] == 1, first
        assert [x["kind"] for x in alerts] == ["alert"]
        assert "FortiOS" in str(alerts[0]["text"]) and alerts[0]["tlp"] == "TLP:GREEN"
        assert not any("Acme" in str(x["text"]) for x in alerts)  # AMBER for Oslo: not served

        await cli(a, "publish", str(drafts / "v2.yaml"), "--as", "vakt")
        second = await cli.poll(b, SECRETS["TOK_NSM"])
        alerts = _alerts(b)
        assert second["updated_cases"] == 1, second
        assert [x["kind"] for x in alerts] == ["alert", "update"]
        assert alerts[1]["advisory_id"] == alerts[0]["advisory_id"]

        await cli(
            a,
            "publish",
            "--withdraw",
            "KCERT-2026-0001",
            "--reason",
            "Feil versjon.",
            "--as",
            "vakt",
        )
        await cli.poll(b, SECRETS["TOK_NSM"])
        alerts = _alerts(b)
        assert [x["kind"] for x in alerts] == ["alert", "update", "update"]
        assert "trukket tilbake" in str(alerts[2]["text"]).lower()

        await cli.poll(b_amber, SECRETS["TOK_0301"])  # Oslo's token: the AMBER one is served
        texts = [str(x["text"]) for x in _alerts(b_amber)]
        assert any("Acme Portal" in t for t in texts), texts
        # Only the AMBER one: FortiOS is withdrawn by now, and a withdrawn advisory seen for
        # the first time alerts nobody.
        assert [(x["kind"], x["tlp"]) for x in _alerts(b_amber)] == [("alert", "TLP:AMBER")]
    finally:
        run.terminate()
        await asyncio.wait_for(run.wait(), DEADLINE)
