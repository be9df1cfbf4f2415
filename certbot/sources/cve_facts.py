"""What a CVE JSON 5 record says besides its version ranges (pure, dict in).

- `ssvc_facts(record) -> SsvcFacts`: the ADP containers' SSVC decision points (CISA's
  "Vulnrichment": Exploitation none/poc/active, Automatable yes/no, Technical Impact
  partial/total; values compared case-insensitively, since CISA writes "Active" and "active")
  and the KEV marker (``metrics[].other.type == "kev"``, with ``dateAdded``). Metric order is
  not fixed in real records; a KEV marker without SSVC and SSVC without KEV both occur.
- `cvss_facts(cna, adps) -> CvssFacts`: the CNA's CVSS 4.0 / 3.1 / 3.0 / 2.0 vectors first, the
  ADPs' when the CNA has none. The score is always computed from the vector with the ``cvss``
  library; a stated ``baseScore`` that differs is reported in ``note`` (Fortinet states 9.6,
  the temporal score, for a vector whose base score is 9.8).
- `remediations(cna, products)`: ``solutions[]`` -> ``vendor_fix`` and ``workarounds[]`` ->
  ``workaround`` `Remediation`s, one per line, the CNA's English text kept as written (the
  renderer labels it as a quote). A line with a fix phrase ("upgrade to FortiOS version 7.2.7
  or above", "fixed in PAN-OS 10.2.9-h1", "update to 12.1 or later") gets its first version as
  ``fixed_version``. `fix_candidates` gives every such version per product for
  `cve_parse.fixed_for`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from certbot.model import Remediation
from certbot.sources import scoring

TEXT_MAX = 2000
_EXPLOITATION = {"none", "poc", "active"}
_IMPACT = {"partial", "total"}
_CVSS_KEYS = ("cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0")
_FIX_CUE = re.compile(
    r"\b(?:upgrad\w*|updat\w*|fixed|patched|resolved|addressed|remediated)\b"
    r"(?:\s+\w+){0,6}?\s+(?:to|in|with)\b",
    re.IGNORECASE,
)
_VERSION = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)+(?:[-_][A-Za-z]*\d+\w*)?)(?!\w)")


@dataclass(frozen=True, slots=True)
class SsvcFacts:
    """CISA's SSVC decision points and KEV marker for one CVE. None: the record does not say."""

    exploitation: str | None = None  # "none" | "poc" | "active"
    automatable: bool | None = None
    technical_impact: str | None = None  # "partial" | "total"
    kev: bool = False
    kev_date_added: str | None = None
    timestamp: str | None = None
    provider: str | None = None  # the ADP's shortName, e.g. "CISA-ADP"

    @property
    def exploited(self) -> bool:
        return self.kev or self.exploitation == "active"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SsvcFacts:
        return cls(
            exploitation=data.get("exploitation"),
            automatable=data.get("automatable"),
            technical_impact=data.get("technical_impact"),
            kev=bool(data.get("kev")),
            kev_date_added=data.get("kev_date_added"),
            timestamp=data.get("timestamp"),
            provider=data.get("provider"),
        )


