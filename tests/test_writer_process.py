"""One writer and a feed that explodes, on a real `run` process (issue 12, points 1 and 9;
RELIABILITY.md rows 23 and 30).

`python -m certbot run` starts with every job due at once: the escalation job, dispatch of
alerts to a fake Teams webhook, a KEV poll, and a 20,000-item RSS feed that the item cap
takes 2,000 at a time in slices. Meanwhile a Telegram user sends `/mine` through the webhook
again and again. What must hold:

- no "cannot start a transaction within a transaction", no "no such savepoint", no job
  failure and no traceback in the service's log (a job that touched SQLite off the writer
  thread would be refused at once and logged as failed);
- every command is answered, and those sent while the big feed was being ingested were
  answered before that ingest ended: the writer is never held for the whole feed.

The worst command latency during the ingest is printed as the test's figure (a figure, not a
timed assertion). Loopback only, bounded waits, no sleeps as synchronisation.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from bench.bigfeed import big_rss
from certbot.demo.fakes import TeamsFake, TelegramFake, start_fake
from tests.process_helpers import EVERY_CASE, FORTIOS_ITEM, cli, write_kev
from tests.test_inbound_clearance_process import HOOK, env, listening

pytestmark = pytest.mark.slow

ITEMS = 20_000
USER = 111
DEADLINE = 120.0
TX_ERRORS = ("within a transaction", "savepoint")


def make_config(root: Path, bot_url: str) -> None:
    (root / "subscribers").mkdir(parents=True)
    write_kev(root / "kev.json", [f"CVE-2026-{30000 + i}" for i in range(8)])
    (root / "big.xml").write_bytes(big_rss(ITEMS))
    (root / "feeds.yaml").write_text(
        "feeds:\n"
        "  - {id: kev, kind: kev, path: kev.json}\n"
        "  - {id: big, kind: rss, path: big.xml}\n"
        "service:\n"
        f"  telegram_base_url: {bot_url}/bot\n"
        "  telegram_webhook_secret: {env: TG_HOOK}\n"
        "  inbound: {listen: '127.0.0.1:0', telegram: webhook}\n"
        + EVERY_CASE  # every case is sent: dispatch has work
    )
    (root / "subscribers" / "0301-oslo.yaml").write_text(
        "id: '0301'\nname: Oslo kommune\ncounty: Oslo\ndaily_cap: 1000\n"
        "targets:\n  - {id: t0, kind: teams, secret: {env: TEAMS_T0}, tlp_max: GREEN}\n"
        f"people:\n  - {{platform: telegram, user_id: '{USER}', role: responder}}\n" + FORTIOS_ITEM
    )


def update(n: int) -> dict[str, object]:
    return {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "chat": {"id": USER, "type": "private"},
            "from": {"id": USER, "is_bot": False, "first_name": "Kari"},
            "text": "/mine",
        },
    }


class Log:
    """The service's stderr, read as it comes, each line with the moment it arrived."""

    def __init__(self, proc: asyncio.subprocess.Process, first: list[str]) -> None:
        self.lines: list[tuple[float, str]] = [(time.monotonic(), x) for x in first]
        self.task = asyncio.get_running_loop().create_task(self._read(proc))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            self.lines.append((time.monotonic(), line.decode(errors="replace")))

    def at(self, pattern: str) -> float | None:
        return next((t for t, x in self.lines if re.search(pattern, x)), None)

    def text(self) -> str:
        return "".join(x for _, x in self.lines)


async def test_jobs_and_commands_during_a_big_ingest_share_one_writer(tmp_path: Path) -> None:
    tg, teams = TelegramFake(), TeamsFake()
    tg_runner, bot_url = await start_fake(tg)
    teams_runner, teams_url = await start_fake(teams)
    make_config(tmp_path, bot_url)
    e = {**env(), "TEAMS_T0": f"{teams_url}/webhook/t0?api-version=1&sig={teams.sig}"}
    proc = await asyncio.create_subprocess_exec(
        *cli(tmp_path, "run"),
        env=e,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    asked: dict[int, float] = {}  # update id -> when it was posted
    answered: list[float] = []
    log: Log | None = None
    try:
        base, first = await asyncio.wait_for(listening(proc), DEADLINE)
        log = Log(proc, first)
        loop = asyncio.get_running_loop()
        end = loop.time() + DEADLINE
        headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK}
        async with aiohttp.ClientSession() as http:
            n = 0
            while log.at(r"feed big: \d+ advisories") is None and loop.time() < end:
                n += 1
                asked[n] = time.monotonic()
                async with http.post(
                    f"{base}/telegram/webhook", json=update(n), headers=headers
                ) as resp:
                    assert resp.status == 200
                while len(tg.sent) < n and loop.time() < end:  # this command's reply
                    await asyncio.sleep(0.02)  # polling a condition, with a deadline
                answered.append(time.monotonic())
        assert log.at(r"feed big: \d+ advisories") is not None, "the big feed never finished"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), DEADLINE)
        if log is not None:
            await asyncio.wait_for(log.task, DEADLINE)
        await tg_runner.cleanup()
        await teams_runner.cleanup()
    assert log is not None
    text = log.text()
    for bad in TX_ERRORS:
        assert bad not in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    assert not re.search(r"job \S+ failed", text), text[-3000:]
    started = log.at(r"feed big: \d+ items, \d+ taken this poll")
    ended = log.at(r"feed big: \d+ advisories")
    assert started is not None and ended is not None
    during = [
        answered[i - 1] - asked[i] for i in asked if started <= asked[i] and answered[i - 1] < ended
    ]
    assert len(answered) == len(asked)
    assert during, "no command was answered while the big feed was being ingested"
    assert teams.requests, "dispatch sent nothing alongside"
    print(
        f"\nreal run: {len(asked)} /mine commands, {len(during)} answered during the ingest of "
        f"{ITEMS:,} items (worst {max(during):.2f} s), {len(teams.requests)} Teams posts, "
        "0 transaction errors"
    )
