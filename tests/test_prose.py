"""certbot.prose: every phrase form read (bokmål, nynorsk, English), negations, longer product
names, CVSS scores and withdrawals; unreadable sentences give no range."""

from __future__ import annotations

import pytest

from certbot.prose import (
    ProseReading,
    names_longer,
    phrase_constraints,
    quote,
    read,
    read_all,
    read_cvss,
    sentences,
    split_detail,
    withdrawn,
)
from certbot.versions import version_in

# (sentence, product, affected range, fixed versions): one case a line
RANGES = [
    # bokmål
    ("Sårbarheten gjelder Produkt versjoner før 3.4.1.", "Produkt", "<3.4.1", ()),
    ("Produkt 2.0.0 til og med 2.0.7 er berørt.", "Produkt", ">=2.0.0|<=2.0.7", ()),
    ("Berørt er Produkt fra og med 6.0 til 6.4.14.", "Produkt", ">=6.0|<=6.4.14", ()),
    ("Produkt eldre enn 5.1.2 er sårbare.", "Produkt", "<5.1.2", ()),
    ("Alle versjoner av Produkt er berørt.", "Produkt", "*", ()),
    ("Alle versjoner av Produkt før 7.2.7 er berørt.", "Produkt", "<7.2.7", ()),
    ("Produkt 4.2.1 og eldre er berørt.", "Produkt", "<=4.2.1", ()),
    ("Produkt til og med 4.2.1 er berørt.", "Produkt", "<=4.2.1", ()),
    ("Produkt 2.0.0 til, men ikke med 2.1.0 er berørt.", "Produkt", ">=2.0.0|<2.1.0", ()),
    ("Produkt nyere enn 2.0 og eldre enn 3.0 er berørt.", "Produkt", ">2.0|<3.0", ()),
    ("FortiOS 7.2.0 til 7.2.6 og 7.4.0 til 7.4.2 er berørt.", "FortiOS", ">=7.2.0|<=7.2.6|>=7.4.0|<=7.4.2", ()),
    ("FortiOS 7.2.0 til og med 7.2.6 er berørt, og feilen er rettet i 7.2.7.", "FortiOS", ">=7.2.0|<=7.2.6", ("7.2.7",)),
    ("FortiOS 7.2.0-7.2.6 er berørt.", "FortiOS", ">=7.2.0|<=7.2.6", ()),
    # nynorsk
    ("Produkt versjonar før 3.4.1 er råka.", "Produkt", "<3.4.1", ()),
    ("Produkt eldre enn 3.4.1 er råka.", "Produkt", "<3.4.1", ()),
    ("Produkt frå og med 6.0 til og med 6.4.14 er råka.", "Produkt", ">=6.0|<=6.4.14", ()),
    ("Produkt 4.2.1 og tidlegare er råka.", "Produkt", "<=4.2.1", ()),
    # English
    ("Product versions prior to 3.4.1 are affected.", "Product", "<3.4.1", ()),
    ("Product before 3.4.1 is affected.", "Product", "<3.4.1", ()),
    ("Product 2.0.0 through 2.0.7 is affected.", "Product", ">=2.0.0|<=2.0.7", ()),
    ("Product up to and including 2.0.7 is affected.", "Product", "<=2.0.7", ()),
    ("Product 2.0.7 and earlier are affected.", "Product", "<=2.0.7", ()),
    ("Product 2.0.0 to 2.0.7 is affected.", "Product", ">=2.0.0|<=2.0.7", ()),
    ("All versions of Product are affected.", "Product", "*", ()),
    ("Product 2.0.0 up to but not including 2.1.0.", "Product", ">=2.0.0|<2.1.0", ()),
    ("Product 9.0.0 through 9.0.3 and 9.1.0 through 9.1.1 are affected.", "Product", ">=9.0.0|<=9.0.3|>=9.1.0|<=9.1.1", ()),
    # CVE descriptions (MITRE-era records whose CNA wrote "n/a")
    ("Product 8.8.x before 8.8.11 allows SSRF.", "Product", ">=8.8|<8.8.11", ()),
    ("Product before 8.6 patch 13 allows SSRF.", "Product", "<=8.6", ()),
    ("Product before 8.6 patch 13, 8.7.x before 8.7.11 patch 10, and 8.8.x before 8.8.10 patch 7 or 8.8.x before 8.8.11 patch 3 allows SSRF.", "Product", "<=8.6|>=8.7|<=8.7.11|>=8.8|<=8.8.11", ()),
]  # fmt: skip

