"""Sources: one module per feed kind; each class declares its kind and its feed options.

Registry contract: `register(source)` adds a source instance under its ``kind`` (one line);
`BUILTIN` names the shipped ones (``kind -> "module:Class"``), loaded on first use. `get_source`
and `source_kinds` answer from the registry, and `options_model(kind)` gives the pydantic model
of the keys a feed of that kind may carry beyond the common ones (``fingerprints`` for CSAF,
``collection`` for TAXII...): config validates a feed's extra keys against it and the feed
exposes them as attributes (``feed.fingerprints``).

The seam (DESIGN.md): ``fetch`` does I/O and returns `Fetched` bytes; ``parse`` is pure, bytes
in, `Advisory` objects out. A bad entry is logged and skipped inside ``parse``; a document that
cannot be read at all raises `ParseError`. Most sources only write ``parse`` and inherit the
single conditional GET; CSAF and TAXII override ``fetch`` because they walk an index.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

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


class NoOptions(BaseModel):
    """The options of a source kind that takes none beyond the common feed keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Source:
    kind: ClassVar[str] = ""
    #: The feed keys this kind adds to the common ones (a strict, frozen pydantic model).
    options: ClassVar[type[BaseModel]] = NoOptions
    #: Enrichment sources (EPSS, NVD) produce no advisories of their own.
    enrichment: ClassVar[bool] = False
    #: Experts (CVE records) are run by the poll cycle on its advisories' ids, never fetched.
    expert: ClassVar[bool] = False
    #: True when ``parse`` takes the response headers (``headers=``: e.g. the charset).
    reads_headers: ClassVar[bool] = False
    #: True when ``url`` may be a bare domain (``example.org``) the source discovers from.
    url_may_be_domain: ClassVar[bool] = False

    def check_feed(self, feed: FeedConfig) -> None:
        """Cross-key rules of this kind that need the common keys too (``url``); raise
        `certbot.config.yaml_lines.FieldProblem` naming the key to fix. Default: none."""

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


#: The shipped sources: kind -> "module:Class", imported on first use (the modules import
#: this one for `Source`). Adding a shipped source is one line here.
BUILTIN: dict[str, str] = {
    "rss": "certbot.sources.rss:RssSource",
    "kev": "certbot.sources.kev:KevSource",
    "csaf": "certbot.sources.csaf:CsafSource",
    "stix": "certbot.sources.stix:StixSource",
    "taxii": "certbot.sources.taxii:TaxiiSource",
    "epss": "certbot.sources.epss:EpssSource",  # enrichment
    "nvd": "certbot.sources.nvd:NvdSource",  # enrichment
    "cve": "certbot.sources.cve:CveSource",  # enrichment expert (certbot.enrich.cve)
}
SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Register a source instance under its ``kind`` (one line; returns it)."""
    if not source.kind:
        raise TypeError(f"{type(source).__name__} declares no kind")
    SOURCES[source.kind] = source
    return source


def _load_builtin() -> None:
    for kind, where in BUILTIN.items():
        if kind not in SOURCES:
            module, name = where.split(":")
            source = getattr(importlib.import_module(module), name)()
            if source.kind != kind:
                raise TypeError(f"{where} declares kind {source.kind!r}, listed as {kind!r}")
            register(source)


def get_source(kind: str) -> Source:
    _load_builtin()
    return SOURCES[kind]


def source_kinds() -> tuple[str, ...]:
    """Every registered feed kind, in registration order (what config accepts)."""
    _load_builtin()
    return tuple(SOURCES)


def options_model(kind: Any) -> type[BaseModel] | None:
    """The options model of ``kind``, or None if no source has that kind."""
    _load_builtin()
    source = SOURCES.get(kind) if isinstance(kind, str) else None
    return None if source is None else source.options
