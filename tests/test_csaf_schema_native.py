"""The native CSAF 2.0 schema check (jsonschema-rs) agrees with jsonschema on real documents
and on broken ones; jsonschema still words the rejection."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from certbot.errors import ParseError
from certbot.schemas import csaf20_is_valid, csaf20_validator, csaf21_error
from certbot.sources.csaf_meta import validate

DATA = Path(__file__).parent / "data" / "csaf"
DOCS = [
    p
    for p in sorted(DATA.rglob("*.json"))
    if json.loads(p.read_text()).get("document", {}).get("csaf_version") == "2.0"
]


def _py_valid(doc: Any) -> bool:
    return next(iter(csaf20_validator().iter_errors(doc)), None) is None


def _breakages(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for mutate in (
        lambda d: d["document"].pop("title"),
        lambda d: d["document"]["tracking"].update(version="not a version"),
        lambda d: d["document"].update(category=""),
        lambda d: d.update(vulnerabilities="none"),
        lambda d: d["document"]["tracking"].update(unknown_key=1),
    ):
        broken = copy.deepcopy(doc)
        mutate(broken)
        out.append(broken)
    return out


def test_there_are_csaf_20_documents_to_compare() -> None:
    assert len(DOCS) >= 5


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_native_and_jsonschema_agree(path: Path) -> None:
    doc = json.loads(path.read_text())
    assert csaf20_is_valid(doc) == _py_valid(doc)
    for broken in _breakages(doc):
        assert csaf20_is_valid(broken) == _py_valid(broken)
        if not _py_valid(broken):
            with pytest.raises(ParseError, match=r"CSAF 2\.0 schema: "):
                validate(broken)


# CSAF 2.1: jsonschema-rs against the bundled OASIS 2.1 schema (python-jsonschema is not used:
# it wrongly rejects some valid CVSS v4 scores).

DOCS_21 = [
    p
    for p in sorted(DATA.rglob("*.json"))
    if json.loads(p.read_text()).get("document", {}).get("csaf_version") == "2.1"
]


def test_there_are_oasis_csaf_21_examples() -> None:
    assert len(DOCS_21) >= 8


@pytest.mark.parametrize("path", DOCS_21, ids=lambda p: p.name)
def test_oasis_21_examples_are_valid(path: Path) -> None:
    doc = json.loads(path.read_text())
    assert csaf21_error(doc) is None
    assert validate(doc) == "2.1"


def _mutations_21(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for what, mutate in (
        ("missing title", lambda d: d["document"].pop("title")),
        ("missing tracking", lambda d: d["document"].pop("tracking")),
        ("wrong TLP enum", lambda d: d["document"]["distribution"]["tlp"].update(label="WHITE")),
        ("wrong status enum", lambda d: d["document"]["tracking"].update(status="published")),
        ("unknown key", lambda d: d["document"]["tracking"].update(unknown_key=1)),
        ("csaf_version enum", lambda d: d["document"].update(csaf_version="2.0", category="")),
    ):
        broken = copy.deepcopy(doc)
        mutate(broken)
        out.append((what, broken))
    return out


@pytest.mark.parametrize("path", DOCS_21, ids=lambda p: p.name)
def test_invalid_21_copies_are_rejected(path: Path) -> None:
    doc = json.loads(path.read_text())
    for what, broken in _mutations_21(doc):
        assert csaf21_error(broken) is not None, what
        with pytest.raises(ParseError, match=r"CSAF 2\.[01] schema: "):
            validate(broken)


def test_21_with_a_valid_cvss_v4_metric_is_accepted_and_a_bad_one_rejected() -> None:
    doc = json.loads((DATA / "csaf21-bsi-2022-0001.json").read_text())
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    metric = doc["vulnerabilities"][0]["metrics"][0]
    metric["content"]["cvss_v4"] = {
        "version": "4.0",
        "vectorString": vector,
        "baseScore": 9.3,
        "baseSeverity": "CRITICAL",
    }
    assert csaf21_error(doc) is None
    metric["content"]["cvss_v4"]["baseSeverity"] = "SEVERE"
    assert csaf21_error(doc) is not None
