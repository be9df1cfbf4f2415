"""A name with its abbreviation in parentheses names the product both ways.

KEV writes Ivanti's product "Endpoint Manager Mobile (EPMM)" (CVE-2023-35078, real entry in
bench/data/kev-corpus.json); a municipality writes "Ivanti EPMM"; CERT-EU-style prose writes
"Ivanti Endpoint Manager Mobile (EPMM)". The pairing lives in the identity catalogue's names
(`certbot.identity.spellings`), and the text rule reads the prose for either spelling.
"""

from __future__ import annotations

import pytest

from certbot import identity
from certbot.identity.names import abbreviated
from certbot.match import Matcher
from certbot.model import Advisory, Case
from tests.factory import item, kev, subscriber

CVE = "CVE-2023-35078"
# The corpus prose (bench/data/quality-cases.yaml, prose-certeu-epmm; the version facts are
# Ivanti's advisory).
TEXT = (
    "Ivanti has fixed an authentication bypass (CVSS 10.0) in Ivanti Endpoint Manager Mobile "
    "(EPMM), formerly MobileIron Core. Versions 11.10.0.0 through 11.10.0.1, 11.9.0.0 through "
    "11.9.1.0 and versions prior to 11.8.1.1 are affected. Upgrade to 11.8.1.1, 11.9.1.1, "
    "11.10.0.2 or later."
)


@pytest.mark.parametrize(
    ("name", "pair"),
    [
        ("Endpoint Manager Mobile (EPMM)", ("Endpoint Manager Mobile", "EPMM")),
        ("Identity Services Engine (ISE)", ("Identity Services Engine", "ISE")),
        ("Windows (x64)", None),  # lower case: a platform, not an abbreviation
        ("Exchange Server (CU23)", None),  # digits: an update
        ("Connect Secure (formerly Pulse Connect Secure)", None),  # words
        ("EPMM", None),
    ],
)
def test_abbreviated(name: str, pair: tuple[str, str] | None) -> None:
    assert abbreviated(name) == pair


@pytest.mark.parametrize(
    ("vendor", "product", "other"),
    [
        ("Ivanti", "EPMM", "Endpoint Manager Mobile"),  # by the catalogue's name
        ("Ivanti", "Endpoint Manager Mobile", "EPMM"),
        ("Ivanti", "Ivanti Endpoint Manager Mobile (EPMM)", "EPMM"),  # the name itself
    ],
)
def test_spellings_pair_the_long_name_and_the_abbreviation(
    vendor: str, product: str, other: str
) -> None:
    assert other in identity.spellings(vendor, product)


def test_a_former_name_is_no_spelling() -> None:
    """MobileIron Core is ivanti/epmm's former name, not its abbreviation."""
    assert identity.spellings("MobileIron", "MobileIron Core") == ()
    assert "MobileIron Core" not in identity.spellings("Ivanti", "EPMM")


@pytest.mark.parametrize(
    ("product", "version", "affected"),
    [
        ("EPMM", "11.10.0.3", None),  # after every range: not affected, no alert
        ("EPMM", "11.10.0.1", "confirmed"),
        ("EPMM", "11.8.0.0", "confirmed"),
        ("Endpoint Manager Mobile", "11.9.1.0", "confirmed"),
        ("Endpoint Manager Mobile", "11.9.1.1", None),
    ],
)
def test_prose_decides_for_the_abbreviated_item(
    product: str, version: str, affected: str | None
) -> None:
    prose = Advisory(source="certeu", source_id="c-1", title=TEXT.split(". ")[0], summary=TEXT)
    case = Case(CVE, [kev(CVE, "Ivanti", "Endpoint Manager Mobile (EPMM)"), prose])
    sub = subscriber("0301", "Oslo", [item("Ivanti", product, version=version)])
    found = Matcher([sub]).match(case).get("0301", [])
    assert (found[0].affected if found else None) == affected
    if found:
        assert found[0].rule == "text" and "11.10.0.1" in found[0].detail
