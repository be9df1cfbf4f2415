"""The native CSAF 2.0 schema check (jsonschema-rs) agrees with jsonschema on real documents
and on broken ones; jsonschema still words the rejection."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from certbot.errors import ParseError
from certbot.schemas import csaf20_is_valid, csaf20_validator
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
