"""The weekly leadership report (issue 14.4): numbers from a store filled through the real
pipeline, TLP-withheld titles, the golden page, the command line, the e-mail's CID chart
sent to a real SMTP server on 127.0.0.1, the chat summary, and the Monday job."""

from __future__ import annotations

import asyncio
import email
import html as html_lib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import SMTP as SMTPServer

from certbot.app import App
from certbot.channels import ChannelContext, channel_class
from certbot.channels.chat import sections
from certbot.cli import main
from certbot.config import FeedConfig, TargetConfig, load_config
from certbot.errors import ConfigError
from certbot.model import TLP, Notification
from certbot.pipeline import Pipeline
from certbot.render import OSLO, Renderer
from certbot.report.figures import Overdue, compute
from certbot.report.render import advice, render_html, render_summary
from certbot.report.weekly import build_report, plan_weekly_reports, reader_clearance
from certbot.report.weeks import Week
from certbot.sources import SourceState
from certbot.store import AsyncStore, Store, iso
from tests.factory import Clock, config, confirmed, fortios_sub, kev
from tests.report_helpers import HOSTILE, WEEK, build_sector

MONDAY = datetime(2026, 3, 16, 7, 0, tzinfo=OSLO)  # the Monday after WEEK


@pytest.fixture
def sector(tmp_path):
    s = build_sector(tmp_path)
    yield s
    s.store.close()


def report(sector, sub_id="0301", clearance=TLP.GREEN):
    return build_report(sector.store, sector.config, sub_id, WEEK, clearance)


def test_weeks_are_iso_weeks_in_oslo():
    assert str(WEEK) == "2026-W11" and Week.parse("2026w11") == WEEK
    assert WEEK.start.isoformat() == "2026-03-09T00:00:00+01:00"
    assert WEEK.end == Week.parse("2026-W12").start
    assert Week.last_complete(MONDAY) == WEEK
    assert Week.last_complete(datetime(2026, 3, 15, 22, 59, tzinfo=UTC)) == WEEK.shift(-1)
    assert Week.parse("2026-W01").shift(-1) == Week(2025, 52)
    with pytest.raises(ValueError, match="YYYY-Www"):
        Week.parse("2026-11")
    with pytest.raises(ValueError, match="no ISO week 53"):
        Week.parse("2027-W53")


def test_numbers_from_the_pipeline(sector):
    oslo = report(sector)
    assert (oslo.new, oslo.serious, oslo.due, oslo.on_time) == (2, 2, 2, 1)
    [late] = oslo.overdue
    assert (late.case_id, late.priority, late.days) == ("CVE-2026-0003", 1, 4)
    # Oslo alone in its county; the sector: 2/3, 1/3, 2/3 handled in time over 12 weeks.
    assert oslo.on_time_share.own == pytest.approx(2 / 3)
    assert oslo.on_time_share.sector == pytest.approx(2 / 3)
    assert [(p.total, p.serious) for p in oslo.trend[-3:]] == [(0, 0), (1, 1), (2, 2)]
    assert len(oslo.trend) == 12 and oslo.trend[-1].week == WEEK
    bergen = report(sector, "4601")
    assert bergen.on_time == 0 and [o.case_id for o in bergen.overdue] == [
        "CVE-2026-0002",
        "CVE-2026-0003",
    ]
    assert bergen.on_time_share.own == pytest.approx(1 / 3)
    assert bergen.on_time_share.county == pytest.approx(0.5)  # median of 1/3 and 2/3
    assert (bergen.overdue_count.own, bergen.overdue_count.county) == (2, 1)
    assert bergen.overdue_count.sector == 1  # median of 1, 2, 0
    assert advice(bergen) == ["serious_overdue", "behind_county", "inventory"]
    kinn = report(sector, "4602")
    assert kinn.overdue == [] and kinn.on_time == 1  # the late "not affected" is not in time
    assert advice(kinn) == ["late", "inventory"]


def test_the_week_before_knows_nothing_of_later_acks_or_cases(sector):
    rows = sector.store.report_alerts(iso(WEEK.shift(-1).end) or "")
    earlier = compute(sector.config, rows, "0301", WEEK.shift(-1), TLP.GREEN)
    assert (earlier.new, earlier.due, earlier.on_time, earlier.overdue) == (1, 1, 1, [])
    assert advice(earlier) == ["keep_up", "inventory"]


def test_titles_above_the_clearance_are_withheld_and_all_text_is_escaped(sector):
    green = render_html(report(sector), "cid:x")
    assert "Hemmelig" not in green and "tittelen er holdt tilbake" in green
    assert "TLP:GREEN" in green
    amber = render_html(report(sector, clearance=TLP.AMBER), "cid:x")
    assert html_lib.escape(HOSTILE, quote=False) in amber
    assert "<script>" not in amber and "TLP:AMBER" in amber


