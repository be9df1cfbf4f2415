"""RSS 2.0 and Atom advisories (NSM varsler, CERT-EU, CISA, vendor PSIRTs): prose, not structure.

``parse`` first gates the bytes (`certbot.sources.xml_gate`: decoded once, no entity declarations: billion
laughs, quadratic blow-up and external entities raise `ParseError` before anything grows),
then hands them to feedparser as a stream (never a URL or a file name). Each entry becomes an
`Advisory` with plain-text title and summary, CVE ids found by regex, and the revision marker
some publishers put in titles (CERT-Bund ``[UPDATE]``, NCSC-NL ``[1.01]``). Products stay
empty: prose is matched on text later (match.py, which reads versions through certbot.prose).
At parse time certbot.prose fills ``cvss`` from a score written in the text ("CVSS 9.8",
"CVSS-score 8,1") and ``withdrawn`` when the item announces a withdrawn or rejected CVE.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import logging
import re
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import feedparser

from certbot import prose
from certbot.errors import ParseError
from certbot.model import Advisory
from certbot.sources import Source, each_entry, feed_items
from certbot.sources.options import AdvisoryOptions
from certbot.sources.xml_gate import charset_of, gate
from certbot.tlp import stricter_label_in_text

if TYPE_CHECKING:
    from certbot.config import FeedConfig

log = logging.getLogger("certbot.sources.rss")

SUMMARY_MAX = 4000
TITLE_MAX = 500
CVE = re.compile(r"\bCVE[-‐‑–]\d{4}[-‐‑–]\d{4,}\b", re.IGNORECASE)
REVISION = re.compile(r"\[(UPDATE\s*\d*|\d+\.\d+)\]", re.IGNORECASE)  # in the first 40 chars
SPACE = re.compile(r"\s+")
UTF8_XML = "application/xml; charset=utf-8"  # what the gate returns
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Text(HTMLParser):
    BLOCK = frozenset("p div br li ul ol tr td th h1 h2 h3 h4 h5 h6 table pre blockquote".split())

    HIDDEN = frozenset(("script", "style"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in self.HIDDEN
        if tag in self.BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.hidden = max(0, self.hidden - (tag in self.HIDDEN))
        if tag in self.BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(value: str, *, html: bool = True, limit: int = SUMMARY_MAX) -> str:
    """Text only: tags dropped (if HTML), control characters removed, whitespace collapsed."""
    if html and ("<" in value or "&" in value):
        parser = _Text()
        parser.feed(value)
        parser.close()
        value = "".join(parser.parts)
    value = SPACE.sub(" ", CONTROL.sub("", value)).strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _detail_text(entry: Any, key: str, limit: int) -> str:
    value = entry.get(key) or ""
    if not isinstance(value, str):
        return ""
    return plain_text(value, limit=limit)  # even text/plain titles often carry escaped HTML


def _when(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def find_cves(*texts: str) -> tuple[str, ...]:
    found = {re.sub(r"[‐‑–]", "-", m.group(0)).upper() for t in texts for m in CVE.finditer(t)}
    return tuple(sorted(found))


def _link(entry: Any) -> str | None:
    link = entry.get("link")
    if isinstance(link, str) and link.strip().lower().startswith(("https://", "http://")):
        return link.strip()
    return None


def _entry(entry: Any, feed: FeedConfig) -> Advisory | None:
    title = _detail_text(entry, "title", TITLE_MAX)
    summary = _detail_text(entry, "summary", SUMMARY_MAX)
    if not summary and entry.get("content"):
        first = entry["content"][0]
        summary = plain_text(str(first.get("value", "")))
    url = _link(entry)
    if not title and not url:
        return None
    ident = entry.get("id") or url or "sha256:" + hashlib.sha256(title.encode()).hexdigest()[:32]
    marker = REVISION.search(title[:40])
    marked = stricter_label_in_text(f"{title}\n{summary}", feed.tlp)  # the text's label wins
    extra = {"tlp_from_text": marked.name, "tlp_feed": feed.tlp.name} if marked else {}
    return Advisory(
        source=feed.id,
        source_id=plain_text(str(ident), html=False, limit=TITLE_MAX),
        title=title or plain_text(summary, limit=120) or str(url),
        summary=summary,
        url=url,
        published=_when(entry.get("published_parsed")),
        updated=_when(dict.get(entry, "updated_parsed")),  # no published fallback (warns)
        cves=find_cves(title, summary),
        tlp=marked or feed.tlp,
        language=feed.language,
        structured=False,
        revision=marker.group(1).upper() if marker else None,
        cvss=prose.read_cvss(f"{title}\n{summary}"),
        withdrawn=prose.withdrawn(title, summary),
        extra=extra,
    )


class RssSource(Source):
    options = AdvisoryOptions
    kind = "rss"
    reads_headers = True  # the Content-Type charset reaches the gate and feedparser

    def parse(
        self, doc: bytes, feed: FeedConfig, headers: Mapping[str, str] | None = None
    ) -> Iterator[Advisory]:
        """Gate and parse eagerly (ParseError raises here), then yield entry by entry.
        ``headers``: the response's (`Fetched.headers`); its Content-Type charset is used."""
        ctype = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), None)
        doc = gate(doc, charset_of(ctype))  # UTF-8 from here on: exactly what the gate checked
        try:
            parsed = feedparser.parse(io.BytesIO(doc), response_headers={"content-type": UTF8_XML})
        except Exception as exc:  # feedparser on hostile bytes: anything goes
            raise ParseError(f"feed {feed.id}: unreadable ({type(exc).__name__})") from None
        if not parsed.get("version") and not parsed.get("entries"):
            raise ParseError(f"feed {feed.id}: not an RSS or Atom document")
        return self._entries(parsed.get("entries", []), feed)

    def split_items(self, doc: bytes, headers: Mapping[str, str] | None = None) -> Any:
        """The gated document cut into its items (`certbot.sources.feed_items.Split`), for
        the item cap: the poll cycle rebuilds it with the items it takes and parses that."""
        ctype = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), None)
        return feed_items.split(gate(doc, charset_of(ctype)))

    def _entries(self, entries: list[Any], feed: FeedConfig) -> Iterator[Advisory]:
        return each_entry(entries, feed, _entry, "no title and no link", log)