FIXES = [
    ("Oppdater Produkt til 12.1 eller nyere.", "Produkt", ("12.1",)),
    ("Feilen er rettet i Produkt 7.2.7.", "Produkt", ("7.2.7",)),
    ("Feilen er rettet i versjon 7.2.7 og 7.4.3 av Produkt.", "Produkt", ("7.2.7", "7.4.3")),
    ("Oppdater Produkt til 12.1 eller nyare.", "Produkt", ("12.1",)),
    ("Feilen er retta i Produkt 7.2.7.", "Produkt", ("7.2.7",)),
    ("This is fixed in Product 2.0.8.", "Product", ("2.0.8",)),
    ("Upgrade Product to version 2.0.8 or later.", "Product", ("2.0.8",)),
    ("Customers should update Product to 2.0.8 or newer.", "Product", ("2.0.8",)),
    (
        "NCSC anbefaler å oppdatere FortiOS til en rettet versjon (7.4.3, 7.2.7, 7.0.14 "
        "eller nyere) umiddelbart.",
        "FortiOS",
        ("7.4.3", "7.2.7", "7.0.14"),
    ),
]

NEGATIONS = [
    ("Sårbarheten gjelder ikke FortiOS.", "FortiOS"),
    ("FortiOS er ikke berørt.", "FortiOS"),
    ("FortiOS berøres ikke av feilen.", "FortiOS"),
    ("FortiOS er ikkje råka.", "FortiOS"),
    ("Sårbarheita gjeld ikkje FortiOS.", "FortiOS"),
    ("FortiOS is not affected.", "FortiOS"),
    ("FortiOS is not affected by this issue.", "FortiOS"),
    ("The flaw does not affect FortiOS.", "FortiOS"),
    ("Sårbarheten gjelder FortiProxy, men ikke FortiOS.", "FortiOS"),
]

UNREADABLE = [
    # a version no form explains: the 7.0 branch would be lost
    ("FortiOS 7.0, 7.2.0 til 7.2.6 er berørt.", "FortiOS"),
    # "8.0 U3" is not a version this reader can compare
    ("Oppdater til ESXi 8.0 U3 eller nyere.", "ESXi"),
    # from/to of an upgrade, not an affected range
    ("Upgrade FortiOS 7.2.4 to 7.2.7.", "FortiOS"),
    # a date is a dotted number too
    ("FortiOS-feilen ble kjent 09.02.2024, og FortiOS før 7.2.7 er berørt.", "FortiOS"),
    # a negation with versions says nothing about the product as a whole
    ("FortiOS 7.4 er ikke berørt.", "FortiOS"),
    # a Citrix build number is not a range from 13.1 to 49.15
    ("NetScaler ADC 13.1-49.15 er berørt.", "NetScaler ADC"),
    # no form at all
    ("FortiOS 7.2.4 er berørt.", "FortiOS"),
]


@pytest.mark.parametrize(("sentence", "product", "affected", "fixed"), RANGES)
def test_ranges(sentence: str, product: str, affected: str, fixed: tuple[str, ...]) -> None:
    r = read(sentence, product)
    assert r is not None
    assert r.affected == f"vers:generic/{affected}"
    assert r.fixed == fixed
    assert not r.negated
    assert r.sentence == sentence


@pytest.mark.parametrize(("sentence", "product", "fixed"), FIXES)
def test_fixed_versions(sentence: str, product: str, fixed: tuple[str, ...]) -> None:
    r = read(sentence, product)
    assert r is not None and r.affected is None
    assert r.fixed == fixed
    assert r.sentence == sentence


@pytest.mark.parametrize(("sentence", "product"), NEGATIONS)
def test_negations(sentence: str, product: str) -> None:
    r = read(sentence, product)
    assert r is not None and r.negated and r.sentence == sentence
    assert r.verdict("7.2.4") is False


def test_negation_is_per_clause() -> None:
    r = read("FortiOS er berørt, men FortiProxy er ikke berørt.", "FortiOS")
    assert r is not None and not r.negated
    assert read("FortiOS er berørt, men FortiProxy er ikke berørt.", "FortiProxy").negated  # type: ignore[union-attr]


