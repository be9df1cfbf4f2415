"""The weekly send to ``role: leadership`` targets, through the outbox (issue 14.4).

`build_report` computes one municipality's report for a week and a reader's clearance.
`plan_weekly_reports` runs on the store's writer thread (the scheduler's Monday job) and
plans one outbox row per leadership target for the last complete ISO week: the delivery id
is derived from (municipality, week, target), so planning again (a restart, a second
process, a retried job) is the same row, and each target gets each week's report once.

The notification (kind ``report``) carries what every channel needs: the title and the short
summary for chat channels, and for e-mail the HTML page (rendered here, autoescaped) with its
chart as a PNG (base64) referenced by ``cid:`` (``extra["chart_cid"]``). The row's TLP label
is the report's own (TLP:GREEN, or the most restricted title shown), so the send-time TLP
check applies as for any delivery.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime

from certbot import tlp as tlp_rules
from certbot.config import Config, SubscriberConfig, TargetConfig
from certbot.model import TLP, Notification
from certbot.outbound.notices import Addressee
from certbot.render import Renderer
from certbot.report.chart import trend_png
from certbot.report.figures import Report, compute
from certbot.report.render import render_html, render_summary
from certbot.report.weeks import Week
from certbot.store import Delivery, Store, delivery_id, iso

log = logging.getLogger("certbot.report")
LEADERSHIP = "leadership"
TITLES = {"nb": "Ukerapport uke {n}: {name}", "en": "Weekly report week {n}: {name}"}


def clearance_of(target: TargetConfig, owner: str) -> TLP:
    """The most restricted label `certbot.tlp.check` lets ``target`` receive about its own
    municipality: titles above it are withheld from the report."""
    allowed = [
        t for t in TLP if tlp_rules.check(t, target, target_owner=owner, concerned=owner) is None
    ]
    return max(allowed, default=TLP.CLEAR)


def reader_clearance(sub: SubscriberConfig) -> TLP:
    """For a report printed from the command line: the lowest clearance among the
    municipality's leadership targets, or TLP:GREEN when it has none."""
    cleared = [clearance_of(t, sub.id) for t in sub.targets if t.role == LEADERSHIP]
    return min(cleared, default=TLP.GREEN)


def build_report(store: Store, config: Config, sub_id: str, week: Week, clearance: TLP) -> Report:
    rows = store.report_alerts(iso(week.end) or "")
    return compute(config, rows, sub_id, week, clearance)


def report_notification(
    report: Report, target: TargetConfig, renderer: Renderer | None = None
) -> Notification:
    did = delivery_id("report", report.sub_id, str(report.week), target.id)
    png = trend_png(report.trend, report.language)
    cid = f"chart-{did}@certbot"
    title = TITLES.get(report.language, TITLES["en"]).format(n=report.week.number, name=report.name)
    summary = render_summary(report, renderer)
    to = Addressee(report.sub_id, report.name, target.id, report.language)
    return to.notice(
        did,
        "report",
        report.tlp,
        title,
        summary=summary,
        extra={
            "week": str(report.week),
            "report_html": render_html(report, f"cid:{cid}", renderer),
            "chart_png": base64.b64encode(png).decode("ascii"),
            "chart_cid": cid,
        },
    )


def plan_weekly_reports(store: Store, config: Config, now: datetime) -> int:
    """Plan last week's report to every leadership target; returns how many rows were new."""
    readers = [(s, t) for s in config.subscribers for t in s.targets if t.role == LEADERSHIP]
    if not readers:
        return 0
    week = Week.last_complete(now)
    rows = store.report_alerts(iso(week.end) or "")
    renderer = Renderer()
    planned = 0
    for sub, target in readers:
        report = compute(config, rows, sub.id, week, clearance_of(target, sub.id))
        n = report_notification(report, target, renderer)
        # priority 4: after every alert that is due at the same time
        planned += store.add_delivery(Delivery.planned(n, target.kind, priority=4), now=now)
    if planned:
        log.info("weekly report %s planned to %d leadership target(s)", week, planned)
    return planned
