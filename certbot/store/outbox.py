"""The outbox: what each municipality was alerted about (matches, alert state) and every
delivery, from planned to sent, dead or blocked; digests and thread references.

Delivery states::

    digest ──(digest job)──> digested          (held for the daily/weekly digest)
    pending ──claim──> sending ──finish──> sent
       ^                 │  └──fail (retryable, attempts left)──> pending (next_attempt_at)
       └──recover────────┘  └──fail (permanent or last attempt)──> dead  (operator alerted)
    blocked                                     (TLP forbade it; audited, operator told)

A claim names its owner (``claimed_by``, a process instance with a lease:
`certbot.store.instances`). A row in ``sending`` whose owner is dead means that process died
between sending and recording: `recover_inflight` makes it due again, and it is re-sent and
counted in ``ambiguous_resends`` (RELIABILITY.md I2). A row claimed by a live process is never
taken over. `record_plan` writes the
matches, the alert state and the outbox rows of one plan in ONE transaction (I1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from certbot.model import Notification
from certbot.store.base import StoreBase, iso
from certbot.store.instances import live_ids

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


@dataclass
class Delivery:
    """One outbox row. Planned with a `Notification`; read back with its JSON text."""

    id: str
    subscriber_id: str
    target_id: str
    channel: str
    kind: str
    priority: int | None
    tlp: int
    status: str
    notification: Notification | str
    case_id: str | None = None
    revision: int | None = None
    attempts: int = 0
    next_attempt_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    sent_at: str | None = None
    last_error: str | None = None
    ambiguous: int = 0
    ambiguous_resends: int = 0
    external_id: str | None = None
    digest_id: str | None = None
    due_at: str | None = None

    @classmethod
    def planned(cls, n: Notification, channel: str, **more: Any) -> Delivery:
        """A pending row that sends ``n`` through ``channel``: its ids, kind, priority and TLP
        are n's unless ``more`` says otherwise (a digest's kind, a notice's place in the queue)."""
        same = ("subscriber_id", "target_id", "kind", "case_id", "revision")
        own = {k: getattr(n, k) for k in same}
        own["priority"] = None if n.priority is None else int(n.priority)
        own |= {"channel": channel, "tlp": int(n.tlp), "status": "pending", "notification": n}
        return cls(n.delivery_id, **own | more)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Delivery:
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})

    def row(self) -> dict[str, Any]:
        """The columns this delivery sets (unset ones take the outbox's defaults)."""
        values = ((f.name, getattr(self, f.name)) for f in fields(self))
        return {k: v for k, v in values if v is not None}

    def notice(self) -> Notification:
        n = self.notification
        return n if isinstance(n, Notification) else Notification.from_json(json.loads(n))


@dataclass
class PlanRecord:
    """What planning one case for one municipality decided: written by `Outbox.record_plan`."""

    case_id: str
    revision: int
    subscriber_id: str
    priority: int
    matches: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


