"""Issue 12.7 (RELIABILITY.md row 28, the replay part): the Slack replay cache survives a
restart of the inbound service. A correctly signed slash command without ``trigger_id`` (so
the update de-duplication cannot catch it) replayed within 300 s, after the inbound side was
built again on the same database, is refused and has no second effect."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from certbot.inbound.slack import WINDOW, SlackInbound, sign
from certbot.inbound.web import InboundWeb
from certbot.store import AsyncStore, Store
from certbot.store.replies import note_slack_signature
from tests.inbound_helpers import World, make_world
from tests.test_inbound_slack import ENV, LINK, SIGNING, WallClock, send, slash, status


async def start(world: World, wall: WallClock) -> tuple[TestClient, AsyncStore]:
    """The inbound service as `run` starts it: a fresh store connection, empty memory."""
    astore = AsyncStore(Store(world.store.path))
    slack = SlackInbound(world.ctx, astore, environ=ENV, clock=wall)
    web = InboundWeb(world.ctx, astore, slack=slack, link_secret=LINK)
    client = TestClient(TestServer(web.app()))
    await client.start_server()
    return client, astore


async def stop(client: TestClient, astore: AsyncStore) -> None:
    await client.close()
    astore._pool.shutdown(wait=True)
    astore.store.close()


async def test_replay_after_a_restart_is_refused_with_no_second_effect(tmp_path: Path) -> None:
    world = make_world(
        tmp_path,
        slack_signing_secret={"env": "SLACK_SIGNING_SECRET"},
        link_secret={"env": "LINK_SECRET"},
        public_url="https://certbot.example.no",
    )
    wall = WallClock(world.clock.now.timestamp())
    ts = int(wall.t)
    raw = slash(world, f"status {world.case} patchet", trigger="")
    assert b"trigger_id=&" in raw  # no trigger id: the update de-duplication cannot help
    client, astore = await start(world, wall)
    assert await send(client, raw, ts, sign(SIGNING, ts, raw)) == 200
    await stop(client, astore)
    assert status(world) == "remediation_done"
    world.run("slack", "U0AAA", f"status {world.case} pågår")  # a later status
    wall.t += WINDOW - 10  # restarted, and the replay comes just inside the window
    client, astore = await start(world, wall)
    try:
        assert await send(client, raw, ts, sign(SIGNING, ts, raw)) == 401
    finally:
        await stop(client, astore)
    assert status(world) == "remediation_in_progress"  # the replay changed nothing
    denied = world.store.db.query(
        "SELECT detail FROM audit WHERE action = 'slack_request' AND decision = 'denied'"
    )
    assert [r["detail"] for r in denied] == ["replay"]


def test_seen_signatures_expire_with_the_window(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    assert note_slack_signature(store, "v0=aa", 1000.0, WINDOW)
    assert not note_slack_signature(store, "v0=aa", 1000.0 + WINDOW - 1, WINDOW)
    assert note_slack_signature(store, "v0=bb", 1000.0 + WINDOW + 1, WINDOW)  # prunes aa
    rows = list(store.db.query("SELECT signature FROM slack_seen"))
    assert rows == [{"signature": "v0=bb"}]
    assert note_slack_signature(store, "v0=aa", 1000.0 + WINDOW + 2, WINDOW)  # expired: new
