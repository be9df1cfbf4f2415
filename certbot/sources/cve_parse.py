"""A CVE JSON 5.x record -> one structured `Advisory` (pure: dict or bytes in).

``parse_record(record, source="cve")`` gives ``Advisory(source=<feed id>, source_id=<CVE id>,
structured=True, cves=(id,))`` with:

- ``products``: for every CNA ``affected[]`` element (vendor/product "n/a" elements are
  skipped), one `AffectedProduct` per branch segment (`certbot.sources.cve_versions`), in
  the CNA's order and never overlapping. ``status`` maps affected -> "affected", unaffected ->
  "not_affected", unknown -> "under_investigation" (a range whose versions are possibly
  affected). ``defaultStatus`` affected adds a product with ``vers:generic/*`` (the
  not-affected segments carve it out: exclusions win, as in the matcher); unknown (also when
  missing) adds a rangeless "under_investigation" product; unaffected adds nothing. Prose
  entries become rangeless products. ``entry`` is ``"<CVE> cna.affected[i].versions[j]"``
  (``.raw[k]``, ``.defaultStatus``); ``evidence`` reads like ``"CVE record (Fortinet):
  7.2.0 ≤ v ≤ 7.2.6"``. ``fixed_version``: the ``lessThan`` bound, or for an inclusive bound the
  smallest version the solutions name for that product above it in the same branch (7.2.7 for
  7.2.0-7.2.6). ``cpe`` is the element's first CPE 2.3 name with version and update set to
  ``*`` (identity only: versions come from ``versions``); ``purl`` comes from ``packageName`` +
  ``collectionURL`` for the registries packageurl knows.
- CISA's ADP ``affected`` (CPE-keyed, bounds that can differ from the CNA's) is secondary: it is
  used only when no CNA element yields a single range (``extra["adp_affected"] = True``).
- ``exploited``: KEV marker or SSVC Exploitation "active"; ``cvss``/``cvss_vector`` from
  `cve_facts.cvss_facts`; ``remediations`` from ``solutions``/``workarounds``.
- ``state: REJECTED`` -> ``withdrawn=True`` and no products.
- ``extra``: ``ssvc`` (`SsvcFacts.to_json()`), ``cna``, ``state``, ``date_updated``, ``cvss_all``,
  ``cvss_note`` (when a stated score contradicts the vector), ``adp_affected``, ``unreadable``
  (version texts no range could be read from). Plain JSON, so it survives storage.

``verdict(products, version)`` and ``fixed_for(products, version)`` answer, for the products
of one product identity from one record, what the CNA data says about a declared version.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from functools import cmp_to_key
from typing import Any

from packageurl import PackageURL

from certbot.errors import ParseError
from certbot.model import TLP, Advisory, AffectedProduct, ProductStatus
from certbot.sources import cve_forms
from certbot.sources.cve_facts import cvss_facts, fix_candidates, remediations, ssvc_facts
from certbot.sources.cve_verdict import Verdict, fixed_for, verdict
from certbot.sources.cve_versions import Element, Segment, compare, element_segments, read_version
from certbot.sources.jsonload import load_json

__all__ = [
    "CVE_ID",
    "MAX_RECORD_BYTES",
    "Verdict",
    "fixed_for",
    "parse_record",
    "parse_record_bytes",
    "verdict",
]
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
SUMMARY_MAX = 4000
MAX_RECORD_BYTES = 2 * 1024 * 1024
# the end of a "5.x" branch, a release line or an update's builds is no fixed version
_NO_FIX = {"branch", cve_forms.LINE_NOTE, cve_forms.BUILDS_NOTE}
_NOTES = {"prior to", "written in version", *cve_forms.NOTES}  # shown in the evidence
_NO_VERSION = {"n/a", "na", "-", "unspecified", "(no version)"}  # Raw texts that say nothing
_NA = {"n/a", "na", "unknown", "-", "none", ""}
_STATUS: dict[str, ProductStatus] = {
    "affected": "affected",
    "unaffected": "not_affected",
    "unknown": "under_investigation",
}
_REGISTRIES = {  # collectionURL prefix -> purl type (CVE schema's examples)
    "https://pypi.org": "pypi",
    "https://registry.npmjs.org": "npm",
    "https://www.npmjs.com": "npm",
    "https://repo.maven.apache.org/maven2": "maven",
    "https://rubygems.org": "gem",
    "https://crates.io": "cargo",
    "https://www.nuget.org": "nuget",
    "https://packagist.org": "composer",
    "https://proxy.golang.org": "golang",
    "https://pkg.go.dev": "golang",
    "https://hub.docker.com": "docker",
    "https://access.redhat.com/downloads/content/package-browser": "rpm",
}


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _name(value: Any) -> str:
    t = _text(value)
    return "" if t.lower() in _NA else t


def _date(value: Any) -> datetime | None:
    try:
        d = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return d.replace(tzinfo=UTC) if d is not None and d.tzinfo is None else d


def _cpe(element: dict[str, Any]) -> str | None:
    for cpe in element.get("cpes") or []:
        parts = re.split(r"(?<!\\):", cpe) if isinstance(cpe, str) else []
        if len(parts) == 13 and parts[:2] == ["cpe", "2.3"]:
            parts[5] = parts[6] = "*"
            return ":".join(parts)
    return None


def _purl(element: dict[str, Any]) -> str | None:
    name, url = element.get("packageName"), element.get("collectionURL")
    if not isinstance(name, str) or not isinstance(url, str) or not name.strip():
        return None
    kind = next((t for p, t in _REGISTRIES.items() if url.rstrip("/").startswith(p)), None)
    if kind is None:
        return None
    namespace, pkg = None, name.strip()
    if kind == "maven" and ":" in pkg:
        namespace, pkg = pkg.split(":", 1)
    elif kind in ("npm", "golang", "composer", "docker") and "/" in pkg:
        namespace, pkg = pkg.rsplit("/", 1)
    elif kind == "rpm":
        namespace = "redhat"
    try:
        return PackageURL(type=kind, namespace=namespace, name=pkg).to_string()
    except ValueError:
        return None


def _branch(seg: Segment) -> str | None:
    """'7.2' for 7.2.0-7.2.6: the leading segments both bounds share (not the last one)."""
    if seg.lo is None or seg.hi is None:
        return None
    lo, hi = seg.lo.split("."), seg.hi.split(".")
    common = []
    for a, b in zip(lo[:-1], hi[:-1], strict=False):
        if a != b:
            break
        common.append(a)
    return ".".join(common) or None


def _inside(version: str, seg: Segment) -> bool:
    lo_ok = seg.lo is None or compare(version, seg.lo) >= (0 if seg.lo_incl else 1)
    hi_ok = seg.hi is None or compare(version, seg.hi) <= (0 if seg.hi_incl else -1)
    return lo_ok and hi_ok


def _fixed(seg: Segment, element: Element, candidates: list[str]) -> str | None:
    if seg.status != "affected" or seg.exact or seg.note in _NO_FIX:
        return None  # a "5.x" branch's end is not a fix
    if seg.hi is not None and not seg.hi_incl:
        return seg.hi
    if seg.hi is None:
        return None
    branch = _branch(seg)
    good = []
    for raw in candidates:
        c = read_version(raw)
        if c is None or compare(c, seg.hi) <= 0:
            continue
        if branch and not (c == branch or c.startswith(branch + ".")):
            continue
        if any(s.status != "unaffected" and _inside(c, s) for s in element.segments):
            continue
        good.append(c)
    return min(good, key=cmp_to_key(compare)) if good else None


def _element_products(
    element: dict[str, Any], entry: str, who: str, candidates: dict[str, list[str]]
) -> list[AffectedProduct]:
    vendor, product = _name(element.get("vendor")), _name(element.get("product"))
    product = product or _name(element.get("packageName"))
    if not product:
        return []
    versions = element.get("versions")
    read = element_segments(
        versions if isinstance(versions, list) else [], element.get("defaultStatus")
    )
    if not read.segments and read.raw and all(r.text.lower() in _NO_VERSION for r in read.raw):
        # "Exchange Server 2016 Cumulative Update 23", version "N/A": that update's builds
        if (b := cve_forms.update_builds(vendor, product)) is not None:
            seg = Segment(*b, read.raw[0].status, cve_forms.BUILDS_NOTE)
            read = replace(read, segments=(seg,), raw=())
    base = AffectedProduct(vendor, product, cpe=_cpe(element), purl=_purl(element))
    label = f"CVE record ({who})"
    out = []
    above = [seg for seg in read.segments if seg.note == cve_forms.ABOVE_NOTE]
    for j, seg in enumerate(read.segments):
        if seg.note == cve_forms.ABOVE_NOTE:
            continue  # no entry of its own: it bounds the default below (another element's
            # range, SharePoint 2019's beside 2016's, must not be overruled by an inference)
        tail = {"affected": "", "unaffected": " (not affected)", "unknown": " (status unknown)"}
        note = f"; read as {seg.note}" if seg.note in _NOTES else ""
        out.append(
            replace(
                base,
                versions=seg.vers(),
                status=_STATUS[seg.status],
                fixed_version=_fixed(seg, read, candidates.get(product, [])),
                entry=f"{entry}.versions[{j}]",
                evidence=f"{label}: {seg.text()}{tail[seg.status]}{note}",
            )
        )
    for k, raw in enumerate(read.raw):
        if raw.status != "unaffected":
            out.append(
                replace(
                    base,
                    versions=None,
                    status=_STATUS[raw.status],
                    entry=f"{entry}.raw[{k}]",
                    evidence=f'{label}: "{raw.text[:200]}" (no version range)',
                )
            )
    if read.default != "unaffected":
        out.append(_default_product(base, read, above, f"{entry}.defaultStatus", label))
    return out


def _default_product(
    base: AffectedProduct, read: Element, above: list[Segment], entry: str, label: str
) -> AffectedProduct:
    """The entry for the versions no entry lists: every version, or, where the record has no
    defaultStatus and reads as not affected above its ranges, only those below that; where
    the product name names one update, only the other builds of its own release line."""
    status = read.default
    versions = "vers:generic/*" if status == "affected" else None
    evidence = f"{label}: other versions {status}"
    builds = [seg for seg in read.segments if seg.note == cve_forms.BUILDS_NOTE]
    if above and status == "unknown":
        first = above[0]
        versions = f"vers:generic/{'<' if first.lo_incl else '<='}{first.lo}"
        evidence = (
            f"{label}: versions it does not list are unknown below {first.lo} and "
            f"read as not affected from {first.lo} on (no defaultStatus)"
        )
    elif builds and status == "unknown" and builds[0].lo:
        # "Exchange Server 2016 Cumulative Update 23": what the entry leaves unknown is the
        # other builds of its own release line (15.1), not Exchange 2019's 15.2 builds.
        line = ".".join(builds[0].lo.split(".")[:2])
        versions = f"vers:generic/>={line}|<{cve_forms.next_line(line)}"
        evidence = (
            f"{label}: other builds of the {line} line unknown (the product name names one update)"
        )
    return replace(base, versions=versions, status=_STATUS[status], entry=entry, evidence=evidence)


def _container_products(
    container: dict[str, Any], cve: str, where: str, who: str, cna: dict[str, Any], fallback: str
) -> list[AffectedProduct]:
    elements = container.get("affected")
    elements = [e for e in elements if isinstance(e, dict)] if isinstance(elements, list) else []
    names = [_name(e.get("product")) or _name(e.get("packageName")) for e in elements]
    candidates = fix_candidates(cna, [n for n in names if n])
    out: list[AffectedProduct] = []
    for i, element in enumerate(elements):
        element_who = who or _name(element.get("vendor")) or fallback
        out.extend(
            _element_products(element, f"{cve} {where}.affected[{i}]", element_who, candidates)
        )
    return out


def _english(items: Any) -> str:
    texts = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    texts.sort(key=lambda i: not _text(i.get("lang")).lower().startswith("en"))
    return str(texts[0].get("value") or "").strip() if texts else ""


def _cisa(adps: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next(
        (a for a in adps if "CISA" in str((a.get("providerMetadata") or {}).get("shortName"))), None
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_record(record: Any, source: str = "cve") -> Advisory:
    """A CVE JSON 5.x record (dict) -> Advisory; ParseError if it is not one."""
    meta = _dict(record.get("cveMetadata") if isinstance(record, dict) else None)
    cve = _text(meta.get("cveId")).upper()
    if not CVE_ID.match(cve):
        raise ParseError("not a CVE JSON 5 record (no cveMetadata.cveId)")
    containers = _dict(record.get("containers"))
    cna = _dict(containers.get("cna"))
    state = _text(meta.get("state")).upper()
    cna_name = _text(meta.get("assignerShortName")) or _text(
        _dict(cna.get("providerMetadata")).get("shortName")
    )
    revision = _text(meta.get("dateUpdated")) or None
    base = Advisory(
        source=source,
        source_id=cve,
        title=cve,
        url=f"https://www.cve.org/CVERecord?id={cve}",
        published=_date(meta.get("datePublished")),
        updated=_date(meta.get("dateUpdated")),
        cves=(cve,),
        tlp=TLP.CLEAR,
        structured=True,
        revision=revision,
        extra={"cna": cna_name, "state": state, "date_updated": revision},
    )
    if state == "REJECTED":
        reason = _english(cna.get("rejectedReasons"))
        return replace(
            base, title=f"{cve} (rejected)", summary=reason[:SUMMARY_MAX], withdrawn=True
        )
    if not cna:
        raise ParseError(f"{cve}: published record without a CNA container")
    adps = [a for a in containers.get("adp") or [] if isinstance(a, dict)]
    return _published(base, record, cna, adps)


def _published(
    base: Advisory, record: dict[str, Any], cna: dict[str, Any], adps: list[dict[str, Any]]
) -> Advisory:
    cve, extra = base.source_id, dict(base.extra)
    products = _container_products(cna, cve, "cna", "", cna, extra["cna"])
    extra["adp_affected"] = False
    if not any(p.versions for p in products) and (cisa := _cisa(adps)) is not None:
        adp_products = _container_products(cisa, cve, "adp", "CISA ADP", cna, extra["cna"])
        if any(p.versions for p in adp_products):
            products, extra["adp_affected"] = products + adp_products, True
    facts = ssvc_facts(record)
    cvss = cvss_facts(cna, adps)
    extra["ssvc"] = facts.to_json()
    extra["cvss_all"] = list(cvss.all)
    if cvss.note:
        extra["cvss_note"] = cvss.note
    extra["unreadable"] = [
        p.evidence for p in products if p.versions is None and ".raw[" in p.entry
    ][:20]
    summary = _english(cna.get("descriptions"))
    title = _text(cna.get("title")) or (summary.split(". ")[0][:200] if summary else cve)
    return replace(
        base,
        title=title,
        summary=summary[:SUMMARY_MAX],
        cvss=cvss.score,
        cvss_vector=cvss.vector,
        exploited=facts.exploited,
        products=tuple(products),
        remediations=remediations(cna),
        extra=extra,
    )


def parse_record_bytes(
    doc: bytes, source: str = "cve", max_bytes: int = MAX_RECORD_BYTES
) -> Advisory:
    """Bytes -> Advisory; ParseError for oversized, non-JSON or non-record input."""
    if len(doc) > max_bytes:
        raise ParseError(f"CVE record over the cap of {max_bytes} bytes")
    return parse_record(load_json(doc), source)
