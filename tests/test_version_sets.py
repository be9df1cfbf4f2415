"""A declared version range against an advisory's range (certbot/version_sets.py) and what the
municipality is told: an item declared as a range is affected when all of its range is, not
affected when none of it is, and possibly affected when they overlap in part."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certbot.actions import ActionContext, actions
from certbot.match import Matcher
from certbot.model import Case, Priority
from certbot.sources.cve_parse import parse_record
from certbot.version_sets import relation
from certbot.versions import version_in
from tests.factory import item, subscriber

DATA = Path(__file__).parent / "data" / "cve5"


@pytest.mark.parametrize(
    ("declared", "advisory", "expected"),
    [
        ("vers:generic/>=124.0.0|<127.0.0", "vers:generic/<138.0.7204.96", True),
        ("vers:generic/>=124.0.0|<127.0.0", "vers:generic/>=126.0|<130", None),  # in part
        ("vers:generic/>=124.0.0|<127.0.0", "vers:generic/>=127.0", False),  # meet at 127: no
        ("vers:generic/>=124.0.0|<=127.0.0", "vers:generic/>=127.0", None),  # 127 itself is in
        ("vers:generic/>=7.2.0|<7.2.5", "vers:generic/>=7.0|<7.0.14|>=7.2|<7.2.7", True),
        ("vers:generic/>=7.1.0|<7.1.9", "vers:generic/>=7.0|<7.0.14|>=7.2|<7.2.7", False),
        ("vers:generic/>=7.0.10|<7.2.3", "vers:generic/>=7.0|<7.0.14|>=7.2|<7.2.7", None),
        ("vers:generic/>=10.0.17763|<10.0.20349", "vers:generic/*", True),
        ("vers:generic/>=1.0", "vers:generic/<2.0", None),  # open above: not all below 2.0
        ("vers:generic/*", "vers:generic/<2.0", None),
        ("vers:generic/>=1.0|<2.0", "not a range", None),
        ("vers:generic/>=1.0|<2.0|>=3.0|<4.0", "vers:generic/<9", None),  # two intervals: not read
    ],
)
def test_relation(declared: str, advisory: str, expected: bool | None) -> None:
    assert relation(declared, advisory) is expected


versions = st.tuples(st.integers(0, 12), st.integers(0, 12)).map(lambda t: f"{t[0]}.{t[1]}")
ops_lo, ops_hi = st.sampled_from([">=", ">"]), st.sampled_from(["<", "<="])


@given(
    d=st.tuples(ops_lo, versions, ops_hi, versions),
    a=st.tuples(ops_lo, versions, ops_hi, versions),
    probe=st.lists(versions, min_size=1, max_size=30),
)
def test_relation_agrees_with_version_in_on_every_version(d, a, probe) -> None:  # type: ignore[no-untyped-def]
    """True: every version of the declared range is in the advisory's; False: none is."""
    d_text = f"vers:generic/{d[0]}{d[1]}|{d[2]}{d[3]}"
    a_text = f"vers:generic/{a[0]}{a[1]}|{a[2]}{a[3]}"
    rel = relation(d_text, a_text)
    for v in [*probe, d[1], d[3], a[1], a[3]]:
        if version_in(v, d_text) is not True:
            continue
        if rel is True:
            assert version_in(v, a_text) is True, (v, d_text, a_text)
        elif rel is False:
            assert version_in(v, a_text) is False, (v, d_text, a_text)


def chrome_sub(versions: str):  # type: ignore[no-untyped-def]
    return subscriber("0301", "Oslo kommune", [item("Google", "Chrome", versions=versions)])


def test_a_declared_chrome_range_below_the_fix_is_affected_and_told_to_upgrade() -> None:
    # CVE-2025-6554 (cvelistV5, tests/data/PROVENANCE.md): Chrome before 138.0.7204.96.
    rec = parse_record(json.loads((DATA / "CVE-2025-6554.json").read_bytes()), "cve-records")
    sub = chrome_sub("vers:generic/>=124.0.0|<127.0.0")
    case = Case("CVE-2025-6554", [rec])
    (m,) = Matcher([sub], {"cve-records": "cve"}).match(case)["0301"]
    assert m.affected == "confirmed" and "inside" in m.detail
    ctx = ActionContext(case, [m], [sub.inventory[m.item_index]], Priority.P2, None, "nb")
    steps = actions(ctx)
    assert steps[0] == "Oppgrader Chrome (124.0.0 til før 127.0.0) til 138.0.7204.96 eller nyere"


def test_a_declared_range_above_the_fix_is_not_affected() -> None:
    rec = parse_record(json.loads((DATA / "CVE-2025-6554.json").read_bytes()), "cve-records")
    excluded: dict = {}
    found = Matcher([chrome_sub("vers:generic/>=139.0|<141.0")], {"cve-records": "cve"}).match(
        Case("CVE-2025-6554", [rec]), excluded
    )
    assert found.get("0301", []) == []
    assert [m.affected for m in excluded.values()] == ["not_affected"]
