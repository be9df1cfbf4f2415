"""End to end through the CLI: feeds served by a local aiohttp server, `poll --once` twice,
a changed item, the demo, `check-config` and `explain`."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from aiohttp import web

from certbot.cli import main
from tests.conftest import DATA, ROOT
from tests.pipeline_helpers import serving


class FeedServer:
    """Serves files with ETag; counts 200s and 304s."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.hits: list[tuple[str, int]] = []

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = self.files[name]
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if request.headers.get("If-None-Match") == etag:
            self.hits.append((name, 304))
            return web.Response(status=304)
        self.hits.append((name, 200))
        return web.Response(body=body, headers={"ETag": etag})


@pytest.fixture
async def feed_server():
    files = {
        "nsm.xml": (ROOT / "examples/demo/nsm-varsler.xml").read_bytes(),
        "kev.json": (ROOT / "examples/demo/kev.json").read_bytes(),
    }
    server = FeedServer(files)
    app = web.Application()
    app.router.add_get("/{name}", server.handle)
    async with serving(app) as base:
        server.base = base  # type: ignore[attr-defined]
        yield server


def write_config(root: Path, base: str) -> None:
    (root / "subscribers").mkdir()
    for f in (ROOT / "subscribers").glob("*.yaml"):
        shutil.copy(f, root / "subscribers" / f.name)
    (root / "feeds.yaml").write_text(
        "service:\n  operator_targets:\n"
        "    - {id: vakt, kind: file, address: out/operator.jsonl, tlp_max: AMBER}\n"
        "feeds:\n"
        f"  - {{id: nsm, kind: rss, url: '{base}/nsm.xml', allow_private: true, language: nb}}\n"
        f"  - {{id: kev, kind: kev, url: '{base}/kev.json', allow_private: true}}\n"
    )


async def run_cli(*args: str) -> int:
    import asyncio

    return await asyncio.to_thread(main, list(args))


