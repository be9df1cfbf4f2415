"""Replies: acks and statuses, incident reports, update de-duplication, conversations, signed
link uses, the escalation ladder's state (issue 5) and the Slack signatures seen within the
replay window (issue 12.7: they survive a restart).

Functions here take the `Store` and run on its writer thread. Statuses use the CSAF 2.0
§3.2.3.x / §9.1.13 vocabulary: no row means *not remediated*; ``acknowledged`` means seen but
not yet acted on; ``remediation_in_progress``, ``remediation_done`` and ``not_affected``
follow. Incident ids come from a counter inside the creating transaction and are never reused.
Functions that say "caller holds the tx" join the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from certbot.store.base import iso

if TYPE_CHECKING:
    from certbot.store.facade import Store

STATUSES = ("acknowledged", "remediation_in_progress", "remediation_done", "not_affected")
INCIDENT_STATUSES = ("new", "in-progress", "forwarded", "resolved")
INCIDENT_FIELDS = (
    "rsit_class",
    "rsit_type",
    "services",
    "impact",
    "what_happened",
    "measures",
    "others_notified",
)


def alert_subscribers(store: Store, case_id: str) -> dict[str, dict[str, Any]]:
    """Alerted municipalities of a case (by case id or any alias)."""
    case = resolve_case(store, case_id)
    return store.alert_states(case) if case else {}


def resolve_case(store: Store, case_id: str) -> str | None:
    rows = list(store.db.query("SELECT id FROM cases WHERE id = ?", [case_id]))
    if rows:
        return str(rows[0]["id"])
    rows = list(store.db.query("SELECT case_id FROM aliases WHERE alias = ?", [case_id]))
    return str(rows[0]["case_id"]) if rows else None


def ack_row(store: Store, case_id: str, sub_id: str) -> dict[str, Any] | None:
    rows = list(
        store.db.query(
            "SELECT * FROM acks WHERE case_id = ? AND subscriber_id = ?", [case_id, sub_id]
        )
    )
    return rows[0] if rows else None


@dataclass(frozen=True)
class AckUpdate:
    """An ack or status a municipality gives a case (``by``: ``platform:user``)."""

    case_id: str
    sub_id: str
    status: str
    by: str
    comment: str = ""


def set_ack(store: Store, update: AckUpdate, now: datetime) -> None:
    """Record an ack or status; the earlier states stay in ``history``. Caller holds the tx."""
    case_id, sub_id, status = update.case_id, update.sub_id, update.status
    by, comment = update.by, update.comment
    assert status in STATUSES
    old = ack_row(store, case_id, sub_id)
    history = json.loads(old["history"]) if old else []
    if old and status == "acknowledged" and old["status"] != "acknowledged":
        return  # an ack after a status does not undo the status
    history.append({"status": status, "by": by, "at": iso(now), "comment": comment})
    store.db.table("acks").upsert(
        {
            "case_id": case_id,
            "subscriber_id": sub_id,
            "status": status,
            "by": by,
            "at": iso(now),
            "comment": comment,
            "history": json.dumps(history, ensure_ascii=False),
        },
        pk=("case_id", "subscriber_id"),
    )
    store.db.execute(
        "UPDATE alerts SET state = ?, updated_at = ? WHERE case_id = ? AND subscriber_id = ?",
        ["acked" if status == "acknowledged" else status, iso(now), case_id, sub_id],
    )


def open_alerts(store: Store, sub_ids: list[str]) -> list[dict[str, Any]]:
    """Alerts not yet remediated or declared not affected, oldest deadline first."""
    if not sub_ids:
        return []
    marks = ",".join("?" * len(sub_ids))
    return list(
        store.db.query(
            "SELECT l.case_id, l.subscriber_id, l.priority, c.title, k.status, "  # noqa: S608
            "(SELECT min(deadline) FROM matches m WHERE m.case_id = l.case_id "
            " AND m.subscriber_id = l.subscriber_id) AS deadline "
            "FROM alerts l JOIN cases c ON c.id = l.case_id "
            "LEFT JOIN acks k ON k.case_id = l.case_id AND k.subscriber_id = l.subscriber_id "
            f"WHERE l.subscriber_id IN ({marks}) "
            "AND coalesce(k.status, '') NOT IN ('remediation_done', 'not_affected') "
            "ORDER BY deadline IS NULL, deadline, l.priority, l.case_id",
            sub_ids,
        )
    )


def affected(store: Store, case_id: str) -> list[dict[str, Any]]:
    """Per alerted municipality: priority, status, who and when."""
    case = resolve_case(store, case_id)
    if case is None:
        return []
    return list(
        store.db.query(
            "SELECT l.subscriber_id, l.priority, coalesce(k.status, 'not_remediated') AS status, "
            "k.by, k.at, k.comment FROM alerts l LEFT JOIN acks k ON k.case_id = l.case_id "
            "AND k.subscriber_id = l.subscriber_id WHERE l.case_id = ? ORDER BY l.subscriber_id",
            [case],
        )
    )


def sector(store: Store, now: str, limit: int = 100) -> list[dict[str, Any]]:
    """The whole sector at a glance: per alerted case, how many municipalities it concerns,
    how many acknowledged, patched or are not affected, and how many are past the deadline
    without a fix. Most urgent first (`certbot.store.overview.Overview.case_summaries`, the
    query the web overview and the API read too)."""
    return store.case_summaries(now, limit=limit)[0]


def acks(store: Store, limit: int = 200) -> list[dict[str, Any]]:
    return list(store.db.query("SELECT * FROM acks ORDER BY at DESC LIMIT ?", [limit]))


# --- incidents ----------------------------------------------------------------------------


def create_incident(
    store: Store,
    *,
    municipality: str,
    reporter: str,
    reporter_chat: str | None,
    fields: dict[str, Any],
    now: datetime,
) -> str:
    """Insert a report and its first history line; returns the new id. Caller holds the tx."""
    store.bump("incident_seq")
    seq = next(store.select("SELECT value FROM counters WHERE name = 'incident_seq'"))["value"]
    inc_id = f"HEN-{now:%Y}-{seq:04d}"
    row = {k: fields.get(k) for k in INCIDENT_FIELDS}
    store.db.table("incidents").insert(
        {
            "id": inc_id,
            "municipality": municipality,
            "reporter": reporter,
            "reporter_chat": reporter_chat,
            "times": json.dumps({"reported": iso(now), **(fields.get("times") or {})}),
            "status": "new",
            "related_advisories": json.dumps(fields.get("related_advisories") or []),
            "tlp": fields.get("tlp") or "AMBER_STRICT",
            "created_at": iso(now),
            **row,
        }
    )
    add_history(store, inc_id, reporter, "new", "reported", now)
    return inc_id


def add_history(
    store: Store, inc_id: str, actor: str, status: str, comment: str, now: datetime
) -> None:
    store.db.table("incident_history").insert(
        {
            "incident_id": inc_id,
            "at": iso(now),
            "actor": actor,
            "status": status,
            "comment": comment,
        }
    )


def incident(store: Store, inc_id: str) -> dict[str, Any] | None:
    rows = list(store.db.query("SELECT * FROM incidents WHERE id = ?", [inc_id]))
    return rows[0] if rows else None


def incidents(store: Store, *, open_only: bool = False, limit: int = 200) -> list[dict[str, Any]]:
    where = "WHERE status != 'resolved' " if open_only else ""
    return list(
        store.db.query(
            f"SELECT * FROM incidents {where}ORDER BY created_at DESC, id DESC LIMIT ?",  # noqa: S608
            [limit],
        )
    )


def history(store: Store, inc_id: str) -> list[dict[str, Any]]:
    return list(
        store.db.query("SELECT * FROM incident_history WHERE incident_id = ? ORDER BY id", [inc_id])
    )


# --- de-duplication and conversations -----------------------------------------------------


def seen(store: Store, platform: str, update_id: str) -> dict[str, Any] | None:
    rows = list(
        store.db.query(
            "SELECT * FROM seen_updates WHERE platform = ? AND update_id = ?", [platform, update_id]
        )
    )
    return rows[0] if rows else None


def mark_seen(store: Store, platform: str, update_id: str, reply: str, now: datetime) -> None:
    store.db.execute(
        "INSERT OR IGNORE INTO seen_updates(platform, update_id, at, reply) VALUES (?, ?, ?, ?)",
        [platform, update_id, iso(now), reply],
    )


def mark_replied(store: Store, platform: str, update_id: str) -> None:
    with store.tx():
        store.db.execute(
            "UPDATE seen_updates SET replied = 1 WHERE platform = ? AND update_id = ?",
            [platform, update_id],
        )


def conversation(store: Store, platform: str, user_id: str) -> dict[str, Any] | None:
    rows = list(
        store.db.query(
            "SELECT * FROM conversations WHERE platform = ? AND user_id = ?", [platform, user_id]
        )
    )
    if not rows:
        return None
    row = dict(rows[0])
    row["data"] = json.loads(row["data"])
    return row


@dataclass(frozen=True)
class Conversation:
    """Where a chat user is in a multi-step dialogue (the incident report)."""

    platform: str
    user_id: str
    sub_id: str
    step: str
    data: dict[str, Any]


def save_conversation(store: Store, convo: Conversation, now: datetime) -> None:
    store.db.table("conversations").upsert(
        {
            "platform": convo.platform,
            "user_id": convo.user_id,
            "subscriber_id": convo.sub_id,
            "step": convo.step,
            "data": json.dumps(convo.data, ensure_ascii=False),
            "updated_at": iso(now),
        },
        pk=("platform", "user_id"),
    )


def end_conversation(store: Store, platform: str, user_id: str) -> None:
    store.db.execute(
        "DELETE FROM conversations WHERE platform = ? AND user_id = ?", [platform, user_id]
    )


def set_incident_status(store: Store, inc_id: str, status: str) -> None:
    """The incident's current status (its history line is `add_history`). Caller holds the tx."""
    store.db.execute("UPDATE incidents SET status = ? WHERE id = ?", [status, inc_id])


