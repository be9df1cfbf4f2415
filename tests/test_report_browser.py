"""The weekly report in a real browser (issue 14.4 acceptance): ``report 0301 --week
2026-W11`` from a store filled through the real pipeline, opened in Debian's chromium
(headless, driven by Playwright) at A4 width (794 CSS px) and at a phone's 390 px, then
printed to A4 with ``page.pdf``; and the e-mail, with its ``cid:`` chart resolved from the
message's own image part the way a mail client does. Nothing is wider than the screen, the
chart is loaded and visible at a legible scale, body text is at least 16 px (print: 12 px) and
the PDF is one page. Screenshots go to the test's tmp dir (``report-*.png``) and, when
``CERTBOT_ARTIFACTS`` names a directory, are copied there.

Playwright's own browser download is not used: tests/browser_helpers.py launches Debian's
chromium, which ``.ci/run`` installs when it is missing. Without a chromium binary the tests skip.
"""

from __future__ import annotations

import base64
import email
import json
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.async_api import Page

from certbot.channels import ChannelContext
from certbot.channels.mail import MailChannel
from certbot.cli import main
from certbot.model import Notification
from certbot.render import Renderer
from certbot.report.chart import WIDTH as CHART_WIDTH
from certbot.report.weekly import plan_weekly_reports
from tests.browser_helpers import NEEDS_CHROMIUM, chromium, shot
from tests.report_helpers import build_sector
from tests.test_report import MONDAY

pytestmark = [pytest.mark.slow, NEEDS_CHROMIUM]
A4, PHONE = 794, 390  # CSS px: A4 at 96 dpi; an iPhone 12-15 in portrait
CHART_SMALLEST_FONT = 13  # px in the chart's own drawing (week numbers, totals)
LEGIBLE = 9.5  # px: the chart's smallest text as shown may not drop below this


async def check_layout(page: Page, width: int, min_font: float = 16) -> None:
    """No horizontal overflow; the chart loaded, visible and legible; body text readable."""
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    chart = page.locator("img.chart")
    assert await chart.is_visible()
    assert await chart.evaluate("i => i.complete && i.naturalWidth > 0")
    b = await chart.bounding_box()
    assert b is not None and b["x"] >= 0 and b["x"] + b["width"] <= width
    assert CHART_SMALLEST_FONT * b["width"] / CHART_WIDTH >= LEGIBLE, b
    size = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= min_font
    smallest = await page.evaluate(
        "Math.min(...[...document.querySelectorAll('p, li, td, th, small, span')]"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 10
    for element in await page.locator("h1, h2, li, td, th, p").all():
        box = await element.bounding_box()
        assert box is None or box["x"] + box["width"] <= width + 0.5, await element.inner_text()


async def test_report_page_at_a4_and_on_a_phone_and_as_pdf(tmp_path: Path) -> None:
    sector = build_sector(tmp_path)
    sector.store.close()
    out = tmp_path / "report-0301.html"
    args = ["--config-dir", str(tmp_path), "--db", str(sector.db), "report", "0301"]
    assert main([*args, "--week", "2026-W11", "--out", str(out)]) == 0
    async with chromium() as browser:
        for width, mobile in ((A4, False), (PHONE, True)):
            context = await browser.new_context(
                viewport={"width": width, "height": 1123 if not mobile else 844},
                device_scale_factor=2 if mobile else 1,
                is_mobile=mobile,
                has_touch=mobile,
                locale="nb-NO",
            )
            page = await context.new_page()
            await page.goto(out.as_uri())
            assert await page.evaluate("document.documentElement.lang") == "nb"
            assert "Sårbarheter i Oslo kommune, uke 11" in await page.locator("h1").inner_text()
            await check_layout(page, width)
            await shot(page, tmp_path, f"report-{width}")
            if not mobile:
                await page.emulate_media(media="print")
                await check_layout(page, width, min_font=12)
                await shot(page, tmp_path, "report-print")
                pdf = await page.pdf(format="A4", print_background=True)
                assert pdf.startswith(b"%PDF")
                pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
                assert pages == 1, f"the report takes {pages} A4 pages"
                (tmp_path / "report-0301.pdf").write_bytes(pdf)
            await context.close()


def cid_resolved(msg: EmailMessage) -> str:
    """The HTML part with every ``cid:`` reference replaced by its image part as a data URI
    (what a mail client does); an unresolved reference stays and fails to load."""
    html = msg.get_body(("html",))
    assert html is not None
    page = html.get_content()
    for part in msg.walk():
        if cid := part.get("Content-ID"):
            uri = "data:image/png;base64," + base64.b64encode(part.get_content()).decode()
            page = page.replace(f"cid:{cid.strip('<>')}", uri)
    return page


async def test_report_email_renders_with_its_cid_chart(tmp_path: Path) -> None:
    sector = build_sector(tmp_path)
    plan_weekly_reports(sector.store, sector.config, MONDAY)
    row = next(
        r
        for r in sector.store.deliveries()
        if r["kind"] == "report" and r["subscriber_id"] == "4601"
    )
    sector.store.close()
    n = Notification.from_json(json.loads(row["notification"]))
    channel = MailChannel(ChannelContext(config=sector.config, renderer=Renderer(), environ={}))
    target = sector.config.target("4601", "ledelse")
    assert target is not None
    raw = bytes(channel.render(n, target).body)
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    page_html = cid_resolved(msg)
    assert "cid:" not in page_html  # every reference had its part
    async with chromium() as browser:
        for width in (PHONE, A4):
            context = await browser.new_context(viewport={"width": width, "height": 900})
            page = await context.new_page()
            await page.set_content(page_html)
            await check_layout(page, width)
            assert "Hemmelig FortiOS-feil <script>" in await page.locator("ul").inner_text()
            assert await page.evaluate("document.querySelectorAll('script').length") == 0
            await shot(page, tmp_path, f"report-email-{width}")
            await context.close()
