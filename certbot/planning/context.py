"""`PlanContext`: what planning one case for one municipality carries from step to step.

Built by `certbot.planning.plan.plan_case` on the store's writer thread, inside the plan's
transaction; the steps (what changed, one target, the notification) read it and never keep it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from certbot.config import Config, SubscriberConfig
from certbot.model import Case, Decision, Match, Priority
from certbot.store import CaseChange, Store


@dataclass
class PlanContext:
    store: Store
    config: Config
    case: Case
    change: CaseChange
    sub: SubscriberConfig
    now: datetime
    matches: list[Match] = field(default_factory=list)
    decision: Decision | None = None
    priority: Priority = Priority.P4
    kind: str = "alert"  # alert | update
    changes: list[str] = field(default_factory=list)  # change codes of an update
    previous: dict[str, Any] | None = None  # the last notification's snapshot (diff.snapshot)
