"""``service.publish``: how the team's own advisories are published (issue 13).

Contract: ``id_prefix`` is the first part of the ids assigned at first publish
(``KCERT-2026-0001``); ``operators`` lists the OS user names (or ``--as`` names) allowed to
publish from the command line, on top of the names and user ids of ``service.operators``.
"""

from __future__ import annotations

from pydantic import Field

from certbot.config.common import Strict


class PublishConfig(Strict):
    id_prefix: str = Field(default="KCERT", pattern=r"^[A-Z][A-Z0-9]{1,15}$")
    operators: tuple[str, ...] = ()
