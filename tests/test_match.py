"""Matching table tests (DOMAIN.md "Matching"), aliases, exclusions and a Hypothesis property."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certbot.match import Matcher, norm
from certbot.model import AffectedProduct, Case
from tests.factory import fortios_sub, item, kev, prose, structured, subscriber


def _match(subs, *advisories):
    case = Case(id="case-1", advisories=list(advisories))
    return Matcher(subs).match(case)


@pytest.mark.parametrize(
    ("declared", "advisory_range", "expected_rule"),
    [
        ("7.2.4", "vers:generic/<7.2.9", "product_version"),  # inside
        ("7.2.10", "vers:generic/<7.2.9", None),  # 7.2.10 is after 7.2.9, not affected
        ("7.2.9", "vers:generic/<7.2.9", None),  # the fixed version itself
        ("7.2.4", "vers:generic/>=7.2.0|<7.2.9", "product_version"),
        ("7.0.12", "vers:generic/>=7.2.0|<7.2.9", None),
        ("7.2.4", None, "product_no_version"),  # advisory gives no version: possibly affected
        ("7.2.4", "all versions", "product_version"),
        ("7.2.4", "firmware before the spring release", "product_no_version"),  # unreadable
        ("v7.2.4", "vers:generic/<7.2.9", "product_version"),
    ],
)
def test_version_rules(declared, advisory_range, expected_rule):
    subs = [fortios_sub(version=declared)]
    adv = structured(
        "FG-IR-1", [AffectedProduct("Fortinet", "FortiOS", versions=advisory_range, entry="p1")]
    )
    result = _match(subs, adv)
    if expected_rule is None:
        assert result == {}
    else:
        assert [m.rule for m in result["0301"]] == [expected_rule]
        assert result["0301"][0].entry == "p1"


def test_no_version_declared_is_possibly_affected():
    subs = [subscriber("0301", "Oslo", [item("Fortinet", "FortiOS")])]
    adv = structured("a", [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.9")])
    (m,) = _match(subs, adv)["0301"]
    assert m.rule == "product_no_version" and m.confidence == "medium"


def test_cpe_identity_and_version():
    subs = [
        subscriber(
            "0301",
            "Oslo",
            [
                item(
                    "Fortinet",
                    "FortiGate firewall",
                    cpe="cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*",
                )
            ],
        )
    ]
    adv = structured(
        "a",
        [
            AffectedProduct(
                "Fortinet",
                "Something else",
                versions="vers:generic/<7.2.9",
                cpe="cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
            )
        ],
    )
    (m,) = _match(subs, adv)["0301"]
    assert m.rule == "cpe" and m.confidence == "high"


def test_purl_identity_and_version():
    subs = [
        subscriber(
            "0301",
            "Oslo",
            [
                item(
                    "Apache",
                    "Log4j core",
                    purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                )
            ],
        )
    ]
    adv = structured(
        "a",
        [
            AffectedProduct(
                "Apache",
                "log4j-core",
                versions="vers:maven/>=2.0.0|<2.15.0",
                purl="pkg:maven/org.apache.logging.log4j/log4j-core",
            )
        ],
    )
    (m,) = _match(subs, adv)["0301"]
    assert m.rule == "purl"


def test_alias_matches_kev_spelling():
    subs = [
        subscriber(
            "4601",
            "Bergen",
            [
                item(
                    "Citrix",
                    "NetScaler ADC",
                    version="13.1-49.15",
                    aliases=["NetScaler ADC and NetScaler Gateway"],
                )
            ],
        )
    ]
    adv = kev("CVE-2023-4966", "Citrix", "NetScaler ADC and NetScaler Gateway")
    (m,) = _match(subs, adv)["4601"]
    assert m.rule == "product_no_version" and m.source == "kev" and m.entry == "CVE-2023-4966"


def test_vendor_must_agree():
    subs = [subscriber("0301", "Oslo", [item("Cisco", "ASA", version="9.16.4")])]
    adv = structured("a", [AffectedProduct("Other Vendor", "ASA", versions="vers:generic/<10")])
    assert _match(subs, adv) == {}


def test_fixed_status_for_declared_version_never_matches():
    subs = [fortios_sub(version="7.2.9")]
    adv = structured(
        "a",
        [
            AffectedProduct("Fortinet", "FortiOS", versions=None, status="affected"),
            AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/7.2.9", status="fixed"),
        ],
    )
    assert _match(subs, adv) == {}


def test_not_affected_never_matches():
    subs = [fortios_sub(version="7.4.1")]
    adv = structured(
        "a",
        [
            AffectedProduct(
                "Fortinet", "FortiOS", versions="vers:generic/>=7.0", status="affected"
            ),
            AffectedProduct(
                "Fortinet", "FortiOS", versions="vers:generic/7.4.1", status="not_affected"
            ),
        ],
    )
    assert _match(subs, adv) == {}


def test_text_rule_for_prose():
    subs = [fortios_sub()]
    adv = prose("n1", "Kritisk sårbarhet i Fortinet FortiOS SSL-VPN", "Oppdater FortiGate nå.")
    ms = _match(subs, adv)["0301"]
    assert {m.rule for m in ms} == {"text"}
    assert ms[0].confidence == "low"


def test_short_names_need_their_vendor_in_text():
    subs = [subscriber("0301", "Oslo", [item("Cisco", "ASA", version="9.16.4")])]
    assert _match(subs, prose("n1", "Nytt fra NASA om ASA-programmet")) == {}
    assert "0301" in _match(subs, prose("n2", "Sårbarhet i Cisco ASA og FTD"))


def test_strongest_rule_wins_per_item():
    subs = [fortios_sub()]
    ms = _match(
        subs,
        prose("n1", "Sårbarhet i Fortinet FortiOS"),
        structured("c", [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.9")]),
    )
    assert [m.rule for m in ms["0301"]] == ["product_version"]


def test_many_municipalities_each_get_their_own_verdict():
    subs = [
        fortios_sub("0301", "7.2.4"),
        fortios_sub("4601", "7.2.10"),
        fortios_sub("5001", "7.0.1"),
    ]
    adv = structured(
        "a", [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/>=7.0|<7.2.9")]
    )
    assert sorted(_match(subs, adv)) == ["0301", "5001"]


def test_norm():
    assert norm("Microsoft® Exchange   Server") == "microsoft exchange server"
    assert norm("Fortinet, Inc.") == "fortinet"


@given(major=st.integers(0, 30), minor=st.integers(0, 30), patch=st.integers(0, 300))
def test_property_inside_matches_outside_does_not(major, minor, patch):
    version = f"{major}.{minor}.{patch}"
    subs = [fortios_sub(version=version)]
    adv = structured(
        "a", [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/>=7.0.0|<7.2.9")]
    )
    inside = (7, 0, 0) <= (major, minor, patch) < (7, 2, 9)
    assert ("0301" in _match(subs, adv)) == inside


def test_version_information_from_one_source_beats_a_versionless_one():
    subs = [fortios_sub("0301", "7.2.4"), fortios_sub("4601", "7.2.10")]
    result = _match(
        subs,
        kev("CVE-2024-21762", "Fortinet", "FortiOS"),
        structured(
            "csaf", [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.7")]
        ),
    )
    assert sorted(result) == ["0301"]
    assert result["0301"][0].rule == "product_version"


def test_a_prose_mention_does_not_override_version_information():
    subs = [fortios_sub("0301", "7.2.4"), fortios_sub("5001", "7.2.10")]
    result = _match(
        subs,
        prose("nsm-1", "Sårbarhet i Fortinet FortiOS"),
        structured(
            "csaf", [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.7")]
        ),
    )
    assert sorted(result) == ["0301"]


# --- product identity (certbot.identity) ---------------------------------------------------


def test_vendor_repeated_in_the_product_is_one_key():
    subs = [subscriber("0301", "Oslo", [item("Fortinet", "Fortinet FortiOS", version="7.2.4")])]
    (m,) = _match(subs, kev("CVE-2024-21762", "Fortinet", "FortiOS"))["0301"]
    assert m.rule == "product_no_version"
    assert "catalogue entry fortinet/fortios" in m.detail


def test_kev_compound_spelling_gives_way_to_a_versioned_source_for_the_same_entry():
    # Bergen runs 7.2.10; the CSAF range says <7.2.7. KEV's "FortiOS and FortiProxy" names the
    # same product without versions and must not make Bergen "possibly affected".
    bergen = subscriber(
        "4601",
        "Bergen",
        [item("Fortinet", "FortiOS", version="7.2.10", aliases=["FortiOS and FortiProxy"])],
    )
    oslo = fortios_sub("0301", "7.2.4")
    result = _match(
        [bergen, oslo],
        kev("CVE-2024-21762", "Fortinet", "FortiOS and FortiProxy"),
        structured(
            "csaf", [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.7")]
        ),
    )
    assert sorted(result) == ["0301"]


def test_edition_must_agree_when_both_sides_state_one():
    subs = [
        subscriber("0301", "Oslo", [item("Microsoft", "Exchange Server 2016")]),
        subscriber("4601", "Bergen", [item("Microsoft", "Exchange Server 2019")]),
        subscriber("5001", "Trondheim", [item("Microsoft", "Exchange Server")]),
    ]
    adv = structured(
        "msrc",
        [AffectedProduct("Microsoft", "Microsoft Exchange Server 2019 Cumulative Update 14")],
    )
    assert sorted(_match(subs, adv)) == ["4601", "5001"]
    assert sorted(_match(subs, kev("CVE-2021-26855", "Microsoft", "Exchange Server"))) == [
        "0301",
        "4601",
        "5001",
    ]


@pytest.mark.parametrize(
    ("advisory_range", "affected"),
    [("vers:generic/>=15.1.0|<15.1.2507.37", True), ("vers:generic/>=15.1.0|<15.1.2507.6", False)],
)
def test_exchange_cu_in_the_name_is_compared_as_its_build(advisory_range, affected):
    subs = [subscriber("0301", "Oslo", [item("Microsoft", "Exchange Server 2016 CU23")])]
    adv = structured(
        "cve", [AffectedProduct("Microsoft", "Exchange Server 2016", versions=advisory_range)]
    )
    result = _match(subs, adv)
    if affected:
        (m,) = result["0301"]
        assert m.rule == "product_version" and "CU23 = build 15.1.2507.6" in m.detail
    else:
        assert result == {}


def test_windows_server_is_hit_by_kev_windows_but_not_the_other_way_round():
    server = subscriber("0301", "Oslo", [item("Microsoft", "Windows Server 2019")])
    client = subscriber("4601", "Bergen", [item("Microsoft", "Windows 11")])
    assert sorted(_match([server, client], kev("CVE-2024-38112", "Microsoft", "Windows"))) == [
        "0301",
        "4601",
    ]
    adv = structured("cve", [AffectedProduct("Microsoft", "Windows Server 2019")])
    assert sorted(_match([server, client], adv)) == ["0301"]


def test_chrome_is_hit_by_kev_chromium_component_entries():
    subs = [subscriber("0301", "Oslo", [item("Google", "Chrome", version="126.0.6478.127")])]
    (m,) = _match(subs, kev("CVE-2025-6554", "Google", "Chromium V8"))["0301"]
    assert "google/chromium" in m.detail


def test_sql_server_item_is_not_hit_by_management_studio():
    subs = [subscriber("0301", "Oslo", [item("Microsoft", "SQL Server 2019")])]
    adv = structured("a", [AffectedProduct("Microsoft", "SQL Server Management Studio")])
    assert _match(subs, adv) == {}
    adv = structured("a", [AffectedProduct("Microsoft", "Microsoft SQL Server 2019")])
    assert "0301" in _match(subs, adv)
