"""Configuration: feeds.yaml (sources and service settings) and subscribers/*.yaml.

Strict: unknown keys are errors, cross-field rules sit next to the fields, and `load_config`
collects every problem in every file before it raises one `ConfigError` listing them all as
``file: key.path: what is wrong (how to fix)``.

Secrets never live in YAML. A target or service setting names an environment variable
(``secret_env: TEAMS_WEBHOOK_OSLO``); the value is read from that variable or from the file
named by ``<VAR>_FILE`` when it is needed (`read_secret`).
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from certbot.errors import ConfigError
from certbot.model import TLP, Priority

SOURCE_KINDS = ("rss", "kev", "csaf", "stix", "taxii", "epss", "nvd")
CHANNEL_KINDS = ("email", "file", "slack", "teams", "telegram")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
SUBSCRIBER_FILE = re.compile(r"^(\d{4})-[a-z0-9æøå-]+\.ya?ml$")
# Things that look like credentials and must not be written into YAML.
SECRET_LOOKING = re.compile(
    r"(xox[abposr]-|[?&]sig=|\b\d{6,12}:[A-Za-z0-9_-]{30,}\b|webhook\.office\.com|"
    r"logic\.azure\.com|hooks\.slack\.com)",
    re.IGNORECASE,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _parse_duration(value: Any) -> int:
    """'15m', '1h', '30s', '2d' or a number of seconds -> seconds."""
    if isinstance(value, int | float):
        return int(value)
    m = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", str(value))
    if not m:
        raise ValueError("use seconds or a number with s, m, h or d, e.g. '15m'")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _tlp(value: Any) -> TLP:
    if isinstance(value, TLP):
        return value
    parsed = TLP.parse(str(value))
    if parsed is None:
        raise ValueError("use one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
    return parsed


def _priority(value: Any) -> Priority:
    if isinstance(value, Priority):
        return value
    try:
        return Priority.parse(value)
    except (KeyError, ValueError):
        raise ValueError("use one of P1, P2, P3, P4") from None


class SecretRef(Strict):
    """Where a secret comes from: ``env`` names a variable; ``<env>_FILE`` may name a file."""

    env: str

    @field_validator("env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if not ENV_NAME.match(v):
            raise ValueError("name an environment variable (A-Z, 0-9, _), not the secret itself")
        return v


def read_secret(env: str, environ: dict[str, str] | None = None) -> str | None:
    """The secret from ``$ENV`` or from the file at ``$ENV_FILE``; None if neither is set."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get(env):
        return environ[env].strip()
    path = environ.get(f"{env}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return None


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
    max_bytes: int = 20 * 1024 * 1024
    timeout: float = 30.0
    # Structured sources (CSAF, STIX, TAXII, NVD):
    fingerprints: tuple[str, ...] = ()  # pinned OpenPGP key fingerprints (CSAF)
    token: SecretRef | None = None  # bearer token for access-protected feeds
    username: str | None = None  # basic auth user (password from `token`)
    collection: str | None = None  # TAXII collection id
    enrich_nvd: bool = False

    _dur = field_validator("interval", mode="before")(classmethod(lambda cls, v: _parse_duration(v)))
    _t = field_validator("tlp", mode="before")(classmethod(lambda cls, v: _tlp(v)))

    @field_validator("interval")
    @classmethod
    def _interval_bounds(cls, v: int) -> int:
        if v < 60:
            raise ValueError("poll no more often than every 60 seconds ('1m')")
        return v

    @model_validator(mode="after")
    def _url_or_path(self) -> FeedConfig:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of 'url' (https://...) or 'path' (a local file)")
        if self.url is not None:
            if self.url.startswith("http://") and not self.allow_private:
                raise ValueError(
                    f"url {self.url!r} is not https; use https, or set allow_private: true "
                    "for a local test server"
                )
            if not self.url.startswith(("https://", "http://")):
                raise ValueError(f"url {self.url!r} must start with https://")
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

    @field_validator("address")
    @classmethod
    def _no_secret_in_address(cls, v: str | None) -> str | None:
        if v is not None and SECRET_LOOKING.search(v):
            raise ValueError(
                "this looks like a secret (token or webhook URL); put it in an environment "
                "variable and name it with 'secret: {env: NAME}'"
            )
        return v

    @model_validator(mode="after")
    def _per_kind(self) -> TargetConfig:
        if self.kind == "teams" and self.secret is None:
            raise ValueError(
                "a teams target needs 'secret: {env: NAME}' naming the variable that holds "
                "the Workflows webhook URL"
            )
        if self.kind in ("email", "file", "slack", "telegram") and not self.address:
            what = {
                "email": "an e-mail address",
                "file": "a file path for the JSON Lines output",
                "slack": "a Slack channel id (C0123...) or user id (U0123...)",
                "telegram": "a Telegram chat id",
            }[self.kind]
            raise ValueError(f"a {self.kind} target needs 'address': {what}")
        if self.kind == "email" and self.address and "@" not in self.address:
            raise ValueError(f"address {self.address!r} is not an e-mail address")
        if self.public and self.personal:
            raise ValueError("a target cannot be both 'public' and 'personal'")
        if self.public and self.tlp_max > TLP.CLEAR:
            raise ValueError("a public target may only receive TLP:CLEAR; set tlp_max: CLEAR")
        if not self.personal and self.tlp_max == TLP.RED:
            raise ValueError(
                "only personal targets may receive TLP:RED; set personal: true or lower tlp_max"
            )
        return self


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
    note: str = ""

    @field_validator("version", mode="before")
    @classmethod
    def _version_str(cls, v: Any) -> Any:
        if isinstance(v, int | float):
            raise ValueError(f"quote the version ('{v}') so YAML keeps it as text")
        return v

    @field_validator("cpe")
    @classmethod
    def _cpe(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith("cpe:2.3:") or v.count(":") < 12):
            raise ValueError(
                "give a CPE 2.3 formatted string with 13 parts, e.g. "
                "cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*"
            )
        return v

    @field_validator("purl")
    @classmethod
    def _purl(cls, v: str | None) -> str | None:
        if v is not None:
            from packageurl import PackageURL

            try:
                PackageURL.from_string(v)
            except ValueError as exc:
                raise ValueError(f"not a valid package URL ({exc})") from None
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
            raise ValueError("give either 'version' (one) or 'versions' (a vers: range), not both")
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


class QuietHours(Strict):
    start: time
    end: time


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

    @model_validator(mode="after")
    def _unique_targets(self) -> SubscriberConfig:
        ids = [t.id for t in self.targets]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"target ids must be unique within a municipality: {', '.join(dup)}")
        return self


class SmtpConfig(Strict):
    host: str = "localhost"
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: SecretRef | None = None
    sender: str = "certbot@localhost"
    timeout: float = 30.0
    validate_certs: bool = True


class PriorityConfig(Strict):
    p1_cvss: float = 9.0
    p2_cvss: float = 7.0
    p3_cvss: float = 4.0
    p2_epss: float = 0.1
    p1_hours: int = 24
    p2_days: int = 7


class DispatchConfig(Strict):
    max_attempts: int = Field(default=8, ge=1)
    backoff_base: float = Field(default=30.0, gt=0)
    backoff_cap: float = Field(default=3600.0, gt=0)
    concurrency: int = Field(default=8, ge=1)


class RoutingConfig(Strict):
    daily_digest: time = time(8, 0)
    weekly_digest_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    weekly_digest: time = time(8, 0)


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

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(v)
        except Exception:  # noqa: BLE001 - any failure means a bad name
            raise ValueError(f"unknown time zone {v!r}; use an IANA name like Europe/Oslo") from None
        return v


class FeedsFile(Strict):
    service: ServiceConfig = ServiceConfig()
    feeds: tuple[FeedConfig, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> FeedsFile:
        ids = [f.id for f in self.feeds]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"feed ids must be unique: {', '.join(dup)}")
        return self


class Config(BaseModel):
    """The whole loaded configuration."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    root: Path
    service: ServiceConfig
    feeds: tuple[FeedConfig, ...]
    subscribers: tuple[SubscriberConfig, ...]

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
        if sub_id == OPERATOR:
            return next((t for t in self.service.operator_targets if t.id == target_id), None)
        try:
            sub = self.subscriber(sub_id)
        except KeyError:
            return None
        return next((t for t in sub.targets if t.id == target_id), None)

    def resolve_path(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.root / p


OPERATOR = "operator"  # the pseudo-subscriber id of the sector response team's own targets


# --- loading and error formatting ---------------------------------------------------------


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("function-") or part in ("after", "before"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_HINTS = {
    "extra_forbidden": "unknown key; remove it or check its spelling against the README",
    "missing": "required key is missing; add it",
}


def format_validation(file: str, exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = _loc(tuple(err["loc"]))
        msg = _HINTS.get(err["type"]) or str(err["msg"]).removeprefix("Value error, ")
        problems.append(f"{file}: {loc}: {msg}")
    return problems


def _read_yaml(path: Path, problems: list[str], label: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(f"{label}: cannot read file ({exc.strerror})")
        return None
    except UnicodeDecodeError:
        problems.append(f"{label}: not UTF-8 text; save the file as UTF-8")
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problems.append(f"{label}: (top level): YAML syntax error at {where}: {exc}")
        return None


def load_config(root: str | Path, *, only_subscribers: list[Path] | None = None) -> Config:
    """Load feeds.yaml and subscribers/*.yaml under ``root``; raise ConfigError with every
    problem found."""
    root = Path(root).resolve()
    problems: list[str] = []
    feeds_path = root / "feeds.yaml"
    feeds_file = FeedsFile()
    if not feeds_path.exists():
        problems.append(
            f"feeds.yaml: file not found in {root}; pass --config-dir or set CERTBOT_CONFIG_DIR"
        )
    else:
        raw = _read_yaml(feeds_path, problems, "feeds.yaml")
        if raw is not None:
            if not isinstance(raw, dict):
                problems.append("feeds.yaml: (top level): expected a mapping with 'feeds:'")
            else:
                try:
                    feeds_file = FeedsFile.model_validate(raw)
                except ValidationError as exc:
                    problems.extend(format_validation("feeds.yaml", exc))
        for f in feeds_file.feeds:
            if f.path is not None and not (root / f.path).exists() and not Path(f.path).exists():
                idx = feeds_file.feeds.index(f)
                problems.append(
                    f"feeds.yaml: feeds[{idx}].path: file {f.path!r} does not exist "
                    "(paths are relative to the config directory)"
                )

    subscribers: list[SubscriberConfig] = []
    sub_dir = root / "subscribers"
    files = only_subscribers
    if files is None:
        files = sorted(sub_dir.glob("*.y*ml")) if sub_dir.is_dir() else []
        if not sub_dir.is_dir():
            problems.append(f"subscribers/: directory not found in {root}")
    seen: dict[str, str] = {}
    for path in files:
        label = f"subscribers/{path.name}"
        m = SUBSCRIBER_FILE.match(path.name)
        if not m:
            problems.append(
                f"{label}: (file name): name the file <kommunenummer>-<name>.yaml, "
                "e.g. 0301-oslo.yaml"
            )
        raw = _read_yaml(path, problems, label)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            problems.append(f"{label}: (top level): expected a mapping with id, name, targets")
            continue
        if isinstance(raw.get("id"), int):
            raw["id"] = f"{raw['id']:04d}"
        try:
            sub = SubscriberConfig.model_validate(raw)
        except ValidationError as exc:
            problems.extend(format_validation(label, exc))
            continue
        if m and m.group(1) != sub.id:
            problems.append(
                f"{label}: id: '{sub.id}' does not match the kommunenummer "
                f"'{m.group(1)}' in the file name"
            )
        if sub.id in seen:
            problems.append(f"{label}: id: '{sub.id}' is also used by {seen[sub.id]}")
        seen[sub.id] = label
        subscribers.append(sub)
    if problems:
        raise ConfigError(problems)
    return Config(
        root=root, service=feeds_file.service, feeds=feeds_file.feeds, subscribers=tuple(subscribers)
    )


def missing_secrets(config: Config, environ: dict[str, str] | None = None) -> list[str]:
    """Warnings for secrets the configuration names but the environment does not provide."""
    out = []
    kinds_used = {t.kind for s in config.subscribers for t in s.targets} | {
        t.kind for t in config.service.operator_targets
    }
    for sub in config.subscribers:
        for t in sub.targets:
            if t.secret and read_secret(t.secret.env, environ) is None:
                out.append(
                    f"subscribers/{sub.id}: targets.{t.id}: environment variable "
                    f"{t.secret.env} (or {t.secret.env}_FILE) is not set"
                )
    svc = config.service
    for kind, ref in (("slack", svc.slack_token), ("telegram", svc.telegram_token)):
        if kind in kinds_used and read_secret(ref.env, environ) is None:
            out.append(f"feeds.yaml: service.{kind}_token: {ref.env} (or {ref.env}_FILE) is not set")
    if "email" in kinds_used and svc.smtp.password and read_secret(svc.smtp.password.env, environ) is None:
        out.append(f"feeds.yaml: service.smtp.password: {svc.smtp.password.env} is not set")
    for f in config.feeds:
        if f.token and read_secret(f.token.env, environ) is None:
            out.append(f"feeds.yaml: feeds.{f.id}.token: {f.token.env} is not set")
    return out