class Outbox(StoreBase):
    def alert_states(self, case_id: str) -> dict[str, dict[str, Any]]:
        return {
            r["subscriber_id"]: r
            for r in self.select("SELECT * FROM alerts WHERE case_id = ?", [case_id])
        }

    def matched_items(self, case_id: str, subscriber_id: str) -> set[str]:
        return {
            f"{r['item_index']}|{r['rule']}"
            for r in self.select(
                "SELECT item_index, rule FROM matches WHERE case_id = ? AND subscriber_id = ?",
                [case_id, subscriber_id],
            )
        }

    def record_plan(self, plan: PlanRecord, *, now: datetime) -> int:
        """Matches, the alert state and the outbox rows in ONE transaction (I1).

        Returns how many deliveries were newly planned (re-planning the same thing is a no-op).
        """
        case_id, revision, subscriber_id = plan.case_id, plan.revision, plan.subscriber_id
        priority, matches, deliveries = plan.priority, plan.matches, plan.deliveries
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

    def add_delivery(self, d: Delivery | dict[str, Any], *, now: datetime) -> int:
        """Insert a planned delivery unless its id exists; returns 1 if it was new."""
        if isinstance(d, Delivery):
            d = d.row()
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

    def recover_inflight(self, now: datetime, owner: str | None = None) -> int:
        """Rows left in ``sending`` by a dead process (or by ``owner``'s own earlier round):
        mark ambiguous and make them due. Rows of another live instance are left alone."""
        with self.tx():
            others = sorted(live_ids(self, now) - {owner} if owner else live_ids(self, now))
            marks = ",".join("?" * len(others))
            sql = (
                "UPDATE deliveries SET status = 'pending', ambiguous = 1, next_attempt_at = ?, "  # noqa: S608
                "updated_at = ?, claimed_by = NULL WHERE status = 'sending' AND "
                f"(claimed_by IS NULL OR claimed_by NOT IN ({marks}))"
            )
            cur = self.db.execute(
                sql,
                [iso(now), iso(now), *others],
            )
        return int(cur.rowcount)

    def due(self, now: datetime, limit: int = 500) -> list[dict[str, Any]]:
        return list(
            self.select(
                "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? "
                "ORDER BY priority, created_at, id LIMIT ?",
                [iso(now), limit],
            )
        )

    def due_deliveries(self, now: datetime, limit: int = 500) -> list[Delivery]:
        """`due`, as typed rows (the dispatcher's view)."""
        return [Delivery.from_row(r) for r in self.due(now, limit)]

    def claim(self, delivery: str, now: datetime, owner: str | None = None) -> bool:
        """``pending`` -> ``sending``, owned by instance ``owner``; False if not pending."""
        with self.tx():
            cur = self.db.execute(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?, "
                "claimed_by = ? WHERE id = ? AND status = 'pending'",
                [iso(now), owner, delivery],
            )
        return cur.rowcount == 1

    def finish_sent(
        self,
        delivery: str,
        now: datetime,
        external_id: str | None,
        *,
        ambiguous: bool,
        owner: str | None = None,
    ) -> bool:
        """``sending`` -> ``sent``, only while the claim is still ``owner``'s: a claim that
        another instance took over after this one's lease lapsed is not recorded (False)."""
        with self.tx():
            cur = self.db.execute(
                "UPDATE deliveries SET status = 'sent', sent_at = ?, updated_at = ?, external_id = ?, "
                "ambiguous_resends = ambiguous_resends + ?, ambiguous = 0, last_error = NULL "
                "WHERE id = ? AND status = 'sending' AND claimed_by IS ?",
                [iso(now), iso(now), external_id, 1 if ambiguous else 0, delivery, owner],
            )
            if cur.rowcount != 1:
                return False
            self.bump("sent")
            if ambiguous:
                self.bump("ambiguous_resend")
        return True

    def finish_failed(
        self,
        delivery: str,
        now: datetime,
        error: str,
        *,
        retry_at: datetime | None,
        ambiguous: bool = False,
        owner: str | None = None,
    ) -> bool:
        """``sending`` -> ``pending`` (retry) or ``dead``, only while ``owner`` holds the
        claim (as `finish_sent`); False when it was taken over."""
        status = "pending" if retry_at is not None else "dead"
        with self.tx():
            cur = self.db.execute(
                "UPDATE deliveries SET status = ?, next_attempt_at = ?, last_error = ?, updated_at = ?, "
                "ambiguous = ? WHERE id = ? AND status = 'sending' AND claimed_by IS ?",
                [
                    status,
                    iso(retry_at) if retry_at else None,
                    error[:500],
                    iso(now),
                    1 if ambiguous else 0,
                    delivery,
                    owner,
                ],
            )
            if cur.rowcount != 1:
                return False
            self.bump("retry" if retry_at else "dead")
        return True

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
        rows = list(self.select("SELECT * FROM deliveries WHERE id = ?", [delivery]))
        return rows[0] if rows else None

    def deliveries(self, *, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        sql = "SELECT * FROM deliveries"
        args: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            args.append(status)
        sql += " ORDER BY created_at DESC, id LIMIT ?"
        args.append(limit)
        return list(self.select(sql, args))

    def case_deliveries(self, case_id: str, subscriber_id: str) -> list[dict[str, Any]]:
        """A municipality's deliveries of a case, oldest first (``explain``)."""
        return list(
            self.select(
                "SELECT id, target_id, channel, status, kind, revision FROM deliveries "
                "WHERE case_id = ? AND subscriber_id = ? ORDER BY created_at",
                [case_id, subscriber_id],
            )
        )

    def last_notification(self, case_id: str, subscriber_id: str) -> dict[str, Any] | None:
        """The notification of a municipality's latest planned delivery of a case (JSON), so
        an update can say what changed since then; None when nothing was planned."""
        rows = list(
            self.select(
                "SELECT notification FROM deliveries WHERE case_id = ? AND subscriber_id = ? "
                "AND notification IS NOT NULL ORDER BY revision DESC, created_at DESC LIMIT 1",
                [case_id, subscriber_id],
            )
        )
        return json.loads(rows[0]["notification"]) if rows else None

    def status_counts(self) -> dict[str, int]:
        return {
            r["status"]: r["n"]
            for r in self.select("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
        }

    def thread_ref(self, case_id: str, subscriber_id: str, target_id: str) -> str | None:
        """The platform id of the first alert of a case on a target (Slack ts for threads)."""
        rows = list(
            self.select(
                "SELECT external_id FROM deliveries WHERE case_id = ? AND subscriber_id = ? AND "
                "target_id = ? AND kind = 'alert' AND status = 'sent' ORDER BY sent_at LIMIT 1",
                [case_id, subscriber_id, target_id],
            )
        )
        return rows[0]["external_id"] if rows else None

    def held_for_digest(self, now: datetime) -> list[dict[str, Any]]:
        return list(
            self.select(
                "SELECT * FROM deliveries WHERE status = 'digest' AND (due_at IS NULL OR due_at <= ?) "
                "ORDER BY subscriber_id, target_id, priority, created_at",
                [iso(now)],
            )
        )

    def fold_into_digest(self, digest_row: Delivery, item_ids: list[str], now: datetime) -> None:
        with self.tx():
            if self.add_delivery(digest_row, now=now):
                marks = ",".join("?" * len(item_ids))
                self.db.execute(
                    f"UPDATE deliveries SET status = 'digested', digest_id = ?, updated_at = ? "  # noqa: S608
                    f"WHERE id IN ({marks}) AND status = 'digest'",
                    [digest_row.id, iso(now), *item_ids],
                )

    def immediate_count_since(self, subscriber_id: str, since: datetime) -> int:
        """Immediate messages (alerts, updates) planned since ``since``; one case revision
        sent to several targets is one message, not one per target."""
        row = next(
            self.select(
                "SELECT count(DISTINCT case_id || '#' || revision) AS n FROM deliveries "
                "WHERE subscriber_id = ? AND kind IN ('alert','update') "
                "AND status IN ('pending','sending','sent') AND created_at >= ?",
                [subscriber_id, iso(since)],
            )
        )
        return int(row["n"])

    def all_held_for_digest(self) -> list[dict[str, Any]]:
        """Every delivery held for a digest, due or not (a forced digest: the demo)."""
        return list(
            self.select(
                "SELECT * FROM deliveries WHERE status = 'digest' "
                "ORDER BY subscriber_id, target_id, priority, created_at"
            )
        )
