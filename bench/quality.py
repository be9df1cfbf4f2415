"""Matching quality over a labelled corpus: precision, recall, KEV recall, verdicts, misses.

Corpus (bench/data, provenance in bench/data/PROVENANCE.md): ``quality-cases.yaml`` (KEV
entries with their CVE JSON 5 records, real CSAF documents, prose written in NSM's and
CERT-EU's style) and ``quality-inventories.yaml`` (six municipal inventories). Labels are
computed per (item, case) by the oracle below (`truth_of`) from the hand-written ``truth``
ranges of each case (written from the CNA record, the CSAF document or the vendor's advisory)
and the item's truth key, never from certbot's own parsers or matcher.

Every case is built from real parser output (`certbot.sources.get_source(kind).parse`,
`certbot.sources.cve_parse.parse_record`) into a `certbot.model.Case` and matched with
`certbot.match.Matcher`. The case's CVE record advisory is added here unless the case already
carries one (`has_cve_record`), so the runner does not double up once the pipeline enriches. Prose cases get no CVE record:
they measure what the prose (and KEV) alone decide.

An alert is any match, confirmed or "possibly affected": both are sent (a "possibly affected"
message is capped at P3, or P2 with active exploitation and open exposure, and asks the
municipality to check its version), so both count in precision and in the alerts on fixed
versions; the precision of "affected" verdicts alone is its own row. A pair whose item
declares no version and whose product the case names is "unknown" and left out of precision
and recall.

python -m bench quality [--quick]     (also a section of ``python -m bench``)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

from bench import csaf_versions
from bench.inventories import DATA, load_six
from certbot.config import FeedConfig, SubscriberConfig
from certbot.match import Matcher
from certbot.model import Advisory, Case, Match
from certbot.priority import is_possible
from certbot.sources import get_source
from certbot.sources.cve_parse import parse_record

ROOT = Path(__file__).resolve().parent.parent
# The shared fixtures beside the checkout (CI lays shared/ next to the clone); optional:
# bench/data holds every record the corpus needs.
FIX = next(
    (p for p in (ROOT.parent / "shared" / "fixtures", Path("/work/shared/fixtures")) if p.exists()),
    ROOT.parent / "shared" / "fixtures",
)
KEV = ROOT / "bench" / "data" / "kev-corpus.json"
CVE_DIRS = (ROOT / "bench" / "data" / "cve5", FIX / "cve5", FIX / "cve5" / "vulnrichment")

# --- the oracle ---------------------------------------------------------------------------


def vkey(v: str) -> tuple[tuple[int, int, str], ...]:
    """An independent version order: numbers numerically, words after numbers ("p1", "R",
    "Patch", "-h"); a shorter version sorts before its extensions (7.2 < 7.2.1)."""
    out = []
    for tok in re.findall(r"\d+|[a-z]+", v.lower()):
        out.append((0, int(tok), "") if tok.isdigit() else (1, 0, tok))
    return tuple(out)


def in_spec(version: str, spec: str) -> bool:
    """Is ``version`` inside one truth form: "*", "A..B", "A..<B", "<B", "<=B", "=A"."""
    v = vkey(version)
    if spec == "*":
        return True
    if spec.startswith("="):
        return v == vkey(spec[1:])
    if spec.startswith("<="):
        return v <= vkey(spec[2:])
    if spec.startswith("<"):
        return v < vkey(spec[1:])
    lo, _, hi = spec.partition("..")
    if hi.startswith("<"):
        return vkey(lo) <= v < vkey(hi[1:])
    return vkey(lo) <= v <= vkey(hi)


def truth_of(key: str, version: str | None, truth: dict[str, list[str]]) -> str:
    """ "affected", "not_affected" (named, version outside), "other" (product not named),
    or "unknown" (named, no version declared)."""
    if key not in truth:
        return "other"
    if version is None:
        return "unknown"
    return "affected" if any(in_spec(version, s) for s in truth[key]) else "not_affected"


# --- building the cases -------------------------------------------------------------------


def feed(fid: str, kind: str, language: str = "en") -> FeedConfig:
    return FeedConfig.model_validate(
        {"id": fid, "kind": kind, "url": f"https://{fid}.example/", "language": language}
    )


@cache
def cve_record(cve: str) -> dict[str, Any] | None:
    for d in CVE_DIRS:
        if (p := d / f"{cve}.json").exists():
            return json.loads(p.read_bytes())  # type: ignore[no-any-return]
    return None


@cache
def kev_entries() -> dict[str, Advisory]:
    src = KEV if KEV.exists() else FIX / "kev" / "known_exploited_vulnerabilities.json"
    return {a.source_id: a for a in get_source("kev").parse(src.read_bytes(), feed("kev", "kev"))}


def has_cve_record(case: Case, cve: str) -> bool:
    """Does the case already carry the CVE record's advisory (the pipeline enriched it)?"""
    return any(a.structured and a.source_id == cve and "cna" in a.extra for a in case.advisories)


