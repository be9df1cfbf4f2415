"""Explicit recipients of a published advisory, on top of inventory matching.

Contract: `recipient_ids(config, drafts)` resolves the municipalities and counties the drafts
name (every revision's, so a municipality dropped from the list still hears of a revision or a
withdrawal) to configured kommunenummer, and lists the ones not configured. `planning_config`
gives each recipient one extra inventory item, `DIRECT`, the "item" the priority model scores
for a municipality that was addressed directly; `RecipientMatcher` matches the team's advisory
to that item for each recipient that no real inventory item matched. The real inventory is
matched by the ordinary `Matcher` over the configured subscribers (DIRECT never matches text).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from certbot.config import Config, InventoryItem, SubscriberConfig
from certbot.match import Matcher
from certbot.model import Case, Match
from certbot.publish.draft import Draft

DIRECT = InventoryItem(
    vendor="KommuneCERT",
    product="Direkte varsel",
    criticality="high",
    note="added while publishing: the advisory names this municipality as a recipient",
)
DIRECT_LABEL = "Direkte adressert (mottaker i varselet)"


def recipient_ids(config: Config, drafts: Iterable[Draft]) -> tuple[set[str], list[str]]:
    """(kommunenummer to alert directly, names in the drafts that no subscriber has)."""
    subs = {s.id for s in config.subscribers}
    out: set[str] = set()
    unknown: list[str] = []
    for d in drafts:
        for m in d.recipients.municipalities:
            if m in subs:
                out.add(m)
            elif f"kommune {m}" not in unknown:
                unknown.append(f"kommune {m}")
        for c in d.recipients.counties:
            found = {s for s in subs if s[:2] == c}
            out |= found
            if not found and f"fylke {c}" not in unknown:
                unknown.append(f"fylke {c}")
    return out, unknown


def planning_config(config: Config, ids: set[str]) -> Config:
    """The configuration planning reads: each recipient with `DIRECT` appended."""
    if not ids:
        return config
    subs = tuple(
        s.model_copy(update={"inventory": (*s.inventory, DIRECT)}) if s.id in ids else s
        for s in config.subscribers
    )
    return config.model_copy(update={"subscribers": subs})


class RecipientMatcher(Matcher):
    """The ordinary matcher, plus a direct match for each recipient of advisory ``key``."""

    def __init__(
        self,
        subscribers: Iterable[SubscriberConfig],
        kinds: Mapping[str, str],
        key: str,
        recipients: Mapping[str, int],
    ):
        super().__init__(subscribers, kinds)
        self.key = key  # the advisory key (srm:KCERT-2026-0001)
        self.recipients = dict(recipients)  # kommunenummer -> DIRECT's item index

    def match(
        self, case: Case, excluded: dict[tuple[str, int], Match] | None = None
    ) -> dict[str, list[Match]]:
        out = super().match(case, excluded)
        if not any(a.key == self.key for a in case.advisories) or case.withdrawn:
            return out
        for sub_id, index in sorted(self.recipients.items()):
            if sub_id not in out:
                out[sub_id] = [
                    Match(
                        case_id=case.id,
                        subscriber_id=sub_id,
                        item=DIRECT_LABEL,
                        item_index=index,
                        rule="product_no_version",
                        source="srm",
                        entry="recipients",
                        detail="named as a recipient of the advisory",
                        affected="confirmed",
                        version_source="srm",
                        decided_by="KommuneCERT: direkte adressert",
                    )
                ]
        return out
