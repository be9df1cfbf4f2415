"""Issue 12.3 on a real process: `python -m certbot run` with Telegram in webhook mode against
the fake Bot API; `/mine` typed in a group by a listed responder is answered without the
TLP:RED title (RELIABILITY.md row 25). Loopback only, bounded waits, no sleeps as
synchronisation."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from certbot.demo.fakes import FAKE_TELEGRAM_TOKEN, TelegramFake, start_fake
from tests.process_helpers import clean_env, cli

pytestmark = pytest.mark.slow

HOOK = "hook-secret-real-process"
RED_TITLE = "ROED-TITTEL-SOM-IKKE-SKAL-UT"
CLEAR_TITLE = "KLAR-TITTEL-SOM-KAN-VISES"
GROUP = -100777
DEADLINE = 60.0


def catalogue(cve: str, title: str) -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    return {
        "title": "test",
        "catalogVersion": "2026.01.01",
        "dateReleased": f"{today}T00:00:00.000Z",
        "count": 1,
        "vulnerabilities": [
            {
                "cveID": cve,
                "vendorProject": "Fortinet",
                "product": "FortiOS",
                "vulnerabilityName": title,
                "dateAdded": today,
                "shortDescription": title,
                "requiredAction": "Apply mitigations per vendor instructions.",
                "dueDate": today,
                "knownRansomwareCampaignUse": "Unknown",
                "notes": "",
                "cwes": [],
            }
        ],
    }


def make_config(root: Path, bot_url: str) -> None:
    (root / "subscribers").mkdir(parents=True)
    (root / "red.json").write_text(json.dumps(catalogue("CVE-2026-7001", RED_TITLE)))
    (root / "clear.json").write_text(json.dumps(catalogue("CVE-2026-7002", CLEAR_TITLE)))
    (root / "feeds.yaml").write_text(
        "feeds:\n"
        "  - {id: kev-red, kind: kev, path: red.json, tlp: RED}\n"
        "  - {id: kev, kind: kev, path: clear.json}\n"
        "service:\n"
        f"  telegram_base_url: {bot_url}/bot\n"
        "  telegram_webhook_secret: {env: TG_HOOK}\n"
        "  inbound: {listen: '127.0.0.1:0', telegram: webhook}\n"
    )
    (root / "subscribers" / "0301-oslo.yaml").write_text(
        "id: '0301'\nname: Oslo kommune\ncounty: Oslo\n"
        "targets:\n  - {id: siem, kind: file, address: out/alerts.jsonl, tlp_max: AMBER}\n"
        "people:\n  - {platform: telegram, user_id: '111', role: responder}\n"
        "inventory:\n  - {vendor: Fortinet, product: FortiOS, version: '7.2.4', internet_facing: true}\n"
    )


def env() -> dict[str, str]:
    return clean_env(TELEGRAM_BOT_TOKEN=FAKE_TELEGRAM_TOKEN, TG_HOOK=HOOK)


async def listening(proc: asyncio.subprocess.Process) -> tuple[str, list[str]]:
    """The inbound base URL from the service's log, read line by line until it appears."""
    assert proc.stderr is not None
    seen: list[str] = []
    while True:
        line = (await proc.stderr.readline()).decode(errors="replace")
        if not line:
            raise AssertionError("service ended before listening:\n" + "".join(seen[-30:]))
        seen.append(line)
        if m := re.search(r"inbound listening on (http://127\.0\.0\.1:\d+)", line):
            return m.group(1), seen


def group_update(update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": GROUP, "type": "supergroup", "title": "Drift"},
            "from": {"id": 111, "is_bot": False, "first_name": "Kari"},
            "text": text,
        },
    }


async def replies_to(tg: TelegramFake, chat: int, n: int) -> list[str]:
    """Poll the fake until it holds ``n`` messages to ``chat`` (bounded by DEADLINE)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while True:
        got = [str(m["text"]) for m in tg.sent if str(m.get("chat_id")) == str(chat)]
        if len(got) >= n or loop.time() > end:
            return got
        await asyncio.sleep(0.05)  # polling a condition, with a deadline


async def test_mine_in_a_group_on_the_real_process_withholds_the_red_title(tmp_path: Path) -> None:
    tg = TelegramFake()
    runner, bot_url = await start_fake(tg)
    make_config(tmp_path, bot_url)
    poll = await asyncio.create_subprocess_exec(
        *cli(tmp_path, "poll", "--once"), env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, err = await asyncio.wait_for(poll.communicate(), DEADLINE)
    assert poll.returncode == 0, err.decode()[-2000:]
    proc = await asyncio.create_subprocess_exec(
        *cli(tmp_path, "run"), env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base, _ = await asyncio.wait_for(listening(proc), DEADLINE)
        headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK}
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{base}/telegram/webhook", json=group_update(1, "/mine"), headers=headers
            ) as resp:
                assert resp.status == 200
            async with http.post(  # and the same malformed body that once gave a 500
                f"{base}/telegram/webhook", data=b"[1, 2]", headers=headers
            ) as resp:
                assert resp.status == 400
        [reply] = await replies_to(tg, GROUP, 1)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        assert proc.stderr is not None
        rest = await asyncio.wait_for(proc.stderr.read(), DEADLINE)
        await asyncio.wait_for(proc.wait(), DEADLINE)
        await runner.cleanup()
    assert "CVE-2026-7001" in reply and "CVE-2026-7002" in reply, reply
    assert RED_TITLE not in reply, reply
    assert "[tittel holdt tilbake: TLP:RED]" in reply
    assert CLEAR_TITLE in reply
    assert "telegram webhook" not in rest.decode(errors="replace").lower()  # no handler error
