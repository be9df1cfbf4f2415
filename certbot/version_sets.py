"""A declared version *range* against an advisory's range: inside, outside, or unknown (pure).

An inventory item may declare ``versions: "vers:generic/>=124.0.0|<127.0.0"`` instead of one
version (a fleet of desktops on several builds). ``relation(declared, advisory)`` says:

- True: every version of the declared range is inside one interval of the advisory's range
  (Chrome 124–127 against "before 138.0.7204.96": all of them are affected);
- False: no version of it is (the ranges do not meet);
- None: they overlap in part, or either side cannot be read (the item stays "possibly
  affected", as before).

Both sides are read by `certbot.versions.parse_range`, so they compare under the same
ordering as a single version does. A vers range is a sorted list of constraints; `intervals`
turns it into its disjoint intervals (vers semantics: ``>=``/``>`` opens one, ``<``/``<=``
closes it, ``=`` is a point, a leading ``<`` is open below). ``!=`` is not read (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from univers.version_range import VersionRange

from certbot.versions import ALL, parse_range


@dataclass(frozen=True, slots=True)
class Bound:
    version: Any  # a univers Version; None = unbounded
    inclusive: bool


@dataclass(frozen=True, slots=True)
class Interval:
    lo: Bound
    hi: Bound


_OPEN = Bound(None, False)


def intervals(rng: VersionRange) -> list[Interval] | None:
    """The disjoint intervals of a univers range, in order; None for a form not read."""
    out: list[Interval] = []
    lo: Bound | None = None
    for c in rng.constraints:
        op, v = c.comparator, c.version
        if op == "=":
            out.append(Interval(Bound(v, True), Bound(v, True)))
        elif op in (">", ">="):
            lo = Bound(v, op == ">=")
        elif op in ("<", "<="):
            out.append(Interval(lo or _OPEN, Bound(v, op == "<=")))
            lo = None
        else:  # "!=" or a comparator this reader does not know
            return None
    if lo is not None:
        out.append(Interval(lo, _OPEN))
    return out


def _within(a: Bound, b: Bound, *, lower: bool) -> bool:
    """Bound ``a`` is inside bound ``b``: at or above it for lower bounds, at or below it for
    upper bounds (an unbounded ``b`` holds everything, an unbounded ``a`` only that)."""
    if b.version is None:
        return True
    if a.version is None:
        return False
    beyond = a.version > b.version if lower else a.version < b.version
    return bool(beyond or (a.version == b.version and (b.inclusive or not a.inclusive)))


def _below(hi: Bound, lo: Bound) -> bool:
    """Every version up to ``hi`` is below every version from ``lo`` (they do not meet)."""
    if hi.version is None or lo.version is None:
        return False
    return bool(
        hi.version < lo.version
        or (hi.version == lo.version and not (hi.inclusive and lo.inclusive))
    )


def _inside(d: Interval, i: Interval) -> bool:
    return _within(d.lo, i.lo, lower=True) and _within(d.hi, i.hi, lower=False)


def _apart(d: Interval, i: Interval) -> bool:
    return _below(d.hi, i.lo) or _below(i.hi, d.lo)


@lru_cache(maxsize=16384)
def relation(declared: str, advisory: str) -> bool | None:
    """True: the declared range lies inside the advisory's range; False: the two do not meet;
    None: partly, or not readable (see the module docstring)."""
    d_rng, a_rng = parse_range(declared), parse_range(advisory)
    if d_rng is None or a_rng is None or d_rng is ALL:
        return None
    if a_rng is ALL:
        return True
    assert isinstance(d_rng, VersionRange) and isinstance(a_rng, VersionRange)
    if d_rng.version_class is not a_rng.version_class:
        return None
    ds, rs = intervals(d_rng), intervals(a_rng)
    if ds is None or rs is None or len(ds) != 1 or not rs:
        return None
    (d,) = ds
    if any(_inside(d, i) for i in rs):
        return True
    if all(_apart(d, i) for i in rs):
        return False
    return None
