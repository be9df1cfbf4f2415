"""Inbound: chat platforms and signed links talking back to certbot (issue 5).

``INBOUND`` maps a platform name to the module that turns its events into `Command`s
(DESIGN.md: one module and one registry line per platform).
"""

from __future__ import annotations

INBOUND: dict[str, str] = {
    "telegram": "certbot.inbound.telegram",
    "slack": "certbot.inbound.slack",
    "web": "certbot.inbound.web",
}
