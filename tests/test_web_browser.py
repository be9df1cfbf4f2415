"""The web overview in a real browser (issue 14.6): Debian's chromium, headless, driven by
Playwright with ``executable_path`` (Playwright's own download is not used; without a
chromium binary the tests skip and say so). One browser for the module, pages reused.

- The demo's data (no sign-in, ``insecure_local_demo``): the overview, a municipality page,
  a case page and the feeds page at 390 px and 1280 px: each answers 200 in bokmål
  (``lang="nb"``), nothing is wider than the screen, the chart's SVG loads under the CSP,
  axe-core finds no serious or critical violation, and the first Tab reaches the visible
  skip link.
- Sign-in through the local OpenID Connect provider (tests/oidc_provider.py): the browser
  follows the code flow, sees the demo's cases and retries a dead delivery on the outbox page
  (the POST carries the CSRF token of the form; the delivery is pending again).
- The signed-link page at both widths, with axe.

Screenshots go to ``tests/artifacts/`` (git-ignored) or to ``$CERTBOT_ARTIFACTS``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from certbot.config import Config
from certbot.store import Store
from tests.browser_helpers import NEEDS_CHROMIUM, chromium
from tests.link_page_helpers import serve_links
from tests.oidc_provider import running_provider
from tests.web_helpers import demo_database, free_port, serve, signin_web

pytestmark = [
    NEEDS_CHROMIUM,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.slow,
]
WIDTHS = (390, 1280)
ARTIFACTS = Path(os.environ.get("CERTBOT_ARTIFACTS") or Path(__file__).parent / "artifacts")
PAGES = {
    "overview": "/",
    "municipality": "/municipality/0301",
    "case": "/case/CVE-2024-21762",
    "feeds": "/feeds",
}
AXE = Axe()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Path]:
    return demo_database(tmp_path_factory.mktemp("web-browser-demo"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


async def new_page(browser: Browser, width: int) -> Page:
    context = await browser.new_context(
        viewport={"width": width, "height": 900},
        device_scale_factor=1,
        is_mobile=width < 600,
        has_touch=width < 600,
        locale="nb-NO",
    )
    return await context.new_page()


async def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"web-{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def serious(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    results = await AXE.run(page)
    found = results.response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


async def test_demo_pages_at_phone_and_desktop_width(
    demo: tuple[Config, Path], tmp_path: Path, browser: Browser
) -> None:
    config, db = demo
    async with serve(config, db, tmp_path) as served:
        for width in WIDTHS:
            page = await new_page(browser, width)
            for name, path in PAGES.items():
                resp = await page.goto(served.base + path)
                assert resp is not None and resp.status == 200, (name, width)
                assert await page.evaluate("document.documentElement.lang") == "nb"
                scroll = await page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, (name, width, scroll)
                assert await serious(page) == [], (name, width)
                await shot(page, f"{name}-{width}")
            await page.goto(served.base + "/")
            await page.keyboard.press("Tab")  # keyboard: the skip link comes first, visible
            assert await page.evaluate("document.activeElement.className") == "skip"
            skip = await page.locator("a.skip").bounding_box()
            assert skip is not None and skip["x"] >= 0
            await page.keyboard.press("Enter")
            assert page.url.endswith("#main")
            link = page.locator("#cases a.case-id", has_text="CVE-2024-21762")
            assert await link.get_attribute("href") == "/case/CVE-2024-21762"
            chart = page.locator(".chart img")
            assert await chart.evaluate("img => img.complete && img.naturalWidth > 0")
            await page.context.close()


def _kill(store: Store) -> str:
    row = store.deliveries(status="sent", limit=1)[0]
    store.set_status(row["id"], "dead", datetime.now(UTC), error="gave up (browser test)")
    return str(row["id"])


async def test_sign_in_see_the_cases_and_retry_a_dead_delivery(
    demo: tuple[Config, Path], tmp_path: Path, browser: Browser
) -> None:
    config, db = demo
    async with running_provider() as idp:
        web = signin_web(idp.base, free_port())
        async with serve(config, db, tmp_path, web) as served:
            dead = await served.app.store.call(_kill)
            page = await new_page(browser, 1280)
            await page.goto(served.base + "/")
            assert page.url.startswith(served.base + "/signin")
            assert await serious(page) == []
            await shot(page, "signin-1280")
            async with page.expect_navigation(url=served.base + "/"):
                await page.locator("#signin").click()
            assert "CVE-2024-21762" in await page.locator("#cases").inner_text()
            assert "Kari Operatør" in await page.locator("header").inner_text()
            await page.goto(served.base + "/outbox")
            assert await serious(page) == []
            button = page.locator("#dead button[type=submit]").first
            async with page.expect_navigation():
                await button.click()
            assert dead in await page.locator("#retried").inner_text()
            await shot(page, "outbox-1280")
            row = await served.app.store.call(Store.delivery, dead)
            assert row is not None and row["status"] == "pending"
            await page.context.close()


async def test_signed_link_page_at_both_widths(tmp_path: Path, browser: Browser) -> None:
    async with serve_links(tmp_path) as served:
        url = str(served.client.make_url(served.link()))
        for width in WIDTHS:
            page = await new_page(browser, width)
            resp = await page.goto(url)
            assert resp is not None and resp.status == 200
            assert await page.evaluate("document.documentElement.scrollWidth") <= width
            assert await serious(page) == [], width
            await shot(page, f"link-{width}")
            await page.context.close()
