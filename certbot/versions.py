"""Version ranges: `vers:` via univers, plus the loose forms real advisories use.

``parse_range`` turns a range string into a univers ``VersionRange`` (or ``ALL`` for "every
version"), or None when the string is ambiguous: such products match as "version unknown".
Vendor firmware versions (``7.2.4``, ``V9.80``, ``10.0.17763.5458``) are not semver, so the
``generic`` and ``all`` schemes compare with RPM's segment-wise rules (univers ``RpmVersion``),
which order ``7.2.10`` after ``7.2.9`` and ``9.80`` after ``9.7``. Results are cached per
distinct string: the matcher asks the same questions many times.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from univers.version_range import RANGE_CLASS_BY_SCHEMES, VersionRange
from univers.versions import RpmVersion


class _All:
    """Every version is affected."""

    def __repr__(self) -> str:
        return "ALL"

    def __str__(self) -> str:
        return "vers:generic/*"


ALL: Final = _All()
Range = VersionRange | _All

_GENERIC_SCHEMES = {"generic", "all", "vendor", "firmware", ""}
_ALL_WORDS = {"*", "all", "all versions", "alle versjoner", "any", "vers:all/*", "vers:generic/*"}
_CMP = re.compile(r"\s*(>=|<=|!=|>|<|=)?\s*v?([0-9][0-9A-Za-z.\-_+~]*)\s*$", re.IGNORECASE)


def normalise_version(version: str) -> str:
    """'V9.80' -> '9.80', ' 7.2.4 ' -> '7.2.4'."""
    v = version.strip()
    if len(v) > 1 and v[0] in "vV" and v[1].isdigit():
        v = v[1:]
    return v


def _generic(constraints: list[tuple[str, str]]) -> VersionRange | None:
    parts = []
    for op, ver in constraints:
        ver = normalise_version(ver)
        if not ver or not ver[0].isdigit():
            return None
        parts.append(f"{'' if op == '=' else op}{ver}")
    if not parts:
        return None
    try:
        return VersionRange.from_string("vers:rpm/" + "|".join(parts))
    except Exception:
        return None


def _split_constraints(text: str) -> list[tuple[str, str]] | None:
    out = []
    for piece in re.split(r"\s*[|,]\s*|\s+(?=[<>=!])", text.strip()):
        if not piece:
            continue
        m = _CMP.match(piece)
        if not m:
            return None
        out.append((m.group(1) or "=", m.group(2)))
    return out or None


@lru_cache(maxsize=65536)
def parse_range(text: str | None) -> Range | None:
    """A range string -> a Range, ``ALL``, or None when it cannot be read unambiguously."""
    if text is None:
        return None
    s = " ".join(text.split())
    if not s:
        return None
    if s.lower() in _ALL_WORDS:
        return ALL
    if s.lower().startswith("vers:"):
        scheme, _, body = s[5:].partition("/")
        scheme = scheme.lower()
        if body.strip() == "*":
            return ALL
        if scheme in _GENERIC_SCHEMES or scheme not in RANGE_CLASS_BY_SCHEMES:
            cons = _split_constraints(body)
            return _generic(cons) if cons else None
        try:
            return VersionRange.from_string(f"vers:{scheme}/{body}")
        except Exception:
            return None
    # Loose forms seen in real CSAF product names: "0 < 8.0.1", "<V9.80", ">=7.0 <7.2.9".
    m = re.fullmatch(r"v?([0-9][\w.\-]*)\s*(<=|<)\s*v?([0-9][\w.\-]*)", s, re.IGNORECASE)
    if m:
        low, op, high = m.groups()
        cons = [(op, high)] if low.strip("0.") == "" else [(">=", low), (op, high)]
        return _generic(cons)
    m = re.fullmatch(r"v?([0-9][\w.\-]*)\s*(?:-|to|til)\s*v?([0-9][\w.\-]*)", s, re.IGNORECASE)
    if m and not re.fullmatch(r"[0-9][\w.]*", s):
        return _generic([(">=", m.group(1)), ("<=", m.group(2))])
    if s[0] in "<>=!":
        cons = _split_constraints(s)
        return _generic(cons) if cons else None
    return None


@lru_cache(maxsize=262144)
def version_in(version: str, range_text: str) -> bool | None:
    """Is ``version`` inside the range? None when either side cannot be read."""
    rng = parse_range(range_text)
    if rng is None:
        return None
    if rng is ALL:
        return True
    assert isinstance(rng, VersionRange)
    version_class = rng.version_class
    if version_class is None:
        return None
    try:
        return bool(version_class(normalise_version(version)) in rng)
    except Exception:
        return None


@lru_cache(maxsize=65536)
def same_version(a: str, b: str) -> bool:
    """Equal versions under the generic ordering ('7.2.4' == 'v7.2.4')."""
    try:
        return RpmVersion(normalise_version(a)) == RpmVersion(normalise_version(b))
    except Exception:
        return normalise_version(a) == normalise_version(b)


def exact(version: str) -> str:
    """The range that holds exactly one version."""
    return f"vers:generic/{normalise_version(version)}"


def below(version: str) -> str:
    """The range of versions before a fixed version."""
    return f"vers:generic/<{normalise_version(version)}"
