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
- `certbot.enrich.epss`: FIRST EPSS scores. The whole daily file comes through the
  ``kind: epss`` feed (`certbot.sources.epss` fetches and parses it); the expert keeps it
  (``keep``: table ``epss`` and each scored case's enrichment), answers ``lookup(store, ids)``
  and writes a fact (``apply``). Planning asks `Store.epss_for`, the same query.
"""

from __future__ import annotations

from certbot.enrich.nvd import NVD_BUDGET, apply, nvd_records, wanted_cves

__all__ = ["NVD_BUDGET", "apply", "nvd_records", "wanted_cves"]
