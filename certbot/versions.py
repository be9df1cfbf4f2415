"""Version ranges: `vers:` via univers, plus the loose forms real advisories write.

``parse_range`` turns a range string into a univers ``VersionRange`` (or ``ALL`` for "every
version"), or None when the string cannot be read unambiguously: such products match as
"possibly affected". It never guesses: text it does not fully understand (a date, a serial
number, a condition such as "with option G28") yields None, not a wider or narrower range.

Forms read (all seen in real CISA, Siemens, Schneider and Red Hat CSAF documents):

- ``vers:<scheme>/...`` with a univers scheme (pypi, npm, rpm, ...) as univers reads it;
- ``vers:all/`` / ``vers:generic/`` (and unknown schemes) with or without ``|`` between
  constraints: ``vers:all/>=V7.80|<V9.80``, ``vers:all/>=V2.9.2<V2.9.4``;
- the "vls" forms: ``<V9.80``, ``>= R4.01.00 | <= R6.07.00``, ``>= V2.3 and < V6.30.016``,
  ``0 < 8.0.1``, ``V7.1 < V7.1 Upd3``;
- words: "All versions", "All versions < V7.1", "All BIOS versions < V1.0", "V9.50 and later",
  "2.3.6 and below", "prior to 3.1", "between V2.5 (including) and V2.7 (excluding)",
  "Versions 2.00 to 6.11", "V4.4, V4.5 and V5.1" (a list), "<= V7.x" (a branch wildcard);
- branches: "12.2.*", "12.2.x.x", "< 6.6 (6.x series)", and lists of them with versions,
  read as their union ("1.5.x | 1.6.x | 1.7.x", "6.0.X | 6.0.3.1 | 6.0.3.2");
- a bare version in a range field (vls: a constraint without comparator means "=").

Red Hat package names (NEVRA) are read in `certbot.nevra`.

Versions themselves: vendor firmware versions (``7.2.4``, ``V9.80``, ``R4.01.00``,
``MX-V4.7.3.11``, ``15.2(6)E0a``) are not semver, so the ``generic`` and ``all`` schemes compare
with RPM's segment-wise rules (univers ``RpmVersion``: ``7.2.10`` after ``7.2.9``). Before
comparing, both sides are put in one canonical form (`canonical_version`): a version-word
prefix goes (``V``, ``R``, ``FW``, ``Version``, ``MX-V``, ``rev.``), trailing ``.0`` segments go
(``7.2.0`` = ``7.2``), and the qualifiers vendors append become ranked segments so that
``V14`` < ``V14 Update 3`` < ``V14 SP1`` < ``V14 SP1 Update 14`` < ``V14 SP2``
(build < hotfix/patch < update/CU < service pack < release "R"). VMware's "8.0U3" /
``7.0U3o`` (no space) is its own line numbering: ``8.0.3`` / ``7.0.3o``. Results are cached per
distinct string: the matcher asks the same questions many times.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from typing import Final

from univers.version_constraint import VersionConstraint, validate_comparators
from univers.version_range import RANGE_CLASS_BY_SCHEMES, RpmVersionRange, VersionRange
from univers.versions import RpmVersion

from certbot.nevra import Nevra as Nevra  # re-exported: callers import them from here
from certbot.nevra import parse_nevra as parse_nevra
from certbot.nevra import rpm_exact as rpm_exact


class _All:
    """Every version is affected."""

    def __repr__(self) -> str:
        return "ALL"

    def __str__(self) -> str:
        return "vers:generic/*"


ALL: Final = _All()
Range = VersionRange | _All


class VendorRange(RpmVersionRange):
    """A range read from a vendor's spelling: its bounds are in `canonical_version` form, so
    a version is canonicalised before the containment test (RPM ordering otherwise)."""


def _blind(pattern: str) -> re.Pattern[str]:
    """Vendors spell the same words in any case ("Prior to", "PRIOR TO", "FW14", "fw14")."""
    return re.compile(pattern, re.IGNORECASE)


_GENERIC_SCHEMES = {"generic", "all", "vendor", "firmware", ""}
_ALL_WORDS = {"*", "all", "any", "all versions", "alle versjoner", "every version", "all_versions"}
# Version-word prefixes: "MX-V4.7", "FW14", "firmware_05", "SW_4.1", "Version 2.2", "Ver.2.60",
# "rev. 6.4.7", Schneider's "SV3.51" (software version).
_PREFIX = _blind(
    r"^(?:mx-|fw[ _]*|firmware[ _]*|sw[ _]+|sv|software\s+|version\s+|ver\.\s*|rev\.\s*)?"
    r"(?:v\.?\s?|r)?(?=\d)",
)
_QUAL_RANK = (  # (pattern, rank token); alphabetical order of the tokens = release order
    (r"build", "qa"),
    (r"hotfix(?:rev)?|hf|security\s+patch|patch|p", "qb"),
    (r"update|upd\.?|cu|qu|ru|uc", "qc"),  # UC: Siemens PCS 7 "Update Collection"
    (r"service\s*pack|sp", "qd"),
    (r"r", "qe"),
)
_QUAL = "|".join(p for p, _ in _QUAL_RANK)
_VMWARE_UPDATE = _blind(r"^(\d+\.\d+)U(\d+[a-z]?)$")
_BODY = r"\d(?:\.\*|[0-9A-Za-z.\-_+~:()])*"  # ".*": a branch wildcard, "12.2.*"
_QNUM = r"\d+(?:\.\d+)*[a-z]?"
_TOKEN = rf"(?:mx-|fw[ _]*|firmware[ _]*|sw[ _]+|sv|ver\.\s*|rev\.\s*)?(?:v\.?\s?|r)?{_BODY}(?:\s*(?:{_QUAL})\s*{_QNUM})*"
_TOKEN_RE = _blind(rf"(?P<body>{_BODY})(?P<quals>(?:\s*(?:{_QUAL})\s*{_QNUM})*)")
_ONE_QUAL = _blind(rf"\s*({_QUAL})\s*({_QNUM})")
_ITEM = _blind(
    rf"(?P<sep>(?:\s*(?:\||,|;|\band\b|\bor\b))*)\s*(?P<op>>=|<=|=>|=<|!=|>|<|=)?\s*\(?(?P<v>{_TOKEN})\)?\s*",
)
_WILDCARD = _blind(r"^(\d+(?:\.\d+)*)(?:\.[x*])+$")  # "7.x", "12.2.*", "12.2.x.x"
_LEAD = _blind(
    r"^(?:all\s+(?:bios\s+|firmware\s+|software\s+)?versions?(?:\s+of)?|versions?|bios)\b\s*:?\s*",
)
_AFTER = _blind(
    r"^(?P<v>.+?)\s*(?:\band\s+(?:later|above|newer|higher|up)|\bor\s+(?:later|above|newer|higher)"
    r"|\+)$",
)
_UPTO = _blind(r"^(?P<v>.+?)\s+(?:and|or)\s+(?:prior|earlier|below|older|lower|before)$")
_BEFORE = _blind(r"^(?:prior\s+to|before|earlier\s+than|older\s+than)\s+(?P<v>.+)$")
_BETWEEN = _blind(
    r"^between\s+(?P<a>.+?)\s*\(\s*(?:including|inclusive|incl\.?)\s*\)\s+and\s+"
    r"(?P<b>.+?)\s*\(\s*(?P<x>excluding|exclusive|excl\.?|including|inclusive|incl\.?)\s*\)$",
)
_SPAN = _blind(r"^(?P<a>\S+)\s*(?:\s-\s*|\s*-\s|\s+(?:to|through|thru|til)\s+)(?P<b>\S+)$")
_SERIES = _blind(  # "< 6.6 (6.x series)", "V4.7: < V4.7 HF27": a bound on that branch only
    r"^(?:(?P<r>.+?)\s*\(\s*(?P<b>\d+(?:\.\d+)*)\.x\s+series\s*\)|(?P<b2>v?\d+(?:\.\d+)*):\s*(?P<r2>.+))$"
)
_ONLY_CVE = _blind(r"\s*\(\s*only affected by (?:CVE-\d{4}-\d+[\s,and]*)+\)$")


def normalise_version(version: str) -> str:
    """The version as people write it, tidied: 'V9.80' -> '9.80', ' 7.2.4 ' -> '7.2.4'."""
    v = " ".join(version.split())
    if len(v) > 1 and v[0] in "vV" and v[1].isdigit():
        v = v[1:]
    return v


@lru_cache(maxsize=65536)
def canonical_version(version: str) -> str | None:
    """The form both sides of a comparison are put in (see the module docstring), or None
    when the text is not one version ('latest', 'see advisory', '7.x')."""
    text = " ".join(version.split()).strip("()")
    text = _VMWARE_UPDATE.sub(r"\1.\2", text)  # VMware "8.0U3" is the 8.0.3 line
    m = _PREFIX.match(text)
    if m is None:
        return None
    text = text[m.end() :]
    t = _TOKEN_RE.fullmatch(text)
    if t is None or re.search(r"\.[x*]$|\*", t.group("body"), re.IGNORECASE):
        return None
    body = t.group("body")
    if re.fullmatch(r"\d+(?:\.\d+)*", body):
        body = re.sub(r"(?:\.0+)+$", "", body) or "0"
    ranks = {name: rank for name, rank in _QUAL_RANK}
    out = [body]
    for word, num in _ONE_QUAL.findall(t.group("quals")):
        key = next(p for p, _ in _QUAL_RANK if re.fullmatch(p, word, re.IGNORECASE))
        out.append(f"{ranks[key]}.{num.lower()}")
    return ".".join(out)


def _rpm(version: str) -> RpmVersion | None:
    canon = canonical_version(version)
    if canon is None:
        return None
    try:
        return RpmVersion(canon)
    except Exception:
        return None


def _wildcard(op: str, token: str) -> list[tuple[str, str]] | None:
    """'7.x' as a bound: '<= 7.x' -> '< 8', '7.x' -> '>= 7, < 8'."""
    m = _WILDCARD.match(_PREFIX.sub("", token.strip()))
    if m is None:
        return None
    base = m.group(1)
    parts = base.split(".")
    nxt = ".".join([*parts[:-1], str(int(parts[-1]) + 1)])
    return {
        "=": [(">=", base), ("<", nxt)],
        "<=": [("<", nxt)],
        "<": [("<", base)],
        ">=": [(">=", base)],
        ">": [(">=", nxt)],
    }.get(op)


def _scan(text: str) -> list[tuple[str, str]] | None:
    """'>= V2.3 and < V6.30' -> [('>=', 'V2.3'), ('<', 'V6.30')]; None if anything is left.

    Two items with no separator, a bare version then ``<``/``<=`` ("0 < 8.0.1",
    "V7.1 < V7.1 Upd3"), are the two ends of one range."""
    out: list[tuple[str, str]] = []
    seps: list[bool] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _ITEM.match(text, pos)
        if m is None or m.end() == pos:
            return None
        op = {"=>": ">=", "=<": "<="}.get(m.group("op") or "=", m.group("op") or "=")
        out.append((op, m.group("v").strip()))
        seps.append(bool(m.group("sep").strip()))
        pos = m.end()
    if len(out) == 2 and out[0][0] == "=" and out[1][0] in ("<", "<=") and not seps[1]:
        low, (op, high) = out[0][1], out[1]
        return [(op, high)] if canonical_version(low) == "0" else [(">=", low), (op, high)]
    return out or None


# One version in two constraints ("<= 4.03 | >= 4.03"): the upper bound first, so that the
# order, and whether the range validates, does not depend on set (hash) order.
_TIE = {"<": 0, "<=": 0, "=": 1, "!=": 1, ">": 2, ">=": 2}


def _branches(constraints: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """A list of branches and versions ("1.5.x | 1.6.x | 1.7.x", "6.0.X | 6.0.3.1 | 6.0.3.2")
    is their union: touching branches merge and a listed version inside a branch goes, so
    the constraints make a valid ``vers`` range. None when the list has no branch."""
    if len(constraints) < 2 or any(op != "=" for op, _ in constraints):
        return None
    spans: list[tuple[RpmVersion, str, RpmVersion | None, str]] = []  # low, high ("": one)
    for _, ver in constraints:
        wild = _wildcard("=", ver)
        lo, hi = (wild[0][1], wild[1][1]) if wild else (ver, "")
        rlo, rhi = _rpm(lo), (_rpm(hi) if hi else None)
        if rlo is None or (hi and rhi is None):
            return None
        spans.append((rlo, lo, rhi, hi))
    if not any(hi for *_, hi in spans):
        return None
    out: list[tuple[RpmVersion, str, RpmVersion | None, str]] = []
    for span in sorted(spans, key=lambda t: (t[0], t[2] is None)):
        top = out[-1][2] if out else None
        if top is not None and (span[0] < top or (span[2] is not None and span[0] == top)):
            if span[2] is not None and span[2] > top:  # inside, or touching: one interval
                out[-1] = (out[-1][0], out[-1][1], span[2], span[3])
            continue
        out.append(span)
    return [c for _, lo, _, hi in out for c in ([(">=", lo), ("<", hi)] if hi else [("=", lo)])]


def _build(constraints: list[tuple[str, str]], loose: bool = False) -> VersionRange | None:
    """Constraints in the vendor's spelling -> a validated ``vers:rpm`` range, or None. In
    ``loose`` text (not ``vers:``, where order carries no meaning) a lower bound followed by
    a smaller upper one is an empty interval, a typo: None, not the union of two rays."""
    constraints = _branches(constraints) or constraints
    pairs: list[tuple[str, str]] = []
    for op, ver in constraints:
        if (wild := _wildcard(op, ver)) is not None:
            pairs.extend(wild)
        else:
            pairs.append((op, ver))
    parsed: list[VersionConstraint] = []
    for op, ver in pairs:
        rpm = _rpm(ver)
        if rpm is None:
            return None
        parsed.append(VersionConstraint(comparator=op, version=rpm))
    if loose and any(
        a.comparator[0] == ">" and b.comparator[0] == "<" and a.version > b.version
        for a, b in pairwise(parsed)
    ):
        return None  # ">= 4.5.0 | =< 3.5.20304.x" (ICSA-21-021-05)
    try:
        parsed = sorted(set(parsed), key=lambda c: (c.version, _TIE[c.comparator]))
        validate_comparators(parsed)
        return VendorRange(constraints=tuple(parsed))
    except Exception:
        return None


def _on_branch(base: str, cons: list[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
    """Upper bounds on one branch ("< 6.6 (6.x series)", "V4.7: < V4.7 HF27"), each inside
    it ("< 7.2 (6.x series)" is not): from the branch's first version up to the bound."""
    wild = _wildcard("=", f"{base}.x")
    top = _rpm(wild[1][1]) if wild else None
    if not cons or top is None:
        return None
    for op, ver in cons:
        bound = _rpm(ver)
        if op not in ("<", "<=") or bound is None or bound > top or (op == "<=" and bound == top):
            return None
    return [(">=", base), *cons]


