"""``publish`` on the demo configuration: dry run, publish, unchanged, revision, withdrawal,
explicit recipients, TLP on revision, operators and the audit (real store, real pipeline)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from certbot.cli import main
from certbot.publish import publish as pub
from certbot.publish.draft import Draft
from certbot.store import Store
from tests.factory import T0, config, fortios_sub

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
ADV = ROOT / "examples" / "advisories"
FORTIOS = ADV / "fortios-sslvpn.yaml"
FORTIOS_REV2 = ADV / "fortios-sslvpn-rev2.yaml"
PHISHING = ADV / "phishing-vestland.md"


def run(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--config-dir", str(DEMO), "--db", str(db), "publish", *args])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(db: Path) -> tuple[bytes, list[str]]:
    """The database file's bytes and every row, as SQL."""
    conn = sqlite3.connect(db)
    try:
        rows = list(conn.iterdump())
    finally:
        conn.close()
    return db.read_bytes(), rows


def deliveries(db: Path, case_id: str) -> list[dict[str, object]]:
    store = Store(db)
    try:
        rows = store.db.query(
            "SELECT subscriber_id, target_id, kind, status, revision, notification "
            "FROM deliveries WHERE case_id = ? ORDER BY revision, subscriber_id, target_id",
            [case_id],
        )
        return [dict(r) for r in rows]
    finally:
        store.close()


def test_demo_publish_revise_withdraw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "certbot.db"
    code, out, _ = run(db, str(FORTIOS), "--dry-run", "--as", "vakt", capsys=capsys)
    assert code == 0 and out.startswith("DRY RUN (nothing written): published KCERT-2026-0101")
    assert "0301 Oslo kommune: P3 (alert)" in out and "4601" not in out
    assert "Exploitation: none" in out and "not planned: P3 is below" in out
    assert not db.exists()  # a dry run on no database creates none

    code, out, _ = run(db, str(FORTIOS), "--as", "vakt", capsys=capsys)
    assert code == 0 and "published KCERT-2026-0101 revision 1" in out
    assert "3 municipalities, 3 deliveries planned" in out
    first = deliveries(db, "CVE-2026-99901")
    assert {r["subscriber_id"] for r in first} == {"0301", "1134", "5001"}  # Bergen runs 7.2.10

    code, out, _ = run(db, str(FORTIOS), "--as", "vakt", capsys=capsys)
    assert code == 0 and "nothing changed, nothing sent" in out
    assert len(deliveries(db, "CVE-2026-99901")) == len(first)

    code, out, _ = run(db, str(FORTIOS_REV2), "--as", "vakt", capsys=capsys)
    assert code == 0 and "revised KCERT-2026-0101 revision 2" in out
    assert "what changed: Sårbarheten er nå kjent utnyttet" in out
    updates = [r for r in deliveries(db, "CVE-2026-99901") if r["kind"] == "update"]
    assert {r["subscriber_id"] for r in updates} == {"0301", "1134", "5001"}
    note = json.loads(str(updates[0]["notification"]))
    assert "Prioritet: P3 → P1 (nå kjent utnyttet)" in note["changes"]
    assert note["summary"].startswith("Oppdatert (versjon 2): Ny tittel; Sårbarheten er nå")

    reason = "Feil versjonsnummer."
    code, out, _ = run(db, "--withdraw", "KCERT-2026-0101", "--reason", reason, "--as", "vakt", capsys=capsys)  # fmt: skip
    assert code == 0 and "withdrew KCERT-2026-0101 revision 3" in out
    rows = [r for r in deliveries(db, "CVE-2026-99901") if r["revision"] == 3]
    assert {r["subscriber_id"] for r in rows} == {"0301", "1134", "5001"}
    note = json.loads(str(rows[0]["notification"]))
    assert "Varselet er trukket tilbake av kilden" in note["changes"]
    assert reason in note["summary"]

    store = Store(db)
    adv = store.published_advisory("KCERT-2026-0101")
    assert adv is not None and adv.status == "withdrawn" and adv.revision == 3
    assert [h.operator for h in adv.history] == ["vakt"] * 3
    audit = [(r["action"], r["actor"]) for r in reversed(store.audit_rows())]
    assert [a for a in audit if a[0] in ("publish", "revise", "withdraw", "publish_unchanged")] == [
        ("publish", "vakt"),
        ("publish_unchanged", "vakt"),
        ("revise", "vakt"),
        ("withdraw", "vakt"),
    ]
    store.close()
    code, out, err = run(db, str(FORTIOS_REV2), "--as", "vakt", capsys=capsys)
    assert code == 3 and "was withdrawn" in err


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "certbot.db"
    assert run(db, str(FORTIOS), "--as", "vakt", capsys=capsys)[0] == 0
    before = snapshot(db)
    for args in (
        (str(FORTIOS_REV2), "--dry-run"),
        (str(PHISHING), "--dry-run"),
        ("--withdraw", "KCERT-2026-0101", "--dry-run"),
    ):
        code, out, _ = run(db, *args, "--as", "vakt", capsys=capsys)
        assert code == 0 and out.startswith("DRY RUN")
    assert snapshot(db) == before


