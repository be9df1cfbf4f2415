"""Slack inbound (RELIABILITY.md row 16) and signed links for Teams and e-mail."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer

from certbot.channels.slack import SlackChannel
from certbot.errors import ConfigError
from certbot.inbound import records
from certbot.inbound.slack import SlackInbound, sign
from certbot.inbound.web import InboundWeb, action_links
from certbot.store import AsyncStore
from tests.chat_helpers import make_ctx, target
from tests.inbound_helpers import World, make_world, slack_headers
from tests.notifications import make_alert

SIGNING = "slack-signing-secret-for-tests"
LINK = "link-secret-for-tests"
ENV = {"SLACK_SIGNING_SECRET": SIGNING, "LINK_SECRET": LINK}


class WallClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[World, TestClient, WallClock]]:
    world = make_world(
        tmp_path,
        slack_signing_secret={"env": "SLACK_SIGNING_SECRET"},
        link_secret={"env": "LINK_SECRET"},
        public_url="https://certbot.example.no",
    )
    astore = AsyncStore(world.store)
    wall = WallClock(world.clock.now.timestamp())
    slack = SlackInbound(world.ctx, astore, environ=ENV, clock=wall)
    web = InboundWeb(world.ctx, astore, slack=slack, link_secret=LINK)
    client = TestClient(TestServer(web.app()))
    await client.start_server()
    yield world, client, wall
    await client.close()
    astore._pool.shutdown(wait=True)


def slash(world: World, text: str, trigger: str = "t1") -> bytes:
    form = {
        "user_id": "U0AAA",
        "team_id": "T0FAKE",
        "command": "/certbot",
        "text": text,
        "trigger_id": trigger,
        "channel_id": "C0DRIFT",
    }
    return urlencode(form, quote_via=quote).encode()


async def send(
    client: TestClient, raw: bytes, ts: int, sig: str, path: str = "/slack/commands"
) -> int:
    headers = {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    resp = await client.post(path, data=raw, headers=headers)
    return resp.status


def status(world: World) -> str | None:
    row = records.ack_row(world.store, world.case, "0301")
    return None if row is None else row["status"]


async def test_only_the_valid_request_has_an_effect(server: Any) -> None:
    world, client, wall = server
    ts = int(wall.t)
    raw = slash(world, f"status {world.case} patchet kveldsvakt")
    # tampered: the body changed after signing
    tampered = raw.replace(b"patchet", b"pagar")
    assert await send(client, tampered, ts, sign(SIGNING, ts, raw)) == 401
    # stale: signed 301 s ago
    old = ts - 301
    assert await send(client, raw, old, sign(SIGNING, old, raw)) == 401
    # re-encoded body: the same form with '+' for spaces, signature over the original
    reencoded = raw.replace(b"%20", b"+")
    assert reencoded != raw
    assert await send(client, reencoded, ts, sign(SIGNING, ts, raw)) == 401
    # wrong secret / missing signature
    assert await send(client, raw, ts, sign("other", ts, raw)) == 401
    assert await send(client, raw, ts, "") == 401
    assert status(world) is None  # nothing had an effect
    # the valid one
    assert await send(client, raw, ts, sign(SIGNING, ts, raw)) == 200
    assert status(world) == "remediation_done"
    # replayed: the same signed request again, within the window
    world.run("slack", "U0AAA", f"status {world.case} pågår")  # a later status...
    assert await send(client, raw, ts, sign(SIGNING, ts, raw)) == 401
    assert status(world) == "remediation_in_progress"  # ...is not overwritten by the replay
    denied = world.store.db.query(
        "SELECT detail FROM audit WHERE action = 'slack_request' AND decision = 'denied'"
    )
    assert sorted(r["detail"] for r in denied) == sorted(
        ["bad signature", "stale", "bad signature", "bad signature", "missing headers", "replay"]
    )


async def test_button_and_reply_text(server: Any) -> None:
    world, client, wall = server
    payload = {
        "type": "block_actions",
        "user": {"id": "U0AAA"},
        "trigger_id": "tr9",
        "actions": [{"action_id": "ack", "value": world.case}],
    }
    raw = urlencode({"payload": json.dumps(payload)}).encode()
    ts = int(wall.t)
    resp = await client.post("/slack/actions", data=raw, headers=slack_headers(SIGNING, ts, raw))
    assert resp.status == 200 and "Kvittert" in (await resp.json())["text"]
    assert status(world) == "acknowledged"


def test_refuses_to_start_without_signing_secret(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    with pytest.raises(ConfigError, match="slack_signing_secret"):
        SlackInbound(world.ctx, AsyncStore(world.store), environ={})


async def test_signed_link_get_confirms_post_acts(server: Any) -> None:
    world, client, _ = server
    links = action_links(world.config, "0301", world.case, world.clock.now, environ=ENV)
    assert set(links) == {"ack", "patched", "not-affected"}
    path = links["ack"].removeprefix("https://certbot.example.no")
    resp = await client.get(path)
    assert resp.status == 200 and "<form" in await resp.text()
    assert status(world) is None  # a link scanner's GET changes nothing
    resp = await client.post(path)
    assert resp.status == 200 and status(world) == "acknowledged"
    audit = world.store.audit_rows(1)[0]
    assert audit["actor"] == "web:link:0301" and audit["decision"] == "allowed"
    uses = list(world.store.db.query("SELECT * FROM signed_link_uses"))
    assert len(uses) == 1 and uses[0]["subscriber_id"] == "0301"


async def test_signed_link_tampered_expired_or_other_municipality(server: Any) -> None:
    world, client, _ = server
    links = action_links(world.config, "0301", world.case, world.clock.now, environ=ENV)
    path = links["patched"].removeprefix("https://certbot.example.no")
    assert (await client.post(path[:-2] + "AA")).status == 403
    world.clock.advance(world.config.service.link_ttl + 1)
    assert (await client.post(path)).status == 403
    assert status(world) is None
    # A valid link for 4601 acts for 4601 only.
    links_b = action_links(world.config, "4601", world.case, world.clock.now, environ=ENV)
    await client.post(links_b["ack"].removeprefix("https://certbot.example.no"))
    assert records.ack_row(world.store, world.case, "4601") is not None
    assert status(world) is None


def press(message: dict[str, Any], label: str, user: str, trigger: str) -> bytes:
    """The interactive payload Slack posts when ``label`` is pressed under ``message``."""
    [block] = [b for b in message["blocks"] if b["type"] == "actions"]
    [button] = [e for e in block["elements"] if e["text"]["text"] == label]
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "trigger_id": trigger,
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": block["block_id"],
                "value": button["value"],
                "type": "button",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


async def test_buttons_on_the_rendered_alert_drive_ack_and_status(server: Any) -> None:
    """channels/slack.py renders the buttons; inbound/slack.py parses exactly those."""
    world, client, wall = server
    n = make_alert(case_id=world.case)
    message = SlackChannel(make_ctx()).render(n, target("slack")).body
    ts = int(wall.t)

    async def post(raw: bytes) -> dict[str, Any]:
        resp = await client.post(
            "/slack/actions", data=raw, headers=slack_headers(SIGNING, ts, raw)
        )
        assert resp.status == 200
        body: dict[str, Any] = await resp.json()
        return body

    assert "Kvittert" in (await post(press(message, "Kvitter", "U0AAA", "b1")))["text"]
    assert status(world) == "acknowledged"
    await post(press(message, "Patchet", "U0AAA", "b2"))
    assert status(world) == "remediation_done"
    await post(press(message, "Ikke berørt", "U0AAA", "b3"))
    assert status(world) == "not_affected"
    # someone from another municipality pressing the same button is denied
    assert "U0NOBODY" in (await post(press(message, "Kvitter", "U0NOBODY", "b4")))["text"]
    assert status(world) == "not_affected"


def test_button_values_with_colons_in_the_case_id(tmp_path: Path) -> None:
    world = make_world(tmp_path, slack_signing_secret={"env": "SLACK_SIGNING_SECRET"})
    slack = SlackInbound(world.ctx, AsyncStore(world.store), environ=ENV)
    n = make_alert(case_id="nsm:2024:17")
    message = SlackChannel(make_ctx()).render(n, target("slack")).body
    ack = slack.command_from(press(message, "Kvitter", "U0AAA", "x1"))
    patched = slack.command_from(press(message, "Patchet", "U0AAA", "x2"))
    assert ack is not None and (ack.name, ack.args) == ("ack", ["nsm:2024:17"])
    assert patched is not None and (patched.name, patched.args) == (
        "status",
        ["nsm:2024:17", "patched"],
    )
    assert (
        slack.command_from(urlencode({"payload": json.dumps({"actions": [{}]})}).encode()) is None
    )
