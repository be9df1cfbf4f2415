"""Sign-in, sign-out and the language switch of the web overview.

- ``GET /signin`` shows the sign-in link; ``GET /signin?go=1`` (rate-limited per client
  address with the callback: 429 beyond ``attempts_per_minute``) starts the code flow: a fresh ``state``, ``nonce`` and PKCE verifier are kept
  server-side for ten minutes, ``state`` is also bound to this browser by a short-lived
  cookie, and the browser is sent to the IdP. Under ``insecure_local_demo`` it goes home.
- ``GET /auth/callback`` (rate-limited too) takes the pending sign-in by ``state`` (unknown,
  expired, used or from another browser: 403), redeems the code and verifies the ID token
  (`certbot.web.auth_oidc`; any failure: 403), maps the person to a role (none: 403) and
  starts a session. ``next`` must be a local path.
- ``POST /signout`` ends the session; ``POST /lang`` switches nb/en for the session.
"""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from certbot.web.auth import COOKIE, PENDING_TTL, Pending, Person
from certbot.web.auth_oidc import SignInRefused
from certbot.web.pages import SITE, render, session_of, set_session_cookie

log = logging.getLogger("certbot.web")
STATE_COOKIE = "certbot_signin"


def _local(path: str | None) -> str:
    path = path or "/"
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else "/"


def see_other(url: str) -> web.Response:
    return web.Response(status=303, headers={"Location": url})


def _refuse(request: web.Request, why: str, status: int = 403) -> web.Response:
    log.warning("sign-in refused for %s: %s", request.remote, why)
    return render(request, "signin", problem=True, status=status)


async def signin(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE]
    if site.demo or site.oidc is None:
        raise web.HTTPSeeOther("/")
    if "go" not in request.query:
        return render(request, "signin", problem=False, next=_local(request.query.get("next")))
    if not site.limit.allow(request.remote or "?"):
        return _refuse(request, "rate limit", 429)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    now = site.sessions.clock()
    site.sessions.start(
        state, Pending(nonce, verifier, _local(request.query.get("next")), now + PENDING_TTL)
    )
    try:
        url = await site.oidc.authorize_url(state, nonce, verifier)
    except SignInRefused as exc:
        return _refuse(request, str(exc), 503)
    resp = see_other(url)
    resp.set_cookie(
        STATE_COOKIE,
        state,
        max_age=int(PENDING_TTL),
        path="/auth/",
        secure=True,
        httponly=True,
        samesite="Lax",
    )
    return resp


async def callback(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE]
    if site.oidc is None:
        raise web.HTTPNotFound()
    if not site.limit.allow(request.remote or "?"):
        return _refuse(request, "rate limit", 429)
    state = request.query.get("state", "")
    pending = site.sessions.take(state) if state else None
    if pending is None or request.cookies.get(STATE_COOKIE) != state:
        return _refuse(request, "unknown, expired or foreign state")
    code = request.query.get("code")
    if not code:
        return _refuse(request, f"the IdP answered {request.query.get('error', 'no code')!r}")
    try:
        claims = await site.oidc.redeem(code, pending.nonce, pending.verifier)
    except SignInRefused as exc:
        return _refuse(request, str(exc))
    email = claims.get("email") if claims.get("email_verified", True) is not False else None
    rule = site.cfg.role_of(str(claims["sub"]), str(email) if email else None)
    if rule is None:
        return _refuse(
            request, f"no role for subject {claims['sub']!r} (map it in service.web.roles)"
        )
    person = Person(
        subject=str(claims["sub"]),
        email=str(email) if email else None,
        name=str(claims.get("name") or email or claims["sub"]),
        role=rule.role,
        municipality=rule.municipality,
        tlp_max=rule.tlp_max,
    )
    session = site.sessions.new(person)
    log.info("signed in: %s as %s", person.subject, person.role)
    resp = see_other(pending.next)
    set_session_cookie(resp, session, site.ttl)
    resp.del_cookie(STATE_COOKIE, path="/auth/")
    return resp


async def signout(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE]
    session = session_of(request)
    site.sessions.drop(session.id if session else None)
    resp = see_other("/" if site.demo else "/signin")
    resp.del_cookie(COOKIE, path="/")
    return resp


async def language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    session = session_of(request)
    if session is not None:
        session.lang = "en" if form.get("lang") == "en" else "nb"
    raise web.HTTPSeeOther(_local(str(form.get("next", "/"))))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/signin", signin, name="signin")
    router.add_get("/auth/callback", callback, name="callback")
    router.add_post("/signout", signout, name="signout")
    router.add_post("/lang", language, name="lang")


__all__ = ["add_routes"]
