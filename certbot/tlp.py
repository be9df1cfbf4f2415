"""TLP 2.0: may this advisory go to this target? Pure; checked at plan time AND at send time.

| Label        | certbot rule                                                          |
|--------------|-----------------------------------------------------------------------|
| CLEAR        | any target                                                            |
| GREEN        | not a target marked ``public``                                        |
| AMBER        | only targets of the one municipality concerned (or the operator's)    |
| AMBER+STRICT | same, and never a target shared with suppliers                        |
| RED          | only ``personal`` targets (a named individual), never a channel/group |

A missing or unknown label is routed as RED. Every target also has a clearance
(``tlp_max``): nothing above it is sent there.
"""

from __future__ import annotations

from certbot.config import OPERATOR, TargetConfig
from certbot.model import TLP


def check(
    tlp: TLP | None, target: TargetConfig, *, target_owner: str, concerned: str
) -> str | None:
    """None if allowed, else the reason it is blocked (English, for audit and operator)."""
    label = TLP.RED if tlp is None else tlp
    shown = "unknown label (treated as TLP:RED)" if tlp is None else label.label
    if label > target.tlp_max:
        return f"{shown} is above the target's clearance {target.tlp_max.label}"
    if label == TLP.RED and not target.personal:
        return f"{shown} may only go to personal targets; '{target.id}' is a shared channel"
    if label >= TLP.AMBER and target_owner not in (concerned, OPERATOR):
        return f"{shown} may only go to the municipality concerned ({concerned})"
    if label == TLP.AMBER_STRICT and target.suppliers:
        return f"{shown} may not go to a target shared with suppliers"
    if label >= TLP.GREEN and target.public:
        return f"{shown} may not go to a public target"
    return None
