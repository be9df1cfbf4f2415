"""Issue 5 acceptance on the running service: with the local fakes, one alert is acknowledged
from Telegram (webhook), from Slack (a signed slash command) and from a signed link, and the
operator's `berorte` shows all three. Everything through `App(serve_inbound=True)`."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest

from certbot.app import App
from certbot.config import Config
from certbot.demo.fakes import FAKE_TELEGRAM_TOKEN, FAKES, serve_fakes
from certbot.errors import ConfigError
from certbot.inbound.slack import sign
from certbot.sources import SourceState
from tests.factory import config, fortios_sub, kev
from tests.test_pipeline import FEED

CVE = "CVE-2024-21762"
SECRETS = {
    "TELEGRAM_BOT_TOKEN": FAKE_TELEGRAM_TOKEN,
    "TG_HOOK": "hook-secret-1",
    "SLACK_SIGNING": "slack-signing-secret",
    "LINK_KEY": "link-key-0123456789",
}


def make(tmp, urls) -> Config:
    def target(sub: str, kind: str = "file", **kw):
        return [
            {
                "id": "drift",
                "kind": kind,
                "address": kw.pop("address", str(tmp / f"{sub}.jsonl")),
                "tlp_max": "AMBER",
                **kw,
            }
        ]

    subs = [
        fortios_sub(
            "0301",
            targets=target("0301"),
            people=[{"platform": "telegram", "user_id": "111", "role": "responder"}],
        ),
        fortios_sub(
            "4601",
            county="Vestland",
            targets=target("4601"),
            people=[{"platform": "slack", "user_id": "U0BERGEN", "role": "responder"}],
        ),
        fortios_sub(
            "5001",
            county="Trøndelag",
            targets=target("5001", kind="email", address="it@trondheim.kommune.example"),
        ),
    ]
    service = {
        "operators": [{"platform": "telegram", "user_id": "999", "role": "responder"}],
        "telegram_base_url": urls["telegram"],
        "telegram_webhook_secret": {"env": "TG_HOOK"},
        "slack_signing_secret": {"env": "SLACK_SIGNING"},
        "link_secret": {"env": "LINK_KEY"},
        "inbound": {"listen": "127.0.0.1:0", "telegram": "webhook", "slack": True, "links": True},
    }
    return config(subs, root=tmp, service=service)


@pytest.fixture
async def fakes():
    runner, urls = await serve_fakes()
    yield runner.app[FAKES], urls
    await runner.cleanup()


def update(update_id: int, user: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "T"},
        },
    }


async def test_ack_from_telegram_slack_and_link_then_berorte_shows_all(
    tmp_path, fakes, monkeypatch
):
    fake, urls = fakes
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    cfg = make(tmp_path, urls)
    async with App(cfg, tmp_path / "c.db", serve_inbound=True) as app:
        assert app.inbound is not None
        _, base = app.inbound
        await app.store.run(
            app.pipeline._ingest_and_plan, FEED, [kev(CVE, "Fortinet", "FortiOS")], SourceState()
        )
        link_row = next(r for r in await app.store.deliveries() if r["subscriber_id"] == "5001")
        ack_link = json.loads(link_row["notification"])["extra"]["action_links"]["ack"]
        async with aiohttp.ClientSession() as http:
            # Telegram: the webhook with the secret token.
            hook = f"{base}/telegram/webhook"
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRETS["TG_HOOK"]}
            async with http.post(
                hook, json=update(1, 111, f"/kvitter {CVE}"), headers=headers
            ) as r:
                assert r.status == 200
            # Slack: a slash command signed with the signing secret.
            body = urlencode(
                {
                    "command": "/certbot",
                    "text": f"kvitter {CVE}",
                    "user_id": "U0BERGEN",
                    "team_id": "T0KOMMUNE",
                    "trigger_id": "t-1",
                }
            ).encode()
            ts = int(time.time())
            slack_headers = {
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": sign(SECRETS["SLACK_SIGNING"], ts, body),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            async with http.post(f"{base}/slack/commands", data=body, headers=slack_headers) as r:
                assert r.status == 200
            # The signed link from the e-mail: GET confirms, POST acts.
            path = urlsplit(ack_link).path
            async with http.get(base + path) as r:
                assert r.status == 200 and "<form" in await r.text()
            async with http.post(base + path) as r:
                assert r.status == 200
            # The operator asks who is affected and who acknowledged.
            async with http.post(
                hook, json=update(2, 999, f"/berorte {CVE}"), headers=headers
            ) as r:
                assert r.status == 200
    sent = [
        json.loads(x.body)["text"] if isinstance(x.body, str) else x.body.get("text", "")
        for x in fake.telegram.requests
        if x.path.endswith("sendMessage")
    ]
    berorte = sent[-1]
    for sub in ("0301", "4601", "5001"):
        line = next(line for line in berorte.splitlines() if line.startswith(sub))
        assert "kvittert" in line.lower() or "acknowledged" in line.lower(), berorte


async def test_run_refuses_to_start_without_the_slack_signing_secret(tmp_path, fakes, monkeypatch):
    _, urls = fakes
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("SLACK_SIGNING")
    with pytest.raises(ConfigError, match="slack_signing_secret"):
        async with App(make(tmp_path, urls), tmp_path / "c.db", serve_inbound=True):
            pass


async def test_reload_applies_people_at_once_and_keeps_the_old_config_when_broken(
    tmp_path, fakes, monkeypatch, caplog
):
    from certbot.scheduler import reload_config

    fake, urls = fakes
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    cfg = make(tmp_path, urls)
    async with App(cfg, tmp_path / "c.db", serve_inbound=True) as app:
        assert app.inbound is not None
        _, base = app.inbound
        await app.store.run(
            app.pipeline._ingest_and_plan, FEED, [kev(CVE, "Fortinet", "FortiOS")], SourceState()
        )
        # Oslo's responder is removed from the configuration and the service is told (SIGHUP).
        oslo = cfg.subscriber("0301").model_copy(update={"people": ()})
        subs = tuple(oslo if s.id == "0301" else s for s in cfg.subscribers)
        assert app.reload(cfg.model_copy(update={"subscribers": subs})) == []
        hook = {"X-Telegram-Bot-Api-Secret-Token": SECRETS["TG_HOOK"]}
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{base}/telegram/webhook", json=update(7, 111, f"/kvitter {CVE}"), headers=hook
            ) as r:
                assert r.status == 200
        assert "tilgang" in fake.telegram.sent[-1]["text"]  # denied on the very next command
        denied = [a for a in await app.store.audit_rows() if a["actor"] == "telegram:111"]
        assert denied and denied[0]["decision"] == "denied"
        # A broken configuration on disk is reported and the one in force stays.
        before = app.config
        assert reload_config(app) is False  # tmp_path has no feeds.yaml
        assert app.config is before and "not reloaded" in caplog.text


async def test_operator_updates_reach_the_reporter_across_platforms(tmp_path, fakes, monkeypatch):
    """An operator on Slack updates a report made on Telegram, and one on Telegram updates a
    report made on Slack: each reporter is told on their own platform."""
    from datetime import UTC, datetime

    from certbot.demo.fakes import FAKE_SLACK_TOKEN
    from certbot.inbound import records

    fake, urls = fakes
    for k, v in {**SECRETS, "SLACK_BOT_TOKEN": FAKE_SLACK_TOKEN}.items():
        monkeypatch.setenv(k, v)
    cfg = make(tmp_path, urls)
    svc = cfg.service.model_copy(
        update={
            "slack_base_url": urls["slack"],
            "operators": (
                *cfg.service.operators,
                cfg.service.operators[0].model_copy(
                    update={"platform": "slack", "user_id": "U0OPS"}
                ),
            ),
        }
    )
    cfg = cfg.model_copy(update={"service": svc})
    now = datetime.now(UTC)
    async with App(cfg, tmp_path / "c.db", serve_inbound=True) as app:
        assert app.inbound is not None
        _, base = app.inbound

        def report_both(store):  # on the writer thread: the service's store takes no other
            reports = [  # (municipality, reporter, reporter's chat, what happened)
                ("0301", "telegram:111", "111", "x"),
                ("4601", "slack:U0BERGEN", "C0BERGEN", "y"),
            ]
            with store.tx():
                return [
                    records.create_incident(
                        store,
                        municipality=municipality,
                        reporter=reporter,
                        reporter_chat=chat,
                        fields={"what_happened": what},
                        now=now,
                    )
                    for municipality, reporter, chat, what in reports
                ]

        from_tg, from_slack = await app.store.call(report_both)
        async with aiohttp.ClientSession() as http:
            body = urlencode(
                {
                    "command": "/certbot",
                    "text": f"oppdater {from_tg} pågår sjekker",
                    "user_id": "U0OPS",
                    "team_id": "T0",
                    "trigger_id": "t-9",
                }
            ).encode()
            ts = int(time.time())
            headers = {
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": sign(SECRETS["SLACK_SIGNING"], ts, body),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            async with http.post(f"{base}/slack/commands", data=body, headers=headers) as r:
                assert r.status == 200
            hook = {"X-Telegram-Bot-Api-Secret-Token": SECRETS["TG_HOOK"]}
            async with http.post(
                f"{base}/telegram/webhook",
                headers=hook,
                json=update(11, 999, f"/oppdater {from_slack} løst ferdig"),
            ) as r:
                assert r.status == 200
    to_telegram = [m for m in fake.telegram.sent if str(m.get("chat_id")) == "111"]
    assert to_telegram and from_tg in to_telegram[-1]["text"]
    to_slack = [r.body for r in fake.slack.requests if r.path.endswith("chat.postMessage")]
    assert to_slack and to_slack[-1]["channel"] == "C0BERGEN" and from_slack in to_slack[-1]["text"]
