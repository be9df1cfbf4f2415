"""Version ranges: the range strings found in real advisories, plus Hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certbot.versions import ALL, below, exact, normalise_version, parse_range, version_in

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
]


@pytest.mark.parametrize(("rng", "version", "expected"), TABLE)
def test_table(rng: str, version: str, expected: bool) -> None:
    assert version_in(version, rng) is expected


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
