"""Named crash points for fault tests (RELIABILITY.md rows 1 and 2).

``CERTBOT_CRASH_AT=after_send`` makes the process kill itself with SIGKILL the first time it
reaches that point; ``after_send:17`` the 17th time. That is exactly what a power cut or an OOM
kill does: no cleanup, no commit. Unset (always, in production) it costs one look-up.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

POINTS = ("after_claim", "after_send")
_hits: Counter[str] = Counter()


def crashpoint(name: str) -> None:
    spec = os.environ.get("CERTBOT_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
