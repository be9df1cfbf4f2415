"""A published advisory -> a CSAF 2.0 ``csaf_security_advisory`` document (pure).

``csaf_document(adv, publisher, self_url)`` returns the document as a dict; RED is never
written (`NotExportable`), nor an advisory without affected products (the security-advisory
profile needs a product tree and a product status, CSAF 2.0 §4.5 and test 6.1.27.4/6).

- product_tree: branches vendor -> product_name -> product_version_range (the draft's range
  as ``vers:``, prose forms converted as the draft loader reads them; none = every version, a leaf on the product
  itself) and one product_version leaf per fixed version. Product ids ``CSAFPID-0001``... in
  the order the draft lists them;
- one vulnerability per CVE (one without a CVE when there is none), each with notes, the
  product_status (``known_affected`` ranges, ``fixed`` versions), remediations (``vendor_fix``
  naming the fixed version, one ``mitigation`` per recommended action) and, when exploited,
  a ``threats`` entry of category ``exploit_status``;
- document: notes (summary, details) in bokmål (``lang: nb``), TLP (CSAF 2.0 knows TLP 1
  labels: CLEAR is written WHITE, AMBER+STRICT is AMBER with the stricter marking in
  ``distribution.text``, which certbot's CSAF source reads back), the publisher, tracking
  (id, version = revision, status ``final``) and the revision history.

Withdrawal: CSAF 2.0 has no withdrawn status and reserves every ``csaf_`` category, so a
withdrawn advisory is a new final revision that keeps its tracking id and content, adds a
revision-history entry for the withdrawal and a ``description`` note titled ``Reasoning for
Withdrawal`` (the marker CSAF 2.1's withdrawn profile defines), and ``TRUKKET TILBAKE:`` in
front of the title. certbot's CSAF source reads that note as a withdrawal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from certbot.publish.draft import Draft, Product, PublishedAdvisory
from certbot.publish.load import range_of

WITHDRAWN_NOTE = "Reasoning for Withdrawal"
TLP_URL = "https://www.first.org/tlp/"
#: Per label the team may publish: the CSAF 2.0 label (TLP 1.0 names) and the sharing text.
CSAF_TLP = {
    "CLEAR": ("WHITE", "TLP:CLEAR. Kan deles fritt."),
    "GREEN": ("GREEN", "TLP:GREEN. Kan deles innen kommunesektoren, ikke offentlig."),
    "AMBER": (
        "AMBER",
        "TLP:AMBER. Bare til kommunen det gjelder og dem som trenger det for å handle.",
    ),
    "AMBER+STRICT": ("AMBER", "TLP:AMBER+STRICT. Bare innen kommunen det gjelder."),
}


class NotExportable(ValueError):
    """The advisory cannot be (or must not be) written as a CSAF document."""


@dataclass(frozen=True)
class Publisher:
    name: str
    namespace: str  # the publisher's web site (a URL)
    category: str = "coordinator"
    contact_details: str | None = None
    issuing_authority: str | None = None

    def as_csaf(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "category": self.category,
            "name": self.name,
            "namespace": self.namespace,
        }
        if self.contact_details:
            out["contact_details"] = self.contact_details
        if self.issuing_authority:
            out["issuing_authority"] = self.issuing_authority
        return out


def file_name(tracking_id: str) -> str:
    """CSAF 2.0 §5.1: lower case, every character other than ``+ - a-z 0-9`` as ``_``."""
    return (
        "".join(
            c if c.isascii() and (c.isalnum() or c in "+-") else "_" for c in tracking_id.lower()
        )
        + ".json"
    )


def _stamp(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def vers_range(p: Product) -> str | None:
    """The product's range as ``vers:`` (a prose form such as "7.2.0 til 7.2.6" is converted
    the way the draft loader reads it), None for every version; the text as written when it
    cannot be read (the loader refuses such drafts before they are published)."""
    try:
        return range_of(p)
    except ValueError:
        return p.versions


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"CSAFPID-{self.n:04d}"


@dataclass
class _Built:
    tree: list[dict[str, Any]]
    affected: list[str]
    fixed: list[str]
    fixes: list[tuple[list[str], str, str]]  # (affected ids, fixed version, product text)


def _leaf(name: str, pid: str) -> dict[str, Any]:
    return {"name": name, "product_id": pid}


def _product_branches(p: Product, ids: _Ids, built: _Built) -> list[dict[str, Any]]:
    """The product_name branch(es) of one product. A branch holds a product or sub-branches,
    never both, so a product affected in every version (a leaf on the product_name itself)
    gets its fixed versions in a second product_name branch of the same name."""
    full = f"{p.vendor} {p.product}"
    versions = vers_range(p)
    helper = {k: v for k, v in (("cpe", p.cpe), ("purl", p.purl)) if v}
    affected_id = ids.next()
    built.affected.append(affected_id)
    leaf = _leaf(f"{full} {versions}" if versions else full, affected_id)
    if helper:
        leaf["product_identification_helper"] = helper
    children: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    if versions:
        children.append({"category": "product_version_range", "name": versions, "product": leaf})
    else:
        out.append({"category": "product_name", "name": p.product, "product": leaf})
    for version in p.fixed:
        fid = ids.next()
        children.append(
            {
                "category": "product_version",
                "name": version,
                "product": _leaf(f"{full} {version}", fid),
            }
        )
        built.fixed.append(fid)
        built.fixes.append(([affected_id], version, full))
    if children:
        out.append({"category": "product_name", "name": p.product, "branches": children})
    return out


def product_tree(draft: Draft) -> _Built:
    """The branches for the draft's products (one vendor branch per vendor, in order)."""
    ids, built = _Ids(), _Built([], [], [], [])
    vendors: dict[str, dict[str, Any]] = {}
    for p in draft.products:
        vendor = vendors.get(p.vendor)
        if vendor is None:
            vendor = vendors[p.vendor] = {"category": "vendor", "name": p.vendor, "branches": []}
            built.tree.append(vendor)
        vendor["branches"].extend(_product_branches(p, ids, built))
    return built


