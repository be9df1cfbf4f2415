"""The matching-quality fixes measured by `python -m bench quality`, each on real data: CVE
records from tests/data/cve5 (provenance in tests/data/PROVENANCE.md) with the KEV
catalogue's own vendorProject/product spelling for the same CVE, against inventory lines
written the way municipalities write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certbot import identity
from certbot.config import FeedConfig
from certbot.identity.names import norm
from certbot.match import Matcher
from certbot.model import Advisory, Case, Match
from certbot.sources import get_source
from certbot.sources.cve_parse import parse_record
from tests.case_tables import cases
from tests.factory import item, kev, subscriber

DATA = Path(__file__).parent / "data" / "cve5"


def record_case(cve: str, kev_vendor: str, kev_product: str) -> Case:
    rec = parse_record(json.loads((DATA / f"{cve}.json").read_text()))
    return Case(cve, [kev(cve, kev_vendor, kev_product), rec])


def matched(case: Case, vendor: str, product: str, version: str) -> Match | None:
    sub = subscriber("0301", "Oslo", [item(vendor, product, version=version)])
    found = Matcher([sub]).match(case).get("0301", [])
    return found[0] if found else None


@cases("quality-municipal-names")
def test_names_municipalities_write(vendor: str, product: str, entry: str) -> None:
    r = identity.resolve(vendor, product)
    assert r is not None and entry in [e.id for e in r.entries]


@pytest.mark.parametrize(
    ("vendor", "product"),
    [("Acme", "Git"), ("Git SCM", "Git for Windows"), ("Citrix", "VPX")],
)
def test_the_vendor_rule_does_not_reach_other_products(vendor: str, product: str) -> None:
    assert identity.resolve(vendor, product) is None


def test_kev_chromium_yields_to_the_chrome_record() -> None:
    """KEV says "Google Chromium" without versions; the CVE record gives Chrome's range. A
    Chrome item at the fixed build is not affected, one below it is."""
    case = record_case("CVE-2025-6558", "Google", "Chromium")
    assert matched(case, "Google", "Google Chrome", "138.0.7204.168") is None
    m = matched(case, "Google", "Google Chrome", "138.0.7204.100")
    assert m is not None and m.verdict == "confirmed" and "138.0.7204.157" in m.decided_by


def test_kev_spelling_of_another_entry_yields_to_the_record() -> None:
    """KEV writes "Wing FTP Server|Wing FTP Server", the CNA "wftpserver": one product."""
    case = record_case("CVE-2025-47812", "Wing FTP Server", "Wing FTP Server")
    assert matched(case, "Wing FTP", "Wing FTP Server", "7.4.4") is None
    m = matched(case, "Wing FTP", "Wing FTP Server", "7.4.3")
    assert m is not None and m.verdict == "confirmed"


def test_one_editions_not_affected_range_leaves_another_edition_alone() -> None:
    """CVE-2025-49704: SharePoint 2016's builds from 16.0.5508.1000 are not affected; that
    says nothing about SharePoint Server 2019's 16.0.10417.20018, which is affected."""
    case = record_case("CVE-2025-49704", "Microsoft", "SharePoint")
    m = matched(case, "Microsoft", "Microsoft SharePoint Server 2019", "16.0.10417.20018")
    assert m is not None and m.verdict == "confirmed"
    assert (
        matched(case, "Microsoft", "Microsoft SharePoint Server 2019", "16.0.10417.20027") is None
    )
    # an item that names no edition: the 2019 range holds its build, and 2016's "above the
    # record's ranges" is an inference that must not overrule it (the demo's Oslo item)
    m = matched(case, "Microsoft", "SharePoint Server", "16.0.10408.20000")
    assert m is not None and m.verdict == "confirmed"


def test_fortigate_and_below_on_a_later_fortios() -> None:
    """CVE-2019-6693's CNA writes "5.6.9 and below", "6.0.5 and below", "6.2.0" (no
    defaultStatus): FortiOS 7.2.10 is not affected, 6.0.4 is."""
    case = record_case("CVE-2019-6693", "Fortinet", "FortiOS")
    excluded: dict[tuple[str, int], Match] = {}
    sub = subscriber("4601", "Bergen", [item("Fortinet", "FortiOS", version="7.2.10")])
    assert Matcher([sub]).match(case, excluded) == {}
    (gone,) = excluded.values()
    assert "not affected from 6.0.5 on (no defaultStatus)" in gone.decided_by
    m = matched(case, "Fortinet", "FortiOS", "6.0.4")
    assert m is not None and m.verdict == "confirmed"


def test_esxi_release_line_and_update_bound() -> None:
    """CVE-2024-37085: "8.0" lessThan "ESXi80U3-24022510", and "7.0" alone (no fix)."""
    case = record_case("CVE-2024-37085", "VMware", "ESXi")
    for version, verdict in (("7.0.3", "confirmed"), ("8.0.2", "confirmed")):
        m = matched(case, "Broadcom", "VMware ESXi", version)
        assert m is not None and m.verdict == verdict
    assert matched(case, "VMware", "ESXi", "8.0.3") is None
    assert matched(case, "VMware", "ESXi", "8.0U3") is None


