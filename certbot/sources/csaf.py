"""The CSAF source: provider feeds of CSAF 2.0 / 2.1 documents, one `Advisory` per document.

``fetch`` walks the provider's index (discovery, ROLIE, changes.csv) and verifies hashes and
signatures (`csaf_fetch`); ``parse`` maps one document (`csaf_document.parse_document`, pure).
`parse_document` and `parse_time` are re-exported for the tests and the tools.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from certbot.model import Advisory
from certbot.sources import Source
from certbot.sources.csaf_document import parse_document
from certbot.sources.csaf_fetch import fetch_provider
from certbot.sources.csaf_meta import parse_time
from certbot.sources.options import FingerprintOptions

if TYPE_CHECKING:
    from certbot.config import FeedConfig
    from certbot.fetch import Http
    from certbot.model import Fetched
    from certbot.sources import SourceState

__all__ = ["CsafSource", "parse_document", "parse_time"]


class CsafSource(Source):
    """CSAF provider feeds: ``fetch`` walks the index and verifies; ``parse`` maps one document."""

    kind = "csaf"
    options = FingerprintOptions  # fingerprints, token/username/client_cert, enrich_nvd

    async def fetch(self, feed: FeedConfig, http: Http, state: SourceState) -> Fetched:
        return await fetch_provider(feed, http, state)

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        yield parse_document(doc, feed.id)
