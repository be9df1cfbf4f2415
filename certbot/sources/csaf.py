"""CSAF 2.0 / 2.1 documents -> one `Advisory` per document (pure).

``CsafSource.parse`` reads one document: strict JSON (duplicate keys rejected), offline schema
validation (2.0 against the bundled schema, 2.1 by a structural check because the 2.1 schema
is not bundled), then the mapping in DOMAIN.md:

- identity: ``document.tracking.id`` (source_id), ``tracking.version`` (revision), all
  ``vulnerabilities[].cve`` (cves) and ``tracking.aliases`` (aliases);
- TLP from ``document.distribution.tlp.label`` (WHITE = CLEAR; missing -> None = routed as RED);
- products with one status each across all vulnerabilities: known/first/last_affected ->
  affected, under_investigation, fixed/first_fixed/recommended -> fixed, known_not_affected
  -> not_affected (in that order of precedence);
- remediations, highest CVSS (stated or computed from the vector), exploited from threats of
  category ``exploit_status``.

Fetching (discovery, ROLIE, changes.csv, hash and signature checks) is in `csaf_fetch`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from certbot.errors import ParseError
from certbot.model import TLP, Advisory, AffectedProduct, Remediation
from certbot.schemas import csaf20_validator
from certbot.sources import Source, scoring
from certbot.sources.csaf_tree import TreeProduct, walk_tree
from certbot.sources.jsonload import load_json

if TYPE_CHECKING:
    from certbot.config import FeedConfig
    from certbot.fetch import Http
    from certbot.model import Fetched
    from certbot.sources import SourceState

log = logging.getLogger(__name__)

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
RANK = {"affected": 0, "under_investigation": 1, "fixed": 2, "not_affected": 3}
REMEDIATIONS = {"vendor_fix", "workaround", "mitigation", "none_available", "no_fix_planned"}
NOT_EXPLOITED = re.compile(
    r"\b(no known|not (been )?(publicly )?(known|exploited|aware)|not aware|none|unknown|"
    r"no (public |active )?(exploit|exploitation)|never)\b",
    re.IGNORECASE,
)
SUMMARY_MAX = 2000
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


def _s(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp, or None for anything unreadable (garbage dates never crash)."""
    text = _s(value)
    if not text or len(text) > 40:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def validate(doc: dict[str, Any]) -> str:
    """Schema-check a document; return its csaf_version or raise ParseError."""
    document = _dict(doc.get("document"))
    version = document.get("csaf_version")
    if version == "2.0":
        error = next(iter(csaf20_validator().iter_errors(doc)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(top)"
            raise ParseError(f"CSAF 2.0 schema: {where}: {error.message[:160]}")
        return version
    if version == "2.1":
        tracking = _dict(document.get("tracking"))
        missing = [
            k
            for k, v in (
                ("document.category", document.get("category")),
                ("document.title", document.get("title")),
                ("document.publisher", document.get("publisher")),
                ("document.tracking.id", tracking.get("id")),
                ("document.tracking.version", tracking.get("version")),
            )
            if not v
        ]
        if missing:
            raise ParseError(f"CSAF 2.1 structural check: missing {', '.join(missing)}")
        log.info(
            "CSAF 2.1 document %s: structural check only (2.1 schema not bundled)",
            _s(tracking.get("id"))[:80],
        )
        return version
    raise ParseError(f"unsupported csaf_version {str(version)[:20]!r}")


def _statuses(vulns: list[Any]) -> dict[str, str]:
    status: dict[str, str] = {}
    for vuln in vulns:
        for key, ids in _dict(_dict(vuln).get("product_status")).items():
            mapped = STATUS_OF.get(key)
            if mapped is None:
                continue
            for pid in _list(ids):
                if isinstance(pid, str) and (pid not in status or RANK[mapped] < RANK[status[pid]]):
                    status[pid] = mapped
    return status


def _fixed_version(item: TreeProduct, fixed: list[TreeProduct]) -> str | None:
    versions = {
        f.version
        for f in fixed
        if f.version and (f.vendor, f.product) == (item.vendor, item.product)
    }
    if len(versions) == 1:
        return versions.pop()
    return None


def _products(
    vulns: list[Any], tree: dict[str, TreeProduct]
) -> tuple[list[AffectedProduct], dict[str, str | None]]:
    status = _statuses(vulns)
    fixed = [tree[p] for p, s in status.items() if s == "fixed" and p in tree]
    out, fix_of = [], {}
    for pid, st in status.items():
        item = tree.get(pid) or TreeProduct(pid, pid, note="not in product_tree")
        fixed_version = None
        if st == "fixed":
            fixed_version = item.version
        elif st == "affected":
            fixed_version = _fixed_version(item, fixed)
        fix_of[pid] = fixed_version
        out.append(
            AffectedProduct(
                vendor=item.vendor,
                product=item.product,
                versions=item.versions,
                cpe=item.cpe,
                purl=item.purl,
                status=st,  # type: ignore[arg-type]
                fixed_version=fixed_version,
                entry=f"{pid}: {item.note}" if item.note else pid,
            )
        )
    return sorted(out, key=lambda p: (RANK[p.status], p.vendor, p.product, p.entry)), fix_of


def _remediations(vulns: list[Any], fix_of: dict[str, str | None]) -> list[Remediation]:
    seen: dict[tuple[str, str], Remediation] = {}
    for vuln in vulns:
        for rem in _list(_dict(vuln).get("remediations")):
            rem = _dict(rem)
            category, text = _s(rem.get("category")), _s(rem.get("details"))[:SUMMARY_MAX]
            if category not in REMEDIATIONS or (category, text) in seen:
                continue
            fixes = {fix_of.get(p) for p in _list(rem.get("product_ids"))} - {None}
            fixed = fixes.pop() if category == "vendor_fix" and len(fixes) == 1 else None
            seen[(category, text)] = Remediation(category, text, _s(rem.get("url")) or None, fixed)
    return list(seen.values())


def _score_blocks(vuln: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for score in _list(vuln.get("scores")):  # CSAF 2.0
        yield _dict(score)
    for metric in _list(vuln.get("metrics")):  # CSAF 2.1
        yield _dict(_dict(metric).get("content"))


def _cvss(vulns: list[Any]) -> tuple[float, str | None] | None:
    best: tuple[float, str | None] | None = None
    for vuln in vulns:
        for block in _score_blocks(_dict(vuln)):
            for key in ("cvss_v4", "cvss_v3", "cvss_v2"):
                cv = _dict(block.get(key))
                if cv:
                    vec = cv.get("vectorString")
                    best = scoring.best(best, scoring.base_score(cv.get("baseScore"), vec), vec)
    return best


def _exploited(vulns: list[Any]) -> tuple[bool, list[str]]:
    notes = []
    for vuln in vulns:
        for threat in _list(_dict(vuln).get("threats")):
            threat = _dict(threat)
            if threat.get("category") == "exploit_status":
                notes.append(_s(threat.get("details"))[:300])
    return any(not NOT_EXPLOITED.search(n) for n in notes), notes


def _summary(document: dict[str, Any]) -> str:
    notes = [_dict(n) for n in _list(document.get("notes"))]
    for category in ("summary", "description", "general"):
        for note in notes:
            if note.get("category") == category and _s(note.get("text")):
                text = " ".join(_s(note.get("text")).split())
                return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"
    return ""


def _self_url(document: dict[str, Any]) -> str | None:
    for ref in _list(document.get("references")):
        ref = _dict(ref)
        if ref.get("category") == "self" and _s(ref.get("url")):
            return _s(ref.get("url"))
    return None


def _cves(vulns: list[Any]) -> tuple[str, ...]:
    cves = (_s(_dict(v).get("cve")).upper() for v in vulns)
    return tuple(dict.fromkeys(c for c in cves if _CVE.match(c)))


def _extra(doc: dict[str, Any], tree: dict[str, TreeProduct], version: str) -> dict[str, Any]:
    document = _dict(doc.get("document"))
    tracking = _dict(document.get("tracking"))
    history = [
        [_s(_dict(h).get("number")), _s(_dict(h).get("date")), _s(_dict(h).get("summary"))[:200]]
        for h in _list(tracking.get("revision_history"))
    ]
    vulns = []
    for vuln in _list(doc.get("vulnerabilities")):
        vuln = _dict(vuln)
        statuses = {
            k: sorted(str(x) for x in _list(v))
            for k, v in _dict(vuln.get("product_status")).items()
            if k in STATUS_OF
        }
        vulns.append(
            {
                "cve": _s(vuln.get("cve")) or None,
                "title": _s(vuln.get("title"))[:200],
                "product_status": statuses,
            }
        )
    return {
        "csaf_version": version,
        "category": _s(document.get("category")),
        "publisher": _s(_dict(document.get("publisher")).get("name")),
        "status": _s(tracking.get("status")),
        "revision_history": history,
        "product_names": {pid: p.name for pid, p in sorted(tree.items())},
        "vulnerabilities": vulns,
    }


def parse_document(data: bytes, feed_id: str) -> Advisory:
    """One CSAF document -> one Advisory; ParseError when it is not a valid CSAF document."""
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise ParseError("CSAF document is not a JSON object")
    version = validate(doc)
    document = _dict(doc.get("document"))
    tracking = _dict(document.get("tracking"))
    vulns = _list(doc.get("vulnerabilities"))
    tree = walk_tree(doc.get("product_tree"))
    products, fix_of = _products(vulns, tree)
    label = _dict(_dict(document.get("distribution")).get("tlp")).get("label")
    best = _cvss(vulns)
    exploited, exploit_notes = _exploited(vulns)
    extra = _extra(doc, tree, version)
    if exploit_notes:
        extra["exploit_status"] = exploit_notes
    lang = _s(document.get("lang"))[:2].lower() or "en"
    return Advisory(
        source=feed_id,
        source_id=_s(tracking.get("id")),
        title=_s(document.get("title"))[:500],
        summary=_summary(document),
        url=_self_url(document),
        published=parse_time(tracking.get("initial_release_date")),
        updated=parse_time(tracking.get("current_release_date")),
        cves=_cves(vulns),
        aliases=tuple(_s(a) for a in _list(tracking.get("aliases")) if _s(a)),
        tlp=TLP.parse(label) if isinstance(label, str) else None,
        language=lang if lang.isalpha() else "en",
        cvss=best[0] if best else None,
        cvss_vector=best[1] if best else None,
        exploited=exploited,
        products=tuple(products),
        remediations=tuple(_remediations(vulns, fix_of)),
        structured=True,
        revision=_s(tracking.get("version")) or None,
        withdrawn=_s(document.get("category")) == "csaf_withdrawn",
        extra=extra,
    )


class CsafSource(Source):
    """CSAF provider feeds: ``fetch`` walks the index and verifies; ``parse`` maps one document."""

    kind = "csaf"

    async def fetch(self, feed: FeedConfig, http: Http, state: SourceState) -> Fetched:
        from certbot.sources.csaf_fetch import fetch_provider

        return await fetch_provider(feed, http, state)

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        yield parse_document(doc, feed.id)