def test_prose_versions_in_the_next_sentence_decide_over_kev() -> None:
    """The bench corpus's NSM-style item for CVE-2024-40711: the product in one sentence, the
    versions in the next. 12.2.0.334 is not affected, 12.1.2.172 is, from the prose."""
    text = (
        "Veeam har rettet en kritisk sårbarhet (CVSS 9,8) i Veeam Backup & Replication som lar "
        "en uautentisert angriper kjøre vilkårlig kode. Sårbarheten gjelder versjoner til og "
        "med 12.1.2.172. Oppdater til 12.2 eller nyere."
    )
    nsm = Advisory(
        "nsm", "nsm-1", "Kritisk sårbarhet i Veeam Backup & Replication", text, language="nb"
    )
    case = Case("CVE-2024-40711", [kev("CVE-2024-40711", "Veeam", "Backup & Replication"), nsm])
    assert matched(case, "Veeam", "Backup & Replication", "12.2.0.334") is None
    m = matched(case, "Veeam", "Backup & Replication", "12.1.2.172")
    assert m is not None and m.verdict == "confirmed" and m.version_source == "prose"
    assert "til og med 12.1.2.172" in m.decided_by


def test_cisa_trademark_spelling_and_the_runtime_name() -> None:
    """CISA ICSA-25-010-02 writes "Harmony with EcoStruxureTM Operator Terminal Expert
    runtime" (™ as "TM"): the catalogue's runtime name for EcoStruxure Operator Terminal
    Expert, every version affected."""
    assert norm("EcoStruxureTM Operator Terminal Expert") == "ecostruxure operator terminal expert"
    assert norm("FortiOS™") == "fortios" and norm("HTML") == "html"
    doc = (Path(__file__).parent / "data" / "csaf" / "cisa" / "icsa-25-010-02.json").read_bytes()
    feed = FeedConfig.model_validate({"id": "cisa", "kind": "csaf", "url": "https://c.example/"})
    case = Case("icsa-25-010-02", list(get_source("csaf").parse(doc, feed)))
    m = matched(case, "Schneider Electric", "EcoStruxure Operator Terminal Expert", "3.4")
    assert m is not None and m.verdict == "confirmed"


EXCHANGE = ("CVE-2024-21410", "Microsoft", "Exchange Server", "Exchange Server")
ZIMBRA = (
    "CVE-2019-9621",
    "Synacor",
    "Zimbra Collaboration Suite (ZCS)",
    "Zimbra Collaboration Suite",
)


@pytest.mark.parametrize(
    ("case", "version", "affected"),
    [
        # CVE-2024-21410 lists "Exchange Server 2016 Cumulative Update 23" with version "N/A"
        # and no defaultStatus: what it leaves unknown is the other 2016 (15.1) builds, not a
        # patched Exchange 2019 (15.2) that the record's own 2019 entries leave out.
        (EXCHANGE, "15.2.1544.4", None),  # 2019 CU14 with the fix (the demo's Bergen)
        (EXCHANGE, "15.2.1258.12", "confirmed"),  # 2019 CU13 before the fix
        (EXCHANGE, "15.1.2507.35", "confirmed"),  # 2016 CU23, named in the record
        # CVE-2019-9621: the CNA wrote "n/a"; the description reads "Zimbra Collaboration Suite
        # before 8.6 patch 13, 8.7.x before 8.7.11 patch 10, and 8.8.x before 8.8.10 patch 7
        # or 8.8.x before 8.8.11 patch 3". KEV alone leaves every Zimbra "possibly affected".
        (ZIMBRA, "10.0.8", None),
        (ZIMBRA, "8.8.15", None),
        (ZIMBRA, "8.8.11", "confirmed"),  # "before 8.8.11 patch 3": patch levels not compared
        (ZIMBRA, "8.7.9", "confirmed"),
        (ZIMBRA, "8.6.0", "confirmed"),
    ],
)
def test_what_a_record_leaves_unknown_or_says_in_its_description(
    case: tuple[str, str, str, str], version: str, affected: str | None
) -> None:
    cve, kev_vendor, kev_product, product = case
    m = matched(record_case(cve, kev_vendor, kev_product), kev_vendor, product, version)
    assert (m.affected if m else None) == affected


def test_a_record_without_products_makes_no_match_of_its_own() -> None:
    """Without the KEV entry, the n/a record's description names Zimbra but matches nobody."""
    rec = parse_record(json.loads((DATA / "CVE-2019-9621.json").read_text()))
    sub = subscriber(
        "0301", "Oslo", [item("Zimbra", "Zimbra Collaboration Suite", version="8.6.0")]
    )
    assert Matcher([sub]).match(Case("CVE-2019-9621", [rec])) == {}


@pytest.mark.parametrize(
    ("version", "affected"), [("8.5.3", None), ("7.19.14", None), ("8.4.1", "confirmed")]
)
def test_data_center_and_server_names_the_server_edition(
    version: str, affected: str | None
) -> None:
    """CERT-EU writes "Confluence Data Center and Server"; the item is "Confluence Server". The
    text's ranges decide over KEV's versionless entry ("Versions prior to 8.0.0 are not
    affected", 8.5.3 is after every range)."""
    text = (
        "Atlassian has released a fix for a critical vulnerability in Confluence Data Center and "
        "Server. Versions 8.0.0 through 8.3.2, 8.4.0 through 8.4.2 and 8.5.0 through 8.5.1 are "
        "affected. Versions prior to 8.0.0 are not affected."
    )
    nsm = Advisory(
        source="cert-eu",
        source_id="c-1",
        title="Confluence",
        summary=text,
        cves=("CVE-2023-22515",),
    )
    case = Case(
        "CVE-2023-22515",
        [kev("CVE-2023-22515", "Atlassian", "Confluence Data Center and Server"), nsm],
    )
    m = matched(case, "Atlassian", "Confluence Server", version)
    assert (m.affected if m else None) == affected
