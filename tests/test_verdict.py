"""The verdict per (municipality, item, case) and its evidence (certbot/match.py, verdict.py):
affected / possibly affected / not affected, which source decided, and what that means for the
priority. Each test breaks if one rule of the order of sources is broken."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from certbot.config import PriorityConfig, load_config
from certbot.match import Matcher
from certbot.model import AffectedProduct, Case, Match, Priority
from certbot.priority import assess
from certbot.sources.cve import options_for
from certbot.sources.cve_parse import parse_record
from tests.factory import fortios_sub, item, kev, prose, structured, subscriber

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "cve5"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KINDS = {"csaf-test": "csaf", "cve-records": "cve", "nsm": "rss", "kev": "kev"}


def record(cve: str):  # type: ignore[no-untyped-def]
    return parse_record(json.loads((DATA / f"{cve}.json").read_bytes()), "cve-records")


def verdicts(subs, *advisories):  # type: ignore[no-untyped-def]
    excluded: dict[tuple[str, int], Match] = {}
    found = Matcher(subs, KINDS).match(Case("c", list(advisories)), excluded)
    return found, excluded


def test_the_cve_record_decides_over_kev_both_ways() -> None:
    subs = [fortios_sub("0301", "7.2.4"), fortios_sub("4601", "7.2.10")]
    found, excluded = verdicts(
        subs, kev("CVE-2024-21762", "Fortinet", "FortiOS"), record("CVE-2024-21762")
    )
    [m] = found["0301"]
    assert (m.verdict, m.version_source, m.source) == ("confirmed", "cve", "cve-records")
    assert m.decided_by == "CVE record (Fortinet): 7.2.0 ≤ v ≤ 7.2.6"
    assert "4601" not in found
    gone = excluded[("4601", 0)]
    assert gone.verdict == "not_affected" and gone.version_source == "cve"
    # Of the six FortiOS branches that exclude 7.2.10, the evidence is the 7.2 branch's.
    assert gone.decided_by == "CVE record (Fortinet): 7.2.0 ≤ v ≤ 7.2.6"
    assert m.summary()["affected"] == "confirmed" and m.summary()["version_source"] == "cve"


def test_a_range_still_under_investigation_is_possible_not_confirmed() -> None:
    p = AffectedProduct(
        "Fortinet", "FortiOS", versions="vers:generic/>=7.2.0|<7.2.7", status="under_investigation"
    )
    [m] = verdicts([fortios_sub("0301", "7.2.4")], structured("a", [p]))[0]["0301"]
    assert m.verdict == "possible" and m.rule == "product_version"
    assert "still investigating" in m.detail


def test_a_rangeless_default_unknown_entry_is_not_hidden_by_the_versioned_rule() -> None:
    ranged = AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/>=7.0.0|<7.0.14")
    unknown = AffectedProduct("Fortinet", "FortiOS", status="under_investigation")
    found, _ = verdicts([fortios_sub("0301", "7.2.4")], structured("a", [ranged, unknown]))
    [m] = found["0301"]  # outside the listed range, but the source says "unknown" elsewhere
    assert (m.verdict, m.rule) == ("possible", "product_no_version")
    # Without the default-unknown entry the range alone excludes 7.2.4.
    assert "0301" not in verdicts([fortios_sub("0301", "7.2.4")], structured("a", [ranged]))[0]


def test_the_text_rule_yields_to_a_structured_range_by_catalogue_key() -> None:
    # The item is spelled "FortiGate" (the catalogue's alias for FortiOS); the CSAF range for
    # FortiOS 7.0 excludes 7.2.4, so NSM's sentence naming the product must not re-add it.
    sub = subscriber("0301", "Oslo", [item("Fortinet", "FortiGate", version="7.2.4")])
    csaf = structured(
        "a", [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/>=7.0.0|<7.0.14")]
    )
    nsm = prose("n1", "Kritisk sårbarhet i FortiGate", "Alle versjoner av FortiGate er berørt.")
    found, _ = verdicts([sub], csaf, nsm)
    assert "0301" not in found


def test_prose_confirms_in_its_own_right_and_is_capped_below_p1() -> None:
    subs = [fortios_sub("0301", "7.2.4")]
    nsm = prose("n1", "Kritisk sårbarhet i FortiOS", "FortiOS 7.2.0 til og med 7.2.6 er berørt.")
    case = Case("c", [kev("CVE-2024-21762", "Fortinet", "FortiOS"), nsm])
    [m] = Matcher(subs, KINDS).match(case)["0301"]
    assert (m.rule, m.source, m.verdict, m.version_source) == ("text", "nsm", "confirmed", "prose")
    a = assess(case, [m], subs[0], PriorityConfig(), NOW)
    assert a.decision.priority == Priority.P2  # active + open + critical would be P1
    assert a.path is not None and a.path.cap is not None and "prose only" in a.path.cap
    # The same match confirmed by a structured source is P1: the cap is prose's alone.
    a = assess(
        case,
        [replace(m, rule="product_version", version_source="csaf")],
        subs[0],
        PriorityConfig(),
        NOW,
    )
    assert a.decision.priority == Priority.P1 and a.path is not None and a.path.cap is None


def test_a_rejected_record_withdraws_the_case() -> None:
    rejected = replace(record("CVE-2024-21762"), withdrawn=True, extra={"state": "REJECTED"})
    case = Case("c", [kev("CVE-2024-21762", "Fortinet", "FortiOS"), rejected])
    assert case.withdrawn
    assert not Case(
        "c", [kev("CVE-2024-21762", "Fortinet", "FortiOS"), record("CVE-2024-21762")]
    ).withdrawn


def test_the_demo_reads_the_bundled_mirror() -> None:
    cfg = load_config(ROOT / "examples" / "demo")
    [feed] = [f for f in cfg.feeds if f.kind == "cve"]
    opts = options_for(feed, ROOT / "examples" / "demo")
    assert (
        opts.mirror is not None
        and (opts.mirror / "cves" / "2024" / "21xxx" / "CVE-2024-21762.json").is_file()
    )
    assert opts.source == feed.id
    # No demo feed reads the network, and the synthetic STIX feed is gone.
    assert all(f.url is None for f in cfg.feeds)
    assert "kommune-cert" not in {f.id for f in cfg.feeds}
