"""``incidents draft ID``: a report becomes an AMBER draft without the reporter, that loads
and publishes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from certbot.cli import _parser
from certbot.inbound import listing
from certbot.inbound.commands import Command, handle
from certbot.publish import publish as pub
from certbot.publish.draft import Recipients
from certbot.publish.load import load_draft
from tests.inbound_helpers import make_world

REPORT = (
    "hva: Ansatte fikk falske innloggingssider for Microsoft 365\nklasse: fraud\n"
    "type: phishing\ntjenester: E-post\nkonsekvens: To kontoer kompromittert\n"
    "tiltak: Passord tilbakestilt, økter tilbakekalt"
)


def test_incident_to_draft_to_publish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = make_world(tmp_path)
    handle(w.ctx, Command("slack", "U0AAA", "hendelse", [], REPORT))
    db = str(tmp_path / "certbot.db")
    out = tmp_path / "utkast.md"
    args = _parser().parse_args(["incidents", "draft", "HEN-2026-0001", "--out", str(out)])
    assert listing.COMMANDS["incidents"](args, w.config, db) == 0
    assert "wrote" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "U0AAA" not in text and "slack:" not in text  # the reporter is left out
    draft = load_draft(out)
    assert draft.tlp == "AMBER" and draft.title.startswith("Svindel: ")
    assert draft.summary == "Ansatte fikk falske innloggingssider for Microsoft 365"
    for want in ("RSIT-klasse: fraud, type: phishing", "## Berørte tjenester\n\nE-post",
                 "## Tiltak som er gjort\n\nPassord tilbakestilt, økter tilbakekalt"):  # fmt: skip
        assert want in draft.details
    assert draft.recipients.municipalities == ()
    edited = draft.model_copy(update={"recipients": Recipients(municipalities=("0301",))})
    outcome = pub.dry_run(
        w.store, lambda s: pub.publish_draft(s, w.config, edited, operator="ops", now=w.clock.now)
    )
    assert {r["subscriber_id"] for r in outcome.deliveries} == {"0301"}
    assert listing.COMMANDS["incidents"](args, w.config, db) == 2  # will not overwrite
    assert "exists" in capsys.readouterr().err


def test_unknown_incident_and_listing_still_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = make_world(tmp_path)
    db = str(tmp_path / "certbot.db")
    args = _parser().parse_args(["incidents", "draft", "HEN-2026-0042"])
    assert listing.COMMANDS["incidents"](args, w.config, db) == 2
    assert "no incident 'HEN-2026-0042'" in capsys.readouterr().err
    handle(w.ctx, Command("slack", "U0AAA", "hendelse", [], REPORT))
    plain = _parser().parse_args(["incidents"])
    assert isinstance(plain, argparse.Namespace) and plain.action is None
    assert listing.COMMANDS["incidents"](plain, w.config, db) == 0
    assert "HEN-2026-0001" in capsys.readouterr().out
    args = _parser().parse_args(["incidents", "draft", "HEN-2026-0001"])
    assert listing.COMMANDS["incidents"](args, w.config, db) == 0
    assert capsys.readouterr().out.startswith("---\n# Utkast fra hendelse HEN-2026-0001")
