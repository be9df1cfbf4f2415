"""CVE JSON 5 ``affected[].versions[]`` -> disjoint per-branch ``vers:`` ranges (pure).

The CVE schema's rule for a version V of one ``affected[]`` element: the FIRST entry that holds
V decides (a single ``version`` by equality; a range ``version <= V < lessThan`` or
``<= lessThanOrEqual``, refined by ``changes[]``), otherwise ``defaultStatus`` (default
"unknown"). `element_segments` turns an element's entries into `Segment`s that no longer
overlap (a later entry loses what an earlier one already holds), so every consumer may test
them in any order, as the matcher does. One CNA branch stays one segment, so the fixed version
of the branch a municipality runs can be found (`certbot.sources.cve_parse.fixed_for`).

How the odd real forms are read (fixtures/README "CVE JSON 5 records"):

- every ``versionType`` (semver, custom, patch, rpm, missing, "<=", "RC", "7.0U3o") is compared
  with certbot's generic ordering (`certbot.versions`, RPM segment rules), the only ordering
  that reads "9.1R18", "11.3.4_23", "7.0U3o" and "10.2.9-h1" sensibly;
- ``version`` "0", "*", "unspecified", "n/a" or "" at the start of a range means "from the
  first version"; ``lessThan`` "*" means no upper bound, "1.*" the whole 1.x branch;
- ``version == lessThan`` (Chrome, CVE-2025-6554/6558) would be an empty range; the records'
  own text says "prior to" that version, so it is read as ``v < lessThan``;
- ``version == lessThanOrEqual`` for an affected entry (Ivanti 9.1R18, Veeam 12.1.2) holds that
  version for certain; the CNAs mean "and earlier" but do not say it, so versions below it are
  "unknown" (possibly affected), never "affected" and never "not affected";
- versionType "patch" with a ``lessThan`` below ``version`` (NetScaler 14.1 / 43.56) is a build
  inside the release: the bound is ``14.1-43.56``;
- "5.x" in ``version`` is the whole 5 branch (``5 <= v < 6``);
- a range written inside ``version`` ("< 2.43.7", ">= 2.44.0-rc0, < 2.44.4") is read when it
  has an upper bound; a lone ">= X" (Atlassian's list of releases) is not;
- a pre-release lower bound ("2.44.0-rc0") is widened to its release (RPM order puts rc after);
- leading zeros ("15.02.0") and an RPM epoch ("0:8.7p1-38.el9_4.1") are dropped;
- an inverted range (Windows 6.0.0 lessThan 1.001) holds nothing and is skipped;
- version phrases ("5.6.9 and below"), "ESXi80U3-24022510", "2019 (14.0)" and a lone "7.0"
  beside ranges from release lines: see `certbot.sources.cve_forms`; other prose ("n/a",
  "Fixed Versions: v12 (build ...)") becomes a rangeless `Raw` entry ("possibly affected");
- no ``defaultStatus``, nothing unreadable or "unknown", some affected range (Microsoft,
  Google, git): versions above the lowest range end that no entry holds are unaffected (the
  CNA's bounds are its fixes); an explicit ``defaultStatus: unknown`` keeps them unknown;
- a range with one unreadable bound keeps the readable side with status "unknown" (not for
  "patch", whose bound means nothing without its release);
- an edition word in a version ("13.1-FIPS", "12.1-NDcPP") makes it unreadable: it names a
  product line, and RPM order would put it inside the plain release's builds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal

from univers.versions import RpmVersion

from certbot.sources import cve_forms
from certbot.versions import normalise_version, parse_range

Status = Literal["affected", "unaffected", "unknown"]
STATUSES: frozenset[str] = frozenset({"affected", "unaffected", "unknown"})
_START = {"0", "*", "unspecified", "n/a", "", "-"}
_ALL = {"all", "all versions", "*"}
_TOKEN = re.compile(r"^[0-9][0-9A-Za-z]*(?:[.\-_+~][0-9A-Za-z]+)*$")
_EDITION = re.compile(r"[.\-_+~][A-Za-z]{3,}(?=$|[.\-_+~])")  # "13.1-FIPS", "12.1-NDcPP"
_PRE = re.compile(r"[-.~]?(?:rc|alpha|beta|pre|dev)\d*$", re.IGNORECASE)
_CONSTRAINT = re.compile(r"(>=|<=|>|<|=)\s*v?([0-9][0-9A-Za-z.\-_+~:]*)")


@dataclass(frozen=True, slots=True)
class Segment:
    """An interval of versions with one status. ``lo``/``hi`` None: unbounded on that side."""

    lo: str | None
    lo_incl: bool
    hi: str | None
    hi_incl: bool
    status: Status
    note: str = ""  # how it was read, for the evidence ("changes", "prior to", ...)

    @property
    def exact(self) -> bool:
        return self.lo is not None and self.lo == self.hi and self.lo_incl and self.hi_incl

    def vers(self) -> str:
        """The ``vers:generic`` string certbot.versions.parse_range reads."""
        if self.exact:
            return f"vers:generic/{self.lo}"
        parts = []
        if self.lo is not None:
            parts.append((">=" if self.lo_incl else ">") + self.lo)
        if self.hi is not None:
            parts.append(("<=" if self.hi_incl else "<") + self.hi)
        return "vers:generic/" + ("|".join(parts) if parts else "*")

    def text(self) -> str:
        """'7.2.0 ≤ v ≤ 7.2.6', 'v < 7.4.4', 'v = 7.0', 'all versions'."""
        if self.exact:
            return f"v = {self.lo}"
        left = "" if self.lo is None else f"{self.lo} {'≤' if self.lo_incl else '<'} "
        right = "" if self.hi is None else f" {'≤' if self.hi_incl else '<'} {self.hi}"
        return f"{left}v{right}" if left or right else "all versions"


@dataclass(frozen=True, slots=True)
class Raw:
    """An entry that names versions in a form no range can be read from."""

    text: str
    status: Status


@lru_cache(maxsize=65536)
def _key(version: str) -> RpmVersion:
    return RpmVersion(version)


def compare(a: str, b: str) -> int:
    ka, kb = _key(a), _key(b)
    return -1 if ka < kb else (1 if kb < ka else 0)


def read_version(text: Any) -> str | None:
    """A single version token certbot can order, normalised; None for prose and junk."""
    if not isinstance(text, str):
        return None
    v = normalise_version(text)
    v = re.sub(r"^\d+:", "", v)  # RPM epoch
    if not _TOKEN.match(v) or len(v) > 80 or _EDITION.search(v):
        return None
    v = re.sub(r"(?<![0-9A-Za-z])0+(?=[0-9])", "", v)  # "15.02.0" -> "15.2.0"
    try:
        _key(v)
    except Exception:
        return None
    return v if parse_range(f"vers:generic/{v}") is not None else None


def _star_bound(text: str) -> tuple[bool, str | None] | None:
    """'*' -> (True, None); '1.*' -> (True, '2'); '1.2.*' -> (True, '1.3'); else None."""
    t = text.strip()
    if t == "*":
        return True, None
    m = re.fullmatch(r"((?:\d+\.)*)(\d+)\.\*", t)
    if not m:
        return None
    return True, f"{m.group(1)}{int(m.group(2)) + 1}"


def _lower(text: Any) -> tuple[bool, str | None]:
    """(readable, bound) for a range start."""
    if not isinstance(text, str) or text.strip().lower() in _START:
        return True, None
    v = read_version(text) or read_version(cve_forms.parenthesised(text) or "")
    if v is None:
        return False, None
    stripped = _PRE.sub("", v)
    if stripped != v and read_version(stripped):
        v = stripped
    return True, v


def _upper(text: str) -> tuple[bool, str | None]:
    star = _star_bound(text)
    if star is not None:
        return star
    v = read_version(text) or read_version(cve_forms.vmware_update(text) or "")
    return (v is not None), v


def _nonempty(s: Segment) -> bool:
    if s.lo is None or s.hi is None:
        return True
    c = compare(s.lo, s.hi)
    return c < 0 or (c == 0 and s.lo_incl and s.hi_incl)


def _intersect(a: Segment, lo: str | None, lo_incl: bool, hi: str | None, hi_incl: bool) -> Segment:
    new_lo, new_lo_incl = a.lo, a.lo_incl
    if lo is not None and (a.lo is None or compare(lo, a.lo) > 0):
        new_lo, new_lo_incl = lo, lo_incl
    elif lo is not None and a.lo is not None and compare(lo, a.lo) == 0:
        new_lo_incl = a.lo_incl and lo_incl
    new_hi, new_hi_incl = a.hi, a.hi_incl
    if hi is not None and (a.hi is None or compare(hi, a.hi) < 0):
        new_hi, new_hi_incl = hi, hi_incl
    elif hi is not None and a.hi is not None and compare(hi, a.hi) == 0:
        new_hi_incl = a.hi_incl and hi_incl
    return replace(a, lo=new_lo, lo_incl=new_lo_incl, hi=new_hi, hi_incl=new_hi_incl)


def subtract(a: Segment, b: Segment) -> list[Segment]:
    """The parts of ``a`` outside ``b`` (at most two)."""
    if not _nonempty(_intersect(a, b.lo, b.lo_incl, b.hi, b.hi_incl)):
        return [a]
    out = []
    if b.lo is not None:
        out.append(_intersect(a, None, False, b.lo, not b.lo_incl))
    if b.hi is not None:
        out.append(_intersect(a, b.hi, not b.hi_incl, None, False))
    return [s for s in out if _nonempty(s)]


def _status(value: Any) -> Status | None:
    s = str(value).strip().lower() if isinstance(value, str) else ""
    return s if s in STATUSES else None  # type: ignore[return-value]


def _changes(seg: Segment, changes: Any) -> list[Segment] | None:
    """Split a range at its ``changes[].at`` versions; None if one cannot be read."""
    points: list[tuple[str, Status]] = []
    for ch in changes if isinstance(changes, list) else []:
        at = read_version(ch.get("at")) if isinstance(ch, dict) else None
        st = _status(ch.get("status")) if isinstance(ch, dict) else None
        if at is None or st is None:
            return None
        points.append((at, st))
    points.sort(key=lambda p: _key(p[0]))
    out, cur = [], seg
    for at, st in points:
        before = _intersect(cur, None, False, at, False)
        if _nonempty(before):
            out.append(before)
        cur = replace(_intersect(cur, at, True, None, False), status=st, note="changes")
    out.append(cur)
    return [s for s in out if _nonempty(s)]


def _range_text(text: str, status: Status) -> Segment | None:
    """'< 2.43.7', '>= 2.44.0-rc0, < 2.44.4', '<= 1.2': a range written inside ``version``."""
    cons = _CONSTRAINT.findall(text)
    rest = _CONSTRAINT.sub("", text).replace(",", "").strip()
    if not cons or rest or len(cons) > 2:
        return None
    lo = hi = None
    lo_incl = hi_incl = False
    for op, raw in cons:
        ok, v = (_lower(raw) if op.startswith(">") else _upper(raw)) if op != "=" else (False, None)
        if not ok or v is None:
            return None
        if op.startswith(">") and lo is None:
            lo, lo_incl = v, op == ">="
        elif op.startswith("<") and hi is None:
            hi, hi_incl = v, op == "<="
        else:
            return None
    if hi is None:
        return None  # a lone ">= X" is a list of releases in real records, not a range
    return Segment(lo, lo_incl, hi, hi_incl, status, "written in version")


def _single(entry: dict[str, Any], status: Status, lines: bool) -> list[Segment] | Raw:
    text = entry.get("version")
    if not isinstance(text, str):
        return Raw("(no version)", status)
    if text.strip().lower() in _ALL:
        return [Segment(None, False, None, False, status)]
    branch = re.fullmatch(r"\s*v?((?:\d+\.)*\d+)\.[xX*]\s*", text)
    if branch:  # "5.x": the whole 5 branch
        top = _star_bound(branch.group(1) + ".*")
        return [Segment(branch.group(1), True, top[1] if top else None, False, status, "branch")]
    if any(c in text for c in "<>="):
        seg = _range_text(text, status)
        return [seg] if seg else Raw(text.strip(), status)
    v = read_version(text)
    if v and lines and cve_forms.is_line(text):  # "7.0" beside "8.0" lessThan …: the 7.0 line
        return [Segment(v, True, cve_forms.next_line(v), False, status, cve_forms.LINE_NOTE)]
    if v is None and (cons := cve_forms.phrase(text)) and (seg := _range_text(cons, status)):
        return [replace(seg, note=cve_forms.PHRASE_NOTE)]
    return [Segment(v, True, v, True, status)] if v else Raw(text.strip(), status)


def _relative_build(lo: str, hi: str) -> bool:
    """NetScaler's patch ranges: release '14.1', bound '43.56' (a build of 14.1, not 43.x)."""
    first = re.split(r"[.\-_]", lo)[0]
    return re.split(r"[.\-_]", hi)[0] != first and read_version(f"{lo}-{hi}") is not None


