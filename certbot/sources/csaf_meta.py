"""CSAF document-level pieces (pure): validation, timestamps, summary, self URL, CVEs and the
compact ``extra`` that `explain` reads. Used by `certbot.sources.csaf`.

Validation is offline: CSAF 2.0 documents against the bundled 2.0 JSON schema (with the FIRST
CVSS schemas registered, `certbot.schemas`); CSAF 2.1 documents against the bundled 2.1 schema
with jsonschema-rs (CVSS v4 and SSVC schemas registered).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from certbot.errors import ParseError
from certbot.schemas import csaf20_is_valid, csaf20_validator, csaf21_error
from certbot.sources.csaf_tree import TreeProduct

STATUS_OF = {
    "known_affected": "affected",
    "first_affected": "affected",
    "last_affected": "affected",
    "under_investigation": "under_investigation",
    "fixed": "fixed",
    "first_fixed": "fixed",
    "recommended": "fixed",
    "known_not_affected": "not_affected",
}
SUMMARY_MAX = 2000
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


def s_(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def list_(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def dict_(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp, or None for anything unreadable (garbage dates never crash)."""
    text = s_(value)
    if not text or len(text) > 40:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def validate(doc: dict[str, Any]) -> str:
    """Schema-check a document; return its csaf_version or raise ParseError."""
    document = dict_(doc.get("document"))
    version = document.get("csaf_version")
    if version == "2.0":
        if csaf20_is_valid(doc):  # the native validator; the message comes from jsonschema
            return version
        error = next(iter(csaf20_validator().iter_errors(doc)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(top)"
            raise ParseError(f"CSAF 2.0 schema: {where}: {error.message[:160]}")
        return version
    if version == "2.1":
        problem = csaf21_error(doc)
        if problem is not None:
            raise ParseError(f"CSAF 2.1 schema: {problem}")
        return version
    raise ParseError(f"unsupported csaf_version {str(version)[:20]!r}")


_SUMMARY_FROM = ("summary", "description", "general")  # the first note of these, in order


def summary(document: dict[str, Any]) -> str:
    first: dict[str, str] = {}
    for note in list_(document.get("notes")):
        note = dict_(note)
        category = note.get("category")
        if category in _SUMMARY_FROM and category not in first and (text := s_(note.get("text"))):
            first[category] = text
    for category in _SUMMARY_FROM:
        if category in first:
            text = " ".join(first[category].split())
            return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"
    return ""


def self_url(document: dict[str, Any]) -> str | None:
    for ref in list_(document.get("references")):
        ref = dict_(ref)
        if ref.get("category") == "self" and s_(ref.get("url")):
            return s_(ref.get("url"))
    return None


def cves(vulns: list[Any]) -> tuple[str, ...]:
    cves = (s_(dict_(v).get("cve")).upper() for v in vulns)
    return tuple(dict.fromkeys(c for c in cves if _CVE.match(c)))


def extra(doc: dict[str, Any], tree: dict[str, TreeProduct], version: str) -> dict[str, Any]:
    document = dict_(doc.get("document"))
    tracking = dict_(document.get("tracking"))
    history = []
    for h in list_(tracking.get("revision_history")):
        get = dict_(h).get
        history.append([s_(get("number")), s_(get("date")), s_(get("summary"))[:200]])
    vulns = []
    for vuln in list_(doc.get("vulnerabilities")):
        vuln = dict_(vuln)
        statuses = {
            k: sorted(map(str, list_(v)))
            for k, v in dict_(vuln.get("product_status")).items()
            if k in STATUS_OF
        }
        vulns.append(
            {
                "cve": s_(vuln.get("cve")) or None,
                "title": s_(vuln.get("title"))[:200],
                "product_status": statuses,
            }
        )
    return {
        "csaf_version": version,
        "category": s_(document.get("category")),
        "publisher": s_(dict_(document.get("publisher")).get("name")),
        "status": s_(tracking.get("status")),
        "revision_history": history,
        "product_names": {pid: tree[pid].name for pid in sorted(tree)},
        "vulnerabilities": vulns,
    }
