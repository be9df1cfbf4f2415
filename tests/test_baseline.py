"""No first-run flood (issue 11.2): old cases on a first poll, for a new municipality or a new
inventory item go into one "Status ved oppstart" message per target, through the pipeline."""

from __future__ import annotations

import json
from datetime import timedelta

from certbot.config import FeedConfig
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from tests.factory import T0, Clock, config, confirmed, fortios_sub, kev

FEED = FeedConfig(id="csaf-test", kind="csaf", path="x.json")
OLD = T0 - timedelta(days=400)
RECENT = T0 - timedelta(days=3)


def poll(p: Pipeline, *advisories, feed: FeedConfig = FEED):
    return p._ingest_and_plan(feed, list(advisories), SourceState())


def rows(store, **where):
    out = store.store.deliveries(limit=10_000)
    return [r for r in out if all(r[k] == v for k, v in where.items())]


def alerts(store):
    """Alert rows planned on their own (not folded into an onboarding message)."""
    return [r for r in rows(store, kind="alert") if r["digest_id"] is None]


def test_old_cases_on_a_first_poll_go_into_one_status_message_per_target(store):
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=Clock())
    poll(p, confirmed("CVE-2023-0001", published=OLD), confirmed("CVE-2023-0002", published=OLD))
    assert alerts(store) == []
    onboarding = rows(store, kind="onboarding")
    assert len(onboarding) == 1  # one target, one message
    n = json.loads(onboarding[0]["notification"])
    assert n["title"] == "Status ved oppstart: 2 saker som gjelder dere"
    assert sorted(i["case_id"] for i in n["items"]) == ["CVE-2023-0001", "CVE-2023-0002"]
    assert all(i["actions"] for i in n["items"])  # each item keeps its actions
    # Nothing is dropped: the matches, the alert state and each case's row are kept.
    held = rows(store, kind="alert")
    assert {r["status"] for r in held} == {"digested"}
    assert {r["digest_id"] for r in held} == {onboarding[0]["id"]}
    assert store.store.matched_items("CVE-2023-0001", "0301")
    assert "0301" in store.store.alert_states("CVE-2023-0001")


def test_a_case_published_inside_the_window_alerts_at_once(store):
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=Clock())
    poll(p, confirmed("CVE-2026-0001", published=RECENT), confirmed("CVE-2023-0001", published=OLD))
    planned = alerts(store)
    assert [r["case_id"] for r in planned] == ["CVE-2026-0001"]
    items = json.loads(rows(store, kind="onboarding")[0]["notification"])["items"]
    assert [i["case_id"] for i in items] == ["CVE-2023-0001"]


def test_a_kev_entry_added_inside_the_window_is_new(store):
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=Clock())
    poll(p, kev("CVE-2019-0001", "Fortinet", "FortiOS", published=RECENT))  # dateAdded
    assert [r["case_id"] for r in alerts(store)] == ["CVE-2019-0001"]
    assert rows(store, kind="onboarding") == []


def test_an_old_case_on_a_known_feed_for_a_known_municipality_alerts(store):
    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    poll(p, confirmed("CVE-2023-0001", published=OLD))
    clock.advance(3600)
    poll(p, confirmed("CVE-2023-0002", published=OLD))  # feed, municipality and item known
    pending = alerts(store)
    assert [r["case_id"] for r in pending] == ["CVE-2023-0002"]


def test_a_new_municipality_gets_its_backlog_as_status_not_alerts(store):
    clock = Clock()
    poll(
        Pipeline(config([fortios_sub("0301")]), store, http=None, clock=clock),
        confirmed("CVE-2023-0001", published=OLD),
    )
    clock.advance(3600)
    p = Pipeline(config([fortios_sub("0301"), fortios_sub("4601")]), store, http=None, clock=clock)
    poll(p, confirmed("CVE-2023-0002", published=OLD))
    assert [r["subscriber_id"] for r in alerts(store)] == ["0301"]
    onboarding = rows(store, kind="onboarding")
    assert [r["subscriber_id"] for r in onboarding if "CVE-2023-0002" in r["notification"]] == [
        "4601"
    ]


