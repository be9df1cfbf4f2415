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

A stricter marking written in an item's text wins over the feed's label
(`stricter_label_in_text`): the official TLP 2.0 and TLP 1 spellings ``TLP:CLEAR``,
``TLP:WHITE``, ``TLP:GREEN``, ``TLP:AMBER``, ``TLP:AMBER+STRICT``, ``TLP:RED``, in any letter
case, with optional whitespace around the colon and the plus (``TLP: RED``,
``TLP:AMBER + STRICT``). Translations (``TLP:RØD``, ``TLP:GUL``) and other separators
(``TLP-RED``, ``TLP RED``) are not markings; the strictest marking in the text counts.
`text_marking_notice` is the operator's notice for a case routed that way.
"""

from __future__ import annotations

import re

from certbot.config import OPERATOR, TargetConfig
from certbot.model import TLP, Case

MARKING = re.compile(
    r"(?<![A-Za-z0-9])TLP\s*:\s*(AMBER\s*\+\s*STRICT|RED|AMBER|GREEN|CLEAR|WHITE)(?![A-Za-z0-9])",
    re.IGNORECASE,
)


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


def stricter_label_in_text(text: str, tlp: TLP | None) -> TLP | None:
    """The strictest TLP marking written in ``text`` if it is stricter than ``tlp`` (the
    feed's label), else None. An unknown label (None) is already routed as RED."""
    if tlp is None:
        return None
    found = [TLP.parse(re.sub(r"\s+", "", m.group(1))) for m in MARKING.finditer(text)]
    strictest = max((x for x in found if x is not None), default=None)
    return strictest if strictest is not None and strictest > tlp else None


def text_marking_notice(case: Case) -> tuple[str, str, TLP] | None:
    """(dedup key, operator text, label) when an advisory of ``case`` was routed at a stricter
    label found in its text (``extra["tlp_from_text"]``, set by the prose parsers); else None.
    English, like the other operator notices; plan it with the label and the case's title."""
    marked = [a for a in case.advisories if a.extra.get("tlp_from_text")]
    if not marked:
        return None
    adv = max(marked, key=lambda a: TLP[str(a.extra["tlp_from_text"])])
    label = TLP[str(adv.extra["tlp_from_text"])]
    feed = TLP.parse(str(adv.extra.get("tlp_feed") or "")) or TLP.CLEAR
    text = (
        f"advisory {adv.source}:{adv.source_id} ({case.id}) is marked {label.label} in its text "
        f"although the feed labels it {feed.label}; routed as {label.label}"
    )
    return f"tlp-text:{case.id}:{label.name}", text, label
