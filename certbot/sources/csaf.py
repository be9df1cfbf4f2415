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
from typing import TYPE_CHECKING, Any

from certbot.errors import ParseError
from certbot.model import TLP, Advisory, AffectedProduct, Remediation
from certbot.sources import Source, scoring
from certbot.sources.csaf_meta import (
    STATUS_OF,
    SUMMARY_MAX,
    cves,
    dict_,
    extra,
    list_,
    parse_time,
    s_,
    self_url,
    summary,
    validate,
)
from certbot.sources.csaf_tree import TreeProduct, walk_tree
from certbot.sources.jsonload import load_json
from certbot.sources.options import FingerprintOptions

if TYPE_CHECKING:
    from certbot.config import FeedConfig
    from certbot.fetch import Http
    from certbot.model import Fetched
    from certbot.sources import SourceState

log = logging.getLogger(__name__)

RANK = {"affected": 0, "under_investigation": 1, "fixed": 2, "not_affected": 3}
REMEDIATIONS = {"vendor_fix", "workaround", "mitigation", "none_available", "no_fix_planned"}
NOT_EXPLOITED = re.compile(
    r"\b(no known|not (been )?(publicly )?(known|exploited|aware)|not aware|none|unknown|"
    r"no (public |active )?(exploit|exploitation)|never)\b",
    re.IGNORECASE,
)


def _statuses(vulns: list[Any]) -> dict[str, str]:
    status: dict[str, str] = {}
    for vuln in vulns:
        for key, ids in dict_(dict_(vuln).get("product_status")).items():
            mapped = STATUS_OF.get(key)
            if mapped is None:
                continue
            for pid in list_(ids):
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
        for rem in list_(dict_(vuln).get("remediations")):
            rem = dict_(rem)
            category, text = s_(rem.get("category")), s_(rem.get("details"))[:SUMMARY_MAX]
            if category not in REMEDIATIONS or (category, text) in seen:
                continue
            fixes = {fix_of.get(p) for p in list_(rem.get("product_ids"))} - {None}
            fixed = fixes.pop() if category == "vendor_fix" and len(fixes) == 1 else None
            seen[(category, text)] = Remediation(category, text, s_(rem.get("url")) or None, fixed)
    return list(seen.values())


def _score_blocks(vuln: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for score in list_(vuln.get("scores")):  # CSAF 2.0
        yield dict_(score)
    for metric in list_(vuln.get("metrics")):  # CSAF 2.1
        yield dict_(dict_(metric).get("content"))


def _cvss(vulns: list[Any]) -> tuple[float, str | None] | None:
    best: tuple[float, str | None] | None = None
    for vuln in vulns:
        for block in _score_blocks(dict_(vuln)):
            for key in ("cvss_v4", "cvss_v3", "cvss_v2"):
                cv = dict_(block.get(key))
                if cv:
                    vec = cv.get("vectorString")
                    best = scoring.best(best, scoring.base_score(cv.get("baseScore"), vec), vec)
    return best


def _exploited(vulns: list[Any]) -> tuple[bool, list[str]]:
    notes = []
    for vuln in vulns:
        for threat in list_(dict_(vuln).get("threats")):
            threat = dict_(threat)
            if threat.get("category") == "exploit_status":
                notes.append(s_(threat.get("details"))[:300])
    return any(not NOT_EXPLOITED.search(n) for n in notes), notes


def parse_document(data: bytes, feed_id: str) -> Advisory:
    """One CSAF document -> one Advisory; ParseError when it is not a valid CSAF document."""
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise ParseError("CSAF document is not a JSON object")
    version = validate(doc)
    document = dict_(doc.get("document"))
    tracking = dict_(document.get("tracking"))
    vulns = list_(doc.get("vulnerabilities"))
    tree = walk_tree(doc.get("product_tree"))
    products, fix_of = _products(vulns, tree)
    label = dict_(dict_(document.get("distribution")).get("tlp")).get("label")
    best = _cvss(vulns)
    exploited, exploit_notes = _exploited(vulns)
    info = extra(doc, tree, version)
    if exploit_notes:
        info["exploit_status"] = exploit_notes
    lang = s_(document.get("lang"))[:2].lower() or "en"
    return Advisory(
        source=feed_id,
        source_id=s_(tracking.get("id")),
        title=s_(document.get("title"))[:500],
        summary=summary(document),
        url=self_url(document),
        published=parse_time(tracking.get("initial_release_date")),
        updated=parse_time(tracking.get("current_release_date")),
        cves=cves(vulns),
        aliases=tuple(s_(a) for a in list_(tracking.get("aliases")) if s_(a)),
        tlp=TLP.parse(label) if isinstance(label, str) else None,
        language=lang if lang.isalpha() else "en",
        cvss=best[0] if best else None,
        cvss_vector=best[1] if best else None,
        exploited=exploited,
        products=tuple(products),
        remediations=tuple(_remediations(vulns, fix_of)),
        structured=True,
        revision=s_(tracking.get("version")) or None,
        withdrawn=s_(document.get("category")) == "csaf_withdrawn",
        extra=info,
    )


class CsafSource(Source):
    """CSAF provider feeds: ``fetch`` walks the index and verifies; ``parse`` maps one document."""

    kind = "csaf"
    options = FingerprintOptions  # fingerprints, token/username/client_cert, enrich_nvd

    async def fetch(self, feed: FeedConfig, http: Http, state: SourceState) -> Fetched:
        from certbot.sources.csaf_fetch import fetch_provider

        return await fetch_provider(feed, http, state)

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        yield parse_document(doc, feed.id)
