"""The report as HTML (the page, the e-mail body) and as a short chat summary. Pure.

Templates: ``templates/report/report.html`` (autoescaped: case titles are untrusted
advisory text) and ``summary.txt`` (plain text: each chat channel escapes for its own
markup), one markup for every language; the words are in ``templates/report/<lang>.toml``
(`certbot.words`, passed as ``t``). The chart is referenced by ``image_src``: a ``cid:`` URL
in e-mail, a ``data:`` URI in a file or PDF. Code passes numbers and keys, never words.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from certbot.render import Renderer
from certbot.report.chart import HEIGHT, WIDTH
from certbot.report.figures import Report
from certbot.words import words

MONTHS = {
    "nb": "januar februar mars april mai juni juli august september oktober november desember",
    "en": "January February March April May June July August September October November December",
}
OVERDUE_SHOWN = 5  # the list is cut after this many (most urgent first), with "and N more"


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def week_dates(report: Report) -> str:
    """``16.–22. november 2026`` / ``16–22 November 2026`` (across months: both named)."""
    lang = report.language if report.language in MONTHS else "en"
    months = MONTHS[lang].split()
    first, last = report.week.start, report.week.end - timedelta(days=1)
    dot = "." if lang == "nb" else ""
    dash = "–"
    if first.month == last.month:
        return f"{first.day}{dot}{dash}{last.day}{dot} {months[last.month - 1]} {last.year}"
    head = f"{first.day}{dot} {months[first.month - 1]}"
    if first.year != last.year:
        head += f" {first.year}"
    return f"{head} {dash} {last.day}{dot} {months[last.month - 1]} {last.year}"


def percent(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    return f"{round(value * 100)} %" if lang == "nb" else f"{round(value * 100)}%"


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def advice(report: Report) -> list[str]:
    """Which recommendations apply, most pressing first (the templates word them)."""
    keys = []
    if report.overdue_serious:
        keys.append("serious_overdue")
    elif report.overdue:
        keys.append("overdue")
    elif report.due > report.on_time:
        keys.append("late")  # all handled by now, but not all in time
    own, county = report.on_time_share.own, report.on_time_share.county
    if own is not None and county is not None and own < county:
        keys.append("behind_county")
    if not keys:
        keys.append("keep_up")
    keys.append("inventory")
    return keys


def _context(report: Report, renderer: Renderer, **extra: Any) -> dict[str, Any]:
    lang = report.language
    return {
        "r": report,
        "lang": lang,
        "t": words(renderer.root, "report", _lang(report)),
        "dates": week_dates(report),
        "advice": advice(report),
        "shown": report.overdue[:OVERDUE_SHOWN],
        "more": max(0, len(report.overdue) - OVERDUE_SHOWN),
        "pct": lambda v: percent(v, lang),
        "num": number,
        "chart_width": WIDTH,
        "chart_height": HEIGHT,
        **extra,
    }


def _lang(report: Report) -> str:
    return report.language if report.language in MONTHS else "nb"


def render_html(report: Report, image_src: str, renderer: Renderer | None = None) -> str:
    r = renderer or Renderer()
    template = r.html.get_template("report/report.html")
    return template.render(**_context(report, r, image_src=image_src))


def render_summary(report: Report, renderer: Renderer | None = None) -> str:
    """A few lines with the key numbers, for chat channels and the e-mail's text part."""
    r = renderer or Renderer()
    template = r.text.get_template("report/summary.txt")
    return template.render(**_context(report, r)).strip() + "\n"
