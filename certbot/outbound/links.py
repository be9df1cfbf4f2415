"""Signed links for Teams cards and e-mail: ``/l/<payload>.<mac>``.

The payload names ONE municipality, ONE case, one action and an expiry; the MAC is
HMAC-SHA256 with ``service.link_secret``. The secret never leaves this module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from certbot.channels.escape import safe_url
from certbot.config import Config, read_secret
from certbot.model import Notification

ACTIONS = {
    "ack": ("Kvitter for varselet", "ack", []),
    "patched": ("Marker som patchet", "status", ["patched"]),
    "not-affected": ("Marker som ikke berørt", "status", ["not-affected"]),
}


# What the links and buttons say, per language, in ACTIONS order (Teams, e-mail, Slack).
LABELS = {
    "nb": {"ack": "Kvitter", "patched": "Patchet", "not-affected": "Ikke berørt"},
    "en": {"ack": "Acknowledge", "patched": "Patched", "not-affected": "Not affected"},
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(secret: str, sub_id: str, case_id: str, action: str, expires: int) -> str:
    payload = _b64(json.dumps({"s": sub_id, "c": case_id, "a": action, "e": expires}).encode())
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def read_token(secret: str, token: str, now: datetime) -> dict[str, Any] | None:
    payload, _, mac = token.partition(".")
    good = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(good, mac):
        return None
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if data.get("a") not in ACTIONS or int(data.get("e", 0)) < now.timestamp():
        return None
    return data


def action_links(
    config: Config, sub_id: str, case_id: str, now: datetime, environ: Any = None
) -> dict[str, str]:
    """Signed links for one municipality and case; {} when no link secret is configured.
    Meant for ``Notification.extra["action_links"]`` (certbot.planning.plan)."""
    ref = config.service.link_secret
    secret = read_secret(ref.env, environ) if ref else None
    if not secret:
        return {}
    expires = int(now.timestamp()) + config.service.link_ttl
    base = config.service.public_url.rstrip("/")
    return {a: f"{base}/l/{make_token(secret, sub_id, case_id, a, expires)}" for a in ACTIONS}


def respond_links(n: Notification) -> list[tuple[str, str]]:
    """(label, URL) for the signed links planned into ``n.extra["action_links"]``, in
    ACTIONS order and in the notification's language; [] when there are none.

    The URLs are ours (``service.public_url`` plus a token), so their labels are trusted
    words rather than the host; they must still be plain http(s) URLs (`safe_url`)."""
    planned = n.extra.get("action_links")
    if not isinstance(planned, dict):
        return []
    labels = LABELS.get(n.language, LABELS["nb"])
    out = []
    for action in ACTIONS:
        url = planned.get(action)
        if isinstance(url, str) and safe_url(url) == url:
            out.append((labels[action], url))
    return out
