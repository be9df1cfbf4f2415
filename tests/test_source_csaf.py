"""CSAF parsing: golden files over every real document, status/TLP/version mapping, hostile JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certbot.config import FeedConfig
from certbot.errors import ParseError
from certbot.explain import explain, format_explain
from certbot.model import TLP, Advisory
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from certbot.sources.csaf import CsafSource, parse_document
from certbot.sources.jsonload import load_json
from certbot.store import AsyncStore, Store
from certbot.versions import version_in
from tests.factory import Clock, config, item, subscriber

DATA = Path(__file__).parent / "data" / "csaf"
SAMPLE = DATA / "cisa-sample"  # real CISA documents for the version forms (no golden files)
DOCS = sorted(
    p
    for p in DATA.rglob("*.json")
    if b'"csaf_version"' in p.read_bytes() and SAMPLE not in p.parents
)
FEED = FeedConfig(id="csaf-test", kind="csaf", url="https://example.org/")


def _parse(name: str) -> Advisory:
    return parse_document((DATA / name).read_bytes(), "csaf-test")


def test_every_fixture_document_is_found() -> None:
    assert len(DOCS) == 22


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_golden(path: Path, golden) -> None:
    [adv] = list(CsafSource().parse(path.read_bytes(), FEED))
    assert adv.structured and adv.source_id and adv.revision
    text = json.dumps(adv.to_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    golden(f"csaf/{path.stem}.json", text)


def test_cisa_siemens_ranges_and_statuses() -> None:
    adv = _parse("cisa/icsa-25-016-04.json")
    assert adv.tlp is TLP.CLEAR and len(adv.cves) == 1
    ranges = {p.versions for p in adv.products}
    assert {"vers:all/<V9.80", "vers:all/>=V7.80|<V9.80", "vers:all/*"} <= ranges
    assert len(adv.products) == 43 and all(p.status == "affected" for p in adv.products)
    assert {r.category for r in adv.remediations} == {"vendor_fix", "none_available"}
    assert adv.extra["revision_history"][0][0] == "1"


def test_vex_statuses_and_fixed_versions() -> None:
    adv = _parse("cisa/it-white/2024/va-24-254-02.json")
    by_status = {p.status for p in adv.products}
    assert by_status == {"affected", "fixed"}
    loose = next(p for p in adv.products if p.versions == "0 < 8.0.1")
    assert loose.fixed_version == "8.0.1"
    assert version_in("7.9", loose.versions) is True
    assert version_in("8.0.1", loose.versions) is False
    assert len(adv.cves) == 2 and adv.revision == "1.0.1"


def test_relationship_names_component_and_platform() -> None:
    adv = _parse("rhsa-2024_4546.csaf.json")
    git_lfs = [p for p in adv.products if p.product == "git-lfs"]
    assert git_lfs and all(p.purl and p.purl.startswith("pkg:rpm/redhat/git-lfs@") for p in git_lfs)
    assert all("default component of" in p.entry for p in git_lfs)


def test_all_versions_range_kept_and_readable() -> None:
    adv = _parse("cisa/it-white/2024/va-24-201-01.json")
    adminer = next(p for p in adv.products if p.vendor == "Adminer")
    assert adminer.versions == "all versions" and version_in("4.8.1", adminer.versions) is True
    assert adv.cvss == 9.0 and len(adv.cves) == 3


def test_csaf21_detected_and_tlp_clear() -> None:
    adv = _parse("csaf21-bsi-2022-0001.json")
    assert adv.extra["csaf_version"] == "2.1" and adv.tlp is TLP.CLEAR and adv.cvss == 6.1


def test_cisco_without_tlp_is_unknown() -> None:
    adv = _parse("cisco-sa-20180328-smi2.json")
    assert adv.tlp is None and adv.cvss == 9.8 and len(adv.products) == 259


def test_cisco_leaf_release_not_the_train() -> None:
    """Cisco's tree: product_version "3.2SE" (the train), service_pack "3.2.1SE" (the release
    that carries the product_id). The release is the product's version."""
    by_id = {p.entry: p.versions for p in _parse("cisco-sa-20180328-smi2.json").products}
    assert by_id["CVRFPID-196221"] == "vers:generic/3.2.1SE"
    assert by_id["CVRFPID-196216"] == "vers:generic/3.2.0SE"
    assert "vers:generic/16.3.5" in by_id.values()
    assert "vers:generic/16.3" not in by_id.values()


