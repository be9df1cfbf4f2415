"""The steady-state simulation (issue 11): what 400 municipalities receive in a real month.

World: 400 municipalities drawn from the realistic product lines (`bench.inventories`), each
with one file target; feeds on 127.0.0.1 (`bench.server.FeedServer`): the KEV catalogue
(bench/data/kev-corpus.json: the real July 2025 additions plus the older corpus entries as
history), the CVE JSON 5 records the fixtures have for them, an NSM-style bokmål/nynorsk and
CERT-EU-style English RSS feed (the prose of quality-cases.yaml, one or two items a week), and
a Microsoft-shaped CSAF provider that publishes one SYNTHETIC Patch-Tuesday document of ~80
CVEs on 8 July 2025 (Windows Server 2019/2022, fixed builds, "Exploited:No").

Replay: a first poll on 30 June 2025 (onboarding: not counted), then one poll a week for five
weeks, each publishing the KEV entries whose ``dateAdded`` has passed, through the real `App`
(poll, dispatch, the file channel). Counted from the JSON Lines the file channel writes:
immediate = a P1/P2 ``alert``/``update`` sent at once (not a digest, not "Status ved
oppstart"); a grouped burst (issue 11.3: one record per listed case, one ``group_id``) is ONE
message; each poll's lines are the lines appended to each file since the last poll. P1 resting
on "possibly affected" = every matched entry of the case has a confidence other than "high";
missed = a municipality with an item the oracle of `bench.quality` calls affected by a July
KEV CVE that received neither an immediate message nor the start-up status message naming it
(a P3/P4 digest days later does not count; those are reported as ``missed_digest_only``).

CVE records: the poll cycle does not enrich with CVE records yet, so the simulation serves
them as a feed of its own (kind ``bench-cve-records``, registered here) unless the pipeline
already provides ``kind: cve`` feeds that accept a local ``mirror`` (then a cvelistV5-layout
mirror is configured instead, and nothing is doubled).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pydantic import ValidationError

from bench import quality
from bench.inventories import municipalities
from bench.server import FeedServer
from certbot.app import App
from certbot.config import Config, FeedConfig, ServiceConfig
from certbot.model import Advisory
from certbot.sources import Source, register, source_kinds
from certbot.sources.cve_parse import parse_record

START = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)
WEEKS = 5
TEMPLATE = quality.ROOT / "tests" / "data" / "csaf" / "msrc" / "msrc_cve-2024-30080.synthetic.json"


class CveRecordsFeed(Source):
    """Bench only: a JSON list of CVE JSON 5 records served as one feed document."""

    kind = "bench-cve-records"

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        for rec in json.loads(doc):
            yield parse_record(rec, feed.id)


def pipeline_has_cve_mirror(mirror: Path) -> FeedConfig | None:
    """A ``kind: cve`` feed on a local mirror, if the pipeline has one; else None."""
    if "cve" not in source_kinds():
        return None
    try:
        return FeedConfig.model_validate(
            {"id": "cve", "kind": "cve", "options": {"mirror": str(mirror)}}
        )
    except (ValidationError, ValueError):
        return None


def kev_doc(upto: datetime) -> bytes:
    doc = json.loads(quality.KEV.read_bytes())
    doc["vulnerabilities"] = [
        v for v in doc["vulnerabilities"] if date.fromisoformat(v["dateAdded"]) < upto.date()
    ]
    doc["count"] = len(doc["vulnerabilities"])
    return json.dumps(doc).encode()


def rss_doc(specs: list[dict[str, Any]], upto: datetime) -> bytes:
    items = []
    for k, spec in enumerate(specs):
        when = START + timedelta(days=3 + 4 * k)
        if when >= upto:
            continue
        cves = " ".join(spec.get("cves", []))
        items.append(
            f"<item><title>{escape(spec['title'])}</title><link>https://cert.example/{spec['id']}</link>"
            f"<guid>{spec['id']}</guid><pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description>{escape(spec['text'])} {cves}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Varsler</title>'
        + "".join(items) + "</channel></rss>"
    ).encode()  # fmt: skip


def patch_tuesday(n: int = 80) -> bytes:
    """A SYNTHETIC Microsoft-shaped CSAF document with n CVEs (ids CVE-2025-9xxxx)."""
    doc = json.loads(TEMPLATE.read_bytes())
    when = "2025-07-08T07:00:00.000Z"
    t = doc["document"]["tracking"]
    t.update(id="msrc_2025-jul-synthetic", current_release_date=when, initial_release_date=when)
    t["generator"]["date"] = when
    t["revision_history"] = [{"date": when, "number": "1", "summary": "Information published."}]
    doc["document"]["title"] = (
        "SYNTHETIC bench document: July 2025 security updates (Windows Server)"
    )
    fam = doc["product_tree"]["branches"][0]["branches"][0]["branches"]
    fam[0]["branches"][0]["name"] = "<10.0.17763.7558"
    fam[0]["branches"][1]["name"] = "10.0.17763.7558"
    fam[1]["branches"][0]["name"] = "<10.0.20348.3932"
    fam[1]["branches"][1]["name"] = "10.0.20348.3932"
    base = doc["vulnerabilities"][0]
    vulns = []
    for i in range(n):
        v = json.loads(json.dumps(base))
        v["cve"] = f"CVE-2025-9{i:04d}"
        v["title"] = f"Windows component {i} Remote Code Execution Vulnerability (synthetic)"
        v["threats"] = [t for t in v.get("threats", []) if t.get("category") != "exploit_status"] + [
            {"category": "exploit_status", "details": "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Less Likely"}
        ]  # fmt: skip
        vulns.append(v)
    doc["vulnerabilities"] = vulns
    return json.dumps(doc).encode()


def _lines(root: Path, seen: dict[Path, int] | None = None) -> list[dict[str, Any]]:
    """The records of every file; with ``seen`` (file -> lines already read, updated here)
    only the lines appended since. Slicing the concatenation of all files instead counts
    old lines of later files again whenever an earlier file grows."""
    out = []
    for f in sorted((root / "out").glob("*.jsonl")):
        lines = [json.loads(x) for x in f.read_text().splitlines() if x.strip()]
        start = 0 if seen is None else seen.get(f, 0)
        if seen is not None:
            seen[f] = len(lines)
        out += lines[start:]
    return out


def _message(rec: dict[str, Any]) -> str:
    """One message: a grouped burst's records (one per case) are one message."""
    return str(rec.get("group_id") or rec.get("delivery_id"))


