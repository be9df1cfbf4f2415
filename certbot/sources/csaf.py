"""The CSAF source: provider feeds of CSAF 2.0 / 2.1 documents, one `Advisory` per document.

``fetch`` walks the provider's index (discovery, ROLIE, changes.csv; a remote provider or a
local mirror) and verifies hashes and signatures (`csaf_fetch`); ``parse`` maps one document
(`csaf_document.parse_document`, pure). ``check_feed`` refuses, at check-config, a feed that
could never accept a document. `parse_document` and `parse_time` are re-exported for the
tests and the tools.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from certbot.config.yaml_lines import FieldProblem
from certbot.model import Advisory
from certbot.sources import Source
from certbot.sources.csaf_document import parse_document
from certbot.sources.csaf_fetch import fetch_provider
from certbot.sources.csaf_meta import parse_time
from certbot.sources.options import CsafOptions

if TYPE_CHECKING:
    from certbot.config import FeedConfig
    from certbot.fetch import Http
    from certbot.model import Fetched
    from certbot.sources import SourceState

__all__ = ["CsafSource", "parse_document", "parse_time"]


class CsafSource(Source):
    """CSAF provider feeds: ``fetch`` walks the index and verifies; ``parse`` maps one document."""

    kind = "csaf"
    options = CsafOptions  # fingerprints, public_keys, token/username/client_cert, enrich_nvd
    url_may_be_domain = True  # discovered at https://DOMAIN/.well-known/csaf/...

    def check_feed(self, feed: FeedConfig) -> None:
        """A feed that would reject every document (a disabled one may wait for its keys)."""
        if not feed.enabled:
            return
        if not feed.fingerprints and not feed.public_keys:
            raise FieldProblem(
                "fingerprints",
                "no OpenPGP key is pinned, so every document is rejected and nothing would "
                "ever be accepted; add 'fingerprints: [<40 hex digits>]' with the provider's "
                "key (listed in its provider-metadata.json), or 'public_keys:'",
            )
        url = (feed.url or "").lower().split("?")[0]
        no_metadata = url.endswith("changes.csv") or (
            url.endswith(".json") and not url.endswith("provider-metadata.json")
        )
        if no_metadata and not feed.public_keys:
            raise FieldProblem(
                "public_keys",
                "a ROLIE feed or changes.csv URL has no provider-metadata.json to take keys "
                "from, so no signature could ever verify; add 'public_keys: [{url: ..., "
                "fingerprint: ...}]', or give the provider-metadata.json URL or the domain",
            )

    async def fetch(self, feed: FeedConfig, http: Http, state: SourceState) -> Fetched:
        return await fetch_provider(feed, http, state)

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        yield parse_document(doc, feed.id)
