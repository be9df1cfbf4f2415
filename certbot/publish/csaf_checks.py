"""The CSAF 2.0 mandatory tests (§6.1) that apply to what certbot writes (pure).

``mandatory_problems(doc) -> list[str]`` returns one line per failed test (``6.1.1: ...``),
empty for a conforming document. The export refuses a document with problems, and the tests
run these on every document written. Implemented:

- 6.1.1 product ids defined, 6.1.2 defined once, 6.1.3 no circular relationship;
- 6.1.6 no contradicting product status within one vulnerability;
- 6.1.12 language code (``nb``, ``nn``, ``en`` or a well-formed tag);
- 6.1.14 revision history sorted, 6.1.16 version = latest history number, 6.1.17/6.1.18/
  6.1.19/6.1.20 draft and pre-release rules, 6.1.21 no gap (first item 0 or 1), 6.1.22 no
  duplicate number (integer versioning, which certbot uses);
- 6.1.23 a CVE in one vulnerability only; 6.1.26 prohibited category name;
- 6.1.27.1 document notes, 6.1.27.4 product tree, 6.1.27.5 vulnerability notes, 6.1.27.6
  product status (profile ``csaf_security_advisory``);
- 6.1.29 remediation with product reference; 6.1.31 no range in a product_version;
- TLP: a label CSAF 2.0 knows, and never RED in what certbot provides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_AFFECTED = ("first_affected", "known_affected", "last_affected")
_FIXED = ("first_fixed", "fixed")
_GROUPS = {
    "affected": _AFFECTED,
    "not_affected": ("known_not_affected",),
    "fixed": _FIXED,
    "under_investigation": ("under_investigation",),
}
_PROFILES = {"securityincidentresponse", "informationaladvisory", "securityadvisory", "vex"}
_RANGE_IN_VERSION = re.compile(r"(<|>|\bbefore\b|\bprior\b|\bafter\b|\ball\b|\bbelow\b)", re.I)


def _branches(branches: Any) -> Iterator[dict[str, Any]]:
    for b in branches or []:
        yield b
        yield from _branches(b.get("branches"))


def defined_ids(tree: dict[str, Any]) -> list[str]:
    """Every product id the product tree defines, with repeats (6.1.2 counts them)."""
    ids = [b["product"]["product_id"] for b in _branches(tree.get("branches")) if "product" in b]
    ids += [f["product_id"] for f in tree.get("full_product_names") or []]
    ids += [r["full_product_name"]["product_id"] for r in tree.get("relationships") or []]
    return ids


def _referenced(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    tree = doc.get("product_tree") or {}
    for g in tree.get("product_groups") or []:
        for pid in g.get("product_ids") or []:
            yield "product_groups", pid
    for r in tree.get("relationships") or []:
        yield "relationships", r.get("product_reference")
        yield "relationships", r.get("relates_to_product_reference")
    for n, v in enumerate(doc.get("vulnerabilities") or []):
        for status, ids in (v.get("product_status") or {}).items():
            for pid in ids:
                yield f"vulnerabilities[{n}].product_status.{status}", pid
        for part in ("remediations", "threats", "scores", "flags"):
            for item in v.get(part) or []:
                for pid in item.get("product_ids") or item.get("products") or []:
                    yield f"vulnerabilities[{n}].{part}", pid


def _product_ids(doc: dict[str, Any]) -> list[str]:
    tree = doc.get("product_tree") or {}
    ids = defined_ids(tree)
    out = [
        f"6.1.2: product id {p} defined more than once"
        for p in sorted(set(ids))
        if ids.count(p) > 1
    ]
    known = set(ids)
    out += [
        f"6.1.1: {where}: product id {pid} is not defined in the product tree"
        for where, pid in _referenced(doc)
        if pid not in known
    ]
    edges: dict[str, set[str]] = {}
    for r in tree.get("relationships") or []:
        edges.setdefault(r["full_product_name"]["product_id"], set()).update(
            {r.get("product_reference"), r.get("relates_to_product_reference")}
        )
    for start in edges:
        seen, todo = set(), list(edges[start])
        while todo:
            node = todo.pop()
            if node == start:
                out.append(f"6.1.3: product id {start} is defined through itself")
                break
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
    return out


def _status(doc: dict[str, Any]) -> list[str]:
    out = []
    for n, v in enumerate(doc.get("vulnerabilities") or []):
        status = v.get("product_status") or {}
        owner: dict[str, str] = {}
        for group, keys in _GROUPS.items():
            for pid in {p for k in keys for p in status.get(k) or []}:
                if pid in owner:
                    out.append(
                        f"6.1.6: vulnerabilities[{n}]: {pid} is both {owner[pid]} and {group}"
                    )
                owner[pid] = group
    return out


def _int(number: str) -> int | None:
    return int(number) if number.isdigit() else None


def _tracking(doc: dict[str, Any]) -> list[str]:
    tracking = doc["document"]["tracking"]
    history = tracking.get("revision_history") or []
    by_date = sorted(history, key=lambda h: h["date"])
    numbers = [h["number"] for h in by_date]
    ints = [_int(x) for x in numbers]
    out = []
    if any(i is None for i in ints):
        out.append("6.1.19/6.1.30: certbot writes integer versions only; got " + ", ".join(numbers))
        return out
    values = [i for i in ints if i is not None]
    if values != sorted(values):
        out.append("6.1.14: revision history numbers are not ascending by date")
    if numbers and tracking["version"] != numbers[-1]:
        out.append(
            f"6.1.16: version {tracking['version']} is not the latest history number {numbers[-1]}"
        )
    return out + _numbers(values, tracking.get("status"), tracking["version"])


def _numbers(values: list[int], status: str | None, version: str) -> list[str]:
    out = []
    if version == "0" and status != "draft":
        out.append("6.1.17: version 0 needs status draft")
    if status in ("final", "interim") and 0 in values:
        out.append("6.1.18: a released document has a history item numbered 0")
    if values and values[0] not in (0, 1):
        out.append("6.1.21: the revision history must start at 0 or 1")
    if values and sorted(set(values)) != list(range(min(values), max(values) + 1)):
        out.append("6.1.21: the revision history omits a version number")
    if len(set(values)) != len(values):
        out.append("6.1.22: the revision history holds the same number twice")
    return out


def _profile(doc: dict[str, Any]) -> list[str]:
    document = doc["document"]
    category = document.get("category", "")
    out = []
    folded = re.sub(r"[-\s_]", "", category.lower())
    base = category not in {
        "csaf_base",
        "csaf_security_incident_response",
        "csaf_informational_advisory",
        "csaf_security_advisory",
        "csaf_vex",
    }
    if base and (folded.removeprefix("csaf") in _PROFILES or category.startswith("csaf_")):
        out.append(f"6.1.26: document category {category!r} is prohibited")
    if not _LANG.match(document.get("lang", "en")):
        out.append(f"6.1.12: language {document.get('lang')!r} is not a language tag")
    if category != "csaf_security_advisory":
        return out
    if not any(
        n.get("category") in ("description", "details", "general", "summary")
        for n in document.get("notes") or []
    ):
        out.append("6.1.27.1: no document note of category description/details/general/summary")
    if not doc.get("product_tree"):
        out.append("6.1.27.4: a security advisory needs /product_tree")
    for n, v in enumerate(doc.get("vulnerabilities") or []):
        if not v.get("notes"):
            out.append(f"6.1.27.5: vulnerabilities[{n}] has no notes")
        if not v.get("product_status"):
            out.append(f"6.1.27.6: vulnerabilities[{n}] has no product_status")
        for r in v.get("remediations") or []:
            if not r.get("product_ids") and not r.get("group_ids"):
                out.append(f"6.1.29: vulnerabilities[{n}]: a remediation names no product")
    return out


def _misc(doc: dict[str, Any]) -> list[str]:
    out = []
    cves = [v["cve"] for v in doc.get("vulnerabilities") or [] if "cve" in v]
    out += [
        f"6.1.23: {c} is used in more than one vulnerability"
        for c in sorted(set(cves))
        if cves.count(c) > 1
    ]
    for b in _branches((doc.get("product_tree") or {}).get("branches")):
        if b.get("category") == "product_version" and _RANGE_IN_VERSION.search(b["name"]):
            out.append(f"6.1.31: product_version {b['name']!r} is a range")
    label = ((doc["document"].get("distribution") or {}).get("tlp") or {}).get("label")
    if label not in ("WHITE", "GREEN", "AMBER"):
        out.append(f"TLP: label {label!r} is not one certbot's provider may serve")
    return out


def mandatory_problems(doc: dict[str, Any]) -> list[str]:
    """Every failed mandatory test of the document (see the module docstring)."""
    return _product_ids(doc) + _status(doc) + _tracking(doc) + _profile(doc) + _misc(doc)
