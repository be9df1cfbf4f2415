"""CVE records in the poll cycle: a CVE Services stand-in on 127.0.0.1 through the real
fetcher (200, 404, 429 with Retry-After, a malformed body). The case goes on with what is
known, the cve feed's health names the failed ids, a later poll re-enriches them, and a record
fetched again with the same dateUpdated neither revises the case nor re-alerts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from certbot import pipeline as pipeline_mod
from certbot.fetch import Http
from certbot.model import Advisory
from certbot.pipeline import Pipeline
from certbot.sources import get_source
from certbot.store import AsyncStore, Store
from tests.factory import Clock, config, kev, subscriber
from tests.pipeline_helpers import FixedSource, serving

DATA = Path(__file__).parent / "data" / "cve5"
FORTI = "CVE-2024-21762"
LATER = "CVE-2019-6693"  # 429 on the first poll, a record on the next
MISSING = "CVE-2024-0002"  # 404
BROKEN = "CVE-2024-0004"  # a malformed body
IDS = (FORTI, LATER, MISSING, BROKEN)


class Api:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.limited = True

    async def handle(self, request: web.Request) -> web.StreamResponse:
        cve = request.match_info["cve"]
        self.calls.append(cve)
        if cve == LATER and self.limited:
            return web.Response(status=429, headers={"Retry-After": "120"})
        if cve == BROKEN:
            return web.Response(body=b'{"cveMetadata": ', content_type="application/json")
        path = DATA / f"{cve}.json"
        if not path.exists():
            return web.Response(status=404)
        return web.Response(body=path.read_bytes(), content_type="application/json")


@pytest.fixture
async def api():  # type: ignore[no-untyped-def]
    stub = Api()
    app = web.Application()
    app.router.add_get("/api/cve/{cve}", stub.handle)
    async with serving(app) as base:
        yield stub, base


def _kev_once() -> list[Advisory]:
    """The KEV feed stand-in: the same four FortiOS entries, without versions, every poll."""
    return [kev(cve, "Fortinet", "FortiOS") for cve in IDS]


def _sources(kind: str) -> Any:
    return FixedSource(_kev_once) if kind == "kev" else get_source(kind)


def _alerts(store: AsyncStore) -> dict[tuple[str, str], dict[str, Any]]:
    rows = store.store.deliveries(limit=500)
    return {
        (r["case_id"], r["subscriber_id"]): json.loads(r["notification"])
        for r in rows
        if r["kind"] == "alert"
    }


async def test_cve_records_in_the_poll_cycle(tmp_path, api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stub, base = api
    monkeypatch.setattr(pipeline_mod, "get_source", _sources)
    subs = [
        subscriber(
            "0301", "Oslo", [{"vendor": "Fortinet", "product": "FortiOS", "version": "7.2.4"}]
        ),
        subscriber(
            "4601", "Bergen", [{"vendor": "Fortinet", "product": "FortiOS", "version": "7.2.10"}]
        ),
    ]
    feeds = [
        {"id": "kev", "kind": "kev", "path": "k.json"},
        # max_age 0: every poll asks again, so the third poll proves "same dateUpdated, no change".
        {"id": "cve-records", "kind": "cve", "url": base, "allow_private": True, "max_age": 0},
    ]
    cfg = config(subs, feeds=feeds)
    store = AsyncStore(Store(tmp_path / "t.db"))
    async with Http() as http:
        p = Pipeline(cfg, store, http, clock=Clock())
        results = await p.poll_many(list(cfg.feeds))
        by_id = {r.feed_id: r for r in results}
        assert by_id["kev"].status == "ok"
        assert by_id["cve-records"].status == "ok" and by_id["cve-records"].advisories == 1

        alerts = _alerts(store)
        # The record's 7.2 branch range confirms Oslo's 7.2.4 and excludes Bergen's 7.2.10.
        [m] = alerts[(FORTI, "0301")]["matched"]
        assert (m["affected"], m["version_source"], m["source"]) == (
            "confirmed",
            "cve",
            "cve-records",
        )
        assert (FORTI, "4601") not in alerts
        # The failed ids' cases go on with what KEV says: possibly affected, both told.
        for cve in (LATER, MISSING, BROKEN):
            for sub in ("0301", "4601"):
                [m] = alerts[(cve, sub)]["matched"]
                assert (m["affected"], m["version_source"]) == ("possible", None)
        health = store.store.feed_health("cve-records")
        assert health is not None and health["failures"] == 1
        for cve in (LATER, MISSING, BROKEN):
            assert cve in health["last_error"]
        assert "retry after 120 s" in health["last_error"]
        assert FORTI not in health["last_error"]
        assert store.store.feed_state("cve-records").cursor["pending"] == sorted(
            [BROKEN, MISSING, LATER]
        )
        case = store.store.load_case(FORTI)
        assert case is not None and "cve-records" in case.sources
        revision = case.revision

        # The API answers the rate-limited id now: re-enriched on the next poll.
        stub.limited = False
        await p.poll_many(list(cfg.feeds))
        later = store.store.load_case(LATER)
        assert later is not None and "cve-records" in later.sources
        health = store.store.feed_health("cve-records")
        assert health is not None and LATER not in health["last_error"]
        assert store.store.feed_state("cve-records").cursor["pending"] == sorted([BROKEN, MISSING])

        # Third poll: the same record again (same dateUpdated): no revision, no new alert.
        before = len(store.store.deliveries(limit=500))
        asked = stub.calls.count(FORTI)
        await p.poll_many(list(cfg.feeds))
        assert stub.calls.count(FORTI) == asked + 1  # it was asked again...
        case = store.store.load_case(FORTI)
        assert case is not None and case.revision == revision  # ...and nothing changed
        assert len(store.store.deliveries(limit=500)) == before
    store.close()


async def test_an_unreachable_api_never_blocks_the_cycle(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pipeline_mod, "get_source", _sources)
    subs = [
        subscriber(
            "0301", "Oslo", [{"vendor": "Fortinet", "product": "FortiOS", "version": "7.2.4"}]
        )
    ]
    feeds = [
        {"id": "kev", "kind": "kev", "path": "k.json"},
        {"id": "cve-records", "kind": "cve", "url": "http://127.0.0.1:9", "allow_private": True},
    ]
    cfg = config(subs, feeds=feeds)
    store = AsyncStore(Store(tmp_path / "t.db"))
    async with Http() as http:
        p = Pipeline(cfg, store, http, clock=Clock())
        results = {r.feed_id: r for r in await p.poll_many(list(cfg.feeds))}
    assert results["kev"].status == "ok" and results["kev"].planned >= 1
    assert results["cve-records"].status == "error"
    assert set(store.store.feed_state("cve-records").cursor["pending"]) == set(IDS)
    assert {r["case_id"] for r in store.store.deliveries(limit=500)} >= set(IDS)
    store.close()
