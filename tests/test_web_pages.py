"""The web overview's pages over HTTP (no browser): advisory text is escaped, titles above
the reader's clearance are withheld with the chat replies' wording, the security headers are
on every page and error, the language switch needs its CSRF token, `run` refuses to start
without the client secret, and `demo --web` serves the demo's overview and prints the URL.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from certbot.app import App
from certbot.config import Config, missing_secrets
from certbot.config.api import ApiConfig
from certbot.demo.web import serve_web
from certbot.errors import ConfigError
from certbot.store import Store
from tests.web_helpers import (
    ENV,
    VIEWER,
    browser_client,
    csrf_of,
    demo_database,
    free_port,
    serve,
    sign_in,
    signin_site,
    signin_web,
)

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FORTI = "CVE-2024-21762"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Path]:
    return demo_database(tmp_path_factory.mktemp("web-pages-demo"))


def _set_title(store: Store, case_id: str, title: str) -> None:
    with store.tx():
        store.db.execute("UPDATE cases SET title = ? WHERE id = ?", [title, case_id])
        store.db.execute(
            "UPDATE advisories SET data = json_set(data, '$.title', ?) WHERE case_id = ?",
            [title, case_id],
        )


def _set_tlp(store: Store, case_id: str, label: str) -> None:
    with store.tx():
        store.db.execute(
            "UPDATE advisories SET data = json_set(data, '$.tlp', ?) WHERE case_id = ?",
            [label, case_id],
        )


async def test_advisory_text_is_escaped_and_headers_are_set(
    demo: tuple[Config, Path], tmp_path: Path
) -> None:
    config, db = demo
    async with serve(config, db, tmp_path) as served, browser_client(served.base) as c:
        await served.app.store.call(_set_title, FORTI, EVIL)
        for path in ("/", f"/case/{FORTI}", "/municipality/0301"):
            async with c.get(served.base + path) as resp:
                html = await resp.text()
                assert resp.status == 200, path
                assert "<script>alert" not in html and "<img src=x" not in html, path
                assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path
                csp = resp.headers["Content-Security-Policy"]
                assert "frame-ancestors 'none'" in csp and "script-src" not in csp
                assert resp.headers["Cache-Control"] == "no-store"
        async with c.get(served.base + "/municipality/0301") as resp:
            html = await resp.text()
            assert 'id="coverage"' in html and "Tietoevry Public 360" in html  # no source names it
        async with c.get(served.base + "/case/NO-SUCH-CASE") as resp:
            assert resp.status == 404
            assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


async def test_language_switch_needs_csrf(demo: tuple[Config, Path], tmp_path: Path) -> None:
    config, db = demo
    async with serve(config, db, tmp_path) as served, browser_client(served.base) as c:
        token = await csrf_of(c, served.base + "/")
        async with c.post(served.base + "/lang", data={"lang": "en", "next": "/feeds"}) as resp:
            assert resp.status == 403
        data = {"lang": "en", "next": "/feeds", "csrf": token}
        async with c.post(served.base + "/lang", data=data) as resp:
            html = await resp.text()
            assert str(resp.url).endswith("/feeds")
            assert '<html lang="en">' in html and "<h1>Feeds</h1>" in html


async def test_titles_above_the_readers_clearance_are_withheld(
    demo: tuple[Config, Path], tmp_path: Path
) -> None:
    async with signin_site(demo, tmp_path, VIEWER) as (_, served, c):  # a viewer, TLP:GREEN
        title = "Fortinet FortiOS Out-of-Bound Write Vulnerability"
        await served.app.store.call(_set_tlp, FORTI, "AMBER")
        assert (await sign_in(c, served.base)).status == 200
        for path in ("/", f"/case/{FORTI}", "/municipality/0301"):
            async with c.get(served.base + path) as resp:
                html = await resp.text()
                assert resp.status == 200, path
                assert title not in html, path
                assert "[tittel holdt tilbake: TLP:AMBER]" in html, path
                assert FORTI in html  # the row keeps its place
        async with c.get(served.base + "/case/CVE-2025-5777") as resp:
            assert "Citrix NetScaler ADC" in await resp.text()  # CLEAR: shown


async def test_run_refuses_without_the_client_secret(
    demo: tuple[Config, Path], tmp_path: Path
) -> None:
    config, _db = demo
    web = signin_web("https://login.example.no/realms/kommune", free_port())
    config = config.model_copy(update={"service": config.service.model_copy(update={"web": web})})
    with pytest.raises(ConfigError) as info:
        async with App(config, tmp_path / "x.db", serve_inbound=True, environ={}):
            pass
    assert "service.web.sign_in.client_secret" in str(info.value)
    assert "CERTBOT_OIDC_CLIENT_SECRET" in str(info.value)


async def test_demo_web_serves_the_overview_and_prints_the_url(
    demo: tuple[Config, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = demo
    stop = asyncio.Event()
    ready: asyncio.Queue[str] = asyncio.Queue()
    listen = f"127.0.0.1:{free_port()}"
    task = asyncio.create_task(serve_web(config, db, listen, stop, ready.put_nowait))
    url = await asyncio.wait_for(ready.get(), 60)
    try:
        assert url == f"http://{listen}/"
        async with aiohttp.ClientSession() as c, c.get(url) as resp:
            html = await resp.text()
            assert resp.status == 200 and "Sektoroversikt" in html and FORTI in html
    finally:
        stop.set()
        await task
    assert f"Web overview: {url}" in capsys.readouterr().out


def test_check_config_names_the_missing_client_secret(demo: tuple[Config, Path]) -> None:
    config, _db = demo
    web = signin_web("https://login.example.no/realms/kommune", free_port())
    config = config.model_copy(update={"service": config.service.model_copy(update={"web": web})})
    [warning] = [w for w in missing_secrets(config, {}) if "service.web" in w]
    assert warning.startswith("feeds.yaml: service.web.sign_in.client_secret.env: ")
    assert "CERTBOT_OIDC_CLIENT_SECRET" in warning
    assert not [w for w in missing_secrets(config, ENV) if "service.web" in w]


async def test_web_and_api_share_one_listener(demo: tuple[Config, Path], tmp_path: Path) -> None:
    """Both parts on one address: the web part's sign-in guard leaves the API's paths alone
    and the API's answers keep their own headers."""
    config, db = demo
    port = free_port()
    api = ApiConfig.model_validate({"listen": f"127.0.0.1:{port}"})
    config = config.model_copy(update={"service": config.service.model_copy(update={"api": api})})
    web = signin_web("https://login.example.no/realms/kommune", port)
    async with serve(config, db, tmp_path, web) as served, browser_client(served.base) as c:
        assert served.app.sites["api"] == served.base
        async with c.get(served.base + "/healthz", allow_redirects=False) as resp:
            assert resp.status == 200
            assert "nonce-" not in resp.headers.get("Content-Security-Policy", "")  # not ours
        async with c.get(served.base + "/api/v1/cases", allow_redirects=False) as resp:
            assert resp.status == 401 and "Location" not in resp.headers
        async with c.get(served.base + "/", allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/signin")


async def test_overview_filters(demo: tuple[Config, Path], tmp_path: Path) -> None:
    config, db = demo
    async with serve(config, db, tmp_path) as served, browser_client(served.base) as c:

        async def open_cases(query: str) -> str:
            async with c.get(f"{served.base}/?{query}") as resp:
                html = await resp.text()
            start = html.index('id="open-cases">') + len('id="open-cases">')
            return html[start : html.index("<", start)]

        everything = int(await open_cases(""))
        assert everything > 3
        assert await open_cases("priority=P1") == "3"  # the demo's three P1 cases
        assert await open_cases("tlp=TLP%3ARED") == "0"
        assert 0 < int(await open_cases("source=nsm-varsler")) < everything
        assert 0 < int(await open_cases("county=46")) < everything  # Vestland: Bergen only
        assert int(await open_cases("county=99&priority=P9")) == everything  # unknown: ignored
