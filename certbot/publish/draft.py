"""The team's own advisory: the draft an operator writes, and the published record.

A draft is YAML, or Markdown with YAML front matter (the Markdown body is then ``details``).
These models are the one shape that the publish path (`certbot.publish.publish`) stores and
sends, and that the CSAF writer (`certbot.publish.csaf_writer`) turns into a CSAF 2.0
document. Reading a file and reporting errors with line numbers is `certbot.publish.load`'s
job; this module is pure data with its own field rules.

    Draft              what the operator wrote (id optional: assigned at first publish)
    PublishedAdvisory  a draft with its id, revision number, status and history
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

TlpLabel = Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
KOMMUNENUMMER = re.compile(r"^\d{4}$")
FYLKESNUMMER = re.compile(r"^\d{2}$")


def _each(pattern: re.Pattern[str], what: str) -> AfterValidator:
    """The rule that every entry of a tuple matches ``pattern``; the error names the others."""

    def check(v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [x for x in v if not pattern.match(x)]
        if bad:
            raise ValueError(f"not {what}: {', '.join(bad)}")
        return v

    return AfterValidator(check)


CveIds = Annotated[tuple[str, ...], _each(CVE_ID, "a CVE id (CVE-YYYY-NNNN)")]
Kommunenumre = Annotated[tuple[str, ...], _each(KOMMUNENUMMER, "a four-digit kommunenummer")]
Fylkesnumre = Annotated[tuple[str, ...], _each(FYLKESNUMMER, "a two-digit fylkesnummer")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Product(_Strict):
    """One affected product. ``versions`` is a ``vers:`` range (``vers:generic/>=7.2.0|<7.2.7``)
    or one of the prose forms certbot reads ("7.2.0 til 7.2.6", "før 7.2.7"); None means every
    version. ``fixed`` lists the first fixed version per branch."""

    vendor: str = Field(min_length=1)
    product: str = Field(min_length=1)
    versions: str | None = None
    fixed: tuple[str, ...] = ()
    cpe: str | None = None
    purl: str | None = None


class Recipients(_Strict):
    """Explicit recipients on top of inventory matching (kommunenummer, fylkesnummer)."""

    municipalities: Kommunenumre = ()
    counties: Fylkesnumre = ()


class Draft(_Strict):
    """What the operator wrote. Text in bokmål; the ``*_en`` fields are optional English."""

    id: str | None = None  # e.g. KCERT-2026-0001; assigned at first publish when missing
    title: str = Field(min_length=1)
    title_en: str | None = None
    tlp: TlpLabel
    summary: str = Field(min_length=1)
    summary_en: str | None = None
    details: str = ""
    details_en: str | None = None
    cves: CveIds = ()
    products: tuple[Product, ...] = ()
    exploited: bool = False
    cvss: float | None = Field(default=None, ge=0, le=10)
    actions: tuple[str, ...] = ()
    actions_en: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    recipients: Recipients = Recipients()


class Revision(_Strict):
    """One entry of the revision history (CSAF ``document.tracking.revision_history``)."""

    number: int = Field(ge=1)
    date: datetime
    summary: str  # what changed, in bokmål ("Første versjon", "Rettet versjon lagt til")
    operator: str  # who published it (OS user or --as), for the audit


class PublishedAdvisory(_Strict):
    """A published advisory: the current draft content with its assigned id, its revision
    number (1 at first publish), its history and whether it was withdrawn."""

    draft: Draft  # draft.id is always set here
    revision: int = Field(ge=1)
    status: Literal["current", "withdrawn"] = "current"
    initial: datetime  # first publication
    current: datetime  # this revision's publication
    history: tuple[Revision, ...]
    withdraw_reason: str | None = None

    @property
    def id(self) -> str:
        assert self.draft.id is not None
        return self.draft.id
