"""The version verdict of one (inventory item, advisory product) pair, and its evidence.

Pure; used by `certbot.match`. Contract:

- ``product_range(p)``: the product's range as a vers string (its ``versions``, else the
  version in its CPE or PURL), or None when the source gives no version.
- ``version_verdict(item, p)``: (True inside / False outside / None unknown, detail). An
  item that declares a range instead of a version is inside when all of its range is
  (`certbot.version_sets.relation`), outside when none of it is.
- ``excluded(item, negatives)``: the fixed / not_affected entry that lists the item's declared
  version, or None.
- ``source_kind(adv, kinds)``: the kind of source an advisory came from ("cve", "csaf", ...):
  the feed's kind where known, else "cve" for a parsed CVE record, else the feed id.
- ``decided_by(kind, p)``: the evidence a verdict names: a CVE record's own wording
  ("CVE record (Fortinet): 7.2.0 ≤ v ≤ 7.2.6"), else "<source> (<vendor> <product>): <range>".
- ``closest(candidates, version)``: of several ranges that exclude a version, the one on the
  version's branch (most leading components shared), for "not affected" evidence; on a tie a
  CVE record's default entry (what it says of the versions it does not list).

- ``mixed(products)``: does a CVE record's default "unknown" entry meet another source's
  version statements in this case (only then are exclusions collected for `settle_unknowns`)?
- ``settle_unknowns(best, nots, cves)``: in a case of one CVE, an item whose best match is
  a CVE record's bare default "unknown" (its ``defaultStatus`` for the versions it does not
  list) and that ANOTHER source states precisely (an entry listing the version as fixed / not
  affected, or a range the version is at or past the end of: NVD ``versionEndExcluding``
  7.13 for WinRAR 7.13) is not affected: the precise statement wins over the less specific
  one. The record's own ranges never settle its own "unknown" (it says what lies past them
  is unknown), prose never does here, and a version below a range's start or missing from a
  list of exact versions is not a precise statement: those stay "possibly affected". NVD's
  entries reach the matcher as source "nvd" (`certbot.model.Case.products`).

Order of sources (DOMAIN.md "Matching"): a structured source (CSAF, CVE record, STIX) with a
range decides; prose decides only where no structured range exists; nothing else decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from certbot.config import InventoryItem
from certbot.identity.keys import cpe_parts, declared_from_name, purl_key
from certbot.model import Advisory, AffectedProduct, Match
from certbot.version_sets import relation
from certbot.versions import parse_range, same_version, version_in

#: A "not affected" finding: the match it would have been, the entry that excluded it (None
#: for a prose sentence), and the item.
Exclusion = tuple[Match, AffectedProduct | None, InventoryItem]
LABEL = {"cve": "CVE record", "csaf": "CSAF", "stix": "STIX", "taxii": "STIX", "nvd": "NVD"}
_LOWER = re.compile(r">=?\s*([0-9][^|,\s]*)")


def product_range(p: AffectedProduct) -> str | None:
    if p.versions:
        return p.versions
    if p.cpe and (parts := cpe_parts(p.cpe)) and parts[2] not in ("*", "-", ""):
        return f"vers:generic/{parts[2]}"
    if p.purl and (pk := purl_key(p.purl)) and pk[1]:
        return f"vers:generic/{pk[1]}"
    return None


def declared_version(item: InventoryItem) -> tuple[str | None, str]:
    """The item's version (declared, implied by its name, or from its CPE/PURL) and a note."""
    implied = declared_from_name(item.vendor, item.product, item.version)
    if implied is not None:
        return implied[0], f" ({implied[1]})"
    if item.version is not None:
        return item.version, ""
    if item.cpe and (parts := cpe_parts(item.cpe)) and parts[2] not in ("*", "-"):
        return parts[2], ""
    if item.purl and (pk := purl_key(item.purl)) and pk[1]:
        return pk[1], ""
    return None, ""


def version_verdict(item: InventoryItem, p: AffectedProduct) -> tuple[bool | None, str]:
    """True: inside the range; False: outside; None: unknown on one side."""
    rng = product_range(p)
    declared, how = declared_version(item)
    if rng is None or parse_range(rng) is None:
        return None, "version unknown in the advisory"
    if declared is None:
        if item.versions:
            rel = relation(item.versions, rng)
            if rel is None:
                return None, f"declared range {item.versions} vs {rng}"
            return rel, f"declared range {item.versions} {'inside' if rel else 'outside'} {rng}"
        return None, "no version declared"
    inside = version_in(declared, rng)
    if inside is None:
        return None, f"version {declared}{how} could not be compared with {rng}"
    return inside, f"{declared}{how} {'in' if inside else 'not in'} {rng}"