def with_cve_records(case: Case) -> Case:
    """Add each CVE's record advisory the case does not already carry."""
    extra = []
    for cve in case.cves:
        if not has_cve_record(case, cve) and (rec := cve_record(cve)) is not None:
            extra.append(parse_record(rec, "cve"))
    return Case(case.id, [*case.advisories, *extra]) if extra else case


def prose_advisory(spec: dict[str, Any]) -> Advisory:
    """One RSS item in NSM's form, through the real RSS parser."""
    cves = " ".join(spec.get("cves", []))
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Varsler</title>'
        f"<item><title>{escape(spec['title'])}</title><link>https://cert.example/{spec['id']}</link>"
        f"<guid>{spec['id']}</guid><pubDate>Tue, 01 Jul 2025 09:00:00 +0200</pubDate>"
        f"<description>{escape(spec['text'])} {cves}</description></item></channel></rss>"
    )
    lang = spec.get("language", "nb")
    fid = {"nb": "nsm", "nn": "nsm", "en": "certeu"}[lang]
    (adv,) = list(get_source("rss").parse(rss.encode(), feed(fid, "rss", lang)))
    return adv


def build_case(spec: dict[str, Any]) -> Case:
    advs: list[Advisory] = []
    cves = list(spec.get("cves", []))
    if spec.get("cve_record"):
        cves.append(spec["cve_record"])
    if spec.get("kev"):
        advs += [kev_entries()[c] for c in cves if c in kev_entries()]
    if spec.get("csaf"):
        advs += list(
            get_source("csaf").parse((ROOT / spec["csaf"]).read_bytes(), feed("csaf", "csaf"))
        )
    if spec.get("text"):
        advs.append(prose_advisory(spec))
    case = Case(spec["id"], advs)
    # Prose cases are measured on the prose (and KEV) alone; structured cases get their record.
    return with_cve_records(case) if spec.get("cve_record") else case


def subscribers(
    munis: list[dict[str, Any]], *, target: dict[str, Any] | None = None, **settings: Any
) -> list[SubscriberConfig]:
    """The bench municipalities as subscribers, each with ``settings`` (a daily cap...) and one
    file target ``out/<id>.jsonl`` (``target``: more of its settings)."""
    return [
        SubscriberConfig.model_validate(
            {
                "id": m["id"],
                "name": m["name"],
                "county": m["county"],
                "inventory": [i["item"] for i in m["items"]],
                "targets": [
                    {"id": "drift", "kind": "file", "address": f"out/{m['id']}.jsonl"}
                    | (target or {})
                ],
            }
            | settings
        )
        for m in munis
    ]


# --- the report ---------------------------------------------------------------------------


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Report:
    cases: int = 0
    items: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    structured: Tally = field(default_factory=Tally)
    prose: Tally = field(default_factory=Tally)
    kev: Tally = field(default_factory=Tally)
    confirmed: Tally = field(default_factory=Tally)  # matches with the verdict "affected" only
    rules: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    fixed_alerts: int = 0
    false_possible: int = 0  # false alerts whose verdict is "possibly affected"
    misses: list[str] = field(default_factory=list)
    false_alerts: list[str] = field(default_factory=list)


def _kind(spec: dict[str, Any]) -> str:
    return "prose" if spec.get("text") else "structured"


def _score(rep: Report, spec: dict[str, Any], label: str, m: Match | None, what: str) -> None:
    tally = rep.prose if (m.rule == "text" if m else _kind(spec) == "prose") else rep.structured
    if m is not None and not is_possible(m):
        rep.confirmed.tp += label == "affected"
        rep.confirmed.fp += label != "affected"
    if m is not None:
        rep.rules[m.rule] += 1
        rep.verdicts["possibly affected" if is_possible(m) else "affected"] += 1
    elif label in ("affected", "not_affected"):
        rep.verdicts["not affected"] += 1
    if label == "affected":
        if m is not None:
            tally.tp += 1
        else:
            tally.fn += 1
            rep.misses.append(what)
        if spec.get("kev"):
            rep.kev.tp += m is not None
            rep.kev.fn += m is None
    elif label in ("not_affected", "other") and m is not None:
        tally.fp += 1
        rep.fixed_alerts += label == "not_affected"
        rep.false_possible += is_possible(m)
        rep.false_alerts.append(f"{what} [{m.rule}: {m.detail}]")


