"""The ``report`` command: one municipality's weekly leadership report as HTML or PDF.

Contract: `add_parsers(sub)` adds ``report KOMMUNENUMMER [--week YYYY-Www] [--format
html|pdf] [--out FILE]`` and `COMMANDS` maps it to its handler ``(args, config, db) -> exit
code``. The default week is the last complete ISO week in Europe/Oslo; the default file is
``report-<kommunenummer>-<week>.<format>`` in the current directory. Titles above the
clearance of the municipality's leadership targets (TLP:GREEN without one) are withheld.
Bad input prints one line to stderr and exits 2; a missing chromium for PDF exits 3.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certbot.config import Config
from certbot.report.chart import trend_png
from certbot.report.pdf import ChromiumMissing, PdfFailed, html_to_pdf
from certbot.report.render import data_uri, render_html
from certbot.report.weekly import build_report, reader_clearance
from certbot.report.weeks import Week
from certbot.store import Store


def add_parsers(sub: Any) -> None:
    rep = sub.add_parser("report", help="the weekly report for a municipality's leadership")
    rep.add_argument("kommunenummer")
    rep.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete week)")
    rep.add_argument("--format", choices=["html", "pdf"], default="html")
    rep.add_argument("--out", type=Path, help="file to write (default report-<nr>-<week>.<fmt>)")


def _report(args: argparse.Namespace, config: Config, db: str) -> int:
    try:
        sub = config.subscriber(args.kommunenummer)
    except KeyError:
        print(f"no municipality {args.kommunenummer!r} in subscribers/", file=sys.stderr)
        return 2
    try:
        week = Week.parse(args.week) if args.week else Week.last_complete(datetime.now(UTC))
    except ValueError as exc:
        print(f"--week: {exc}", file=sys.stderr)
        return 2
    if not Path(db).exists():
        print(
            f"no database at {db}; run 'poll --once' or 'demo' first, or pass --db", file=sys.stderr
        )
        return 2
    store = Store(db)
    try:
        report = build_report(store, config, sub.id, week, reader_clearance(sub))
    finally:
        store.close()
    html = render_html(report, data_uri(trend_png(report.trend, report.language)))
    out = args.out or Path(f"report-{sub.id}-{week}.{args.format}")
    if args.format == "pdf":
        try:
            html_to_pdf(html, out)
        except ChromiumMissing as exc:
            print(str(exc), file=sys.stderr)
            return 3
        except PdfFailed as exc:
            print(f"PDF not written: {exc}", file=sys.stderr)
            return 1
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    print(
        f"{out}: {sub.name}, week {week}: {report.new} new, {report.serious} serious, "
        f"{len(report.overdue)} overdue"
    )
    return 0


COMMANDS = {"report": _report}