def test_a_new_inventory_item_gets_its_backlog_as_status(store):
    clock = Clock()
    poll(
        Pipeline(config([fortios_sub("0301", version="7.0.1")]), store, http=None, clock=clock),
        confirmed("CVE-2023-0001", published=OLD),
    )
    clock.advance(3600)
    p = Pipeline(config([fortios_sub("0301", version="7.2.4")]), store, http=None, clock=clock)
    poll(p, confirmed("CVE-2023-0002", published=OLD))
    assert alerts(store) == []
    (status,) = [r for r in rows(store, kind="onboarding") if "CVE-2023-0002" in r["notification"]]
    assert status["subscriber_id"] == "0301"


def test_the_window_is_configurable(store):
    cfg = config([fortios_sub()], service={"routing": {"baseline_days": 1000}})
    poll(Pipeline(cfg, store, http=None, clock=Clock()), confirmed("CVE-2023-0001", published=OLD))
    assert [r["case_id"] for r in alerts(store)] == ["CVE-2023-0001"]
    assert rows(store, kind="onboarding") == []


def test_status_lists_the_highest_priority_first(store):
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=Clock())
    poll(
        p,
        confirmed("CVE-2023-0009", published=OLD, cvss=4.0),
        confirmed("CVE-2023-0001", published=OLD, cvss=9.8, exploited=True),
    )
    n = json.loads(rows(store, kind="onboarding")[0]["notification"])
    priorities = [i["priority"] for i in n["items"]]
    assert priorities == sorted(priorities) and priorities[0] < priorities[-1]
    assert n["priority"] == priorities[0]


def test_a_feed_polled_for_the_first_time_sends_its_backlog_as_status(store):
    clock = Clock()
    p = Pipeline(config([fortios_sub()]), store, http=None, clock=clock)
    poll(p, confirmed("CVE-2026-0001", published=RECENT))  # municipality and items now known
    clock.advance(3600)
    other = FeedConfig(id="csaf-other", kind="csaf", path="y.json")
    poll(p, confirmed("CVE-2023-0001", published=OLD, source="csaf-other"), feed=other)
    assert [r["case_id"] for r in alerts(store)] == ["CVE-2026-0001"]
    (status,) = rows(store, kind="onboarding")
    assert "CVE-2023-0001" in status["notification"]


# Issue 16 (idle poll): the poll path notes a config's inventory once. Later polls with the
# same config do not read every item key back; a reloaded config is noted again, so a new item
# is still seen as new.
async def test_inventory_is_noted_once_per_config_on_the_poll_path(store, monkeypatch):
    noted: list[int] = []
    new: list[set[tuple[str, str]]] = []
    note = store.store.note_inventory

    def counting(pairs, now):
        pairs = list(pairs)
        noted.append(len(pairs))
        new.append(note(pairs, now))
        return new[-1]

    monkeypatch.setattr(store.store, "note_inventory", counting)
    clock = Clock()
    p = Pipeline(config([fortios_sub("0301", version="7.0.1")]), store, http=None, clock=clock)
    await p._ingest_then_plan(
        [(FEED, [confirmed("CVE-2023-0001", published=OLD)], SourceState())], {}
    )
    for _ in range(2):  # idle: a feed answered, nothing new
        clock.advance(600)
        await p._ingest_then_plan([(FEED, [], SourceState())], {})
    assert len(noted) == 1 and noted[0] > 0  # the first poll noted every item
    clock.advance(3600)
    p.config = config([fortios_sub("0301", version="7.2.4")])  # a reload: a new item
    await p._ingest_then_plan(
        [(FEED, [confirmed("CVE-2023-0002", published=OLD)], SourceState())], {}
    )
    assert len(noted) == 2
    assert any("7.2.4" in key for _, key in new[-1])  # the reloaded item is new