def test_golden_pages_nb_and_en(sector, golden):
    golden("report/0301-2026-W11.nb.html", render_html(report(sector), "cid:chart"))
    golden("report/4602-2026-W11.en.html", render_html(report(sector, "4602"), "cid:chart"))
    golden("report/4601-2026-W11.summary.txt", render_summary(report(sector, "4601")))


def test_no_jargon_left_unexplained(sector):
    page = render_html(report(sector, "4601"), "cid:chart")
    for word in ("CVE", "TLP"):
        explained = {"CVE": "den internasjonale ID-en", "TLP": "delingsregel"}[word]
        assert explained in page
    assert "KEV" not in page


def test_command_line_writes_the_page(sector, tmp_path, capsys):
    out = tmp_path / "r.html"
    args = ["--config-dir", str(tmp_path), "--db", str(sector.db), "report", "0301"]
    assert main([*args, "--week", "2026-W11", "--out", str(out)]) == 0
    page = out.read_text()
    assert "Sårbarheter i Oslo kommune, uke 11" in page and 'src="data:image/png;base64,' in page
    assert "2 nye" in capsys.readouterr().out.replace("2 new", "2 nye")
    assert main([*args, "--week", "2026-11"]) == 2
    assert "YYYY-Www" in capsys.readouterr().err
    assert main([*args[:-1], "9999"]) == 2


def test_pdf_without_chromium_says_how_to_install_it(sector, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    args = ["--config-dir", str(tmp_path), "--db", str(sector.db), "report", "0301"]
    assert main([*args, "--week", "2026-W11", "--format", "pdf"]) == 3
    assert "apt-get install -y chromium" in capsys.readouterr().err


def test_leadership_targets_get_no_technical_alerts(sector):
    targets = {(r["subscriber_id"], r["target_id"]) for r in sector.store.deliveries()}
    assert ("0301", "drift") in targets
    assert not {t for t in targets if t[1] == "ledelse"}
    lead = TargetConfig(id="x", kind="email", address="a@b.example", role="leadership")
    assert not lead.takes_alerts
    assert lead.model_copy(update={"alerts": True}).takes_alerts
    assert TargetConfig(id="y", kind="email", address="a@b.example").takes_alerts


def test_weekly_job_plans_each_week_once(sector):
    store, config = sector.store, sector.config
    assert plan_weekly_reports(store, config, MONDAY) == 3  # one per leadership target
    assert plan_weekly_reports(store, config, MONDAY) == 0  # a second run: the same rows
    assert plan_weekly_reports(store, config, MONDAY + timedelta(days=2)) == 0  # same week
    rows = store.deliveries(status="pending")
    reports = [r for r in rows if r["kind"] == "report"]
    assert sorted((r["subscriber_id"], r["target_id"]) for r in reports) == [
        ("0301", "ledelse"),
        ("4601", "ledelse"),
        ("4602", "ledelse"),
    ]
    bergen = next(r for r in reports if r["subscriber_id"] == "4601")
    n = Notification.from_json(json.loads(bergen["notification"]))
    assert n.tlp == TLP.AMBER  # Bergen's leadership is cleared for AMBER and sees the title
    assert "Hemmelig FortiOS-feil &lt;script&gt;" in n.extra["report_html"]
    assert plan_weekly_reports(store, config, MONDAY + timedelta(days=7)) == 3  # next week


def test_reader_clearance_is_the_lowest_leadership_clearance(sector):
    assert reader_clearance(sector.config.subscriber("0301")) == TLP.GREEN
    assert reader_clearance(sector.config.subscriber("4601")) == TLP.AMBER


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content)
        return "250 2.0.0 queued"


async def test_email_is_multipart_related_with_the_chart_by_cid(sector):
    """The Monday job's row, sent by the dispatcher (send-time TLP check, claim, record) to
    a real SMTP server on 127.0.0.1."""
    inbox = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTPServer(inbox, loop=loop), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    smtp = sector.config.service.smtp.model_copy(update={"port": port})
    service = sector.config.service.model_copy(update={"smtp": smtp})
    config = sector.config.model_copy(update={"service": service})
    sector.store.close()
    try:
        async with App(config, sector.db, clock=lambda: MONDAY, rate_limits=False) as app:
            assert await app.store.call(plan_weekly_reports, config, MONDAY) == 3
            summary = await app.dispatch()
            rows = await app.store.call(Store.deliveries)
    finally:
        server.close()
        await server.wait_closed()
    reports = [r for r in rows if r["kind"] == "report"]
    assert {r["status"] for r in reports} == {"sent"} and summary.dead == 0
    assert len(inbox.messages) == 3
    raw = next(m for m in inbox.messages if b"Oslo kommune" in m)
    sector.store = Store(sector.db)  # the fixture closes it
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg["Subject"] == "[TLP:GREEN] Ukerapport uke 11: Oslo kommune"
    assert msg.get_content_type() == "multipart/alternative"
    text, related = msg.iter_parts()
    assert text.get_content_type() == "text/plain" and "2 nye sårbarheter" in text.get_content()
    assert related.get_content_type() == "multipart/related"
    html, image = related.iter_parts()
    assert html.get_content_type() == "text/html" and image.get_content_type() == "image/png"
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html.get_content()
    assert (
        image.get_content().startswith(b"\x89PNG") and image.get_content_disposition() == "inline"
    )


