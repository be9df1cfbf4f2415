"""The JSON API (issue 14.3): tokens, scopes, TLP bounds, municipality scope, paging, filters,
problem+json errors, rate limits. Every answer is validated against the OpenAPI document
(tests.api_helpers.Api.get), and the document itself with openapi-spec-validator."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import make_mocked_request
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from certbot.config import ServiceConfig, load_config, missing_secrets
from certbot.errors import ConfigError
from certbot.web.api import _query
from certbot.web.api_auth import Clients
from certbot.web.api_spec import ROUTES, CaseQuery, openapi
from tests.api_helpers import TOKENS, running_api

OPS, BERGEN, PUB = TOKENS["OPS_TOKEN"], TOKENS["BERGEN_TOKEN"], TOKENS["PUBLISH_TOKEN"]


def test_the_document_validates_and_covers_every_route():
    doc = openapi()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert {r.path for r in ROUTES} <= set(doc["paths"])
    assert "CaseDetail" in doc["components"]["schemas"]


async def test_operator_reads_cases_pages_and_filters(tmp_path):
    async with running_api(tmp_path) as api:
        status, served, _ = await api.get("/api/v1/openapi.json")
        assert status == 200 and served == openapi()
        status, page, headers = await api.get("/api/v1/cases", OPS)
        assert status == 200 and page["total"] == 2 and headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert {c["id"] for c in page["items"]} == set(api.cases.values())
        amber = next(c for c in page["items"] if c["id"] == api.cases["amber"])
        assert amber["title"] == "<b>Hemmelig</b>" and not amber["withheld"]  # JSON, not HTML
        status, first, _ = await api.get("/api/v1/cases", OPS, limit=1)
        assert (len(first["items"]), first["next_offset"], first["total"]) == (1, 1, 2)
        status, last, _ = await api.get("/api/v1/cases", OPS, limit=1, offset=1)
        assert last["next_offset"] is None and last["items"][0]["id"] != first["items"][0]["id"]
        status, only, _ = await api.get("/api/v1/cases", OPS, tlp="AMBER")
        assert [c["id"] for c in only["items"]] == [api.cases["amber"]]
        status, oslo, _ = await api.get("/api/v1/cases", OPS, county="03", priority=1, open=True)
        assert status == 200 and oslo["total"] == 2
        status, detail, _ = await api.get(f"/api/v1/cases/{api.cases['p1']}", OPS)
        assert status == 200 and {m["subscriber_id"] for m in detail["matches"]} == {"0301", "4601"}
        oslo_match = next(m for m in detail["matches"] if m["subscriber_id"] == "0301")
        assert oslo_match["status"] == "acknowledged" and oslo_match["items"][0]["verdict"]
        status, missing, _ = await api.get("/api/v1/cases/CVE-1999-0001", OPS)
        assert status == 404 and missing["status"] == 404


async def test_operator_reads_outbox_acks_incidents_sector_feeds(tmp_path):
    async with running_api(tmp_path) as api:
        status, deliveries, _ = await api.get("/api/v1/deliveries", OPS, municipality="0301")
        assert status == 200 and deliveries["total"] > 0
        assert {d["subscriber_id"] for d in deliveries["items"]} == {"0301"}
        status, acks, _ = await api.get("/api/v1/acknowledgements", OPS)
        assert acks["total"] == 1 and acks["items"][0]["history"][0]["by"] == "telegram:111"
        status, incidents, _ = await api.get("/api/v1/incidents", OPS)
        (inc,) = incidents["items"]
        assert inc["id"] == api.incident and inc["what_happened"].startswith("<script>")
        status, sector, _ = await api.get("/api/v1/sector", OPS, days=7)
        assert status == 200 and sector["open_cases"] == 2 and len(sector["trend"]) == 7
        assert {c["id"] for c in sector["counties"]} == {"03", "46"}
        assert sector["acknowledged"] == 1 and sector["median_hours_to_acknowledge"] == 0.0
        status, feeds, _ = await api.get("/api/v1/feeds", OPS)
        assert status == 200 and feeds == {"items": []}  # the world configures no feeds


async def test_municipality_client_sees_only_its_own_within_its_clearance(tmp_path):
    async with running_api(tmp_path) as api:
        status, page, _ = await api.get("/api/v1/cases", BERGEN)
        shown = {c["id"]: c for c in page["items"]}
        assert shown[api.cases["amber"]]["withheld"] and shown[api.cases["amber"]]["title"] is None
        assert shown[api.cases["p1"]]["title"] and shown[api.cases["p1"]]["municipalities"] == 1
        status, detail, _ = await api.get(f"/api/v1/cases/{api.cases['amber']}", BERGEN)
        assert detail["title"] is None and [m["subscriber_id"] for m in detail["matches"]] == [
            "4601"
        ]
        for path, params in (
            ("/api/v1/cases", {"municipality": "0301"}),
            ("/api/v1/deliveries", {"municipality": "0301"}),
            ("/api/v1/acknowledgements", {"municipality": "0301"}),
            ("/api/v1/incidents", {"municipality": "0301"}),
            ("/api/v1/sector", {"county": "03"}),
        ):
            status, body, _ = await api.get(path, BERGEN, **params)
            assert status == 403 and set(body) == {"type", "title", "status", "detail", "instance"}
            assert "0301" not in str(body) and "Hemmelig" not in str(body)
        status, own, _ = await api.get("/api/v1/deliveries", BERGEN)
        assert own["total"] > 0 and {d["subscriber_id"] for d in own["items"]} == {"4601"}
        status, incidents, _ = await api.get("/api/v1/incidents", BERGEN)
        assert incidents == {"items": [], "total": 0, "limit": 50, "offset": 0, "next_offset": None}


async def test_tokens_scopes_and_bad_queries_answer_problems(tmp_path):
    async with running_api(tmp_path) as api:
        for token in (None, "x" * 32, OPS[:-1]):
            status, body, headers = await api.get("/api/v1/cases", token)
            assert status == 401 and body["title"] == "Unauthorized"
            assert headers["Content-Type"].startswith("application/problem+json")
            assert headers["WWW-Authenticate"].startswith("Bearer")
        status, body, _ = await api.get("/api/v1/cases", PUB)  # publish only, no read
        assert status == 403 and "read" in body["detail"]
        for params in ({"limit": 0}, {"limit": 501}, {"color": "red"}, {"tlp": "PURPLE"}):
            status, body, _ = await api.get("/api/v1/cases", OPS, **params)
            assert status == 400 and body["status"] == 400
        status, body, _ = await api.get("/api/v1/feeds", OPS, limit=5)
        assert status == 400
        async with api.session.get(api.base + "/api/v1/nothing-here") as resp:
            assert resp.status == 404 and resp.content_type == "application/problem+json"


async def test_rate_limit_per_client(tmp_path):
    async with running_api(tmp_path, rate_per_minute=3, failed_auth_per_minute=2) as api:
        answers = [(await api.get("/api/v1/feeds", OPS))[0] for _ in range(4)]
        assert answers[:3] == [200, 200, 200] and answers[3] == 429
        status, _, _ = await api.get("/api/v1/feeds", BERGEN)  # another client: its own
        assert status == 200
        failed = [(await api.get("/api/v1/feeds", "z" * 30))[0] for _ in range(3)]
        assert failed == [401, 401, 429]


def test_config_refuses_missing_short_shared_tokens_and_unknown_municipality():
    def cfg(clients):
        return ServiceConfig.model_validate({"api": {"clients": clients}}).api

    one = [{"id": "a", "token": {"env": "A_TOKEN"}, "municipality": "9999"}]
    with pytest.raises(ConfigError) as missing:
        Clients.load(cfg(one), {}, {"0301"})
    assert "A_TOKEN" in str(missing.value) and "clients[0].token" in str(missing.value)
    with pytest.raises(ConfigError) as bad:
        Clients.load(cfg(one), {"A_TOKEN": "short-secret"}, {"0301"})
    text = str(bad.value)
    assert "shorter" in text and "9999" in text and "short-secret" not in text
    with pytest.raises(ValueError, match="RED"):
        cfg([{"id": "a", "token": {"env": "A_TOKEN"}, "tlp_max": "RED"}])
    with pytest.raises(ValueError, match="same token"):
        cfg([{"id": "a", "token": {"env": "T"}}, {"id": "b", "token": {"env": "T"}}])


def test_check_config_names_api_secrets_and_municipalities(tmp_path):
    (tmp_path / "subscribers").mkdir()
    (tmp_path / "feeds.yaml").write_text(
        "service:\n  api:\n    metrics_token: {env: M_TOKEN}\n    clients:\n"
        "      - {id: a, token: {env: A_TOKEN}, municipality: '0301'}\n"
        "feeds: []\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as unknown:
        load_config(tmp_path)
    assert "service.api.clients[0].municipality: 0301" in str(unknown.value)
    (tmp_path / "feeds.yaml").write_text(
        (tmp_path / "feeds.yaml").read_text().replace(", municipality: '0301'", "")
    )
    warnings = missing_secrets(load_config(tmp_path), {})
    assert any("service.api.clients[0].token.env" in w and "A_TOKEN" in w for w in warnings)
    assert any("service.api.metrics_token.env" in w for w in warnings)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([*CaseQuery.model_fields, "x"]), st.text(max_size=12)))
def test_any_query_string_is_a_model_or_a_400(params):
    request = make_mocked_request("GET", "/api/v1/cases?" + urlencode(params))
    route = next(r for r in ROUTES if r.op == "listCases")
    try:
        q = _query(route, request)
    except ValueError:  # pydantic's ValidationError is one: the handler answers 400
        return
    assert 1 <= q.limit <= 500 and q.offset >= 0


async def test_tokens_never_reach_the_log(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_api(tmp_path) as api:
        await api.get("/api/v1/cases", OPS)
        await api.get("/api/v1/cases", OPS + "x")
        await api.get("/api/v1/cases", BERGEN, municipality="0301")
    assert caplog.records and not any(t in caplog.text for t in TOKENS.values())
