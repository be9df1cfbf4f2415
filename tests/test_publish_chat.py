"""``/publiser`` from chat: operators only, dry run then confirm, a TLP above GREEN confirmed
by name, every step audited; through the command layer and the fake Telegram and Slack."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp.test_utils import TestClient

from certbot.inbound.commands import Command, handle
from certbot.inbound.slack import sign
from tests.inbound_helpers import World, make_world
from tests.test_inbound_bad_input import HOOK, SIGNING
from tests.test_inbound_bad_input import app as bad_input_app
from tests.test_inbound_telegram import message

app = bad_input_app  # the fixture, under the name the test asks for

FORM = (
    "tittel: Sårbarhet i FortiOS utnyttes\ntlp: {tlp}\n"
    "tekst: Oppdater FortiOS til 7.2.7 straks.\ncve: CVE-2026-0777\n"
    "leverandør: Fortinet\nprodukt: FortiOS\nversjoner: før 7.2.7\nutnyttet: ja"
)


def say(w: World, user: str, text: str, platform: str = "telegram") -> str:
    word, _, rest = text.partition("\n") if "\n" in text.split(" ")[0] else text.partition(" ")
    cmd = Command(platform, user, word.lstrip("/"), rest.split(), rest, chat_id=user)
    reply = handle(w.ctx, cmd)
    assert reply is not None
    return reply.text


def publish_audit(w: World) -> list[tuple[str, str, str]]:
    rows = w.store.db.query(
        "SELECT action, actor, decision, detail FROM audit "
        "WHERE action IN ('publish', 'revise', 'hei') ORDER BY id"
    )
    return [(r["actor"], r["decision"], json.loads(r["detail"]).get("step", "")) for r in rows]


def test_preview_then_confirm_green(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    before = w.store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
    text = say(w, "999", "/publiser\n" + FORM.format(tlp="GREEN"))
    assert text.startswith("Forhåndsvisning, ingenting er sendt: «Sårbarhet i FortiOS utnyttes»")
    assert "2 kommuner" in text and "0301 Kommune 0301: P1" in text
    assert text.endswith("Skriv «/publiser bekreft» for å publisere, eller «/publiser avbryt».")
    assert w.store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == before
    assert w.store.published_advisories() == []
    assert "venter på bekreftelse" in say(w, "999", "hei")
    done = say(w, "999", "/publiser bekreft")
    assert done.startswith("Publisert KCERT-2026-0001 (TLP:GREEN):")
    adv = w.store.published_advisory("KCERT-2026-0001")
    assert adv is not None and adv.history[0].operator == "telegram:999"
    assert w.store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] > before
    assert "Ingen forhåndsvisning venter" in say(w, "999", "/publiser bekreft")
    assert publish_audit(w) == [
        ("telegram:999", "allowed", "preview"),
        ("telegram:999", "allowed", "waiting"),  # free text while the notice waits
        ("telegram:999", "published", ""),  # the publish itself, with the operator
        ("telegram:999", "allowed", "confirm"),
        ("telegram:999", "denied", "confirm"),
    ]


def test_amber_needs_the_label_named(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    text = say(w, "999", "/publiser\n" + FORM.format(tlp="AMBER"))
    assert "skriv «/publiser bekreft AMBER»" in text
    assert "Ikke publisert: varselet er TLP:AMBER" in say(w, "999", "/publiser bekreft")
    assert "Ikke publisert" in say(w, "999", "/publiser bekreft GREEN")
    assert w.store.published_advisories() == []
    assert say(w, "999", "/publiser bekreft AMBER").startswith("Publisert KCERT-2026-0001")


def test_only_operators_and_cancel(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    assert say(w, "111", "/publiser\n" + FORM.format(tlp="CLEAR")) == (
        "Ikke tillatt: bare for operatører."
    )
    assert say(w, "111", "/publiser bekreft") == "Ikke tillatt: bare for operatører."
    say(w, "999", "/publiser\n" + FORM.format(tlp="CLEAR"))
    assert say(w, "999", "avbryt") == "Publiseringen er avbrutt. Ingenting er sendt."
    assert "Ingen forhåndsvisning venter" in say(w, "999", "/publiser bekreft")
    assert w.store.published_advisories() == []
    denied = [a for a in publish_audit(w) if a[0] == "telegram:111"]
    assert [d[1] for d in denied] == ["denied", "denied"]


@pytest.mark.parametrize(
    ("form", "want"),
    [
        ("tittel: X\ntekst: Y", "– mangler «tlp»"),
        ("tittel: X\ntlp: ORANSJE\ntekst: Y", "– TLP «ORANSJE» finnes ikke"),
        ("tittel: X\ntlp: CLEAR\ntekst: Y\ncve: CVE-1", "– «CVE-1» er ikke en CVE-id"),
        ("tittel: X\ntlp: CLEAR\ntekst: Y\nprodukt: P\nversjoner: banan",
         "– versjonene «banan» kan ikke leses"),
        ("tittel: X\ntlp: CLEAR\ntekst: Y\nkommuner: 31", "– «31» er ikke et firesifret"),
    ],
)  # fmt: skip
def test_bad_forms_in_bokmaal(tmp_path: Path, form: str, want: str) -> None:
    w = make_world(tmp_path)
    text = say(w, "999", "/publiser\n" + form)
    assert text.startswith("Varselet kan ikke publiseres:") and want in text
    assert "Bruk: /publiser" in say(w, "999", "/publiser")


def test_nobody_runs_it(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    form = "tittel: Zyxel\ntlp: CLEAR\ntekst: Oppdater.\nleverandør: Zyxel\nprodukt: USG FLEX"
    text = say(w, "999", "/publiser\n" + form)
    assert "0 kommuner, 0 leveranser" in text and "Ingen kommuner får varselet" in text


# --- through the fake Telegram Bot API and a signed Slack request ---------------------------
# The app of the bad-input tests: the real aiohttp site with both platforms, fake Telegram.


async def telegram_says(client: TestClient, update_id: int, text: str) -> None:
    update = message(update_id, 999, text)
    headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK}
    resp = await client.post("/telegram/webhook", data=json.dumps(update), headers=headers)
    assert resp.status == 200


async def slack_says(client: TestClient, text: str, trigger: str) -> str:
    form = {"user_id": "U0OPS", "command": "/certbot", "text": text, "trigger_id": trigger}
    raw = urlencode(form, quote_via=quote).encode()
    ts = int(time.time())  # the app's Slack checks request times against the wall clock
    resp = await client.post("/slack/commands", data=raw, headers=slack_headers(ts, raw))
    assert resp.status == 200
    return str((await resp.json())["text"])


def slack_headers(ts: int, raw: bytes) -> dict[str, str]:
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(SIGNING, ts, raw),
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def test_publish_over_telegram_and_slack(app: Any) -> None:
    world, client = app
    await telegram_says(client, 900, "/publiser\n" + FORM.format(tlp="AMBER"))
    assert world.store.published_advisories() == []  # the preview published nothing
    await telegram_says(client, 901, "/publiser bekreft AMBER")
    text = await slack_says(client, "publiser\n" + FORM.format(tlp="CLEAR"), "s1")
    assert text.startswith("Forhåndsvisning, ingenting er sendt")
    text = await slack_says(client, "publiser bekreft", "s2")
    assert text.startswith("Publisert KCERT-2026-0002 (TLP:CLEAR)")
    ids = [(a.id, a.draft.tlp) for a in world.store.published_advisories()]
    assert ids == [("KCERT-2026-0001", "AMBER"), ("KCERT-2026-0002", "CLEAR")]
    actors = {r["actor"] for r in world.store.audit_rows() if r["action"] == "publish"}
    assert actors == {"telegram:999", "slack:U0OPS"}
