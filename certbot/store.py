"""The store: a synchronous domain API over sqlite-utils, one writer.

Everything durable lives here: feed state, advisories merged into cases, revisions, matches,
the outbox of deliveries, digests and the audit trail. Async code reaches it through
`AsyncStore`, which runs every call on ONE dedicated thread (the single writer).

SQLite runs in WAL mode with ``synchronous=FULL``, ``busy_timeout`` and foreign keys on.
Schema changes are sqlite-utils `Migrations` (see ``MIGRATIONS`` below); add a new function,
never edit an applied one.

Delivery states::

    digest ──(digest job)──> digested          (held for the daily/weekly digest)
    pending ──claim──> sending ──finish──> sent
       ^                 │  └──fail (retryable, attempts left)──> pending (next_attempt_at)
       └──recover────────┘  └──fail (permanent or last attempt)──> dead  (operator alerted)
    blocked                                     (TLP forbade it; audited, operator told)

A row in ``sending`` at start-up means the process died between sending and recording: it is
re-sent and counted in ``ambiguous_resends`` (RELIABILITY.md I2).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils
from sqlite_utils import Migrations

from certbot.model import TLP, Advisory, Case, Notification
from certbot.sources import SourceState

T = TypeVar("T")

MIGRATIONS = Migrations("certbot")


@MIGRATIONS()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE feed_state (
            feed_id TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, cursor TEXT,
            last_polled TEXT, last_ok TEXT, last_error TEXT, failures INTEGER DEFAULT 0,
            polls INTEGER DEFAULT 0
        )""")
    db.execute("""
        CREATE TABLE cases (
            id TEXT PRIMARY KEY, title TEXT, revision INTEGER NOT NULL DEFAULT 1,
            fingerprint TEXT, enrichment TEXT DEFAULT '{}', created_at TEXT, updated_at TEXT
        )""")
    db.execute("""
        CREATE TABLE advisories (
            key TEXT PRIMARY KEY, feed_id TEXT NOT NULL, source_id TEXT NOT NULL,
            case_id TEXT NOT NULL REFERENCES cases(id), content_hash TEXT NOT NULL,
            data TEXT NOT NULL, first_seen TEXT, last_seen TEXT, versions INTEGER DEFAULT 1
        )""")
    db.execute("CREATE INDEX advisories_case ON advisories(case_id)")
    db.execute("CREATE TABLE aliases (alias TEXT PRIMARY KEY, case_id TEXT NOT NULL)")
    db.execute("""
        CREATE TABLE revisions (
            case_id TEXT NOT NULL, revision INTEGER NOT NULL, at TEXT NOT NULL,
            advisory_key TEXT, changes TEXT, PRIMARY KEY (case_id, revision)
        )""")
    db.execute("""
        CREATE TABLE alerts (
            case_id TEXT NOT NULL, subscriber_id TEXT NOT NULL, revision INTEGER,
            priority INTEGER, state TEXT NOT NULL, created_at TEXT, updated_at TEXT,
            PRIMARY KEY (case_id, subscriber_id)
        )""")
    db.execute("""
        CREATE TABLE matches (
            id INTEGER PRIMARY KEY, case_id TEXT NOT NULL, revision INTEGER NOT NULL,
            subscriber_id TEXT NOT NULL, item TEXT, item_index INTEGER, rule TEXT,
            confidence TEXT, source TEXT, entry TEXT, detail TEXT, priority INTEGER,
            deadline TEXT, created_at TEXT
        )""")
    db.execute("CREATE INDEX matches_case ON matches(case_id, subscriber_id)")
    db.execute("""
        CREATE TABLE deliveries (
            id TEXT PRIMARY KEY, case_id TEXT, revision INTEGER, subscriber_id TEXT NOT NULL,
            target_id TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL,
            priority INTEGER, tlp INTEGER NOT NULL, status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT, created_at TEXT,
            updated_at TEXT, sent_at TEXT, last_error TEXT, ambiguous INTEGER DEFAULT 0,
            ambiguous_resends INTEGER NOT NULL DEFAULT 0, external_id TEXT, digest_id TEXT,
            due_at TEXT, notification TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at)")
    db.execute("CREATE INDEX deliveries_digest ON deliveries(status, subscriber_id, target_id)")
    db.execute("""
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT, subscriber_id TEXT,
            action TEXT NOT NULL, decision TEXT, detail TEXT
        )""")
    db.execute("""
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0)""")


@MIGRATIONS()
def m002_inbound(db: sqlite_utils.Database) -> None:
    """The two-way loop (issue 5): acks and statuses, incident reports, de-duplication."""
    db.execute("""
        CREATE TABLE acks (
            case_id TEXT NOT NULL, subscriber_id TEXT NOT NULL, status TEXT NOT NULL,
            by TEXT, at TEXT, comment TEXT, history TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (case_id, subscriber_id)
        )""")
    db.execute("""
        CREATE TABLE incidents (
            id TEXT PRIMARY KEY, municipality TEXT NOT NULL, reporter TEXT NOT NULL,
            reporter_chat TEXT, times TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL,
            rsit_class TEXT, rsit_type TEXT, related_advisories TEXT DEFAULT '[]',
            services TEXT, impact TEXT, what_happened TEXT, measures TEXT,
            others_notified TEXT, tlp TEXT NOT NULL DEFAULT 'AMBER_STRICT', created_at TEXT
        )""")
    db.execute("""
        CREATE TABLE incident_history (
            id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL REFERENCES incidents(id),
            at TEXT NOT NULL, actor TEXT, status TEXT, comment TEXT
        )""")
    for op in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER incident_history_no_{op.lower()} BEFORE {op} ON incident_history "
            "BEGIN SELECT RAISE(ABORT, 'incident history is append-only'); END"
        )
    db.execute("""
        CREATE TABLE seen_updates (
            platform TEXT NOT NULL, update_id TEXT NOT NULL, at TEXT, reply TEXT,
            replied INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (platform, update_id)
        )""")
    db.execute("""
        CREATE TABLE signed_link_uses (
            id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL, at TEXT NOT NULL,
            subscriber_id TEXT, case_id TEXT, action TEXT
        )""")
    db.execute("""
        CREATE TABLE conversations (
            platform TEXT NOT NULL, user_id TEXT NOT NULL, subscriber_id TEXT,
            step TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}', updated_at TEXT,
            PRIMARY KEY (platform, user_id)
        )""")
    db.execute("""
        CREATE TABLE escalations (
            case_id TEXT NOT NULL, subscriber_id TEXT NOT NULL, stage INTEGER NOT NULL,
            at TEXT NOT NULL, PRIMARY KEY (case_id, subscriber_id)
        )""")


@MIGRATIONS()
def m003_epss(db: sqlite_utils.Database) -> None:
    """EPSS scores per CVE (the whole daily file), so a case created after the day's EPSS poll
    still gets its score when it is planned."""
    db.execute("""
        CREATE TABLE epss (
            cve TEXT PRIMARY KEY, epss REAL NOT NULL, percentile REAL,
            score_date TEXT, model_version TEXT
        )""")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat(timespec="seconds")


def delivery_id(*parts: object) -> str:
    """Deterministic delivery id: planning the same thing twice gives the same row."""
    blob = "\x1f".join(str(p) for p in parts)
    return "d-" + hashlib.sha256(blob.encode()).hexdigest()[:20]


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


_MATCH_COLUMNS = (
    "item",
    "item_index",
    "rule",
    "confidence",
    "source",
    "entry",
    "detail",
    "priority",
    "deadline",
)


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "busy_timeout=10000",
            "foreign_keys=ON",
        ):
            self.db.execute(f"PRAGMA {pragma}")
        MIGRATIONS.apply(self.db)
        self._lock = threading.RLock()
        # (advisory key, content hash) -> the advisory, for the fingerprints of one
        # `ingest` call only (emptied when it returns: no advisory outlives its poll here).
        self._siblings: dict[tuple[str, str], Advisory] = {}

    def close(self) -> None:
        self.db.close()

    # --- transactions -------------------------------------------------------------------

    def tx(self) -> Any:
        """``with store.tx():`` one atomic transaction (nested calls join the outer one)."""
        return self.db.atomic()

    def bump(self, name: str, by: int = 1) -> None:
        self.db.execute(
            "INSERT INTO counters(name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
            [name, by],
        )

    def counters(self) -> dict[str, int]:
        return {r["name"]: r["value"] for r in self.db.table("counters").rows}

    # --- feeds --------------------------------------------------------------------------

    def feed_state(self, feed_id: str) -> SourceState:
        rows = list(self.db.query("SELECT * FROM feed_state WHERE feed_id = ?", [feed_id]))
        if not rows:
            return SourceState()
        r = rows[0]
        return SourceState(
            etag=r["etag"], last_modified=r["last_modified"], cursor=json.loads(r["cursor"] or "{}")
        )

    def save_feed_state(
        self, feed_id: str, state: SourceState | None, *, now: datetime, error: str | None = None
    ) -> None:
        with self.tx():
            old = list(self.db.query("SELECT * FROM feed_state WHERE feed_id = ?", [feed_id]))
            row: dict[str, Any] = (
                dict(old[0]) if old else {"feed_id": feed_id, "failures": 0, "polls": 0}
            )
            row["last_polled"] = iso(now)
            row["polls"] = (row.get("polls") or 0) + 1
            if error is None:
                row["last_ok"] = iso(now)
                row["last_error"] = None
                row["failures"] = 0
                if state is not None:
                    row["etag"] = state.etag
                    row["last_modified"] = state.last_modified
                    row["cursor"] = json.dumps(state.cursor, sort_keys=True)
            else:
                row["last_error"] = error[:500]
                row["failures"] = (row.get("failures") or 0) + 1
            self.db.table("feed_state").upsert(row, pk="feed_id")

    def feed_health(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM feed_state ORDER BY feed_id"))

    # --- advisories and cases -----------------------------------------------------------

    def _find_case(self, adv: Advisory) -> str | None:
        existing = list(self.db.query("SELECT case_id FROM advisories WHERE key = ?", [adv.key]))
        if existing:
            return str(existing[0]["case_id"])
        ids = adv.identities()
        if ids:
            marks = ",".join("?" * len(ids))
            rows = list(
                self.db.query(
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

    def _ingest_one(self, adv: Advisory, now: datetime) -> CaseChange | None:
        data = adv.to_json()
        digest = adv.content_hash(data)
        row = list(
            self.db.query("SELECT content_hash, case_id FROM advisories WHERE key = ?", [adv.key])
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
            if list(self.db.query("SELECT 1 FROM cases WHERE id = ?", [case_id])):
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
        for alias in [adv.key, *adv.identities()]:
            self.db.execute(
                "INSERT OR IGNORE INTO aliases(alias, case_id) VALUES (?, ?)", [alias, case_id]
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
        rows = list(self.db.query("SELECT * FROM cases WHERE id = ?", [case_id]))
        if not rows:
            alias = list(self.db.query("SELECT case_id FROM aliases WHERE alias = ?", [case_id]))
            if not alias:
                return None
            rows = list(self.db.query("SELECT * FROM cases WHERE id = ?", [alias[0]["case_id"]]))
        r = rows[0]
        advs = [
            Advisory.from_json(json.loads(a["data"]))
            for a in self.db.query(
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
        rows = list(self.db.query("SELECT id FROM cases WHERE id = ?", [case_id]))
        if not rows:
            rows = list(
                self.db.query("SELECT case_id AS id FROM aliases WHERE alias = ?", [case_id])
            )
            if not rows:
                return False, None
        labels = [
            r["t"]
            for r in self.db.query(
                "SELECT json_extract(data, '$.tlp') AS t FROM advisories WHERE case_id = ?",
                [rows[0]["id"]],
            )
        ]
        if any(t is None for t in labels):
            return True, None
        return True, max(TLP[t] for t in labels)

    def set_enrichment(self, case_id: str, key: str, value: Any) -> None:
        with self.tx():
            row = next(self.db.query("SELECT enrichment FROM cases WHERE id = ?", [case_id]))
            data = json.loads(row["enrichment"] or "{}")
            data[key] = value
            self.db.execute(
                "UPDATE cases SET enrichment = ? WHERE id = ?", [json.dumps(data), case_id]
            )

    def list_cases(self, limit: int = 100) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT c.id, c.title, c.revision, c.updated_at, "
                "(SELECT group_concat(DISTINCT feed_id) FROM advisories a WHERE a.case_id = c.id) AS sources, "
                "(SELECT count(DISTINCT subscriber_id) FROM alerts l WHERE l.case_id = c.id) AS municipalities "
                "FROM cases c ORDER BY c.updated_at DESC, c.id LIMIT ?",
                [limit],
            )
        )

    def case_ids(self) -> list[str]:
        return [r["id"] for r in self.db.query("SELECT id FROM cases ORDER BY id")]

    def revision_changes(self, case_id: str, revision: int) -> list[str]:
        rows = list(
            self.db.query(
                "SELECT changes FROM revisions WHERE case_id = ? AND revision = ?",
                [case_id, revision],
            )
        )
        return json.loads(rows[0]["changes"]) if rows else []

    # --- alerts, matches, outbox --------------------------------------------------------

    def alert_states(self, case_id: str) -> dict[str, dict[str, Any]]:
        return {
            r["subscriber_id"]: r
            for r in self.db.query("SELECT * FROM alerts WHERE case_id = ?", [case_id])
        }

    def matched_items(self, case_id: str, subscriber_id: str) -> set[str]:
        return {
            f"{r['item_index']}|{r['rule']}"
            for r in self.db.query(
                "SELECT item_index, rule FROM matches WHERE case_id = ? AND subscriber_id = ?",
                [case_id, subscriber_id],
            )
        }

    def record_plan(
        self,
        case_id: str,
        revision: int,
        subscriber_id: str,
        *,
        priority: int,
        matches: list[dict[str, Any]],
        deliveries: list[dict[str, Any]],
        now: datetime,
    ) -> int:
        """Matches, the alert state and the outbox rows in ONE transaction (I1).

        Returns how many deliveries were newly planned (re-planning the same thing is a no-op).
        """
        planned = 0
        at = iso(now)
        with self.tx():
            # Plain SQL, one executemany: sqlite-utils' insert/upsert re-read the schema on
            # every call (most of the plan stage's time at national load).
            self.db.conn.executemany(
                f"INSERT INTO matches ({', '.join(_MATCH_COLUMNS)}, case_id, revision, "  # noqa: S608
                f"subscriber_id, created_at) VALUES ({', '.join('?' * len(_MATCH_COLUMNS))}, "
                "?, ?, ?, ?)",
                [
                    [*(m.get(c) for c in _MATCH_COLUMNS), case_id, revision, subscriber_id, at]
                    for m in matches
                ],
            )
            self.db.execute(
                "INSERT INTO alerts (case_id, subscriber_id, revision, priority, state, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, 'open', ?, ?) "
                "ON CONFLICT(case_id, subscriber_id) DO UPDATE SET revision = excluded.revision, "
                "priority = excluded.priority, state = excluded.state, "
                "created_at = coalesce(alerts.created_at, excluded.created_at), "
                "updated_at = excluded.updated_at",
                [case_id, subscriber_id, revision, priority, at, at],
            )
            for d in deliveries:
                planned += self.add_delivery(d, now=now)
        return planned

    def add_delivery(self, d: dict[str, Any], *, now: datetime) -> int:
        row = {
            "attempts": 0,
            "ambiguous_resends": 0,
            "created_at": iso(now),
            "updated_at": iso(now),
            "next_attempt_at": iso(now),
            **d,
        }
        if isinstance(row.get("notification"), Notification):
            row["notification"] = json.dumps(row["notification"].to_json(), ensure_ascii=False)
        cur = self.db.execute(
            f"INSERT OR IGNORE INTO deliveries ({','.join(row)}) VALUES ({','.join('?' * len(row))})",  # noqa: S608
            list(row.values()),
        )
        if cur.rowcount:
            self.bump(f"planned_{row['status']}")
        return int(cur.rowcount)

    def audit(
        self,
        action: str,
        *,
        actor: str | None = None,
        subscriber_id: str | None = None,
        decision: str | None = None,
        detail: Any = None,
        now: datetime | None = None,
    ) -> None:
        self.db.table("audit").insert(
            {
                "at": iso(now or utcnow()),
                "actor": actor,
                "subscriber_id": subscriber_id,
                "action": action,
                "decision": decision,
                "detail": detail
                if isinstance(detail, str) or detail is None
                else json.dumps(detail, ensure_ascii=False),
            }
        )

    def audit_rows(self, limit: int = 200) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit]))

    # --- the sender's side --------------------------------------------------------------

    def recover_inflight(self, now: datetime) -> int:
        """Rows left in ``sending`` by a dead process: mark ambiguous and make them due."""
        with self.tx():
            cur = self.db.execute(
                "UPDATE deliveries SET status = 'pending', ambiguous = 1, next_attempt_at = ?, "
                "updated_at = ? WHERE status = 'sending'",
                [iso(now), iso(now)],
            )
        return int(cur.rowcount)

    def due(self, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? "
                "ORDER BY priority, created_at, id LIMIT ?",
                [iso(now), limit],
            )
        )

    def next_due_at(self) -> str | None:
        row = list(
            self.db.query(
                "SELECT min(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'"
            )
        )
        return row[0]["t"] if row else None

    def claim(self, delivery: str, now: datetime) -> bool:
        with self.tx():
            cur = self.db.execute(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ? AND status = 'pending'",
                [iso(now), delivery],
            )
        return cur.rowcount == 1

    def finish_sent(
        self, delivery: str, now: datetime, external_id: str | None, *, ambiguous: bool
    ) -> None:
        with self.tx():
            self.db.execute(
                "UPDATE deliveries SET status = 'sent', sent_at = ?, updated_at = ?, external_id = ?, "
                "ambiguous_resends = ambiguous_resends + ?, ambiguous = 0, last_error = NULL WHERE id = ?",
                [iso(now), iso(now), external_id, 1 if ambiguous else 0, delivery],
            )
            self.bump("sent")
            if ambiguous:
                self.bump("ambiguous_resend")

    def finish_failed(
        self,
        delivery: str,
        now: datetime,
        error: str,
        *,
        retry_at: datetime | None,
        ambiguous: bool = False,
    ) -> None:
        status = "pending" if retry_at is not None else "dead"
        with self.tx():
            self.db.execute(
                "UPDATE deliveries SET status = ?, next_attempt_at = ?, last_error = ?, updated_at = ?, "
                "ambiguous = ? WHERE id = ?",
                [
                    status,
                    iso(retry_at) if retry_at else None,
                    error[:500],
                    iso(now),
                    1 if ambiguous else 0,
                    delivery,
                ],
            )
            self.bump("retry" if retry_at else "dead")

    def set_status(
        self, delivery: str, status: str, now: datetime, error: str | None = None
    ) -> None:
        with self.tx():
            self.db.execute(
                "UPDATE deliveries SET status = ?, last_error = coalesce(?, last_error), updated_at = ? WHERE id = ?",
                [status, error, iso(now), delivery],
            )
            self.bump(status)

    def delivery(self, delivery: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM deliveries WHERE id = ?", [delivery]))
        return rows[0] if rows else None

    def deliveries(self, *, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        sql = "SELECT * FROM deliveries"
        args: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            args.append(status)
        sql += " ORDER BY created_at DESC, id LIMIT ?"
        args.append(limit)
        return list(self.db.query(sql, args))

    def status_counts(self) -> dict[str, int]:
        return {
            r["status"]: r["n"]
            for r in self.db.query("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
        }

    def thread_ref(self, case_id: str, subscriber_id: str, target_id: str) -> str | None:
        """The platform id of the first alert of a case on a target (Slack ts for threads)."""
        rows = list(
            self.db.query(
                "SELECT external_id FROM deliveries WHERE case_id = ? AND subscriber_id = ? AND "
                "target_id = ? AND kind = 'alert' AND status = 'sent' ORDER BY sent_at LIMIT 1",
                [case_id, subscriber_id, target_id],
            )
        )
        return rows[0]["external_id"] if rows else None

    # --- digests ------------------------------------------------------------------------

    def held_for_digest(self, now: datetime) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT * FROM deliveries WHERE status = 'digest' AND (due_at IS NULL OR due_at <= ?) "
                "ORDER BY subscriber_id, target_id, priority, created_at",
                [iso(now)],
            )
        )

    def fold_into_digest(
        self, digest_row: dict[str, Any], item_ids: list[str], now: datetime
    ) -> None:
        with self.tx():
            if self.add_delivery(digest_row, now=now):
                marks = ",".join("?" * len(item_ids))
                self.db.execute(
                    f"UPDATE deliveries SET status = 'digested', digest_id = ?, updated_at = ? "  # noqa: S608
                    f"WHERE id IN ({marks}) AND status = 'digest'",
                    [digest_row["id"], iso(now), *item_ids],
                )

    def immediate_count_since(self, subscriber_id: str, since: datetime) -> int:
        """Immediate messages (alerts, updates) planned since ``since``; one case revision
        sent to several targets is one message, not one per target."""
        row = next(
            self.db.query(
                "SELECT count(DISTINCT case_id || '#' || revision) AS n FROM deliveries "
                "WHERE subscriber_id = ? AND kind IN ('alert','update') "
                "AND status IN ('pending','sending','sent') AND created_at >= ?",
                [subscriber_id, iso(since)],
            )
        )
        return int(row["n"])

    def backup(self, dest: str | Path) -> None:
        """A consistent copy through SQLite's online backup API (safe during writes); the copy
        is checked with integrity_check before this returns."""
        target = sqlite3.connect(str(dest))
        try:
            with self._lock:
                self.db.conn.backup(target)
            if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError(f"backup {dest} failed its integrity check")
        finally:
            target.close()

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
            self.db.query(
                f"SELECT epss, percentile FROM epss WHERE cve IN ({marks}) "  # noqa: S608
                "ORDER BY epss DESC LIMIT 1",
                list(cves),
            ),
            None,
        )
        return (row["epss"], row["percentile"]) if row else None

    def integrity_ok(self) -> bool:
        return next(self.db.query("PRAGMA integrity_check"))["integrity_check"] == "ok"


class AsyncStore:
    """Runs every Store call on one dedicated thread: the single writer (RELIABILITY.md)."""

    def __init__(self, store: Store):
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="certbot-store")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self.run(attr, *args, **kwargs)

        return call

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.store.close()