def test_explicit_recipients_and_tlp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "certbot.db"
    code, out, _ = run(db, str(PHISHING), "--as", "vakt", capsys=capsys)
    assert code == 0 and "published KCERT-2026-0001 revision 1" in out
    assert "add 'id: KCERT-2026-0001'" in out
    rows = deliveries(db, "srm:KCERT-2026-0001")
    by = {(r["subscriber_id"], r["target_id"]): r["status"] for r in rows}
    assert {s for s, _ in by} == {"1134", "4601"}  # Suldal by number, Bergen by county 46
    assert by[("4601", "it-drift")] == "blocked"  # tlp_max GREEN
    assert by[("4601", "slack-sikkerhet")] != "blocked"
    assert "TLP: blocked: TLP:AMBER is above the target's clearance TLP:GREEN" in out


def published_then_edited(tmp_path: Path, capsys: Any, old: str, new: str) -> tuple[Path, Path]:
    """The FortiOS example published, and a copy of it with ``old`` replaced by ``new``."""
    db = tmp_path / "certbot.db"
    assert run(db, str(FORTIOS), "--as", "vakt", capsys=capsys)[0] == 0
    edited = tmp_path / "edited.yaml"
    edited.write_text(FORTIOS.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return db, edited


def test_stricter_tlp_needs_confirmation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, amber = published_then_edited(tmp_path, capsys, "tlp: CLEAR", "tlp: AMBER")
    before = snapshot(db)
    code, _, err = run(db, str(amber), "--as", "vakt", capsys=capsys)
    assert code == 3 and "stricter" in err and "--confirm-tlp" in err
    assert snapshot(db) == before
    code, out, _ = run(db, str(amber), "--as", "vakt", "--confirm-tlp", capsys=capsys)
    assert code == 0 and "warning: KCERT-2026-0101: TLP CLEAR -> AMBER is stricter" in out


def test_unknown_operator_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "certbot.db"
    code, _, err = run(db, str(FORTIOS), "--as", "mallory", capsys=capsys)
    assert code == 3 and "'mallory' is not a configured operator (known: vakt)" in err
    assert not db.exists() or Store(db).published_advisories() == []
    code, _, err = run(db, str(FORTIOS), "--as", "mallory", "--dry-run", capsys=capsys)
    assert code == 0 and "a real publish would be refused" in err


def test_product_nobody_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draft = tmp_path / "nobody.yaml"
    draft.write_text(
        "title: Sårbarhet i Zyxel\ntlp: CLEAR\nsummary: Oppdater.\nproducts:\n"
        "  - vendor: Zyxel\n    product: USG FLEX\n    versions: før 5.38\n"
        "  - vendor: Fortinet\n    product: FortiOS\n    versions: før 7.0.1\n",
        encoding="utf-8",
    )
    code, out, _ = run(tmp_path / "db", str(draft), "--dry-run", "--as", "vakt", capsys=capsys)
    assert code == 0 and "0 municipalities, 0 deliveries would be planned" in out
    assert "0 recipients: Zyxel USG FLEX før 5.38: no municipality's inventory has this" in out
    assert "FortiOS før 7.0.1: run by 0301 Oslo kommune (7.2.4)" in out
    assert "the draft names no explicit recipients" in out


def test_text_only_revision_sends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, typo = published_then_edited(tmp_path, capsys, "så snart", "så fort")
    n = len(deliveries(db, "CVE-2026-99901"))
    code, out, _ = run(db, str(typo), "--as", "vakt", capsys=capsys)
    assert code == 0 and "what changed: Teksten er oppdatert" in out
    assert "not material for the municipalities" in out
    assert len(deliveries(db, "CVE-2026-99901")) == n


def test_bad_draft_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    shutil.copy(FORTIOS, bad)
    bad.write_text(bad.read_text().replace("tlp: CLEAR", "tlp: ORANGE\ncolour: red"))
    code, _, err = run(tmp_path / "db", str(bad), "--as", "vakt", capsys=capsys)
    assert code == 2 and "the draft has 2 problem(s)" in err
    assert f"{bad}: tlp: 'ORANGE' is not allowed" in err and "colour: unknown key" in err


def test_unknown_recipient_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draft = tmp_path / "x.yaml"
    draft.write_text(
        "title: T\ntlp: GREEN\nsummary: S\nrecipients:\n  municipalities: ['9999']\n"
        "  counties: ['03', '12']\n",
        encoding="utf-8",
    )
    code, _, err = run(tmp_path / "db", str(draft), "--dry-run", "--as", "vakt", capsys=capsys)
    assert code == 3 and "recipients not configured: kommune 9999, fylke 12" in err


def test_id_prefix_from_the_config(tmp_path: Path) -> None:
    cfg = config([fortios_sub()], root=tmp_path, service={"publish": {"id_prefix": "VESTCERT"}})
    store = Store(tmp_path / "db")
    draft = Draft(title="T", tlp="CLEAR", summary="S")
    outcome = pub.publish_draft(store, cfg, draft, operator="ola", now=T0)
    assert outcome.id == "VESTCERT-2026-0001" and outcome.deliveries == []
    again = pub.publish_draft(store, cfg, draft, operator="ola", now=T0)
    assert again.id == "VESTCERT-2026-0002"  # no id in the draft: a new advisory each time
