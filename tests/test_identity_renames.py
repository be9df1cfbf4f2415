"""Renamed products match under either name, in both directions, through the real KEV parser
and the real Matcher (issue 10 "One product identity").

tests/data/kev/kev-renames.json holds real KEV entries (copied verbatim from the 2025.08.25
catalogue) where KEV itself writes one product under a former and a current name. For each
rename, an inventory item written under the former name and one written under the current name
both match both KEV entries; without the catalogue neither spelling reaches the other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from certbot.config import FeedConfig
from certbot.match import Matcher
from certbot.model import Case
from certbot.sources.kev import KevSource
from tests.factory import item, kev, subscriber

DATA = Path(__file__).parent / "data" / "kev" / "kev-renames.json"
FEED = FeedConfig(id="cisa-kev", kind="kev", url="https://www.cisa.gov/kev.json")
ADVISORIES = {a.source_id: a for a in KevSource().parse(DATA.read_bytes(), FEED)}

# (former item, current item, KEV entry under the former name, KEV entry under the current)
RENAMES = [
    pytest.param(
        ("Pulse Secure", "Pulse Connect Secure"),
        ("Ivanti", "Connect Secure"),
        "CVE-2020-8218",  # Pulse Secure | Pulse Connect Secure
        "CVE-2023-46805",  # Ivanti | Connect Secure and Policy Secure
        id="pulse-connect-secure->ivanti-connect-secure",
    ),
    pytest.param(
        ("Citrix", "Citrix ADC"),
        ("NetScaler", "NetScaler ADC"),
        "CVE-2022-27518",  # Citrix | Application Delivery Controller (ADC) and Gateway
        "CVE-2023-6549",  # Citrix | NetScaler ADC and NetScaler Gateway
        id="citrix-adc->netscaler-adc",
    ),
    pytest.param(
        ("Apple", "OS X"),
        ("Apple", "macOS"),
        "CVE-2015-1130",  # Apple | OS X
        "CVE-2019-8526",  # Apple | macOS
        id="os-x->macos",
    ),
    pytest.param(
        ("Sophos", "XG Firewall"),
        ("Sophos", "Sophos Firewall"),
        "CVE-2020-15069",  # Sophos | XG Firewall
        "CVE-2022-3236",  # Sophos | Firewall
        id="xg-firewall->sophos-firewall",
    ),
    pytest.param(
        ("Trend Micro", "OfficeScan"),
        ("Trend Micro", "Apex One"),
        "CVE-2019-18187",  # Trend Micro | OfficeScan
        "CVE-2025-54948",  # Trend Micro | Apex One
        id="officescan->apex-one",
    ),
    pytest.param(
        ("Telerik", "UI for ASP.NET AJAX"),
        ("Progress", "Telerik UI for ASP.NET AJAX"),
        "CVE-2017-11357",  # Telerik | User Interface (UI) for ASP.NET AJAX
        "CVE-2019-18935",  # Progress | Telerik UI for ASP.NET AJAX
        id="telerik->progress-telerik",
    ),
    pytest.param(
        ("PHP", "PHP"),
        ("PHP Group", "PHP"),
        "CVE-2012-1823",  # PHP | PHP
        "CVE-2024-4577",  # PHP Group | PHP
        id="php->php-group",
    ),
    pytest.param(
        ("Android", "Pixel"),
        ("Google", "Pixel"),
        "CVE-2024-32896",  # Android | Pixel
        "CVE-2021-39793",  # Google | Pixel
        id="android-pixel->google-pixel",
    ),
    pytest.param(
        ("Zoho", "ManageEngine Desktop Central"),
        ("ManageEngine", "Endpoint Central"),
        "CVE-2021-44515",  # Zoho | Desktop Central
        None,  # KEV has no entry under the current name; the current-name item must match
        id="desktop-central->endpoint-central",
    ),
    pytest.param(
        ("MobileIron", "MobileIron Core"),
        ("Ivanti", "Endpoint Manager Mobile"),
        None,
        "CVE-2025-4428",  # Ivanti | Endpoint Manager Mobile (EPMM)
        id="mobileiron-core->ivanti-epmm",
    ),
    pytest.param(
        ("Cisco", "AnyConnect Secure Mobility Client"),
        ("Cisco", "Secure Client"),
        "CVE-2020-3433",  # Cisco | AnyConnect Secure
        None,
        id="anyconnect->secure-client",
    ),
    pytest.param(
        ("Synacor", "Zimbra Collaboration Suite"),
        ("Zimbra", "Zimbra Collaboration"),
        "CVE-2019-9621",  # Synacor | Zimbra Collaboration Suite (ZCS)
        None,
        id="synacor-zimbra->zimbra",
    ),
]


def _matched(case_id: str, *items: tuple[str, str]) -> dict[str, list[str]]:
    subs = [
        subscriber(f"030{i}", f"Kommune {i}", [item(vendor, product)])
        for i, (vendor, product) in enumerate(items, start=1)
    ]
    case = Case(id=case_id, advisories=[ADVISORIES[case_id]])
    return {sid: [m.detail for m in ms] for sid, ms in Matcher(subs).match(case).items()}


@pytest.mark.parametrize(("former", "current", "kev_former", "kev_current"), RENAMES)
def test_rename_matches_in_both_directions(former, current, kev_former, kev_current):
    for case_id in filter(None, (kev_former, kev_current)):
        found = _matched(case_id, former, current)
        assert sorted(found) == ["0301", "0302"], (case_id, found)
        # Where the item's spelling is not KEV's, the detail names the entry that decided.
        assert any("catalogue entry" in d for details in found.values() for d in details)


def test_renames_are_real_kev_spellings():
    """The test data is what KEV wrote: each pair above is a (vendorProject, product) there."""
    spelled = {(a.products[0].vendor, a.products[0].product) for a in ADVISORIES.values()}
    assert ("Pulse Secure", "Pulse Connect Secure") in spelled
    assert ("Ivanti", "Connect Secure and Policy Secure") in spelled
    assert ("PHP Group", "PHP") in spelled and ("PHP", "PHP") in spelled
    assert len(ADVISORIES) == 22


def test_other_vendors_product_of_the_same_name_does_not_match():
    # NAKIVO Backup and Replication is not Veeam Backup & Replication.
    assert _matched("CVE-2024-48248", ("Veeam", "Veeam Backup and Replication")) == {}
    assert sorted(_matched("CVE-2024-40711", ("Veeam", "Veeam Backup and Replication"))) == ["0301"]


def test_a_compound_alias_does_not_turn_fortios_into_fortiproxy():
    subs = [
        subscriber(
            "0301",
            "Oslo",
            [item("Fortinet", "FortiOS", aliases=["FortiOS and FortiProxy"])],
        )
    ]
    case = Case(id="c", advisories=[kev("CVE-2099-0001", "Fortinet", "FortiProxy")])
    assert Matcher(subs).match(case) == {}
