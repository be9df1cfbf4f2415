"""Version forms of real CISA CSAF documents that need the product tree to be read: a word of
the product's own name before the version ("NMC2 <= 6.9.6" under "... using NMC2"), "1.2 *"
under a full name saying "Version 1.2 all revisions", branch wildcards and lists of branches.

Documents: tests/data/csaf/cisa-sample (cisagov/CSAF @ 6960219f, bytes unchanged; see
tests/data/PROVENANCE.md). What has no single reading stays unreadable ("possibly affected")."""

from __future__ import annotations

from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from certbot.model import Advisory
from certbot.sources.csaf import parse_document
from certbot.sources.csaf_tree import walk_tree
from certbot.versions import parse_range, version_in
from tests.case_tables import cases

SAMPLE = Path(__file__).parent / "data" / "csaf" / "cisa-sample"


def _parse(name: str) -> Advisory:
    return parse_document((SAMPLE / name).read_bytes(), "cisa")


def _versions_of(adv: Advisory, product_start: str) -> set[str | None]:
    return {p.versions for p in adv.products if p.product.startswith(product_start)}


@cases("cisa-tree-forms")
def test_real_cisa_forms_are_read(name: str, product: str, version: str, affected: bool) -> None:
    found = _versions_of(_parse(name), product)
    assert found and None not in found, found
    assert any(version_in(version, v) for v in found if v) is affected


def test_a_word_not_in_the_product_name_stays_unreadable() -> None:
    """ICSA-21-313-01: "Rack Automatic Transfer Switches (ATS)" has "NMC2 <= 6.9.6" too, and
    "Network Management Card 2 for Modular PDU (XRDP2G)" does not say "NMC2": no guess."""
    adv = _parse("icsa-21-313-01.json")
    assert _versions_of(adv, "Rack Automatic Transfer Switches") == {None}
    assert _versions_of(adv, "Network Management Card 2 for Modular PDU (XRDP2G)") == {None}
    raw = [p.entry for p in adv.products if p.product.startswith("Rack Automatic")]
    assert raw and all("'NMC2 <= 6.9.6' not readable" in e for e in raw)


def test_a_branch_is_no_fixed_version() -> None:
    """A wildcard product_version is a branch: never offered as "the fixed version"."""
    adv = _parse("icsa-21-336-08.json")
    assert all(p.fixed_version is None or "*" not in p.fixed_version for p in adv.products)


def _tree(product: str, category: str, text: str, full: str) -> dict[str, object]:
    leaf = {"category": category, "name": text, "product": {"name": full, "product_id": "P1"}}
    branch = {"category": "product_name", "name": product, "branches": [leaf]}
    return {"branches": [{"category": "vendor", "name": "V", "branches": [branch]}]}


def _read(product: str, text: str, full: str = "", category: str = "product_version_range"):
    return walk_tree(_tree(product, category, text, full or product))["P1"].versions


def test_star_needs_the_all_revisions_wording() -> None:
    """The text "1.2 *" is read as 1.2.* only where the full name says so (ICSA-21-343-01);
    a model number with a star (ICSA-21-005-01 "TSXETY4103 *") or a bare "1.2 *" is not."""
    full = "Relion 650 series: Version 1.2 all revisions"
    assert _read("Relion 650 series", "1.2 *", full, "product_version") == "vers:generic/1.2.*"
    assert _read("Relion 650 series", "1.2 *", "Relion 650 series", "product_version") is None
    assert _read("Premium communication modules", "TSXETY4103 *", "", "product_version") is None


def test_condition_words_are_not_product_names() -> None:
    """Words such as "with", "using", "only" are in many product names: never the product."""
    product = "UPS with Network Management Card 2"
    assert _read(product, "with 6.9.6") is None
    assert _read("SIMATIC WinCC", "All versions with WinCC 7.3") is None


# (product branch, version text as CISA wrote it, what certbot keeps): ICSA-22-139-01
# (Mitsubishi MELSEC iQ-F), ICSMA-18-128-01 (Silex/GE), ICSA-22-326-01 (AVEVA Edge 2020),
# ICSA-20-091-01-style scope notes. An aside that says nothing of the versions goes; one
# that may (a former product name, a scope note) keeps the entry unreadable.
ASIDES = [
    ("MELSEC iQ-F FX5UJ", "< 1.031 (These products are sold in limited regions)", "< 1.031"),
    ("SD-320AN", "<= 2.01 (end-of-life Nov 2017)", "<= 2.01"),
    ("SX-500", "* (end-of-life 2011)", "*"),
    ("GEH-500", "<= 1.54 (integrated into GE MobileLink)", "<= 1.54"),
    ("AVEVA Edge 2020", "<= R2 (formerly known as InduSoft Web Studio)", None),
    ("X", "<= 4.11.00 (Versions removed from the scope of this advisory)", None),
]


def test_asides_that_say_nothing_of_the_version_go() -> None:
    for product, text, kept in ASIDES:
        assert _read(product, text) == kept, text
    v = "1.000 (These products are sold in limited regions)"  # ICSA-22-139-01 product_version
    assert _read("MELSEC iQ-F FX5S", v, "", "product_version") == "vers:generic/1.000"
    assert version_in("1.000", _read("MELSEC iQ-F FX5S", v, "", "product_version") or "")


version = st.lists(st.integers(0, 99), min_size=1, max_size=3).map(lambda p: ".".join(map(str, p)))
word = st.from_regex(r"[A-Z][A-Za-z]{1,6}[0-9]?", fullmatch=True).filter(
    lambda w: (
        w.lower()
        not in {"with", "using", "only", "and", "or", "on", "for", "in", "if", "when", "all", "not"}
    )
)
PRODUCT, OTHER = "Device using {} card", "Device using another card"


@settings(max_examples=200, deadline=None)
@given(word, st.sampled_from(["<=", "<", ">="]), version, version)
def test_own_product_word_before_a_bound_is_dropped(w: str, op: str, bound: str, probe: str):
    """'<W> <op> <v>' under a product named '... <W> ...' reads as '<op> <v>'; under a product
    without W it stays unreadable."""
    text = f"{w} {op} {bound}"
    assume(parse_range(text) is None and parse_range(f"{op} {bound}") is not None)
    assume(w.lower() not in OTHER.lower().split())
    got = _read(PRODUCT.format(w), text)
    assert got == f"{op} {bound}"
    assert version_in(probe, got) is version_in(probe, f"{op} {bound}")
    assert _read(OTHER, text) is None
