"""Signed links for Teams cards and e-mail: ``/l/<payload>.<mac>``.

The payload names ONE municipality (``s``), ONE case (``c``), one action (``a``), an expiry
(``e``) and, when known, the target it was sent to (``t``: the page shows the title only where
that target was cleared for it, and a personal target names the person in the audit). The
MAC is HMAC-SHA256 with ``service.link_secret``.

`form_mac` signs a rendered form (the incident report on the link page): HMAC over the
link token, a per-render nonce and the render time, under a key derived from the same
secret, so a POST that did not come from a form we rendered is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from certbot.channels.escape import safe_url
from certbot.config import Config, TargetConfig, read_secret
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


def make_token(
    secret: str, sub_id: str, case_id: str, action: str, expires: int, target_id: str = ""
) -> str:
    data: dict[str, Any] = {"s": sub_id, "c": case_id, "a": action, "e": expires}
    if target_id:
        data["t"] = target_id
    payload = _b64(json.dumps(data).encode())
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


def form_mac(secret: str, token: str, nonce: str, issued: int) -> str:
    """The MAC a rendered form carries (its own key: a link MAC never passes as a form's)."""
    key = hmac.new(secret.encode(), b"certbot link form", hashlib.sha256).digest()
    msg = f"{token}|{nonce}|{issued}".encode()
    return _b64(hmac.new(key, msg, hashlib.sha256).digest())


def form_ok(secret: str, fields: dict[str, str], token: str, now: datetime, ttl: int) -> bool:
    """True when ``fields`` (nonce, issued, mac) came from a form rendered for ``token`` less
    than ``ttl`` seconds ago."""
    nonce, issued, mac = fields.get("nonce", ""), fields.get("issued", ""), fields.get("mac", "")
    if not (nonce and issued.isdigit() and mac.isascii() and nonce.isascii()):
        return False
    if not 0 <= now.timestamp() - int(issued) <= ttl:
        return False
    return hmac.compare_digest(form_mac(secret, token, nonce, int(issued)), mac)


def action_links(
    config: Config,
    sub_id: str,
    case_id: str,
    now: datetime,
    environ: Any = None,
    target: TargetConfig | None = None,
) -> dict[str, str]:
    """Signed links for one municipality and case; {} when no link secret is configured.
    Meant for ``Notification.extra["action_links"]`` (certbot.planning.plan); ``target`` is
    the target the message goes to (named in the token)."""
    ref = config.service.link_secret
    secret = read_secret(ref.env, environ) if ref else None
    if not secret:
        return {}
    expires = int(now.timestamp()) + config.service.link_ttl
    base = config.service.public_url.rstrip("/")
    tid = target.id if target is not None else ""
    return {a: f"{base}/l/{make_token(secret, sub_id, case_id, a, expires, tid)}" for a in ACTIONS}


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
