"""The pages of the web overview (routes below; all behind sign-in, see `certbot.web.pages`).
Every read goes through `certbot.web.api_read.Reader` (the queries of
`certbot.store.overview`, shared with the JSON API), bounded by the signed-in person's
clearance and scope (`certbot.web.auth.reader_viewer`).

- ``/`` sector overview: open cases with their counts, the county and municipality roll-ups,
  the medians and filters; ``/chart/p1p2.svg`` its chart (same county filter).
- ``/case/{id}``: the `explain` content as HTML.
- ``/municipality/{id}``: open alerts with deadlines and status, the history, and the
  inventory's coverage (`certbot.inventory.check.coverage`: items no source can match).
- ``/feeds``, ``/outbox`` (with ``POST /outbox/{id}/retry``, audited) and ``/incidents``:
  operators only.

A municipality-scoped viewer gets 403 for another municipality's page or a case that was not
alerted to theirs; viewers get 403 on the operators' pages. A title above the reader's
clearance is replaced by the chat replies' wording (`certbot.web.auth.withheld_title`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from certbot.config import COUNTIES, Config
from certbot.explain import explain
from certbot.inbound.texts import status_label
from certbot.inventory.check import coverage
from certbot.model import TLP
from certbot.render import PRIORITY_NAMES, fmt_time
from certbot.sources import csaf_retry
from certbot.store import Store, webviews
from certbot.store.overview import CaseFilter, RowFilter
from certbot.web import pages_data as data
from certbot.web.api_read import OutOfScope, Reader
from certbot.web.auth import Person, reader_viewer, withheld_title
from certbot.web.models import CaseSummary, label_of
from certbot.web.pages import SITE, render, session_of
from certbot.web.pages_chart import p1p2_svg

PAGE = 200  # rows per list


def _person(request: web.Request) -> Person:
    session = session_of(request)
    assert session is not None  # the guard admitted this request
    return session.person


def _lang(request: web.Request) -> str:
    session = session_of(request)
    return session.lang if session is not None else "nb"


def _operator(request: web.Request) -> Person:
    person = _person(request)
    if not person.operator:
        raise web.HTTPForbidden(text="for operators only")
    return person


def _reader(request: web.Request) -> Reader:
    app = request.app[SITE].app
    return Reader(app.store, app.config, reader_viewer(app.config, _person(request)), app.clock())


def _scope(reader: Reader, **narrow: str | None) -> tuple[str, ...] | None:
    try:
        return reader.scope(**narrow)
    except OutOfScope:
        raise web.HTTPForbidden(text="not your municipality") from None


def _helpers(request: web.Request) -> dict[str, Any]:
    lang = _lang(request)
    config = request.app[SITE].app.config

    def when(value: Any) -> str:
        if isinstance(value, str) and value:
            return fmt_time(datetime.fromisoformat(value), lang)
        return fmt_time(value, lang) if value else ""

    return {
        "when": when,
        "status_name": lambda s: status_label(lang, s),
        "prio_name": lambda p: f"P{p} {PRIORITY_NAMES[lang][int(p)]}" if p else "",
        "withheld": lambda label: withheld_title(lang, label),
        "names": {s.id: s.name for s in config.subscribers},
    }


async def overview(request: web.Request) -> web.Response:
    reader = _reader(request)
    config = reader.config
    filters = data.Filters.read(request.query, config)
    subs = _scope(reader, county=filters.county or None)
    cases, total = await reader.cases(filters.cases(subs), limit=PAGE)
    summary = await reader.sector(subs)
    return render(
        request,
        "overview",
        cases=cases,
        total=total,
        s=summary,
        filters=filters.as_query(),
        chart_query=f"county={filters.county}" if filters.county else "",
        choices={
            "county": data.counties(config),
            "priority": ["P1", "P2", "P3", "P4"],
            "tlp": [t.label for t in TLP],
            "source": sorted(f.id for f in config.feeds),
        },
        recent=data.series(summary.trend)[-14:],
        **_helpers(request),
    )


async def chart(request: web.Request) -> web.Response:
    reader = _reader(request)
    filters = data.Filters.read(request.query, reader.config)
    summary = await reader.sector(_scope(reader, county=filters.county or None))
    svg = p1p2_svg(data.series(summary.trend), _lang(request))
    return web.Response(body=svg, content_type="image/svg+xml")


def _explained(store: Store, config: Config, case_id: str, reader: Reader) -> dict[str, Any] | None:
    report = explain(store, config, case_id, subscriber=None, now=reader.now)
    if report is not None:
        report["label"] = label_of(store.case_tlp(report["case"])[1])
        mine = reader.viewer.may_read
        report["municipalities"] = [m for m in report["municipalities"] if mine(m["id"])]
    return report


async def case(request: web.Request) -> web.Response:
    reader = _reader(request)
    case_id = request.match_info["id"]
    detail = await reader.case(case_id)
    if detail is None and reader.viewer.municipality is not None:
        raise web.HTTPForbidden(text="this case was not alerted to your municipality")
    report = await reader.store.call(_explained, reader.config, case_id, reader)
    if report is None:
        raise web.HTTPNotFound(text="no such case")
    label = detail.tlp if detail is not None else None
    withheld = (detail is None and not reader.viewer.may_see(None, None)) or bool(
        detail and detail.withheld
    )
    if withheld:  # nothing of the advisory beyond its id and label
        report.update(sources=[], cvss_notes=[], municipalities=[], cves=[])
    return render(
        request,
        "case",
        r=report,
        detail=detail,
        label=label,
        is_withheld=withheld,
        **_helpers(request),
    )


async def municipality(request: web.Request) -> web.Response:
    reader = _reader(request)
    sub_id = request.match_info["id"]
    sub = next((s for s in reader.config.subscribers if s.id == sub_id), None)
    if sub is None:
        raise web.HTTPNotFound(text="no such municipality")
    subs = _scope(reader, municipality=sub_id)
    cases, _ = await reader.cases(CaseFilter(subscribers=subs), limit=PAGE)
    acks, _ = await reader.acks(RowFilter(subscribers=subs), limit=10 * PAGE)
    status = {a.case_id: a for a in acks}
    summary = await reader.sector(subs)
    rows = [(c, status.get(c.id)) for c in cases]
    return render(
        request,
        "municipality",
        sub=sub,
        county=COUNTIES.get(sub_id[:2], (sub.county,))[0],
        open_rows=[(c, a) for c, a in rows if _open(c)],
        history=[(c, a) for c, a in rows if not _open(c)],
        s=summary,
        cover=coverage(sub),
        **_helpers(request),
    )


def _open(c: CaseSummary) -> bool:
    return c.patched + c.not_affected < c.municipalities


async def feeds(request: web.Request) -> web.Response:
    _operator(request)
    reader = _reader(request)
    statuses = await reader.feeds()
    cursors = await reader.store.call(Store.feed_cursors, None)
    rejected = {f: csaf_retry.listing(f, c) for f, c in cursors.items()}
    return render(request, "feeds", feeds=statuses, rejected=rejected, **_helpers(request))


async def outbox(request: web.Request) -> web.Response:
    _operator(request)
    reader = _reader(request)
    pending, _ = await reader.deliveries(RowFilter(status="pending"), limit=PAGE)
    dead, _ = await reader.deliveries(RowFilter(status="dead"), limit=PAGE)
    return render(
        request,
        "outbox",
        queued=[d for d in pending if not d.attempts],
        retrying=[d for d in pending if d.attempts],
        dead=dead,
        done=request.query.get("retried", ""),
        **_helpers(request),
    )


async def retry(request: web.Request) -> web.StreamResponse:
    person = _operator(request)
    app = request.app[SITE].app
    delivery = request.match_info["id"]
    ok = await app.store.call(webviews.retry_dead, delivery, f"web:{person.subject}", app.clock())
    if not ok:
        raise web.HTTPConflict(text="that delivery is not dead (any more)")
    return web.Response(status=303, headers={"Location": f"/outbox?retried={delivery}"})


async def incidents(request: web.Request) -> web.Response:
    _operator(request)
    shown, _ = await _reader(request).incidents(RowFilter(), limit=PAGE)
    return render(request, "incidents", incidents=shown, **_helpers(request))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/", overview, name="overview")
    router.add_get("/chart/p1p2.svg", chart, name="chart")
    router.add_get("/case/{id}", case, name="case")
    router.add_get("/municipality/{id}", municipality, name="municipality")
    router.add_get("/feeds", feeds, name="feeds")
    router.add_get("/outbox", outbox, name="outbox")
    router.add_post("/outbox/{id}/retry", retry, name="retry")
    router.add_get("/incidents", incidents, name="incidents")


__all__ = ["add_routes"]