def _words(s: str) -> list[tuple[str, str]] | None:
    """The word forms -> constraints in the vendor's spelling (not yet checked)."""
    if m := _SERIES.match(s):
        return _on_branch(m.group("b") or m.group("b2"), _words(m.group("r") or m.group("r2")))
    if m := _BETWEEN.match(s):
        upper = "<" if m.group("x").lower().startswith("ex") else "<="
        return [(">=", m.group("a")), (upper, m.group("b"))]
    if m := _AFTER.match(s):
        return [(">=", m.group("v"))] if canonical_version(m.group("v")) else None
    if m := _UPTO.match(s):
        return [("<=", m.group("v"))] if canonical_version(m.group("v")) else None
    if m := _BEFORE.match(s):
        return [("<", m.group("v"))] if canonical_version(m.group("v")) else None
    if (
        (m := _SPAN.match(s))
        and canonical_version(m.group("a"))
        and canonical_version(m.group("b"))
    ):
        return [(">=", m.group("a")), ("<=", m.group("b"))]
    return _scan(s)


def _loose(s: str) -> Range | None:
    s = _ONLY_CVE.sub("", s)  # "(only affected by CVE-…)": product_status already says so
    lead = _LEAD.match(s)
    if lead is not None:
        rest = s[lead.end() :]
        if not rest:
            return ALL
        s = rest
    if s.lower() in _ALL_WORDS:
        return ALL
    cons = _words(s)
    return _build(cons, loose=True) if cons else None


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
        scheme = scheme.lower().strip()
        if body.strip() == "*":
            return ALL
        if scheme in _GENERIC_SCHEMES or scheme not in RANGE_CLASS_BY_SCHEMES:
            cons = _scan(body)
            return _build(cons) if cons else None
        try:
            return VersionRange.from_string(f"vers:{scheme}/{body}")
        except Exception:
            return None
    return _loose(s)