def link_alert(store: Store, case_id: str, sub_id: str) -> dict[str, Any] | None:
    """What a signed-link page shows of one alert: the case title, the alert's priority, the
    earliest deadline of its matches and the current ack status; None if never alerted."""
    rows = list(
        store.db.query(
            "SELECT c.title, l.priority, k.status, "
            "(SELECT min(deadline) FROM matches m WHERE m.case_id = l.case_id "
            " AND m.subscriber_id = l.subscriber_id) AS deadline "
            "FROM alerts l JOIN cases c ON c.id = l.case_id "
            "LEFT JOIN acks k ON k.case_id = l.case_id AND k.subscriber_id = l.subscriber_id "
            "WHERE l.case_id = ? AND l.subscriber_id = ?",
            [case_id, sub_id],
        )
    )
    return rows[0] if rows else None


def record_link_use(store: Store, token_hash: str, data: dict[str, Any], now: datetime) -> None:
    """One use of a signed link (payload keys ``s`` subscriber, ``c`` case, ``a`` action)."""
    with store.tx():
        store.db.table("signed_link_uses").insert(
            {
                "token_hash": token_hash,
                "at": iso(now),
                "subscriber_id": data["s"],
                "case_id": data["c"],
                "action": data["a"],
            }
        )


# --- the escalation ladder ------------------------------------------------------------------


