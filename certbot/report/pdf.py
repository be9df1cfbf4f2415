"""The report printed to PDF by headless chromium (Debian's ``chromium`` package).

`html_to_pdf` writes the HTML to a private temporary directory and runs ``chromium
--headless --print-to-pdf`` on it with a time limit; the page carries its chart as a
``data:`` URI, so chromium needs no network (``--disable-background-networking``). A missing
binary raises `ChromiumMissing`, whose message says how to install it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 60.0
INSTALL_HINT = (
    "PDF needs headless chromium and none was found on PATH; install it with "
    "'apt-get install -y chromium' (Debian/Ubuntu), set CHROMIUM to its path, "
    "or use --format html"
)


class ChromiumMissing(RuntimeError):
    """No chromium binary: the message names how to install one."""


class PdfFailed(RuntimeError):
    """chromium ran but wrote no PDF (its last output line is in the message)."""


def find_chromium(explicit: str | None = None) -> str:
    for name in (explicit, *CANDIDATES):
        if name and (found := shutil.which(name)):
            return found
    raise ChromiumMissing(INSTALL_HINT)


def html_to_pdf(html: str, out: Path, chromium: str | None = None) -> None:
    binary = find_chromium(chromium)
    with tempfile.TemporaryDirectory(prefix="certbot-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        args = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={tmp}/profile",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                args, capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfFailed(f"chromium did not finish within {TIMEOUT:.0f} s") from None
        if not target.exists() or target.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
            raise PdfFailed(f"chromium wrote no PDF (exit {done.returncode}): {last}")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(target), out)