# A package version written without its epoch ("0.17-65.el7_6", as `rpm -q` prints it) is
# compared with the advisory's [epoch:]version-release without the epoch too: an omitted epoch
# means "the one the vendor ships", not epoch 0.
_EPOCH = re.compile(r"(?<=[/|<>=])\d+:")


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
        if isinstance(rng, VendorRange):
            ver = _rpm(version)
            return None if ver is None else bool(ver in rng)
        if version_class is RpmVersion and ":" not in version and _EPOCH.search(str(rng)):
            rng = VersionRange.from_string(_EPOCH.sub("", str(rng)))  # see _EPOCH
        return bool(version_class(normalise_version(version)) in rng)
    except Exception:
        return None


@lru_cache(maxsize=65536)
def same_version(a: str, b: str) -> bool:
    """Equal versions under the generic ordering ('7.2.4' == 'v7.2.4' == '7.2.4.0')."""
    if (":" in a) != (":" in b):
        a, b = _EPOCH.sub("", f"/{a}")[1:], _EPOCH.sub("", f"/{b}")[1:]
    ra, rb = _rpm(a), _rpm(b)
    if ra is not None and rb is not None:
        return bool(ra == rb)
    return normalise_version(a) == normalise_version(b)


def exact(version: str) -> str:
    """The range that holds exactly one version."""
    return f"vers:generic/{normalise_version(version)}"


def below(version: str) -> str:
    """The range of versions before a fixed version."""
    return f"vers:generic/<{normalise_version(version)}"
