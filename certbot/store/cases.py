"""Cases: advisories merged by alias into cases, their revisions and material changes.

`Cases.ingest` upserts advisories in one transaction and returns the cases that are new or
changed materially (`material_changes` names what changed: the codes are rendered in the
alert's language later). An unchanged advisory (same content hash) only updates
``last_seen``. Enrichment (NVD, EPSS) is stored on the case but never re-alerts by itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from certbot.model import TLP, Advisory, Case
from certbot.store.base import StoreBase, iso


@dataclass
class CaseChange:
    """What ingesting an advisory did to its case."""

    case_id: str
    new: bool
    material: bool
    changes: list[str] = field(default_factory=list)
    advisory_key: str = ""


def _fingerprint(case: Case) -> dict[str, Any]:
    """The parts of a case whose change is material (re-alerts).

    Only what the sources say counts: enrichment (NVD, EPSS) refines matching and priority but
    never re-alerts by itself.
    """
    scores = [a.cvss for a in case.advisories if a.cvss is not None]
    return {
        "exploited": case.exploited,
        "cvss": max(scores) if scores else None,
        "products": sorted(
            {
                f"{p.vendor}|{p.product}|{p.versions}|{p.cpe}|{p.purl}|{p.status}"
                for a in case.advisories
                for p in a.products
            }
        ),
        "remediations": sorted(f"{r.category}|{r.text}" for r in case.remediations),
        "withdrawn": case.withdrawn,
        "tlp": None if case.tlp is None else int(case.tlp),
    }


def material_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Codes for what changed materially (rendered in the alert's language later)."""
    out = []
    if new["exploited"] and not old.get("exploited"):
        out.append("exploited")
    if (new["cvss"] or 0) > (old.get("cvss") or 0):
        out.append("severity_up")
    if set(new["products"]) - set(old.get("products", [])):
        out.append("new_products")
    if new["remediations"] != old.get("remediations", []):
        out.append("remediation_changed")
    if new["withdrawn"] and not old.get("withdrawn"):
        out.append("withdrawn")
    if (new["tlp"] or 0) != (old.get("tlp") or 0):
        out.append("tlp_changed")
    return out


