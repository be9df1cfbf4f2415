"""Neutralise untrusted advisory text before any channel renders it.

Advisory titles and summaries come from feeds we do not control (RELIABILITY.md, hostile
input). Before rendering, every string in a `Notification` loses C0/C1 control characters and
the Unicode bidirectional overrides and invisible marks that can disguise text (U+202E...).
Single-line fields (titles, items, links) also lose line breaks, so nothing can smuggle a
header line into an e-mail; every field is capped in length. Markup escaping stays the job of
each output format (Jinja autoescape for HTML, JSON encoding for files).
"""

from __future__ import annotations

import dataclasses
import re

from certbot.model import Notification

# C0 except TAB/LF, DEL, C1, bidi marks/overrides/isolates, zero-width chars, BOM.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
_LINE_BREAKS = re.compile("[\r\n\t\v\f\x85\u2028\u2029]+")
_SPACES = re.compile(r"[ \u00a0]{2,}")

TITLE_MAX = 500
LINE_MAX = 2000
TEXT_MAX = 8000


def cap(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str, limit: int = LINE_MAX) -> str:
    """A single line: no line breaks, no control or bidi characters, capped."""
    text = _LINE_BREAKS.sub(" ", str(text))
    text = _CONTROLS.sub("", text)
    return cap(_SPACES.sub(" ", text).strip(), limit)


def multi_line(text: str, limit: int = TEXT_MAX) -> str:
    """Free text: line breaks normalised to LF, other control and bidi characters removed."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return cap(_CONTROLS.sub("", text).strip(), limit)


def clean_notification(n: Notification) -> Notification:
    """A copy of ``n`` whose every string is safe to put in any channel."""
    return dataclasses.replace(
        n,
        title=one_line(n.title, TITLE_MAX),
        subscriber_name=one_line(n.subscriber_name, 200),
        cves=[one_line(c, 50) for c in n.cves],
        matched=[{k: v if v is None else one_line(v) for k, v in m.items()} for m in n.matched],
        reasons=[one_line(r) for r in n.reasons],
        actions=[one_line(a) for a in n.actions],
        links=[one_line(u) for u in n.links],
        summary=multi_line(n.summary),
        changes=[one_line(c) for c in n.changes],
        items=[clean_notification(i) for i in n.items],
    )


def tidy(text: str) -> str:
    """Rendered plain text with at most one blank line in a row and one final newline.

    Templates stay readable (blocks separated generously); this makes the output even.
    Trailing spaces go too, except in the e-mail signature separator ``"-- "``.
    """
    lines = [ln if ln == "-- " else ln.rstrip() for ln in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
