"""Issue 4 acceptance through the whole pipeline: a real CSAF document matched version-accurately,
revisions, withdrawal, and `explain` naming the source and product entry."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from certbot.config import FeedConfig
from certbot.explain import explain, format_explain
from certbot.model import AffectedProduct
from certbot.pipeline import Pipeline
from certbot.sources import SourceState, get_source
from tests.conftest import DATA
from tests.factory import Clock, config, fortios_sub, item, structured, subscriber

CSAF_FEED = FeedConfig(id="cisa-csaf", kind="csaf", path="x")
SIPROTEC = "SIPROTEC 5 6MD85 (CP300)"


def parse(name: str):
    return list(get_source("csaf").parse((DATA / "csaf" / name).read_bytes(), CSAF_FEED))


# The real documents are old: they alert as new here (the first run is tests/test_baseline.py).
NO_BASELINE = {"routing": {"baseline_days": 100000}}


def plan(store, subs, advisories, clock=None):
    p = Pipeline(config(subs, service=NO_BASELINE), store, http=None, clock=clock or Clock())
    return p._ingest_and_plan(CSAF_FEED, advisories, SourceState())


def alerts(store):
    return {r["subscriber_id"]: json.loads(r["notification"]) for r in store.store.deliveries()}


def test_known_affected_version_alerts_fixed_does_not_unknown_is_possibly(store):
    subs = [
        subscriber("0301", "Oslo", [item("Siemens", SIPROTEC, version="V9.50")]),
        subscriber("4601", "Bergen", [item("Siemens", SIPROTEC, version="V9.80")]),
        subscriber("5001", "Trondheim", [item("Siemens", SIPROTEC)]),
    ]
    plan(store, subs, parse("cisa/icsa-25-016-04.json"))
    got = alerts(store)
    assert set(got) == {"0301", "5001"}  # V9.80 is the fixed version: no alert
    (exact,) = got["0301"]["matched"]
    assert exact["rule"] == "product_version" and exact["confidence"] == "high"
    assert exact["source"] == "cisa-csaf" and exact["entry"].startswith("CSAFPID-")
    (possible,) = got["5001"]["matched"]
    assert possible["rule"] == "product_no_version" and possible["confidence"] == "medium"
    assert any("Mulig berørt" in r for r in got["5001"]["reasons"])
    assert any("V9.80" in a or "9.80" in a for a in got["0301"]["actions"])


def test_fixed_status_in_the_document_never_alerts(store):
    subs = [
        subscriber(
            "0301", "Oslo", [item("CSAF Tools", "CVRF-CSAF-Converter", version="1.0.0-rc2")]
        ),
        subscriber(
            "4601", "Bergen", [item("CSAF Tools", "CVRF-CSAF-Converter", version="1.0.0-rc1")]
        ),
    ]
    plan(store, subs, parse("bsi-2022-0001.json"))
    assert set(alerts(store)) == {"4601"}


def test_new_tracking_version_with_same_remediation_is_silent_new_product_alerts(store):
    (doc,) = parse("cisa/icsa-25-016-04.json")
    subs = [
        subscriber(
            "0301",
            "Oslo",
            [item("Siemens", SIPROTEC, version="V9.50"), item("Siemens", "SICAM X", version="1.0")],
        )
    ]
    plan(store, subs, [doc])
    plan(store, subs, [replace(doc, revision="2", summary=doc.summary + " (typo fixed)")])
    assert len(store.store.deliveries()) == 1
    extra = AffectedProduct(
        "Siemens", "SICAM X", versions="vers:generic/<2.0", entry="CSAFPID-9999"
    )
    plan(store, subs, [replace(doc, revision="3", products=(*doc.products, extra))])
    kinds = sorted(r["kind"] for r in store.store.deliveries())
    assert kinds == ["alert", "update"]
    update = next(
        json.loads(r["notification"]) for r in store.store.deliveries() if r["kind"] == "update"
    )
    assert update["changes"] and "SICAM X" in json.dumps(update["matched"])


def test_withdrawn_advisory_tells_those_who_were_alerted(store):
    sub = fortios_sub()
    adv = structured(
        "stix-vuln-1", [AffectedProduct("Fortinet", "FortiOS")], exploited=True, source="stix"
    )
    plan(store, [sub], [adv])
    plan(store, [sub], [replace(adv, withdrawn=True, revision="2")])
    rows = sorted(store.store.deliveries(), key=lambda r: r["created_at"] + r["kind"])
    assert [r["kind"] for r in rows] == ["alert", "update"]
    assert any("trukket tilbake" in c for c in json.loads(rows[1]["notification"])["changes"])


def test_explain_names_source_and_product_entry(store):
    subs = [subscriber("0301", "Oslo", [item("Siemens", SIPROTEC, version="V9.50")])]
    plan(store, subs, parse("cisa/icsa-25-016-04.json"))
    from datetime import UTC, datetime

    report = explain(
        store.store, config(subs), "CVE-2024-53649", subscriber=None, now=datetime.now(UTC)
    )
    assert report is not None
    text = format_explain(report)
    assert "from cisa-csaf entry CSAFPID-" in text and "rule product_version" in text


def test_every_fixture_document_goes_through_the_pipeline(store):
    subs = [fortios_sub()]
    docs = []
    for path in sorted(Path(DATA / "csaf").rglob("*.json")):
        try:
            docs.extend(get_source("csaf").parse(path.read_bytes(), CSAF_FEED))
        except Exception:  # provider metadata, ROLIE feeds and 2.1 negatives are not advisories
            continue
    assert len(docs) >= 10
    result = plan(store, subs, docs)
    assert len(result.changed_cases) == len({d.key for d in docs})


def test_row_14_rss_kev_and_csaf_are_one_alert_then_one_update_per_revision(store):
    from certbot.model import Remediation
    from tests.factory import kev, prose

    cve = "CVE-2024-21762"
    subs = [fortios_sub("0301"), fortios_sub("4601", "7.2.5"), fortios_sub("5001", "7.2.10")]
    fix = Remediation("vendor_fix", "Upgrade to 7.2.7", fixed_version="7.2.7")
    csaf = structured(
        "FG-IR-24-015",
        [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/>=7.2.0|<7.2.7")],
        cves=(cve,),
        remediations=(fix,),
        revision="1",
        cvss=9.8,
        source="fortinet-csaf",
    )
    plan(
        store,
        subs,
        [
            prose("nsm-1", f"Sårbarhet i Fortinet FortiOS ({cve})", cves=(cve,)),
            kev(cve, "Fortinet", "FortiOS"),
            csaf,
        ],
    )
    rows = store.store.deliveries()
    assert sorted(r["subscriber_id"] for r in rows) == ["0301", "4601"]  # 7.2.10 is fixed
    assert {r["case_id"] for r in rows} == {cve} and {r["kind"] for r in rows} == {"alert"}
    workaround = Remediation("workaround", "Disable SSL VPN")
    plan(store, subs, [replace(csaf, revision="2", remediations=(fix, workaround))])
    plan(
        store,
        subs,
        [replace(csaf, revision="3", remediations=(fix, workaround), summary="Typo fixed")],
    )  # not material: silent
    updates = [r for r in store.store.deliveries() if r["kind"] == "update"]
    assert sorted(r["subscriber_id"] for r in updates) == ["0301", "4601"]
