"""Store + match + priority + planning: merge, idempotency, revisions, TLP at plan time."""

from __future__ import annotations

import json

from certbot.config import FeedConfig
from certbot.model import TLP, AffectedProduct, Priority, Remediation
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from tests.factory import Clock, config, confirmed, fortios_sub, kev, prose, structured, subscriber

FEED = FeedConfig(id="test", kind="rss", path="x.xml")


def ingest(pipeline: Pipeline, *advisories):
    return pipeline._ingest_and_plan(FEED, list(advisories), SourceState())


def rows(store, **where):
    out = store.store.deliveries(limit=10_000)
    return [r for r in out if all(r[k] == v for k, v in where.items())]


def test_same_cve_from_rss_and_kev_is_one_alert_per_municipality(store):
    cfg = config([fortios_sub("0301"), fortios_sub("4601")])
    p = Pipeline(cfg, store, http=None, clock=Clock())
    result = ingest(
        p,
        prose(
            "nsm-1",
            "Kritisk sårbarhet i Fortinet FortiOS (CVE-2024-21762)",
            cves=("CVE-2024-21762",),
        ),
        kev("CVE-2024-21762", "Fortinet", "FortiOS"),
    )
    assert len(result.changed_cases) == 1
    alerts = rows(store, kind="alert")
    assert sorted(r["subscriber_id"] for r in alerts) == ["0301", "4601"]
    assert {r["case_id"] for r in alerts} == {"CVE-2024-21762"}
    n = json.loads(alerts[0]["notification"])
    # exploited + internet-facing + critical is Immediate in the tree, but KEV names the
    # product without versions ("possibly affected"): capped to P2.
    assert n["priority"] == "P2"
    assert n["deadline"]


def test_second_poll_of_unchanged_feed_plans_nothing(store):
    cfg = config([fortios_sub()])
    p = Pipeline(cfg, store, http=None, clock=Clock())
    adv = kev("CVE-2024-21762", "Fortinet", "FortiOS")
    first = ingest(p, adv)
    second = ingest(p, adv)
    assert first.planned == 1
    assert second.planned == 0 and second.changed_cases == []


def test_rss_then_kev_sends_one_update_saying_exploited(store):
    cfg = config([fortios_sub()])
    clock = Clock()
    p = Pipeline(cfg, store, http=None, clock=clock)
    ingest(
        p, prose("nsm-1", "Sårbarhet i Fortinet FortiOS (CVE-2024-21762)", cves=("CVE-2024-21762",))
    )
    clock.advance(3600)
    ingest(p, kev("CVE-2024-21762", "Fortinet", "FortiOS"))
    kinds = sorted(r["kind"] for r in rows(store, subscriber_id="0301"))
    assert kinds == ["alert", "update"]
    update = json.loads(rows(store, kind="update")[0]["notification"])
    assert any("utnyttet" in c for c in update["changes"])


def test_csaf_revision_without_material_change_is_silent(store):
    cfg = config([fortios_sub()])
    p = Pipeline(cfg, store, http=None, clock=Clock())
    prod = AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.9", entry="CSAFPID-1")
    fix = Remediation("vendor_fix", "Upgrade to 7.2.9", fixed_version="7.2.9")
    ingest(p, structured("FG-IR-24-015", [prod], revision="1", remediations=(fix,), cvss=9.6))
    ingest(
        p,
        structured(
            "FG-IR-24-015",
            [prod],
            revision="2",
            remediations=(fix,),
            cvss=9.6,
            summary="typo fixed",
        ),
    )
    assert len(rows(store)) == 1


def test_csaf_revision_with_newly_affected_product_alerts_what_changed(store):
    sub = subscriber(
        "0301",
        "Oslo",
        [
            {"vendor": "Fortinet", "product": "FortiOS", "version": "7.2.4"},
            {"vendor": "Fortinet", "product": "FortiProxy", "version": "7.2.1"},
        ],
    )
    p = Pipeline(config([sub]), store, http=None, clock=Clock())
    os_ = AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.9")
    proxy = AffectedProduct("Fortinet", "FortiProxy", versions="vers:generic/<7.2.5")
    ingest(p, structured("FG-IR-24-015", [os_], revision="1", cvss=8.1))
    ingest(p, structured("FG-IR-24-015", [os_, proxy], revision="2", cvss=8.1))
    updates = rows(store, kind="update")
    assert len(updates) == 1
    n = json.loads(updates[0]["notification"])
    assert any("Flere av deres produkter" in c for c in n["changes"])


