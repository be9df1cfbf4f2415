"""CISA Known Exploited Vulnerabilities: one JSON catalogue, one `Advisory` per cveID.

Every KEV entry is exploited by definition; vendorProject/product are structured, so matching
uses them directly. The catalogue has no per-entry modified date: the store diffs it per
cveID through the content hash. The JSON reader rejects duplicate keys (an entry with two
``cveID`` keys is ambiguous) and turns deep nesting or huge numbers into `ParseError`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from certbot.errors import ParseError
from certbot.model import Advisory, AffectedProduct, Remediation
from certbot.sources import Source, each_entry
from certbot.sources.jsonload import load_json
from certbot.sources.options import AdvisoryOptions

if TYPE_CHECKING:
    from certbot.config import FeedConfig

log = logging.getLogger("certbot.sources.kev")

CATALOG = "https://www.cisa.gov/known-exploited-vulnerabilities-catalog?search="
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
HTTPS_URL = re.compile(r"https://[^\s;,<>\"')]+")
NOTE_SEPARATORS = re.compile(r"(?:\s*;\s*)+|http://[^\s;,<>\"')]+|\(\s*\)")
POINTER = re.compile(r"(?:^|(?<=[.!?]))[^.!?]*:$")  # "… please see:" once its link is gone
LETTERS = re.compile(r"[^\W\d_]{3,}")
SUMMARY_MAX = 4000


def _s(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _day(value: Any) -> tuple[date, datetime, str] | None:
    """A KEV date as (date, its midnight UTC, ISO text), or None."""
    return _date(value) if isinstance(value, str) and len(value) <= 32 else None


@lru_cache(maxsize=4096)
def _date(value: str) -> tuple[date, datetime, str] | None:
    """Cached: the catalogue's 1,400 entries share a few hundred days."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day, datetime(day.year, day.month, day.day, tzinfo=UTC), day.isoformat()


def _note_words(notes: str) -> str:
    """What ``notes`` says beyond its links. The notes are mostly a ``" ; "``-separated list of
    URLs (the vendor's advisory, NVD); the links are the advisory's sources, not text to quote
    in a message. Other sentences are kept; one that only pointed at a link ("For more
    information, please see:") goes with it."""
    if "http" not in notes:
        return notes
    text = NOTE_SEPARATORS.sub(" ", HTTPS_URL.sub(" ", notes))
    text = POINTER.sub("", " ".join(text.split())).strip(" ;,")
    return text if LETTERS.search(text) else ""


def _action(text: str) -> tuple[Remediation]:
    return (Remediation("required_action", text),)


_shared_action = lru_cache(maxsize=1024)(_action)
ACTION_CACHED = 500  # a longer requiredAction than any real one is made each time, never kept


def _remediation(text: str) -> tuple[Remediation]:
    """Shared (frozen): the catalogue's 1,400 entries use a few dozen requiredAction texts."""
    return _shared_action(text) if len(text) <= ACTION_CACHED else _action(text)


def _entry(entry: Any, feed: FeedConfig) -> Advisory | None:
    if not isinstance(entry, dict):
        return None
    get = entry.get
    cve = _s(get("cveID")).upper()
    if not CVE_ID.match(cve):
        return None
    notes = _s(get("notes"))
    summary = _s(get("shortDescription"))
    if notes and (words := _note_words(notes)):
        summary = f"{summary}\n\n{words}" if summary else words
    first_url = HTTPS_URL.search(notes)
    added = _day(get("dateAdded"))
    due = _day(get("dueDate"))
    cwes = get("cwes")
    return Advisory(
        source=feed.id,
        source_id=cve,
        title=_s(get("vulnerabilityName")) or cve,
        summary=summary[:SUMMARY_MAX],
        url=first_url.group(0) if first_url else CATALOG + cve,
        published=added[1] if added else None,
        cves=(cve,),
        tlp=feed.tlp,
        exploited=True,
        ransomware=_s(get("knownRansomwareCampaignUse")).lower() == "known",
        due_date=due[0] if due else None,
        products=(AffectedProduct(_s(get("vendorProject")), _s(get("product")), entry=cve),),
        remediations=_remediation(_s(get("requiredAction"))),
        structured=True,
        extra={
            "cwes": [c for c in cwes if isinstance(c, str)] if isinstance(cwes, list) else [],
            "date_added": added[2] if added else None,
        },
    )


class KevSource(Source):
    options = AdvisoryOptions
    kind = "kev"

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        """Read the whole catalogue eagerly (ParseError raises here), then yield per entry."""
        data = load_json(doc)
        if not isinstance(data, dict) or not isinstance(data.get("vulnerabilities"), list):
            raise ParseError(f"feed {feed.id}: not a KEV catalogue (no 'vulnerabilities' list)")
        return self._entries(data["vulnerabilities"], feed)

    def _entries(self, entries: list[Any], feed: FeedConfig) -> Iterator[Advisory]:
        return each_entry(entries, feed, _entry, "no valid cveID", log)
