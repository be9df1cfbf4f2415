"""The enrichment seam (IntelMQ's experts): ``lookup(ids) -> facts``, and the store writes them.

An expert takes the CVE ids a poll cycle brings and answers what it knows about each, without
touching SQLite itself: what it needs from the cache is read through the store's writer thread
before the look-up, and what it learnt is written through it afterwards. Experts:

- `certbot.enrich.cve`: CVE records (``kind: cve``; `certbot.sources.cve.CveRecords.lookup`).
  The facts are each record's structured `Advisory`, ingested into the case as a sibling
  advisory (source = the cve feed id), so matching sees the CNA's ranges per branch, SSVC
  facts and REJECTED like any other structured source.
- `certbot.enrich.nvd`: NVD CVE API answers (opt-in per feed, ``enrich_nvd: true``;
  `certbot.sources.nvd.lookup`), written into the case's enrichment (`nvd.apply`).
- EPSS is a whole daily file (`certbot.sources.epss`), stored as it comes; its look-up is
  `Store.epss_for` at planning time.
"""

from __future__ import annotations

from certbot.enrich.nvd import NVD_BUDGET, apply, nvd_records, wanted_cves

__all__ = ["NVD_BUDGET", "apply", "nvd_records", "wanted_cves"]
