"""SSVC deployer decision: the CERT/CC table and the decision points certbot reads.

Contract: pure functions of a case, the matched inventory items and the priority settings.
``DEPLOYER_TABLE`` is the whole tree, one row per combination of the four decision points, in
CERT/CC's order; nothing else in certbot encodes an outcome. Provenance: CERTCC/SSVC
``data/csv/ssvc/deployer_patch_application_priority_1_0_0.csv`` @ c5be80f1 ("Deployer Patch
Application Priority" 1.0.0; Exploitation 1.1.0, System Exposure 1.0.1, Automatable 2.0.0,
Human Impact 2.0.2); the value "public poc" is spelled "poc" here. A test compares the table
with a byte-for-byte copy of that file and with an independent hand-written list.

Each decision point comes back as a `Point` (value and the source it was read from), so
`explain` can print the path. Outcomes map to priorities: immediate P1, out-of-cycle P2,
scheduled P3, defer P4.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from certbot.config import InventoryItem
from certbot.model import Advisory, Case, Priority

EXPLOITATION: Final = ("none", "poc", "active")
EXPOSURE: Final = ("small", "controlled", "open")
AUTOMATABLE: Final = ("no", "yes")
HUMAN_IMPACT: Final = ("low", "medium", "high", "very high")
OUTCOMES: Final = ("defer", "scheduled", "out-of-cycle", "immediate")

# (exploitation, exposure, automatable, human impact, outcome)
DEPLOYER_TABLE: Final[tuple[tuple[str, str, str, str, str], ...]] = (
    ("none", "small", "no", "low", "defer"),
    ("none", "small", "no", "medium", "defer"),
    ("none", "small", "no", "high", "scheduled"),
    ("none", "small", "no", "very high", "scheduled"),
    ("none", "small", "yes", "low", "defer"),
    ("none", "small", "yes", "medium", "scheduled"),
    ("none", "small", "yes", "high", "scheduled"),
    ("none", "small", "yes", "very high", "scheduled"),
    ("none", "controlled", "no", "low", "defer"),
    ("none", "controlled", "no", "medium", "scheduled"),
    ("none", "controlled", "no", "high", "scheduled"),
    ("none", "controlled", "no", "very high", "scheduled"),
    ("none", "controlled", "yes", "low", "scheduled"),
    ("none", "controlled", "yes", "medium", "scheduled"),
    ("none", "controlled", "yes", "high", "scheduled"),
    ("none", "controlled", "yes", "very high", "scheduled"),
    ("none", "open", "no", "low", "defer"),
    ("none", "open", "no", "medium", "scheduled"),
    ("none", "open", "no", "high", "scheduled"),
    ("none", "open", "no", "very high", "scheduled"),
    ("none", "open", "yes", "low", "scheduled"),
    ("none", "open", "yes", "medium", "scheduled"),
    ("none", "open", "yes", "high", "scheduled"),
    ("none", "open", "yes", "very high", "out-of-cycle"),
    ("poc", "small", "no", "low", "defer"),
    ("poc", "small", "no", "medium", "scheduled"),
    ("poc", "small", "no", "high", "scheduled"),
    ("poc", "small", "no", "very high", "scheduled"),
    ("poc", "small", "yes", "low", "scheduled"),
    ("poc", "small", "yes", "medium", "scheduled"),
    ("poc", "small", "yes", "high", "scheduled"),
    ("poc", "small", "yes", "very high", "scheduled"),
    ("poc", "controlled", "no", "low", "defer"),
    ("poc", "controlled", "no", "medium", "scheduled"),
    ("poc", "controlled", "no", "high", "scheduled"),
    ("poc", "controlled", "no", "very high", "scheduled"),
    ("poc", "controlled", "yes", "low", "scheduled"),
    ("poc", "controlled", "yes", "medium", "scheduled"),
    ("poc", "controlled", "yes", "high", "scheduled"),
    ("poc", "controlled", "yes", "very high", "out-of-cycle"),
    ("poc", "open", "no", "low", "scheduled"),
    ("poc", "open", "no", "medium", "scheduled"),
    ("poc", "open", "no", "high", "scheduled"),
    ("poc", "open", "no", "very high", "out-of-cycle"),
    ("poc", "open", "yes", "low", "scheduled"),
    ("poc", "open", "yes", "medium", "scheduled"),
    ("poc", "open", "yes", "high", "out-of-cycle"),
    ("poc", "open", "yes", "very high", "out-of-cycle"),
    ("active", "small", "no", "low", "scheduled"),
    ("active", "small", "no", "medium", "scheduled"),
    ("active", "small", "no", "high", "out-of-cycle"),
    ("active", "small", "no", "very high", "out-of-cycle"),
    ("active", "small", "yes", "low", "scheduled"),
    ("active", "small", "yes", "medium", "out-of-cycle"),
    ("active", "small", "yes", "high", "out-of-cycle"),
    ("active", "small", "yes", "very high", "out-of-cycle"),
    ("active", "controlled", "no", "low", "scheduled"),
    ("active", "controlled", "no", "medium", "scheduled"),
    ("active", "controlled", "no", "high", "out-of-cycle"),
    ("active", "controlled", "no", "very high", "out-of-cycle"),
    ("active", "controlled", "yes", "low", "out-of-cycle"),
    ("active", "controlled", "yes", "medium", "out-of-cycle"),
    ("active", "controlled", "yes", "high", "out-of-cycle"),
    ("active", "controlled", "yes", "very high", "out-of-cycle"),
    ("active", "open", "no", "low", "scheduled"),
    ("active", "open", "no", "medium", "out-of-cycle"),
    ("active", "open", "no", "high", "out-of-cycle"),
    ("active", "open", "no", "very high", "immediate"),
    ("active", "open", "yes", "low", "out-of-cycle"),
    ("active", "open", "yes", "medium", "out-of-cycle"),
    ("active", "open", "yes", "high", "immediate"),
    ("active", "open", "yes", "very high", "immediate"),
)

TREE: Final[dict[tuple[str, str, str, str], str]] = {r[:4]: r[4] for r in DEPLOYER_TABLE}

OUTCOME_PRIORITY: Final[dict[str, Priority]] = {
    "immediate": Priority.P1,
    "out-of-cycle": Priority.P2,
    "scheduled": Priority.P3,
    "defer": Priority.P4,
}

CRITICALITY_IMPACT: Final[dict[str, str]] = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "critical": "very high",
}

# Municipal default human impact per product class, used when an item does not declare its
# criticality: a compromise of these stops many services or touches health and care.
PRODUCT_CLASSES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    (
        "identity",
        "high",
        ("active directory", "entra", "azure ad", "adfs", "okta", "keycloak", "ldap", "identity"),
    ),
    (
        "perimeter",
        "high",
        (
            "vpn",
            "firewall",
            "fortios",
            "fortigate",
            "fortiproxy",
            "netscaler",
            "citrix adc",
            "gateway",
            "pan-os",
            "globalprotect",
            "asa",
            "ftd",
            "sonicos",
            "big-ip",
            "connect secure",
            "pulse",
            "ivanti",
        ),
    ),
    ("backup", "high", ("backup", "veeam", "commvault", "rubrik", "acronis")),
    ("e-mail", "high", ("exchange", "mail", "zimbra", "postfix", "exim")),
    (
        "health and care",
        "high",
        ("helse", "journal", "omsorg", "pleie", "dips", "gerica", "cosdoc", "epj"),
    ),
)


@dataclass(frozen=True, slots=True)
class Point:
    """One decision point's value and where certbot read it."""

    name: str  # "exploitation", "exposure", "automatable", "human_impact"
    value: str
    source: str  # English, for operators: "CISA KEV", "inventory: internet_facing"


