"""The 12-week trend as a PNG (Pillow), for e-mail (Outlook shows no SVG) and the page. Pure.

Stacked bars per ISO week: serious (P1/P2) at the bottom in dark blue, the others above in
light blue, the total above each bar, the week numbers below. Drawn at twice the size it is
shown (`WIDTH` × `HEIGHT` CSS px) so it stays sharp on phones; colours meet WCAG AA against
white. The same bytes for the same figures (no timestamps in the file).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from certbot.report.figures import TrendPoint

WIDTH, HEIGHT = 440, 240  # CSS px as shown; the PNG is SCALE times larger
SCALE = 2
SERIOUS_COLOUR = (23, 55, 94)  # #17375e
OTHER_COLOUR = (120, 160, 205)
INK = (33, 33, 33)
GRID = (220, 220, 220)
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
LEGEND = {
    "nb": ("Alvorlige (P1/P2)", "Øvrige", "uke"),
    "en": ("Serious (P1/P2)", "Other", "week"),
}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in FONT_FILES:
        if Path(name).exists():
            return ImageFont.truetype(name, size * SCALE)
    return ImageFont.load_default(size * SCALE)


def _top(points: list[TrendPoint]) -> int:
    """The axis maximum: the largest bar rounded up to a multiple of 4 (whole-number grid)."""
    peak = max([p.total for p in points] + [4])
    return -(-peak // 4) * 4


def trend_png(points: list[TrendPoint], lang: str = "nb") -> bytes:
    s = SCALE
    img = Image.new("RGB", (WIDTH * s, HEIGHT * s), "white")
    draw = ImageDraw.Draw(img)
    font, small = _font(14), _font(13)
    serious_label, other_label, week_word = LEGEND.get(lang, LEGEND["en"])
    left, right, top, bottom = 36 * s, (WIDTH - 8) * s, 34 * s, (HEIGHT - 34) * s
    _legend(draw, font, (serious_label, other_label), left)
    peak = _top(points)
    for i in range(5):  # four grid lines and the base line
        y = bottom - (bottom - top) * i // 4
        draw.line([(left, y), (right, y)], fill=GRID if i else INK, width=s)
        draw.text((left - 6 * s, y), str(peak * i // 4), fill=INK, font=small, anchor="rm")
    slot = (right - left) / max(1, len(points))
    for i, p in enumerate(points):
        x0 = int(left + slot * i + slot * 0.18)
        x1 = int(left + slot * (i + 1) - slot * 0.18)
        y_serious = bottom - (bottom - top) * p.serious // peak
        y_total = bottom - (bottom - top) * p.total // peak
        if p.total > p.serious:
            draw.rectangle([x0, y_total, x1, y_serious], fill=OTHER_COLOUR)
        if p.serious:
            draw.rectangle([x0, y_serious, x1, bottom], fill=SERIOUS_COLOUR)
        mid = (x0 + x1) // 2
        draw.text((mid, y_total - 3 * s), str(p.total), fill=INK, font=small, anchor="mb")
        draw.text((mid, bottom + 6 * s), str(p.week.number), fill=INK, font=small, anchor="mt")
    draw.text(((left + right) // 2, bottom + 20 * s), week_word, fill=INK, font=small, anchor="mt")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _legend(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    labels: tuple[str, str],
    x: int,
) -> None:
    s = SCALE
    for colour, label in zip((SERIOUS_COLOUR, OTHER_COLOUR), labels, strict=True):
        draw.rectangle([x, 10 * s, x + 14 * s, 24 * s], fill=colour)
        draw.text((x + 20 * s, 17 * s), label, fill=INK, font=font, anchor="lm")
        x += int(draw.textlength(label, font=font)) + 44 * s
