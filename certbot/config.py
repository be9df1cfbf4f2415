"""Configuration: feeds.yaml (sources and service settings) and subscribers/*.yaml.

Strict: unknown keys are errors, cross-field rules sit next to the fields, and `load_config`
collects every problem in every file before it raises one `ConfigError` listing them all, one
per line, as ``file: key.path: what is wrong and how to fix it (line N)``.

YAML is read with YAML 1.2 integers (``0301`` stays text, ``22:00`` is not the number 1320)
and duplicate keys are errors: a silently dropped ``tlp_max`` is a leak waiting to happen.

Secrets never live in YAML. A target or service setting names an environment variable
(``secret: {env: TEAMS_WEBHOOK_0301}``); the value is read from that variable or from the file
named by ``<VAR>_FILE`` when it is needed (`read_secret`). Addresses and URLs that look like
credentials (Slack tokens, Teams webhook URLs, ``?sig=``) are refused.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from certbot.errors import ConfigError
from certbot.model import TLP, Priority

SOURCE_KINDS = ("rss", "kev", "csaf", "stix", "taxii", "epss", "nvd")
CHANNEL_KINDS = ("email", "file", "slack", "teams", "telegram")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
SUBSCRIBER_FILE = re.compile(r"^(\d{4})-[a-z0-9æøå-]+\.ya?ml$")
# Things that look like credentials and must not be written into YAML.
SECRET_LOOKING = re.compile(
    r"(xox[abposre]-|xapp-|[?&](sig|token|api_?key|key|password|secret|access_token)=|"
    r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b|webhook\.office\.com|logic\.azure\.com|"
    r"api\.powerplatform\.com|hooks\.slack\.com|api\.telegram\.org/bot|//[^/@\s]+:[^/@\s]+@)",
    re.IGNORECASE,
)
CREDENTIAL_ADVICE = (
    "this looks like a secret (token, password or webhook URL); remove it from the file, put it "
    "in an environment variable and name that with 'secret: {env: NAME}'"
)
# County number (first two digits of a kommunenummer, 2024 numbering) -> accepted county names.
COUNTIES: dict[str, tuple[str, ...]] = {
    "03": ("Oslo",),
    "11": ("Rogaland",),
    "15": ("Møre og Romsdal",),
    "18": ("Nordland",),
    "31": ("Østfold",),
    "32": ("Akershus",),
    "33": ("Buskerud",),
    "34": ("Innlandet",),
    "39": ("Vestfold",),
    "40": ("Telemark",),
    "42": ("Agder",),
    "46": ("Vestland",),
    "50": ("Trøndelag", "Trööndelage"),
    "55": ("Troms", "Romsa", "Tromssa"),
    "56": ("Finnmark", "Finnmárku", "Finmarkku"),
}
# Telegram ids that stand for "someone anonymous", never a person (DOMAIN.md).
ANONYMOUS_TELEGRAM_IDS = ("1087968824", "777000", "136817688")
# NIST IR 7695 formatted-string pattern for CPE 2.3 names.
_CPE_AVSTRING = (
    r"(((\?*|\*?)([a-zA-Z0-9\-._]|(\\[\\*?!\"#$%&'()+,/:;<=>@\[\]\^`{|}~]))+(\?*|\*?))|[*\-])"
)
CPE23 = re.compile(
    rf"^cpe:2\.3:[aho*\-](:{_CPE_AVSTRING}){{5}}"
    rf"(:(([a-zA-Z]{{2,3}}(-([a-zA-Z]{{2}}|[0-9]{{3}}))?)|[*\-]))(:{_CPE_AVSTRING}){{4}}$"
)


class FieldProblem(ValueError):
    """A cross-field rule broken at one key below the model being validated.

    Pydantic reports a model validator's error at the model's own location; `format_validation`
    appends ``key`` so the problem line names the key to fix (``targets[2].tlp_max``).
    """

    def __init__(self, key: str | tuple[str | int, ...], message: str):
        self.key: tuple[str | int, ...] = (key,) if isinstance(key, str) else key
        super().__init__(message)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _parse_duration(value: Any) -> int:
    """'15m', '1h', '30s', '2d' or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError("give a duration such as '15m', '1h' or '1d', not true/false")
    if isinstance(value, int | float):
        return int(value)
    m = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", str(value))
    if not m:
        raise ValueError(
            f"{value!r} is not a duration; write a number with s, m, h or d, "
            "e.g. '90s', '15m', '1h', '1d', or a number of seconds"
        )
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _tlp(value: Any) -> TLP:
    if isinstance(value, TLP):
        return value
    parsed = TLP.parse(str(value))
    if parsed is None:
        raise ValueError(
            f"{value!r} is not a TLP 2.0 label; use one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED"
        )
    return parsed


