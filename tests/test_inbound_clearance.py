"""Replies are deliveries: every listing is filtered by the TLP clearance of the chat it goes to
(issue 12.3, RELIABILITY.md row 25). Driven through the real Telegram webhook (against the
fake Bot API) and the real signed Slack endpoint, in groups/channels and private chats, with a
RED, an AMBER+STRICT and a CLEAR case."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer

from certbot.config import Config
from certbot.demo.fakes import FAKE_TELEGRAM_TOKEN, TelegramFake, start_fake
from certbot.inbound import records
from certbot.inbound.auth import RateLimiter
from certbot.inbound.clearance import Chat, clearance, kind_from_id, slack_kind, telegram_kind
from certbot.inbound.commands import Context
from certbot.inbound.slack import SlackInbound
from certbot.inbound.telegram import TelegramInbound
from certbot.inbound.texts import t
from certbot.inbound.web import InboundWeb
from certbot.match import Matcher
from certbot.model import TLP
from certbot.pipeline import plan_case
from certbot.store import AsyncStore, Store
from tests.factory import T0, Clock, config, fortios_sub, kev
from tests.inbound_helpers import slack_headers

SIGNING = "slack-signing-secret-for-clearance"
HOOK = "telegram-hook-secret-for-clearance"
ENV = {"TELEGRAM_BOT_TOKEN": FAKE_TELEGRAM_TOKEN, "TG_HOOK": HOOK, "SLACK_SIGNING": SIGNING}

TITLES = {TLP.RED: "ROED-HEMMELIG", TLP.AMBER_STRICT: "GUL-STRENG", TLP.CLEAR: "KLAR-TITTEL"}
CASES = {TLP.RED: "CVE-2026-1001", TLP.AMBER_STRICT: "CVE-2026-1002", TLP.CLEAR: "CVE-2026-1003"}
OPEN_GROUP = -100999  # a Telegram supergroup that is no configured target
DRIFT_GROUP = -100500  # 0301's configured group target, cleared for AMBER+STRICT


def targets(tmp: Path) -> list[dict[str, Any]]:
    return [
        {"id": "drift", "kind": "file", "address": str(tmp / "0301.jsonl"), "tlp_max": "AMBER"},
        {
            "id": "gruppe",
            "kind": "telegram",
            "address": str(DRIFT_GROUP),
            "tlp_max": "AMBER+STRICT",
        },
        {"id": "kari", "kind": "telegram", "address": "111", "personal": True, "tlp_max": "RED"},
        {"id": "kanal", "kind": "slack", "address": "C0DRIFT", "tlp_max": "AMBER+STRICT"},
        {"id": "ola", "kind": "slack", "address": "U0AAA", "personal": True, "tlp_max": "RED"},
    ]


def make_config(tmp: Path, tg_url: str) -> Config:
    people = [
        {"platform": "telegram", "user_id": "111", "role": "responder"},
        {"platform": "telegram", "user_id": "112", "role": "viewer"},
        {"platform": "slack", "user_id": "U0AAA", "role": "responder"},
    ]
    service = {
        "operators": [
            {"platform": "telegram", "user_id": "999"},
            {"platform": "slack", "user_id": "U0OPS"},
        ],
        "operator_targets": [
            {
                "id": "ops-tg",
                "kind": "telegram",
                "address": "999",
                "personal": True,
                "tlp_max": "RED",
            },
            {
                "id": "ops-sl",
                "kind": "slack",
                "address": "U0OPS",
                "personal": True,
                "tlp_max": "RED",
            },
        ],
        "telegram_base_url": f"{tg_url}/bot",
        "telegram_webhook_secret": {"env": "TG_HOOK"},
        "slack_signing_secret": {"env": "SLACK_SIGNING"},
    }
    subs = [fortios_sub("0301", people=people, targets=targets(tmp))]
    return config(subs, root=tmp, service=service)


@dataclass
class Site:
    store: Store
    config: Config
    tg: TelegramFake
    client: TestClient
    wall: float
    update: int = 1000

    async def telegram(self, user: int, chat: int, chat_type: str, text: str) -> str:
        self.update += 1
        body = {
            "update_id": self.update,
            "message": {
                "message_id": self.update,
                "date": 1773133200,
                "chat": {"id": chat, "type": chat_type},
                "from": {"id": user, "is_bot": False, "first_name": "Kari"},
                "text": text,
            },
        }
        before = len(self.tg.sent)
        resp = await self.client.post(
            "/telegram/webhook",
            data=json.dumps(body),
            headers={"X-Telegram-Bot-Api-Secret-Token": HOOK},
        )
        assert resp.status == 200
        [reply] = [m for m in self.tg.sent[before:] if str(m.get("chat_id")) == str(chat)]
        return str(reply["text"])

    async def slack(self, user: str, channel: str, channel_name: str, text: str) -> str:
        self.update += 1
        form = {
            "user_id": user,
            "team_id": "T0",
            "command": "/certbot",
            "text": text,
            "trigger_id": f"tr{self.update}",
            "channel_id": channel,
            "channel_name": channel_name,
        }
        raw = urlencode(form, quote_via=quote).encode()
        ts = int(self.wall)
        resp = await self.client.post(
            "/slack/commands", data=raw, headers=slack_headers(SIGNING, ts, raw)
        )
        assert resp.status == 200
        return str((await resp.json())["text"])


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    tg = TelegramFake()
    runner, url = await start_fake(tg)
    cfg = make_config(tmp_path, url)
    store = Store(tmp_path / "certbot.db")
    for label, cve in CASES.items():
        adv = kev(cve, "Fortinet", "FortiOS", title=TITLES[label], tlp=label)
        with store.tx():
            for change in store.ingest([adv], now=T0):
                plan_case(store, cfg, Matcher(cfg.subscribers), change, T0)
    clock = Clock(T0)
    ctx = Context(store, cfg, RateLimiter(clock=lambda: 0.0, user_burst=1e6, muni_burst=1e6))
    ctx.clock = clock
    astore = AsyncStore(store)
    wall = time.time()
    telegram = TelegramInbound(ctx, astore, mode="webhook", environ=ENV)
    await telegram.start()
    slack = SlackInbound(ctx, astore, environ=ENV, clock=lambda: wall)
    web = InboundWeb(ctx, astore, telegram=telegram, slack=slack)
    client = TestClient(TestServer(web.app()))
    await client.start_server()
    yield Site(store, cfg, tg, client, wall)
    await client.close()
    await telegram.stop()
    await runner.cleanup()
    astore._pool.shutdown(wait=True)


def shown(text: str) -> set[TLP]:
    return {label for label, title in TITLES.items() if title in text}


def withheld(text: str) -> set[str]:
    return {label.label for label in TITLES if f"holdt tilbake: {label.label}]" in text}


async def test_the_three_cases_are_open_for_0301(site: Site) -> None:
    rows = records.open_alerts(site.store, ["0301"])
    assert {r["case_id"] for r in rows} == set(CASES.values())


# (chat, kind, user) -> the labels whose titles may appear
TELEGRAM_MINE = [
    (OPEN_GROUP, "supergroup", 111, {TLP.CLEAR}),
    (OPEN_GROUP, "group", 111, {TLP.CLEAR}),
    (OPEN_GROUP, "channel", 111, {TLP.CLEAR}),
    (DRIFT_GROUP, "group", 111, {TLP.CLEAR, TLP.AMBER_STRICT}),  # 0301's own group target
    (111, "private", 111, {TLP.CLEAR, TLP.AMBER_STRICT, TLP.RED}),  # personal, cleared for RED
    (112, "private", 112, {TLP.CLEAR}),  # a viewer's private chat is no target
]


@pytest.mark.parametrize(("chat", "kind", "user", "expected"), TELEGRAM_MINE)
async def test_telegram_mine_is_filtered_by_the_chat(
    site: Site, chat: int, kind: str, user: int, expected: set[TLP]
) -> None:
    text = await site.telegram(user, chat, kind, "/mine")
    assert shown(text) == expected, text
    assert withheld(text) == {x.label for x in TITLES if x not in expected}, text
    assert all(case in text for case in CASES.values())  # withheld, never silently dropped


async def test_a_personal_target_does_not_clear_a_group_with_the_same_user(site: Site) -> None:
    """111 is cleared for RED in their private chat, not in a group they type in."""
    text = await site.telegram(111, DRIFT_GROUP, "supergroup", "/mine")
    assert TLP.RED not in shown(text) and "[tittel holdt tilbake: TLP:RED]" in text


SLACK_MINE = [
    ("C0GENERAL", "general", {TLP.CLEAR}),
    ("C0DRIFT", "drift", {TLP.CLEAR, TLP.AMBER_STRICT}),  # 0301's channel target
    ("G0PRIVATE", "privategroup", {TLP.CLEAR}),  # a private channel is still shared
    ("D0AAA", "directmessage", {TLP.CLEAR, TLP.AMBER_STRICT, TLP.RED}),  # DM, personal RED
]


@pytest.mark.parametrize(("channel", "name", "expected"), SLACK_MINE)
async def test_slack_mine_is_filtered_by_the_channel(
    site: Site, channel: str, name: str, expected: set[TLP]
) -> None:
    text = await site.slack("U0AAA", channel, name, "mine")
    assert shown(text) == expected, text
    assert withheld(text) == {x.label for x in TITLES if x not in expected}, text


@pytest.mark.parametrize("label", list(CASES))
async def test_operator_berorte_in_a_group_and_in_private(site: Site, label: TLP) -> None:
    case = CASES[label]
    group = await site.telegram(999, OPEN_GROUP, "supergroup", f"/berorte {case}")
    private = await site.telegram(999, 999, "private", f"/berorte {case}")
    assert "0301 P" in private and "holdt tilbake" not in private
    if label > TLP.GREEN:
        assert "0301 P" not in group and f"[innhold holdt tilbake: {label.label}]" in group
    else:
        assert "0301 P" in group
    slack_group = await site.slack("U0OPS", "C0GENERAL", "general", f"berorte {case}")
    slack_dm = await site.slack("U0OPS", "D0OPS", "directmessage", f"berorte {case}")
    assert ("0301 P" in slack_group) == (label <= TLP.GREEN)
    assert "0301 P" in slack_dm


async def report(site: Site, chat: int, kind: str, what: str) -> str:
    text = await site.telegram(111, chat, kind, f"/hendelse hva: {what}\nklasse: fraud")
    [inc] = [w for w in text.split() if w.startswith("HEN-")]
    return inc.rstrip(".")


async def test_operator_hendelser_in_a_group_withholds_the_report(site: Site) -> None:
    await report(site, 111, "private", "Utpressing mot rådmannen")
    group = await site.telegram(999, OPEN_GROUP, "supergroup", "/hendelser")
    assert "Utpressing" not in group and "fraud" not in group
    assert "HEN-2026-0001 0301" in group and "[innhold holdt tilbake: TLP:AMBER+STRICT]" in group
    private = await site.telegram(999, 999, "private", "/hendelser")
    assert "Utpressing mot rådmannen" in private
    slack_group = await site.slack("U0OPS", "C0GENERAL", "general", "hendelser")
    slack_dm = await site.slack("U0OPS", "D0OPS", "directmessage", "hendelser")
    assert "Utpressing" not in slack_group and "Utpressing mot rådmannen" in slack_dm


async def test_oppdater_relay_into_the_reporters_chat_is_filtered(site: Site) -> None:
    in_group = await report(site, OPEN_GROUP, "supergroup", "Phishing i gruppa")
    in_private = await report(site, 111, "private", "Phishing privat")
    await site.telegram(999, 999, "private", f"/oppdater {in_group} pågår ring IT-sjefen")
    await site.telegram(999, 999, "private", f"/oppdater {in_private} pågår ring IT-sjefen")
    to_group = [m["text"] for m in site.tg.sent if str(m.get("chat_id")) == str(OPEN_GROUP)]
    to_private = [m["text"] for m in site.tg.sent if str(m.get("chat_id")) == "111"]
    relay_group = next(x for x in to_group if "oppdatert" in x)
    relay_private = next(x for x in to_private if "oppdatert" in x)
    assert in_group in relay_group and "ring IT-sjefen" not in relay_group
    assert "[innhold holdt tilbake: TLP:AMBER+STRICT]" in relay_group
    assert in_private in relay_private and "ring IT-sjefen" in relay_private


def test_the_marker_is_in_the_municipalitys_language() -> None:
    assert t("en", "withheld_title", label="TLP:RED") == "[title withheld: TLP:RED]"
    assert t("nb", "withheld_title", label="TLP:RED") == "[tittel holdt tilbake: TLP:RED]"


def test_chat_kinds_come_from_the_platform() -> None:
    assert [telegram_kind(k) for k in ("private", "group", "supergroup", "channel", None)] == [
        "private",
        "shared",
        "shared",
        "shared",
        "shared",
    ]
    assert slack_kind("D0AAA") == slack_kind("C0X", "directmessage") == "private"
    assert slack_kind("C0X", "general") == slack_kind("G0X", "privategroup") == "shared"
    assert kind_from_id("telegram", "111") == "private"
    assert kind_from_id("telegram", "-100500") == kind_from_id("slack", "C0X") == "shared"


def test_clearance_never_exceeds_green_in_an_unconfigured_chat(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, "http://127.0.0.1:1")
    for kind in ("private", "shared"):
        chat = Chat("telegram", "-1001", kind, "111")
        assert clearance(cfg, chat, "0301") == TLP.GREEN
    # 0301's group is cleared for 0301's AMBER+STRICT, not for another municipality's
    group = Chat("telegram", str(DRIFT_GROUP), "shared", "111")
    assert clearance(cfg, group, "0301") == TLP.AMBER_STRICT
    assert clearance(cfg, group, "4601") == TLP.GREEN
    # a shared chat never gets RED, even when misconfigured as a personal RED target
    assert clearance(cfg, Chat("telegram", "111", "shared", "111"), "0301") == TLP.AMBER_STRICT


SECRET_TEXTS = (TITLES[TLP.RED], TITLES[TLP.AMBER_STRICT], "Utpressing mot rådmannen")
EVERY_COMMAND = [
    "/mine",
    "/hjelp",
    "/help",
    f"/kvitter {CASES[TLP.RED]}",
    f"/status {CASES[TLP.RED]} pågår",
    f"/status {CASES[TLP.AMBER_STRICT]} patchet",
    f"/berorte {CASES[TLP.RED]}",
    f"/berorte {CASES[TLP.AMBER_STRICT]}",
    "/hendelser",
    "/oppdater HEN-2026-0001 pågår Utpressing mot rådmannen",
    "/ukjent",
]


@pytest.mark.parametrize("line", EVERY_COMMAND)
@pytest.mark.parametrize("user", [111, 999])
async def test_no_command_shows_red_or_strict_content_in_an_open_group(
    site: Site, line: str, user: int
) -> None:
    """Every command word, typed by a responder and by an operator, in a group and in a Slack
    channel: nothing above GREEN comes back, whatever the command."""
    await report(site, 111, "private", "Utpressing mot rådmannen")
    text = await site.telegram(user, OPEN_GROUP, "group", line)
    assert not [s for s in SECRET_TEXTS if s in text], text
    slack_user = "U0AAA" if user == 111 else "U0OPS"
    text = await site.slack(slack_user, "C0GENERAL", "general", line.lstrip("/"))
    assert not [s for s in SECRET_TEXTS if s in text], text