def _lower(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _options(content: dict[str, Any]) -> dict[str, str]:
    """SSVC ``options`` is a list of one-key dicts; read it into one lower-cased dict."""
    out: dict[str, str] = {}
    opts = content.get("options")
    for opt in opts if isinstance(opts, list) else []:
        if isinstance(opt, dict):
            for key, value in opt.items():
                out[_lower(key)] = _lower(value)
    return out


def _adp_metrics(adp: dict[str, Any]) -> list[dict[str, Any]]:
    metrics = adp.get("metrics")
    return [m for m in metrics if isinstance(m, dict)] if isinstance(metrics, list) else []


def ssvc_facts(record: dict[str, Any]) -> SsvcFacts:
    """The SSVC facts of a record (CISA's ADP first, then any other ADP that has them)."""
    containers = record.get("containers") if isinstance(record, dict) else None
    adps = containers.get("adp") if isinstance(containers, dict) else None
    adps = [a for a in adps if isinstance(a, dict)] if isinstance(adps, list) else []
    adps.sort(key=lambda a: _provider(a) != "CISA-ADP")
    found: dict[str, Any] = {}
    for adp in adps:
        for metric in _adp_metrics(adp):
            other = metric.get("other")
            if not isinstance(other, dict) or not isinstance(other.get("content"), dict):
                continue
            kind, content = _lower(other.get("type")), other["content"]
            if kind == "ssvc" and "exploitation" not in found:
                opts = _options(content)
                found["exploitation"] = opts.get("exploitation")
                found["automatable"] = opts.get("automatable")
                found["technical_impact"] = opts.get("technical impact")
                found["timestamp"] = content.get("timestamp")
                found["provider"] = _provider(adp)
            elif kind == "kev" and "kev" not in found:
                found["kev"] = True
                added = content.get("dateAdded")
                found["kev_date_added"] = added if isinstance(added, str) else None
    auto = found.get("automatable")
    return SsvcFacts(
        exploitation=found.get("exploitation")
        if found.get("exploitation") in _EXPLOITATION
        else None,
        automatable={"yes": True, "no": False}.get(auto) if isinstance(auto, str) else None,
        technical_impact=found.get("technical_impact")
        if found.get("technical_impact") in _IMPACT
        else None,
        kev=bool(found.get("kev")),
        kev_date_added=found.get("kev_date_added"),
        timestamp=found.get("timestamp") if isinstance(found.get("timestamp"), str) else None,
        provider=found.get("provider"),
    )


def _provider(container: dict[str, Any]) -> str:
    meta = container.get("providerMetadata")
    name = meta.get("shortName") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


@dataclass(frozen=True, slots=True)
class CvssFacts:
    score: float | None = None
    vector: str | None = None
    provider: str | None = None
    note: dict[str, Any] | None = None  # stated vs computed, when they disagree
    all: tuple[dict[str, Any], ...] = ()  # every vector read: provider, vector, score


def _vectors(container: dict[str, Any]) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    metrics = container.get("metrics")
    for metric in metrics if isinstance(metrics, list) else []:
        for key in _CVSS_KEYS:
            data = metric.get(key) if isinstance(metric, dict) else None
            if isinstance(data, dict) and isinstance(data.get("vectorString"), str):
                out.append((key, data["vectorString"], data.get("baseScore")))
    out.sort(key=lambda t: _CVSS_KEYS.index(t[0]))
    return out


def cvss_facts(cna: dict[str, Any], adps: list[dict[str, Any]]) -> CvssFacts:
    """The CNA's best-versioned CVSS vector (4.0 before 3.x), else an ADP's; score from the vector."""
    read: list[dict[str, Any]] = []
    for container in [cna, *adps]:
        for _, vector, stated in _vectors(container):
            score = scoring.from_vector(vector)
            if score is not None:
                read.append(
                    {
                        "provider": _provider(container),
                        "vector": vector,
                        "score": score,
                        "stated": stated,
                    }
                )
    if not read:
        return CvssFacts()
    best = read[0]
    stated = best["stated"]
    note = None
    if isinstance(stated, int | float) and not isinstance(stated, bool):
        if abs(float(stated) - best["score"]) > 0.05:
            note = {"stated": float(stated), "computed": best["score"], "vector": best["vector"]}
    return CvssFacts(
        best["score"],
        best["vector"],
        best["provider"],
        note,
        tuple({k: v for k, v in r.items() if k != "stated"} for r in read),
    )


def _lines(items: Any) -> list[str]:
    out: list[str] = []
    for item in items if isinstance(items, list) else []:
        value = item.get("value") if isinstance(item, dict) else None
        lang = _lower(item.get("lang")) if isinstance(item, dict) else ""
        if isinstance(value, str) and (not lang or lang.startswith("en")):
            out.extend(line.strip() for line in re.split(r"\n+", value) if line.strip())
    return out


def fix_versions(sentence: str) -> list[str]:
    """The versions a fix phrase in ``sentence`` names ("upgrade to 7.2.7 or above" -> 7.2.7)."""
    cue = _FIX_CUE.search(sentence)
    if not cue:
        return []
    return _VERSION.findall(sentence[cue.start() :])


def fix_candidates(cna: dict[str, Any], names: list[str]) -> dict[str, list[str]]:
    """product name -> the fixed versions the solutions name for it. A sentence that names no
    product of ``names`` counts for all; one that names several, for the longest match only
    ("FortiOS-6K7K" is not "FortiOS")."""
    out: dict[str, list[str]] = {n: [] for n in names}
    for line in _lines(cna.get("solutions")):
        for sentence in re.split(r"(?<=[.;])\s+", line):
            versions = fix_versions(sentence)
            if not versions:
                continue
            low = sentence.lower()
            named = [
                n for n in names if n and re.search(rf"\b{re.escape(n.lower())}(?![\w-])", low)
            ]
            targets = [max(named, key=len)] if named else names
            for t in targets:
                out[t].extend(v for v in versions if v not in out[t])
    return out


def remediations(cna: dict[str, Any]) -> tuple[Remediation, ...]:
    """``solutions[]`` and ``workarounds[]`` -> Remediations, one per line of CNA text."""
    out: list[Remediation] = []
    for category, key in (("vendor_fix", "solutions"), ("workaround", "workarounds")):
        for line in _lines(cna.get(key)):
            fixed = fix_versions(line) if category == "vendor_fix" else []
            out.append(Remediation(category, line[:TEXT_MAX], None, fixed[0] if fixed else None))
    return tuple(dict.fromkeys(out))
