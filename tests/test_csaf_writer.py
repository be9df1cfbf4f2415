"""Issue 13.4: the CSAF 2.0 writer. Every document certbot writes passes the bundled CSAF 2.0
schema and the applicable mandatory tests (6.1.x), and reads back through certbot's own CSAF
parser into the same products, versions, TLP, revision and withdrawal state."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certbot.model import TLP
from certbot.publish.csaf_checks import mandatory_problems
from certbot.publish.csaf_writer import NotExportable, Publisher, csaf_document
from certbot.publish.draft import Product
from certbot.schemas import csaf20_validator
from certbot.sources.csaf_document import parse_document
from tests.provider_helpers import published

PUB = Publisher("KommuneCERT", "https://kommunecert.example.no")
URL = "https://csaf.example.no/.well-known/csaf/white/2026/kcert-2026-0001.json"


def write(adv):  # type: ignore[no-untyped-def]
    doc = csaf_document(adv, PUB, URL)
    assert list(csaf20_validator().iter_errors(doc)) == []
    assert mandatory_problems(doc) == []
    return doc, parse_document(json.dumps(doc).encode(), "b")


def test_document_shape_and_round_trip() -> None:
    doc, adv = write(published(tlp="GREEN", revision=2))
    document = doc["document"]
    assert document["category"] == "csaf_security_advisory"
    assert document["lang"] == "nb"
    assert document["distribution"]["tlp"]["label"] == "GREEN"
    assert document["tracking"]["version"] == "2"
    assert [h["number"] for h in document["tracking"]["revision_history"]] == ["1", "2"]
    vuln = doc["vulnerabilities"][0]
    assert vuln["cve"] == "CVE-2026-24001"
    assert vuln["threats"][0]["category"] == "exploit_status"
    assert {r["category"] for r in vuln["remediations"]} == {"vendor_fix", "mitigation"}
    assert adv.source_id == "KCERT-2026-0001" and adv.revision == "2"
    assert adv.tlp == TLP.GREEN and adv.exploited and not adv.withdrawn
    affected = [p for p in adv.products if p.status == "affected"]
    fixed = [p for p in adv.products if p.status == "fixed"]
    assert [(p.vendor, p.product, p.versions, p.fixed_version) for p in affected] == [
        ("Fortinet", "FortiOS", "vers:generic/>=7.2.0|<7.2.7", "7.2.7")
    ]
    assert [p.fixed_version for p in fixed] == ["7.2.7"]
    assert any(r.category == "vendor_fix" and r.fixed_version == "7.2.7" for r in adv.remediations)


def test_tlp_labels_map_to_csaf_20_and_back() -> None:
    for label, csaf, back in (
        ("CLEAR", "WHITE", TLP.CLEAR),
        ("AMBER", "AMBER", TLP.AMBER),
        ("AMBER+STRICT", "AMBER", TLP.AMBER_STRICT),
    ):
        doc, adv = write(published(tlp=label))
        assert doc["document"]["distribution"]["tlp"]["label"] == csaf
        assert adv.tlp == back, label


def test_red_and_productless_are_not_written() -> None:
    with pytest.raises(NotExportable, match="RED"):
        csaf_document(published(tlp="RED"), PUB, URL)
    with pytest.raises(NotExportable, match="product"):
        csaf_document(published(products=()), PUB, URL)


def test_withdrawn_is_a_final_revision_the_parser_reads_as_withdrawn() -> None:
    doc, adv = write(
        published(revision=3, status="withdrawn", withdraw_reason="Feil produkt oppgitt.")
    )
    assert doc["document"]["tracking"]["status"] == "final"
    assert doc["document"]["title"].startswith("TRUKKET TILBAKE:")
    notes = {n["title"]: n for n in doc["document"]["notes"]}
    assert notes["Reasoning for Withdrawal"]["text"] == "Feil produkt oppgitt."
    assert adv.withdrawn and adv.revision == "3"


def test_mandatory_tests_catch_what_they_are_for() -> None:
    doc = csaf_document(published(revision=2), PUB, URL)

    def broken(change):  # type: ignore[no-untyped-def]
        bad = copy.deepcopy(doc)
        change(bad)
        return " ".join(mandatory_problems(bad))

    vuln = lambda d: d["vulnerabilities"][0]  # noqa: E731
    tracking = lambda d: d["document"]["tracking"]  # noqa: E731
    assert "6.1.1" in broken(lambda d: vuln(d)["product_status"]["fixed"].append("CSAFPID-9"))
    dup = lambda d: d["product_tree"]["branches"][0]["branches"][0]["branches"][1]["product"]  # noqa: E731
    assert "6.1.2" in broken(lambda d: dup(d).update(product_id="CSAFPID-0001"))
    assert "6.1.6" in broken(lambda d: vuln(d)["product_status"]["fixed"].append("CSAFPID-0001"))
    assert "6.1.16" in broken(lambda d: tracking(d).update(version="3"))
    assert "6.1.22" in broken(lambda d: tracking(d)["revision_history"][1].update(number="1"))
    assert "6.1.21" in broken(lambda d: tracking(d)["revision_history"][1].update(number="3"))
    assert "6.1.14" in broken(
        lambda d: tracking(d)["revision_history"][0].update(date="2027-01-01T00:00:00Z")
    )
    assert "6.1.26" in broken(lambda d: d["document"].update(category="csaf_withdrawn"))
    assert "6.1.27.5" in broken(lambda d: vuln(d).pop("notes"))
    assert "6.1.29" in broken(lambda d: vuln(d)["remediations"][0].pop("product_ids"))
    assert "6.1.23" in broken(lambda d: d["vulnerabilities"].append(copy.deepcopy(vuln(d))))
    assert "TLP" in broken(lambda d: d["document"]["distribution"]["tlp"].update(label="RED"))


_name = (
    st.text("abcdefghijklmnopqrstuvwxyzæøå ", min_size=1, max_size=12).map(str.strip).filter(bool)
)
_version = st.lists(st.integers(0, 30), min_size=1, max_size=3).map(
    lambda xs: ".".join(map(str, xs))
)


@st.composite
def _product(draw):  # type: ignore[no-untyped-def]
    low, high = sorted([draw(_version), draw(_version)])
    ranged = draw(st.booleans())
    return Product(
        vendor=draw(_name).title(),
        product=draw(_name).title(),
        versions=f"vers:generic/>={low}|<{high}" if ranged and low != high else None,
        fixed=(high,) if draw(st.booleans()) else (),
    )


@settings(max_examples=40, deadline=None)
@given(
    products=st.lists(_product(), min_size=1, max_size=4),
    cves=st.lists(st.integers(1000, 99999), max_size=3, unique=True),
    tlp=st.sampled_from(["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"]),
    revision=st.integers(1, 4),
    exploited=st.booleans(),
)
def test_any_draft_round_trips(products, cves, tlp, revision, exploited) -> None:  # type: ignore[no-untyped-def]
    adv = published(
        tlp=tlp,
        revision=revision,
        products=tuple(products),
        cves=tuple(f"CVE-2026-{c:05d}" for c in cves),
        exploited=exploited,
    )
    _, parsed = write(adv)
    want = {(p.vendor, p.product, p.versions) for p in products}
    got = {(p.vendor, p.product, p.versions) for p in parsed.products if p.status == "affected"}
    assert got == want
    want_fixed = {(p.vendor, p.product, f) for p in products for f in p.fixed}
    got_fixed = {
        (p.vendor, p.product, p.fixed_version) for p in parsed.products if p.status == "fixed"
    }
    assert got_fixed == want_fixed
    assert parsed.revision == str(revision) and parsed.exploited == exploited
    assert parsed.tlp == TLP.parse(tlp)


def test_prose_ranges_are_written_as_vers() -> None:
    prose = Product(vendor="Fortinet", product="FortiOS", versions="7.2.0 til 7.2.6")
    doc, adv = write(published(products=(prose,)))
    ranges = [
        b["name"]
        for v in doc["product_tree"]["branches"]
        for p in v["branches"]
        for b in p.get("branches", [])
    ]
    assert ranges == ["vers:generic/>=7.2.0|<=7.2.6"]
    assert [p.versions for p in adv.products] == ["vers:generic/>=7.2.0|<=7.2.6"]