def outcome(exploitation: str, exposure: str, automatable: str, human_impact: str) -> str:
    """The deployer tree's outcome; KeyError for a value outside the decision points."""
    return TREE[(exploitation, exposure, automatable, human_impact)]


def _adp(case: Case) -> list[tuple[Advisory, dict[str, Any]]]:
    out = [(a, a.extra["ssvc"]) for a in case.advisories if isinstance(a.extra.get("ssvc"), dict)]
    if isinstance(case.enrichment.get("ssvc"), dict) and case.advisories:
        out.append((case.primary, case.enrichment["ssvc"]))
    return out


def _exploited_source(a: Advisory) -> str:
    if any(r.category == "required_action" for r in a.remediations) or "date_added" in a.extra:
        return "CISA KEV"
    if a.extra.get("exploit_status"):
        return f"CSAF exploit_status ({a.source})"
    return f"advisory {a.source}"


def _has_exploit_reference(a: Advisory) -> bool:
    """A public exploit is referenced: ``extra["exploit_refs"]`` (URLs), or a CVE-record style
    ``extra["references"]`` entry tagged "exploit"."""
    if a.extra.get("exploit_refs"):
        return True
    refs = a.extra.get("references")
    return isinstance(refs, list) and any(
        isinstance(r, dict) and "exploit" in (r.get("tags") or ()) for r in refs
    )


def exploitation(case: Case, epss_threshold: float) -> Point:
    """active (KEV, CSAF exploit_status, ADP "active", any source saying exploited), poc (ADP
    "poc", an exploit reference, EPSS at or above the threshold), else none."""
    adp = _adp(case)
    for a in sorted(case.advisories, key=lambda a: _exploited_source(a) != "CISA KEV"):
        if a.exploited:
            return Point("exploitation", "active", _exploited_source(a))
    for _, s in adp:
        if s.get("exploitation") == "active":
            return Point("exploitation", "active", "CISA ADP SSVC")
    for _, s in adp:
        if s.get("exploitation") == "poc":
            return Point("exploitation", "poc", "CISA ADP SSVC")
    if ref := next((a for a in case.advisories if _has_exploit_reference(a)), None):
        return Point("exploitation", "poc", f"exploit reference ({ref.source})")
    epss = case.epss
    if epss is not None and epss >= epss_threshold:
        return Point("exploitation", "poc", f"EPSS {epss:.2f} >= {epss_threshold:.2f}")
    return Point("exploitation", "none", "no source reports exploitation or a public PoC")


