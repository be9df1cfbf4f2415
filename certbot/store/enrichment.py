"""Enrichment state: the day's EPSS scores per CVE, the NVD answer cache and the CVE record
cache (``cve_records``: the `certbot.sources.cve.RecordCache` rows, read before a cycle's
look-ups with `Enrichment.cve_cached` and written after with `Enrichment.cve_keep`, both on the
writer thread).

`NvdCache` keeps NVD API answers (``nvd_cache(cve PK, fetched_at, body)``) on a connection of
its own, for `certbot.sources.nvd.lookup` used on its own; inside the service the answers are
read and written through the store's writer thread (`Enrichment.nvd_cached`,
`Enrichment.nvd_keep`) and handed to ``lookup`` as a `MemoryNvdCache`.
"""

from __future__ import annotations

import sqlite_utils

from certbot.store.base import StoreBase

NVD_MAX_AGE = 24 * 3600


class Enrichment(StoreBase):
    def replace_epss(
        self,
        rows: list[tuple[str, float, float | None]],
        score_date: str | None,
        model_version: str | None,
    ) -> None:
        """Today's EPSS file replaces yesterday's (one transaction)."""
        with self.tx():
            self.db.execute("DELETE FROM epss")
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO epss (cve, epss, percentile, score_date, model_version) "
                "VALUES (?, ?, ?, ?, ?)",
                [(cve, e, p, score_date, model_version) for cve, e, p in rows],
            )

    def epss_for(self, cves: list[str] | tuple[str, ...]) -> tuple[float, float | None] | None:
        """The highest EPSS score (and its percentile) of these CVEs, if any is known."""
        if not cves:
            return None
        marks = ",".join("?" * len(cves))
        row = next(
            self.select(
                f"SELECT epss, percentile FROM epss WHERE cve IN ({marks}) "  # noqa: S608
                "ORDER BY epss DESC LIMIT 1",
                list(cves),
            ),
            None,
        )
        return (row["epss"], row["percentile"]) if row else None

    def cve_aliases(self) -> list[tuple[str, str]]:
        """(CVE id, case id) for every CVE alias of a case."""
        rows = self.select("SELECT alias, case_id FROM aliases WHERE alias LIKE 'CVE-%'")
        return [(r["alias"], r["case_id"]) for r in rows]

    def nvd_cached(self, cves: list[str], now: float, max_age: float) -> dict[str, bytes]:
        """The fresh NVD answers among ``cves``."""
        out: dict[str, bytes] = {}
        for cve in cves:
            rows = list(self.select("SELECT fetched_at, body FROM nvd_cache WHERE cve = ?", [cve]))
            if rows and now - float(rows[0]["fetched_at"]) <= max_age:
                out[cve] = bytes(rows[0]["body"])
        return out

    def nvd_keep(self, answers: dict[str, tuple[bytes, float]]) -> None:
        """Store NVD answers: cve -> (body, fetched_at)."""
        with self.tx():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO nvd_cache (cve, fetched_at, body) VALUES (?, ?, ?)",
                [(cve, at, body) for cve, (body, at) in answers.items()],
            )

    def cve_cached(self, ids: list[str]) -> dict[str, tuple[str, str, float]]:
        """cve_id -> (date_updated, record JSON, fetched_at) for the cached ones among ``ids``."""
        out: dict[str, tuple[str, str, float]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.select(
                "SELECT cve_id, date_updated, record, fetched_at FROM cve_records "  # noqa: S608
                f"WHERE cve_id IN ({marks})",
                chunk,
            ):
                out[r["cve_id"]] = (r["date_updated"], r["record"], float(r["fetched_at"]))
        return out

    def cve_keep(self, rows: dict[str, tuple[str, str, float]]) -> None:
        """Store CVE records: cve_id -> (date_updated, record JSON, fetched_at)."""
        with self.tx():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO cve_records (cve_id, date_updated, record, fetched_at) "
                "VALUES (?, ?, ?, ?)",
                [(cve, upd, rec, at) for cve, (upd, rec, at) in rows.items()],
            )


class NvdCache:
    """NVD answers kept in SQLite: ``nvd_cache(cve PK, fetched_at, body)``."""

    def __init__(self, db: sqlite_utils.Database, max_age: float = NVD_MAX_AGE) -> None:
        self.db, self.max_age = db, max_age
        if "nvd_cache" not in db.table_names():
            db.table("nvd_cache").create({"cve": str, "fetched_at": float, "body": bytes}, pk="cve")

    def get(self, cve: str, now: float) -> bytes | None:
        rows = list(self.db.query("select fetched_at, body from nvd_cache where cve = ?", [cve]))
        if rows and now - float(rows[0]["fetched_at"]) <= self.max_age:
            return bytes(rows[0]["body"])
        return None

    def put(self, cve: str, body: bytes, now: float) -> None:
        self.db.table("nvd_cache").upsert({"cve": cve, "fetched_at": now, "body": body}, pk="cve")


class MemoryNvdCache:
    """NVD answers read before a lookup; what the lookup fetches is collected in ``fresh`` for
    the writer thread to keep (`Enrichment.nvd_keep`)."""

    def __init__(self, known: dict[str, bytes]) -> None:
        self.known = known
        self.fresh: dict[str, tuple[bytes, float]] = {}

    def get(self, cve: str, now: float) -> bytes | None:
        return self.known.get(cve)

    def put(self, cve: str, body: bytes, now: float) -> None:
        self.known[cve] = body
        self.fresh[cve] = (body, now)
