"""The team's own published advisories (issue 13): one row per advisory id with the current
`PublishedAdvisory` as JSON, every revision kept, and the per-year id sequence.

Contract:
    published_advisories()            every published advisory, oldest id first
    published_advisory(id)            one, or None
    save_published_advisory(adv)      insert or replace the current record; the revision's
                                      JSON is kept in ``published_revisions`` too
    published_revision(id, n)         an earlier revision's record, or None
    next_published_id(prefix, year)   the next free id, e.g. ``KCERT-2026-0001``
    revision_deliveries(case, rev)    the outbox rows one case revision planned (what a
                                      publish prints)
Run on the writer thread inside the caller's transaction (publishing, its case and its outbox
rows commit together).
"""

from __future__ import annotations

from typing import Any

from certbot.publish.draft import PublishedAdvisory
from certbot.store.base import StoreBase, iso, utcnow


class Published(StoreBase):
    def published_advisories(self) -> list[PublishedAdvisory]:
        rows = self.db.execute("SELECT data FROM published_advisories ORDER BY id")
        return [PublishedAdvisory.model_validate_json(r[0]) for r in rows]

    def published_advisory(self, id: str) -> PublishedAdvisory | None:
        rows = self.db.execute("SELECT data FROM published_advisories WHERE id = ?", [id])
        row = rows.fetchone()
        return None if row is None else PublishedAdvisory.model_validate_json(row[0])

    def published_revision(self, id: str, revision: int) -> PublishedAdvisory | None:
        rows = self.db.execute(
            "SELECT data FROM published_revisions WHERE id = ? AND revision = ?", [id, revision]
        )
        row = rows.fetchone()
        return None if row is None else PublishedAdvisory.model_validate_json(row[0])

    def save_published_advisory(self, adv: PublishedAdvisory) -> None:
        data = adv.model_dump_json()
        with self.tx():
            self.db.execute(
                "INSERT INTO published_advisories (id, revision, status, tlp, data, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "revision = excluded.revision, status = excluded.status, tlp = excluded.tlp, "
                "data = excluded.data, updated_at = excluded.updated_at",
                [adv.id, adv.revision, adv.status, adv.draft.tlp, data, iso(utcnow())],
            )
            self.db.execute(
                "INSERT OR REPLACE INTO published_revisions (id, revision, status, data) "
                "VALUES (?, ?, ?, ?)",
                [adv.id, adv.revision, adv.status, data],
            )

    def next_published_id(self, prefix: str, year: int) -> str:
        """Take the next number of ``prefix``-``year`` (never handed out twice, even if the
        publish that took it is rolled back later it is simply skipped)."""
        name = f"published_id:{prefix}-{year}"
        with self.tx():
            self.bump(name)
            row = self.db.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()
            n = int(row[0])
            while self.published_advisory(f"{prefix}-{year}-{n:04d}") is not None:
                self.bump(name)
                n += 1
        return f"{prefix}-{year}-{n:04d}"

    def revision_deliveries(self, case_id: str, revision: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT id, subscriber_id, target_id, channel, kind, priority, tlp, status, "
                "last_error, due_at, next_attempt_at, notification FROM deliveries "
                "WHERE case_id = ? AND revision = ? ORDER BY subscriber_id, target_id",
                [case_id, revision],
            )
        )
