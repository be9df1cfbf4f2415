"""The web overview as an HTTP part (`certbot.httpd`, part name ``web``), on when
``service.web`` is set.

`Site` holds what the pages share: the running `App`, the web config, the sessions, the
OpenID Connect client and the sign-in rate limit. `mount` adds the routes of
`certbot.web.auth_routes` and `certbot.web.pages_views` and one middleware that acts only on
those routes (another part on the same listener is left alone):

- a request without a live session is sent to sign-in (GET and HEAD: 303 to ``/signin``;
  other methods: 401). Under ``insecure_local_demo`` a visitor gets a demo-operator
  session instead;
- every POST must carry the session's CSRF token (form field ``csrf``), else 403;
- every response (errors too) gets the CSP (no script source at all; the page's one
  ``<style>`` by nonce; images from self), ``frame-ancestors 'none'``, nosniff, no referrer,
  and ``Cache-Control: no-store`` on everything behind sign-in.

`certbot.web.pages_part` builds the `Site` and registers the part.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web

from certbot.config.web import WebConfig
from certbot.render import templates_dir
from certbot.web.auth import COOKIE, DEMO_PERSON, RateLimit, Session, Sessions, csrf_ok
from certbot.web.auth_oidc import Oidc
from certbot.words import words

if TYPE_CHECKING:
    from certbot.app import App

JINJA = web.AppKey("certbot_web_jinja", jinja2.Environment)
PUBLIC = frozenset({"signin", "callback"})  # route names reachable without a session
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Site:
    app: App
    cfg: WebConfig
    sessions: Sessions
    oidc: Oidc | None
    limit: RateLimit
    ttl: int = 8 * 3600
    resources: set[Any] = field(default_factory=set)

    @property
    def demo(self) -> bool:
        return self.cfg.insecure_local_demo


SITE = web.AppKey("certbot_web_site", Site)
NONCE = web.RequestKey("certbot_csp_nonce", str)
SESSION = web.RequestKey("certbot_session", Session)
NEW_SESSION = web.RequestKey("certbot_new_session", Session)


def security_headers(nonce: str, private: bool) -> dict[str, str]:
    csp = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
    if private:
        headers["Cache-Control"] = "no-store"
    return headers


def set_session_cookie(resp: web.StreamResponse, session: Session, ttl: int) -> None:
    resp.set_cookie(
        COOKIE, session.id, max_age=ttl, path="/", secure=True, httponly=True, samesite="Lax"
    )


def session_of(request: web.Request) -> Session | None:
    return request.get(SESSION)


async def _admit(request: web.Request, site: Site) -> web.StreamResponse | None:
    """None if the request may go on (``request['session']`` set), else the refusal."""
    session = site.sessions.get(request.cookies.get(COOKIE))
    if session is None and site.demo:
        session = site.sessions.new(DEMO_PERSON)
        request[NEW_SESSION] = session
    if session is None:
        if request.method in ("GET", "HEAD"):
            raise web.HTTPSeeOther(f"/signin?next={quote(request.rel_url.path_qs, safe='/')}")
        raise web.HTTPUnauthorized(text="sign in first")
    request[SESSION] = session
    if request.method == "POST":
        form = await request.post()
        if not csrf_ok(session, str(form.get("csrf", "")) or None):
            raise web.HTTPForbidden(text="missing or wrong CSRF token; reload the page")
    return None


def _guard(site: Site) -> Any:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route
        if route.resource not in site.resources:
            return await handler(request)
        nonce = secrets.token_urlsafe(16)
        request[NONCE] = nonce
        private = route.name not in PUBLIC
        try:
            if private:
                await _admit(request, site)
            resp = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(security_headers(nonce, True))
            raise
        resp.headers.update(security_headers(nonce, private))
        if (new := request.get(NEW_SESSION)) is not None:
            set_session_cookie(resp, new, site.ttl)
        return resp

    return guard


def render(request: web.Request, name: str, **values: Any) -> web.Response:
    """``templates/web/<name>.html`` in this request's session language (``t``: its words)."""
    site = request.app[SITE]
    session = session_of(request)
    lang = session.lang if session is not None else _lang(request)
    values.update(
        lang=lang,
        csp_nonce=request[NONCE],
        person=session.person if session else None,
        csrf=session.csrf if session else "",
        demo=site.demo,
        path=request.rel_url.path,
        t=words(templates_dir(), "web", lang),
    )
    env = request.app[JINJA]
    html = env.get_template(f"web/{name}.html").render(**values)
    return web.Response(text=html, content_type="text/html", status=values.get("status", 200))


def _lang(request: web.Request) -> str:
    return "en" if request.query.get("lang") == "en" else "nb"


Routes = Sequence[Callable[[web.UrlDispatcher], None]]


def mount_site(site: Site, routes: Routes) -> Callable[[web.Application], None]:
    def mount(root: web.Application) -> None:
        env = aiohttp_jinja2.setup(
            root,
            loader=jinja2.FileSystemLoader(str(templates_dir())),
            app_key=JINJA,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals["withheld_css"] = "withheld"
        root[SITE] = site
        before = set(root.router.resources())
        for add in routes:
            add(root.router)
        site.resources = set(root.router.resources()) - before
        root.middlewares.append(_guard(site))

    return mount


__all__ = ["SITE", "Routes", "Site", "mount_site", "render", "security_headers", "session_of"]
