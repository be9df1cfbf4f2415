"""The JSON API under ``/api/v1/`` and, on the same listener, /metrics and the health checks.

Contract: the part ``api`` of `certbot.httpd`, switched on by ``service.api``. Its routes are
`certbot.web.api_spec.ROUTES`; each handler here reads through `certbot.web.api_read.Reader`
for the calling client's `Viewer`, so every answer is bounded by the client's TLP clearance
and, for a municipality-scoped client, by its municipality. Order of checks for each request:
token (401), scope (403), rate (429), query string against the route's model (400), the
municipality / county asked for (403). The POST routes (publishing, scope ``publish``) are
answered by `certbot.web.api_publish` after the same token, scope, rate and query checks.
Every error below ``/api/v1/`` is problem+json; answers
carry ``Cache-Control: no-store``. ``/api/v1/openapi.json`` (the document) needs no token.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from certbot import httpd
from certbot.config import read_secret
from certbot.errors import ConfigError
from certbot.model import TLP
from certbot.redact import register_secret
from certbot.store.overview import CaseFilter, RowFilter
from certbot.web import api_publish, metrics
from certbot.web.api_auth import SAFE_HEADERS, Client, Clients, problem
from certbot.web.api_read import OutOfScope, Reader
from certbot.web.api_spec import (
    PREFIX,
    ROUTES,
    AckPage,
    CasePage,
    DeliveryPage,
    FeedList,
    IncidentPage,
    Route,
    openapi,
)

if TYPE_CHECKING:
    from certbot.app import App

log = logging.getLogger("certbot.web.api")
Handler = Callable[[Reader, web.Request, Any], Awaitable[BaseModel]]


class NotFound(LookupError):
    """The thing asked for does not exist for this client (or at all: the same answer)."""


def _page(cls: type[Any], items: list[Any], total: int, q: Any) -> Any:
    nxt = q.offset + len(items)
    return cls(
        items=items,
        total=total,
        limit=q.limit,
        offset=q.offset,
        next_offset=nxt if nxt < total else None,
    )


async def list_cases(r: Reader, request: web.Request, q: Any) -> BaseModel:
    flt = CaseFilter(
        subscribers=r.scope(q.municipality, q.county),
        priority=q.priority,
        source=q.source,
        tlp=None if q.tlp is None else int(TLP[q.tlp]),
        open_only=q.open,
    )
    items, total = await r.cases(flt, limit=q.limit, offset=q.offset)
    return _page(CasePage, items, total, q)


async def get_case(r: Reader, request: web.Request, q: Any) -> BaseModel:
    detail = await r.case(request.match_info["case_id"])
    if detail is None:
        raise NotFound
    return detail


async def list_deliveries(r: Reader, request: web.Request, q: Any) -> BaseModel:
    flt = RowFilter(r.scope(q.municipality), q.status, q.channel, q.case)
    items, total = await r.deliveries(flt, limit=q.limit, offset=q.offset)
    return _page(DeliveryPage, items, total, q)


async def list_acks(r: Reader, request: web.Request, q: Any) -> BaseModel:
    flt = RowFilter(r.scope(q.municipality), q.status, None, q.case)
    items, total = await r.acks(flt, limit=q.limit, offset=q.offset)
    return _page(AckPage, items, total, q)


async def list_incidents(r: Reader, request: web.Request, q: Any) -> BaseModel:
    flt = RowFilter(r.scope(q.municipality), q.status)
    items, total = await r.incidents(flt, limit=q.limit, offset=q.offset)
    return _page(IncidentPage, items, total, q)


async def get_sector(r: Reader, request: web.Request, q: Any) -> BaseModel:
    return await r.sector(r.scope(q.municipality, q.county), q.days)


async def list_feeds(r: Reader, request: web.Request, q: Any) -> BaseModel:
    return FeedList(items=await r.feeds())


HANDLERS: dict[str, Handler] = {
    "listCases": list_cases,
    "getCase": get_case,
    "listDeliveries": list_deliveries,
    "listAcknowledgements": list_acks,
    "listIncidents": list_incidents,
    "getSector": get_sector,
    "listFeeds": list_feeds,
}


def _query(route: Route, request: web.Request) -> Any:
    query = dict(request.query)
    if len(query) != len(request.query):
        raise ValueError("a query parameter is given more than once")
    if route.query is None:
        if query:
            raise ValueError(f"{route.path} takes no query parameters")
        return None
    return route.query.model_validate(query)


def _bad_query(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'query'}: {e['msg']}" for e in exc.errors()
    )


class Api:
    def __init__(self, app: App, clients: Clients):
        self.app = app
        self.clients = clients

    def endpoint(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        handler = HANDLERS.get(route.op)

        async def serve(request: web.Request) -> web.StreamResponse:
            client, refused = await self.clients.admit(request, route.scope or "read")
            if refused is not None:
                return refused
            assert client is not None
            try:
                q = _query(route, request)
            except ValidationError as exc:
                return problem(400, _bad_query(exc))
            except ValueError as exc:
                return problem(400, str(exc))
            if handler is None:  # a POST: publishing
                return await api_publish.answer(self.app, client, route, request, q)
            return await self._answer(client, handler, request, q)

        return serve

    async def _answer(
        self, client: Client, handler: Handler, request: web.Request, q: Any
    ) -> web.StreamResponse:
        app = self.app
        reader = Reader(app.store, app.config, client.viewer, app.clock())
        try:
            body = await handler(reader, request, q)
        except OutOfScope:
            return problem(403, "this client may not read that municipality")
        except NotFound:
            return problem(404, "no such case for this client")
        return web.Response(
            body=body.model_dump_json().encode(),
            content_type="application/json",
            headers=SAFE_HEADERS,
        )


@web.middleware
async def problems(request: web.Request, handler: Any) -> web.StreamResponse:
    """Unknown paths, wrong methods and unexpected errors below /api/v1 as problem+json."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem(
            exc.status, None, {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        )
    except Exception:
        log.exception("API request %s failed", request.path)
        return problem(500)


def build(app: App, clients: Clients) -> web.Application:
    """The /api/v1 sub-application."""
    api = Api(app, clients)
    sub = web.Application(middlewares=[problems])
    document = openapi()

    async def spec(request: web.Request) -> web.Response:
        return web.json_response(document, headers={"Cache-Control": "no-cache"})

    sub.router.add_get("/openapi.json", spec)
    for route in ROUTES:
        sub.router.add_route(
            route.method.upper(), route.path.removeprefix(PREFIX), api.endpoint(route)
        )
    return sub


@httpd.register
async def api_part(app: App, stack: AsyncExitStack) -> httpd.Part | None:
    cfg = app.config.service.api
    if cfg is None:
        return None
    municipalities = {s.id for s in app.config.subscribers}
    clients = Clients.load(cfg, app.environ, municipalities)
    token = read_secret(cfg.metrics_token.env, app.environ) if cfg.metrics_token else None
    if cfg.metrics_token is not None and token is None:
        raise ConfigError(
            [
                f"feeds.yaml: service.api.metrics_token: ${cfg.metrics_token.env} is not set; "
                "set it or remove metrics_token to leave /metrics open"
            ]
        )

    register_secret(token)

    def mount(root: web.Application) -> None:
        root.add_subapp(PREFIX, build(app, clients))
        metrics.mount(root, app, cfg, token)

    return httpd.Part("api", cfg.listen, mount)
