"""Version ranges: the range strings found in real advisories, plus Hypothesis properties."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certbot.versions import (
    ALL,
    Nevra,
    below,
    canonical_version,
    exact,
    normalise_version,
    parse_nevra,
    parse_range,
    rpm_exact,
    same_version,
    version_in,
)
from tests.case_tables import rows

# (range as written in a real document or feed, version, expected)
TABLE = [
    # fixtures/README.md: CISA icsa-25-016-04 / icsa-25-010-02 (Siemens, Schneider)
    ("vers:all/*", "V1.0", True),
    ("vers:all/*", "anything", True),
    ("vers:all/<V9.80", "V9.70", True),
    ("vers:all/<V9.80", "V9.80", False),
    ("vers:all/<V9.80", "V10.0", False),
    ("vers:all/>=V7.80", "V7.80", True),
    ("vers:all/>=V7.80", "V7.79", False),
    ("vers:all/>=V7.80|<V9.80", "V8.10", True),
    ("vers:all/>=V7.80|<V9.80", "V7.70", False),
    ("vers:all/>=V7.80|<V9.80", "V9.80", False),
    # CISA va-24-201-01, va-24-254-02, va-24-262-01 (not vers: at all)
    ("all versions", "4.8.1", True),
    ("0 < 8.0.1", "7.1.3", True),
    ("0 < 8.0.1", "8.0.1", False),
    ("0 < 9.8.12", "9.8.11", True),
    ("0 < 9.8.12", "9.8.12", False),
    ("0 < 9.8.12", "10.0", False),
    # FortiOS: numeric, not lexicographic, ordering
    ("vers:generic/<7.2.9", "7.2.4", True),
    ("vers:generic/<7.2.9", "7.2.10", False),
    ("vers:generic/>=7.0|<7.2.9", "7.2.4", True),
    ("vers:generic/>=7.0|<7.2.9", "6.4.15", False),
    # loose "vls" forms and NVD-style bounds
    ("<V9.80", "V9.7", True),
    (">=7.5|<7.5.101", "7.5.100", True),
    ("vers:generic/>=7.5|<7.5.101", "7.5.101", False),
    # exact versions (CSAF product_version)
    (exact("4.8.3"), "4.8.3", True),
    (exact("4.8.3"), "4.8.4", False),
    (exact("V2.1"), "2.1", True),
    # native univers schemes
    ("vers:pypi/<2.0", "1.5", True),
    ("vers:npm/>=1.0.0|<1.2.3", "1.2.3", False),
]

# Forms written in real CISA CSAF documents (tests/data/cases/cisa-range-forms.yaml), then
# CSAF product_version entries (an exact version each).
CISA = [
    *rows("cisa-range-forms"),
    (exact("MX-V4.7.3.11"), "MX-V4.7.3.11", True),
    (exact("MX-V4.7.3.11"), "4.7.3.11", True),
    (exact("MX-V4.7.3.11"), "MX-V4.7.3.12", False),
    (exact("7.2"), "7.2.0", True),
    # branch wildcards in product_version (cisagov/CSAF @ 6960219f): ICSA-21-336-08 "12.2.*",
    # "11.*"; ICSMA-21-313-01 "5.x.x"; ICSA-20-175-03 "6.0.X | 6.0.3.1 | 6.0.3.2"
    (exact("12.2.*"), "12.2.5.3", True),
    (exact("12.2.*"), "12.2", True),
    (exact("12.2.*"), "12.3", False),
    (exact("12.2.*"), "12.1.9", False),
    (exact("11.*"), "11.4", True),
    (exact("11.*"), "12.0", False),
    (exact("5.x.x"), "5.4.1", True),
    (exact("5.x.x"), "6.0.0", False),
    (exact("6.0.X | 6.0.3.1 | 6.0.3.2"), "6.0.3.1", True),
    (exact("6.0.X | 6.0.3.1 | 6.0.3.2"), "6.0.9", True),
    (exact("6.0.X | 6.0.3.1 | 6.0.3.2"), "6.1", False),
    # ICSMA-20-023-01 "4.X | 5.X", ICSA-21-350-01 "1.60 | 7.x 8.x"
    (exact("4.X | 5.X"), "4.2", True),
    (exact("4.X | 5.X"), "5.9.1", True),
    (exact("4.X | 5.X"), "6", False),
    (exact("1.60 | 7.x 8.x"), "1.60", True),
    (exact("1.60 | 7.x 8.x"), "8.9", True),
    (exact("1.60 | 7.x 8.x"), "1.61", False),
    (exact("1.60 | 7.x 8.x"), "9.0", False),
]

UNREADABLE = [
    "",
    "   ",
    "Corefix 14",
    "vers:generic/Corefix 14",
    "see vendor advisory",
    "latest",
    "vers:generic/telnet-1:0.17-65.el7_6.src",
    "vers:",
    "<",
    "0 <",
    # real CISA strings that are not versions: never a guessed range
    "<=the_first_5_digits_of_serial_number_22081",
    "distributed < april 1, 2018",
    "<April/20/2023",
    "No version",
    "All versions with Ethernet interface",
    "All versions with U-Boot < V2016.05RS09",
    "All versions <= V2.3.0 and Function State (FS) <= 3",
    "<= 7.20 (7.50 and 7.60 may also be affected if WibuKey was installed manually)",
    "5.011 | < 8.011",
    "<=W",
    "NMC2 <= 6.9.6",
    "* (with option G28)",
    "<= 4.2.21 | <= 5.0.27 | <= 5.1.19 | <= 6.0.16",
    # a star or a series that is no branch wildcard
    "12.*.3",
    "vers:generic/1.2 *",  # ICSA-21-343-01 reads it only with its "all revisions" (csaf_tree)
    "vers:generic/TSXETY4103 *",
    ">= 6.6 (6.x series)",
    "< 12.4 (firmware 1.46)",  # which of the two numbers is "the version"?
    "1.03.07 (build 317)",  # ICSA-23-096-01: two releases share "build 286"
    "< 7.2 (6.x series)",  # a bound outside its branch
    "3.1: < 3.0",
    # a lower bound above the upper one is a typo, not the union of two rays: ICSA-21-021-05
    # (">= 4.5.0 | =< 3.5.20304.x" for "between 4.5.0 and 4.5.20304.x"), ICSA-23-262-05
    ">= 4.5.0 | =< 3.5.20304.x",
    ">= 1.31 | <= 1.4",
]


@pytest.mark.parametrize(("rng", "version", "expected"), TABLE)
def test_table(rng: str, version: str, expected: bool) -> None:
    assert version_in(version, rng) is expected


@pytest.mark.parametrize(("rng", "version", "expected"), CISA)
def test_cisa_forms(rng: str, version: str, expected: bool) -> None:
    assert parse_range(rng) is not None, rng
    assert version_in(version, rng) is expected


def test_canonical_forms() -> None:
    assert canonical_version("V14 SP1 Upd 14") == canonical_version("14 sp1 update 14")
    assert canonical_version("R6.07.00") == "6.07"
    assert canonical_version("latest") is None and canonical_version("7.x") is None
    assert same_version("7.2.0", "V7.2") and not same_version("7.2.1", "7.2")


@pytest.mark.parametrize("text", UNREADABLE)
def test_unreadable_is_none_not_error(text: str) -> None:
    assert parse_range(text) is None
    assert version_in("1.0", text) is None


def test_all_and_helpers() -> None:
    assert parse_range("vers:all/*") is ALL and parse_range("All versions") is ALL
    assert normalise_version(" V9.80 ") == "9.80"
    assert below("V7.2.9") == "vers:generic/<7.2.9"
    assert version_in("7.2.8", below("7.2.9")) is True


versions = st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)


def _key(v: str) -> tuple[int, ...]:
    parts = [int(p) for p in v.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


@settings(max_examples=300, deadline=None)
@given(st.lists(versions, min_size=3, max_size=3, unique_by=_key))
def test_a_version_inside_a_range_matches(vs: list[str]) -> None:
    low, mid, high = sorted(vs, key=_key)
    assert version_in(mid, f"vers:generic/>={low}|<{high}") is True
    assert version_in(mid, f"{low} < {high}") is True or _key(low) == (0,)
    assert version_in(low, f"vers:all/>={low}|<{high}") is True


@settings(max_examples=300, deadline=None)
@given(versions, versions)
def test_a_fixed_version_never_matches(fixed: str, low: str) -> None:
    assert version_in(fixed, below(fixed)) is False
    assert version_in(fixed, f"0 < {fixed}") is False
    if _key(low) < _key(fixed):
        assert version_in(fixed, f"vers:generic/>={low}|<{fixed}") is False


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_parse_range_never_raises(text: str) -> None:
    parse_range(text)
    assert version_in("1.2.3", text) in (True, False, None)


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(r"(vers:[a-z]{0,8}/)?[<>=!|*, vV0-9.\-]{0,30}", fullmatch=True),
    st.text(max_size=12),
)
def test_range_like_text_and_any_version_never_raise(text: str, version: str) -> None:
    assert version_in(version, text) in (True, False, None)


NEVRAS = [
    ("openssl-1:1.1.1k-6.el8_5", "openssl", "1:1.1.1k-6.el8_5", None),
    ("telnet-1:0.17-65.el7_6.x86_64", "telnet", "1:0.17-65.el7_6", "x86_64"),
    ("telnet-debuginfo-1:0.17-65.el7_6.ppc64le", "telnet-debuginfo", "1:0.17-65.el7_6", "ppc64le"),
    ("git-lfs-0:2.13.3-3.el8_6.1.src", "git-lfs", "0:2.13.3-3.el8_6.1", "src"),
    ("kernel-rt-4.18.0-305.el8.x86_64", "kernel-rt", "4.18.0-305.el8", "x86_64"),
]


@pytest.mark.parametrize(("text", "name", "evr", "arch"), NEVRAS)
def test_red_hat_nevra(text: str, name: str, evr: str, arch: str | None) -> None:
    assert parse_nevra(text) == Nevra(name, evr, arch)


def test_not_a_nevra() -> None:
    for text in ("name-1.0-2", "Corefix 14", "FortiOS 7.2.4", "V14 SP1", ""):
        assert parse_nevra(text) is None, text


def test_rpm_ranges_and_an_omitted_epoch() -> None:
    assert version_in("1:1.1.1k-5.el8_5", "vers:rpm/<1:1.1.1k-6.el8_5") is True
    assert version_in("1:1.1.1k-6.el8_5", rpm_exact("1:1.1.1k-6.el8_5")) is True
    assert version_in("1.1.1k-5.el8_5", "vers:rpm/<1:1.1.1k-6.el8_5") is True  # as rpm -q prints
    assert version_in("1.1.1k-6.el8_5", "vers:rpm/<1:1.1.1k-6.el8_5") is False
    assert version_in("0:1.1.1k-7.el8_5", "vers:rpm/<1:1.1.1k-6.el8_5") is True  # epoch rules
    assert same_version("1.1.1k-6.el8_5", "1:1.1.1k-6.el8_5")
    assert not same_version("1.1.1k-5.el8_5", "1:1.1.1k-6.el8_5")


# The CISA word forms, generated: written as CISA writes them, read back as the same range.
CISA_WRITINGS = [
    ("All versions < V{high}", lambda v, lo, hi: _key(v) < _key(hi)),
    ("All Versions < V{high}", lambda v, lo, hi: _key(v) < _key(hi)),
    ("vers:all/>=V{low}<V{high}", lambda v, lo, hi: _key(lo) <= _key(v) < _key(hi)),
    (">= R{low} | <= R{high}", lambda v, lo, hi: _key(lo) <= _key(v) <= _key(hi)),
    (">= V{low} and < V{high}", lambda v, lo, hi: _key(lo) <= _key(v) < _key(hi)),
    ("V{low} and later", lambda v, lo, hi: _key(lo) <= _key(v)),
    ("{high} and below", lambda v, lo, hi: _key(v) <= _key(hi)),
    (
        "All versions between V{low} (including) and V{high} (excluding)",
        lambda v, lo, hi: _key(lo) <= _key(v) < _key(hi),
    ),
    ("Versions {low} to {high}", lambda v, lo, hi: _key(lo) <= _key(v) <= _key(hi)),
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(versions, min_size=3, max_size=3, unique_by=_key),
    st.sampled_from(CISA_WRITINGS),
    st.sampled_from(["", "V", "v"]),
)
def test_cisa_writings_read_back(vs: list[str], writing, prefix: str) -> None:
    low, high, probe = vs
    if _key(low) > _key(high):
        low, high = high, low
    form, inside = writing
    text = form.format(low=low, high=high)
    assert parse_range(text) is not None, text
    assert version_in(prefix + probe, text) is inside(probe, low, high), (text, probe)


quals = st.tuples(
    st.integers(min_value=0, max_value=30),  # major
    st.integers(min_value=0, max_value=5),  # SP (0 = none)
    st.integers(min_value=0, max_value=20),  # Update (0 = none)
)


def _siemens(q: tuple[int, int, int], upd: str) -> str:
    major, sp, update = q
    return f"V{major}" + (f" SP{sp}" if sp else "") + (f" {upd} {update}" if update else "")


@settings(max_examples=300, deadline=None)
@given(quals, quals, st.sampled_from(["Update", "Upd", "Upd."]))
def test_siemens_qualifiers_order_like_releases(a, b, upd: str) -> None:
    """V14 < V14 Update 3 < V14 SP1 < V14 SP1 Update 14 < V14 SP2 < V15."""
    if a == b:
        return
    lower, higher = sorted((a, b))
    assert version_in(_siemens(lower, upd), f"< {_siemens(higher, 'Update')}") is True
    assert version_in(_siemens(higher, upd), f"< {_siemens(lower, 'Update')}") is False


def _next(base: str) -> str:
    parts = base.split(".")
    return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])


wild = st.sampled_from([".x", ".X", ".*", ".x.x", ".*.*"])


@settings(max_examples=300, deadline=None)
@given(versions, wild, versions)
def test_a_branch_wildcard_is_that_branch(base: str, star: str, probe: str) -> None:
    """'12.2.*' / '12.2.x' / '12.2.x.x' (CISA writes all three): base <= v < next branch."""
    inside = _key(base) <= _key(probe) < _key(_next(base))
    assert version_in(probe, exact(base + star)) is inside
    assert version_in(probe, f"<= {base}{star}") is (_key(probe) < _key(_next(base)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(versions, st.booleans()), min_size=2, max_size=5), versions)
def test_a_list_of_branches_is_their_union(items: list[tuple[str, bool]], probe: str) -> None:
    """'1.5.x | 1.6.x | 1.7.x', '6.0.X | 6.0.3.1 | 6.0.3.2': inside iff inside one of them."""
    text = " | ".join(v + (".x" if branch else "") for v, branch in items)
    if not any(branch for _, branch in items):
        return  # a plain list of versions is another form (tested above)

    def one(v: str, branch: bool) -> bool:
        if branch:
            return _key(v) <= _key(probe) < _key(_next(v))
        return _key(v) == _key(probe)

    assert version_in(probe, exact(text)) is any(one(v, b) for v, b in items), text


@settings(max_examples=300, deadline=None)
@given(st.lists(versions, min_size=3, max_size=6, unique_by=_key), versions)
def test_intervals_that_share_an_end_read_as_their_union(ends: list[str], probe: str) -> None:
    """'>= a | <= b | >= b | <= c' (ICSA-20-051-01's "4.00 to 4.03 4.04 to 4.03 ..."): the
    union [a, c], read the same under any hash seed (the order of equal versions is fixed)."""
    ends = sorted(ends, key=_key)
    text = " | ".join(f">= {a} | <= {b}" for a, b in itertools.pairwise(ends))
    assert version_in(probe, text) is (_key(ends[0]) <= _key(probe) <= _key(ends[-1])), text


@settings(max_examples=300, deadline=None)
@given(st.lists(versions, min_size=2, max_size=2, unique_by=_key), st.sampled_from(["<", "<="]))
def test_an_interval_written_backwards_is_not_read(ends: list[str], upper: str) -> None:
    """'>= a | <= b' with a above b: empty as written; never read as '<= b or >= a'. A
    ``vers:`` range has no order (the spec sorts it): there it is that union."""
    low, high = sorted(ends, key=_key)
    assert parse_range(f">= {high} | {upper} {low}") is None
    assert parse_range(f">= {low} | {upper} {high}") is not None
    union = f"vers:generic/>={high}|{upper}{low}"
    assert version_in(low, union) is (upper == "<=") and version_in(high, union) is True