def _bounded(entry: dict[str, Any], status: Status, vtype: str) -> list[Segment] | Raw:
    incl = "lessThan" not in entry
    hi_raw = entry.get("lessThan") if not incl else entry.get("lessThanOrEqual")
    lo_ok, lo = _lower(entry.get("version"))
    hi_ok, hi = _upper(hi_raw) if isinstance(hi_raw, str) else (False, None)
    if hi_ok and hi is None:
        incl = False
    if lo_ok and hi_ok and lo is not None and hi is not None:
        if vtype == "patch" and _relative_build(lo, hi):
            hi = f"{lo}-{hi}"  # NetScaler: build 43.56 of release 14.1
        c = compare(hi, lo)
        if c < 0:
            return []  # an inverted range holds no version
        elif c == 0 and not incl:
            return [Segment(None, False, hi, False, status, "prior to")]
        elif c == 0 and status == "affected":
            return [
                Segment(lo, True, lo, True, status),
                Segment(None, False, lo, False, "unknown", "below a one-version range"),
            ]
    if (not lo_ok and not hi_ok) or (not lo_ok and vtype == "patch"):
        # a patch bound is a build of the release in `version`: nothing without the release
        return Raw(f"{entry.get('version')} .. {hi_raw}", status)
    if not lo_ok or not hi_ok:  # keep the readable side, say nothing certain
        return [Segment(lo, True, hi, incl, "unknown", "one bound unreadable")]
    seg = Segment(lo, lo is not None, hi, incl, status)
    if entry.get("changes"):
        split = _changes(seg, entry["changes"])
        return split if split is not None else [replace(seg, status="unknown", note="changes")]
    return [seg]


