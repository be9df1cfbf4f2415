"""What a parsed CVE record's products say about one version (pure; tests and bench use it).

Contract:

- ``verdict(products, version)``: "affected" if any ``affected[]`` element's products say so,
  else "unknown" if any cannot tell, else "not_affected" (the CVE schema's algorithm over the
  products `certbot.sources.cve_parse.parse_record` made, with the matcher's own containment
  check `certbot.versions.version_in`);
- ``fixed_for(products, declared_version)``: the fixed version of the branch that holds the
  declared version, or None.

Re-exported by `certbot.sources.cve_parse`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from certbot.model import AffectedProduct
from certbot.versions import parse_range, version_in

Verdict = Literal["affected", "not_affected", "unknown"]


def _group(entry: str) -> str:
    return entry.rsplit(".", 1)[0]


def _element_verdict(products: list[AffectedProduct], version: str) -> Verdict:
    ranged = [p for p in products if p.versions and not p.entry.endswith(".defaultStatus")]
    for p in ranged:
        inside = version_in(version, p.versions or "")
        if inside is None:
            return "unknown"
        if inside:
            return {
                "affected": "affected",
                "not_affected": "not_affected",
                "fixed": "not_affected",
            }.get(p.status, "unknown")  # type: ignore[return-value]
    default = next((p for p in products if p.entry.endswith(".defaultStatus")), None)
    raw = [p for p in products if p.versions is None and not p.entry.endswith(".defaultStatus")]
    if (
        default is not None
        and default.status == "affected"
        and parse_range(default.versions) is not None
    ):
        return "affected" if all(r.status == "affected" for r in raw) else "unknown"
    if default is not None and not raw and default.status != "affected" and default.versions:
        # no defaultStatus: below the record's ranges unknown, above them not affected
        return "unknown" if version_in(version, default.versions) else "not_affected"
    if default is not None or raw:
        return "unknown"
    return "not_affected"


def verdict(products: Iterable[AffectedProduct], version: str) -> Verdict:
    """What the record's entries for one product say about ``version``: "affected" if any
    ``affected[]`` element says so, else "unknown" if any cannot tell, else "not_affected".
    Containment is `certbot.versions.version_in`, the matcher's own check."""
    groups: dict[str, list[AffectedProduct]] = {}
    for p in products:
        groups.setdefault(_group(p.entry), []).append(p)
    if not groups:
        return "unknown"
    found = {_element_verdict(g, version) for g in groups.values()}
    return (
        "affected" if "affected" in found else "unknown" if "unknown" in found else "not_affected"
    )


def fixed_for(products: Iterable[AffectedProduct], declared_version: str) -> str | None:
    """The fixed version of the branch that holds ``declared_version`` (7.2.4 -> 7.2.7 for
    CVE-2024-21762's FortiOS), or None when the record does not give one."""
    for p in products:
        if (
            p.status == "affected"
            and p.versions
            and p.fixed_version
            and not p.entry.endswith(".defaultStatus")
        ):
            if version_in(declared_version, p.versions):
                return p.fixed_version
    return None
