"""Planning: matches → deliveries (`plan`), the notification each target gets (`notify`), the
context the steps share (`context`) and digests (`digests`). Everything here runs on the
store's writer thread, inside the caller's transaction; polling (`certbot.pipeline`) calls
`plan_case` once per changed case after a cycle's feeds are ingested.
"""

from certbot.planning.baseline import Baseline
from certbot.planning.context import PlanContext
from certbot.planning.digests import build_digests
from certbot.planning.notify import CHANGE_TEXT, build_notification
from certbot.planning.plan import PlanResult, plan_case

__all__ = [
    "CHANGE_TEXT",
    "Baseline",
    "PlanContext",
    "PlanResult",
    "build_digests",
    "build_notification",
    "plan_case",
]
