"""Targets: where a municipality (or the operator) receives messages.

Contract: `TargetConfig` holds the keys every kind shares (id, kind, address, secret, TLP and
priority limits, personal/public/suppliers, escalation, digest). What a kind needs of its
address, its secret, and whether it can reach exactly one person comes from the channel class
registered for that kind (`certbot.channels`), never from a list of kinds here. The TLP rules
sit next to the fields: a public target is CLEAR only, a supplier-shared one never
AMBER+STRICT, and RED needs ``personal: true`` on a kind that can be one person.
``role: leadership`` marks a target for the weekly leadership report (`certbot.report`); it
gets no technical alerts unless it sets ``alerts: true`` (`takes_alerts`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from certbot.channels import channel_class, channel_kinds
from certbot.config.common import SecretRef, Strict, no_secret, parse_priority, parse_tlp
from certbot.config.yaml_lines import FieldProblem
from certbot.model import TLP, Priority


def expected(kinds: tuple[str, ...]) -> str:
    """Pydantic's wording for a choice: ``'a', 'b' or 'c'``."""
    quoted = [repr(k) for k in kinds]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def known_kind(value: Any, kinds: tuple[str, ...]) -> str:
    """``value`` if it is one of the registered ``kinds``; else the same error as a Literal."""
    if value not in kinds:
        raise PydanticCustomError(
            "literal_error",
            "Input should be {expected}",
            {"expected": expected(kinds)},
        )
    return str(value)


class TargetConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: str  # a registered channel kind (certbot.channels)
    address: str | None = None  # e-mail address, file path, Slack channel id, Telegram chat id
    secret: SecretRef | None = None  # Teams webhook URL, or a per-target token
    tlp_max: TLP = TLP.GREEN
    min_priority: Priority = Priority.P4
    personal: bool = False  # a named individual (DM, personal e-mail): may receive RED
    public: bool = False  # open to anyone: CLEAR only
    suppliers: bool = False  # shared with suppliers/partners: never AMBER+STRICT
    escalation: bool = False  # receives escalations of unacknowledged P1 (issue 5)
    digest: bool = True  # P3/P4 go into daily/weekly digests rather than one message each
    # Who reads it (issue 14.4): "leadership" gets the weekly report and, unless
    # ``alerts: true``, no technical alerts; "technical" (the default) gets the alerts.
    role: Literal["technical", "leadership"] = "technical"
    alerts: bool | None = None  # default: True for technical targets, False for leadership

    @property
    def takes_alerts(self) -> bool:
        """Whether planning sends this target technical alerts, updates and digests."""
        return self.alerts if self.alerts is not None else self.role != "leadership"

    _t = field_validator("tlp_max", mode="before")(classmethod(lambda cls, v: parse_tlp(v)))
    _p = field_validator("min_priority", mode="before")(
        classmethod(lambda cls, v: parse_priority(v))
    )

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> str:
        return known_kind(v, channel_kinds())

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)  # Telegram chat ids are numbers in YAML
        return no_secret(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _per_kind(self) -> TargetConfig:
        channel = channel_class(self.kind)
        assert channel is not None  # the kind was checked against the registry
        if channel.env_ref_help and self.secret is None:
            raise FieldProblem("secret", channel.env_ref_help)
        if channel.address_help and not self.address:
            raise FieldProblem(
                "address", f"a {self.kind} target needs 'address': {channel.address_help}"
            )
        problem = channel.target_problem(self)
        if problem is not None:
            raise FieldProblem(*problem)
        if self.personal and not channel.can_be_personal(self):
            raise FieldProblem(
                "personal", channel.not_personal_help.format(address=self.address or "")
            )
        self._check_tlp()
        if self.escalation and not self.takes_alerts:
            raise FieldProblem(
                "escalation",
                "a leadership target gets no alerts, so nothing to escalate; "
                "set alerts: true or remove escalation",
            )
        return self

    def _check_tlp(self) -> None:
        if self.public and self.personal:
            raise FieldProblem("personal", "a target cannot be both 'public' and 'personal'")
        if self.public and self.tlp_max > TLP.CLEAR:
            raise FieldProblem(
                "tlp_max", "a public target may only receive TLP:CLEAR; set tlp_max: CLEAR"
            )
        if self.suppliers and self.tlp_max >= TLP.AMBER_STRICT:
            raise FieldProblem(
                "tlp_max",
                "a target shared with suppliers may not receive TLP:AMBER+STRICT or RED; "
                "set tlp_max: AMBER or lower",
            )
        if not self.personal and self.tlp_max == TLP.RED:
            raise FieldProblem(
                "tlp_max",
                "only personal targets may receive TLP:RED; set personal: true if this reaches "
                "one named person, or lower tlp_max to AMBER+STRICT",
            )
