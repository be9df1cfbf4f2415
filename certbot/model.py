"""The domain objects that flow from feed to message.

One advisory travels as:

    Fetched (bytes) -> Advisory (one source's view) -> Case (all sources' views merged)
    -> Match (case x municipality x inventory item) -> Decision (priority, deadline, actions)
    -> Notification (what a channel renders) -> Payload (what a channel sends)

Everything here is plain data: no I/O, no database, no SDK. The two ordered scales, `TLP`
and `Priority`, live in `certbot.levels` and are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from certbot.frozen import quick_init
from certbot.levels import TLP, Priority
from certbot.plain import plain

__all__ = [
    "RULE_CONFIDENCE",
    "TLP",
    "Advisory",
    "Affected",
    "AffectedProduct",
    "Case",
    "Decision",
    "Fetched",
    "Match",
    "MatchRule",
    "Notification",
    "Priority",
    "ProductStatus",
    "Remediation",
]

ProductStatus = Literal["affected", "not_affected", "fixed", "under_investigation"]


@quick_init
@dataclass(frozen=True, slots=True)
class AffectedProduct:
    """One product entry an advisory names.

    ``versions`` is a `vers:` range string (``vers:generic/>=7.0|<7.2.9``), or None when the
    advisory gives no version information ("all versions" or unknown). ``entry`` says where in
    the source document the entry came from (a CSAF product_id, a KEV cveID, an NVD cpeMatch),
    so `explain` can point at it.
    """

    vendor: str
    product: str
    versions: str | None = None
    cpe: str | None = None
    purl: str | None = None
    status: ProductStatus = "affected"
    fixed_version: str | None = None
    entry: str = ""
    evidence: str = ""  # the record range or prose sentence the versions came from


@quick_init
@dataclass(frozen=True, slots=True)
class Remediation:
    """A thing to do: vendor_fix, workaround, mitigation, none_available, no_fix_planned,
    required_action (KEV)."""

    category: str
    text: str
    url: str | None = None
    fixed_version: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Advisory:
    """One source's view of one advisory, as its parser produced it."""

    source: str  # feed id
    source_id: str  # guid, cveID, CSAF tracking id, STIX id
    title: str
    summary: str = ""
    url: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    cves: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # GHSA, vendor ids...
    tlp: TLP | None = TLP.CLEAR  # None = missing/unknown label (routed as RED)
    language: str = "en"
    cvss: float | None = None
    cvss_vector: str | None = None
    exploited: bool = False
    ransomware: bool = False
    due_date: date | None = None
    products: tuple[AffectedProduct, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    structured: bool = False  # False = prose: text matching applies
    revision: str | None = None  # the source's own version marker, if any
    withdrawn: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"

    def identities(self) -> list[str]:
        """Ids under which other sources may know this advisory (for merging into a case)."""
        return [*self.cves, *self.aliases]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = plain(self)
        for k in ("published", "updated", "due_date"):
            if data[k] is not None:
                data[k] = data[k].isoformat()
        data["tlp"] = None if self.tlp is None else self.tlp.name
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Advisory:
        d = dict(data)
        for k in ("published", "updated"):
            if d.get(k):
                d[k] = datetime.fromisoformat(d[k])
        if d.get("due_date"):
            d["due_date"] = date.fromisoformat(d["due_date"])
        d["tlp"] = None if d.get("tlp") is None else TLP[d["tlp"]]
        d["cves"] = tuple(d.get("cves", ()))
        d["aliases"] = tuple(d.get("aliases", ()))
        d["products"] = tuple(AffectedProduct(**p) for p in d.get("products", ()))
        d["remediations"] = tuple(Remediation(**r) for r in d.get("remediations", ()))
        return cls(**d)

    def content_hash(self, data: dict[str, Any] | None = None) -> str:
        """Stable hash of what the advisory says (ignores fetch-time noise). ``data`` is this
        advisory's own `to_json()` when the caller has it already (it is not changed)."""
        data = dict(self.to_json() if data is None else data)
        data.pop("extra", None)
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(slots=True)
class Case:
    """All sources' views of one vulnerability or advisory, merged.

    The case is what municipalities are alerted about: the same CVE from NSM RSS, KEV and a
    CSAF document is one case and one alert per municipality.
    """

    id: str
    advisories: list[Advisory]
    revision: int = 1
    enrichment: dict[str, Any] = field(default_factory=dict)  # epss, nvd products...

    @property
    def primary(self) -> Advisory:
        # The most structured, then the earliest-known view gives the title.
        return sorted(self.advisories, key=lambda a: (not a.structured, a.source, a.source_id))[0]

    @property
    def title(self) -> str:
        return self.primary.title

    @property
    def cves(self) -> tuple[str, ...]:
        return tuple(sorted({c for a in self.advisories for c in a.cves}))

    @property
    def tlp(self) -> TLP | None:
        """The most restrictive label of any source; None if any source's label is unknown."""
        labels = [a.tlp for a in self.advisories]
        if any(t is None for t in labels):
            return None
        return max(t for t in labels if t is not None)

    @property
    def effective_tlp(self) -> TLP:
        return TLP.RED if self.tlp is None else self.tlp

    @property
    def exploited(self) -> bool:
        return any(a.exploited for a in self.advisories)

    @property
    def ransomware(self) -> bool:
        return any(a.ransomware for a in self.advisories)

    @property
    def cvss(self) -> float | None:
        scores = [a.cvss for a in self.advisories if a.cvss is not None]
        if self.enrichment.get("nvd_cvss") is not None:
            scores.append(float(self.enrichment["nvd_cvss"]))
        return max(scores) if scores else None

    @property
    def epss(self) -> float | None:
        value = self.enrichment.get("epss")
        return float(value) if value is not None else None

    @property
    def due_date(self) -> date | None:
        dates = [a.due_date for a in self.advisories if a.due_date is not None]
        return min(dates) if dates else None

    @property
    def withdrawn(self) -> bool:
        # A REJECTED CVE record withdraws the case whatever else still names the CVE.
        if any(a.withdrawn and a.extra.get("state") == "REJECTED" for a in self.advisories):
            return True
        return bool(self.advisories) and all(a.withdrawn for a in self.advisories)

    @property
    def products(self) -> list[tuple[Advisory, AffectedProduct]]:
        out = [(a, p) for a in self.advisories for p in a.products]
        if nvd := self.enrichment.get("products", ()):  # NVD's own view, not the CVE record's
            view = Advisory("nvd", self.id, self.title, structured=True)
            out += [(view, AffectedProduct(**p)) for p in nvd]
        return out

    @property
    def remediations(self) -> list[Remediation]:
        seen: dict[tuple[str, str], Remediation] = {}
        for a in self.advisories:
            for r in a.remediations:
                seen.setdefault((r.category, r.text), r)
        return list(seen.values())

    @property
    def urls(self) -> list[str]:
        return list(dict.fromkeys(a.url for a in self.advisories if a.url))

    @property
    def sources(self) -> list[str]:
        return sorted({a.source for a in self.advisories})


MatchRule = Literal["cpe", "purl", "product_version", "product_no_version", "text"]

RULE_CONFIDENCE: dict[str, str] = {
    "cpe": "high",
    "purl": "high",
    "product_version": "high",
    "product_no_version": "medium",
    "text": "low",
}


Affected = Literal["confirmed", "possible", "not_affected"]
VERSIONED_RULES = frozenset({"cpe", "purl", "product_version"})


@dataclass(frozen=True, slots=True)
class Match:
    """A case concerns a municipality through one inventory item, by one rule.

    ``affected`` is the verdict (DOMAIN.md "Matching"): "confirmed" when a range from a
    structured source (CSAF, CVE record, STIX...) or a prose sentence contains the declared
    version, "possible" when the product matches but no source decides the version,
    "not_affected" (explain only; nothing is sent) when a range excludes it. Left None, it
    follows the rule (a versioned rule confirms). ``version_source`` names the kind of source
    that decided ("cve", "csaf", "prose"...; None when none did) and ``decided_by`` its
    evidence ("CVE record (Fortinet): 7.2.0 ≤ v ≤ 7.2.6").
    """

    case_id: str
    subscriber_id: str
    item: str  # the inventory item's display name, e.g. "Fortinet FortiOS 7.2.4"
    item_index: int
    rule: MatchRule
    source: str  # which feed the matching product entry came from
    entry: str  # which product entry (CSAF product_id, KEV cveID, "title"...)
    detail: str = ""  # e.g. "7.2.4 in vers:generic/<7.2.9"
    affected: Affected | None = None
    version_source: str | None = None
    decided_by: str = ""

    @property
    def verdict(self) -> Affected:
        if self.affected is not None:
            return self.affected
        return "confirmed" if self.rule in VERSIONED_RULES else "possible"

    @property
    def confirmed(self) -> bool:
        return self.verdict == "confirmed"

    @property
    def confidence(self) -> str:
        if self.verdict == "confirmed":  # prose confirms, but less surely than a range
            return "medium" if self.rule == "text" else "high"
        return "medium" if self.rule in VERSIONED_RULES else RULE_CONFIDENCE[self.rule]

    def summary(self) -> dict[str, str | None]:
        """What a message and `explain` show of a match."""
        return {
            "item": self.item,
            "rule": self.rule,
            "confidence": self.confidence,
            "source": self.source,
            "entry": self.entry,
            "detail": self.detail,
            "affected": self.verdict,
            "version_source": self.version_source,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """What the priority model decided for one (case, municipality)."""

    priority: Priority
    deadline: datetime | None
    reasons: tuple[str, ...]  # why this priority (localised)
    actions: tuple[str, ...]  # what to do (localised)


@dataclass(slots=True)
class Notification:
    """Everything a channel needs to render one alert (or one digest of alerts)."""

    delivery_id: str
    kind: Literal["alert", "update", "digest", "operator", "test", "reminder", "report"]
    language: str
    subscriber_id: str
    subscriber_name: str
    target_id: str
    tlp: TLP
    priority: Priority | None
    title: str
    case_id: str | None = None
    revision: int | None = None
    cves: list[str] = field(default_factory=list)
    deadline: datetime | None = None
    matched: list[dict[str, str | None]] = field(default_factory=list)  # item, rule, affected..
    reasons: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    summary: str = ""
    changes: list[str] = field(default_factory=list)  # what changed, for updates
    items: list[Notification] = field(default_factory=list)  # for digests
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "kind": self.kind,
            "language": self.language,
            "subscriber_id": self.subscriber_id,
            "subscriber_name": self.subscriber_name,
            "target_id": self.target_id,
            "tlp": self.tlp.name,
            "priority": None if self.priority is None else self.priority.name,
            "title": self.title,
            "case_id": self.case_id,
            "revision": self.revision,
            "cves": list(self.cves),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "matched": list(self.matched),
            "reasons": list(self.reasons),
            "actions": list(self.actions),
            "links": list(self.links),
            "summary": self.summary,
            "changes": list(self.changes),
            "items": [i.to_json() for i in self.items],
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notification:
        d = dict(data)
        d["tlp"] = TLP[d["tlp"]]
        d["priority"] = None if d.get("priority") is None else Priority[d["priority"]]
        d["deadline"] = datetime.fromisoformat(d["deadline"]) if d.get("deadline") else None
        d["items"] = [cls.from_json(i) for i in d.get("items", [])]
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a source's fetch returns: the bytes (None on 304) and the validators to keep."""

    status: int
    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    url: str = ""
    cursor: dict[str, Any] | None = None  # for sources that walk an index (CSAF, TAXII)
    documents: list[bytes] = field(default_factory=list)  # for multi-document sources
    # The documents already parsed by the fetch (CSAF parses each to check it), in order.
    parsed: list[Advisory] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # response headers a source needs

    @property
    def not_modified(self) -> bool:
        return self.status == 304
