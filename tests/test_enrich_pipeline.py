"""NVD enrichment in the poll cycle (opt-in per feed): a KEV entry without versions becomes a
version-accurate match from the first alert, answers are cached, and enrichment alone never
re-alerts."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from certbot import pipeline as pipeline_mod
from certbot.config import FeedConfig
from certbot.fetch import Http
from certbot.pipeline import Pipeline
from certbot.store import AsyncStore, Store
from tests.factory import Clock, config, kev, subscriber
from tests.pipeline_helpers import FixedSource, serving

CVE = "CVE-2024-21762"
NVD_ANSWER = {
    "vulnerabilities": [
        {
            "cve": {
                "id": CVE,
                "lastModified": "2024-02-13T00:00:00.000",
                "metrics": {
                    "cvssMetricV31": [
                        {
                            "type": "Primary",
                            "cvssData": {
                                "version": "3.1",
                                "baseScore": 9.8,
                                "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                            },
                        }
                    ]
                },
                "configurations": [
                    {
                        "nodes": [
                            {
                                "operator": "OR",
                                "negate": False,
                                "cpeMatch": [
                                    {
                                        "vulnerable": True,
                                        "criteria": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
                                        "versionStartIncluding": "7.2.0",
                                        "versionEndExcluding": "7.2.7",
                                        "matchCriteriaId": "A",
                                    },
                                ],
                            }
                        ]
                    }
                ],
            }
        }
    ],
}


@pytest.fixture
async def nvd_server():
    hits: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        hits.append(request.query.get("cveId", ""))
        return web.json_response(NVD_ANSWER)

    app = web.Application()
    app.router.add_get("/rest/json/cves/2.0", handle)
    async with serving(app) as base:
        yield hits, f"{base}/rest/json/cves/2.0"


def one_shot() -> FixedSource:
    """A source stand-in that yields the same KEV advisory on every poll."""
    return FixedSource(lambda: [kev(CVE, "Fortinet", "FortiOS")])


async def test_nvd_ranges_make_kev_matches_version_accurate(tmp_path, nvd_server, monkeypatch):
    monkeypatch.setattr(pipeline_mod, "get_source", lambda kind: one_shot())
    subs = [
        subscriber(
            "0301", "Oslo", [{"vendor": "Fortinet", "product": "FortiOS", "version": "7.2.4"}]
        ),
        subscriber(
            "4601", "Bergen", [{"vendor": "Fortinet", "product": "FortiOS", "version": "7.2.10"}]
        ),
    ]
    store = AsyncStore(Store(tmp_path / "t.db"))
    hits, api = nvd_server
    feed = FeedConfig(id="kev", kind="kev", path="k.json", enrich_nvd=True)
    nvd_feed = {"id": "nvd", "kind": "nvd", "url": api, "allow_private": True, "enabled": False}
    async with Http() as http:
        p = Pipeline(config(subs, feeds=[feed.model_dump(), nvd_feed]), store, http, clock=Clock())
        (result,) = await p.poll_many([feed])
        assert result.planned >= 1
        got = {r["subscriber_id"]: json.loads(r["notification"]) for r in store.store.deliveries()}
        # Oslo's 7.2.4 is inside NVD's range; Bergen's 7.2.10 is not: told only Oslo, exactly.
        assert set(got) == {"0301"}
        assert got["0301"]["matched"][0]["rule"] == "product_version"
        case = store.store.load_case(CVE)
        assert case is not None and case.cvss == 9.8
        # Second cycle: cached, no request, and enrichment alone re-alerts nobody.
        (again,) = await p.poll_many([feed])
        assert hits == [CVE] and again.planned == 0
    store.close()