def _doc(**changes: object) -> dict:
    doc = json.loads((DATA / "bsi-2022-0001.json").read_text())
    doc["document"].update(changes)
    return doc


def test_tlp_2_labels_and_missing_label() -> None:
    for label, want in (("AMBER+STRICT", TLP.AMBER_STRICT), ("RED", TLP.RED), ("GREEN", TLP.GREEN)):
        d = json.loads((DATA / "csaf21-bsi-2022-0001.json").read_text())
        d["document"]["distribution"]["tlp"]["label"] = label
        assert parse_document(json.dumps(d).encode(), "x").tlp is want
    d = _doc()
    del d["document"]["distribution"]
    assert parse_document(json.dumps(d).encode(), "x").tlp is None


# (document in cisa-sample, product_version_range as CISA wrote it, version, affected?)
CISA_FORMS = [
    ("icsa-17-045-03.json", "All versions < V7.1", "V7.0", True),
    ("icsa-22-041-01.json", "vers:all/>=V2.9.2<V2.9.4", "V2.9.3", True),
    ("icsa-22-041-01.json", "vers:all/>=V2.9.2<V2.9.4", "V2.9.4", False),
    ("icsa-20-273-02.json", ">= R1.01 | <= R4.03", "R4.03", True),
    ("icsa-20-273-02.json", ">= R1.01 | <= R4.03", "R4.04", False),
    ("icsa-21-068-02.json", "V6.3", "V6.3", True),
    ("icsa-23-103-06.json", "vers:all/>=V7.80<V9.40", "V9.40", False),
    ("icsa-17-243-01.json", "< V14 SP1 Update 14", "V14 SP1 Update 9", True),
    ("icsa-18-018-01a.json", "All versions <= V7.x", "V7.4", True),
    (
        "icsa-19-134-09.json",
        "All versions between V2.5 (including) and V2.7 (excluding)",
        "V2.6",
        True,
    ),
]


@pytest.mark.parametrize(("name", "written", "version", "affected"), CISA_FORMS)
def test_real_cisa_version_forms_are_read(
    name: str, written: str, version: str, affected: bool
) -> None:
    adv = _parse(f"cisa-sample/{name}")
    [product, *_] = [p for p in adv.products if p.versions == written]
    assert version_in(version, product.versions) is affected


def test_mobotix_prefixed_exact_versions_are_read() -> None:
    adv = _parse("cisa-sample/icsa-24-235-03.json")
    mx = [p for p in adv.products if p.versions == "vers:generic/MX-V4.7.3.11"]
    assert mx and all(version_in("MX-V4.7.3.11", p.versions) for p in mx)
    assert not any("not readable" in p.entry and "MX-V" in p.entry for p in adv.products)


def test_cisa_text_that_is_no_version_stays_unknown() -> None:
    adv = _parse("cisa-sample/icsa-22-172-01.json")
    serial = [p for p in adv.products if "serial_number" in p.entry]
    assert serial and all(p.versions is None for p in serial)


def test_exploit_status_threat_sets_exploited() -> None:
    d = _doc()
    d["vulnerabilities"][0]["threats"] = [
        {"category": "exploit_status", "details": "Exploited in the wild since 2022-01-01."}
    ]
    assert parse_document(json.dumps(d).encode(), "x").exploited is True
    d["vulnerabilities"][0]["threats"][0]["details"] = "No known exploitation."
    assert parse_document(json.dumps(d).encode(), "x").exploited is False


MSRC = "msrc/msrc_cve-2024-30080.synthetic.json"


