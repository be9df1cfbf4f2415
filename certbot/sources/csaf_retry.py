"""The retry list of a CSAF feed: documents rejected (bad or missing signature, missing key,
hash mismatch, invalid CSAF), kept in the feed's cursor and fetched again on later polls, so a
fixed configuration (the right key pinned) or a fixed provider file brings them back.

Contract (pure, on the cursor's ``retry`` dict: url -> record):
- ``record(retry, url, reason, now, where)`` adds or updates one rejection (attempts, first and
  last seen, the reason, where to fetch it again); True when it is new or its reason changed,
  so the operator is told once per reason, not once per poll;
- ``due(retry, skip)`` the records to fetch again this poll: at most `RETRY_PER_POLL`, the
  longest-waiting first (a long list is worked through over several polls);
- ``listing(feed_id, cursor)`` rows for ``kommune-certbot rejected``.
A document that verifies is removed by the caller (``retry.pop(url)``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

RETRY_PER_POLL = 200


def load(cursor: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A copy of the cursor's retry list ({} when there is none or it is unreadable)."""
    retry = cursor.get("retry")
    if not isinstance(retry, dict):
        return {}
    return {str(u): dict(r) for u, r in retry.items() if isinstance(r, dict)}


def record(
    retry: dict[str, dict[str, Any]], url: str, reason: str, now: datetime, where: dict[str, Any]
) -> bool:
    old = retry.get(url)
    stamp = now.isoformat()
    retry[url] = {
        **where,
        "reason": reason[:300],
        "first_seen": old["first_seen"] if old else stamp,
        "last_seen": stamp,
        "attempts": (int(old.get("attempts", 0)) if old else 0) + 1,
    }
    return old is None or old.get("reason") != retry[url]["reason"]


def due(retry: dict[str, dict[str, Any]], skip: set[str]) -> list[tuple[str, dict[str, Any]]]:
    waiting = sorted(
        ((u, r) for u, r in retry.items() if u not in skip),
        key=lambda item: str(item[1].get("last_seen", "")),
    )
    return waiting[:RETRY_PER_POLL]


def listing(feed_id: str, cursor: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "feed": feed_id,
            "url": url,
            "reason": r.get("reason", ""),
            "first_seen": r.get("first_seen"),
            "last_seen": r.get("last_seen"),
            "attempts": r.get("attempts", 0),
        }
        for url, r in sorted(load(cursor).items())
    ]