class Cases(StoreBase):
    def __init__(self, path: str | Path):
        super().__init__(path)
        # (advisory key, content hash) -> the advisory, for the fingerprints of one
        # `ingest` call only (emptied when it returns: no advisory outlives its poll here).
        self._siblings: dict[tuple[str, str], Advisory] = {}

    def _find_case(self, adv: Advisory) -> str | None:
        """The case of the first alias a new advisory shares (a stored one keeps its own)."""
        ids = adv.identities()
        if ids:
            marks = ",".join("?" * len(ids))
            rows = list(
                self.select(
                    f"SELECT case_id FROM aliases WHERE alias IN ({marks}) ORDER BY rowid",  # noqa: S608
                    ids,
                )
            )
            if rows:
                return str(rows[0]["case_id"])
        return None

    def ingest(self, advisories: Iterable[Advisory], *, now: datetime) -> list[CaseChange]:
        """Upsert advisories; return the cases that are new or changed materially.

        One transaction for the lot. An unchanged advisory (same content hash) only updates
        ``last_seen``; a changed one is stored and, if its case's material fingerprint moved,
        the case gets a new revision.
        """
        changes: dict[str, CaseChange] = {}
        try:
            with self.tx():
                for adv in advisories:
                    change = self._ingest_one(adv, now)
                    if change is None:
                        continue
                    prev = changes.get(change.case_id)
                    if prev is None:
                        changes[change.case_id] = change
                    else:
                        prev.new = prev.new or change.new
                        prev.material = prev.material or change.material
                        prev.changes = sorted(set(prev.changes) | set(change.changes))
        finally:
            self._siblings.clear()
        return [c for c in changes.values() if c.new or c.material]

    def ingest_pending(self, advisories: Iterable[Advisory], *, now: datetime) -> list[CaseChange]:
        """`ingest`, and record each new or changed case for planning in the same transaction
        (merged with what an earlier slice of the cycle recorded): `pending_changes` hands
        them to planning, which clears each in its own transaction (`done_pending`)."""
        with self.tx():
            changes = self.ingest(advisories, now=now)
            for change in changes:
                row = self.db.execute(
                    "SELECT data FROM plan_pending WHERE case_id = ?", [change.case_id]
                ).fetchone()
                if row is not None:
                    prev = json.loads(row[0])
                    change.new = change.new or prev["new"]
                    change.material = change.material or prev["material"]
                    change.changes = sorted(set(change.changes) | set(prev["changes"]))
                data = {
                    "new": change.new,
                    "material": change.material,
                    "changes": change.changes,
                    "advisory_key": change.advisory_key,
                }
                self.db.execute(
                    "INSERT INTO plan_pending (case_id, data) VALUES (?, ?) "
                    "ON CONFLICT(case_id) DO UPDATE SET data = excluded.data",
                    [change.case_id, json.dumps(data)],
                )
        return changes

    def pending_changes(self, limit: int) -> list[CaseChange]:
        """The oldest ``limit`` cases ingested but not yet planned."""
        rows = self.db.execute(
            "SELECT case_id, data FROM plan_pending ORDER BY rowid LIMIT ?", [limit]
        ).fetchall()
        out = []
        for case_id, data in rows:
            d = json.loads(data)
            out.append(
                CaseChange(case_id, d["new"], d["material"], d["changes"], d["advisory_key"])
            )
        return out

    def done_pending(self, case_ids: list[str]) -> None:
        self.db.conn.executemany(
            "DELETE FROM plan_pending WHERE case_id = ?", [[c] for c in case_ids]
        )

    def _ingest_one(self, adv: Advisory, now: datetime) -> CaseChange | None:
        data = adv.to_json()
        digest = adv.content_hash(data)
        row = list(
            self.select("SELECT content_hash, case_id FROM advisories WHERE key = ?", [adv.key])
        )
        if row and row[0]["content_hash"] == digest:
            self.db.execute(
                "UPDATE advisories SET last_seen = ? WHERE key = ?", [iso(now), adv.key]
            )
            return None
        # A stored advisory keeps its case (what _find_case would look up again).
        case_id = str(row[0]["case_id"]) if row else self._find_case(adv)
        new_case = case_id is None
        if case_id is None:
            # A one-CVE advisory's case is named by its CVE; others by their source key.
            case_id = adv.cves[0] if len(adv.cves) == 1 else adv.key
            if list(self.select("SELECT 1 FROM cases WHERE id = ?", [case_id])):
                case_id = adv.key
            self.db.execute(
                "INSERT INTO cases (id, title, revision, fingerprint, created_at, updated_at) "
                "VALUES (?, ?, 0, '{}', ?, ?)",
                [case_id, adv.title, iso(now), iso(now)],
            )
            old_fp: dict[str, Any] = {}
            revision = 0
        else:
            cur = self.db.execute("SELECT fingerprint, revision FROM cases WHERE id = ?", [case_id])
            fp_text, revision = cur.fetchone()
            old_fp = json.loads(fp_text or "{}")
        # Plain SQL rather than sqlite-utils' upsert (no per-call schema queries); a changed
        # advisory keeps the first_seen of its first version.
        self.db.execute(
            "INSERT INTO advisories (key, feed_id, source_id, case_id, content_hash, data, "
            "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE "
            "SET feed_id = excluded.feed_id, source_id = excluded.source_id, "
            "case_id = excluded.case_id, content_hash = excluded.content_hash, "
            "data = excluded.data, last_seen = excluded.last_seen",
            [
                adv.key,
                adv.source,
                adv.source_id,
                case_id,
                digest,
                json.dumps(data, ensure_ascii=False, default=str),
                iso(now),
                iso(now),
            ],
        )
        if row:
            self.db.execute(
                "UPDATE advisories SET versions = versions + 1 WHERE key = ?", [adv.key]
            )
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO aliases(alias, case_id) VALUES (?, ?)",
            [(alias, case_id) for alias in [adv.key, *adv.identities()]],
        )
        case = self._case_with(case_id, adv, digest, revision)
        new_fp = _fingerprint(case)
        diff = material_changes(old_fp, new_fp) if not new_case else []
        material = new_case or bool(diff)
        if material:
            rev = case.revision + 1
            self.db.execute(
                "UPDATE cases SET revision = ?, fingerprint = ?, title = ?, updated_at = ? WHERE id = ?",
                [rev, json.dumps(new_fp), case.title, iso(now), case_id],
            )
            self.db.execute(
                "INSERT OR REPLACE INTO revisions (case_id, revision, at, advisory_key, changes) "
                "VALUES (?, ?, ?, ?, ?)",
                [case_id, rev, iso(now), adv.key, json.dumps(diff or ["new"])],
            )
        else:
            self.db.execute(
                "UPDATE cases SET fingerprint = ?, updated_at = ? WHERE id = ?",
                [json.dumps(new_fp), iso(now), case_id],
            )
        return CaseChange(case_id, new_case, material, diff, adv.key)

    def _case_with(self, case_id: str, adv: Advisory, digest: str, revision: int) -> Case:
        """The case as `load_case` would read it right after ``adv`` was stored, for its
        fingerprint and title only: ``adv`` itself, and its siblings parsed once per content
        hash rather than re-read and re-parsed for every advisory ingested. Every field either
        reads is part of the content hash (only ``extra`` is not, and neither reads it)."""
        memo = self._siblings
        memo[(adv.key, digest)] = adv
        advisories = []
        for key, content_hash in self.db.execute(
            "SELECT key, content_hash FROM advisories WHERE case_id = ? ORDER BY key", [case_id]
        ).fetchall():
            sibling = memo.get((key, content_hash))
            if sibling is None:
                data = self.db.execute("SELECT data FROM advisories WHERE key = ?", [key])
                sibling = memo[(key, content_hash)] = Advisory.from_json(
                    json.loads(data.fetchone()[0])
                )
            advisories.append(sibling)
        return Case(id=case_id, advisories=advisories, revision=revision)

    def load_case(self, case_id: str) -> Case | None:
        rows = list(self.select("SELECT * FROM cases WHERE id = ?", [case_id]))
        if not rows:
            alias = list(self.select("SELECT case_id FROM aliases WHERE alias = ?", [case_id]))
            if not alias:
                return None
            rows = list(self.select("SELECT * FROM cases WHERE id = ?", [alias[0]["case_id"]]))
        r = rows[0]
        advs = [
            Advisory.from_json(json.loads(a["data"]))
            for a in self.select(
                "SELECT data FROM advisories WHERE case_id = ? ORDER BY key", [r["id"]]
            )
        ]
        return Case(
            id=r["id"],
            advisories=advs,
            revision=r["revision"],
            enrichment=json.loads(r["enrichment"] or "{}"),
        )

    def case_tlp(self, case_id: str) -> tuple[bool, TLP | None]:
        """(found, ``load_case(case_id).tlp``) read from one JSON field per advisory rather
        than by parsing every advisory of the case (the send-time TLP check)."""
        rows = list(self.select("SELECT id FROM cases WHERE id = ?", [case_id]))
        if not rows:
            rows = list(self.select("SELECT case_id AS id FROM aliases WHERE alias = ?", [case_id]))
            if not rows:
                return False, None
        labels = [
            r["t"]
            for r in self.select(
                "SELECT json_extract(data, '$.tlp') AS t FROM advisories WHERE case_id = ?",
                [rows[0]["id"]],
            )
        ]
        if any(t is None for t in labels):
            return True, None
        return True, max(TLP[t] for t in labels)

    def set_enrichment(self, case_id: str, key: str, value: Any) -> None:
        with self.tx():
            row = next(self.select("SELECT enrichment FROM cases WHERE id = ?", [case_id]))
            data = json.loads(row["enrichment"] or "{}")
            data[key] = value
            self.db.execute(
                "UPDATE cases SET enrichment = ? WHERE id = ?", [json.dumps(data), case_id]
            )

    def list_cases(self, limit: int = 100) -> list[dict[str, Any]]:
        return list(
            self.select(
                "SELECT c.id, c.title, c.revision, c.updated_at, "
                "(SELECT group_concat(DISTINCT feed_id) FROM advisories a WHERE a.case_id = c.id) AS sources, "
                "(SELECT count(DISTINCT subscriber_id) FROM alerts l WHERE l.case_id = c.id) AS municipalities "
                "FROM cases c ORDER BY c.updated_at DESC, c.id LIMIT ?",
                [limit],
            )
        )
