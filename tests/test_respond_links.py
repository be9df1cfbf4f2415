"""Signed ack/status links (issue 5) shown to people: Teams buttons and an e-mail section.

The links are planned by pipeline._plan_target into ``n.extra["action_links"]``; here they are
rendered. Goldens: tests/golden/teams/*_links_*.json and tests/golden/email/<lang>/*_links.*.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from certbot.channels.teams import MAX_BYTES, TeamsChannel, encode
from certbot.model import Notification
from certbot.outbound.links import ACTIONS, respond_links
from tests.chat_helpers import make_ctx, make_huge, target
from tests.notifications import make_alert, make_digest, make_update
from tests.teams_schema import schema_errors
from tests.test_render_text import TARGET, mail_channel

BASE = "https://certbot.example.no/l/"
LINKS = {a: f"{BASE}eyJzIjoiMDMwMSJ9-{a}.bWFj" for a in ACTIONS}
LABELS = {
    "nb": ["Kvitter", "Patchet", "Ikke berørt"],
    "en": ["Acknowledge", "Patched", "Not affected"],
}


def with_links(n: Notification, links: dict[str, Any] | None = None) -> Notification:
    n.extra["action_links"] = dict(LINKS if links is None else links)
    return n


def teams_card(n: Notification) -> dict[str, Any]:
    body = TeamsChannel(make_ctx()).render(n, target("teams")).body
    content: dict[str, Any] = body["attachments"][0]["content"]
    assert schema_errors(content) == []  # the Adaptive Card 1.5 schema (tests/teams_schema.py)
    return content


def action_sets(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in card["body"] if e["type"] == "ActionSet"]


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_teams_card_offers_the_three_signed_links(golden, lang):
    card = teams_card(with_links(make_alert(lang)))
    [respond] = action_sets(card)
    acts = respond["actions"]
    assert [a["type"] for a in acts] == ["Action.OpenUrl"] * 3
    assert [a["title"] for a in acts] == LABELS[lang]
    assert [a["url"] for a in acts] == [LINKS[a] for a in ACTIONS]
    heading = card["body"][card["body"].index(respond) - 1]["text"]
    assert heading == {"nb": "Svar oss", "en": "Respond"}[lang]
    # the advisory's own links stay host-titled card actions, as before
    assert [a["title"] for a in card["actions"]] == ["www.fortiguard.com", "www.cisa.gov"]
    assert "Action.Submit" not in json.dumps(card)
    body = {"type": "message", "attachments": [{"content": card}]}
    golden(f"teams/alert_links_{lang}.json", json.dumps(body, indent=2, ensure_ascii=False) + "\n")


def test_teams_without_planned_links_has_no_respond_section():
    for n in (make_alert(), make_update(), make_digest(), with_links(make_alert(), {})):
        card = teams_card(n)
        assert action_sets(card) == []
        assert "/l/" not in json.dumps(card) and "Svar oss" not in json.dumps(card)


def test_teams_only_http_links_and_known_actions_are_shown():
    hostile = {
        "ack": "javascript:alert(1)",
        "patched": BASE + "ok",
        "delete-everything": BASE + "x",
        "not-affected": 42,
    }
    [respond] = action_sets(teams_card(with_links(make_alert(), hostile)))
    assert [(a["title"], a["url"]) for a in respond["actions"]] == [("Patchet", BASE + "ok")]


def test_teams_huge_card_with_links_keeps_the_links_within_28kb():
    n = with_links(make_huge())
    payload = TeamsChannel(make_ctx()).render(n, target("teams"))
    assert len(encode(payload.body)) <= MAX_BYTES
    [respond] = action_sets(payload.body["attachments"][0]["content"])
    assert [a["url"] for a in respond["actions"]] == [LINKS[a] for a in ACTIONS]


def render_mail(tmp_path: Path, n: Notification) -> tuple[str, str]:
    msg = mail_channel(tmp_path).render(n, TARGET).body
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("make", [make_alert, make_update], ids=["alert", "update"])
def test_email_has_a_respond_section_with_the_three_links(tmp_path, golden, lang, make):
    text, html = render_mail(tmp_path, with_links(make(lang)))
    head = {"nb": "Svar oss", "en": "Respond"}[lang]
    section = text[text.index(f"\n{head}\n") :].splitlines()[2:5]
    assert section == [
        f"{label}: {LINKS[a]}" for label, a in zip(LABELS[lang], ACTIONS, strict=True)
    ]
    for label, action in zip(LABELS[lang], ACTIONS, strict=True):
        assert f'<a href="{LINKS[action]}"' in html and f">{label}</a>" in html
    assert f"<h3>{head}</h3>" in html
    kind = make(lang).kind
    golden(f"email/{lang}/{kind}_links.txt", text)
    golden(f"email/{lang}/{kind}_links.html", html)


def test_email_without_planned_links_has_no_respond_section(tmp_path):
    for n in (make_alert(), make_alert("en"), make_update(), with_links(make_alert(), {})):
        text, html = render_mail(tmp_path, n)
        assert "Svar oss" not in text + html and "Respond" not in text + html
        assert "/l/" not in text + html


def test_email_html_escapes_even_our_own_urls(tmp_path):
    url = BASE + "a&b"
    _, html = render_mail(tmp_path, with_links(make_alert(), {"ack": url}))
    assert 'href="https://certbot.example.no/l/a&amp;b"' in html


def test_respond_links_follow_the_language_and_the_action_order():
    n = with_links(make_alert("en"), dict(reversed(LINKS.items())))
    assert [label for label, _ in respond_links(n)] == LABELS["en"]
    assert respond_links(make_alert()) == []
