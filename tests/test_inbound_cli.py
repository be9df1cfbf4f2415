"""The operator listings: acks, incidents, audit (with --json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certbot.inbound import listing
from tests.inbound_helpers import make_world


def test_listings_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = make_world(tmp_path)
    w.run("telegram", "111", f"kvitter {w.case}")
    w.run("slack", "U0AAA", "hendelse", tick=0)
    from certbot.inbound.commands import Command, handle

    handle(w.ctx, Command("slack", "U0AAA", "hendelse", [], "hva: Phishing\nklasse: fraud"))
    db = str(tmp_path / "certbot.db")
    for name, key, want in (
        ("acks", "status", "acknowledged"),
        ("incidents", "id", "HEN-2026-0001"),
        ("audit", "action", "incident"),
    ):
        args = listing.argparse.Namespace(limit=10, json=True, open=False)
        assert listing.COMMANDS[name](args, w.config, db) == 0
        rows = json.loads(capsys.readouterr().out)
        assert want in [r[key] for r in rows]
