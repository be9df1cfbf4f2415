"""Telegram inbound through the fake Bot API (RELIABILITY.md row 17)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from certbot.demo.fakes import FAKE_TELEGRAM_TOKEN, TelegramFake, start_fake
from certbot.errors import ConfigError
from certbot.inbound import records
from certbot.inbound.telegram import TelegramInbound, alert_buttons
from certbot.inbound.web import InboundWeb
from certbot.store import AsyncStore
from tests.inbound_helpers import World, make_world

SECRET = "webhook-secret-for-tests"
ENV = {"TELEGRAM_BOT_TOKEN": FAKE_TELEGRAM_TOKEN, "TG_WEBHOOK_SECRET": SECRET}


@pytest.fixture
async def fake() -> AsyncIterator[tuple[TelegramFake, str]]:
    tg = TelegramFake()
    runner, url = await start_fake(tg)
    yield tg, url
    await runner.cleanup()


@pytest.fixture
async def bot(
    tmp_path: Path, fake: tuple[TelegramFake, str]
) -> AsyncIterator[tuple[World, TelegramInbound, TelegramFake, TestClient]]:
    tg, url = fake
    world = make_world(
        tmp_path,
        telegram_base_url=f"{url}/bot",
        telegram_webhook_secret={"env": "TG_WEBHOOK_SECRET"},
    )
    astore = AsyncStore(world.store)
    inbound = TelegramInbound(world.ctx, astore, mode="webhook", environ=ENV)
    await inbound.start()
    client = TestClient(TestServer(InboundWeb(world.ctx, astore, telegram=inbound).app()))
    await client.start_server()
    yield world, inbound, tg, client
    await client.close()
    await inbound.stop()
    astore._pool.shutdown(wait=True)


def message(update_id: int, user: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1773133200,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "Kari"},
            "text": text,
        },
    }


def button(update_id: int, user: int, data: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "chat_instance": "ci",
            "from": {"id": user, "is_bot": False, "first_name": "Kari"},
            "data": data,
            "message": {
                "message_id": 1,
                "date": 1773133200,
                "chat": {"id": -100123, "type": "supergroup"},
                "text": "alert",
            },
        },
    }


async def post(client: TestClient, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    resp = await client.post("/telegram/webhook", data=json.dumps(update), headers=headers)
    return resp.status


def texts(tg: TelegramFake) -> list[str]:
    return [str(s.get("text")) for s in tg.sent]


async def test_full_hendelse_conversation(bot: Any) -> None:
    world, _, tg, client = bot
    lines = [
        "/hendelse",
        "Ukjent innlogging på VPN",
        "intrusions",
        "VPN",
        "Ingen kjent",
        "Sperret kontoen",
        "NSM",
    ]
    for i, line in enumerate(lines):
        world.clock.advance(7)
        assert await post(client, message(500 + i, 111, line)) == 200
    assert "Hva har skjedd?" in texts(tg)[0]
    assert "HEN-2026-0001" in texts(tg)[-1]
    inc = records.incident(world.store, "HEN-2026-0001")
    assert (
        inc is not None and inc["rsit_class"] == "intrusions" and inc["reporter"] == "telegram:111"
    )


async def test_ack_via_button(bot: Any) -> None:
    world, _, tg, client = bot
    assert await post(client, button(600, 111, f"ack:{world.case}")) == 200
    row = records.ack_row(world.store, world.case, "0301")
    assert row is not None and row["status"] == "acknowledged"
    assert tg.calls("answerCallbackQuery")
    assert tg.sent[-1]["chat_id"] == -100123 or str(tg.sent[-1]["chat_id"]) == "-100123"
    assert await post(client, button(601, 111, f"st:{world.case}:patched")) == 200
    row = records.ack_row(world.store, world.case, "0301")
    assert row is not None and row["status"] == "remediation_done"


async def test_duplicate_update_processed_once(bot: Any) -> None:
    world, _, tg, client = bot
    for _ in range(3):
        assert await post(client, message(700, 111, f"/status {world.case} pågår")) == 200
    row = records.ack_row(world.store, world.case, "0301")
    assert row is not None and len(json.loads(row["history"])) == 1
    assert len(tg.sent) == 1  # one answer, not three


@pytest.mark.parametrize("secret", [None, "forged", SECRET + "x", ""])
async def test_forged_or_missing_secret_token_rejected(bot: Any, secret: str | None) -> None:
    world, _, tg, client = bot
    assert await post(client, message(800, 111, f"/ack {world.case}"), secret=secret) == 403
    assert records.ack_row(world.store, world.case, "0301") is None
    assert records.seen(world.store, "telegram", "800") is None
    assert tg.sent == []
    assert world.store.audit_rows(1)[0]["decision"] == "denied"


def test_webhook_mode_refuses_to_start_without_secret(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    env = {"TELEGRAM_BOT_TOKEN": FAKE_TELEGRAM_TOKEN}
    with pytest.raises(ConfigError, match="telegram_webhook_secret"):
        TelegramInbound(world.ctx, AsyncStore(world.store), mode="webhook", environ=env)
    world2 = make_world(tmp_path / "b", telegram_webhook_secret={"env": "TG_WEBHOOK_SECRET"})
    with pytest.raises(ConfigError, match="telegram_webhook_secret"):  # named but unset
        TelegramInbound(world2.ctx, AsyncStore(world2.store), mode="webhook", environ=env)


def test_alert_buttons_carry_the_case_id() -> None:
    from tests.notifications import make_alert

    n = make_alert()
    data = [d for _, d in alert_buttons(n)]
    assert data == [f"ack:{n.case_id}", f"st:{n.case_id}:patched", f"st:{n.case_id}:not-affected"]


async def test_polling_mode_processes_a_queued_update_and_answers(
    tmp_path: Path, fake: tuple[TelegramFake, str]
) -> None:
    tg, url = fake
    world = make_world(tmp_path, telegram_base_url=f"{url}/bot")
    astore = AsyncStore(world.store)
    inbound = TelegramInbound(world.ctx, astore, mode="polling", environ=ENV)
    tg.max_hold = 0.05  # an idle long-poll returns soon, so stop() is quick
    tg.queue_update(message(501, 111, f"/kvitter {world.case}"))
    await inbound.start()
    try:
        await asyncio.wait_for(tg.sent_event.wait(), 10)  # a bound, not a synchroniser
        [answer] = tg.sent
        assert int(answer["chat_id"]) == 111 and "Kvittert" in answer["text"]
        row = records.ack_row(world.store, world.case, "0301")
        assert row is not None and row["status"] == "acknowledged"
        # the next poll gets the next update only: the first is handed out once
        tg.sent_event.clear()
        tg.queue_update(message(502, 111, "/mine"))
        await asyncio.wait_for(tg.sent_event.wait(), 10)
        assert [int(s["chat_id"]) for s in tg.sent] == [111, 111]
        acks = world.store.db.query("SELECT * FROM audit WHERE action = 'ack'")
        assert len(list(acks)) == 1
        assert tg.calls("getUpdates") and not tg.calls("setWebhook")
    finally:
        await inbound.stop()
        astore._pool.shutdown(wait=True)
