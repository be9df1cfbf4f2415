"""The odd version strings real CVE records write, read into versions or bounds (pure).

Used by `certbot.sources.cve_versions` and `certbot.sources.cve_parse`. Every reader returns
None when its form is not there, so a string no reader knows stays unreadable (a rangeless
entry: "possibly affected"), never a wrong range.

- ``phrase(text)``: a ``version`` written as a version phrase ("5.6.9 and below", "6.0.5 and
  earlier", "prior to 7.4.4", "7.2.0 through 7.2.6"; Fortinet's CVE-2019-6693) -> ">=A, <=B",
  read with the prose reader's own forms (`certbot.prose.phrase_constraints`);
- ``vmware_update(text)``: VMware's bound "ESXi80U3-24022510" (CVE-2024-37085) -> "8.0.3":
  ESXi 8.0 Update 3 is the 8.0.3 line and that build its first release, so "lessThan
  ESXi80U3-…" means "before 8.0.3";
- ``parenthesised(text)``: "2019 (14.0)" (Trend Micro Apex One, CVE-2025-54948) -> "14.0",
  the version in brackets after a release's marketing name;
- ``release_lines(versions)``: whether the element starts its ranges at release lines
  ("version": "8.0", "lessThan": …): a lone "7.0" beside them then names the 7.0 line
  (VMware: 7.0 is affected, no fix planned), not the single version 7.0;
- ``next_line(version)``: "7.0" -> "7.1", the end of a release line;
- ``update_builds(vendor, product)``: a product named with its cumulative update and no
  version ("Microsoft Exchange Server 2016 Cumulative Update 23", version "N/A";
  CVE-2024-21410) -> the bounds of that update's builds (15.1.2507 ≤ v < 15.1.2508), from the
  catalogue's build table.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from certbot import identity, prose

# How each form was read, as the evidence says it ("...; read as a version phrase").
PHRASE_NOTE = "a version phrase"
LINE_NOTE = "a release line"
BUILDS_NOTE = "the builds of the update in the product name"
ABOVE_NOTE = "above the record's ranges (no defaultStatus)"
NOTES = (PHRASE_NOTE, LINE_NOTE, BUILDS_NOTE, ABOVE_NOTE)

_VMWARE = re.compile(r"(?i)^\s*esxi(\d)(\d)u(\d+)([a-z]?)(?:-\d+)?\s*$")
_BRACKETED = re.compile(r"^\s*[A-Za-z0-9 ]{0,40}\(\s*v?(\d+(?:\.\d+)+)\s*\)\s*$")
_LINE = re.compile(r"^\s*v?\d+\.\d+\s*$")


class Bounds(NamedTuple):
    lo: str | None
    lo_incl: bool
    hi: str | None
    hi_incl: bool


def phrase(text: str) -> str | None:
    """A ``version`` written as a version phrase -> its constraints as the CVE records' own
    range text ("5.6.9 and below" -> "<=5.6.9"), else None."""
    cons = prose.phrase_constraints(text)
    return ", ".join(cons) if cons else None


def vmware_update(text: str) -> str | None:
    m = _VMWARE.match(text)
    if m is None:
        return None
    major, minor, update, letter = m.groups()
    return f"{major}.{minor}.{update}{letter.lower()}"


def parenthesised(text: str) -> str | None:
    m = _BRACKETED.match(text)
    return m.group(1) if m else None


def release_lines(versions: list[object]) -> bool:
    """Does some range in the element start at a bare release line ("8.0" lessThan …)?"""
    for e in versions:
        if isinstance(e, dict) and ("lessThan" in e or "lessThanOrEqual" in e):
            v = e.get("version")
            if isinstance(v, str) and _LINE.match(v):
                return True
    return False


def is_line(text: object) -> bool:
    return isinstance(text, str) and _LINE.match(text) is not None


def next_line(version: str) -> str:
    major, minor = version.strip().lstrip("v").split(".")
    return f"{major}.{int(minor) + 1}"


def update_builds(vendor: str, product: str) -> Bounds | None:
    """The builds of the cumulative update a product name carries, where the catalogue knows."""
    build = identity.build_number(vendor, product)
    if not build or not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", build):
        return None
    a, b, c, _ = build.split(".")
    return Bounds(f"{a}.{b}.{c}", True, f"{a}.{b}.{int(c) + 1}", False)
