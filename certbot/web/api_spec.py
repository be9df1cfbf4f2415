"""The JSON API's routes, query models and its OpenAPI 3.1 document, all from one table.

Contract: `ROUTES` is the only list of API operations. `certbot.web.api` mounts a handler for
each entry (by ``op``) and validates its query string with the entry's ``query`` model;
`openapi` builds the document from the same entries and the same pydantic models
(`certbot.web.models` and the page / problem / readiness models here) with
``models_json_schema``: nothing in the document is written by hand beside a model. Query
models are strict (an unknown parameter is a 400). Errors are RFC 9457 problem details
(`Problem`, ``application/problem+json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from certbot.web.models import (
    AckOut,
    AckStatus,
    CaseDetail,
    CaseSummary,
    DeliveryOut,
    FeedStatus,
    IncidentOut,
    Out,
    SectorSummary,
)

PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"
MAX_LIMIT = 500
TlpName = Literal["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"]
Kommunenummer = Field(default=None, pattern=r"^\d{4}$", description="kommunenummer")


# --- query strings ------------------------------------------------------------------------


class PageQuery(Out):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)


class CaseQuery(PageQuery):
    priority: int | None = Field(default=None, ge=1, le=4)
    source: str | None = Field(default=None, max_length=100, description="a feed id")
    tlp: TlpName | None = None
    municipality: str | None = Kommunenummer
    county: str | None = Field(default=None, pattern=r"^\d{2}$", description="county number")
    open: bool = Field(default=False, description="only cases open for some municipality")


class DeliveryQuery(PageQuery):
    status: (
        Literal["pending", "sending", "sent", "dead", "blocked", "digest", "digested"] | None
    ) = None
    channel: str | None = Field(default=None, max_length=40)
    case: str | None = Field(default=None, max_length=200)
    municipality: str | None = Kommunenummer


class AckQuery(PageQuery):
    status: AckStatus | None = None
    case: str | None = Field(default=None, max_length=200)
    municipality: str | None = Kommunenummer


class IncidentQuery(PageQuery):
    status: Literal["new", "in-progress", "forwarded", "resolved"] | None = None
    municipality: str | None = Kommunenummer


class SectorQuery(Out):
    municipality: str | None = Kommunenummer
    county: str | None = Field(default=None, pattern=r"^\d{2}$", description="county number")
    days: int = Field(default=90, ge=1, le=366, description="days of the P1/P2 trend")


# --- answers ------------------------------------------------------------------------------


class Page(Out):
    total: int = Field(description="rows matching the filters, on every page")
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")


class CasePage(Page):
    items: list[CaseSummary]


class DeliveryPage(Page):
    items: list[DeliveryOut]


class AckPage(Page):
    items: list[AckOut]


class IncidentPage(Page):
    items: list[IncidentOut]


class FeedList(Out):
    items: list[FeedStatus]


class Problem(Out):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class Check(Out):
    name: str
    ok: bool
    detail: str


class Readiness(Out):
    ready: bool
    checks: list[Check]


class Health(Out):
    status: Literal["ok"] = "ok"


@dataclass(frozen=True)
class Route:
    path: str  # full path, with {name} for path parameters
    op: str  # operationId, and the key of its handler in certbot.web.api
    summary: str
    response: type[BaseModel]
    query: type[BaseModel] | None = None
    scope: str | None = "read"  # None: no token needed
    path_params: tuple[str, ...] = ()


ROUTES: tuple[Route, ...] = (
    Route(f"{PREFIX}/cases", "listCases", "Cases with their counts per state", CasePage, CaseQuery),
    Route(
        f"{PREFIX}/cases/{{case_id}}",
        "getCase",
        "One case with its matches per municipality (404 when not alerted to the client's "
        "municipalities)",
        CaseDetail,
        path_params=("case_id",),
    ),
    Route(f"{PREFIX}/deliveries", "listDeliveries", "The outbox", DeliveryPage, DeliveryQuery),
    Route(
        f"{PREFIX}/acknowledgements",
        "listAcknowledgements",
        "Acknowledgements and statuses from municipalities",
        AckPage,
        AckQuery,
    ),
    Route(f"{PREFIX}/incidents", "listIncidents", "Incident reports", IncidentPage, IncidentQuery),
    Route(f"{PREFIX}/sector", "getSector", "The sector at a glance", SectorSummary, SectorQuery),
    Route(f"{PREFIX}/feeds", "listFeeds", "Feed health", FeedList),
)
HEALTH_ROUTES: tuple[Route, ...] = (
    Route("/healthz", "healthz", "The process is up", Health, scope=None),
    Route("/readyz", "readyz", "Ready: database, scheduler, feeds, outbox", Readiness, scope=None),
)
ERRORS = {
    "400": "Bad query parameters",
    "401": "No or unknown bearer token",
    "403": "The token lacks the scope, or the municipality is not the client's",
    "404": "Not found",
    "429": "Rate limit; see Retry-After",
}


def _param_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: the model property without its null branch."""
    branches = prop.get("anyOf")
    if branches:
        rest = [b for b in branches if b.get("type") != "null"]
        if len(rest) == 1:
            prop = {**{k: v for k, v in prop.items() if k != "anyOf"}, **rest[0]}
    return {k: v for k, v in prop.items() if k != "title" and (k, v) != ("default", None)}


