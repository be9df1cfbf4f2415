"""The signed-link page (issue 11.7) over HTTP: what a phone is shown, in whose language, the
security headers on every response, the incident form and its CSRF nonce, and who the audit
names. The same page in a real browser: tests/test_link_page_browser.py."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from certbot.inbound import link_pages, records
from certbot.inbound.link_pages import FORM_TTL, RSIT_CLASSES
from certbot.model import TLP
from certbot.store import replies
from tests.link_page_helpers import PERSON, Served, serve_links


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with serve_links(tmp_path) as s:
        yield s


async def get(s: Served, path: str) -> tuple[Any, lxml.html.HtmlElement]:
    resp = await s.client.get(path)
    return resp, lxml.html.fromstring(await resp.text())


def text_of(doc: lxml.html.HtmlElement, css_id: str) -> str:
    [el] = doc.xpath(f'//*[@id="{css_id}"]')
    return " ".join(el.text_content().split())


def form_values(doc: lxml.html.HtmlElement) -> dict[str, str]:
    [form] = [f for f in doc.forms if f.action and f.action.endswith("/incident")]
    return {i.name: i.value for i in form.inputs if i.tag == "input" and i.type == "hidden"}


def case_title(s: Served) -> str:
    row = replies.link_alert(s.world.store, s.world.case, "0301")
    assert row is not None and row["title"]
    return str(row["title"])


def check_headers(resp: Any) -> None:
    h = resp.headers
    csp = h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "script-src" not in csp  # no script may run at all
    assert h["Cache-Control"] == "no-store"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"


INCIDENT = {
    "rsit_class": "malicious-code",
    "what_happened": "Løsepengevirus på to PC-er i sentraladministrasjonen.\nKryptert fellesområde.",
    "when": "2026-01-05T07:30",
    "impact": "Saksbehandling stoppet i to timer.",
    "measures": "Maskinene er koblet fra nettet.",
}


async def test_the_page_shows_title_priority_municipality_and_deadline(served: Served) -> None:
    resp, doc = await get(served, served.link())
    assert resp.status == 200
    check_headers(resp)
    assert doc.get("lang") == "nb"
    [viewport] = doc.xpath('//meta[@name="viewport"]')
    assert "width=device-width" in viewport.get("content")
    assert text_of(doc, "title") == case_title(served)
    assert text_of(doc, "priority") == "P1 Handle nå"
    assert text_of(doc, "municipality") == "Kommune 0301"
    row = replies.link_alert(served.world.store, served.world.case, "0301")
    assert row is not None and row["deadline"]
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} kl\. \d\d:\d\d", text_of(doc, "deadline"))
    assert text_of(doc, "act") == "Kvitter"
    # the page's one <style> is the one the CSP allows
    [style] = doc.xpath("//style")
    assert f"'nonce-{style.get('nonce')}'" in resp.headers["Content-Security-Policy"]
    assert not doc.xpath("//script") and "style=" not in await resp.text()


async def test_the_page_speaks_the_municipalitys_language(served: Served) -> None:
    resp, doc = await get(served, served.link("4601", "patched", target=None))
    assert resp.status == 200 and doc.get("lang") == "en"
    assert text_of(doc, "priority") == "P1 Act now"
    assert text_of(doc, "act") == "Mark as patched"
    assert "Report an incident" in doc.text_content() and "Kommune" not in text_of(doc, "title")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", text_of(doc, "deadline"))


async def test_security_headers_on_every_response_of_the_endpoint(served: Served) -> None:
    path = served.link()
    c = served.client
    for resp in (
        await c.get(path),
        await c.post(path),
        await c.get("/l/not-a-token"),  # 403
        await c.post(path + "/incident", data={}),  # 403: no form nonce
        await c.put(path),  # 405 from the router
        await c.get(path + "/incident"),  # 405
    ):
        check_headers(resp)
    assert (await c.get("/l/not-a-token")).status == 403


async def test_get_changes_nothing_post_acts(served: Served) -> None:
    path = served.link()
    await served.client.get(path)
    assert records.ack_row(served.world.store, served.world.case, "0301") is None
    resp = await served.client.post(path)
    assert resp.status == 200
    doc = lxml.html.fromstring(await resp.text())
    assert text_of(doc, "title") == "Registrert"
    assert (
        records.ack_row(served.world.store, served.world.case, "0301")["status"] == "acknowledged"
    )


async def test_a_personal_targets_link_names_the_person(served: Served) -> None:
    await served.client.post(served.link("0301", "patched", target="leder"))
    row = records.ack_row(served.world.store, served.world.case, "0301")
    assert row["status"] == "remediation_done" and row["by"] == f"web:link:0301:{PERSON}"
    assert served.world.store.audit_rows(1)[0]["actor"] == f"web:link:0301:{PERSON}"


async def test_a_shared_targets_link_names_only_the_municipality(served: Served) -> None:
    await served.client.post(served.link("0301", "ack", target="drift"))
    assert served.world.store.audit_rows(1)[0]["actor"] == "web:link:0301"


async def test_incident_form_commits_then_shows_the_report_id(served: Served) -> None:
    path = served.link()
    _, doc = await get(served, path)
    csrf = form_values(doc)
    assert set(csrf) == {"nonce", "issued", "mac"}
    options = doc.xpath('//select[@name="rsit_class"]/option/@value')
    assert options == ["", *RSIT_CLASSES]
    resp = await served.client.post(path + "/incident", data={**csrf, **INCIDENT})
    assert resp.status == 200
    check_headers(resp)
    shown = text_of(lxml.html.fromstring(await resp.text()), "result")
    [inc] = records.incidents(served.world.store)
    assert inc["id"] in shown and shown.startswith("Takk.")
    assert inc["rsit_class"] == "malicious-code" and inc["municipality"] == "0301"
    assert inc["what_happened"] == INCIDENT["what_happened"]  # line breaks kept
    assert (inc["impact"], inc["measures"]) == (INCIDENT["impact"], INCIDENT["measures"])
    assert '"occurred": "2026-01-05T07:30+01:00"' in inc["times"]
    assert inc["reporter"] == "web:link:0301"
    audit = served.world.store.audit_rows(1)[0]
    assert (audit["action"], audit["decision"]) == ("incident", "allowed")
    # the same form sent twice (a double tap, a retry) files one report, shows the same id
    again = await served.client.post(path + "/incident", data={**csrf, **INCIDENT})
    assert inc["id"] in text_of(lxml.html.fromstring(await again.text()), "result")
    assert len(records.incidents(served.world.store)) == 1


async def test_incident_from_a_personal_link_names_the_reporter(served: Served) -> None:
    path = served.link(target="leder")
    _, doc = await get(served, path)
    await served.client.post(path + "/incident", data={**form_values(doc), **INCIDENT})
    [inc] = records.incidents(served.world.store)
    assert inc["reporter"] == f"web:link:0301:{PERSON}"


@pytest.mark.parametrize(
    "csrf",
    [
        {},
        {"nonce": "x", "issued": "1", "mac": "y"},
        "other-link",  # a real form of ANOTHER link's page
        "tampered",
        "expired",
    ],
    ids=["none", "made-up", "other-link", "tampered", "expired"],
)
async def test_incident_post_without_this_pages_nonce_is_refused(served: Served, csrf: Any) -> None:
    path = served.link()
    if isinstance(csrf, str):
        other = served.link("0301", "patched") if csrf == "other-link" else path
        _, doc = await get(served, other)
        fields = form_values(doc)
        if csrf == "tampered":
            fields["issued"] = str(int(fields["issued"]) + 60)
        if csrf == "expired":
            served.world.clock.advance(FORM_TTL + 1)
        csrf = fields
    resp = await served.client.post(path + "/incident", data={**csrf, **INCIDENT})
    assert resp.status == 403
    check_headers(resp)
    assert records.incidents(served.world.store) == []


@pytest.mark.parametrize(
    "change,field",
    [
        ({"rsit_class": "hacking"}, "rsit_class"),
        ({"rsit_class": ""}, "rsit_class"),
        ({"what_happened": "  "}, "what_happened"),
        ({"when": "i går"}, "when"),
    ],
)
async def test_a_wrong_field_reshows_the_form_with_the_reason(
    served: Served, change: dict[str, str], field: str
) -> None:
    path = served.link()
    _, doc = await get(served, path)
    resp = await served.client.post(
        path + "/incident", data={**form_values(doc), **INCIDENT, **change}
    )
    assert resp.status == 400
    page = lxml.html.fromstring(await resp.text())
    [alert] = page.xpath('//*[@role="alert"]')
    assert alert.text_content().strip()
    assert page.xpath('//textarea[@name="impact"]')[0].text == INCIDENT["impact"]  # kept
    assert records.incidents(served.world.store) == []
    assert link_pages.incident_fields({**INCIDENT, **change})[1] == field


async def test_untrusted_title_is_escaped(served: Served, monkeypatch: Any) -> None:
    real = replies.link_alert

    def hostile(store: Any, case_id: str, sub_id: str) -> dict[str, Any] | None:
        row = real(store, case_id, sub_id)
        return {**(row or {}), "title": '<script>alert(1)</script><img src=x onerror="y">'}

    monkeypatch.setattr(replies, "link_alert", hostile)
    resp = await served.client.get(served.link())
    html = await resp.text()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "label,target,shown",
    [
        (TLP.CLEAR, None, True),
        (TLP.GREEN, None, True),
        (TLP.AMBER, None, False),  # a link naming no target: GREEN at most
        (TLP.AMBER, "drift", True),  # drift is cleared for AMBER
        (TLP.RED, "drift", False),
        (TLP.RED, "leder", True),  # the personal target is cleared for RED
        (None, "leder", False),  # unknown label: withheld
    ],
)
async def test_title_only_where_the_links_target_was_cleared(
    served: Served, monkeypatch: Any, label: TLP | None, target: str | None, shown: bool
) -> None:
    store = served.world.store
    monkeypatch.setattr(store, "case_tlp", lambda case_id: (True, label))
    _, doc = await get(served, served.link(target=target))
    title = text_of(doc, "title")
    assert (title == case_title(served)) is shown
    if not shown:
        assert case_title(served) not in doc.text_content() and "vises ikke" in title


async def test_expired_link_is_refused_and_shows_nothing(served: Served) -> None:
    path = served.link()
    served.world.clock.advance(timedelta(days=15).total_seconds())
    resp, doc = await get(served, path)
    assert resp.status == 403 and "Kommune 0301" not in doc.text_content()
    check_headers(resp)
