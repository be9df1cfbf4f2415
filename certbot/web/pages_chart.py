"""The overview's one chart: open P1 and P2 alerts per day over 90 days, as SVG from pygal.

Server-rendered and script-free: pygal's JavaScript tooltips are switched off (``js=[]``),
and the page shows the SVG through ``<img>``, where no script would run anyway; the same
numbers are in a table beside it for screen readers. Colours meet WCAG AA against white.
"""

from __future__ import annotations

import sys
from datetime import date

import pygal
from pygal.style import Style

# Importing pygal appends its legacy ``PluginImportFixer`` (for the old pygal.maps plugins) to
# ``sys.meta_path``. It has no ``find_spec``, so every later import that fails anywhere in
# the process (feedparser trying ``cchardet``) raises an ImportWarning. Nothing here uses
# pygal.maps: take the hook out again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

WORDS = {
    "nb": {"title": "Åpne P1/P2 per dag, siste 90 dager", "p1": "P1 Handle nå", "p2": "P2 Snarlig"},
    "en": {"title": "Open P1/P2 per day, last 90 days", "p1": "P1 Act now", "p2": "P2 Soon"},
}
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#595959",
    colors=("#a80000", "#8a5300"),
    font_family="system-ui, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    title_font_size=16,
)


def p1p2_svg(points: list[tuple[date, int, int]], lang: str) -> bytes:
    words = WORDS.get(lang, WORDS["nb"])
    chart = pygal.Line(
        width=900,
        height=320,
        style=STYLE,
        js=[],
        disable_xml_declaration=False,
        show_dots=False,
        fill=False,
        x_label_rotation=0,
        show_minor_x_labels=False,
        truncate_label=-1,
        legend_at_bottom=True,
        include_x_axis=True,
        min_scale=1,
        max_scale=6,
        title=words["title"],
    )
    chart.x_labels = [d.strftime("%d.%m") for d, _, _ in points]
    chart.x_labels_major = [d.strftime("%d.%m") for d, _, _ in points[::15]]
    chart.add(words["p1"], [p1 for _, p1, _ in points])
    chart.add(words["p2"], [p2 for _, _, p2 in points])
    return bytes(chart.render())


__all__ = ["p1p2_svg"]
