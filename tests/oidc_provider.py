"""A small OpenID Connect provider on 127.0.0.1 for the web sign-in tests (aiohttp): the
discovery document, a JWKS, an authorize endpoint that signs in `Provider.user` at once
(no login form) and a token endpoint that checks the client's Basic credentials, the code,
the redirect URI and the PKCE verifier, and returns an RS256 ID token signed with joserfc.

``tamper`` makes the next tokens wrong in one way: ``forged`` (signed by another key under
the same key id), ``audience`` (issued to another client), ``expired`` (an hour old) or
``nonce`` (not the nonce of the request).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "certbot-web"
CLIENT_SECRET = "test-client-secret-for-the-local-idp"
OPERATOR = {
    "sub": "op-1",
    "email": "kari@csirt.example.no",
    "email_verified": True,
    "name": "Kari Operatør",
}


@dataclass
class Provider:
    base: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    user: dict[str, Any] = field(default_factory=lambda: dict(OPERATOR))
    tamper: str | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens_issued: int = 0

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            **self.user,
            "iss": self.base,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
        }
        key = self.key
        if self.tamper == "forged":
            key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        elif self.tamper == "audience":
            claims["aud"] = "another-client"
        elif self.tamper == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif self.tamper == "nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        self.tokens_issued += 1
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def provider_app(p: Provider) -> web.Application:
    async def discovery(_: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": p.base,
                "authorization_endpoint": f"{p.base}/authorize",
                "token_endpoint": f"{p.base}/token",
                "jwks_uri": f"{p.base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def jwks(_: web.Request) -> web.Response:
        return web.json_response({"keys": [p.key.as_dict(private=False)]})

    async def authorize(request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return web.Response(status=400, text="bad client or response type")
        if q.get("code_challenge_method") != "S256" or "openid" not in q.get("scope", ""):
            return web.Response(status=400, text="PKCE S256 and scope openid required")
        code = secrets.token_urlsafe(16)
        p.codes[code] = {
            "nonce": q["nonce"],
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
        }
        raise web.HTTPFound(f"{q['redirect_uri']}?code={code}&state={q['state']}")

    async def token(request: web.Request) -> web.Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        grant = p.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        if _s256(str(form.get("code_verifier"))) != grant["challenge"]:
            return web.json_response({"error": "invalid_grant", "why": "pkce"}, status=400)
        return web.json_response(
            {"access_token": "at", "token_type": "Bearer", "id_token": p.id_token(grant)}
        )

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/jwks", jwks)
    app.router.add_get("/authorize", authorize)
    app.router.add_post("/token", token)
    return app


@contextlib.asynccontextmanager
async def running_provider() -> AsyncIterator[Provider]:
    p = Provider()
    server = TestServer(provider_app(p), host="127.0.0.1")
    await server.start_server()
    p.base = str(server.make_url("")).rstrip("/")
    try:
        yield p
    finally:
        await server.close()
