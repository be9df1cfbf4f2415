"""The schema: sqlite-utils `Migrations`, applied in order when a `Store` opens.

Add a new function for every change, never edit an applied one (sqlite-utils records each
applied migration by name in ``_sqlite_migrations``).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

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


@MIGRATIONS()
def m004_nvd_cache(db: sqlite_utils.Database) -> None:
    """The NVD answer cache (created lazily by `NvdCache` before; same columns)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS nvd_cache (cve TEXT PRIMARY KEY, fetched_at REAL, body BLOB)"
    )


@MIGRATIONS()
def m_w2e_big_feeds(db: sqlite_utils.Database) -> None:
    """Big feeds (RELIABILITY.md row 29): the cases an ingest slice changed and planning has
    not yet taken (committed with the slice, so a crash between the two still plans them),
    and the digests of the items a capped feed's earlier polls already took."""
    db.execute("CREATE TABLE plan_pending (case_id TEXT PRIMARY KEY, data TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE feed_taken (feed_id TEXT NOT NULL, digest TEXT NOT NULL, "
        "PRIMARY KEY (feed_id, digest)) WITHOUT ROWID"
    )


@MIGRATIONS()
def m_w2d_instances_leases(db: sqlite_utils.Database) -> None:
    """Issue 12.2 and 12.7: process instances with leases, the owner of each claim, and the
    Slack signatures seen in the replay window (so a restart does not forget them)."""
    db.execute("""
        CREATE TABLE instances (
            id TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL,
            started_at TEXT NOT NULL, lease_until TEXT NOT NULL, kind TEXT NOT NULL
        )""")
    db.execute("ALTER TABLE deliveries ADD COLUMN claimed_by TEXT")
    db.execute("""
        CREATE TABLE slack_seen (
            signature TEXT PRIMARY KEY, at REAL NOT NULL
        )""")
    db.execute("CREATE INDEX slack_seen_at ON slack_seen(at)")


@MIGRATIONS()
def m005_cve_records(db: sqlite_utils.Database) -> None:
    """The CVE record cache of the ``kind: cve`` expert: one row per CVE id, the record as
    JSON, kept until its ``cveMetadata.dateUpdated`` moves on (`certbot.enrich.cve`)."""
    db.execute("""
        CREATE TABLE IF NOT EXISTS cve_records (
            cve_id TEXT PRIMARY KEY, date_updated TEXT NOT NULL, fetched_at REAL NOT NULL,
            record TEXT NOT NULL
        )""")


@MIGRATIONS()
def m005_w2b_inventory_seen(db: sqlite_utils.Database) -> None:
    """Inventory items certbot has planned for, per municipality, so a newly declared item is
    told about its backlog in one "Status ved oppstart" message (issue 11.2), not a flood."""
    db.execute("""
        CREATE TABLE IF NOT EXISTS inventory_seen (
            subscriber_id TEXT NOT NULL, item_key TEXT NOT NULL, first_seen TEXT NOT NULL,
            PRIMARY KEY (subscriber_id, item_key)
        )""")


@MIGRATIONS()
def pub_published_1(db: sqlite_utils.Database) -> None:
    """Issue 13: the team's own published advisories (`certbot.store.published`): the current
    record per id, and every revision's record."""
    db.execute("""
        CREATE TABLE published_advisories (
            id TEXT PRIMARY KEY, revision INTEGER NOT NULL, status TEXT NOT NULL,
            tlp TEXT NOT NULL, data TEXT NOT NULL, updated_at TEXT
        )""")
    db.execute("""
        CREATE TABLE published_revisions (
            id TEXT NOT NULL, revision INTEGER NOT NULL, status TEXT NOT NULL,
            data TEXT NOT NULL, PRIMARY KEY (id, revision)
        )""")
