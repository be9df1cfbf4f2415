"""Feed option models that several source kinds share; each source names its own model.

Contract: every model is strict (unknown keys are errors) and frozen, and checks its own
cross-field rules with `FieldProblem` so check-config names the key to fix. `AdvisoryOptions`
is for sources that yield advisories (``enrich_nvd``); `AuthOptions` for sources that fetch
from access-protected servers (``token``, ``username``, ``client_cert``, all secrets by
environment variable name). A source with keys of its own subclasses one of these next to its
code (`certbot.sources.taxii.TaxiiOptions`) or here (`CsafOptions`).
"""

from __future__ import annotations

import re

from pydantic import field_validator, model_validator

from certbot.config.common import SecretRef, Strict
from certbot.config.yaml_lines import FieldProblem


class AdvisoryOptions(Strict):
    enrich_nvd: bool = False  # look up NVD's CPE ranges for advisories that name none


class AuthOptions(Strict):
    token: SecretRef | None = None  # bearer token for access-protected feeds
    username: str | None = None  # basic auth user (password from `token`)
    client_cert: SecretRef | None = None  # PEM with certificate and key (TLS client auth)

    @model_validator(mode="after")
    def _password(self) -> AuthOptions:
        if self.username is not None and self.token is None:
            raise FieldProblem("token", "'username' needs 'token: {env: NAME}' for the password")
        return self


class AuthAdvisoryOptions(AdvisoryOptions, AuthOptions):
    """Options of advisory sources behind authentication (CSAF, TAXII)."""


class FingerprintOptions(AuthAdvisoryOptions):
    fingerprints: tuple[str, ...] = ()  # pinned OpenPGP key fingerprints (CSAF)

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


_FPR = re.compile(r"[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}")


class PublicKey(Strict):
    """One OpenPGP public key for a CSAF feed without provider metadata (a ROLIE feed,
    ``changes.csv`` or a local mirror): where it is (``url`` or ``path``, relative to the
    config directory) and the fingerprint that pins it."""

    url: str | None = None
    path: str | None = None
    fingerprint: str

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, v: str) -> str:
        if not _FPR.fullmatch(v):
            raise ValueError(f"{v!r} is not an OpenPGP fingerprint; give the 40 (or 64) hex digits")
        return v

    @model_validator(mode="after")
    def _where(self) -> PublicKey:
        if (self.url is None) == (self.path is None):
            raise FieldProblem(
                "url", "give the key's 'url' (https://...) or its 'path', one of them"
            )
        return self


class CsafOptions(FingerprintOptions):
    """CSAF feed keys: ``fingerprints`` pin the keys the provider metadata lists;
    ``public_keys`` name keys directly (each pinned by its own fingerprint) for feeds that have
    no provider metadata. A feed with neither can never accept a document: check-config says
    so (`certbot.sources.csaf.CsafSource.check_feed`)."""

    public_keys: tuple[PublicKey, ...] = ()
