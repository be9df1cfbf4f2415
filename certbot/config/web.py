"""The ``service.web:`` section: the web overview's listener, public URL, sign-in and roles.

Contract: `WebConfig` is `Strict`; its cross-field rules sit here:

- ``insecure_local_demo: true`` (no sign-in; everyone is a demo operator) is refused unless
  ``listen`` is on 127.0.0.1 (or ``localhost``/``[::1]``);
- otherwise ``sign_in`` (OpenID Connect: issuer, client id, the client secret as a
  `SecretRef`) is required, so `run` never serves the overview to anonymous people;
- ``roles`` map people (IdP subject or e-mail, an ``@domain`` suffix matches a whole domain)
  to ``operator``, ``viewer`` or ``municipality`` (a viewer of one ``municipality`` only). The
  first matching rule wins; nobody matched is refused after sign-in. ``tlp_max`` is the
  clearance the role grants (at most AMBER+STRICT: RED only ever goes to a personal target,
  see `certbot.web.auth`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from certbot.config.common import SecretRef, Strict, parse_duration, parse_tlp
from certbot.config.yaml_lines import FieldProblem
from certbot.model import TLP

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
LISTEN = r"^[\w.:\[\]-]+:\d{1,5}$"


class SignInConfig(Strict):
    """OpenID Connect (authorization code flow with state, nonce and PKCE)."""

    issuer: str = Field(min_length=1)  # e.g. https://login.microsoftonline.com/<tenant>/v2.0
    client_id: str = Field(min_length=1)
    client_secret: SecretRef = SecretRef(env="CERTBOT_OIDC_CLIENT_SECRET")
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    session_ttl: int = Field(default=8 * 3600, ge=60)  # seconds a session lasts
    attempts_per_minute: int = Field(default=10, ge=1)  # sign-in starts per client address

    _ttl = field_validator("session_ttl", mode="before")(
        classmethod(lambda cls, v: parse_duration(v))
    )

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, v: str) -> str:
        local = v.startswith(("http://127.0.0.1", "http://localhost"))
        if not v.startswith("https://") and not local:
            raise ValueError(
                f"{v!r}: the issuer must be an https:// URL (e.g. "
                "https://login.microsoftonline.com/<tenant-id>/v2.0 or "
                "https://keycloak.example.no/realms/<realm>)"
            )
        return v.rstrip("/")

    @field_validator("scopes")
    @classmethod
    def _openid(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return v if "openid" in v else ("openid", *v)


class RoleRule(Strict):
    """Who gets which role: a person matches by IdP subject or e-mail (or its @domain)."""

    role: Literal["operator", "viewer", "municipality"]
    subjects: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    municipality: str | None = Field(default=None, pattern=r"^\d{4}$")  # for "municipality"
    tlp_max: TLP = TLP.GREEN

    _tlp = field_validator("tlp_max", mode="before")(classmethod(lambda cls, v: parse_tlp(v)))

    @model_validator(mode="after")
    def _rules(self) -> RoleRule:
        if not self.subjects and not self.emails:
            raise FieldProblem("emails", "name people: 'emails: [...]' and/or 'subjects: [...]'")
        if self.role == "municipality" and not self.municipality:
            raise FieldProblem(
                "municipality",
                "a 'municipality' viewer needs its kommunenummer: 'municipality: \"0301\"'",
            )
        if self.role != "municipality" and self.municipality:
            raise FieldProblem(
                "municipality", f"only role 'municipality' takes this, not {self.role!r}"
            )
        if self.tlp_max > TLP.AMBER_STRICT:
            raise FieldProblem(
                "tlp_max", "at most AMBER+STRICT; RED goes only to personal targets (tlp_max: RED)"
            )
        return self

    def matches(self, subject: str, email: str | None) -> bool:
        if subject in self.subjects:
            return True
        mail = (email or "").casefold()
        return bool(mail) and any(
            mail == e.casefold() or (e.startswith("@") and mail.endswith(e.casefold()))
            for e in self.emails
        )


class WebConfig(Strict):
    listen: str = Field(default="127.0.0.1:8090", pattern=LISTEN)
    public_url: str = "http://127.0.0.1:8090"  # the redirect URI is <public_url>/auth/callback
    sign_in: SignInConfig | None = None
    roles: tuple[RoleRule, ...] = ()
    insecure_local_demo: bool = False  # no sign-in, everyone a demo operator: 127.0.0.1 only

    @field_validator("public_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError(f"{v!r} is not a URL; write e.g. https://certbot.example.no")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _sign_in(self) -> WebConfig:
        if self.insecure_local_demo:
            host = self.listen.rpartition(":")[0]
            if host not in LOCAL_HOSTS:
                raise FieldProblem(
                    "insecure_local_demo",
                    f"allowed only when 'listen' is on 127.0.0.1, not {self.listen!r}; "
                    "configure 'sign_in' to serve other addresses",
                )
            return self
        if self.sign_in is None:
            raise FieldProblem(
                "sign_in",
                "the web overview needs OpenID Connect sign-in: add 'sign_in: {issuer: ..., "
                "client_id: ...}' (see the README, 'Web overview and sign-in'), or switch "
                "the web off",
            )
        if not self.roles:
            raise FieldProblem("roles", "nobody could use the overview; map people to roles")
        return self

    def role_of(self, subject: str, email: str | None) -> RoleRule | None:
        return next((r for r in self.roles if r.matches(subject, email)), None)


def web_secrets(cfg: WebConfig | None) -> list[tuple[str, SecretRef]]:
    """The secrets ``service.web`` needs (for `missing_secrets`, i.e. ``check-config``)."""
    if cfg is None or cfg.sign_in is None or cfg.insecure_local_demo:
        return []
    return [("feeds.yaml: service.web.sign_in.client_secret.env", cfg.sign_in.client_secret)]


def demo_web(listen: str = "127.0.0.1:8090") -> dict[str, Any]:
    """The ``service.web`` settings `demo --web` uses (validated like any config)."""
    return {"listen": listen, "public_url": f"http://{listen}", "insecure_local_demo": True}
