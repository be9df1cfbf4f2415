"""CVE JSON 5 records -> Advisory: a table over real records (tests/data/cve5; the cases in
tests/data/cases/cve-cna-versions.yaml), the FortiOS branch check, SSVC/KEV, CVSS,
remediations, REJECTED, golden output."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from certbot.errors import ParseError
from certbot.model import Advisory, AffectedProduct
from certbot.sources.cve_facts import fix_versions, ssvc_facts
from certbot.sources.cve_parse import fixed_for, parse_record, parse_record_bytes, verdict
from certbot.versions import parse_range
from tests.case_tables import cases

DATA = Path(__file__).parent / "data" / "cve5"


def record(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def products(name: str, product: str | None) -> list[AffectedProduct]:
    adv = parse_record(record(name))
    return [p for p in adv.products if product is None or p.product == product]


@cases("cve-cna-versions")  # record, CNA product, declared version, CNA verdict, branch fix
def test_cna_table(
    name: str, product: str | None, version: str, expected: str, fixed: str | None
) -> None:
    ps = products(name, product)
    assert verdict(ps, version) == expected
    assert fixed_for(ps, version) == fixed
    for p in ps:  # every range is one the matcher can read
        assert p.versions is None or parse_range(p.versions) is not None, p
        assert p.evidence.startswith("CVE record (")


def test_fortios_cve_2024_21762_branches() -> None:
    """Bergen runs 7.2.10: not affected. Oslo runs 7.2.4: affected, fix 7.2.7 in the 7.2 branch."""
    fortios = products("CVE-2024-21762", "FortiOS")
    assert verdict(fortios, "7.2.10") == "not_affected"
    assert verdict(fortios, "7.2.4") == "affected"
    assert fixed_for(fortios, "7.2.4") == "7.2.7"
    branch = next(p for p in fortios if p.fixed_version == "7.2.7")
    assert branch.versions == "vers:generic/>=7.2.0|<=7.2.6"
    assert branch.evidence == "CVE record (Fortinet): 7.2.0 ≤ v ≤ 7.2.6"
    assert len({p.versions for p in fortios}) == 6  # one product per branch


def test_segments_never_overlap() -> None:
    """Entries are made disjoint, so the matcher's order-free reading equals first-match-wins."""
    from certbot.versions import version_in

    for path in sorted(DATA.rglob("CVE-*.json")):
        adv = parse_record(json.loads(path.read_text(encoding="utf-8")))
        groups: dict[str, list[str]] = {}
        for p in adv.products:
            if p.versions and not p.entry.endswith("defaultStatus"):
                groups.setdefault(p.entry.rsplit(".", 1)[0], []).append(p.versions)
        for ranges in groups.values():
            for v in ("0.1", "1.0", "7.2.4", "9.1R18", "10.2.9", "14.1-43.50", "8.7p1-38.el9_4.1"):
                assert sum(version_in(v, r) is True for r in ranges) <= 1, (path.name, v)


def test_adp_cpe_entries_are_secondary() -> None:
    fortios = parse_record(record("CVE-2024-21762"))
    assert fortios.extra["adp_affected"] is False  # the CNA's ranges decide
    assert all(" cna." in p.entry for p in fortios.products)
    checkpoint = parse_record(record("CVE-2024-24919"))  # CNA gives only prose
    assert checkpoint.extra["adp_affected"] is True
    adp = [p for p in checkpoint.products if " adp." in p.entry]
    assert adp and all(p.cpe and p.cpe.startswith("cpe:2.3:") for p in adp)
    assert all(p.evidence.startswith("CVE record (CISA ADP)") for p in adp)


def test_ssvc_and_kev() -> None:
    facts = ssvc_facts(record("CVE-2024-21762"))
    assert (facts.exploitation, facts.automatable, facts.technical_impact) == (
        "active",
        True,
        "total",
    )
    assert facts.kev and facts.kev_date_added == "2024-02-09" and facts.provider == "CISA-ADP"
    capital = ssvc_facts(record("vulnrichment/CVE-2024-21410"))  # "Active", "Yes", "Total"
    assert (capital.exploitation, capital.automatable, capital.technical_impact) == (
        "active",
        True,
        "total",
    )
    only_kev = ssvc_facts(record("CVE-2025-43200"))
    assert only_kev.kev and only_kev.exploitation is None
    no_kev = ssvc_facts(record("CVE-2025-6554"))
    assert not no_kev.kev and no_kev.exploitation == "active"
    poc = parse_record(record("vulnrichment/CVE-2024-6387"))
    assert poc.extra["ssvc"]["exploitation"] == "poc" and poc.exploited is False
    assert parse_record(record("CVE-2025-6554")).exploited is True  # active without KEV
    assert ssvc_facts(record("CVE-2024-21410")).exploitation is None  # no ADP container
    adv = parse_record(record("CVE-2024-21762"))
    restored = Advisory.from_json(json.loads(json.dumps(adv.to_json())))
    assert restored.extra["ssvc"] == facts.to_json()
    assert restored.products == adv.products


