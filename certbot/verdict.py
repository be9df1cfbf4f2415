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
