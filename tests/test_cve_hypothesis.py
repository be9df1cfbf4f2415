"""Hypothesis: CNA-style version entries -> products -> verdict equals the CVE schema's own
algorithm (first matching entry wins, changes[] refine a range, else defaultStatus), computed
directly on integer tuples, in whatever order the products are read."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from certbot.sources.cve_parse import parse_record, verdict

Version = tuple[int, int, int]
versions = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
statuses = st.sampled_from(["affected", "unaffected", "unknown"])


def text(v: Version) -> str:
    return ".".join(map(str, v))


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(statuses)
    if draw(st.booleans()):
        return {"version": text(draw(versions)), "status": status}
    lo, hi = sorted(draw(st.lists(versions, min_size=2, max_size=2, unique=True)))
    entry: dict[str, Any] = {
        "version": "0" if draw(st.booleans()) and lo == (0, 0, 0) else text(lo),
        "status": status,
        "versionType": draw(st.sampled_from(["semver", "custom", "<=", "RC"])),
        draw(st.sampled_from(["lessThan", "lessThanOrEqual"])): text(hi),
    }
    changes = draw(st.lists(st.tuples(versions, statuses), max_size=2))
    if changes:
        entry["changes"] = [{"at": text(at), "status": s} for at, s in changes]
    return entry


def oracle(items: list[dict[str, Any]], default: str | None, v: Version) -> str:
    def parse(t: str) -> tuple[int, ...]:
        return tuple(int(x) for x in t.split("."))

    for e in items:
        upper = e.get("lessThan") or e.get("lessThanOrEqual")
        if upper is None:
            if parse(e["version"]) == v:
                return e["status"]
            continue
        lo, hi = parse(e["version"]), parse(upper)
        inside = lo <= v < hi if "lessThan" in e else lo <= v <= hi
        if inside:
            status = e["status"]
            for ch in sorted(e.get("changes", []), key=lambda c: parse(c["at"])):
                if parse(ch["at"]) <= v:
                    status = ch["status"]
            return status
    if default is None:
        return _above_the_ranges(items, v) or "unknown"
    return default


def _above_the_ranges(items: list[dict[str, Any]], v: Version) -> str | None:
    """certbot's reading of a record without defaultStatus (cve_versions module docstring):
    a version no entry holds, above the lowest upper bound of an affected range entry, is
    unaffected, unless some entry or change says "unknown"."""

    def parse(t: str) -> tuple[int, ...]:
        return tuple(int(x) for x in t.split("."))

    ups = []
    for e in items:
        upper = e.get("lessThan") or e.get("lessThanOrEqual")
        if e["status"] == "unknown":
            return None
        if upper is None:
            continue
        for ch in e.get("changes", []):
            at, hi = parse(ch["at"]), parse(upper)
            if ch["status"] == "unknown" and (at < hi or (at == hi and "lessThan" not in e)):
                return None
        if e["status"] == "affected":
            ups.append((parse(upper), "lessThan" in e))
    if not ups:
        return None
    hi, excl = min(ups, key=lambda u: (u[0], not u[1]))
    return "unaffected" if v > hi or (v == hi and excl) else None


@settings(max_examples=150, deadline=None)
@given(
    items=st.lists(entries(), min_size=1, max_size=4),
    default=st.sampled_from(["affected", "unaffected", "unknown", None]),
    probe=st.lists(versions, min_size=1, max_size=6),
)
def test_products_agree_with_the_schema_algorithm(
    items: list[dict[str, Any]], default: str | None, probe: list[Version]
) -> None:
    element: dict[str, Any] = {"vendor": "Acme", "product": "Gadget", "versions": items}
    if default is not None:
        element["defaultStatus"] = default
    record = {
        "cveMetadata": {"cveId": "CVE-2024-0001", "state": "PUBLISHED"},
        "containers": {"cna": {"affected": [element]}},
    }
    products = parse_record(record).products
    expected = {"affected": "affected", "unaffected": "not_affected", "unknown": "unknown"}
    for v in probe:
        want = expected[oracle(items, default, v)]
        assert verdict(products, text(v)) == want, (items, v)
        # the segments are disjoint, so order does not matter (the matcher has none)
        assert verdict(products[::-1], text(v)) == want, (items, v)


PHRASES = {  # how CNAs write one upper bound in `version` (CVE-2019-6693: "5.6.9 and below")
    "{v} and below": True,
    "{v} and earlier": True,
    "{v} or earlier": True,
    "prior to {v}": False,
    "before {v}": False,
    "through {v}": True,
}


@settings(max_examples=150, deadline=None)
@given(
    bound=versions.filter(lambda v: v != (0, 0, 0)),
    phrase=st.sampled_from(sorted(PHRASES)),
    probe=versions,
)
def test_a_version_phrase_in_version_reads_as_its_range(
    bound: Version, phrase: str, probe: Version
) -> None:
    """A bound written in words reads back as the same bound, and with no defaultStatus a
    version above it is not affected (Bergen's FortiOS 7.2.10 on CVE-2019-6693)."""
    inclusive = PHRASES[phrase]
    element = {
        "vendor": "Acme",
        "product": "Gadget",
        "versions": [{"version": phrase.format(v=text(bound)), "status": "affected"}],
    }
    record = {
        "cveMetadata": {"cveId": "CVE-2024-0001", "state": "PUBLISHED"},
        "containers": {"cna": {"affected": [element]}},
    }
    products = parse_record(record).products
    inside = probe <= bound if inclusive else probe < bound
    assert verdict(products, text(probe)) == ("affected" if inside else "not_affected")
