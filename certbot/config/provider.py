"""``service.provider``: certbot as a CSAF 2.0 trusted provider (issue 13).

    provider:
      listen: 127.0.0.1:8090          # where `run` serves /.well-known/csaf/...
      public_url: https://csaf.kommunecert.example.no   # what the documents' URLs start with
      signing_key: {env: CSAF_SIGNING_KEY}    # armored OpenPGP secret key; or ..._FILE
      publisher: {name: KommuneCERT, namespace: https://kommunecert.example.no}
      tokens:                          # per municipality: AMBER for its own advisories, GREEN
        "0301": {env: CSAF_TOKEN_0301}
        "4601": [{env: CSAF_TOKEN_4601}, {env: CSAF_TOKEN_4601_NEXT}]   # rotation
      member_tokens:                   # other sector members (a county, NSM): GREEN only
        nsm: {env: CSAF_TOKEN_NSM}

Contract: secrets are `SecretRef`s (never values); a token entry is one reference or a list
of accepted ones (rotation: add the next secret, hand it out, then drop the old one). Keys of
``tokens`` are four-digit kommunenummer. The secrets themselves are read at start
(`certbot.publish.provider_access`), where a missing signing key refuses the start.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from certbot.config.common import SecretRef, Strict
from certbot.config.yaml_lines import FieldProblem

Accepted = tuple[SecretRef, ...]  # one ``{env: NAME}`` in YAML is read as a list of one


class PublisherConfig(Strict):
    name: str = Field(min_length=1)
    namespace: str = Field(min_length=1)  # the publisher's web site, https://...
    category: Literal["coordinator", "other", "user", "vendor"] = "coordinator"
    contact_details: str | None = None
    issuing_authority: str | None = None

    @field_validator("namespace")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError(f"{v!r} is not a URL; write the team's web site, https://...")
        return v


def _as_lists(v: Any) -> Any:
    """``{"0301": {env: A}}`` -> ``{"0301": [{env: A}]}`` (one secret, or a rotation list)."""
    if isinstance(v, dict):
        return {str(k): [x] if isinstance(x, dict) else x for k, x in v.items()}
    return v


class ProviderConfig(Strict):
    listen: str = Field(default="127.0.0.1:8090", pattern=r"^[\w.:\[\]-]+:\d{1,5}$")
    public_url: str
    signing_key: SecretRef
    publisher: PublisherConfig
    tokens: dict[str, Accepted] = Field(default_factory=dict)
    member_tokens: dict[str, Accepted] = Field(default_factory=dict)

    @field_validator("public_url")
    @classmethod
    def _public(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError(
                f"{v!r} is not a URL; write where the provider is reached, e.g. "
                "https://csaf.kommunecert.example.no"
            )
        return v.rstrip("/")

    _lists = field_validator("tokens", "member_tokens", mode="before")(
        classmethod(lambda cls, v: _as_lists(v))
    )

    @field_validator("tokens")
    @classmethod
    def _kommunenummer(cls, v: dict[str, Accepted]) -> dict[str, Accepted]:
        for key, value in v.items():
            if not (len(key) == 4 and key.isdigit()):
                raise FieldProblem(
                    (key,),
                    f'{key!r} is not a four-digit kommunenummer (quote it: "0301"); tokens '
                    "of other sector members go under 'member_tokens:'",
                )
            if not value:
                raise FieldProblem((key,), "give at least one {env: NAME}")
        return v

    def all_refs(self) -> list[tuple[str, SecretRef]]:
        """(config key, reference) of every secret the provider names."""
        out = [("signing_key", self.signing_key)]
        for section, table in (("tokens", self.tokens), ("member_tokens", self.member_tokens)):
            for key, value in table.items():
                many = len(value) > 1
                out += [
                    (f"{section}.{key}" + (f"[{i}]" if many else ""), ref)
                    for i, ref in enumerate(value)
                ]
        return out
