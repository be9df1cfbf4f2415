"""The store: the only code that touches SQLite (ruff TID251 bans ``sqlite3`` and
``sqlite_utils`` everywhere else).

One module per kind of state: `schema` (migrations), `feeds` (cursors, ETags, feed health),
`cases` (advisories, revisions, aliases, ingest, material changes), `outbox` (matches, alert
state, deliveries, claims, digests, thread refs), `replies` (acks, incidents, commands,
conversations, signed-link uses, escalation state), `enrichment` (EPSS, the NVD cache).
`facade.Store` is the synchronous API over all of them; `thread.StoreThread` is the one async
door and the single writer thread.

SQLite runs in WAL mode with ``synchronous=FULL``, ``busy_timeout`` and foreign keys on.
"""

from certbot.store.base import (
    DatabaseError,
    DatabaseGone,
    DatabaseUnusable,
    OperationalError,
    StoreBase,
    WrongThread,
    delivery_id,
    iso,
    utcnow,
)
from certbot.store.cases import CaseChange, material_changes
from certbot.store.facade import Store
from certbot.store.outbox import Delivery, PlanRecord
from certbot.store.schema import MIGRATIONS
from certbot.store.thread import AsyncStore, StoreThread

__all__ = [
    "MIGRATIONS",
    "AsyncStore",
    "CaseChange",
    "DatabaseError",
    "DatabaseGone",
    "DatabaseUnusable",
    "Delivery",
    "OperationalError",
    "PlanRecord",
    "Store",
    "StoreBase",
    "StoreThread",
    "WrongThread",
    "delivery_id",
    "iso",
    "material_changes",
    "utcnow",
]