def _remediations(draft: Draft, built: _Built) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "category": "vendor_fix",
            "details": f"Oppgrader {product} til versjon {version} eller nyere.",
            "product_ids": affected,
        }
        for affected, version, product in built.fixes
    ]
    out += [
        {"category": "mitigation", "details": action, "product_ids": list(built.affected)}
        for action in draft.actions
    ]
    return out


def _vulnerability(draft: Draft, built: _Built, cve: str | None) -> dict[str, Any]:
    status: dict[str, list[str]] = {"known_affected": list(built.affected)}
    if built.fixed:
        status["fixed"] = list(built.fixed)
    vuln: dict[str, Any] = {
        "notes": [{"category": "description", "title": "Beskrivelse", "text": draft.summary}],
        "product_status": status,
        "title": draft.title,
    }
    if cve is not None:
        vuln = {"cve": cve, **vuln}
    remediations = _remediations(draft, built)
    if remediations:
        vuln["remediations"] = remediations
    if draft.exploited:
        vuln["threats"] = [
            {
                "category": "exploit_status",
                "details": "Utnyttet aktivt (exploited in the wild).",
                "product_ids": list(built.affected),
            }
        ]
    if draft.cvss is not None:
        vuln["notes"].append(
            {"category": "other", "title": "CVSS", "text": f"CVSS-score {draft.cvss:g}"}
        )
    return vuln


def _notes(adv: PublishedAdvisory) -> list[dict[str, Any]]:
    draft = adv.draft
    notes = [{"category": "summary", "title": "Sammendrag", "text": draft.summary}]
    if draft.details.strip():
        notes.append({"category": "details", "title": "Detaljer", "text": draft.details})
    if draft.actions:
        text = "\n".join(f"- {a}" for a in draft.actions)
        notes.append({"category": "general", "title": "Anbefalte tiltak", "text": text})
    if adv.status == "withdrawn":
        reason = adv.withdraw_reason or "Varselet er trukket tilbake av utgiveren."
        notes.append({"category": "description", "title": WITHDRAWN_NOTE, "text": reason})
    return notes


def _history(adv: PublishedAdvisory) -> list[dict[str, Any]]:
    entries = {r.number: r for r in adv.history}
    out = [
        {"date": _stamp(r.date), "number": str(r.number), "summary": r.summary}
        for r in sorted(entries.values(), key=lambda r: r.number)
    ]
    if adv.revision not in entries:  # the record's own revision is always in the history
        summary = "Trukket tilbake" if adv.status == "withdrawn" else "Ny versjon"
        out.append({"date": _stamp(adv.current), "number": str(adv.revision), "summary": summary})
    return out


def _references(adv: PublishedAdvisory, self_url: str) -> list[dict[str, Any]]:
    refs = [{"category": "self", "summary": f"Denne CSAF-filen ({adv.id})", "url": self_url}]
    refs += [
        {"category": "external", "summary": "Referanse", "url": u}
        for u in adv.draft.references
        if u.startswith(("http://", "https://"))
    ]
    return refs


def csaf_document(adv: PublishedAdvisory, publisher: Publisher, self_url: str) -> dict[str, Any]:
    """The CSAF 2.0 document for the advisory's current revision (see the module docstring)."""
    draft = adv.draft
    if draft.tlp == "RED":
        raise NotExportable(f"{adv.id} is TLP:RED and is never written to the provider")
    if not draft.products:
        raise NotExportable(
            f"{adv.id} names no affected product (a CSAF security advisory needs a product tree)"
        )
    built = product_tree(draft)
    title = draft.title if adv.status == "current" else f"TRUKKET TILBAKE: {draft.title}"
    label, text = CSAF_TLP[draft.tlp]
    distribution = {"text": text, "tlp": {"label": label, "url": TLP_URL}}
    document: dict[str, Any] = {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "distribution": distribution,
        "lang": "nb",
        "notes": _notes(adv),
        "publisher": publisher.as_csaf(),
        "references": _references(adv, self_url),
        "title": title,
        "tracking": {
            "current_release_date": _stamp(adv.current),
            "generator": {"engine": {"name": "kommune-certbot"}},
            "id": adv.id,
            "initial_release_date": _stamp(adv.initial),
            "revision_history": _history(adv),
            "status": "final",
            "version": str(adv.revision),
        },
    }
    cves: list[str | None] = list(dict.fromkeys(draft.cves)) or [None]
    return {
        "document": document,
        "product_tree": {"branches": built.tree},
        "vulnerabilities": [_vulnerability(draft, built, cve) for cve in cves],
    }
