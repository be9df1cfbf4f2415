"""The signed-link page in a real browser (issue 11.7 acceptance): Debian's chromium, headless,
driven by Playwright at a phone's 390 px width. It shows the title and a tappable button
(a box of at least 44 × 44 CSS px), nothing is wider than the screen, and the incident form
submits and shows the report id. Screenshots go to the test's tmp dir (``link-page-*.png``)
and, when ``CERTBOT_ARTIFACTS`` names a directory, are copied there.

Playwright's own browser download is not used: tests/browser_helpers.py launches Debian's
chromium, which ``.ci/run`` installs when it is missing. Without a chromium binary the test skips and
says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

from certbot.inbound import records
from tests.browser_helpers import NEEDS_CHROMIUM, chromium, shot
from tests.link_page_helpers import Served, serve_links

pytestmark = NEEDS_CHROMIUM
WIDTH = 390  # CSS px: an iPhone 12-15 in portrait
MIN_TAP = 44  # CSS px: WCAG 2.5.5 / Apple HIG minimum touch target


async def box(page: Page, selector: str) -> dict[str, float]:
    b = await page.locator(selector).bounding_box()
    assert b is not None, f"{selector} is not rendered"
    return b


def tappable(b: dict[str, float]) -> bool:
    return (
        b["width"] >= MIN_TAP
        and b["height"] >= MIN_TAP
        and b["x"] >= 0
        and (b["x"] + b["width"] <= WIDTH)
    )


async def test_link_page_on_a_phone_shows_the_title_and_a_tappable_button_and_reports(
    tmp_path: Path,
) -> None:
    async with serve_links(tmp_path) as served, chromium() as browser:
        context = await browser.new_context(
            viewport={"width": WIDTH, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="nb-NO",
        )
        page = await context.new_page()
        await check_page(page, served, tmp_path)
        await check_incident_form(page, served, tmp_path)


async def check_page(page: Page, served: Served, tmp_path: Path) -> None:
    url = str(served.client.make_url(served.link()))
    resp = await page.goto(url)
    assert resp is not None and resp.status == 200
    assert await page.evaluate("document.documentElement.lang") == "nb"
    title = page.locator("h1#title")
    assert await title.is_visible()
    row = records.open_alerts(served.world.store, ["0301"])[0]
    assert (await title.inner_text()).strip() == row["title"]
    assert "P1 Handle nå" in await page.locator("#priority").inner_text()
    button = await box(page, "button#act")
    assert tappable(button), button
    assert await page.locator("button#act").is_visible()
    # laid out for the phone: nothing wider than the screen, text at a readable size
    assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    size = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 16
    await shot(page, tmp_path, "link-page-390")
    print(f"button#act at 390 px: {button}")


async def check_incident_form(page: Page, served: Served, tmp_path: Path) -> None:
    summary = await box(page, "#incident > summary")
    assert tappable(summary), summary
    await page.locator("#incident > summary").tap()
    await page.select_option("#rsit_class", "intrusions")
    await page.fill("#what_happened", "Ukjent innlogging på e-postkontoen til en ansatt.")
    await page.fill("#when", "2026-01-05T07:30")
    await page.fill("#impact", "Kontoen sendte phishing internt.")
    await page.fill("#measures", "Passordet er byttet, øktene avsluttet.")
    for selector in ("#rsit_class", "#what_happened", "#when", "button#report"):
        b = await box(page, selector)
        assert b["height"] >= MIN_TAP and b["x"] + b["width"] <= WIDTH, (selector, b)
    await shot(page, tmp_path, "link-page-390-form")
    async with page.expect_navigation():
        await page.locator("button#report").tap()
    result: Any = page.locator("#result")
    shown = await result.inner_text()
    [inc] = records.incidents(served.world.store)
    assert inc["id"] in shown and inc["rsit_class"] == "intrusions"
    assert inc["id"].startswith("HEN-")
    assert tappable(await box(page, "a.button"))
    await shot(page, tmp_path, "link-page-390-done")
    print(f"report {inc['id']} shown: {shown!r}")
