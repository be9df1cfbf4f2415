"""Through the real poll cycle (a feed served on 127.0.0.1, `Pipeline` via `App`):

- the HTTP Content-Type charset reaches the RSS parser (an ISO-8859-15 feed whose XML
  declaration names no encoding reads "€", which the gate's windows-1252 fallback would read
  as "¤");
- a CLEAR feed item whose text says "TLP:RED" is stored as RED and the operator is told once
  (RELIABILITY.md row 32)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from aiohttp import web

from certbot.app import App
from certbot.config import load_config
from tests.pipeline_helpers import serving

ITEM_TITLE = "Kritisk sårbarhet i Fortinet FortiOS (bot inntil 100 €)"
RSS = (
    '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>NCSC</title>'
    "<link>https://nsm.no/</link><description>varsler</description>"
    "<item><title>{title}</title><link>https://nsm.no/varsler/{slug}</link>"
    "<guid>{slug}</guid><description>{text}</description>"
    "<pubDate>Tue, 01 Dec 2026 08:00:00 GMT</pubDate></item></channel></rss>"
)


@pytest.fixture
async def served():
    files: dict[str, tuple[bytes, str]] = {}
    app = web.Application()

    async def handle(request: web.Request) -> web.Response:
        body, ctype = files[request.match_info["name"]]
        return web.Response(body=body, headers={"Content-Type": ctype})

    app.router.add_get("/{name}", handle)
    async with serving(app) as base:
        yield files, base


def write_config(root: Path, url: str) -> None:
    (root / "subscribers").mkdir()
    (root / "feeds.yaml").write_text(
        "service:\n  operator_targets:\n"
        "    - {id: vakt, kind: file, address: out/operator.jsonl, tlp_max: AMBER}\n"
        "feeds:\n"
        f"  - {{id: nsm, kind: rss, url: '{url}', allow_private: true, language: nb}}\n",
        encoding="utf-8",
    )
    (root / "subscribers" / "0301-oslo.yaml").write_text(
        'id: "0301"\nname: Oslo kommune\ncounty: Oslo\n'
        "targets:\n  - {id: drift, kind: file, address: out/oslo.jsonl, tlp_max: AMBER}\n"
        "inventory:\n  - {vendor: Fortinet, product: FortiOS, version: '7.2.4'}\n",
        encoding="utf-8",
    )


async def poll(root: Path) -> list[dict]:
    config = load_config(root)
    async with App(config, str(root / "c.db")) as app:
        await app.poll()
        await app.dispatch()
        return await app.store.list_cases(100)


async def test_the_content_type_charset_reaches_the_parser(tmp_path, served):
    files, base = served
    body = RSS.format(title=ITEM_TITLE, slug="a", text="Oppdater FortiOS.").encode("iso-8859-15")
    files["nsm.xml"] = (body, "application/rss+xml; charset=iso-8859-15")
    write_config(tmp_path, f"{base}/nsm.xml")
    cases = await poll(tmp_path)
    titles = [c["title"] for c in cases]
    assert titles == [ITEM_TITLE], titles


async def test_a_stricter_marking_in_the_text_wins_and_the_operator_is_told(tmp_path, served):
    files, base = served
    text = "TLP:RED. Kun for navngitte mottakere. Oppdater FortiOS 7.2.4 straks."
    body = RSS.format(title="Sårbarhet i FortiOS", slug="b", text=text).encode()
    files["nsm.xml"] = (body, "application/rss+xml; charset=utf-8")
    write_config(tmp_path, f"{base}/nsm.xml")
    await poll(tmp_path)
    # The municipality's shared file target is cleared for AMBER: nothing of the case reaches it.
    oslo = tmp_path / "out" / "oslo.jsonl"
    assert not oslo.exists() or "FortiOS" not in oslo.read_text(encoding="utf-8")
    # The notice names only ids and labels: it reaches the AMBER-cleared operator file, once,
    # without the advisory's title.
    notices = (tmp_path / "out" / "operator.jsonl").read_text(encoding="utf-8").splitlines()
    marked = [n for n in notices if "marked TLP:RED in its text" in n]
    assert len(marked) == 1, notices
    assert "Sårbarhet i FortiOS" not in marked[0]
    db = sqlite3.connect(tmp_path / "c.db")
    [(data,)] = db.execute("SELECT data FROM advisories").fetchall()
    db.close()
    assert json.loads(data)["tlp"] == "RED"
