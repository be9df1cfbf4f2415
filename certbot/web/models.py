"""The response models of the web pages and the JSON API (issue 14), and who may see what.

Contract:
- Every model here is a pydantic model that shapes an API answer; the OpenAPI document
  (`certbot.web.api_schema`) is generated from these same classes, never written beside them.
  The web pages render the same objects.
- Each model that carries untrusted or restricted text names its TLP (``tlp``: the label,
  ``TLP:AMBER`` etc.) and has ``withheld``: a caller builds the full object from the store's
  rows and then calls `bounded` with the `Viewer`; anything above the viewer's clearance keeps
  its place in the listing with its title / content set to None and ``withheld`` true, so
  nobody mistakes a filtered list for a complete one (as `certbot.inbound.clearance` does for
  chat replies).
- `Viewer` is a signed-in person or an API client: a clearance (``tlp_max``), optionally one
  municipality (then it may only read that municipality's rows), and whether it is a named
  person (only persons may read TLP:RED). `Viewer.may_see` is `certbot.tlp.check` for a
  synthetic target of that viewer: the same rules as for every delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from certbot import tlp as tlp_rules
from certbot.config import OPERATOR, TargetConfig
from certbot.model import TLP

AckStatus = Literal[
    "not_remediated", "acknowledged", "remediation_in_progress", "remediation_done", "not_affected"
]
TlpLabel = Literal["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]


def label_of(tlp: TLP | None) -> TlpLabel:
    """The label shown for a TLP; an unknown one is shown (and treated) as RED."""
    label: TlpLabel = (TLP.RED if tlp is None else tlp).label  # type: ignore[assignment]
    return label


@dataclass(frozen=True)
class Viewer:
    """Who reads: a clearance, optionally one municipality, person or machine."""

    tlp_max: TLP
    municipality: str | None = None  # None: the whole sector (operators)
    personal: bool = False  # a named individual: may read RED (within tlp_max)

    @cached_property
    def _target(self) -> TargetConfig:
        return TargetConfig.model_construct(
            id="viewer", kind="web", tlp_max=self.tlp_max, personal=self.personal
        )

    def may_see(self, tlp: TLP | None, concerned: str | None) -> bool:
        """May an item with label ``tlp`` (None: unknown, as RED) concerning ``concerned`` (a
        municipality id; None: the sector, or several) be shown in full?"""
        owner = self.municipality or OPERATOR
        where = concerned if concerned is not None else (self.municipality or OPERATOR)
        rule = tlp_rules.check(tlp, self._target, target_owner=owner, concerned=where)
        return rule is None

    def may_read(self, municipality: str) -> bool:
        """A municipality-scoped viewer reads only its own municipality's rows."""
        return self.municipality is None or self.municipality == municipality


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Restricted(Out):
    """Something with a TLP whose text may be withheld from a viewer without the clearance."""

    tlp: TlpLabel = Field(description="TLP 2.0 label; an unknown label is shown as TLP:RED")
    withheld: bool = Field(
        default=False, description="true: above the reader's clearance; text fields are null"
    )

    def _concerned(self, viewer: Viewer) -> str | None:
        return viewer.municipality

    def _withhold(self) -> None:
        raise NotImplementedError

    def bounded(self: R, viewer: Viewer) -> R:
        """This object as ``viewer`` may see it (a copy with text withheld, or itself)."""
        if viewer.may_see(TLP.parse(self.tlp), self._concerned(viewer)):
            return self
        copy = self.model_copy(deep=True)
        copy.withheld = True
        copy._withhold()
        return copy


R = TypeVar("R", bound=Restricted)


# --- cases and their matches ----------------------------------------------------------------


class MatchedItem(Out):
    item: str | None = Field(description="the inventory item that matched")
    verdict: Literal["affected", "possibly_affected"]
    confidence: str | None = Field(description="high, medium or low")
    rule: str | None = Field(description="cpe, purl, product_version, product_no_version, text")
    source: str | None = Field(description="the source that decided the verdict")


class MunicipalityMatch(Out):
    subscriber_id: str = Field(description="kommunenummer")
    name: str | None = None
    county: str | None = None
    priority: int = Field(ge=1, le=4)
    deadline: str | None = Field(description="earliest deadline of its matches (UTC, ISO 8601)")
    status: AckStatus
    overdue: bool = Field(description="past the deadline and neither patched nor not affected")
    status_at: str | None = None
    alerted_at: str | None = None
    items: list[MatchedItem] = []