def excluded(item: InventoryItem, negatives: Iterable[AffectedProduct]) -> AffectedProduct | None:
    """The entry that lists the declared version as fixed or not affected, if any."""
    if not item.version:
        return None
    for p in negatives:
        if p.status not in ("fixed", "not_affected"):
            continue
        rng = product_range(p)
        if rng and (version_in(item.version, rng) is True):
            return p
        if p.fixed_version and same_version(item.version, p.fixed_version):
            return p
    return None


def source_kind(adv: Advisory, kinds: Mapping[str, str] | None) -> str:
    if kinds and adv.source in kinds:
        return kinds[adv.source]
    if adv.structured and "cna" in adv.extra and "state" in adv.extra:
        return "cve"
    return adv.source


def decided_by(kind: str, p: AffectedProduct) -> str:
    if kind == "cve" and p.evidence:
        return p.evidence
    label = LABEL.get(kind, kind)
    what = p.versions or product_range(p) or p.status
    return f"{label} ({p.vendor} {p.product}): {what}"


def _shared(version: str | None, p: AffectedProduct | None) -> int:
    if not version or p is None:
        return 0
    marks = [p.fixed_version or ""]
    marks += _LOWER.findall(p.versions or "")
    ours = re.split(r"[.\-_]", version)
    best = 0
    for mark in marks:
        n = 0
        for a, b in zip(ours, re.split(r"[.\-_]", mark), strict=False):
            if a != b:
                break
            n += 1
        best = max(best, n)
    return best


def closest(candidates: list[Exclusion]) -> Match:
    """The exclusion on the declared version's branch (the first on a tie)."""
    if len(candidates) == 1:
        return candidates[0][0]
    # on a tie, the record's own reading of what it does not list says most
    return max(
        candidates,
        key=lambda c: (
            _shared(declared_version(c[2])[0], c[1]),
            bool(c[1] and c[1].entry.endswith(".defaultStatus")),
        ),
    )[0]


def _default_unknown(p: AffectedProduct) -> bool:
    return (
        p.versions is None
        and p.status == "under_investigation"
        and p.entry.endswith(".defaultStatus")
    )


def mixed(products: Iterable[tuple[Advisory, AffectedProduct]]) -> bool:
    unknown: set[str] = set()
    stated: set[str] = set()
    for adv, p in products:
        if _default_unknown(p):
            unknown.add(adv.source)
        elif p.versions is not None or p.status in ("fixed", "not_affected"):
            stated.add(adv.source)
    return bool(unknown) and bool(stated - unknown)


def past_the_end(version: str, p: AffectedProduct) -> bool:
    """Is ``version`` at or past every upper bound of the entry's range (none: False)?"""
    scheme, _, body = (p.versions or "").partition("/")
    uppers = [c for c in body.split("|") if c.startswith("<")]
    if not scheme.startswith("vers:") or not uppers:
        return False
    for c in uppers:
        above = f">{c[2:]}" if c.startswith("<=") else f">={c[1:]}"
        if version_in(version, f"{scheme}/{above}") is not True:
            return False
    return True


def settle_unknowns(
    best: dict[tuple[str, int], Match],
    nots: dict[tuple[str, int], list[Exclusion]],
    cves: tuple[str, ...],
) -> None:
    """Drop the default-"unknown" matches another source states precisely (module docstring);
    their exclusion list becomes that statement alone, the evidence `closest` then names. Only
    in a case of one CVE: another CVE's bound says nothing about this CVE's unknown."""
    if len(cves) > 1:
        return
    for key in [k for k, m in best.items() if k in nots and m.entry.endswith(".defaultStatus")]:
        m = best[key]
        if m.rule != "product_no_version":
            continue
        for gone, p, item in nots[key]:
            if gone.source == m.source or p is None:
                continue
            version = declared_version(item)[0]
            if version and (p.status in ("fixed", "not_affected") or past_the_end(version, p)):
                del best[key]
                nots[key] = [(gone, p, item)]
                break