def exposure(item: InventoryItem) -> Point:
    """open when internet-facing; the declared ``exposure`` otherwise; else controlled."""
    if item.internet_facing:
        return Point("exposure", "open", "inventory: internet_facing")
    declared = getattr(item, "exposure", None)
    if declared:
        return Point("exposure", declared, f"inventory: exposure {declared}")
    return Point("exposure", "controlled", "default: not internet-facing")


def automatable_from_vector(vector: str | None) -> bool | None:
    """AV:N/AC:L/PR:N/UI:N (CVSS 3.x, 4.0; AV:N/AC:L/Au:N for 2.0) -> True; CVSS 4.0's own
    AU:Y/N wins where given. None when there is no readable vector."""
    if not vector:
        return None
    try:
        if vector.startswith("CVSS:4"):
            m = CVSS4(vector).metrics
            if m.get("AU") in ("Y", "N"):
                return m["AU"] == "Y"
        elif vector.startswith("CVSS:3"):
            m = CVSS3(vector).metrics
        else:
            m = CVSS2(vector).metrics
            return (m.get("AV"), m.get("AC"), m.get("Au")) == ("N", "L", "N")
    except CVSSError:
        return None
    return (m.get("AV"), m.get("AC"), m.get("PR"), m.get("UI")) == ("N", "L", "N", "N")


def automatable(case: Case) -> Point:
    """CISA ADP's value, else derived from the first readable CVSS vector, else no."""
    for _, s in _adp(case):
        if s.get("automatable") in AUTOMATABLE:
            return Point("automatable", s["automatable"], "CISA ADP SSVC")
    for a in case.advisories:
        derived = automatable_from_vector(a.cvss_vector)
        if derived is not None:
            return Point("automatable", "yes" if derived else "no", f"CVSS vector ({a.source})")
    return Point("automatable", "no", "default: no CVSS vector")


# One pattern per class: any of its keys at the start of a word (compounds: "helseplattform").
_CLASS_PATTERNS: Final = tuple(
    (name, impact, re.compile("|".join(rf"\b{re.escape(k)}" for k in keys)))
    for name, impact, keys in PRODUCT_CLASSES
)


def product_class(item: InventoryItem) -> tuple[str, str] | None:
    """(class, default human impact) for an item, from its vendor, product and aliases."""
    return _class_of(" ".join((item.vendor, item.product, *item.aliases)).lower())


@lru_cache(maxsize=16384)
def _class_of(words: str) -> tuple[str, str] | None:
    for name, impact, pattern in _CLASS_PATTERNS:
        if pattern.search(words):
            return name, impact
    return None


def human_impact(item: InventoryItem) -> Point:
    """From a declared ``criticality`` (critical -> very high); otherwise the product class
    default (high); otherwise medium."""
    if "criticality" in item.model_fields_set:
        value = CRITICALITY_IMPACT[item.criticality]
        return Point("human_impact", value, f"inventory: criticality {item.criticality}")
    cls = product_class(item)
    if cls is not None:
        return Point("human_impact", cls[1], f"municipal default for {cls[0]} systems")
    return Point("human_impact", "medium", "municipal default")


def points(case: Case, item: InventoryItem, epss_threshold: float) -> tuple[Point, ...]:
    """The four decision points for one case and one inventory item, in the tree's order."""
    return (
        exploitation(case, epss_threshold),
        exposure(item),
        automatable(case),
        human_impact(item),
    )


def table_rows() -> Iterable[tuple[str, str, str, str, str, str]]:
    """The table with the certbot priority appended, for the README and `explain`."""
    for row in DEPLOYER_TABLE:
        yield (*row, OUTCOME_PRIORITY[row[4]].name)


def markdown_table() -> str:
    """The table as Markdown (one row per exploitation/exposure/automatable, one column per
    human impact), cells "P1 immediate" etc.; the README prints exactly this."""
    head = "| Exploitation | Exposure | Automatable | " + " | ".join(HUMAN_IMPACT) + " |"
    lines = [head, "|" + "---|" * (3 + len(HUMAN_IMPACT))]
    for e in EXPLOITATION:
        for x in EXPOSURE:
            for a in AUTOMATABLE:
                cells = [outcome(e, x, a, h) for h in HUMAN_IMPACT]
                shown = [f"{OUTCOME_PRIORITY[c].name} {c}" for c in cells]
                lines.append(f"| {e} | {x} | {a} | " + " | ".join(shown) + " |")
    return "\n".join(lines)
