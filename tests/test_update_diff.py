"""Updates say what changed as a diff against the last message, through the real pipeline."""

from __future__ import annotations

import json

import pytest

from certbot.config import FeedConfig
from certbot.model import AffectedProduct, Remediation
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from tests.factory import Clock, config, fortios_sub, item, structured, subscriber

FEED = FeedConfig(id="test", kind="csaf", path="x.json")
OS_72 = AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/>=7.2.0|<7.2.7")


def _changes(store, *revisions, sub=None):
    clock = Clock()
    p = Pipeline(config([sub or fortios_sub()]), store, http=None, clock=clock)
    for adv in revisions:
        p._ingest_and_plan(FEED, [adv], SourceState())
        clock.advance(3600)
    updates = [r for r in store.store.deliveries(limit=1000) if r["kind"] == "update"]
    assert len(updates) == 1, [r["kind"] for r in store.store.deliveries(limit=1000)]
    return json.loads(updates[0]["notification"])["changes"]


def adv(revision: str, products=(OS_72,), **kw):
    return structured(
        "FG-IR-24-015", list(products), revision=revision, cves=("CVE-2024-21762",), **kw
    )


def test_priority_change_names_old_and_new_and_why(store):
    before = adv("1", cvss=5.0)
    after = adv("2", cvss=5.0, exploited=True)
    changes = _changes(store, before, after)
    assert changes[0] == "Prioritet: P3 → P1 (nå kjent utnyttet)"
    assert "Sårbarheten er nå kjent utnyttet" not in changes  # said once, in the diff


def test_a_new_fixed_version_is_named_for_the_branch(store):
    fix = Remediation("vendor_fix", "Upgrade to 7.2.7", fixed_version="7.2.7")
    changes = _changes(store, adv("1", cvss=5.0), adv("2", cvss=5.0, remediations=(fix,)))
    assert changes == ["Rettet versjon for 7.2-grenen: 7.2.7"]
    assert "Rettelse eller tiltak er endret" not in changes


def test_a_new_workaround_without_a_new_fix_keeps_the_generic_line(store):
    tip = Remediation("workaround", "Disable SSL VPN")
    changes = _changes(store, adv("1", cvss=5.0), adv("2", cvss=5.0, remediations=(tip,)))
    assert changes == ["Rettelse eller tiltak er endret"]


def test_a_widened_range_shows_the_new_range(store):
    wider = AffectedProduct("Fortinet", "FortiOS", versions="vers:generic/>=7.0.0|<7.2.7")
    extra = AffectedProduct("Fortinet", "FortiProxy", versions="vers:generic/<7.0")
    changes = _changes(store, adv("1", cvss=5.0), adv("2", products=(wider, extra), cvss=5.0))
    assert "Berørte versjoner utvidet: 7.0.0 til før 7.2.7" in changes
    assert "Flere produkter er berørt" not in changes


def test_withdrawn_says_so(store):
    changes = _changes(store, adv("1", cvss=5.0), adv("2", cvss=5.0, withdrawn=True))
    assert "Varselet er trukket tilbake av kilden" in changes


def _update(store, *revisions):
    """The update row for an exploited FortiOS that is critical but not internet-facing (P2)."""
    fw = item("Fortinet", "FortiOS", version="7.2.4", internet_facing=False, criticality="critical")
    clock = Clock()
    p = Pipeline(config([subscriber("0301", "Oslo", [fw])]), store, http=None, clock=clock)
    for a in revisions:
        p._ingest_and_plan(FEED, [a], SourceState())
        clock.advance(3600)
    return next(r for r in store.store.deliveries(limit=1000) if r["kind"] == "update")


@pytest.mark.parametrize(
    ("first", "status"),
    [
        ({"cvss": 7.0, "exploited": True}, "digest"),  # only the score rises: no ping
        ({"cvss": 7.0}, "pending"),  # now exploited, P3 -> P2: at once
    ],
)
def test_an_update_that_only_raises_the_score_waits_for_the_digest(store, first, status):
    row = _update(store, adv("1", **first), adv("2", cvss=9.8, exploited=True))
    assert (row["priority"], row["status"]) == (2, status)
