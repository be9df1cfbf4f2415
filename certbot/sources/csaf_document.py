"""CSAF 2.0 / 2.1 documents -> one `Advisory` per document (pure): `parse_document`.


`parse_document` (what ``CsafSource.parse`` calls) reads one document: strict JSON (duplicate keys rejected), offline schema
validation (2.0 and 2.1 against the bundled OASIS schemas, `csaf_meta.validate`), then the
mapping in DOMAIN.md:

- identity: ``document.tracking.id`` (source_id), ``tracking.version`` (revision), all
  ``vulnerabilities[].cve`` (cves) and ``tracking.aliases`` (aliases);
- TLP from ``document.distribution.tlp.label`` (WHITE = CLEAR; missing -> None = routed as RED),
  or a stricter TLP 2.0 marking in ``distribution.text`` (CSAF 2.0 has no AMBER+STRICT label);
- withdrawn: CSAF 2.1's ``csaf_withdrawn`` category, or (CSAF 2.0) a ``description`` note
  titled ``Reasoning for Withdrawal``;
- products with one status each across all vulnerabilities: known/first/last_affected ->
  affected, under_investigation, fixed/first_fixed/recommended -> fixed, known_not_affected
  -> not_affected (in that order of precedence);
- remediations; the highest CVSS: the stated base score, or the vector's score when the
  vector contradicts it or no score is stated (``extra["cvss_note"]`` says "stated 9.8, vector
  gives 7.5", and `explain` shows it);
- exploited from threats of category ``exploit_status``: Microsoft's key:value form
  ("Publicly Disclosed:No;Exploited:No;...") by its ``Exploited`` value, prose otherwise
  ("Exploited in the wild" yes, "No known exploitation" no).

Fetching (discovery, ROLIE, changes.csv, hash and signature checks) is in `csaf_fetch`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from certbot.errors import ParseError
from certbot.model import TLP, Advisory, AffectedProduct, Remediation
from certbot.sources import scoring
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
from certbot.tlp import stricter_label_in_text

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
            AffectedProduct(  # the tree's names and identifiers, in the model's field order
                *(item.vendor, item.product, item.versions, item.cpe, item.purl),
                status=st,  # type: ignore[arg-type]
                fixed_version=fixed_version,
                entry=f"{pid}: {item.note}" if item.note else pid,
            )
        )
    out.extend(_below_fixed_packages(out))
    return sorted(out, key=lambda p: (RANK[p.status], p.vendor, p.product, p.entry)), fix_of


def _below_fixed_packages(products: list[AffectedProduct]) -> list[AffectedProduct]:
    """Red Hat lists only the fixed RPM of each product stream; the versions below it are the
    affected ones (Red Hat's own CSAF-to-OSV conversion reads it so: introduced 0, fixed EVR).
    One affected ``vers:rpm/<EVR`` entry per package, EVR and platform, unless the document
    itself names an affected or under-investigation version of that package."""
    named = {(p.vendor, p.product) for p in products if p.status != "fixed"}
    out: dict[tuple[str, str, str, str], AffectedProduct] = {}
    for p in products:
        if (
            p.status != "fixed"
            or not p.fixed_version
            or not (p.versions or "").startswith("vers:rpm/")
        ):
            continue
        if (p.vendor, p.product) in named:
            continue
        platform = p.entry.partition(": ")[2]
        key = (p.vendor, p.product, p.fixed_version, platform)
        out.setdefault(
            key,
            AffectedProduct(
                vendor=p.vendor,
                product=p.product,
                versions=f"vers:rpm/<{p.fixed_version}",
                cpe=p.cpe,
                purl=p.purl,
                status="affected",
                fixed_version=p.fixed_version,
                entry=f"{p.entry.partition(': ')[0]}: below the fixed package {p.fixed_version}"
                + (f"; {platform}" if platform else ""),
            ),
        )
    return list(out.values())


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


def _score(cv: dict[str, Any], notes: list[str]) -> float | None:
    """The block's base score: the vector's when the stated score contradicts it (noted)."""
    stated, vec = cv.get("baseScore"), cv.get("vectorString")
    score = scoring.base_score(stated, vec)
    computed = scoring.from_vector(vec) if isinstance(vec, str) and vec else None
    if score is not None and computed is not None and abs(score - computed) > 0.05:
        notes.append(f"stated {score:g}, vector gives {computed:g}")
        return computed
    return score


def _cvss(vulns: list[Any]) -> tuple[tuple[float, str | None] | None, list[str]]:
    """The highest (score, vector) over all vulnerabilities, and notes on contradicted scores."""
    best: tuple[float, str | None] | None = None
    notes: list[str] = []
    for vuln in vulns:
        for block in _score_blocks(dict_(vuln)):
            for key in ("cvss_v4", "cvss_v3", "cvss_v2"):
                cv = dict_(block.get(key))
                if cv:
                    best = scoring.best(best, _score(cv, notes), cv.get("vectorString"))
    return best, list(dict.fromkeys(notes))


# Microsoft (MSRC) writes exploit_status as "Publicly Disclosed:No;Exploited:No;Latest Software
# Release:Exploitation Less Likely": key:value pairs, of which only "Exploited" says whether it
# is exploited. Other providers write prose ("Exploited in the wild since ...").
_MSRC_EXPLOITED = re.compile(r"(?:^|;)\s*exploited\s*:\s*(yes|no)\b", re.IGNORECASE)


def _says_exploited(details: str) -> bool:
    if m := _MSRC_EXPLOITED.search(details):
        return m.group(1).lower() == "yes"
    return not NOT_EXPLOITED.search(details)


def _exploited(vulns: list[Any]) -> tuple[bool, list[str]]:
    notes = []
    for vuln in vulns:
        for threat in list_(dict_(vuln).get("threats")):
            threat = dict_(threat)
            if threat.get("category") == "exploit_status":
                notes.append(s_(threat.get("details"))[:300])
    return any(_says_exploited(n) for n in notes if n), notes


def _withdrawn(document: dict[str, Any]) -> bool:
    """CSAF 2.1's withdrawn profile, or a CSAF 2.0 document carrying its marker note (2.0 has
    no withdrawn status: a final revision with a ``Reasoning for Withdrawal`` note)."""
    if s_(document.get("category")) == "csaf_withdrawn":
        return True
    return any(
        s_(dict_(n).get("title")) == "Reasoning for Withdrawal"
        and dict_(n).get("category") == "description"
        for n in list_(document.get("notes"))
    )


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
    distribution = dict_(document.get("distribution"))
    label = dict_(distribution.get("tlp")).get("label")
    tlp = TLP.parse(label) if isinstance(label, str) else None
    tlp = stricter_label_in_text(s_(distribution.get("text")), tlp) or tlp
    best, cvss_notes = _cvss(vulns)
    exploited, exploit_notes = _exploited(vulns)
    info = extra(doc, tree, version)
    if exploit_notes:
        info["exploit_status"] = exploit_notes
    if cvss_notes:
        info["cvss_note"] = "; ".join(cvss_notes)
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
        tlp=tlp,
        language=lang if lang.isalpha() else "en",
        cvss=best[0] if best else None,
        cvss_vector=best[1] if best else None,
        exploited=exploited,
        products=tuple(products),
        remediations=tuple(_remediations(vulns, fix_of)),
        structured=True,
        revision=s_(tracking.get("version")) or None,
        withdrawn=_withdrawn(document),
        extra=info,
    )
