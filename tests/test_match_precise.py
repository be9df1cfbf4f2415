"""A precise statement from another source wins over a CVE record's bare "unknown".

CVE-2025-8088 (WinRAR), real records: the CNA (ESET) lists ``0 <= v <= 7.12`` affected with
``defaultStatus: unknown``, so 7.13 is "unknown" by the record; NVD's configuration says
``versionEndExcluding: 7.13`` (the fix). In one case, NVD's bound settles 7.13 as not affected;
without NVD the record alone leaves 7.13 honestly "possibly affected". Files:
tests/data/cve5/CVE-2025-8088.json, tests/data/nvd/CVE-2025-8088.json (tests/data/PROVENANCE.md).
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from certbot import verdict
from certbot.match import Matcher
from certbot.model import AffectedProduct, Case, Match
from certbot.sources.cve_parse import parse_record
from certbot.sources.nvd import parse_cve
from tests.factory import item, kev, subscriber

DATA = Path(__file__).parent / "data"
CVE = "CVE-2025-8088"


def record() -> Case:
    """KEV (RARLAB WinRAR, no versions) and the CNA record."""
    rec = parse_record(json.loads((DATA / "cve5" / f"{CVE}.json").read_text()))
    return Case(CVE, [kev(CVE, "RARLAB", "WinRAR"), rec])


def with_nvd(case: Case) -> Case:
    """The case as the pipeline enriches it (``enrich_nvd: true``: `certbot.enrich.nvd.apply`)."""
    products = parse_cve((DATA / "nvd" / f"{CVE}.json").read_bytes())[CVE]
    return replace(case, enrichment={"products": [asdict(p) for p in products]})


def verdicts(case: Case, version: str | None) -> tuple[Match | None, Match | None]:
    """(the match, the exclusion) for one WinRAR item, as the matcher sees the case."""
    kw = {"version": version} if version else {}
    sub = subscriber("0301", "Oslo", [item("win.rar GmbH", "WinRAR", **kw)])
    excluded: dict[tuple[str, int], Match] = {}
    found = Matcher([sub]).match(case, excluded).get("0301", [])
    # planning asks without ``excluded``: the same verdict
    planned = Matcher([sub]).match(case).get("0301", [])
    assert [m.affected for m in planned] == [m.affected for m in found]
    return (found[0] if found else None), excluded.get(("0301", 0))


def test_the_record_alone_leaves_the_fixed_release_unknown() -> None:
    m, _ = verdicts(record(), "7.13")
    assert m is not None and m.affected == "possible" and m.entry.endswith(".defaultStatus")


@pytest.mark.parametrize("version", ["7.13", "7.13.1", "8.0"])
def test_nvd_bound_settles_what_the_record_leaves_unknown(version: str) -> None:
    m, gone = verdicts(with_nvd(record()), version)
    assert m is None
    assert gone is not None and gone.source == "nvd" and gone.affected == "not_affected"
    assert gone.decided_by.startswith("NVD (rarlab winrar)") and "<7.13" in gone.decided_by


@pytest.mark.parametrize("version", ["7.12", "7.0", "6.24"])
def test_versions_both_sources_call_affected_stay_confirmed(version: str) -> None:
    m, _ = verdicts(with_nvd(record()), version)
    assert m is not None and m.affected == "confirmed"


def test_an_item_without_a_version_stays_possibly_affected() -> None:
    m, _ = verdicts(with_nvd(record()), None)
    assert m is not None and m.affected == "possible"


def test_the_records_own_range_does_not_settle_its_own_unknown() -> None:
    """The CNA's 0..7.12 range excludes 7.13, but the same record says 7.13 is unknown."""
    m, gone = verdicts(record(), "7.13")
    assert m is not None and m.affected == "possible" and gone is None


def test_in_a_case_of_two_cves_the_bound_does_not_settle_the_unknown() -> None:
    """Enrichment products carry no CVE: NVD's bound may be the other CVE's, so it does not
    settle this record's "unknown" (the same case with one CVE does: above)."""
    case = with_nvd(record())
    case = replace(case, advisories=[*case.advisories, kev("CVE-2025-6218", "RARLAB", "WinRAR")])
    m, _ = verdicts(case, "7.13")
    assert m is not None and m.affected == "possible"


def test_a_list_of_exact_versions_is_no_statement_about_another() -> None:
    """Another source that enumerates releases (NVD's exact CPE versions for Cisco ISE, a copy
    of the CNA's list) says nothing about a release it does not list: still "possible"."""
    exact = AffectedProduct("rarlab", "winrar", versions="vers:generic/7.12", status="affected")
    case = replace(record(), enrichment={"products": [asdict(exact)]})
    m, _ = verdicts(case, "7.13")
    assert m is not None and m.affected == "possible"


# range -> (versions at or past its end, versions not)
PAST = {
    "vers:generic/<7.13": (["7.13", "8.0"], ["7.12.9"]),
    "vers:generic/>=0|<=7.12": (["7.12.1"], ["7.12", "6.0"]),
    "vers:generic/>=7.0|<7.2.7|>=7.4.0|<7.4.3": (["7.4.3"], ["7.3.1", "7.2.6"]),  # two branches
    "vers:generic/>=7.0": ([], ["8.0"]),  # no upper bound: no end to be past
    "vers:generic/7.12": ([], ["7.13"]),  # an exact version
}


@pytest.mark.parametrize("versions", sorted(PAST))
def test_past_the_end(versions: str) -> None:
    p = AffectedProduct("v", "p", versions=versions, status="affected")
    past, not_past = PAST[versions]
    assert [verdict.past_the_end(v, p) for v in past + not_past] == [True] * len(past) + [
        False
    ] * len(not_past)
