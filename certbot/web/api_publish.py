"""The JSON API's publishing routes: ``POST /api/v1/advisories`` and ``.../{id}/withdraw``.

Contract: `answer(app, client, route, request, q)` runs after `certbot.web.api` has admitted
the client for the route's ``publish`` scope (401 / 403 / 429 are decided there) and parsed
the query string. It reads the JSON body into the route's model (not JSON: 400; not a valid
draft / withdrawal: 422 `InvalidProblem` naming each field and its problem), takes the
operator identity ``api:<client id>`` through `publish.check_operator` (the same check as the
command line's), and runs the ordinary publish path (`publish.publish_draft` /
`publish.withdraw`, in a `publish.dry_run` scratch copy for ``dry_run``) on the store's writer
thread. A `PublishRefused` (stricter TLP without ``confirm_tlp``, unknown recipients, an
unknown or withdrawn advisory) is a 409 with nothing written. The answer is a
`PublishOutcome`: the id, revision, status and every planned delivery with its TLP decision.
TLP:RED drafts are handled exactly as the command line handles them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from certbot.levels import TLP
from certbot.publish import publish as pub
from certbot.publish.draft import Draft
from certbot.store import Store
from certbot.web.api_auth import SAFE_HEADERS, Client, problem
from certbot.web.api_spec import (
    PROBLEM_JSON,
    InvalidProblem,
    PlannedDelivery,
    PublishOutcome,
    Route,
)
from certbot.web.models import label_of

if TYPE_CHECKING:
    from certbot.app import App

Run = Callable[[Store], pub.Outcome]


class BadBody(ValueError):
    """The request body is not a JSON document."""


def invalid(exc: ValidationError) -> web.Response:
    errors = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()]
    body = InvalidProblem(
        title="Unprocessable content",
        status=422,
        detail=f"the body has {len(errors)} problem(s); nothing was published",
        errors=errors,
    )
    return web.Response(
        status=422,
        body=body.model_dump_json().encode(),
        content_type=PROBLEM_JSON,
        headers=SAFE_HEADERS,
    )


async def _body(route: Route, request: web.Request) -> BaseModel:
    assert route.body is not None
    if request.content_type != "application/json":
        raise BadBody("send the body as application/json")
    try:
        raw = json.loads(await request.read())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadBody(f"the body is not JSON: {exc}") from None
    return route.body.model_validate(raw)


def _delivery(row: dict[str, Any]) -> PlannedDelivery:
    blocked = row["status"] == "blocked"
    return PlannedDelivery(
        municipality=row["subscriber_id"],
        target=row["target_id"],
        channel=row["channel"],
        kind=row["kind"],
        priority=row["priority"],
        tlp=label_of(TLP(row["tlp"])),
        tlp_decision="blocked" if blocked else "allowed",
        status=row["status"],
        reason=row["last_error"] if blocked else None,
    )


# The `PublishOutcome` fields named and shaped as in `Outcome`.
SAME = "id revision dry_run case_id material changes warnings unknown_recipients paths".split()


def outcome_model(outcome: pub.Outcome) -> PublishOutcome:
    return PublishOutcome(
        status=outcome.action,  # type: ignore[arg-type]
        deliveries=[_delivery(r) for r in outcome.deliveries],
        **{name: getattr(outcome, name) for name in SAME},
    )


def _run(app: App, client: Client, route: Route, request: web.Request, body: Any, q: Any) -> Run:
    operator = pub.check_operator(app.config, f"{pub.API}{client.id}")
    now, config = app.clock(), app.config
    if route.op == "withdrawAdvisory":
        advisory_id = request.match_info["advisory_id"]

        def run(store: Store) -> pub.Outcome:
            return pub.withdraw(
                store, config, advisory_id, operator=operator, now=now, reason=body.reason
            )
    else:
        assert isinstance(body, Draft)

        def run(store: Store) -> pub.Outcome:
            return pub.publish_draft(
                store, config, body, operator=operator, now=now, confirm_tlp=q.confirm_tlp
            )

    return run


def _dry(run: Run) -> Callable[[Store], pub.Outcome]:
    return lambda store: pub.dry_run(store, run)


async def answer(
    app: App, client: Client, route: Route, request: web.Request, q: Any
) -> web.StreamResponse:
    """The answer to one admitted POST (see the module contract)."""
    try:
        body = await _body(route, request)
    except ValidationError as exc:
        return invalid(exc)
    except BadBody as exc:
        return problem(400, str(exc))
    try:
        run = _run(app, client, route, request, body, q)
    except pub.PublishRefused:
        return problem(403, "this client is not allowed to publish")
    try:
        outcome = await app.store.call(_dry(run) if q.dry_run else run)
    except pub.PublishRefused as exc:
        return problem(409, f"refused, nothing published: {exc}")
    return web.Response(
        body=outcome_model(outcome).model_dump_json().encode(),
        content_type="application/json",
        headers=SAFE_HEADERS,
    )
