"""Operator notices: how the sector response team is told (dead deliveries, TLP blocks, feed
health, rejected documents, unknown TLP labels, unacknowledged P1 alerts, incident reports).

`plan_operator` is the one service for it, used by planning, dispatch, escalation and the
inbound incident flow. It runs on the store's writer thread inside the caller's transaction
and plans one outbox row per operator target; the id is derived from ``key``, so telling the
same thing twice is one notice. The notice itself obeys TLP: an operator target not cleared
for the advisory's label gets the notice without the advisory's title. `Addressee.notice`
builds every notification that is about no case (operator notices, test messages, reports).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from certbot import tlp as tlp_rules
from certbot.config import OPERATOR, Config
from certbot.model import TLP, Notification
from certbot.store import Delivery, Store, delivery_id

log = logging.getLogger("certbot.notices")


@dataclass(frozen=True)
class Addressee:
    """One target of a municipality (or of the operator), and the language it is told in."""

    subscriber_id: str
    subscriber_name: str
    target_id: str
    language: str

    def notice(
        self,
        did: str,
        kind: Literal["operator", "test", "report"],
        tlp: TLP,
        title: str,
        **more: Any,
    ) -> Notification:
        """A notification about no case (an operator notice, a test message, a report): it
        carries no priority; ``more`` holds its summary and extras."""
        head: dict[str, Any] = {"delivery_id": did, "kind": kind, "tlp": tlp, "title": title}
        return Notification(**head, priority=None, **vars(self), **more)


@dataclass(frozen=True)
class OperatorNotice:
    """What to tell the operator: the text, a de-duplication key, the advisory's TLP label
    and title (the title is held back from a target not cleared for the label)."""

    text: str
    key: str
    tlp: TLP = TLP.CLEAR
    title: str | None = None


def plan_operator(store: Store, config: Config, notice: OperatorNotice, now: datetime) -> int:
    """Plan ``notice`` to every operator target; returns how many rows were new."""
    text, key, tlp, title = notice.text, notice.key, notice.tlp, notice.title
    planned = 0
    if not config.service.operator_targets:
        log.error("operator notice (no operator target configured): %s", text)
        store.audit("operator_notice", decision="no_target", detail=text, now=now)
        return 0
    for target in config.service.operator_targets:
        cleared = tlp_rules.check(tlp, target, target_owner=OPERATOR, concerned=OPERATOR) is None
        shown_title = (title or text) if cleared else "(innhold holdt tilbake av TLP)"
        did = delivery_id("operator", key, target.id)
        to = Addressee(OPERATOR, "Sektorresponsmiljøet", target.id, "nb")
        n = to.notice(
            did,
            "operator",
            tlp if cleared else TLP.CLEAR,
            shown_title[:300],
            summary=text
            if cleared
            else "Et varsel ble holdt tilbake; se `deliveries --status blocked`.",
        )
        planned += store.add_delivery(Delivery.planned(n, target.kind, priority=1), now=now)
    return planned
