"""Shared parts of the tests that start real certbot processes (`python -m certbot …`): the
command line, an environment without the caller's CERTBOT_* settings, a KEV catalogue file of
synthetic entries, and a world of one municipality with N Teams targets."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.factory import kev_entry

FORTIOS_ITEM = "inventory:\n  - {vendor: Fortinet, product: FortiOS, version: '7.2.4', internet_facing: true}\n"
EVERY_CASE = (  # not a first-run test: every case is sent, each on its own (counted per case)
    "  routing: {baseline_days: 100000, group_bursts: false}\n"
)


def cli(root: Path, *args: str) -> list[str]:
    """``python -m certbot`` with ``root`` as config dir and ``root/c.db`` as database."""
    db = str(root / "c.db")
    return [sys.executable, "-m", "certbot", "--config-dir", str(root), "--db", db, *args]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment less CERTBOT_* (crash points, paths), plus ``extra``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CERTBOT_")}
    return {**base, "PYTHONUNBUFFERED": "1", **extra}


def write_kev(path: Path, cves: list[str]) -> None:
    """A KEV catalogue with one synthetic FortiOS entry per CVE id."""
    vulns = [kev_entry(cve) for cve in cves]
    catalogue = {
        "title": "test",
        "catalogVersion": "2026.01.01",
        "dateReleased": "2026-01-01T00:00:00.000Z",
        "count": len(vulns),
        "vulnerabilities": vulns,
    }
    path.write_text(json.dumps(catalogue))


def teams_world(root: Path, cves: list[str], targets: int, concurrency: int) -> None:
    """Oslo with a FortiOS item and ``targets`` Teams targets (secrets TEAMS_T0…); one KEV feed."""
    (root / "subscribers").mkdir(parents=True)
    write_kev(root / "kev.json", cves)
    (root / "feeds.yaml").write_text(
        "feeds:\n  - {id: kev, kind: kev, path: kev.json}\n"
        f"service:\n  dispatch: {{concurrency: {concurrency}}}\n" + EVERY_CASE
    )
    lines = "".join(
        f"  - {{id: t{i}, kind: teams, secret: {{env: TEAMS_T{i}}}, tlp_max: GREEN}}\n"
        for i in range(targets)
    )
    (root / "subscribers" / "0301-oslo.yaml").write_text(
        "id: '0301'\nname: Oslo kommune\ncounty: Oslo\ndaily_cap: 1000\n"
        f"targets:\n{lines}" + FORTIOS_ITEM
    )


def teams_env(url: str, sig: str, targets: int) -> dict[str, str]:
    """`clean_env` with TEAMS_T<i> pointing at the fake Teams webhook ``url``."""
    hooks = {f"TEAMS_T{i}": f"{url}/webhook/t{i}?api-version=1&sig={sig}" for i in range(targets)}
    return clean_env(**hooks)