def _immediate(rec: dict[str, Any]) -> bool:
    return (
        not rec.get("digest")
        and rec.get("kind") in ("alert", "update")
        and rec.get("priority") in ("P1", "P2")
        and not str(rec.get("title", "")).startswith("Status ved oppstart")
    )


async def _run(n: int, root: Path) -> dict[str, Any]:
    register(CveRecordsFeed())
    munis = municipalities(n, seed=400)
    specs = quality.load_cases()
    prose = [s for s in specs if s.get("text")]
    added = {c["cveID"]: date.fromisoformat(c["dateAdded"])
             for c in json.loads(quality.KEV.read_bytes())["vulnerabilities"]}  # fmt: skip
    records = [r for c in added if (r := quality.cve_record(c)) is not None]

    def cve_doc(upto: datetime) -> bytes:  # the records of the KEV entries known by then
        return json.dumps([r for r in records
                           if added[r["cveMetadata"]["cveId"]] < upto.date()]).encode()  # fmt: skip

    mirror = root / "cvelist"
    for r in records:
        cve = r["cveMetadata"]["cveId"]
        year, num = cve.split("-")[1:]
        p = mirror / "cves" / year / f"{num[:-3]}xxx" / f"{cve}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(r))
    wired = pipeline_has_cve_mirror(mirror)
    server = await FeedServer({"kev": kev_doc(START), "nsm": rss_doc(prose, START),
                               "cve": cve_doc(START)}).start()  # fmt: skip
    base = server.base
    feeds = [
        FeedConfig(id="kev", kind="kev", url=f"{base}/kev", allow_private=True),
        FeedConfig(id="nsm", kind="rss", url=f"{base}/nsm", allow_private=True, language="nb"),
        wired or FeedConfig(id="cve", kind="bench-cve-records", url=f"{base}/cve", allow_private=True),
        FeedConfig(id="msrc", kind="csaf", allow_private=True,
                   url=f"{base}/msrc/.well-known/csaf/provider-metadata.json",
                   fingerprints=(server.tsk.extract_certificate().fingerprint,)),  # type: ignore[call-arg]
    ]  # fmt: skip
    subs = quality.subscribers(munis, target={"tlp_max": "AMBER"}, daily_cap=10000)
    config = Config(root=root, service=ServiceConfig.model_validate({}), feeds=tuple(feeds),
                    subscribers=tuple(subs))  # fmt: skip
    now = [START]
    weekly: list[list[dict[str, Any]]] = []
    seen: dict[Path, int] = {}
    try:
        async with App(config, root / "certbot.db", rate_limits=False, clock=lambda: now[0]) as app:
            for week in range(WEEKS + 1):
                now[0] = START + timedelta(days=7 * week)
                docs: dict[str, Any] = {"kev": kev_doc(now[0]), "nsm": rss_doc(prose, now[0]),
                                        "cve": cve_doc(now[0])}  # fmt: skip
                if week == 2:
                    docs["msrc"] = [("msrc_2025-jul-synthetic.json", patch_tuesday())]
                server.publish({**server.docs, **docs})
                _lines(root, seen)
                await app.poll()
                while (await app.dispatch()).sent:
                    pass
                weekly.append(_lines(root, seen))
            now[0] += timedelta(days=1, hours=8)  # let digests due after the last poll go out
            while (await app.dispatch()).sent:
                pass
            everything = _lines(root)
    finally:
        await server.stop()
    return _figures(munis, specs, weekly[1:], everything, wired is not None)


