"""The pages of the web overview (routes below; all behind sign-in, see `certbot.web.pages`).

- ``/`` sector overview: cases with their counts, the county and municipality roll-ups, the
  medians, filters; ``/chart/p1p2.svg`` its chart (same filters).
- ``/case/{id}``: the `explain` content as HTML.
- ``/municipality/{id}``: open alerts with deadlines and status, and the history.
- ``/feeds``, ``/outbox`` (with ``POST /outbox/{id}/retry``) and ``/incidents``: operators.

Who sees what: a municipality-scoped viewer sees rows of their municipalities only and gets
403 for another municipality's page or a case that does not concern them; viewers get 403 on
the operators' pages. A case title above the viewer's clearance is replaced by the chat
replies' "withheld" wording (`certbot.web.auth.title_or_withheld`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from certbot.config import COUNTIES, Config
from certbot.explain import explain
from certbot.inbound.clearance import incident_label
from certbot.inbound.texts import status_label
from certbot.model import TLP
from certbot.render import PRIORITY_NAMES, fmt_time
from certbot.sources import csaf_retry
from certbot.store import Store, webviews
from certbot.store import replies as records
from certbot.web import pages_data as data
from certbot.web.auth import Viewer, may_show, title_or_withheld
from certbot.web.pages import SITE, Site, render, session_of
from certbot.web.pages_chart import p1p2_svg


def _viewer(request: web.Request) -> Viewer:
    session = session_of(request)
    assert session is not None  # the guard admitted this request
    return session.viewer


def _operator(request: web.Request) -> Viewer:
    viewer = _viewer(request)
    if not viewer.operator:
        raise web.HTTPForbidden(text="for operators only")
    return viewer


def _scope(config: Config, viewer: Viewer) -> list[str]:
    return [s.id for s in config.subscribers if viewer.may_see(s.id)]


def _helpers(request: web.Request) -> dict[str, Any]:
    session = session_of(request)
    lang = session.lang if session else "nb"
    return {
        "when": lambda v: fmt_time(data._at(v) if isinstance(v, str) else v, lang),
        "status_name": lambda s: status_label(lang, s),
        "prio_name": lambda p: f"P{p} {PRIORITY_NAMES[lang][int(p)]}" if p else "",
    }


async def _rows(site: Site, viewer: Viewer) -> list[dict[str, Any]]:
    return await site.app.store.call(webviews.alert_rows, _scope(site.app.config, viewer))


def _titled(site: Site, viewer: Viewer, lang: str, items: list[dict[str, Any]]) -> None:
    for c in items:
        c["shown"], c["withheld"] = title_or_withheld(
            site.app.config, viewer, c["title"], c["tlp"], c["municipalities"], lang
        )


async def overview(request: web.Request) -> web.Response:
    site = request.app[SITE]
    viewer, config = _viewer(request), site.app.config
    lang = session_of(request).lang  # type: ignore[union-attr]
    filters = data.Filters.read(request.query, config)
    county_of = {s.id: s.county for s in config.subscribers}
    rows = filters.keep(await _rows(site, viewer), county_of)
    now = site.app.clock()
    cases = data.cases(rows, now)
    _titled(site, viewer, lang, cases)
    names = {s.id: s.name for s in config.subscribers}
    return render(
        request,
        "overview",
        cases=[c for c in cases if c["open"]],
        closed=[c for c in cases if not c["open"]],
        totals=data.counts(rows, now),
        medians=data.medians(rows),
        counties=data.rollup(rows, county_of, now),
        municipalities=data.rollup(rows, {}, now),
        names=names,
        filters=filters.as_query(),
        chart_query=request.rel_url.query_string,
        choices={
            "county": sorted(set(county_of.values())),
            "priority": ["P1", "P2", "P3", "P4"],
            "tlp": [t.label for t in TLP],
            "source": sorted(f.id for f in config.feeds),
        },
        series=data.series(rows, now.date())[-14:],
        **_helpers(request),
    )


async def chart(request: web.Request) -> web.Response:
    site = request.app[SITE]
    viewer, config = _viewer(request), site.app.config
    filters = data.Filters.read(request.query, config)
    county_of = {s.id: s.county for s in config.subscribers}
    rows = filters.keep(await _rows(site, viewer), county_of)
    lang = session_of(request).lang  # type: ignore[union-attr]
    svg = p1p2_svg(data.series(rows, site.app.clock().date()), lang)
    return web.Response(body=svg, content_type="image/svg+xml")


def _case_view(
    store: Store, config: Config, case_id: str, viewer: Viewer, now: Any
) -> dict[str, Any] | None:
    report = explain(store, config, case_id, subscriber=None, now=now)
    if report is None:
        return None
    report["label"] = store.case_tlp(report["case"])[1]
    report["municipalities"] = [m for m in report["municipalities"] if viewer.may_see(m["id"])]
    return report


async def case(request: web.Request) -> web.Response:
    site = request.app[SITE]
    viewer, config = _viewer(request), site.app.config
    lang = session_of(request).lang  # type: ignore[union-attr]
    report = await site.app.store.call(
        _case_view, config, request.match_info["id"], viewer, site.app.clock()
    )
    if report is None:
        raise web.HTTPNotFound(text="no such case")
    concerned = [m["id"] for m in report["municipalities"]]
    if viewer.municipalities and not concerned:
        raise web.HTTPForbidden(text="this case does not concern your municipality")
    title, withheld = title_or_withheld(
        config, viewer, report["title"] or "", report["label"], concerned, lang
    )
    if withheld:  # nothing of the case beyond its id and label
        report.update(sources=[], cvss_notes=[], municipalities=[])
    return render(
        request,
        "case",
        r=report,
        title=title,
        withheld=withheld,
        names=_names(config),
        **_helpers(request),
    )


def _names(config: Config) -> dict[str, str]:
    return {s.id: s.name for s in config.subscribers}


async def municipality(request: web.Request) -> web.Response:
    site = request.app[SITE]
    viewer, config = _viewer(request), site.app.config
    lang = session_of(request).lang  # type: ignore[union-attr]
    sub_id = request.match_info["id"]
    sub = next((s for s in config.subscribers if s.id == sub_id), None)
    if sub is None:
        raise web.HTTPNotFound(text="no such municipality")
    if not viewer.may_see(sub_id):
        raise web.HTTPForbidden(text="not your municipality")
    rows = await site.app.store.call(webviews.alert_rows, [sub_id])
    for r in rows:
        r["municipalities"] = [sub_id]
    _titled(site, viewer, lang, rows)
    now = site.app.clock()
    for r in rows:
        r["overdue"] = data.is_overdue(r, now)
    return render(
        request,
        "municipality",
        sub=sub,
        county=COUNTIES.get(sub_id[:2], (sub.county,))[0],
        open_rows=[r for r in rows if data.is_open(r)],
        history=[r for r in rows if not data.is_open(r)],
        totals=data.counts(rows, now),
        items=len(sub.inventory),
        **_helpers(request),
    )


def _feeds_view(store: Store) -> tuple[dict[str, Any], dict[str, int], dict[str, Any]]:
    return webviews.feed_states(store), webviews.feed_items(store), store.feed_cursors(None)


async def feeds(request: web.Request) -> web.Response:
    _operator(request)
    site = request.app[SITE]
    states, items, cursors = await site.app.store.call(_feeds_view)
    rows = []
    for f in site.app.config.feeds:
        st = states.get(f.id, {})
        last = data._at(st.get("last_polled"))
        rows.append(
            {
                "id": f.id,
                "kind": f.kind,
                "name": f.name or f.id,
                "enabled": f.enabled,
                "last_ok": st.get("last_ok"),
                "items": items.get(f.id, 0),
                "failures": st.get("failures") or 0,
                "last_error": st.get("last_error"),
                "next_poll": last + timedelta(seconds=f.interval) if last else None,
                "rejected": csaf_retry.listing(f.id, cursors[f.id]) if f.id in cursors else [],
            }
        )
    return render(request, "feeds", feeds=rows, **_helpers(request))


async def outbox(request: web.Request) -> web.Response:
    _operator(request)
    store = request.app[SITE].app.store
    pending = await store.deliveries(status="pending", limit=200)
    dead = await store.deliveries(status="dead", limit=200)
    return render(
        request,
        "outbox",
        queued=[d for d in pending if not d["attempts"]],
        retrying=[d for d in pending if d["attempts"]],
        dead=dead,
        done=request.query.get("retried", ""),
        **_helpers(request),
    )


async def retry(request: web.Request) -> web.StreamResponse:
    viewer = _operator(request)
    site = request.app[SITE]
    delivery = request.match_info["id"]
    ok = await site.app.store.call(
        webviews.retry_dead, delivery, f"web:{viewer.subject}", site.app.clock()
    )
    if not ok:
        raise web.HTTPConflict(text="that delivery is not dead (any more)")
    return web.Response(status=303, headers={"Location": f"/outbox?retried={delivery}"})


async def incidents(request: web.Request) -> web.Response:
    viewer = _operator(request)
    site = request.app[SITE]
    config = site.app.config
    rows = await site.app.store.call(records.incidents)
    shown = []
    for inc in rows:
        inc = dict(inc)
        label = incident_label(inc)
        inc["label"] = label.label
        inc["withheld"] = not may_show(config, viewer, [str(inc["municipality"])], label)
        inc["history"] = (
            [] if inc["withheld"] else await site.app.store.call(records.history, inc["id"])
        )
        shown.append(inc)
    return render(request, "incidents", incidents=shown, names=_names(config), **_helpers(request))


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