@pytest.mark.parametrize(("sentence", "product"), UNREADABLE)
def test_unreadable_sentences_give_no_range(sentence: str, product: str) -> None:
    r = read(sentence, product)
    assert r is not None and r.sentence == sentence
    assert r.affected is None and r.fixed == () and not r.negated
    assert r.verdict("7.2.4") is None


def test_product_not_named_gives_none() -> None:
    assert read("Sårbarhet i Cisco ASA.", "FortiOS") is None


def test_ranges_per_product_in_one_sentence() -> None:
    text = "FortiOS 7.2.0 til og med 7.2.6 og FortiProxy 7.0.0 til 7.0.15 er berørt."
    assert read(text, "FortiOS").affected == "vers:generic/>=7.2.0|<=7.2.6"  # type: ignore[union-attr]
    assert read(text, "FortiProxy").affected == "vers:generic/>=7.0.0|<=7.0.15"  # type: ignore[union-attr]


def test_read_combines_sentences_range_first() -> None:
    text = "Sårbarhet i FortiOS. FortiOS er utbredt. FortiOS 7.2.0 til 7.2.6 er berørt."
    assert len(read_all(text, "FortiOS")) == 3
    r = read(text, "FortiOS")
    assert r is not None and r.sentence == "FortiOS 7.2.0 til 7.2.6 er berørt."


def test_sentences_split_after_a_version() -> None:
    assert sentences("Rettet i 7.2.7. Dersom det ikke er mulig, deaktiver SSL-VPN.\nTittel") == [
        "Rettet i 7.2.7.",
        "Dersom det ikke er mulig, deaktiver SSL-VPN.",
        "Tittel",
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("SQL Server", "Sårbarhet i SQL Server Management Studio."),
        ("Exchange", "Sårbarhet i Exchange Online."),
        ("Teams", "Sårbarhet i Teams Rooms."),
    ],
)
def test_longer_product_names_are_other_products(name: str, text: str) -> None:
    assert read(text, name) is None
    assert read(f"{text} {name} 1.2.0 og eldre er berørt.", name) is not None


def test_names_longer() -> None:
    words = "sarbarhet i sql server management studio".split()
    assert names_longer(words, 4, start=2)  # "sql server" + "management"
    words = "exchange online protection".split()
    assert names_longer(words, 1, start=0)
    words = "sql server reporting services er berort".split()
    assert names_longer(words, 2, start=0)  # a known longer name
    assert not names_longer("sql server 2019 er berort".split(), 2)
    assert not names_longer("sql server".split(), 2)


# (version, reading, verdict)
VERDICTS = [
    ("7.2.4", ProseReading("s", affected="vers:generic/>=7.2.0|<=7.2.6"), True),
    ("7.2.10", ProseReading("s", affected="vers:generic/>=7.2.0|<=7.2.6"), False),
    ("11.9", ProseReading("s", fixed=("12.1",)), True),
    ("12.1", ProseReading("s", fixed=("12.1",)), False),
    ("12.2.1", ProseReading("s", fixed=("12.1",)), False),
    ("7.2.4", ProseReading("s", fixed=("7.4.3", "7.2.7", "7.0.14")), True),
    ("7.2.10", ProseReading("s", fixed=("7.4.3", "7.2.7", "7.0.14")), False),
    ("7.4.3", ProseReading("s", fixed=("7.4.3", "7.2.7", "7.0.14")), False),
    ("7.6.0", ProseReading("s", fixed=("7.4.3", "7.2.7", "7.0.14")), False),
    ("6.4.15", ProseReading("s", fixed=("7.4.3", "7.2.7", "7.0.14")), None),  # no branch
    ("7.2.4", ProseReading("s"), None),
    ("7.2.4", ProseReading("s", negated=True), False),
]