def _figures(munis: list[dict[str, Any]], specs: list[dict[str, Any]], weeks: list[list[dict[str, Any]]],
             everything: list[dict[str, Any]], wired: bool) -> dict[str, Any]:  # fmt: skip
    per: list[int] = []
    by_case: Counter[str] = Counter()
    week_means: list[float] = []
    p1 = p1_possible = 0
    for lines in weeks:
        counts = dict.fromkeys((m["id"] for m in munis), 0)
        messages: set[str] = set()
        for rec in lines:
            if _immediate(rec) and rec.get("subscriber") in counts:
                if _message(rec) not in messages:
                    messages.add(_message(rec))
                    counts[rec["subscriber"]] += 1
                by_case[f"{rec.get('advisory_id')} {rec.get('kind')} {rec.get('priority')}"] += 1
            if rec.get("priority") == "P1" and not rec.get("digest"):
                p1 += 1
                p1_possible += all(m.get("confidence") != "high" for m in rec.get("matched", []))
        per += counts.values()
        week_means.append(statistics.fmean(counts.values()) if counts else 0.0)
    # Told = an immediate message or the start-up status message names the CVE; a digest
    # (P3/P4, days later) does not count as telling an exploited-and-affected case.
    told = {(r.get("subscriber"), c) for r in everything if _immediate(r) or r.get("onboarding")
            for c in r.get("cves", [])}  # fmt: skip
    told_any = {(r.get("subscriber"), c) for r in everything for c in r.get("cves", [])}
    told_now = {
        (r.get("subscriber"), c) for r in everything if _immediate(r) for c in r.get("cves", [])
    }
    kev = json.loads(quality.KEV.read_bytes())["vulnerabilities"]
    july = {v["cveID"] for v in kev if v["dateAdded"].startswith("2025-07")}
    truth = {s["id"]: s["truth"] for s in specs if s["id"] in july}
    missed: list[str] = []
    by_cve: Counter[str] = Counter()
    affected = not_now = digest_only = 0
    for m in munis:
        for cve, t in truth.items():
            if any(
                quality.truth_of(i["truth"], i["item"].get("version"), t) == "affected"
                for i in m["items"]
            ):
                affected += 1
                if (m["id"], cve) not in told:
                    missed.append(f"{m['name']}: {cve}")
                    by_cve[cve] += 1
                    digest_only += (m["id"], cve) in told_any
                elif (m["id"], cve) not in told_now:
                    not_now += 1
    per_sorted = sorted(per)
    return {
        "municipalities": len(munis),
        "weeks": len(weeks),
        "immediate_mean": statistics.fmean(per) if per else 0.0,
        "immediate_p95": per_sorted[int(0.95 * (len(per_sorted) - 1))] if per else 0,
        "immediate_total": sum(per),
        "messages_total": len(everything),
        "p1": p1,
        "p1_possible": p1_possible,
        "p1_possible_pct": 100.0 * p1_possible / p1 if p1 else 0.0,
        "exploited_affected_pairs": affected,
        "missed": len(missed),
        "missed_list": missed[:10],
        "missed_by_cve": dict(by_cve.most_common()),
        "immediate_by_case": dict(by_case.most_common(12)),
        "immediate_mean_by_week": [round(x, 2) for x in week_means],
        "told_not_immediately": not_now,
        "missed_digest_only": digest_only,
        "messages_immediate": len({_message(r) for r in everything if _immediate(r)}),
        "july_kev_with_truth": sorted(truth),
        "cve_records_via": "pipeline kind: cve"
        if wired
        else "bench feed (not wired in the poll cycle)",
    }