async def test_poll_twice_second_is_304_and_plans_nothing(tmp_path, feed_server, capsys):
    write_config(tmp_path, feed_server.base)
    db = str(tmp_path / "c.db")
    common = ["--config-dir", str(tmp_path), "--db", db]
    assert await run_cli(*common, "poll", "--once", "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert first["planned"] > 0 and first["new_cases"] > 0
    assert await run_cli(*common, "poll", "--once", "--json") == 0
    second = json.loads(capsys.readouterr().out)
    assert second["planned"] == 0 and second["new_cases"] == 0
    assert {f["status"] for f in second["feeds"]} == {"not_modified"}
    assert [code for _, code in feed_server.hits] == [200, 200, 304, 304]


async def test_changed_item_updates_only_that_case(tmp_path, feed_server, capsys):
    write_config(tmp_path, feed_server.base)
    db = str(tmp_path / "c.db")
    common = ["--config-dir", str(tmp_path), "--db", db]
    assert await run_cli(*common, "poll", "--once", "--json") == 0
    capsys.readouterr()
    catalogue = json.loads(feed_server.files["kev.json"])
    for v in catalogue["vulnerabilities"]:
        if v["cveID"] == "CVE-2024-21762":
            v["knownRansomwareCampaignUse"] = "Known"
            v["shortDescription"] += " Now used by ransomware."
    feed_server.files["kev.json"] = json.dumps(catalogue).encode()
    assert await run_cli(*common, "poll", "--once", "--json") == 0
    second = json.loads(capsys.readouterr().out)
    kev = next(f for f in second["feeds"] if f["feed"] == "kev")
    assert kev["status"] == "ok" and kev["cases"] == 0  # ransomware text alone is not material
    assert second["planned"] == 0
    rows = (
        sqlite3.connect(db)
        .execute("SELECT versions FROM advisories WHERE key = 'kev:CVE-2024-21762'")
        .fetchone()
    )
    assert rows[0] == 2  # the revision was stored silently


def test_demo_produces_p1_and_digest_lines(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert any(x["priority"] in ("P1", "P2") for x in lines)
    # No P1 rests on "possibly affected" (issue 11): every P1 has a version-confirmed match.
    assert all(
        any(m["confidence"] == "high" for m in x["matched"]) for x in lines if x["priority"] == "P1"
    )
    assert any(x.get("digest") and x["priority"] in ("P3", "P4") for x in lines)
    for key in (
        "delivery_id",
        "advisory_id",
        "revision",
        "subscriber",
        "target",
        "priority",
        "tlp",
        "title",
        "cves",
        "matched",
        "actions",
        "deadline",
        "text",
    ):
        assert key in lines[0], key
    out = capsys.readouterr().out
    assert "TLP:" in out and "Hva dere bør gjøre" in out


def test_explain_names_rule_and_priority_per_municipality(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    args = ["--config-dir", str(ROOT / "examples/demo"), "--db", str(tmp_path / "certbot.db")]
    assert main([*args, "explain", "CVE-2024-21762"]) == 0
    out = capsys.readouterr().out
    # The CVE record's range for the 7.2 branch confirms FortiOS 7.2.4 (Oslo) and excludes
    # 7.2.10 (Bergen); KEV says exploited: Immediate for Oslo, nothing for Bergen.
    assert "0301 Oslo kommune: P1 (affected)" in out
    assert "from cve-records entry CVE-2024-21762 cna.affected[1].versions[1]" in out
    assert "verdict: affected; decided by CVE record (Fortinet): 7.2.0 ≤ v ≤ 7.2.6" in out
    bergen = out.split("4601 Bergen kommune: ")[1].split("\n\n")[0]
    assert bergen.startswith("not affected (nothing sent)")
    assert "Fortinet FortiOS 7.2.10: not affected (7.2.10 not in" in bergen
    assert "decided by CVE record (Fortinet): 7.2.0 ≤ v ≤ 7.2.6" in bergen
    assert "delivery" not in bergen
    assert "Exploitation: active (CISA KEV)" in out
    assert "Exposure: open (inventory: internet_facing)" in out
    assert "Outcome: immediate -> P1" in out
    # FortiOS 7.2.10 is outside the confirmed range: listed as not affected, nothing sent.
    assert "4601 Bergen kommune: not affected (nothing sent)" in out
    assert main([*args, "explain", "CVE-2024-21762", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {m["id"] for m in report["municipalities"]} >= {"0301"}
    oslo = next(m for m in report["municipalities"] if m["id"] == "0301")
    assert oslo["decision_path"]["outcome"] == "immediate" and oslo["decision_path"]["cap"] is None
    assert oslo["verdict"] == "affected"
    assert (oslo["matches"][0]["affected"], oslo["matches"][0]["version_source"]) == (
        "confirmed",
        "cve",
    )
    bergen_json = next(m for m in report["municipalities"] if m["id"] == "4601")
    assert bergen_json["verdict"] == "not affected" and bergen_json["priority"] is None
    [gone] = bergen_json["not_affected"]
    assert gone["decided_by"] == "CVE record (Fortinet): 7.2.0 ≤ v ≤ 7.2.6"
    assert gone["affected"] == "not_affected" and not bergen_json["deliveries"]
    assert main([*args, "explain", "CVE-1999-0001"]) == 1


def test_check_config_passes_on_shipped_config(capsys):
    assert main(["--config-dir", str(ROOT), "check-config"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


@pytest.mark.parametrize("case", sorted(p.name for p in (DATA / "config" / "bad").iterdir()))
def test_check_config_fails_naming_file_and_key(case, capsys):
    case_dir = DATA / "config" / "bad" / case
    assert main(["--config-dir", str(case_dir), "check-config"]) == 2
    err = capsys.readouterr().err
    for line in (case_dir / "expected.txt").read_text().splitlines():
        if line.strip():
            assert line in err


def test_deliveries_dead_listing(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    args = ["--config-dir", str(ROOT / "examples/demo"), "--db", str(tmp_path / "certbot.db")]
    assert main([*args, "deliveries", "--status", "dead"]) == 0
    assert "delivery" in capsys.readouterr().out
    assert main([*args, "deliveries", "--json", "--limit", "1000"]) == 0
    rows = json.loads(capsys.readouterr().out)
    # P2s to a municipality in its quiet hours wait as pending (the demo runs at any hour).
    assert {r["status"] for r in rows} <= {"sent", "digested", "pending"}
    assert {"sent", "digested"} <= {r["status"] for r in rows}
    assert all(r["notification"]["tlp"] for r in rows)