def unacked_p1(store: Store, rungs: int) -> list[dict[str, Any]]:
    """Open P1 alerts with no ack or status whose ladder has fewer than ``rungs`` steps."""
    return list(
        store.db.query(
            "SELECT l.case_id, l.subscriber_id, l.created_at, coalesce(e.stage, 0) AS stage, "
            "e.at AS escalated_at, "
            "(SELECT min(deadline) FROM matches m WHERE m.case_id = l.case_id "
            " AND m.subscriber_id = l.subscriber_id) AS deadline "
            "FROM alerts l LEFT JOIN escalations e ON e.case_id = l.case_id "
            "AND e.subscriber_id = l.subscriber_id "
            "WHERE l.priority = 1 AND l.state = 'open' AND coalesce(e.stage, 0) < ? "
            "AND NOT EXISTS (SELECT 1 FROM acks k WHERE k.case_id = l.case_id "
            " AND k.subscriber_id = l.subscriber_id)",
            [rungs],
        )
    )


def original_deliveries(store: Store, case_id: str, sub_id: str) -> list[dict[str, Any]]:
    """A municipality's alerts and updates of a case (not blocked), newest first."""
    return list(
        store.db.query(
            "SELECT * FROM deliveries WHERE case_id = ? AND subscriber_id = ? AND "
            "kind IN ('alert', 'update') AND status NOT IN ('blocked') ORDER BY created_at DESC",
            [case_id, sub_id],
        )
    )


def set_escalation_stage(
    store: Store, case_id: str, sub_id: str, stage: int, now: datetime
) -> None:
    store.db.table("escalations").upsert(
        {"case_id": case_id, "subscriber_id": sub_id, "stage": stage, "at": iso(now)},
        pk=("case_id", "subscriber_id"),
    )


def note_slack_signature(store: Store, signature: str, at: float, window: float) -> bool:
    """Record a verified Slack signature seen at ``at`` (epoch seconds); False if it was
    already seen within ``window`` seconds (a replay). Expired signatures are pruned here."""
    with store.tx():
        store.db.execute("DELETE FROM slack_seen WHERE at < ?", [at - window])
        cur = store.db.execute(
            "INSERT OR IGNORE INTO slack_seen (signature, at) VALUES (?, ?)", [signature, at]
        )
    return cur.rowcount == 1
