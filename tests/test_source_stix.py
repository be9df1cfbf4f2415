"""STIX 2.1 parsing: golden files, TLP 1 / TLP 2.0 markings, software products, revocation."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import stix2

from certbot.config import FeedConfig
from certbot.errors import ParseError
from certbot.model import TLP
from certbot.sources.stix import StixSource, _markings, objects_of, parse_bundle
from certbot.versions import version_in

DATA = Path(__file__).parent / "data" / "stix"
FEED = FeedConfig(id="stix-test", kind="stix", url="https://example.org/bundle.json")
SYNTH = DATA / "certbot-vulnerabilities-tlp.json"


def _golden_text(path: Path) -> str:
    advs = [a.to_json() for a in StixSource().parse(path.read_bytes(), FEED)]
    return json.dumps(advs, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(
    "name",
    [
        "poisonivy.json",
        "certbot-vulnerabilities-tlp.json",
        "interop-objectmarking-test.json",
        "tlp2/using-tlp2.0-green.json",
        "indicators-for-C2-with-COA.json",
    ],
)
def test_golden(name: str, golden) -> None:
    golden(f"stix/{name.replace('/', '_')}", _golden_text(DATA / name))


def test_poisonivy_cves() -> None:
    advs = list(parse_bundle((DATA / "poisonivy.json").read_bytes(), "x"))
    assert len(advs) == 6 and all(len(a.cves) == 1 for a in advs)
    assert all(a.tlp is None for a in advs)  # unmarked: unknown, routed as RED


def _by_cve() -> dict[str, object]:
    return {a.cves[0]: a for a in parse_bundle(SYNTH.read_bytes(), "x")}


def test_markings_tlp1_tlp2_bundle_unknown_missing() -> None:
    advs = _by_cve()
    assert advs["CVE-2024-23113"].tlp is TLP.AMBER  # TLP 1 id
    assert advs["CVE-2024-21762"].tlp is TLP.AMBER_STRICT  # TLP 2.0 id
    assert advs["CVE-2024-3400"].tlp is None  # CLEAR plus a near-miss unknown id
    # A TLP marking-definition under a non-standard id is invalid STIX 2.1 (stix2 refuses it).
    assert advs["CVE-2023-4966"].tlp is None
    assert advs["CVE-2024-9999"].tlp is TLP.GREEN  # a statement marking is not a TLP: ignored
    assert advs["CVE-2024-6387"].tlp is None  # no marking at all
    assert advs["CVE-2024-47575"].tlp is TLP.CLEAR
    assert "CVE-2024-0001" not in advs  # garbage created timestamp: skipped, not a crash


def test_software_products_and_revocation() -> None:
    advs = _by_cve()
    [forti] = advs["CVE-2024-23113"].products
    assert (forti.vendor, forti.product, forti.versions) == (
        "Fortinet",
        "FortiOS",
        "vers:generic/7.2.4",
    )
    assert forti.cpe and forti.cpe.startswith("cpe:2.3:o:fortinet:fortios")
    assert version_in("7.2.4", forti.versions) is True
    assert advs["CVE-2024-21762"].withdrawn is True
    assert advs["CVE-2024-21762"].revision == "2024-10-05T10:00:00.000Z"
    assert [p.product for p in advs["CVE-2024-3400"].products] == ["PAN-OS"]
    assert advs["CVE-2024-47575"].products == ()  # "uses" is not an affected link


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("tlp-clear.json", TLP.CLEAR),
        ("tlp-green.json", TLP.GREEN),
        ("tlp-amber.json", TLP.AMBER),
        ("tlp-amber+strict.json", TLP.AMBER_STRICT),
        ("tlp-red.json", TLP.RED),
    ],
)
def test_tlp2_marking_definitions(name: str, want: TLP) -> None:
    objs = objects_of(json.loads((DATA / "tlp2" / name).read_text()))
    [marking] = objs
    assert _markings(objs)[marking["id"]] is want


def test_emitted_vulnerabilities_validate_with_stix2() -> None:
    raw = {o["id"]: o for o in objects_of(json.loads(SYNTH.read_text()))}
    for adv in parse_bundle(SYNTH.read_bytes(), "x"):
        obj = stix2.parse(raw[adv.source_id], allow_custom=True)
        assert obj.type == "vulnerability"


def test_duplicate_marking_key_rejected() -> None:
    doc = (
        '{"type":"bundle","id":"bundle--1","objects":[{"type":"vulnerability",'
        '"object_marking_refs":["a"],"object_marking_refs":["b"]}]}'
    )
    with pytest.raises(ParseError, match="duplicate"):
        list(parse_bundle(doc.encode(), "x"))


def test_hostile_input() -> None:
    for bad in (b"[" * 100_000, b"42", b'{"objects": 5}'):
        with pytest.raises(ParseError):
            list(parse_bundle(bad, "x"))


def _bundle(n_vulns: int) -> bytes:
    objs = []
    for i in range(n_vulns):
        vid, sid = f"vulnerability--{uuid.uuid4()}", f"software--{uuid.uuid4()}"
        objs += [
            {
                "type": "vulnerability",
                "spec_version": "2.1",
                "id": vid,
                "created": "2024-01-01T00:00:00.000Z",
                "modified": "2024-01-02T00:00:00.000Z",
                "name": f"CVE-2024-{i:05d}",
                "description": "x" * 100,
                "external_references": [{"source_name": "cve", "external_id": f"CVE-2024-{i:05d}"}],
                "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
            },
            {
                "type": "software",
                "spec_version": "2.1",
                "id": sid,
                "name": "FortiOS",
                "vendor": "Fortinet",
                "version": f"7.2.{i % 20}",
            },
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": f"relationship--{uuid.uuid4()}",
                "created": "2024-01-01T00:00:00.000Z",
                "modified": "2024-01-01T00:00:00.000Z",
                "relationship_type": "has",
                "source_ref": sid,
                "target_ref": vid,
            },
        ]
    return json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objs}).encode()


def test_a_large_bundle_yields_every_vulnerability() -> None:
    doc = _bundle(20_000)  # 60,000 objects, a third of them vulnerabilities
    # (its speed is measured by `python -m bench`, never asserted in a test)
    assert sum(1 for _ in parse_bundle(doc, "x")) == 20_000
