"""The building blocks every configuration file shares.

Contract: `Strict` models refuse unknown keys and are frozen; `parse_duration`, `parse_tlp`
and `parse_priority` turn what people write in YAML into values (or raise `ValueError` with
the fix); `no_secret` refuses text that looks like a credential. Secrets never live in YAML:
`SecretRef` names an environment variable, and `read_secret` reads ``$ENV`` or the file named
by ``$ENV_FILE`` when the value is needed. `Person` is someone who may act through the bot.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from certbot.config.yaml_lines import FieldProblem
from certbot.errors import ConfigError
from certbot.model import TLP, Priority

ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
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
# Telegram ids that stand for "someone anonymous", never a person (DOMAIN.md).
ANONYMOUS_TELEGRAM_IDS = ("1087968824", "777000", "136817688")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_duration(value: Any) -> int:
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


def parse_tlp(value: Any) -> TLP:
    if isinstance(value, TLP):
        return value
    parsed = TLP.parse(str(value))
    if parsed is None:
        raise ValueError(
            f"{value!r} is not a TLP 2.0 label; use one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED"
        )
    return parsed


def parse_priority(value: Any) -> Priority:
    if isinstance(value, Priority):
        return value
    try:
        return Priority.parse(value)
    except (KeyError, ValueError):
        raise ValueError(f"{value!r} is not a priority; use one of P1, P2, P3, P4") from None


def no_secret(value: str | None) -> str | None:
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


def unique_ids(items: tuple[Any, ...], what: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise FieldProblem(
                (i, "id"), f"{what} id {item.id!r} is used twice; ids must be unique"
            )
        seen.add(item.id)