class CaseSummary(Restricted):
    id: str = Field(description="the full case id (paste it into `explain`)")
    title: str | None = Field(description="untrusted advisory text; null when withheld")
    priority: int = Field(ge=1, le=4, description="the most urgent priority of any municipality")
    revision: int
    updated_at: str | None
    sources: list[str]
    municipalities: int = Field(description="municipalities alerted")
    acknowledged: int = Field(description="municipalities with any ack or status")
    patched: int
    not_affected: int
    overdue: int
    first_deadline: str | None

    def _withhold(self) -> None:
        self.title = None


class CaseDetail(CaseSummary):
    matches: list[MunicipalityMatch]


# --- outbox, acks, incidents ----------------------------------------------------------------


class DeliveryOut(Restricted):
    id: str
    case_id: str | None
    revision: int | None
    subscriber_id: str
    target_id: str
    channel: str
    kind: str
    priority: int | None
    status: str = Field(description="pending, sending, sent, dead, blocked, digest, digested")
    attempts: int
    created_at: str | None
    next_attempt_at: str | None
    sent_at: str | None
    last_error: str | None = Field(description="null when withheld")

    def _concerned(self, viewer: Viewer) -> str | None:
        return self.subscriber_id

    def _withhold(self) -> None:
        self.last_error = None


class AckEvent(Out):
    status: str
    by: str | None = None
    at: str | None = None
    comment: str | None = None


class AckOut(Restricted):
    case_id: str
    subscriber_id: str
    status: AckStatus
    by: str | None
    at: str | None
    comment: str | None = Field(description="free text from the municipality; null when withheld")
    history: list[AckEvent]

    def _concerned(self, viewer: Viewer) -> str | None:
        return self.subscriber_id

    def _withhold(self) -> None:
        self.comment = None
        for event in self.history:
            event.comment = None


class IncidentEvent(Out):
    at: str
    status: str | None
    comment: str | None


class IncidentOut(Restricted):
    id: str
    municipality: str
    status: str = Field(description="new, in-progress, forwarded, resolved")
    created_at: str | None
    rsit_class: str | None
    rsit_type: str | None
    related_advisories: list[str]
    what_happened: str | None = Field(description="untrusted free text; null when withheld")
    measures: str | None
    history: list[IncidentEvent]

    def _concerned(self, viewer: Viewer) -> str | None:
        return self.municipality

    def _withhold(self) -> None:
        self.what_happened = self.measures = self.rsit_type = None
        self.related_advisories = []
        for event in self.history:
            event.comment = None


# --- feeds --------------------------------------------------------------------------------


class FeedStatus(Out):
    id: str
    kind: str
    enabled: bool
    interval_seconds: int
    last_polled: str | None
    last_success: str | None
    last_error: str | None
    items: int = Field(description="advisories stored from this feed")
    consecutive_failures: int
    polls: int
    next_poll: str | None = Field(description="last poll plus the interval (estimate)")
    rejected_documents: int = Field(description="CSAF documents rejected, fetched again")


# --- the sector summary -------------------------------------------------------------------


class PriorityCount(Out):
    priority: int = Field(ge=1, le=4)
    cases: int = Field(description="open cases whose most urgent priority is this one")
    municipalities: int = Field(description="municipalities with an open alert at this priority")


class RollUp(Out):
    """Open alerts and their state for one county or one municipality."""

    id: str = Field(description="county number (2 digits) or kommunenummer (4 digits)")
    name: str
    open: int = Field(description="alerts neither patched nor not affected")
    open_p1: int
    open_p2: int
    acknowledged: int
    patched: int
    not_affected: int
    overdue: int


class TrendDay(Out):
    date: str = Field(description="YYYY-MM-DD (UTC)")
    p1: int = Field(description="cases open at P1 for some municipality at the end of the day")
    p2: int


class SectorSummary(Out):
    generated_at: str
    open_cases: int
    open_by_priority: list[PriorityCount]
    affected_municipalities: int
    acknowledged: int
    patched: int
    not_affected: int
    overdue: int
    median_hours_to_acknowledge: float | None
    median_hours_to_patch: float | None
    counties: list[RollUp]
    municipalities: list[RollUp]
    trend: list[TrendDay] = Field(description="open P1/P2 cases per day, oldest first")


__all__ = [
    "AckEvent",
    "AckOut",
    "AckStatus",
    "CaseDetail",
    "CaseSummary",
    "DeliveryOut",
    "FeedStatus",
    "IncidentEvent",
    "IncidentOut",
    "MatchedItem",
    "MunicipalityMatch",
    "PriorityCount",
    "Restricted",
    "RollUp",
    "SectorSummary",
    "TrendDay",
    "Viewer",
    "label_of",
]