def test_red_advisory_never_planned_to_a_shared_target(store):
    sub = fortios_sub(
        targets=[
            {"id": "kanal", "kind": "file", "address": "out/a.jsonl", "tlp_max": "AMBER"},
            {
                "id": "leder",
                "kind": "email",
                "address": "leder@oslo.kommune.example",
                "tlp_max": "RED",
                "personal": True,
            },
        ]
    )
    cfg = config(
        [sub],
        service={
            "operator_targets": [
                {"id": "vakt", "kind": "file", "address": "out/op.jsonl", "tlp_max": "GREEN"}
            ]
        },
    )
    p = Pipeline(cfg, store, http=None, clock=Clock())
    ingest(
        p,
        structured(
            "red-1",
            [AffectedProduct("Fortinet", "FortiOS")],
            tlp=TLP.RED,
            exploited=True,
            title="Hemmelig: FortiOS",
        ),
    )
    by_target = {r["target_id"]: r for r in rows(store, subscriber_id="0301")}
    assert by_target["kanal"]["status"] == "blocked"
    assert by_target["leder"]["status"] == "pending"
    audit = store.store.audit_rows()
    assert any(a["action"] == "tlp_block" for a in audit)
    (op,) = rows(store, subscriber_id="operator")
    notice = json.loads(op["notification"])
    assert "Hemmelig" not in notice["title"] and "Hemmelig" not in notice["summary"]


def test_unknown_label_is_routed_as_red_and_the_operator_is_told(store):
    sub = fortios_sub(
        targets=[
            {"id": "kanal", "kind": "file", "address": "out/a.jsonl", "tlp_max": "AMBER"},
            {
                "id": "leder",
                "kind": "email",
                "address": "leder@oslo.kommune.example",
                "tlp_max": "RED",
                "personal": True,
            },
        ]
    )
    cfg = config(
        [sub],
        service={
            "operator_targets": [
                {
                    "id": "vakt",
                    "kind": "email",  # RED only to a target that can be one person (issue 12.5)
                    "address": "vakt@certbot.example",
                    "tlp_max": "RED",
                    "personal": True,
                }
            ]
        },
    )
    p = Pipeline(cfg, store, http=None, clock=Clock())
    ingest(p, structured("x", [AffectedProduct("Fortinet", "FortiOS")], tlp=None, exploited=True))
    by_target = {r["target_id"]: r for r in rows(store, subscriber_id="0301")}
    assert by_target["kanal"]["status"] == "blocked" and by_target["kanal"]["tlp"] == int(TLP.RED)
    assert by_target["leder"]["status"] == "pending"  # a named person may receive RED
    notices = [json.loads(r["notification"]) for r in rows(store, subscriber_id="operator")]
    assert any("routed as TLP:RED" in n["summary"] for n in notices)


def test_amber_goes_only_to_the_municipality_concerned(store):
    cfg = config([fortios_sub("0301"), subscriber("4601", "Bergen", [])])
    p = Pipeline(cfg, store, http=None, clock=Clock())
    ingest(
        p,
        structured(
            "amber-1", [AffectedProduct("Fortinet", "FortiOS")], tlp=TLP.AMBER, exploited=True
        ),
    )
    assert {r["subscriber_id"] for r in rows(store)} == {"0301"}


