"""Debian's chromium for the Playwright tests (tests/test_*_browser.py).

Playwright's own browser download is not used: `chromium()` launches the ``chromium`` binary
on PATH (``.ci/run`` installs it when it is missing), headless, with the flags a root CI
container needs; `NEEDS_CHROMIUM` skips a test module without one and says so. `shot(page,
folder, name)` saves a full-page screenshot ``<folder>/<name>.png`` and, when
``CERTBOT_ARTIFACTS`` names a directory, copies it there."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH (apt-get install -y chromium; .ci/run does this)",
)
FLAGS = [
    "--no-sandbox",  # CI runs as root in a container
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Debian chromium, closed on exit."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


async def shot(page: Page, folder: Path, name: str) -> Path:
    """A full-page screenshot ``folder/name.png``, copied to ``$CERTBOT_ARTIFACTS`` if set."""
    path = folder / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    if target := os.environ.get("CERTBOT_ARTIFACTS"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)
    return path
