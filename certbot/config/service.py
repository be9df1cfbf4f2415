"""The ``service:`` section of feeds.yaml: time zone, operators, SMTP, priority thresholds,
dispatch and routing settings, chat tokens, inbound listeners and the output directory.

Contract: every model is `Strict` (unknown keys are errors) and checks its own cross-field
rules; secrets are `SecretRef`s, never values. ``output_dir`` (default ``out``, relative to the
config directory) is the only place ``kind: file`` targets may write.
"""

from __future__ import annotations

from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from certbot.config.api import ApiConfig
from certbot.config.common import Person, SecretRef, Strict, parse_duration, unique_ids
from certbot.config.provider import ProviderConfig
from certbot.config.publish import PublishConfig
from certbot.config.targets import TargetConfig
from certbot.config.web import WebConfig
from certbot.config.yaml_lines import FieldProblem


class SmtpConfig(Strict):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: SecretRef | None = None
    sender: str = "certbot@localhost"
    timeout: float = Field(default=30.0, gt=0)
    validate_certs: bool = True

    @model_validator(mode="after")
    def _auth(self) -> SmtpConfig:
        if "@" not in self.sender:
            raise FieldProblem("sender", f"{self.sender!r} is not an e-mail address")
        if self.username is not None and self.password is None:
            raise FieldProblem("password", "'username' needs 'password: {env: NAME}'")
        return self


class PriorityConfig(Strict):
    p1_cvss: float = Field(default=9.0, ge=0, le=10)
    p2_cvss: float = Field(default=7.0, ge=0, le=10)
    p3_cvss: float = Field(default=4.0, ge=0, le=10)
    p2_epss: float = Field(default=0.1, ge=0, le=1)
    p1_hours: int = Field(default=24, ge=1)
    p2_days: int = Field(default=7, ge=1)
    # SSVC deployer priority (certbot/ssvc.py); the CVSS thresholds above are no longer used.
    poc_epss: float = Field(default=0.1, ge=0, le=1)  # EPSS at/above: exploitation none -> poc
    p3_days: int | None = Field(default=30, ge=1)
    p4_days: int | None = Field(default=None, ge=1)
    kev_due_date_is_deadline: bool = False  # CISA's US federal due date as our deadline

    @model_validator(mode="after")
    def _ordered(self) -> PriorityConfig:
        if not self.p1_cvss >= self.p2_cvss >= self.p3_cvss:
            raise FieldProblem("p2_cvss", "the CVSS thresholds must satisfy p1 >= p2 >= p3")
        return self


class DispatchConfig(Strict):
    max_attempts: int = Field(default=8, ge=1)
    backoff_base: float = Field(default=30.0, gt=0)
    backoff_cap: float = Field(default=3600.0, gt=0)
    concurrency: int = Field(default=8, ge=1)

    @model_validator(mode="after")
    def _cap(self) -> DispatchConfig:
        if self.backoff_cap < self.backoff_base:
            raise FieldProblem("backoff_cap", "must be at least backoff_base")
        return self


class RoutingConfig(Strict):
    daily_digest: time = time(8, 0)
    weekly_digest_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    weekly_digest: time = time(8, 0)
    # First poll of a feed, a new municipality or item: cases first published longer ago than
    # this go in one "Status ved oppstart" message per target, not as immediate alerts.
    baseline_days: int = Field(default=30, ge=0)
    # Several cases from one vendor for one municipality in one poll: one message per target
    # listing them (certbot.planning.bursts); false sends each case on its own.
    group_bursts: bool = True


class InboundConfig(Strict):
    """What the bot listens to. Each part that is switched on refuses to start without its
    verification secret (Telegram webhook secret token, Slack signing secret, link key)."""

    listen: str = Field(default="127.0.0.1:8080", pattern=r"^[\w.:\[\]-]+:\d{1,5}$")
    telegram: Literal["off", "polling", "webhook"] = "off"
    slack: bool = False
    links: bool = False


class ServiceConfig(Strict):
    timezone: str = "Europe/Oslo"
    operators: tuple[Person, ...] = ()
    operator_targets: tuple[TargetConfig, ...] = ()
    smtp: SmtpConfig = SmtpConfig()
    priority: PriorityConfig = PriorityConfig()
    dispatch: DispatchConfig = DispatchConfig()
    routing: RoutingConfig = RoutingConfig()
    slack_token: SecretRef = SecretRef(env="SLACK_BOT_TOKEN")
    telegram_token: SecretRef = SecretRef(env="TELEGRAM_BOT_TOKEN")
    slack_base_url: str | None = None  # for local fakes
    telegram_base_url: str | None = None  # for local fakes
    public_url: str = "http://localhost:8080"  # where signed links point (issue 5)
    telegram_webhook_secret: SecretRef | None = None  # webhook mode refuses to start without
    slack_signing_secret: SecretRef | None = None  # Slack inbound refuses to start without
    link_secret: SecretRef | None = None  # HMAC key of the signed ack/status links
    link_ttl: int = Field(default=14 * 86400, ge=60)  # seconds a signed link stays valid
    escalation_after: int = Field(default=7200, ge=60)  # seconds before an unacked P1 escalates
    inbound: InboundConfig | None = None  # acks, status and incident reports back from chat
    provider: ProviderConfig | None = None  # the CSAF provider `run` serves (issue 13)
    publish: PublishConfig = PublishConfig()  # the team's own advisories (issue 13)
    web: WebConfig | None = None  # the web overview and its sign-in (certbot.web)
    api: ApiConfig | None = None  # the JSON API, /metrics, /healthz, /readyz (issue 14)

    _durs = field_validator("link_ttl", "escalation_after", mode="before")(
        classmethod(lambda cls, v: parse_duration(v))
    )
    subscribers_dir: str = "subscribers"  # relative to the config directory
    output_dir: str = Field(default="out", min_length=1)  # where file targets may write

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception:
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as Europe/Oslo"
            ) from None
        return v

    @field_validator("operator_targets")
    @classmethod
    def _unique_targets(cls, v: tuple[TargetConfig, ...]) -> tuple[TargetConfig, ...]:
        unique_ids(v, "target")
        return v