def entry_segments(entry: Any, lines: bool = False) -> list[Segment] | Raw | None:
    """One ``versions[]`` entry -> its segments, a `Raw` entry, or None (not an entry).
    ``lines``: the element starts its ranges at release lines (`cve_forms.release_lines`)."""
    if not isinstance(entry, dict):
        return None
    status = _status(entry.get("status"))
    if status is None:
        return None
    vtype = str(entry.get("versionType") or "").strip().lower()
    if isinstance(entry.get("lessThan"), str) or isinstance(entry.get("lessThanOrEqual"), str):
        return _bounded(entry, status, vtype)
    return _single(entry, status, lines)


@dataclass(frozen=True, slots=True)
class Element:
    """One ``affected[]`` element, read: disjoint segments, prose entries, default status."""

    segments: tuple[Segment, ...]
    raw: tuple[Raw, ...]
    default: Status


def element_segments(versions: Iterable[Any], default: Any) -> Element:
    """Entries in the CNA's order -> disjoint segments (first entry wins, as the schema says)."""
    kept: list[Segment] = []
    raw: list[Raw] = []
    versions = list(versions)
    lines = cve_forms.release_lines(versions)
    uppers: list[Segment] = []  # the upper end of each affected range entry
    unknown = False
    for entry in versions:
        got = entry_segments(entry, lines)
        if got is None:
            continue
        if isinstance(got, Raw):
            raw.append(got)
            continue
        unknown = unknown or _says_unknown(entry) or any(g.status == "unknown" for g in got)
        tops = [g for g in got if g.hi is not None]
        top = max(tops, key=lambda g: _key(g.hi or "0"), default=None)
        if (
            top
            and len(tops) == len(got)
            and not top.exact
            and _status(entry.get("status")) == "affected"
        ):
            uppers.append(top)  # an entry open above (lessThan "*") has no upper end
        for seg in got:
            pieces = [seg]
            for old in kept:
                pieces = [p for piece in pieces for p in subtract(piece, old)]
            kept.extend(pieces)
    if default is None and not raw and not unknown and uppers:
        kept.extend(_above(kept, uppers))
    return Element(tuple(kept), tuple(raw), _status(default) or "unknown")