def test_low_priority_is_held_for_the_digest(store):
    cfg = config([fortios_sub()])
    p = Pipeline(cfg, store, http=None, clock=Clock())
    ingest(
        p,
        structured(
            "low",
            [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.9")],
            cvss=5.0,
        ),
    )
    (row,) = rows(store)
    assert row["status"] == "digest" and row["priority"] == Priority.P3
    assert row["due_at"]


def test_target_min_priority_filters(store):
    sub = fortios_sub(
        targets=[{"id": "sms", "kind": "file", "address": "o.jsonl", "min_priority": "P1"}]
    )
    p = Pipeline(config([sub]), store, http=None, clock=Clock())
    ingest(
        p,
        structured(
            "low",
            [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.9")],
            cvss=5.0,
        ),
    )
    assert rows(store) == []


def test_title_in_the_municipality_language_when_a_source_speaks_it(store):
    en = fortios_sub("1134", language="en")
    cfg = config([fortios_sub("0301"), en])
    p = Pipeline(cfg, store, http=None, clock=Clock())
    ingest(
        p,
        prose("nsm-1", "Kritisk sårbarhet i Fortinet FortiOS", cves=("CVE-2024-21762",)),
        kev("CVE-2024-21762", "Fortinet", "FortiOS", title="Fortinet FortiOS Out-of-Bound Write"),
    )
    titles = {r["subscriber_id"]: json.loads(r["notification"])["title"] for r in rows(store)}
    assert titles == {
        "0301": "Kritisk sårbarhet i Fortinet FortiOS",
        "1134": "Fortinet FortiOS Out-of-Bound Write",
    }


def test_past_kev_due_date_falls_back_to_the_default_deadline(store):
    from datetime import date, timedelta

    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    ingest(
        p,
        kev("CVE-2024-21762", "Fortinet", "FortiOS", due_date=date(2024, 1, 22)),
        confirmed("CVE-2024-21762"),
    )
    n = json.loads(rows(store)[0]["notification"])
    assert n["deadline"] == (clock.now + timedelta(hours=24)).isoformat()


async def test_one_bad_document_is_rejected_and_reported_others_go_on(store, monkeypatch):
    from certbot import pipeline as pipeline_mod
    from certbot.errors import ParseError
    from certbot.model import Fetched
    from certbot.sources import Source

    class TwoDocs(Source):
        kind = "csaf"

        async def fetch(self, feed, http, state):
            return Fetched(
                200,
                None,
                documents=[b"good", b"bad"],
                cursor={
                    "since": "2026-01-01",
                    "rejected": [{"url": "https://p.example/x.json", "reason": "hash mismatch"}],
                },
            )

        def parse(self, doc, feed):
            if doc == b"bad":
                raise ParseError("not CSAF")
            yield kev("CVE-2024-21762", "Fortinet", "FortiOS")

    monkeypatch.setattr(pipeline_mod, "get_source", lambda kind: TwoDocs())
    cfg = config(
        [fortios_sub()],
        service={
            "operator_targets": [
                {"id": "vakt", "kind": "file", "address": "op.jsonl", "tlp_max": "AMBER"}
            ]
        },
    )
    p = Pipeline(cfg, store, http=None, clock=Clock())
    (result,) = await p.poll_many([FeedConfig(id="csaf", kind="csaf", path="x")])
    assert result.status == "ok" and result.planned == 1
    notices = [
        json.loads(r["notification"])["summary"] for r in rows(store, subscriber_id="operator")
    ]
    assert any("hash mismatch" in n for n in notices) and any("not CSAF" in n for n in notices)
    assert (await store.feed_state("csaf")).cursor["since"] == "2026-01-01"


def test_a_changed_advisory_keeps_its_first_seen(store):
    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    ingest(p, kev("CVE-2024-21762", "Fortinet", "FortiOS"))
    clock.advance(3600)
    ingest(p, kev("CVE-2024-21762", "Fortinet", "FortiOS", summary="changed"))
    first, last, versions = store.store.db.execute(
        "SELECT first_seen, last_seen, versions FROM advisories"
    ).fetchone()
    assert first < last and versions == 2


def test_epss_known_before_the_case_raises_its_priority(store):
    import gzip

    from certbot.sources.epss import EpssSource

    doc = gzip.compress(
        b"#model_version:v2025.03.14,score_date:2026-03-10T00:00:00+0000\n"
        b"cve,epss,percentile\nCVE-2026-0777,0.42,0.99\n"
    )
    EpssSource().enrich(store.store, doc, FeedConfig(id="epss", kind="epss", path="e.csv.gz"))
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=Clock())
    # A CVE the EPSS file already scored: its case, created later, is P2 through EPSS >= 0.1.
    ingest(
        p,
        structured(
            "x",
            [AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/<7.2.9")],
            cves=("CVE-2026-0777",),
            cvss=5.0,
        ),
    )
    (row,) = rows(store)
    assert row["priority"] == Priority.P2 and row["status"] == "pending"
    assert any("EPSS" in r for r in json.loads(row["notification"])["reasons"])
