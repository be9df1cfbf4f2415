"""Acks, statuses, incident reports and update de-duplication: the names inbound code uses.

The storage itself (all SQL) lives in `certbot.store.replies`; this module re-exports it so
the inbound handlers and their tests keep one short name (``records.ack_row(store, ...)``).
"""

from __future__ import annotations

from certbot.store.replies import (
    INCIDENT_FIELDS,
    INCIDENT_STATUSES,
    STATUSES,
    AckUpdate,
    Conversation,
    ack_row,
    acks,
    add_history,
    affected,
    alert_subscribers,
    conversation,
    create_incident,
    end_conversation,
    history,
    incident,
    incidents,
    mark_replied,
    mark_seen,
    open_alerts,
    resolve_case,
    save_conversation,
    sector,
    seen,
    set_ack,
    set_incident_status,
)

__all__ = [
    "INCIDENT_FIELDS",
    "INCIDENT_STATUSES",
    "STATUSES",
    "AckUpdate",
    "Conversation",
    "ack_row",
    "acks",
    "add_history",
    "affected",
    "alert_subscribers",
    "conversation",
    "create_incident",
    "end_conversation",
    "history",
    "incident",
    "incidents",
    "mark_replied",
    "mark_seen",
    "open_alerts",
    "resolve_case",
    "save_conversation",
    "sector",
    "seen",
    "set_ack",
    "set_incident_status",
]