def _msrc(details: str | None = None, **score: object) -> Advisory:
    d = json.loads((DATA / MSRC).read_text())
    vuln = d["vulnerabilities"][0]
    if details is not None:
        vuln["threats"][1]["details"] = details
    vuln["scores"][0]["cvss_v3"].update(score)
    return parse_document(json.dumps(d).encode(), "msrc")


def test_msrc_exploit_status_not_exploited_is_not_exploited() -> None:
    adv = _parse(MSRC)  # "Publicly Disclosed:No;Exploited:No;Latest Software Release:..."
    assert adv.exploited is False and adv.cvss == 9.8 and "cvss_note" not in adv.extra
    assert adv.extra["exploit_status"] == [
        "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation More Likely"
    ]
    for details in (
        "Publicly Disclosed:Yes;Exploited:No;Latest Software Release:Exploitation Less Likely",
        "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Detected",
        "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Unlikely;"
        "Older Software Release:Exploitation Unlikely",
    ):
        assert _msrc(details).exploited is False, details


def test_msrc_exploit_status_exploited_yes_is_exploited() -> None:
    for details in (
        "Publicly Disclosed:No;Exploited:Yes;Latest Software Release:Exploitation Detected",
        "Publicly Disclosed:Yes;Exploited:Yes",
        "Exploited:Yes",
    ):
        assert _msrc(details).exploited is True, details


def test_msrc_products_and_fixed_builds() -> None:
    adv = _parse(MSRC)
    ws2019 = next(
        p for p in adv.products if p.product == "Windows Server 2019" and p.status == "affected"
    )
    assert ws2019.vendor == "Microsoft" and ws2019.fixed_version == "10.0.17763.5936"
    assert version_in("10.0.17763.5830", ws2019.versions) is True
    assert version_in("10.0.17763.5936", ws2019.versions) is False


def test_stated_score_contradicting_its_vector_uses_the_vector() -> None:
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"  # 7.5
    adv = _msrc(vectorString=vector, baseScore=9.8)
    assert adv.cvss == 7.5 and adv.cvss_vector == vector
    assert adv.extra["cvss_note"] == "stated 9.8, vector gives 7.5"
    agreeing = _msrc(vectorString=vector, baseScore=7.5)
    assert agreeing.cvss == 7.5 and "cvss_note" not in agreeing.extra


def test_cvss_21_score_contradicting_the_vector_and_nonsense_score() -> None:
    d = json.loads((DATA / "csaf21-bsi-2022-0001.json").read_text())
    d["vulnerabilities"][0]["metrics"][0]["content"]["cvss_v3"]["baseScore"] = 9.9
    adv = parse_document(json.dumps(d).encode(), "x")
    assert adv.cvss == 6.1 and adv.extra["cvss_note"] == "stated 9.9, vector gives 6.1"
    d["vulnerabilities"][0]["metrics"][0]["content"]["cvss_v3"]["baseScore"] = 99
    with pytest.raises(ParseError, match=r"CSAF 2\.1 schema: "):  # out of range: refused
        parse_document(json.dumps(d).encode(), "x")


def test_schema_invalid_20_document_is_rejected() -> None:
    d = _doc()
    del d["document"]["tracking"]
    with pytest.raises(ParseError, match="schema"):
        parse_document(json.dumps(d).encode(), "x")


def test_unknown_csaf_version_rejected() -> None:
    with pytest.raises(ParseError, match="csaf_version"):
        parse_document(json.dumps(_doc(csaf_version="3.0")).encode(), "x")


# Hostile JSON (RELIABILITY.md row 13)


def test_duplicate_tlp_label_rejected() -> None:
    text = (DATA / "bsi-2022-0001.json").read_text()
    hostile = text.replace('"label": "WHITE"', '"label": "RED", "label": "WHITE"', 1)
    assert hostile != text
    with pytest.raises(ParseError, match="duplicate JSON key 'label'"):
        parse_document(hostile.encode(), "x")
    hostile = text.replace('"tlp": {', '"tlp": {"label": "RED"}, "tlp": {', 1)
    with pytest.raises(ParseError, match="duplicate JSON key 'tlp'"):
        parse_document(hostile.encode(), "x")


