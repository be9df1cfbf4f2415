"""The structured sources (CSAF, STIX, TAXII, EPSS, NVD), merged into ``certbot.sources``'s
registry by ``_registry``. EPSS and NVD are enrichment sources (``enrichment = True``): they
yield no advisories; the pipeline calls ``parse_scores`` (EPSS) or ``parse_cve`` / ``lookup``
(NVD) instead."""

from __future__ import annotations

from certbot.sources import Source
from certbot.sources.csaf import CsafSource
from certbot.sources.epss import EpssSource
from certbot.sources.nvd import NvdSource
from certbot.sources.stix import StixSource
from certbot.sources.taxii import TaxiiSource

SOURCES: dict[str, Source] = {
    "csaf": CsafSource(),
    "stix": StixSource(),
    "taxii": TaxiiSource(),
    "epss": EpssSource(),
    "nvd": NvdSource(),
}
