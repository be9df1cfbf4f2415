"""Publishing through the JSON API (issues 13 and 14.3): ``POST /api/v1/advisories`` and
``POST /api/v1/advisories/{id}/withdraw`` for clients with the ``publish`` scope. A real API
on 127.0.0.1 over a real store and the ordinary publish path; every answer is validated
against the OpenAPI document (tests.api_helpers.Api.request)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate

from certbot.publish import publish as pub
from certbot.web.api_spec import openapi
from tests.api_helpers import TOKENS, api_config, running_api
from tests.inbound_helpers import make_config

OPS, PUB = TOKENS["OPS_TOKEN"], TOKENS["PUBLISH_TOKEN"]
ADVISORIES = "/api/v1/advisories"
# Tables a publish writes; the outbox's own statuses may change while a test runs.
WRITTEN = ("cases", "advisories", "revisions", "alerts", "matches", "deliveries", "audit")
WRITTEN += ("published_advisories", "published_revisions")


def draft(**changes: Any) -> dict[str, Any]:
    """A draft about the FortiOS both municipalities of the world run."""
    return {
        "title": "Kritisk sårbarhet i FortiOS SSL-VPN",
        "tlp": "CLEAR",
        "summary": "En sårbarhet i SSL-VPN lar en angriper kjøre kode på brannmuren.",
        "cves": ["CVE-2026-99901"],
        "cvss": 9.8,
        "products": [{"vendor": "Fortinet", "product": "FortiOS", "versions": "7.2.0 til 7.2.6"}],
        **changes,
    }


def rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a publish writes (a read-only connection beside the app's)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {
            t: conn.execute(f"SELECT rowid FROM {t} ORDER BY rowid").fetchall() for t in WRITTEN
        }
    finally:
        conn.close()


def audit(db: Path) -> list[tuple[str, str, str | None]]:
    """The audit events written by API clients: (action, actor, decision)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        query = "SELECT action, actor, decision FROM audit WHERE actor LIKE 'api:%' ORDER BY id"
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def test_the_document_has_the_post_routes_and_still_validates():
    doc = openapi()
    validate(doc)
    post = doc["paths"][ADVISORIES]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Draft"}
    assert {"409", "422", "401", "403"} <= set(post["responses"])
    assert "Draft" in doc["components"]["schemas"] and "get" not in doc["paths"][ADVISORIES]
    withdraw = doc["paths"][f"{ADVISORIES}/{{advisory_id}}/withdraw"]["post"]
    ref = withdraw["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/WithdrawBody")


def test_an_api_client_with_publish_is_an_operator_and_others_are_not(tmp_path):
    config = make_config(tmp_path, api=api_config(tmp_path))
    assert pub.check_operator(config, "api:pub") == "api:pub"
    for name in ("api:ops", "api:bergen", "api:nobody"):  # read-only clients, unknown
        try:
            pub.check_operator(config, name)
        except pub.PublishRefused as exc:
            assert name in str(exc)
        else:
            raise AssertionError(f"{name} was accepted")


async def test_dry_run_plans_and_writes_nothing_then_publish_writes(tmp_path):
    db = tmp_path / "certbot.db"
    async with running_api(tmp_path) as api:
        before = rows(db)
        status, dry, _ = await api.post(ADVISORIES, PUB, draft(), dry_run=True)
        assert status == 200 and dry["dry_run"] and dry["status"] == "published"
        assert dry["revision"] == 1 and dry["id"].startswith("KCERT-")
        planned = {(d["municipality"], d["target"], d["priority"]) for d in dry["deliveries"]}
        assert planned == {("0301", "drift", 3), ("0301", "vakt", 3), ("4601", "drift", 3)}
        assert dry["paths"]["0301"][-1].strip() == "Outcome: scheduled -> P3"
        assert all(d["tlp_decision"] == "allowed" for d in dry["deliveries"])
        assert rows(db) == before and audit(db) == []
        status, out, _ = await api.post(ADVISORIES, PUB, draft())
        assert status == 200 and not out["dry_run"] and out["status"] == "published"
        assert out["id"] == dry["id"] and out["case_id"]
        assert {(d["municipality"], d["target"], d["priority"]) for d in out["deliveries"]} == {
            (d["municipality"], d["target"], d["priority"]) for d in dry["deliveries"]
        }
        after = rows(db)
        assert len(after["published_advisories"]) == len(before["published_advisories"]) + 1
        assert len(after["deliveries"]) == len(before["deliveries"]) + len(out["deliveries"])
        assert audit(db) == [("publish", "api:pub", "published")]
        # the case is in the ordinary read API like any feed's
        status, case, _ = await api.get(f"/api/v1/cases/{out['case_id']}", OPS)
        assert status == 200 and {m["subscriber_id"] for m in case["matches"]} >= {"0301"}