def test_cvss_from_vector_and_contradiction_noted() -> None:
    adv = parse_record(record("CVE-2024-21762"))  # states 9.6 for a vector whose base is 9.8
    assert adv.cvss == 9.8 and adv.cvss_vector and adv.cvss_vector.startswith("CVSS:3.1/")
    assert adv.extra["cvss_note"] == {"stated": 9.6, "computed": 9.8, "vector": adv.cvss_vector}
    v4 = parse_record(record("CVE-2024-54085"))
    assert v4.cvss == 10.0 and v4.cvss_vector and v4.cvss_vector.startswith("CVSS:4.0/")
    assert "cvss_note" not in v4.extra
    adp_only = parse_record(record("CVE-2025-6558"))  # the CNA has no metrics; CISA's ADP does
    assert adp_only.cvss == 8.8 and adp_only.extra["cvss_all"][0]["provider"] == "CISA-ADP"


def test_remediations_keep_the_english_text() -> None:
    adv = parse_record(record("CVE-2024-21762"))
    fix = next(r for r in adv.remediations if r.fixed_version == "7.2.7")
    assert fix.category == "vendor_fix"
    assert fix.text == "Please upgrade to FortiOS version 7.2.7 or above"
    pan = parse_record(record("vulnrichment/CVE-2024-3400"))
    assert any(r.category == "workaround" for r in pan.remediations)
    assert any(r.fixed_version == "10.2.9-h1" for r in pan.remediations)


@pytest.mark.parametrize(
    ("sentence", "versions"),
    [
        ("Please upgrade to FortiOS version 7.2.7 or above", ["7.2.7"]),
        ("Upgrade to 12.1 or later.", ["12.1"]),
        ("This issue is fixed in PAN-OS 10.2.9-h1, PAN-OS 11.0.4-h1.", ["10.2.9-h1", "11.0.4-h1"]),
        ("FortiOS 7.2.0 through 7.2.6 is affected.", []),  # no fix phrase: no fixed version
        ("Versions before 3.4.1 are vulnerable", []),
    ],
)
def test_fix_phrases(sentence: str, versions: list[str]) -> None:
    assert fix_versions(sentence) == versions


def test_rejected_record_withdraws() -> None:
    rec = copy.deepcopy(record("CVE-2025-6558"))
    rec["cveMetadata"]["state"] = "REJECTED"
    rec["containers"] = {
        "cna": {"rejectedReasons": [{"lang": "en", "value": "Duplicate of CVE-2025-0001."}]}
    }
    adv = parse_record(rec, "cve-feed")
    assert adv.withdrawn and adv.products == () and adv.source == "cve-feed"
    assert adv.summary == "Duplicate of CVE-2025-0001." and adv.cves == ("CVE-2025-6558",)


@pytest.mark.parametrize(
    "doc",
    [
        b"{",
        b"[]",
        b'{"cveMetadata": {}}',
        b'{"cveMetadata": {"cveId": "CVE-2024-1"}}',
        b"x" * 3_000_000,
    ],
)
def test_not_a_record(doc: bytes) -> None:
    with pytest.raises(ParseError):
        parse_record_bytes(doc)


def test_advisory_shape() -> None:
    adv = parse_record(record("CVE-2024-21762"), "cve")
    assert (adv.source, adv.source_id, adv.cves, adv.structured) == (
        "cve",
        "CVE-2024-21762",
        ("CVE-2024-21762",),
        True,
    )
    assert adv.exploited and adv.revision == "2026-08-04T03:55:55.226Z"
    assert adv.updated is not None and adv.updated.tzinfo is not None
    assert adv.url == "https://www.cve.org/CVERecord?id=CVE-2024-21762"
    ssh = parse_record(record("vulnrichment/CVE-2024-6387"))
    # Red Hat's package browser maps to rpm; its container catalogue (rhcos) has no purl type
    assert {p.purl for p in ssh.products if p.purl} == {"pkg:rpm/redhat/openssh"}


@pytest.mark.parametrize("path", sorted(DATA.rglob("CVE-*.json")), ids=lambda p: p.stem)
def test_golden(path: Path, golden) -> None:  # type: ignore[no-untyped-def]
    adv = parse_record(json.loads(path.read_text(encoding="utf-8")))
    data = adv.to_json()
    out = {
        k: data[k] for k in ("source_id", "title", "cvss", "cvss_vector", "exploited", "withdrawn")
    }
    out["products"] = data["products"]
    out["remediations"] = data["remediations"]
    out["extra"] = data["extra"]
    rel = path.relative_to(DATA).with_suffix(".json")
    golden(f"cve5/{rel}", json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
