"""Hypothesis: a range (one or two branches, inclusive or exclusive bounds, fixed versions)
written as a bokmål and as an English sentence reads back as the same range; a sentence with
a version no form explains reads as no range."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import assume, given
from hypothesis import strategies as st

from certbot.prose import read
from certbot.versions import version_in

Version = tuple[int, int, int]


@dataclass(frozen=True)
class Branch:
    lo: Version | None
    lo_incl: bool
    hi: Version
    hi_incl: bool


def v(x: Version) -> str:
    return ".".join(map(str, x))


@st.composite
def branch(draw: st.DrawFn, major: int, open_lower: bool) -> Branch:
    lo = (major, draw(st.integers(0, 5)), draw(st.integers(0, 20)))
    hi = (major, draw(st.integers(lo[1], 9)), draw(st.integers(0, 40)))
    if hi <= lo:
        hi = (major, lo[1], lo[2] + 1 + draw(st.integers(0, 9)))
    kind = draw(
        st.sampled_from(["upper_excl", "upper_incl", "incl_incl", "incl_excl", "excl_excl"])
    )
    if kind.startswith("upper") and open_lower:
        return Branch(None, False, hi, kind == "upper_incl")
    if kind.startswith("upper"):
        kind = "incl_incl"
    return Branch(lo, kind.startswith("incl"), hi, kind.endswith("_incl"))


@st.composite
def ranges(draw: st.DrawFn) -> tuple[list[Branch], list[str] | None]:
    major = draw(st.integers(1, 20))
    branches = [draw(branch(major, open_lower=True))]
    if draw(st.booleans()):
        branches.append(draw(branch(major + draw(st.integers(1, 5)), open_lower=False)))
    fixed = None
    if draw(st.booleans()):
        fixed = [v(b.hi) if not b.hi_incl else v((b.hi[0], b.hi[1], b.hi[2] + 1)) for b in branches]
    return branches, fixed


NB = {
    ("upper", False): ["før {hi}", "eldre enn {hi}", "versjoner før {hi}"],
    ("upper", True): ["til og med {hi}", "{hi} og eldre"],
    (True, True): ["{lo} til og med {hi}", "fra og med {lo} til og med {hi}", "{lo} til {hi}"],
    (True, False): ["{lo} til, men ikke med {hi}"],
    (False, False): ["nyere enn {lo} og eldre enn {hi}"],
}
EN = {
    ("upper", False): ["versions prior to {hi}", "before {hi}", "versions earlier than {hi}"],
    ("upper", True): ["up to and including {hi}", "{hi} and earlier", "through {hi}"],
    (True, True): ["{lo} through {hi}", "{lo} to {hi}", "from {lo} up to and including {hi}"],
    (True, False): ["{lo} up to but not including {hi}"],
    (False, False): ["versions after {lo} and before {hi}"],
}


def phrase(b: Branch, table: dict, pick: int) -> str:
    key = ("upper", b.hi_incl) if b.lo is None else (b.lo_incl, b.hi_incl)
    forms = table[key]
    return forms[pick % len(forms)].format(lo=v(b.lo) if b.lo else "", hi=v(b.hi))


def expected(branches: list[Branch]) -> str:
    cons = []
    for b in branches:
        if b.lo is not None:
            cons.append((">=" if b.lo_incl else ">") + v(b.lo))
        cons.append(("<=" if b.hi_incl else "<") + v(b.hi))
    return "vers:generic/" + "|".join(cons)


def nb_sentence(branches: list[Branch], fixed: list[str] | None, pick: int) -> str:
    parts = " og ".join(phrase(b, NB, pick + i) for i, b in enumerate(branches))
    tail = f", og feilen er rettet i {' og '.join(fixed)}" if fixed else ""
    return f"Sårbarheten berører Produkt {parts}{tail}."


def en_sentence(branches: list[Branch], fixed: list[str] | None, pick: int) -> str:
    parts = " and ".join(phrase(b, EN, pick + i) for i, b in enumerate(branches))
    tail = f"; it is fixed in {' and '.join(fixed)}" if fixed else ""
    return f"The flaw affects Product {parts}{tail}."


def check(sentence: str, branches: list[Branch], fixed: list[str] | None) -> None:
    r = read(sentence, "Produkt" if "Produkt" in sentence else "Product")
    assert r is not None and r.sentence == sentence
    assert r.affected == expected(branches), sentence
    assert r.fixed == tuple(fixed or ()), sentence
    for b in branches:  # and the range means what the sentence says
        assert version_in(v(b.hi), r.affected) is b.hi_incl
        if b.lo is not None:
            assert version_in(v(b.lo), r.affected) is b.lo_incl


@given(ranges(), st.integers(0, 5))
def test_bokmal_sentence_reads_back_as_the_range(rng, pick) -> None:  # type: ignore[no-untyped-def]
    branches, fixed = rng
    check(nb_sentence(branches, fixed, pick), branches, fixed)


@given(ranges(), st.integers(0, 5))
def test_english_sentence_reads_back_as_the_range(rng, pick) -> None:  # type: ignore[no-untyped-def]
    branches, fixed = rng
    check(en_sentence(branches, fixed, pick), branches, fixed)


@given(ranges(), st.integers(0, 5), st.integers(0, 30), st.booleans())
def test_an_unexplained_version_makes_the_range_unreadable(rng, pick, extra, english) -> None:  # type: ignore[no-untyped-def]
    branches, _ = rng
    sentence = (en_sentence if english else nb_sentence)(branches, None, pick)
    sentence = sentence.replace("Product ", f"Product 0.{extra}, ").replace(
        "Produkt ", f"Produkt 0.{extra}, "
    )
    r = read(sentence, "Produkt" if "Produkt" in sentence else "Product")
    assert r is not None and r.affected is None


@given(ranges(), st.integers(0, 5), st.booleans())
def test_a_following_sentence_about_the_product_reads_back(rng, pick, english) -> None:  # type: ignore[no-untyped-def]
    """NSM's and CERT-EU's way: the product in one sentence, its versions in the next
    ("Sårbarheten gjelder versjoner …", "Versions … are affected"); a sentence naming
    something else in between ends that."""
    branches, _ = rng
    if english:
        parts = " and ".join(phrase(b, EN, pick + i) for i, b in enumerate(branches))
        lead, follow, other = (
            "A flaw in Product.",
            f"Versions {parts} are affected.",
            "It also hits Acme Router.",
        )
    else:
        parts = " og ".join(phrase(b, NB, pick + i) for i, b in enumerate(branches))
        lead, follow = "En sårbarhet i Produkt.", f"Sårbarheten gjelder versjoner {parts}."
        other = "Det gjelder også Acme Ruter."
    name = "Product" if english else "Produkt"
    r = read(f"{lead} {follow}", name)
    assert r is not None and r.sentence == follow and r.affected == expected(branches)
    r = read(f"{lead} {other} {follow}", name)
    assert r is not None and r.affected is None


@given(st.integers(1, 20), st.integers(0, 9), st.integers(0, 40), st.integers(1, 9))
def test_portable_and_hotfix_versions_are_one_version(major, minor, patch, n) -> None:  # type: ignore[no-untyped-def]
    """OpenSSH "9.8p1" and PAN-OS "10.2.9-h1" are versions, not a version and a stray word."""
    for tail in (f"p{n}", f"-h{n}"):
        hi = f"{major}.{minor}.{patch}{tail}"
        r = read(f"Produkt før {hi} er berørt.", "Produkt")
        assert r is not None and r.affected == f"vers:generic/<{hi}"


@given(ranges(), st.integers(0, 5), st.booleans())
def test_a_negated_range_reads_as_not_affected(rng, pick, english) -> None:  # type: ignore[no-untyped-def]
    """ "Versjoner før 10.2.0 er ikke berørt" / "Versions prior to 8.0.0 are not affected": the
    range is what the text takes out, every version in it not affected, none outside."""
    branches, _ = rng
    b = branches[0]
    if english:
        sentence = f"Product {phrase(b, EN, pick)} is not affected."
    else:
        sentence = f"Produkt {phrase(b, NB, pick)} er ikke berørt."
    # "til, men ikke med" / "up to but not including" open a clause of their own ("men",
    # "but"), so the negation is not read as theirs: not a form negated ranges are written in
    assume(", men" not in sentence and " but " not in sentence)
    r = read(sentence, "Product" if english else "Produkt")
    assert r is not None and r.unaffected == expected([b]), sentence
    assert r.unaffected_sentence == sentence and not r.negated
    assert r.verdict(v(b.hi)) is (False if b.hi_incl else None)


branch_clause = st.tuples(st.integers(1, 9), st.integers(0, 9), st.integers(1, 20), st.booleans())


@given(st.lists(branch_clause, min_size=1, max_size=4), st.tuples(*(st.integers(0, 21),) * 3))
def test_branch_clauses_read_as_the_union_of_each(clauses, v) -> None:  # type: ignore[no-untyped-def]
    """ "A.B.x before A.B.C [patch N]" clauses joined by "or": a version is affected by the whole
    sentence exactly when one clause alone says so (the same branch named twice included)."""

    def phrase(c: tuple[int, int, int, bool]) -> str:
        return f"{c[0]}.{c[1]}.x before {c[0]}.{c[1]}.{c[2]}" + (" patch 3" if c[3] else "")

    whole = read(f"Product {' or '.join(map(phrase, clauses))} is affected.", "Product")
    alone = [read(f"Product {phrase(c)} is affected.", "Product") for c in clauses]
    assert whole is not None and whole.affected is not None
    version = ".".join(map(str, v))
    assert whole.verdict(version) == any(r is not None and r.verdict(version) for r in alone)
