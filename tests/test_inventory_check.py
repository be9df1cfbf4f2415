"""inventory check: what each item resolved to, coverage, and the recent advisories the items
would have matched; check-config's one line per municipality."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from certbot.cli import main
from certbot.config import load_config
from certbot.inventory.check import UNKNOWN, coverage
from certbot.inventory.importing import ImportRequest, run_import
from certbot.store import Store
from tests.factory import kev
from tests.test_inventory_import import conf


def _setup(tmp_path):
    root = conf(tmp_path)
    csv = tmp_path / "apps.csv"
    csv.write_text(
        "Produkt;Leverandør;Versjon;Kritikalitet;Internett-eksponert\n"
        "Connect Secure;Ivanti;22.7R2.3;kritisk;ja\n"
        "Fagsystem Xyz;Lokal Leverandør;;lav;nei\n",
        "utf-8",
    )
    run_import(load_config(root), ImportRequest("0301", csv))
    return root


def test_each_item_says_what_it_resolved_to(tmp_path):
    root = _setup(tmp_path)
    sub = load_config(root).subscriber("0301")
    c = coverage(sub)
    by_item = {i.item: i for i in c.items}
    assert (
        by_item["Ivanti Connect Secure 22.7R2.3"].resolved
        == "catalogue ivanti/connect-secure (by name)"
    )
    assert by_item["Fortinet FortiOS 7.2.4"].resolved.endswith("(by cpe)")
    assert by_item["Lokal Leverandør Fagsystem Xyz"].resolved is None
    known = sum(i.known for i in c.items)
    assert c.percent == 100.0 * known / len(sub.inventory)
    assert "Lokal Leverandør Fagsystem Xyz" in c.without_version
    assert c.internet_facing == sum(i.internet_facing for i in sub.inventory)
    assert c.critical == sum(i.criticality == "critical" for i in sub.inventory)


def test_cli_text_json_and_recent_advisories(tmp_path, capsys):
    root = _setup(tmp_path)
    db = tmp_path / "c.db"
    store = Store(db)
    store.ingest(
        [kev("CVE-2025-0282", "Ivanti", "Connect Secure")], now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    store.close()
    assert main(["--config-dir", str(root), "--db", str(db), "inventory", "check", "0301"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0301 Oslo kommune: ") and " known to certbot (" in out
    assert f"Fagsystem Xyz: {UNKNOWN}" in out
    assert "these items would have matched these recent advisories:" in out
    assert "Ivanti Connect Secure 22.7R2.3" in out.split("recent advisories:")[1]
    assert (
        main(["--config-dir", str(root), "--db", str(db), "inventory", "check", "0301", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["unknown"] >= 1 and 0 < data["coverage_percent"] < 100
    assert data["would_match"][0]["items"] == ["Ivanti Connect Secure 22.7R2.3"]


def test_check_config_prints_one_coverage_line_per_municipality(tmp_path, capsys):
    root = _setup(tmp_path)
    assert main(["--config-dir", str(root), "check-config"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("coverage: ")]
    assert len(lines) == len(load_config(root).subscribers)
    assert any(line.startswith("coverage: 0301 Oslo kommune: ") for line in lines)
