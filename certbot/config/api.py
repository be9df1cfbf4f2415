"""``service.api``: the JSON API, /metrics and the health checks (issue 14).

Contract: strict like the rest of the configuration. Each API client has an id, a bearer
token named by ``token: {env: NAME}`` (read from ``$NAME`` or ``$NAME_FILE`` when the service
starts: a client whose token is missing refuses the start), scopes (``read``, ``publish``), a
TLP clearance (``tlp_max``; an API client is a machine, never a named person, so TLP:RED is
refused) and optionally one municipality (its kommunenummer): then it reads only that
municipality's rows. ``rate_per_minute`` bounds each client; unauthenticated attempts share
``failed_auth_per_minute`` per remote address. ``metrics_token`` optionally protects /metrics
(the health checks are always open: they carry no data). ``ready_feed_failures`` and
``ready_outbox_seconds`` are the /readyz thresholds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from certbot.config.common import SecretRef, Strict, parse_duration, parse_tlp, unique_ids
from certbot.config.yaml_lines import FieldProblem
from certbot.model import TLP

Scope = Literal["read", "publish"]


class ApiClientConfig(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    token: SecretRef
    scopes: tuple[Scope, ...] = ("read",)
    tlp_max: TLP = TLP.GREEN
    municipality: str | None = Field(default=None, pattern=r"^\d{4}$")

    _t = field_validator("tlp_max", mode="before")(classmethod(lambda cls, v: parse_tlp(v)))

    @model_validator(mode="after")
    def _machine(self) -> ApiClientConfig:
        if self.tlp_max == TLP.RED:
            raise FieldProblem(
                "tlp_max",
                "TLP:RED goes to named persons only and an API client is a machine; "
                "use AMBER+STRICT at most",
            )
        if not self.scopes:
            raise FieldProblem("scopes", "give at least one scope: read or publish")
        return self


class ApiConfig(Strict):
    listen: str = Field(default="127.0.0.1:8081", pattern=r"^[\w.:\[\]-]+:\d{1,5}$")
    clients: tuple[ApiClientConfig, ...] = ()
    rate_per_minute: int = Field(default=120, ge=1)
    failed_auth_per_minute: int = Field(default=20, ge=1)
    metrics_token: SecretRef | None = None
    ready_feed_failures: int = Field(default=5, ge=1)  # consecutive failures of one feed
    ready_outbox_seconds: int = Field(default=1800, ge=60)  # oldest owed delivery waiting

    _d = field_validator("ready_outbox_seconds", mode="before")(
        classmethod(lambda cls, v: parse_duration(v))
    )

    @field_validator("clients")
    @classmethod
    def _unique(cls, v: tuple[ApiClientConfig, ...]) -> tuple[ApiClientConfig, ...]:
        unique_ids(v, "client")
        return v

    @model_validator(mode="after")
    def _tokens_apart(self) -> ApiConfig:
        seen: dict[str, Any] = {}
        for i, c in enumerate(self.clients):
            if c.token.env in seen:
                raise FieldProblem(
                    ("clients", i, "token"),
                    f"clients {seen[c.token.env]!r} and {c.id!r} name the same token "
                    f"variable {c.token.env}; give each client its own token",
                )
            seen[c.token.env] = c.id
        return self


def api_problems(api: ApiConfig | None, municipalities: set[str]) -> list[str]:
    """Cross-file rules (check-config and start-up): a scoped client's municipality exists."""
    return [
        f"feeds.yaml: service.api.clients[{i}].municipality: {c.municipality} is no configured "
        "municipality (subscribers/*.yaml); fix the kommunenummer or remove the key"
        for i, c in enumerate(api.clients if api else ())
        if c.municipality is not None and c.municipality not in municipalities
    ]


def api_secrets(api: ApiConfig | None) -> list[tuple[str, SecretRef]]:
    """(key path, reference) of every secret ``service.api`` names, for check-config."""
    if api is None:
        return []
    out = [
        (f"feeds.yaml: service.api.clients[{i}].token.env", c.token)
        for i, c in enumerate(api.clients)
    ]
    if api.metrics_token is not None:
        out.append(("feeds.yaml: service.api.metrics_token.env", api.metrics_token))
    return out


__all__ = ["ApiClientConfig", "ApiConfig", "Scope", "api_problems", "api_secrets"]
