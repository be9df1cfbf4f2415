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

from certbot.publish.draft import Draft
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
    TlpLabel,
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


class PublishQuery(Out):
    dry_run: bool = Field(default=False, description="plan only: nothing is written or sent")
    confirm_tlp: bool = Field(default=False, description="accept a revision to a stricter TLP")


class WithdrawQuery(Out):
    dry_run: bool = Field(default=False, description="plan only: nothing is written or sent")


# --- request bodies -----------------------------------------------------------------------


class WithdrawBody(Out):
    reason: str | None = Field(
        default=None, max_length=2000, description="why (shown to the municipalities)"
    )


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


class PlannedDelivery(Out):
    """One delivery the publish planned (or, in a dry run, would plan) and its TLP decision."""

    municipality: str = Field(description="kommunenummer")
    target: str
    channel: str
    kind: str = Field(description="alert, update, ...")
    priority: int = Field(ge=1, le=4)
    tlp: TlpLabel
    tlp_decision: Literal["allowed", "blocked"]
    status: str = Field(description="outbox status: pending, digest, blocked, ...")
    reason: str | None = Field(description="why the TLP rules blocked it; null when allowed")


class PublishOutcome(Out):
    """What a publish, revision or withdrawal did; for a dry run what it would do."""

    id: str
    revision: int = Field(ge=1)
    status: Literal["published", "revised", "unchanged", "withdrawn"]
    dry_run: bool = Field(description="true: nothing was written or sent")
    case_id: str | None = Field(description="the case the advisory became; null when unplanned")
    material: bool = Field(description="false: a text-only change, no update is sent")
    changes: list[str]
    warnings: list[str]
    unknown_recipients: list[str]
    paths: dict[str, list[str]] = Field(description="kommunenummer -> the priority decision path")
    deliveries: list[PlannedDelivery]


class Problem(Out):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class InvalidProblem(Problem):
    """A 422: the body is not a valid draft; one line per problem (field: message)."""

    errors: list[str]


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
    method: Literal["get", "post"] = "get"
    body: type[BaseModel] | None = None  # the JSON request body of a POST


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
    Route(
        f"{PREFIX}/advisories",
        "publishAdvisory",
        "Publish the team's own advisory from a draft, or revise it (same id): the ordinary "
        "match, priority, TLP and outbox path; dry_run plans it and writes nothing",
        PublishOutcome,
        PublishQuery,
        scope="publish",
        method="post",
        body=Draft,
    ),
    Route(
        f"{PREFIX}/advisories/{{advisory_id}}/withdraw",
        "withdrawAdvisory",
        "Withdraw a published advisory; those alerted are told",
        PublishOutcome,
        WithdrawQuery,
        scope="publish",
        path_params=("advisory_id",),
        method="post",
        body=WithdrawBody,
    ),
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
POST_ERRORS = {
    "400": "Bad query parameters, or the body is not JSON",
    "409": "Refused, nothing written: a revision to a stricter TLP without confirm_tlp, "
    "recipients not configured, an unknown or withdrawn advisory",
    "422": "The body is not a valid draft",
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
    if route.body is not None:
        codes = {**codes, **POST_ERRORS}
    for code, text in sorted(codes.items()):
        if code == "422":
            schema = {"schema": {"$ref": ref["InvalidProblem"]}}
            responses[code] = {"description": text, "content": {PROBLEM_JSON: schema}}
        elif code == "503":
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
    if route.body is not None:
        body = {"schema": {"$ref": ref[route.body.__name__]}}
        op["requestBody"] = {"required": True, "content": {"application/json": body}}
    return op


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of `ROUTES` and `HEALTH_ROUTES`."""
    routes = ROUTES + HEALTH_ROUTES
    models: list[type[BaseModel]] = sorted(
        {r.response for r in routes} | {Problem, InvalidProblem, Readiness},
        key=lambda m: m.__name__,
    )
    bodies = sorted({r.body for r in routes if r.body is not None}, key=lambda m: m.__name__)
    modes: list[tuple[type[BaseModel], Literal["serialization", "validation"]]] = [
        *((m, "serialization") for m in models),
        *((m, "validation") for m in bodies),
    ]
    _, top = models_json_schema(modes, ref_template="#/components/schemas/{model}")
    schemas = top.get("$defs", {})
    ref = {name: f"#/components/schemas/{name}" for name in schemas}
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(r.path, {})[r.method] = _operation(r, ref)
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
            "deliveries, acknowledgements, incidents, the sector summary and feed health; "
            "clients with the publish scope publish, revise and withdraw the team's own "
            "advisories. "
            "Every answer is bounded by the client's TLP clearance: text above it is null "
            "and the item is marked withheld.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