def _operation(route: Route, ref: dict[str, str]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in route.path_params
    ]
    if route.query is not None:
        schema = route.query.model_json_schema()
        params += [
            {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", []),
                "schema": _param_schema(prop),
            }
            for name, prop in schema["properties"].items()
        ]
    problem = {"content": {PROBLEM_JSON: {"schema": {"$ref": ref["Problem"]}}}}
    responses: dict[str, Any] = {
        "200": {
            "description": route.summary,
            "content": {"application/json": {"schema": {"$ref": ref[route.response.__name__]}}},
        }
    }
    codes = ERRORS if route.scope else {"503": "Not ready"} if route.op == "readyz" else {}
    for code, text in codes.items():
        if code == "503":
            responses[code] = {
                "description": text,
                "content": {"application/json": {"schema": {"$ref": ref["Readiness"]}}},
            }
        else:
            responses[code] = {"description": text, **problem}
    op: dict[str, Any] = {
        "operationId": route.op,
        "summary": route.summary,
        "parameters": params,
        "responses": responses,
    }
    op["security"] = [{"bearer": []}] if route.scope else []
    return op


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of `ROUTES` and `HEALTH_ROUTES`."""
    routes = ROUTES + HEALTH_ROUTES
    models: list[type[BaseModel]] = sorted(
        {r.response for r in routes} | {Problem, Readiness}, key=lambda m: m.__name__
    )
    mode: Literal["serialization"] = "serialization"
    _, top = models_json_schema(
        [(m, mode) for m in models], ref_template="#/components/schemas/{model}"
    )
    schemas = top.get("$defs", {})
    ref = {name: f"#/components/schemas/{name}" for name in schemas}
    paths = {r.path: {"get": _operation(r, ref)} for r in routes}
    paths[f"{PREFIX}/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {
                    "description": "the OpenAPI 3.1 document",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    paths["/metrics"] = {
        "get": {
            "operationId": "metrics",
            "summary": "Prometheus metrics (text exposition format)",
            "security": [{"bearer": []}, {}],
            "responses": {
                "200": {
                    "description": "metrics",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "401": {"description": ERRORS["401"]},
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "certbot API",
            "version": "1",
            "description": "The sector overview of certbot: cases, matches per municipality, "
            "deliveries, acknowledgements, incidents, the sector summary and feed health. "
            "Every answer is bounded by the client's TLP clearance: text above it is null "
            "and the item is marked withheld.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