def _priority(value: Any) -> Priority:
    if isinstance(value, Priority):
        return value
    try:
        return Priority.parse(value)
    except (KeyError, ValueError):
        raise ValueError(f"{value!r} is not a priority; use one of P1, P2, P3, P4") from None


def _no_secret(value: str | None) -> str | None:
    if value is not None and SECRET_LOOKING.search(value):
        raise ValueError(CREDENTIAL_ADVICE)
    return value


class SecretRef(Strict):
    """Where a secret comes from: ``env`` names a variable; ``<env>_FILE`` may name a file."""

    env: str

    @field_validator("env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if not ENV_NAME.match(v):
            raise ValueError(
                "name an environment variable (capitals, digits and _, e.g. TEAMS_WEBHOOK_0301), "
                "not the secret itself"
            )
        return v


def read_secret(env: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The secret from ``$ENV`` or from the file at ``$ENV_FILE``; None if neither is set or
    the value is empty. An unreadable ``_FILE`` raises `ConfigError` (naming the path, never
    the secret)."""
    environ = os.environ if environ is None else environ
    value = (environ.get(env) or "").strip()
    if value:
        return value
    path = (environ.get(f"{env}_FILE") or "").strip()
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ConfigError(
            [f"environment: {env}_FILE: cannot read {path} ({reason}); fix the path or permissions"]
        ) from None
    return text or None


class FeedConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["rss", "kev", "csaf", "stix", "taxii", "epss", "nvd"]
    url: str | None = None
    path: str | None = None
    name: str = ""
    interval: int = 900
    enabled: bool = True
    language: Literal["nb", "nn", "en", "de", "sv", "da"] = "en"
    tlp: TLP = TLP.CLEAR  # label for items that carry none (RSS)
    allow_private: bool = False  # explicit opt-in to loopback/private addresses and http
    max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    timeout: float = Field(default=30.0, gt=0)
    # Structured sources (CSAF, STIX, TAXII, NVD):
    fingerprints: tuple[str, ...] = ()  # pinned OpenPGP key fingerprints (CSAF)
    token: SecretRef | None = None  # bearer token for access-protected feeds
    username: str | None = None  # basic auth user (password from `token`)
    client_cert: SecretRef | None = None  # PEM with certificate and key (TLS client auth)
    collection: str | None = None  # TAXII collection id
    enrich_nvd: bool = False

    _dur = field_validator("interval", mode="before")(
        classmethod(lambda cls, v: _parse_duration(v))
    )
    _t = field_validator("tlp", mode="before")(classmethod(lambda cls, v: _tlp(v)))
    _u = field_validator("url")(classmethod(lambda cls, v: _no_secret(v)))

    @field_validator("interval")
    @classmethod
    def _interval_bounds(cls, v: int) -> int:
        if v < 60:
            raise ValueError("poll no more often than every 60 seconds; use '1m' or more")
        return v

    @field_validator("fingerprints")
    @classmethod
    def _fingerprints(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for fpr in v:
            if not re.fullmatch(r"[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}", fpr):
                raise ValueError(
                    f"{fpr!r} is not an OpenPGP fingerprint; give the 40 (or 64) hex digits "
                    "without spaces"
                )
        return v

    @model_validator(mode="after")
    def _url_or_path(self) -> FeedConfig:
        if self.url is None and self.path is None:
            raise FieldProblem("url", "give 'url' (https://...) or 'path' (a local file)")
        if self.url is not None and self.path is not None:
            raise FieldProblem("path", "give either 'url' or 'path', not both; remove one")
        if self.url is not None:
            if self.url.startswith("http://") and not self.allow_private:
                raise FieldProblem(
                    "url",
                    "the address is http://, not https://; use https, or set "
                    "allow_private: true for a local test server",
                )
            if not self.url.startswith(("https://", "http://")):
                raise FieldProblem("url", f"{self.url!r} must start with https://")
        if self.username is not None and self.token is None:
            raise FieldProblem("token", "'username' needs 'token: {env: NAME}' for the password")
        return self


class TargetConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["email", "file", "slack", "teams", "telegram"]
    address: str | None = None  # e-mail address, file path, Slack channel id, Telegram chat id
    secret: SecretRef | None = None  # Teams webhook URL, or a per-target token
    tlp_max: TLP = TLP.GREEN
    min_priority: Priority = Priority.P4
    personal: bool = False  # a named individual (DM, personal e-mail): may receive RED
    public: bool = False  # open to anyone: CLEAR only
    suppliers: bool = False  # shared with suppliers/partners: never AMBER+STRICT
    escalation: bool = False  # receives escalations of unacknowledged P1 (issue 5)
    digest: bool = True  # P3/P4 go into daily/weekly digests rather than one message each

    _t = field_validator("tlp_max", mode="before")(classmethod(lambda cls, v: _tlp(v)))
    _p = field_validator("min_priority", mode="before")(classmethod(lambda cls, v: _priority(v)))

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)  # Telegram chat ids are numbers in YAML
        return _no_secret(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _per_kind(self) -> TargetConfig:
        if self.kind == "teams" and self.secret is None:
            raise FieldProblem(
                "secret",
                "a teams target needs 'secret: {env: NAME}' naming the environment variable "
                "that holds the Workflows webhook URL",
            )
        if self.kind != "teams" and not self.address:
            what = {
                "email": "an e-mail address",
                "file": "a file path for the JSON Lines output",
                "slack": "a Slack channel id (C0123ABCD) or user id (U0123ABCD)",
                "telegram": "a Telegram chat id (-100... for a group, a number for a person)",
            }[self.kind]
            raise FieldProblem("address", f"a {self.kind} target needs 'address': {what}")
        self._check_address()
        self._check_tlp()
        return self

    def _check_address(self) -> None:
        a = self.address or ""
        if self.kind == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", a):
            raise FieldProblem("address", f"{a!r} is not an e-mail address (name@example.no)")
        if self.kind == "slack" and not re.fullmatch(r"[CGDUW][A-Z0-9]{2,}", a):
            raise FieldProblem(
                "address",
                f"{a!r} is not a Slack id; use the channel id (C0123ABCD, under the channel's "
                "details) or a user id (U0123ABCD), not the #name",
            )
        if self.kind == "telegram" and not re.fullmatch(r"-?\d+|@[A-Za-z]\w{4,}", a):
            raise FieldProblem(
                "address", f"{a!r} is not a Telegram chat id; use a number such as -1001234567890"
            )
        if self.personal and (
            (self.kind == "slack" and a[:1] in "CG") or (self.kind == "telegram" and a[:1] in "-@")
        ):
            raise FieldProblem(
                "personal",
                f"{a!r} is a channel or group, not one person; use the person's user id or "
                "set personal: false",
            )

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


@functools.lru_cache(maxsize=65536)
def _is_cpe23(cpe: str) -> bool:
    return CPE23.match(cpe) is not None


@functools.lru_cache(maxsize=65536)
def _purl_problem(purl: str) -> str | None:
    """Why ``purl`` is not a package URL, or None; parsed once per distinct string (400
    inventories name the same packages: start-up parsed ~12,000 of them)."""
    from packageurl import PackageURL

    try:
        PackageURL.from_string(purl)
    except ValueError as exc:
        return str(exc)
    return None


class InventoryItem(Strict):
    vendor: str = Field(min_length=1)
    product: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    version: str | None = None  # one exact version
    versions: str | None = None  # a vers: range, when several versions run
    cpe: str | None = None
    purl: str | None = None
    internet_facing: bool = False
    criticality: Literal["low", "medium", "high", "critical"] = "medium"
    # SSVC system exposure when not internet-facing (internet_facing means open).
    exposure: Literal["small", "controlled", "open"] | None = None
    note: str = ""

    @field_validator("version", mode="before")
    @classmethod
    def _version_str(cls, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            raise ValueError(
                f"YAML read the version as the number {v}; put it in quotes, e.g. "
                f'version: "{v}" (unquoted, 7.10 would become 7.1)'
            )
        return v

    @field_validator("cpe")
    @classmethod
    def _cpe(cls, v: str | None) -> str | None:
        if v is None or _is_cpe23(v):
            return v
        if v.startswith("cpe:/"):
            raise ValueError(
                "this is the old CPE 2.2 URI form; write the CPE 2.3 name, e.g. "
                "cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"
            )
        parts = len(re.split(r"(?<!\\):", v))
        why = (
            f"it has {parts} of the 13 colon-separated parts"
            if parts != 13
            else "the third part must be a, o or h, and no part may contain spaces"
        )
        raise ValueError(
            f"not a CPE 2.3 name: {why}; write e.g. cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"
        )

    @field_validator("purl")
    @classmethod
    def _purl(cls, v: str | None) -> str | None:
        if v is not None and (problem := _purl_problem(v)) is not None:
            raise ValueError(
                f"not a valid package URL ({problem}); write e.g. "
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
            )
        return v

    @field_validator("versions")
    @classmethod
    def _vers(cls, v: str | None) -> str | None:
        if v is not None:
            from certbot.versions import parse_range

            if parse_range(v) is None:
                raise ValueError(
                    "give a vers: range such as 'vers:generic/>=7.0.0|<7.2.9', or one exact "
                    "'version'"
                )
        return v

    @model_validator(mode="after")
    def _one_version_form(self) -> InventoryItem:
        if self.version is not None and self.versions is not None:
            raise FieldProblem(
                "versions", "give either 'version' (one) or 'versions' (a vers: range), not both"
            )
        if self.version is not None and self.cpe is not None:
            cpe_version = re.split(r"(?<!\\):", self.cpe)[5]
            if cpe_version not in ("*", "-") and cpe_version != self.version:
                raise FieldProblem(
                    "cpe",
                    f"the CPE names version {cpe_version!r} but 'version' is {self.version!r}; "
                    "make them agree (or put * in the CPE's version part)",
                )
        return self

    @property
    def display(self) -> str:
        v = self.version or self.versions or ""
        return f"{self.vendor} {self.product} {v}".strip()


class Person(Strict):
    """Who may act for a municipality through the bot (issue 5)."""

    platform: Literal["telegram", "slack", "web"]
    user_id: str
    name: str = ""
    role: Literal["responder", "viewer"] = "responder"

    @field_validator("user_id", mode="before")
    @classmethod
    def _str(cls, v: Any) -> str:
        return str(v)

    @model_validator(mode="after")
    def _id_form(self) -> Person:
        if self.platform == "telegram":
            if not self.user_id.isdigit():
                raise FieldProblem(
                    "user_id", f"{self.user_id!r} is not a Telegram user id (a positive number)"
                )
            if self.user_id in ANONYMOUS_TELEGRAM_IDS:
                raise FieldProblem(
                    "user_id",
                    f"{self.user_id} is Telegram's id for anonymous senders, not a person; "
                    "use the person's own user id",
                )
        if self.platform == "slack" and not re.fullmatch(r"[UW][A-Z0-9]{2,}", self.user_id):
            raise FieldProblem(
                "user_id", f"{self.user_id!r} is not a Slack user id (U0123ABCD, in the profile)"
            )
        return self


class QuietHours(Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise FieldProblem("end", "start and end are equal; remove quiet_hours to have none")
        return self


def _unique_ids(items: tuple[Any, ...], what: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise FieldProblem(
                (i, "id"), f"{what} id {item.id!r} is used twice; ids must be unique"
            )
        seen.add(item.id)


class SubscriberConfig(Strict):
    id: str = Field(pattern=r"^\d{4}$", description="kommunenummer")
    name: str = Field(min_length=1)
    county: str = Field(min_length=1)
    language: Literal["nb", "en"] = "nb"
    targets: tuple[TargetConfig, ...] = Field(min_length=1)
    inventory: tuple[InventoryItem, ...] = ()
    people: tuple[Person, ...] = ()
    quiet_hours: QuietHours | None = None
    daily_cap: int = Field(default=20, ge=1)

    @field_validator("targets")
    @classmethod
    def _unique_targets(cls, v: tuple[TargetConfig, ...]) -> tuple[TargetConfig, ...]:
        _unique_ids(v, "target")
        return v


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

    _durs = field_validator("link_ttl", "escalation_after", mode="before")(
        classmethod(lambda cls, v: _parse_duration(v))
    )
    subscribers_dir: str = "subscribers"  # relative to the config directory

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo

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
        _unique_ids(v, "target")
        return v


class FeedsFile(Strict):
    service: ServiceConfig = ServiceConfig()
    feeds: tuple[FeedConfig, ...] = ()

    @field_validator("feeds")
    @classmethod
    def _unique_ids(cls, v: tuple[FeedConfig, ...]) -> tuple[FeedConfig, ...]:
        _unique_ids(v, "feed")
        return v


class Config(BaseModel):
    """The whole loaded configuration."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    root: Path
    service: ServiceConfig
    feeds: tuple[FeedConfig, ...]
    subscribers: tuple[SubscriberConfig, ...]
    _targets: dict[tuple[str, str], TargetConfig] = PrivateAttr(default_factory=dict)
    files: dict[str, str] = Field(default_factory=dict)  # subscriber id -> file label

    def feed(self, feed_id: str) -> FeedConfig:
        for f in self.feeds:
            if f.id == feed_id:
                return f
        raise KeyError(feed_id)

    def subscriber(self, sub_id: str) -> SubscriberConfig:
        for s in self.subscribers:
            if s.id == sub_id:
                return s
        raise KeyError(sub_id)

    def target(self, sub_id: str, target_id: str) -> TargetConfig | None:
        """The target of a municipality (or of the operator); one dict look-up."""
        if self._targets.get(("", "")) is not self:  # empty, or shared by a model_copy
            self._targets = {("", ""): self}  # type: ignore[dict-item]
            self._targets.update(
                {(OPERATOR, t.id): t for t in self.service.operator_targets}
                | {(s.id, t.id): t for s in self.subscribers for t in s.targets}
            )
        return self._targets.get((sub_id, target_id))

    def resolve_path(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.root / p

    def file_of(self, sub_id: str) -> str:
        """The file label a subscriber came from (``subscribers/0301-oslo.yaml``)."""
        return self.files.get(sub_id, f"subscribers/{sub_id}")


OPERATOR = "operator"  # the pseudo-subscriber id of the sector response team's own targets


# --- reading YAML ---------------------------------------------------------------------------

_YAML12_INT = re.compile(r"^(?:[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?(?:0|[1-9][0-9_]*))$")


class _Strict12:
    """YAML 1.2 integers (no octal ``0301``, no base-60 ``22:00``) and no duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                continue  # unhashable key: the base class reports it
            if first != key_node.start_mark.line + 1:
                raise _DuplicateKey(str(key), first, key_node.start_mark.line + 1)
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class _Loader(_Strict12, yaml.SafeLoader):
    """The pure-Python loader: its node tree locates every problem by line."""


class _FastLoader(_Strict12, yaml.CSafeLoader):
    """The same rules over libyaml's parser (~10x faster); a file with any problem is read
    again with `_Loader` so that messages and lines are exactly the same."""


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, first: int, again: int):
        self.key, self.first, self.again = key, first, again
        super().__init__(key)


for _cls in (_Loader, _FastLoader):
    _cls.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _cls.add_implicit_resolver("tag:yaml.org,2002:int", _YAML12_INT, list("-+0123456789"))


class _NotSimple(Exception):
    """The document uses something `_simple_yaml` leaves to the full loader."""


_STR = "tag:yaml.org,2002:str"


def _simple_yaml(text: str) -> Any:
    """The data of a YAML document built straight from libyaml's events, with `_FastLoader`'s
    resolver and constructors but no node tree (start-up with 400 files: the tree was most of
    the time). Mappings, sequences and untagged scalars only: an anchor, alias, tag, merge key,
    duplicate key or second document raises `_NotSimple` and the caller uses `_FastLoader`."""
    loader = _FastLoader(text)
    scalars: dict[tuple[str, tuple[bool, bool]], Any] = {}
    stack: list[list[Any]] = []  # [container, key awaiting its value (mappings)]
    root: list[Any] = []
    _no_key = stack  # a sentinel no YAML key can be
    try:
        while True:
            ev = loader.get_event()
            if isinstance(ev, yaml.ScalarEvent):
                if ev.anchor is not None or ev.tag is not None:
                    raise _NotSimple
                ck = (ev.value, ev.implicit)
                if ck in scalars:
                    value = scalars[ck]
                else:
                    tag = loader.resolve(yaml.ScalarNode, ev.value, ev.implicit)
                    if tag == _STR:
                        value = ev.value
                    elif tag == "tag:yaml.org,2002:merge":
                        raise _NotSimple
                    else:
                        node = yaml.ScalarNode(tag, ev.value, style=ev.style)
                        value = loader.construct_object(node, deep=True)
                    scalars[ck] = value
            elif isinstance(ev, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if ev.anchor is not None or ev.tag is not None:
                    raise _NotSimple
                stack.append([{} if isinstance(ev, yaml.MappingStartEvent) else [], _no_key])
                continue
            elif isinstance(ev, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                value = stack.pop()[0]
            elif isinstance(ev, yaml.StreamEndEvent):
                break
            elif isinstance(ev, yaml.StreamStartEvent | yaml.DocumentStartEvent):
                if root:
                    raise _NotSimple  # a second document: the full loader refuses it
                continue
            elif isinstance(ev, yaml.DocumentEndEvent):
                continue
            else:
                raise _NotSimple  # an alias
            if not stack:
                root.append(value)
                continue
            top = stack[-1]
            if isinstance(top[0], list):
                top[0].append(value)
            elif top[1] is _no_key:
                if isinstance(value, dict | list) or value in top[0]:
                    raise _NotSimple
                top[1] = value
            else:
                top[0][top[1]] = value
                top[1] = _no_key
    finally:
        loader.dispose()
    return root[0] if root else None


def _path_to_line(node: yaml.Node, line: int, loc: tuple[str | int, ...] = ()) -> tuple[Any, ...]:
    """The key path of the mapping key written on ``line`` (1-based), or ()."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*loc, str(getattr(key, "value", "?")))
            if key.start_mark.line + 1 == line:
                return here
            found = _path_to_line(value, line, here)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _path_to_line(item, line, (*loc, i))
            if found:
                return found
    return ()


def _yaml_problem(label: str, exc: yaml.YAMLError, node: yaml.Node | None) -> str:
    if isinstance(exc, _DuplicateKey):
        path = _path_to_line(node, exc.again) if node is not None else ()
        return (
            f"{label}: {_loc(path) if path else exc.key}: the key appears twice "
            f"(lines {exc.first} and {exc.again}); keep one"
        )
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "an unknown place"
    what = getattr(exc, "problem", None) or "unreadable YAML"
    return (
        f"{label}: (syntax): YAML syntax error at {where}: {what}; check the indentation "
        "(spaces only) and quoting on that line and the line before"
    )


def _read_yaml(
    path: Path, problems: list[str], label: str, *, fast: bool = False
) -> tuple[Any, yaml.Node | None]:
    """(data, node tree) of one YAML file; (None, None) after adding a problem.

    ``fast`` parses with libyaml and returns no node tree (a first reading that must be
    repeated without it if the file turns out to have a problem)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(f"{label}: (file): cannot read the file ({exc.strerror})")
        return None, None
    except UnicodeDecodeError:
        problems.append(f"{label}: (file): not UTF-8 text; save the file as UTF-8")
        return None, None
    if fast:
        try:
            data = _simple_yaml(text)
        except _NotSimple:
            fast_loader = _FastLoader(text)
            try:
                data = fast_loader.get_single_data()
            except yaml.YAMLError:
                problems.append(f"{label}: (syntax): unreadable YAML")
                return None, None
            finally:
                fast_loader.dispose()
        except yaml.YAMLError:
            problems.append(f"{label}: (syntax): unreadable YAML")
            return None, None
        if data is None:
            problems.append(f"{label}: (top level): the file is empty")
        return data, None
    loader = _Loader(text)
    node = None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(label, exc, node))
        return None, None
    finally:
        loader.dispose()
    if data is None:
        problems.append(f"{label}: (top level): the file is empty; fill it in or delete it")
    return data, node


# --- formatting validation errors -------------------------------------------------------------

_PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9_-]*$": "use lowercase letters, digits, '-' and '_', e.g. 'nsm-varsler'",
    r"^\d{4}$": "give the four-digit kommunenummer in quotes, e.g. id: '0301'",
}


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    skip = ("after", "before", "wrap", "plain")
    return tuple(p for p in loc if not (str(p).startswith("function-") or p in skip))


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in _clean_loc(loc):
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(top level)"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _known_keys(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> list[str]:
    """The keys allowed in the mapping at ``loc`` below ``model``."""
    for part in loc:
        if model is None:
            return []
        if isinstance(part, str):
            field = model.model_fields.get(part)
            model = _model_in(field.annotation) if field else None
    return list(model.model_fields) if model else []


def _message(err: Any, model: type[BaseModel] | None) -> str:
    kind, ctx, loc = err["type"], err.get("ctx") or {}, _clean_loc(tuple(err["loc"]))
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _known_keys(model, loc[:-1]), n=1)
        if close:
            return f"unknown key (did you mean '{close[0]}'?); remove it or fix its spelling"
        return "unknown key; remove it or fix its spelling (the README lists every key)"
    simple = {
        "missing": "required key is missing; add it",
        "string_too_short": "must not be empty",
        "bool_type": "use true or false",
        "bool_parsing": "use true or false",
        "string_type": "expected text; put the value in quotes",
        "int_type": "expected a whole number",
        "int_parsing": "expected a whole number",
        "int_from_float": "expected a whole number",
        "float_type": "expected a number",
        "float_parsing": "expected a number",
        "time_type": "use a time of day in quotes, e.g. '22:00'",
        "time_parsing": "use a time of day in quotes, e.g. '22:00'",
        "model_type": "expected a mapping (key: value lines)",
        "model_attributes_type": "expected a mapping (key: value lines)",
        "dict_type": "expected a mapping (key: value lines)",
        "tuple_type": "expected a list (one '- ' item per line)",
    }
    if kind in simple:
        return simple[kind]
    if kind == "literal_error":
        return f"{err['input']!r} is not allowed; use {ctx['expected']}"
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(ctx.get("pattern", ""), str(err["msg"]))
    if kind == "too_short":
        return "must not be empty" if isinstance(err["input"], str) else "give at least one entry"
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le")}
    bounds |= {"greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx[key]}"
    return str(err["msg"]).removeprefix("Value error, ")


def _line_of(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest YAML node on the path ``loc`` (1-based)."""
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            pairs = [(k, v) for k, v in node.value if getattr(k, "value", None) == part]
            if not pairs:
                break
            line, node = pairs[0][0].start_mark.line + 1, pairs[0][1]  # the key's own line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def format_validation(
    file: str,
    exc: ValidationError,
    node: yaml.Node | None = None,
    model: type[BaseModel] | None = None,
) -> list[str]:
    """One ``file: key.path: message (line N)`` line per pydantic error."""
    problems = []
    for err in exc.errors():
        loc = _clean_loc(tuple(err["loc"]))
        error = (err.get("ctx") or {}).get("error")
        if isinstance(error, FieldProblem):
            loc = loc + error.key
        line = _line_of(node, loc) if node is not None else None
        where = f" (line {line})" if line else ""
        problems.append(f"{file}: {_loc(loc)}: {_message(err, model)}{where}")
    return problems


# --- loading ----------------------------------------------------------------------------------


def _load_feeds(root: Path, problems: list[str]) -> FeedsFile:
    feeds_path = root / "feeds.yaml"
    if not feeds_path.exists():
        problems.append(
            f"feeds.yaml: (file): not found in {root}; pass --config-dir or set CERTBOT_CONFIG_DIR"
        )
        return FeedsFile()
    raw, node = _read_yaml(feeds_path, problems, "feeds.yaml")
    if raw is None:
        return FeedsFile()
    if not isinstance(raw, dict):
        problems.append("feeds.yaml: (top level): expected a mapping with 'service:' and 'feeds:'")
        return FeedsFile()
    try:
        feeds_file = FeedsFile.model_validate(raw)
    except ValidationError as exc:
        problems.extend(format_validation("feeds.yaml", exc, node, FeedsFile))
        return FeedsFile()
    for idx, f in enumerate(feeds_file.feeds):
        if f.path is not None and not (root / f.path).exists():
            problems.append(
                f"feeds.yaml: feeds[{idx}].path: file {f.path!r} does not exist "
                f"(paths are relative to the config directory){_at(node, ('feeds', idx, 'path'))}"
            )
    return feeds_file


def _at(node: yaml.Node | None, loc: tuple[str | int, ...]) -> str:
    line = _line_of(node, loc)
    return f" (line {line})" if line else ""


def _county_problem(sub: SubscriberConfig, label: str, node: yaml.Node | None) -> str | None:
    names = COUNTIES.get(sub.id[:2])
    if names is None:
        known = ", ".join(f"{k} {v[0]}" for k, v in COUNTIES.items())
        return (
            f"{label}: id: '{sub.id}' is not a kommunenummer (2024 numbering): the first two "
            f"digits are the county number ({known}){_at(node, ('id',))}"
        )
    if not any(sub.county.casefold().startswith(n.casefold()) for n in names):
        return (
            f"{label}: county: kommunenummer {sub.id} lies in {names[0]}, not {sub.county!r}; "
            f"fix the county or the id{_at(node, ('county',))}"
        )
    return None


def _load_subscriber(path: Path, problems: list[str]) -> SubscriberConfig | None:
    """Read with libyaml first; a file with any problem is read again with the line-tracking
    loader, which gives the located messages (start-up with 400 files: ~20 s -> ~2 s)."""
    found: list[str] = []
    sub = _load_subscriber_with(path, found, fast=True)
    if not found:
        return sub
    return _load_subscriber_with(path, problems, fast=False)


def _load_subscriber_with(
    path: Path, problems: list[str], *, fast: bool
) -> SubscriberConfig | None:
    label = f"subscribers/{path.name}"
    m = SUBSCRIBER_FILE.match(path.name)
    if not m:
        problems.append(
            f"{label}: (file name): name the file <kommunenummer>-<name>.yaml in lowercase, "
            "e.g. 0301-oslo.yaml"
        )
    raw, node = _read_yaml(path, problems, label, fast=fast)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{label}: (top level): expected a mapping with id, name, county, targets")
        return None
    if isinstance(raw.get("id"), int) and not isinstance(raw.get("id"), bool):
        raw["id"] = f"{raw['id']:04d}"
    try:
        sub = SubscriberConfig.model_validate(raw)
    except ValidationError as exc:
        problems.extend(format_validation(label, exc, node, SubscriberConfig))
        return None
    if m and m.group(1) != sub.id:
        problems.append(
            f"{label}: id: '{sub.id}' does not match the kommunenummer '{m.group(1)}' in the "
            f"file name; rename the file or fix the id{_at(node, ('id',))}"
        )
    county = _county_problem(sub, label, node)
    if county:
        problems.append(county)
    return sub


def load_config(root: str | Path, *, only_subscribers: list[Path] | None = None) -> Config:
    """Load feeds.yaml and subscribers/*.yaml under ``root``; raise ConfigError with every
    problem found in every file."""
    root = Path(root).resolve()
    problems: list[str] = []
    feeds_file = _load_feeds(root, problems)
    sub_dir = (root / feeds_file.service.subscribers_dir).resolve()
    files = only_subscribers
    if files is None:
        files = sorted(sub_dir.glob("*.y*ml")) if sub_dir.is_dir() else []
        if not sub_dir.is_dir():
            problems.append(f"subscribers/: (directory): not found in {root}; create it")
    subscribers: list[SubscriberConfig] = []
    seen: dict[str, str] = {}
    for path in files:
        sub = _load_subscriber(path, problems)
        if sub is None:
            continue
        label = f"subscribers/{path.name}"
        if sub.id in seen:
            problems.append(
                f"{label}: id: '{sub.id}' is also used by {seen[sub.id]}; one file per municipality"
            )
            continue
        seen[sub.id] = label
        subscribers.append(sub)
    if problems:
        raise ConfigError(problems)
    return Config(
        root=root,
        service=feeds_file.service,
        feeds=feeds_file.feeds,
        subscribers=tuple(subscribers),
        files=seen,
    )


# --- secrets at start-up --------------------------------------------------------------------


def _secret_warning(where: str, ref: SecretRef, environ: Mapping[str, str] | None) -> str | None:
    try:
        if read_secret(ref.env, environ) is not None:
            return None
    except ConfigError as exc:
        return f"{where}: {exc.problems[0].split(': ', 2)[-1]}"
    return f"{where}: environment variable {ref.env} (or {ref.env}_FILE) is not set; set it"


def missing_secrets(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """Warnings for secrets the configuration names but the environment does not provide,
    each as ``file: key.path: message``."""
    checks: list[tuple[str, SecretRef]] = []
    for sub in config.subscribers:
        for i, t in enumerate(sub.targets):
            if t.secret:
                checks.append((f"{config.file_of(sub.id)}: targets[{i}].secret.env", t.secret))
    svc = config.service
    for i, t in enumerate(svc.operator_targets):
        if t.secret:
            checks.append((f"feeds.yaml: service.operator_targets[{i}].secret.env", t.secret))
    kinds_used = {t.kind for s in config.subscribers for t in s.targets}
    kinds_used |= {t.kind for t in svc.operator_targets}
    for kind, ref in (("slack", svc.slack_token), ("telegram", svc.telegram_token)):
        if kind in kinds_used:
            checks.append((f"feeds.yaml: service.{kind}_token.env", ref))
    if "email" in kinds_used and svc.smtp.password:
        checks.append(("feeds.yaml: service.smtp.password.env", svc.smtp.password))
    for i, f in enumerate(config.feeds):
        if f.token and f.enabled:
            checks.append((f"feeds.yaml: feeds[{i}].token.env", f.token))
        if f.client_cert and f.enabled:
            checks.append((f"feeds.yaml: feeds[{i}].client_cert.env", f.client_cert))
    warnings = (_secret_warning(where, ref, environ) for where, ref in checks)
    return [w for w in warnings if w]
