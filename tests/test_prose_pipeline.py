"""Prose through the text rule and the pipeline: an NSM-style item's sentence decides which
FortiOS versions are affected, negations and longer names take items out, a withdrawn item
makes nobody affected, and `explain` shows the sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certbot.config import FeedConfig
from certbot.explain import explain, format_explain
from certbot.match import Matcher
from certbot.model import Advisory, Case
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from certbot.sources.rss import RssSource
from certbot.store import AsyncStore, Store
from tests.factory import T0, Clock, config, fortios_sub, item, kev, prose, subscriber

DATA = Path(__file__).parent / "data" / "rss" / "nsm-prose.xml"
FEED = FeedConfig(id="nsm-varsler", kind="rss", path=str(DATA), language="nb")
FORTIOS_SENTENCE = "Sårbarheten berører FortiOS 7.2.0 til og med 7.2.6 og er rettet i 7.2.7."


def nsm_items() -> dict[str, Advisory]:
    return {a.source_id: a for a in RssSource().parse(DATA.read_bytes(), FEED)}


def match(subs, *advisories):  # type: ignore[no-untyped-def]
    return Matcher(subs).match(Case(id="c", advisories=list(advisories)))


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    s = AsyncStore(Store(tmp_path / "t.db"))
    yield s
    s.close()


def test_rss_parse_reads_cvss_and_withdrawn_from_the_text() -> None:
    items = nsm_items()
    assert items["test-nsm-2024-0042"].cvss == 9.6  # "CVSS-score 9,6"
    assert items["test-nsm-2024-0160"].cvss == 9.8  # nynorsk item, "(CVSS 9.8)"
    assert items["test-nsm-2024-0101"].cvss is None
    assert items["test-nsm-2024-0150"].withdrawn  # "Trukket tilbake: ..."
    assert not items["test-nsm-2024-0042"].withdrawn


def test_pipeline_alerts_only_the_version_the_sentence_names(store) -> None:  # type: ignore[no-untyped-def]
    cfg = config([fortios_sub("0301", "7.2.4"), fortios_sub("4601", "7.2.10")])
    p = Pipeline(cfg, store, http=None, clock=Clock())
    p._ingest_and_plan(FEED, [nsm_items()["test-nsm-2024-0042"]], SourceState())
    alerts = [r for r in store.store.deliveries(limit=100) if r["kind"] == "alert"]
    assert {r["subscriber_id"] for r in alerts} == {"0301"}
    n = json.loads(alerts[0]["notification"])
    [m] = n["matched"]
    assert m["rule"] == "text"
    assert m["detail"].startswith("7.2.4 in vers:generic/>=7.2.0|<=7.2.6")
    assert FORTIOS_SENTENCE in m["detail"]

    report = explain(store.store, cfg, "CVE-2024-21762", subscriber=None, now=T0)
    assert report is not None
    assert [(m["id"], m["verdict"]) for m in report["municipalities"]] == [
        ("0301", "affected"),
        ("4601", "not affected"),  # shown with its evidence; nothing sent
    ]
    text = format_explain(report)
    assert f'evidence (the advisory\'s sentence): "{FORTIOS_SENTENCE}"' in text
    assert ": not affected (nothing sent)" in text.split("\n4601 ")[1].splitlines()[0]
    assert f"decided by prose (nsm-varsler): {FORTIOS_SENTENCE}" in text
    assert not report["municipalities"][1]["deliveries"]


def test_a_prose_verdict_decides_over_a_versionless_kev_entry() -> None:
    subs = [fortios_sub("0301", "7.2.4"), fortios_sub("4601", "7.2.10")]
    out = match(
        subs, kev("CVE-2024-21762", "Fortinet", "FortiOS"), nsm_items()["test-nsm-2024-0042"]
    )
    assert sorted(out) == ["0301"]  # 7.2.10 is past the fix: no alert
    [m] = out["0301"]
    # A confirmed verdict of its own, from the prose source (KEV names no versions).
    assert m.rule == "text" and m.source == "nsm-varsler"
    assert (m.verdict, m.version_source) == ("confirmed", "prose")
    assert m.detail.startswith("7.2.4 in vers:generic/>=7.2.0|<=7.2.6")
    assert FORTIOS_SENTENCE in m.detail


def test_without_a_version_the_item_stays_possibly_affected_with_the_sentence() -> None:
    sub = subscriber("0301", "Oslo", [item("Fortinet", "FortiOS")])
    [m] = match([sub], nsm_items()["test-nsm-2024-0042"])["0301"]
    assert m.rule == "text"
    assert m.detail.startswith("no version declared")
    assert FORTIOS_SENTENCE in m.detail


def test_longer_name_and_negation_take_sql_server_out() -> None:
    sub = subscriber(
        "0301",
        "Oslo",
        [
            item("Microsoft", "SQL Server", version="15.0.4345.5"),
            item("Microsoft", "SQL Server Management Studio", version="19.1"),
        ],
    )
    [m] = match([sub], nsm_items()["test-nsm-2024-0101"])["0301"]
    assert m.item.startswith("Microsoft SQL Server Management Studio")
    assert "19.1 in vers:generic/<19.3" in m.detail


def test_text_rule_skips_a_name_continued_into_a_longer_product() -> None:
    sub = subscriber("0301", "Oslo", [item("Microsoft", "Exchange Server", version="15.2.1")])
    assert match([sub], prose("n1", "Sårbarhet i Microsoft Exchange Server Online")) == {}
    assert match([sub], prose("n2", "Sårbarhet i Microsoft Exchange Server 2019")) != {}


def test_a_withdrawn_item_makes_nobody_affected() -> None:
    sub = subscriber("0301", "Oslo", [item("Ivanti", "Connect Secure", version="22.7")])
    adv = nsm_items()["test-nsm-2024-0150"]
    assert match([sub], adv) == {}
    case = Case(id="CVE-2024-99999", advisories=[adv])
    assert case.withdrawn


def test_negation_removes_a_versionless_match_and_a_range_sentence_wins_over_it() -> None:
    sub = fortios_sub("0301", "7.2.4")
    negated = prose("n1", "Sårbarhet i FortiProxy", "Sårbarheten gjelder ikke FortiOS.")
    assert match([sub], kev("CVE-2024-0001", "Fortinet", "FortiOS"), negated) == {}
    ranged = prose("n2", "Sårbarhet i FortiOS", "FortiOS 7.2.0 til og med 7.2.6 er berørt.")
    out = match([sub], negated, ranged)  # two prose sources: "affected" wins
    assert [m.rule for m in out["0301"]] == ["text"]


def test_nynorsk_item_confirms_and_excludes_by_version() -> None:
    adv = nsm_items()["test-nsm-2024-0160"]
    old = subscriber("0301", "Oslo", [item("Veeam", "Backup & Replication", version="12.1.1.56")])
    new = subscriber(
        "4601", "Bergen", [item("Veeam", "Backup & Replication", version="12.1.2.172")]
    )
    out = match([old, new], adv)
    assert sorted(out) == ["0301"]
    assert "12.1.1.56 in vers:generic/<12.1.2.172" in out["0301"][0].detail