def test_chat_channels_get_the_key_numbers(sector):
    plan_weekly_reports(sector.store, sector.config, MONDAY)
    row = next(
        r
        for r in sector.store.deliveries()
        if r["kind"] == "report" and r["subscriber_id"] == "4601"
    )
    n = Notification.from_json(json.loads(row["notification"]))
    parts = sections(Renderer(), "telegram", n)
    head = parts[0].lines[0]
    assert head.startswith("TLP:AMBER · Ukerapport")
    body = "\n".join(line for s in parts for line in s.lines)
    assert "2 nye sårbarheter berørte Bergen kommune, 2 av dem alvorlige" in body
    assert "Forfalt ved ukeslutt: 2, 2 av dem alvorlige" in body
    assert "Bergen" in body and "Oslo" not in body and "Kinn" not in body


CHAT_TARGETS = {
    "slack": {"address": "C0123"},
    "telegram": {"address": "-100123"},
    "teams": {"secret": {"env": "TEAMS_URL"}},
}


@pytest.mark.parametrize("kind", sorted(CHAT_TARGETS))
def test_every_chat_channel_renders_the_summary(sector, kind):
    plan_weekly_reports(sector.store, sector.config, MONDAY)
    row = next(
        r
        for r in sector.store.deliveries()
        if r["kind"] == "report" and r["subscriber_id"] == "0301"
    )
    n = Notification.from_json(json.loads(row["notification"]))
    target = TargetConfig.model_validate({"id": "t", "kind": kind, **CHAT_TARGETS[kind]})
    env = {"TEAMS_URL": "https://example.webhook.office.com/x"}
    ctx = ChannelContext(config=sector.config, renderer=Renderer(), environ=env)
    channel = channel_class(kind)
    assert channel is not None
    body = json.dumps(channel(ctx).render(n, target).body, ensure_ascii=False)
    assert "Ukerapport" in body and "Håndtert innen fristen denne uka: 1 av 2" in body
    assert "report_html" not in body and "base64" not in body


def test_a_leadership_target_that_asks_for_alerts_gets_them(tmp_path):
    lead = {"kind": "email", "role": "leadership"}
    targets = [
        {"id": "quiet", **lead, "address": "a@k.example"},
        {"id": "curious", **lead, "address": "b@k.example", "alerts": True},
    ]
    cfg = config([fortios_sub("0301", targets=targets)], root=tmp_path)
    store = AsyncStore(Store(tmp_path / "t.db"))
    pipeline = Pipeline(cfg, store, http=None, clock=Clock())
    feed = FeedConfig(id="test", kind="rss", path="x.xml")
    advisories = [kev("CVE-2026-0009", "Fortinet", "FortiOS"), confirmed("CVE-2026-0009")]
    pipeline._ingest_and_plan(feed, advisories, SourceState())
    rows = store.store.deliveries()
    store.close()
    assert {(r["target_id"], r["kind"]) for r in rows} == {("curious", "alert")}


def test_a_long_overdue_list_shows_the_most_urgent_and_says_how_many_more(sector):
    base = report(sector)
    many = [Overdue(f"CASE-{i}", 1 + i % 3, 10 - i, f"Sak {i}", TLP.CLEAR) for i in range(8)]
    page = render_html(replace(base, overdue=many), "cid:x")
    assert page.count("<li>") == 6 and "… og 3 til" in page


def test_check_config_refuses_escalation_on_a_target_without_alerts(tmp_path):
    sub = tmp_path / "subscribers"
    sub.mkdir()
    (tmp_path / "feeds.yaml").write_text("feeds: []\n")
    (sub / "0301-oslo.yaml").write_text(
        'id: "0301"\nname: Oslo kommune\ncounty: Oslo\ntargets:\n'
        "  - {id: leder, kind: email, address: a@oslo.example, role: leadership, "
        "escalation: true}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    problem = err.value.problems[0]
    assert "targets[0].escalation" in problem and "set alerts: true" in problem
    assert "0301-oslo.yaml" in problem
