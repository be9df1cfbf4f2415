"""Sources: one module per feed kind, registered in ``SOURCES``.

The seam (DESIGN.md): ``fetch`` does I/O and returns `Fetched` bytes; ``parse`` is pure, bytes
in, `Advisory` objects out. A bad entry is logged and skipped inside ``parse``; a document that
cannot be read at all raises `ParseError`. Most sources only write ``parse`` and inherit the
single conditional GET; CSAF and TAXII override ``fetch`` because they walk an index.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from certbot.model import Advisory, Fetched

if TYPE_CHECKING:
    from certbot.config import FeedConfig
    from certbot.fetch import Http


@dataclass
class SourceState:
    """What a source keeps between polls (stored per feed by the pipeline)."""

    etag: str | None = None
    last_modified: str | None = None
    cursor: dict[str, Any] = field(default_factory=dict)


class Source:
    kind: ClassVar[str] = ""
    #: Enrichment sources (EPSS, NVD) produce no advisories of their own.
    enrichment: ClassVar[bool] = False

    async def fetch(self, feed: FeedConfig, http: Http, state: SourceState) -> Fetched:
        return await http.get_feed(feed, etag=state.etag, last_modified=state.last_modified)

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        raise NotImplementedError


def each_entry(
    entries: Iterable[Any],
    feed: FeedConfig,
    convert: Callable[[Any, FeedConfig], Advisory | None],
    why_none: str,
    log: logging.Logger,
) -> Iterator[Advisory]:
    """The seam's rule for entries: a bad one is logged (on the source's own logger) and
    skipped; the feed goes on."""
    for index, entry in enumerate(entries):
        try:
            advisory = convert(entry, feed)
        except Exception as exc:  # one bad entry never stops the feed
            log.warning("feed %s: entry %d skipped (%s)", feed.id, index, type(exc).__name__)
            continue
        if advisory is None:
            log.warning("feed %s: entry %d skipped (%s)", feed.id, index, why_none)
            continue
        yield advisory


def _registry() -> dict[str, Source]:
    """One line per kind. Imported lazily: the modules import this one for `Source`."""
    from certbot.sources import csaf, epss, kev, nvd, rss, stix, taxii

    return {
        "rss": rss.RssSource(),
        "kev": kev.KevSource(),
        "csaf": csaf.CsafSource(),
        "stix": stix.StixSource(),
        "taxii": taxii.TaxiiSource(),
        "epss": epss.EpssSource(),  # enrichment
        "nvd": nvd.NvdSource(),  # enrichment
    }


SOURCES: dict[str, Source] = {}


def get_source(kind: str) -> Source:
    if not SOURCES:
        SOURCES.update(_registry())
    return SOURCES[kind]