def evaluate(specs: list[dict[str, Any]], munis: list[dict[str, Any]]) -> Report:
    subs = subscribers(munis)
    matcher = Matcher(subs)
    rep = Report(cases=len(specs), items=sum(len(m["items"]) for m in munis))
    for spec in specs:
        case = build_case(spec)
        found = matcher.match(case)
        truth = {} if spec.get("withdrawn") else spec.get("truth") or {}
        for m in munis:
            hits = {x.item_index: x for x in found.get(m["id"], [])}
            for idx, it in enumerate(m["items"]):
                label = truth_of(it["truth"], it["item"].get("version"), truth)
                rep.labels[label] += 1
                if label == "unknown":
                    if idx in hits:
                        rep.verdicts[
                            "possibly affected" if is_possible(hits[idx]) else "affected"
                        ] += 1
                        rep.rules[hits[idx].rule] += 1
                    continue
                what = f"{spec['id']} / {m['name']}: {it['item']['vendor']} {it['item']['product']} {it['item'].get('version', '')}"
                _score(rep, spec, label, hits.get(idx), what.strip())
    return rep


def load_cases() -> list[dict[str, Any]]:
    return yaml.safe_load((DATA / "quality-cases.yaml").read_text())["cases"]  # type: ignore[no-any-return]


def measure(quick: bool = False, csaf: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report's figures; ``csaf``: a `bench.csaf_versions.measure` result to reuse (the
    bench table already has its row), else measured here (the sample when ``quick``)."""
    rep = evaluate(load_cases(), load_six())
    cv = csaf or csaf_versions.measure(str(csaf_versions.SAMPLE) if quick else None, top=5)
    return {
        "cases": rep.cases,
        "items": rep.items,
        "labels": dict(rep.labels),
        "pairs_labelled": rep.labels["affected"] + rep.labels["not_affected"],
        "precision_structured": rep.structured.precision(),
        "precision_prose": rep.prose.precision(),
        "recall_structured": rep.structured.recall(),
        "recall_prose": rep.prose.recall(),
        "recall_kev": rep.kev.recall(),
        "precision_confirmed": rep.confirmed.precision(),
        "tally": {k: vars(getattr(rep, k)) for k in ("structured", "prose", "kev", "confirmed")},
        "rules": dict(rep.rules),
        "verdicts": dict(rep.verdicts),
        "fixed_alerts": rep.fixed_alerts,
        "false_possible": rep.false_possible,
        "misses": rep.misses,
        "false_alerts": rep.false_alerts,
        "csaf_unreadable_pct": cv["share_pct"],
        "csaf_entries": cv["entries"],
        "csaf_documents": cv["documents"],
        "csaf_shared": csaf is not None,
    }


def rows(q: dict[str, Any], row: Any) -> list[dict[str, Any]]:
    """The bench table's rows (``row`` is bench.__main__.row)."""
    t = q["tally"]
    out = [
        row(f"quality: {q['cases']} cases x {q['items']} items ({q['pairs_labelled']} labelled pairs)",
            q["pairs_labelled"], "pairs", "", None),
        row("quality: recall on KEV-exploited and affected", q["recall_kev"], "", "= 1.0",
            q["recall_kev"] >= 1.0),
        row(f"quality: precision, structured sources ({t['structured']['tp']} TP, "
            f"{t['structured']['fp']} FP)", q["precision_structured"], "", ">= 0.95",
            q["precision_structured"] >= 0.95),
        row(f"quality: precision, prose ({t['prose']['tp']} TP, {t['prose']['fp']} FP)",
            q["precision_prose"], "", ">= 0.9", q["precision_prose"] >= 0.9),
        row(f"quality: precision of 'affected' verdicts alone ({t['confirmed']['tp']} TP, "
            f"{t['confirmed']['fp']} FP)", q["precision_confirmed"], "", "", None),
        row("quality: false alerts that are 'possibly affected' (sent, capped P3/P2)",
            q["false_possible"], "alerts", "", None),
        row("quality: recall, structured", q["recall_structured"], "", "", None),
        row("quality: recall, prose", q["recall_prose"], "", "", None),
        row("quality: alerts for versions a source calls fixed or not affected",
            q["fixed_alerts"], "alerts", "= 0", q["fixed_alerts"] == 0),
    ]  # fmt: skip
    if not q["csaf_shared"]:
        out.append(row(f"quality: CISA CSAF entries with unreadable version ({q['csaf_entries']} "
                       f"entries, {q['csaf_documents']} docs)", q["csaf_unreadable_pct"], "%", "<= 1",
                       q["csaf_unreadable_pct"] <= 1.0))  # fmt: skip
    return out


def report(q: dict[str, Any]) -> str:
    lines = [
        "counted as alerts: every match, 'affected' and 'possibly affected' alike (both are "
        "sent; 'possibly affected' is capped at P3/P2 and asks for the version)",
        f"corpus: {q['cases']} cases, {q['items']} inventory items in 6 municipalities, "
        f"labels {q['labels']}",
        f"per rule: {q['rules']}",
        f"per verdict: {q['verdicts']}",
        f"missed ({len(q['misses'])}):",
        *(f"  {m}" for m in q["misses"]),
        f"false alerts ({len(q['false_alerts'])}):",
        *(f"  {m}" for m in q["false_alerts"]),
    ]
    return "\n".join(lines)