@pytest.mark.parametrize(("version", "reading", "verdict"), VERDICTS)
def test_verdict(version: str, reading: ProseReading, verdict: bool | None) -> None:
    assert reading.verdict(version) is verdict


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("CVSS 9.8", 9.8),
        ("Sårbarheten har CVSS-score 8,1.", 8.1),
        ("CVSS v3.1: 9.6", 9.6),
        ("It has a CVSSv3 score of 7.5.", 7.5),
        ("med en CVSS-score på 9,8", 9.8),
        ("CVSS 3.1-score 8.8", 8.8),
        ("CVSS base score: 10.0", 10.0),
        ("CVE-2023-4966 (CVSS 9.4) & CVE-2023-4967 (CVSS 8.2)", 9.4),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None),
        ("CVSS 4.0 score 9.3", 9.3),
        ("Ingen score oppgitt (CVSS ikke tilgjengelig).", None),
        ("CVSS 99", None),
    ],
)
def test_read_cvss(text: str, score: float | None) -> None:
    assert read_cvss(text) == score


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("Trukket tilbake: sårbarhet i X", "", True),
        ("Sårbarhet i X", "CVE-2024-1234 er trukket tilbake av CVE-programmet.", True),
        ("Sårbarheit i X", "CVE-2024-1234 er trekt tilbake.", True),
        ("Sårbarhet i X", "CVE-ID-en er avvist av MITRE.", True),
        ("** REJECT ** DO NOT USE THIS CANDIDATE NUMBER", "", True),
        ("Withdrawn: vulnerability in X", "", True),
        ("Vulnerability in X", "CVE-2024-1234 has been rejected as a duplicate.", True),
        ("Vulnerability in X", "This advisory has been withdrawn.", True),
        ("Sårbarhet i X", "Angriperen kan få legitime tilkoblinger avvist.", False),
        ("Vulnerability in X", "Connections are rejected when the queue is full.", False),
        ("Sårbarhet i X", "Oppdater nå.", False),
    ],
)
def test_withdrawn(title: str, summary: str, expected: bool) -> None:
    assert withdrawn(title, summary) is expected


def test_quote_and_split_detail() -> None:
    detail = "7.2.4 in vers:generic/<7.2.7" + quote("FortiOS før 7.2.7 er berørt.")
    assert split_detail(detail) == (
        "7.2.4 in vers:generic/<7.2.7",
        '"FortiOS før 7.2.7 er berørt."',
    )
    assert split_detail("no sentence") == ("no sentence", None)
    assert quote("") == ""
    assert len(quote("x" * 1000)) < 320


def test_every_range_read_is_one_versions_understands() -> None:
    for sentence, product, _, _ in RANGES:
        r = read(sentence, product)
        assert r is not None and r.affected is not None
        assert version_in("1.0", r.affected) is not None


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("5.6.9 and below", ["<=5.6.9"]),  # CVE-2019-6693's `version` values
        ("6.0.5 and below", ["<=6.0.5"]),
        ("prior to 7.4.4", ["<7.4.4"]),
        ("7.2.0 through 7.2.6", [">=7.2.0", "<=7.2.6"]),
        ("Fixed Versions: v12 (build 12.0.0.1420)", None),
        ("FortiOS 5.6.9 and below", None),  # more than a phrase: not read
        ("n/a", None),
    ],
)
def test_phrase_constraints(text: str, want: list[str] | None) -> None:
    assert phrase_constraints(text) == want


def test_a_negated_range_beside_fixed_versions() -> None:
    """The bench corpus's NSM-style PAN-OS item: fixed versions in one sentence, the versions
    that are not affected in another; both decide."""
    text = (
        "Palo Alto Networks har varslet om en sårbarhet i PAN-OS (CVSS 10,0). Sårbarheten "
        "gjelder PAN-OS 10.2, 11.0 og 11.1. Versjoner før 10.2.0 er ikke berørt. Oppdater til "
        "10.2.9-h1, 11.0.4-h1 eller 11.1.2-h3 eller nyere."
    )
    r = read(text, "PAN-OS")
    assert r is not None and r.fixed == ("10.2.9-h1", "11.0.4-h1", "11.1.2-h3")
    assert r.unaffected == "vers:generic/<10.2.0"
    assert r.unaffected_sentence == "Versjoner før 10.2.0 er ikke berørt."
    assert r.verdict("10.1.11") is False and r.verdict("10.2.8") is True
    assert r.verdict("11.1.2-h3") is False
    # a bare version that is negated stays unread, never a range
    assert read("FortiOS 7.4 er ikke berørt.", "FortiOS").unaffected is None  # type: ignore[union-attr]