async def measure_async(quick: bool = False) -> dict[str, Any]:
    """The simulation at 400 municipalities (40 when ``quick``)."""
    with tempfile.TemporaryDirectory(prefix="certbot-steady-") as tmp:
        return await _run(40 if quick else 400, Path(tmp))


def measure(quick: bool = False) -> dict[str, Any]:
    return asyncio.run(measure_async(quick))


def rows(s: dict[str, Any], row: Any) -> list[dict[str, Any]]:
    n = s["municipalities"]
    return [
        row(f"steady: immediate messages per municipality per week, mean (N={n}, {s['weeks']} weeks)",
            s["immediate_mean"], "msgs", "<= 1", s["immediate_mean"] <= 1),
        row("steady: immediate messages per municipality per week, p95", s["immediate_p95"], "msgs", "", None),
        row(f"steady: missed exploited-and-affected ({s['exploited_affected_pairs']} pairs)", s["missed"],
            "pairs", "= 0", s["missed"] == 0),
        row(f"steady: P1 resting on 'possibly affected' ({s['p1_possible']} of {s['p1']})",
            s["p1_possible_pct"], "%", "= 0", s["p1_possible_pct"] == 0),
    ]  # fmt: skip


def report(s: dict[str, Any]) -> str:
    return "\n".join([
        f"{s['municipalities']} municipalities, {s['weeks']} weeks, {s['messages_total']} messages in all, "
        f"{s['immediate_total']} immediate; CVE records via {s['cve_records_via']}",
        f"July 2025 KEV cases with labels: {', '.join(s['july_kev_with_truth'])}",
        f"immediate per municipality, mean by week: {s['immediate_mean_by_week']}",
        f"immediate messages by case (top 12): {s['immediate_by_case']}",
        f"exploited-and-affected pairs told only in the start-up status message: {s['told_not_immediately']}",
        f"missed pairs told only in a digest (P3/P4): {s['missed_digest_only']}",
        f"missed by CVE: {s['missed_by_cve']}",
        f"missed ({s['missed']}):", *(f"  {m}" for m in s["missed_list"]),
    ])  # fmt: skip