def test_deep_nesting_is_parse_error() -> None:
    with pytest.raises(ParseError, match="nested"):
        parse_document(b"[" * 100_000 + b"]" * 100_000, "x")
    with pytest.raises(ParseError):
        parse_document(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "x")


def test_huge_numbers_do_not_crash() -> None:
    with pytest.raises(ParseError):
        load_json(b"[" + b"9" * 100_000 + b"]")
    d = _doc()
    d["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = 1e308
    text = json.dumps(d).replace("1e+308", "1e999")
    try:
        adv = parse_document(text.encode(), "x")
    except ParseError:
        return  # the schema refuses the number: fine
    assert adv.cvss is None or 0 <= adv.cvss <= 10


def test_garbage_dates_do_not_crash() -> None:
    d = _doc()
    d["document"]["tracking"]["initial_release_date"] = "2022-101-27T13:49:54.326Z"
    d["document"]["tracking"]["current_release_date"] = "x" * 10_000
    try:
        adv = parse_document(json.dumps(d).encode(), "x")
    except ParseError:
        return
    assert adv.published is None and adv.updated is None


def test_not_json_and_not_utf8() -> None:
    for bad in (b"", b"\xff\xfe{", b"{", b"[]", b"null"):
        with pytest.raises(ParseError):
            parse_document(bad, "x")


def test_explain_says_the_score_came_from_the_vector(tmp_path: Path) -> None:
    adv = _msrc(vectorString="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", baseScore=9.8)
    subs = [subscriber("0301", "Oslo", [item("Microsoft", "Windows Server 2019")])]
    store = AsyncStore(Store(tmp_path / "t.db"))
    try:
        feed = FeedConfig(id="msrc", kind="csaf", path="x")
        Pipeline(config(subs), store, http=None, clock=Clock())._ingest_and_plan(
            feed, [adv], SourceState()
        )
        report = explain(
            store.store, config(subs), "CVE-2024-30080", subscriber=None, now=datetime.now(UTC)
        )
    finally:
        store.close()
    assert report is not None and report["cvss"] == 7.5
    text = format_explain(report)
    assert "CVSS from the vector, not the stated score: msrc:msrc_CVE-2024-30080: " in text
    assert "stated 9.8, vector gives 7.5" in text


def test_red_hat_nevra_without_purl_is_read() -> None:
    adv = _parse("rhsa-2022_0011.json")  # product_version branches like telnet-1:0.17-65.el7_6.src
    telnet = [p for p in adv.products if p.product == "telnet"]
    fixed = [p for p in telnet if p.status == "fixed"]
    assert fixed and all(p.versions == "vers:rpm/1:0.17-65.el7_6" for p in fixed)
    assert all(p.fixed_version == "1:0.17-65.el7_6" and p.vendor == "Red Hat" for p in fixed)
    below = [p for p in telnet if p.status == "affected"]
    assert len(below) == 3  # one per platform (AUS, E4S, TUS)
    assert all(version_in("0.17-64.el7", p.versions) is True for p in below)
    assert all(version_in("1:0.17-65.el7_6", p.versions) is False for p in below)
    assert not any("not readable" in p.entry for p in adv.products)
    assert {r.fixed_version for r in adv.remediations} == {"1:0.17-65.el7_6"}


def test_red_hat_fixed_rpms_agree_with_red_hats_own_osv_conversion() -> None:
    adv = _parse("rhsa-2024_4546.csaf.json")
    osv = json.loads((DATA.parent / "osv" / "RHSA-2024_4546.osv.json").read_text())
    for affected in osv["affected"]:
        name = affected["package"]["name"]
        [fixed_evr] = [e["fixed"] for e in affected["ranges"][0]["events"] if "fixed" in e]
        ours = [p for p in adv.products if p.product == name and p.status == "affected"]
        assert ours, name
        for p in ours:
            assert version_in(fixed_evr, p.versions) is False  # 0:EVR, epoch written out
            assert version_in("0:2.13.3-2.el8", p.versions) is True
