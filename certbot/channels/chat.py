"""What the three chat channels share: plain-text sections from templates, and size fitting.

A chat message is built in three steps, so escaping and truncation can never break markup:

1. `sanitise` copies the Notification with every untrusted string cleaned (`escape.clean`),
   capped in length, and links reduced to http(s) URLs.
2. `sections` renders ``templates/<channel>/<lang>/<kind>.txt`` (plain text, unescaped) and
   splits it at marker lines ``{{ S }}kind|heading`` into `Section` objects. The marker is a
   control character that `sanitise` removes from feed text, so a feed cannot forge one.
3. The channel escapes each section for its platform and adds its own markup; `fit` shrinks
   the plain text (never the markup) until the platform's size limit holds.
"""

from __future__ import annotations

import dataclasses
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from certbot.channels import escape
from certbot.model import Notification, Priority
from certbot.render import Renderer

MARK = "\x1e"
TITLE_MAX = 300
LINE_MAX = 1000
SUMMARY_MAX = 4000
ELLIPSIS = "…"
T = TypeVar("T")


@dataclass
class Section:
    kind: str  # head | title | text | list | links
    heading: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.heading) + sum(len(line) + 1 for line in self.lines)


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def sanitise(n: Notification) -> Notification:
    """A copy of ``n`` whose untrusted strings are safe to template (no controls, capped)."""

    def one(s: str, limit: int = LINE_MAX) -> str:
        return _cap(escape.clean(s, one_line=True), limit)

    return dataclasses.replace(
        n,
        title=one(n.title, TITLE_MAX),
        subscriber_name=one(n.subscriber_name, 200),
        summary=_cap(escape.clean(n.summary), SUMMARY_MAX),
        cves=[one(c, 40) for c in n.cves],
        matched=[{k: one(str(v)) for k, v in m.items()} for m in n.matched],
        reasons=[one(r) for r in n.reasons],
        actions=[one(a) for a in n.actions],
        changes=[one(c) for c in n.changes],
        links=[u for u in (escape.safe_url(x) for x in n.links) if u],
        items=[sanitise(i) for i in n.items],
    )


def template_name(n: Notification) -> str:
    return {"alert": "alert.txt", "update": "update.txt", "digest": "digest.txt"}.get(
        n.kind, "notice.txt"
    )


def sections(renderer: Renderer, channel: str, n: Notification) -> list[Section]:
    """Render the plain-text template for ``n`` and split it into sections."""
    text = renderer.render(channel, template_name(n), n, S=MARK, priorities=[*Priority, None])
    out: list[Section] = []
    for raw in text.split("\n"):
        if raw.startswith(MARK):
            kind, _, heading = raw[1:].partition("|")
            out.append(Section(kind.strip(), heading.strip()))
        elif out and (raw.strip() or out[-1].kind == "text"):
            out[-1].lines.append(raw.rstrip())
    for s in out:
        while s.lines and not s.lines[-1]:
            s.lines.pop()
    return [s for s in out if s.lines or s.kind in ("head", "title")]


def shrink(section: Section, target: int, more: str) -> Section:
    """``section`` cut to about ``target`` plain characters: whole lines are dropped from a
    list (with a ``more`` line saying how many), text is cut with an ellipsis."""
    budget = max(0, target - len(section.heading))
    if section.kind == "text":
        body = "\n".join(section.lines)
        cut = body[: max(0, budget - 1)].rstrip()
        return Section(section.kind, section.heading, (cut + ELLIPSIS).split("\n"))
    kept: list[str] = []
    used = 0
    for line in section.lines:
        if used + len(line) + 1 + len(more) + 8 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    dropped = len(section.lines) - len(kept)
    if dropped:
        kept.append(more.format(n=dropped))
    return Section(section.kind, section.heading, kept)


def fit(
    parts: list[Section],
    build: Callable[[list[Section]], T],
    size: Callable[[T], int],
    limit: int,
    more: str,
) -> T:
    """``build(parts)`` after shrinking the largest sections until ``size`` is within
    ``limit``. Head and title sections are never cut (they are capped by `sanitise`)."""
    parts = list(parts)
    for _ in range(200):
        result = build(parts)
        excess = size(result) - limit
        if excess <= 0:
            return result
        cuttable = [i for i, s in enumerate(parts) if s.kind not in ("head", "title") and s.lines]
        if not cuttable:
            break
        i = max(cuttable, key=lambda j: parts[j].size)
        current = parts[i].size
        step = max(excess + 16, current // 8)
        if current - step <= len(parts[i].heading) + 16:
            parts.pop(i)  # nothing useful left of it
        else:
            parts[i] = shrink(parts[i], current - step, more)
    raise ValueError("message does not fit the platform limit even without its sections")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


MORE = {"nb": "… og {n} til", "en": "… and {n} more"}
