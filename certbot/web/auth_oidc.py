"""OpenID Connect relying party for the web overview (authorization code flow, authlib).

`Oidc` reads the issuer's discovery document (its ``issuer`` must equal the configured one)
and JWKS once, lazily, over the process's shared aiohttp session, then:

- `authorize_url` builds the authorization request (authlib `prepare_grant_uri`) with
  ``state``, ``nonce`` and a PKCE S256 challenge (RFC 7636);
- `redeem` posts the code to the token endpoint with the client secret (HTTP Basic,
  ``client_secret_basic``) and the PKCE verifier, then `verify` checks the ID token: its
  signature against the JWKS (joserfc; RS256/ES256 only, never ``none`` or HMAC), and with
  authlib's `CodeIDToken` the issuer, the audience (our client id), expiry, issued-at and the
  nonce of this sign-in. Any failure raises `SignInRefused`, whose message never carries a
  token or the secret.

The JWKS is fetched again once when a token names a key id it does not hold (key rotation).
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import quote

import aiohttp
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from certbot.config.web import SignInConfig

ALGORITHMS = ("RS256", "ES256", "PS256")
LEEWAY = 60  # seconds of clock skew allowed on exp / iat


class SignInRefused(Exception):
    """The sign-in failed; the message is safe to log (no token, no secret)."""


class Oidc:
    def __init__(
        self, cfg: SignInConfig, secret: str, http: aiohttp.ClientSession, redirect_uri: str
    ):
        self.cfg, self._secret, self.http, self.redirect_uri = cfg, secret, http, redirect_uri
        self._meta: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    async def _json(self, url: str, **kw: Any) -> dict[str, Any]:
        method = "POST" if "data" in kw else "GET"
        try:
            async with self.http.request(
                method, url, timeout=aiohttp.ClientTimeout(total=15), **kw
            ) as resp:
                body = await resp.json(content_type=None)
                if resp.status != 200 or not isinstance(body, dict):
                    raise SignInRefused(f"{url.split('?')[0]} answered {resp.status}")
                return body
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SignInRefused(
                f"cannot reach {url.split('?')[0]} ({type(exc).__name__})"
            ) from None

    async def metadata(self) -> dict[str, Any]:
        if self._meta is None:
            meta = await self._json(f"{self.cfg.issuer}/.well-known/openid-configuration")
            if str(meta.get("issuer", "")).rstrip("/") != self.cfg.issuer:
                raise SignInRefused("the discovery document names another issuer")
            self._meta = meta
        return self._meta

    async def keys(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            meta = await self.metadata()
            self._keys = KeySet.import_key_set(await self._json(str(meta["jwks_uri"])))  # type: ignore[arg-type]
        return self._keys

    async def authorize_url(self, state: str, nonce: str, verifier: str) -> str:
        meta = await self.metadata()
        return str(
            prepare_grant_uri(
                str(meta["authorization_endpoint"]),
                self.cfg.client_id,
                "code",
                redirect_uri=self.redirect_uri,
                scope=list(self.cfg.scopes),
                state=state,
                nonce=nonce,
                code_challenge=create_s256_code_challenge(verifier),
                code_challenge_method="S256",
            )
        )

    async def redeem(self, code: str, nonce: str, verifier: str) -> dict[str, Any]:
        """The verified ID token's claims for this authorization code."""
        meta = await self.metadata()
        answer = await self._json(
            str(meta["token_endpoint"]),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            },
            headers={"Authorization": self._basic()},
        )
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefused("the token endpoint gave no ID token")
        return await self.verify(id_token, nonce)

    def _basic(self) -> str:
        """client_secret_basic (RFC 6749 2.3.1: both parts form-encoded first)."""
        pair = f"{quote(self.cfg.client_id, safe='')}:{quote(self._secret, safe='')}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            keys = await self.keys()
            try:
                token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
            except JoseError as exc:
                if type(exc).__name__ != "InvalidKeyIdError":
                    raise
                token = jwt.decode(id_token, await self.keys(True), algorithms=list(ALGORITHMS))
            claims = CodeIDToken(
                token.claims,
                token.header,
                options={
                    "iss": {"essential": True, "value": self.cfg.issuer},
                    "aud": {"essential": True, "value": self.cfg.client_id},
                    "nonce": {"essential": True, "value": nonce},
                },
                params={"nonce": nonce, "client_id": self.cfg.client_id},
            )
            claims.validate(now=int(time.time()), leeway=LEEWAY)
        except (JoseError, ValueError, KeyError) as exc:
            raise SignInRefused(f"ID token refused ({type(exc).__name__})") from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise SignInRefused("ID token refused (no subject)")
        return dict(claims)


__all__ = ["Oidc", "SignInRefused"]
