"""The overview queries (certbot.store.overview) and the viewer-bounded models built on them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from certbot.inbound import records
from certbot.match import Matcher
from certbot.model import TLP
from certbot.planning import plan_case
from certbot.store import AsyncStore, Store, iso
from certbot.store.overview import CaseFilter, RowFilter
from certbot.web import api_read
from certbot.web.api_read import OutOfScope, Reader
from certbot.web.models import Viewer
from tests.factory import T0, confirmed, kev
from tests.inbound_helpers import make_world

OPERATOR_VIEW = Viewer(TLP.AMBER_STRICT)


def _amber_case(world) -> str:
    """A second case, TLP:AMBER, alerted to both municipalities."""
    advs = [
        kev("CVE-2026-0002", "Fortinet", "FortiOS", tlp=TLP.AMBER, title="Hemmelig FortiOS"),
        confirmed("CVE-2026-0002", tlp=TLP.AMBER),
    ]
    changes = world.store.ingest(advs, now=T0)
    with world.store.tx():
        for change in changes:
            plan_case(world.store, world.config, Matcher(world.config.subscribers), change, T0)
    return changes[0].case_id


def test_case_summaries_count_filter_and_page(tmp_path):
    world = make_world(tmp_path)
    amber = _amber_case(world)
    world.run("telegram", "111", f"status {world.case} patchet")
    now = iso(world.clock.now + timedelta(days=30)) or ""
    rows, total = world.store.case_summaries(now)
    assert total == 2 and {r["case_id"] for r in rows} == {world.case, amber}
    first = next(r for r in rows if r["case_id"] == world.case)
    assert (first["municipalities"], first["patched"], first["overdue"]) == (2, 1, 1)
    assert first["tlp"] == int(TLP.CLEAR) and "kev" in first["sources"]
    assert next(r for r in rows if r["case_id"] == amber)["tlp"] == int(TLP.AMBER)
    page, total = world.store.case_summaries(now, limit=1, offset=1)
    assert total == 2 and len(page) == 1 and page[0]["case_id"] == rows[1]["case_id"]
    only, _ = world.store.case_summaries(now, CaseFilter(tlp=int(TLP.AMBER)))
    assert [r["case_id"] for r in only] == [amber]
    none, total = world.store.case_summaries(now, CaseFilter(source="no-such-feed"))
    assert (none, total) == ([], 0)
    # `sector` (the CLI table) reads the same query: full ids, same counts.
    assert records.sector(world.store, now)[0]["case_id"] in {world.case, amber}


def test_matches_per_municipality_and_rollup(tmp_path):
    world = make_world(tmp_path)
    world.run("telegram", "111", f"status {world.case} patchet")
    now = iso(world.clock.now + timedelta(days=30)) or ""
    matches = world.store.case_matches(world.case, now)
    by_sub = {m["subscriber_id"]: m for m in matches}
    assert by_sub["0301"]["status"] == "remediation_done" and not by_sub["0301"]["overdue"]
    assert by_sub["4601"]["overdue"] and by_sub["4601"]["items"][0]["item"]
    assert world.store.case_matches(world.case, now, ("4601",))[0]["subscriber_id"] == "4601"
    rollup = {r["subscriber_id"]: r for r in world.store.municipality_rollup(now)}
    assert (rollup["0301"]["open"], rollup["0301"]["patched"]) == (0, 1)
    assert (rollup["4601"]["open_p1"], rollup["4601"]["overdue"]) == (1, 1)
    times = world.store.response_times()
    assert times["patch_hours"] == 0.0 and times["ack_hours"] == 0.0
    trend = world.store.open_trend((T0 + timedelta(days=1)).date(), days=3)
    assert [t["p1"] for t in trend] == [0, 1, 1]  # from T0, still open for Bergen
    assert len(trend) == 3 and trend[0]["date"] < trend[-1]["date"]


def test_rows_pages(tmp_path):
    world = make_world(tmp_path)
    world.run("telegram", "111", f"ack {world.case}")
    rows, total = world.store.delivery_page(RowFilter(subscribers=("0301",)))
    assert total == len(rows) > 0 and {r["subscriber_id"] for r in rows} == {"0301"}
    assert "notification" not in rows[0]
    acks, total = world.store.ack_page()
    assert total == 1 and acks[0]["history"][0]["status"] == "acknowledged"
    assert world.store.ack_page(RowFilter(subscribers=("4601",))) == ([], 0)


async def test_reader_withholds_and_scopes(tmp_path):
    world = make_world(tmp_path)
    amber = _amber_case(world)
    store = AsyncStore(world.store)
    bergen = Reader(store, world.config, Viewer(TLP.GREEN, municipality="4601"), world.clock.now)
    cases, total = await bergen.cases(CaseFilter(subscribers=bergen.scope()))
    shown = {c.id: c for c in cases}
    assert total == 2 and shown[amber].withheld and shown[amber].title is None
    assert shown[world.case].title and not shown[world.case].withheld
    ops = Reader(store, world.config, OPERATOR_VIEW, world.clock.now)
    detail = await ops.case(amber)
    assert detail is not None and detail.title and not detail.withheld
    assert detail.matches[0].items[0].verdict == "affected"
    assert {m.subscriber_id for m in detail.matches} == {"0301", "4601"}
    scoped = await bergen.case(amber)
    assert scoped is not None and [m.subscriber_id for m in scoped.matches] == ["4601"]
    try:
        bergen.scope("0301")
    except OutOfScope:
        pass
    else:
        raise AssertionError("another municipality's id must be refused")
    summary = await ops.sector()
    assert summary.open_cases == 2 and summary.affected_municipalities == 2
    assert {c.id for c in summary.counties} == {"03", "46"}
    assert summary.open_by_priority[0].priority == 1 and len(summary.trend) == 90


def _naive_trend(spans, today, days):
    """The definition, day by day: a case counts at its most urgent open priority."""
    out = []
    for n in range(days - 1, -1, -1):
        day = today - timedelta(days=n)
        end = iso(datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1))
        best: dict[str, int] = {}
        for case, prio, start, closed in spans:
            if start < end and (closed is None or closed >= end):
                best[case] = min(prio, best.get(case, 9))
        out.append(
            {
                "date": day.isoformat(),
                "p1": [*best.values()].count(1),
                "p2": [*best.values()].count(2),
            }
        )
    return out


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),  # case
            st.integers(1, 4),  # priority
            st.integers(-50, 20),  # hours from T0 it was alerted
            st.none() | st.integers(0, 200),  # hours after that it was closed
        ),
        max_size=12,
    )
)
def test_open_trend_matches_its_definition(tmp_path_factory, rows):
    store = Store(tmp_path_factory.mktemp("trend") / "t.db")
    spans = []
    with store.tx():
        for n, (case, prio, start_h, closed_h) in enumerate(rows):
            case_id, sub = f"C{case}", f"{n:04d}"
            start = T0 + timedelta(hours=start_h)
            store.db.execute(
                "INSERT INTO alerts VALUES (?, ?, 1, ?, 'open', ?, ?)",
                [case_id, sub, prio, iso(start), iso(start)],
            )
            closed = None if closed_h is None else iso(start + timedelta(hours=closed_h))
            if closed is not None:
                history = json.dumps([{"status": "remediation_done", "at": closed}])
                store.db.execute(
                    "INSERT INTO acks VALUES (?, ?, 'remediation_done', 'x', ?, '', ?)",
                    [case_id, sub, closed, history],
                )
            if prio <= 2:
                spans.append((case_id, prio, iso(start), closed))
    today = (T0 + timedelta(days=3)).date()
    assert store.open_trend(today, 7) == _naive_trend(spans, today, 7)
    store.close()


async def test_slow_reads_are_reused_for_a_while(tmp_path, monkeypatch):
    world = make_world(tmp_path)
    store = AsyncStore(world.store)
    ops = Reader(store, world.config, OPERATOR_VIEW, world.clock.now)
    monkeypatch.setattr(api_read, "SLOW", 10.0)  # nothing here is slow: always fresh
    assert (await ops.sector()).patched == 0
    world.run("telegram", "111", f"status {world.case} patchet")
    assert (await ops.sector()).patched == 1
    monkeypatch.setattr(api_read, "SLOW", 0.0)  # everything counts as slow: reused
    first = await ops.sector()
    world.run("telegram", "222", f"status {world.case} patched")
    assert (await ops.sector()).patched == first.patched == 1  # the reused answer
    monkeypatch.setattr(api_read, "TTL", 0.0)
    assert (await ops.sector(days=30)).patched == 2  # another key, computed afresh