def _says_unknown(entry: dict[str, Any]) -> bool:
    """The CNA marks the entry, or a change inside its range, "unknown" (even one a later change
    at the same version overrides): then the record's open end stays unknown."""
    upper = entry.get("lessThan") or entry.get("lessThanOrEqual")
    if _status(entry.get("status")) == "unknown" or upper is None:
        return _status(entry.get("status")) == "unknown"
    hi, changes = read_version(upper), entry.get("changes")
    for ch in changes if isinstance(changes, list) else []:
        if isinstance(ch, dict) and _status(ch.get("status")) == "unknown":
            at = read_version(ch.get("at"))
            c = compare(at, hi) if at and hi else -1
            if c < 0 or (c == 0 and "lessThan" not in entry):
                return True
    return False


def _above(kept: list[Segment], uppers: list[Segment]) -> list[Segment]:
    """No defaultStatus: the versions above the lowest upper bound of an affected range entry
    that no entry holds are unaffected (the CNA's bounds are its fixes). Only where some entry
    is a range (a list of single versions says nothing about the versions between them)."""
    low = min(uppers, key=lambda s: (_key(s.hi or ""), s.hi_incl))
    pieces = [Segment(low.hi, not low.hi_incl, None, False, "unaffected", cve_forms.ABOVE_NOTE)]
    for old in kept:
        pieces = [p for piece in pieces for p in subtract(piece, old)]
    return pieces