async def test_revision_unchanged_stricter_tlp_and_withdraw(tmp_path):
    db = tmp_path / "certbot.db"
    async with running_api(tmp_path) as api:
        status, first, _ = await api.post(ADVISORIES, PUB, draft())
        pid = first["id"]
        status, same, _ = await api.post(ADVISORIES, PUB, draft(id=pid))
        assert status == 200 and same["status"] == "unchanged" and same["deliveries"] == []
        fixed = [{**draft()["products"][0], "fixed": ["7.2.7"]}]
        status, rev, _ = await api.post(ADVISORIES, PUB, draft(id=pid, products=fixed))
        assert status == 200 and rev["status"] == "revised" and rev["revision"] == 2
        assert rev["changes"] and rev["id"] == pid
        before = rows(db)
        status, refused, headers = await api.post(ADVISORIES, PUB, draft(id=pid, tlp="AMBER"))
        assert status == 409 and headers["Content-Type"].startswith("application/problem+json")
        assert "stricter" in refused["detail"] and rows(db) == before
        status, amber, _ = await api.post(
            ADVISORIES, PUB, draft(id=pid, tlp="AMBER", products=fixed), confirm_tlp=True
        )
        assert status == 200 and amber["revision"] == 3 and amber["warnings"]
        status, gone, _ = await api.post(
            f"{ADVISORIES}/{pid}/withdraw", PUB, {"reason": "feil produkt"}
        )
        assert status == 200 and gone["status"] == "withdrawn" and gone["revision"] == 4
        status, again, _ = await api.post(f"{ADVISORIES}/{pid}/withdraw", PUB, {})
        assert status == 409 and "already withdrawn" in again["detail"]
        status, unknown, _ = await api.post(f"{ADVISORIES}/KCERT-1999-0001/withdraw", PUB, {})
        assert status == 409 and "KCERT-1999-0001" in unknown["detail"]
        actions = [a for a, _, _ in audit(db)]
        assert actions == ["publish", "publish_unchanged", "revise", "revise", "withdraw"]


async def test_tokens_without_publish_and_invalid_drafts_write_nothing(tmp_path):
    db = tmp_path / "certbot.db"
    async with running_api(tmp_path) as api:
        before = rows(db)
        for token in (None, "x" * 32):
            status, body, headers = await api.post(ADVISORIES, token, draft())
            assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
        status, body, _ = await api.post(ADVISORIES, OPS, draft())  # read only
        assert status == 403 and "publish" in body["detail"]
        status, body, _ = await api.post(f"{ADVISORIES}/KCERT-2026-0001/withdraw", OPS, {})
        assert status == 403
        bad = draft(tlp="PURPLE", cves=["CVE-26-1"], summary="", colour="red")
        status, body, headers = await api.post(ADVISORIES, PUB, bad)
        assert status == 422 and headers["Content-Type"].startswith("application/problem+json")
        fields = {e.split(":")[0] for e in body["errors"]}
        assert {"tlp", "cves", "summary", "colour"} <= fields
        status, body, _ = await api.post(ADVISORIES, PUB, ["not", "a", "draft"])
        assert status == 422
        status, body, _ = await api.post(ADVISORIES, PUB, draft(), dry_run="maybe")
        assert status == 400
        status, body, _ = await api.post(
            ADVISORIES, PUB, draft(recipients={"municipalities": ["9999"]})
        )
        assert status == 409 and "9999" in body["detail"]
        async with api.session.post(
            api.base + ADVISORIES,
            data=b"{not json",
            headers={"Authorization": f"Bearer {PUB}", "Content-Type": "application/json"},
        ) as resp:
            assert resp.status == 400 and resp.content_type == "application/problem+json"
        assert rows(db) == before and audit(db) == []


async def test_a_red_draft_goes_the_cli_way_never_to_a_channel(tmp_path):
    async with running_api(tmp_path) as api:
        status, red, _ = await api.post(ADVISORIES, PUB, draft(tlp="RED"))
        assert status == 200 and red["status"] == "published"
        assert len(red["deliveries"]) == 3 and red["case_id"]
        for d in red["deliveries"]:  # RED goes to named persons only, never to a channel
            assert d["tlp_decision"] == "blocked" and "TLP:RED" in d["reason"]
