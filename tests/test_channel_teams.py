"""Teams channel: Adaptive Cards posted with aiohttp to the local Workflows webhook fake.

Every card the renderer produces (alert, update, digest, reminder, operator, test, huge,
hostile titles) is validated against the official Adaptive Card 1.5 JSON schema
(tests/teams_schema.py). Untrusted text is only ever in a TextRun (no Markdown there), so
nothing is backslash-escaped; certbot's own words are TextBlocks free of Markdown.
"""

from __future__ import annotations

import json
import socket

import pytest

from certbot.channels import escape
from certbot.channels.chat import TITLE_MAX
from certbot.channels.teams import CARD_VERSION, MAX_BYTES, TeamsChannel, encode
from certbot.demo.fakes import TEAMS_MAX_BYTES, Resp
from certbot.errors import DeliveryError
from certbot.model import Priority
from tests.channel_contract import ChatContract
from tests.chat_helpers import (
    ChatEnv,
    chat_env,
    make_alert,
    make_ctx,
    make_digest,
    make_huge,
    make_operator,
    make_reminder,
    make_test,
    make_update,
    target,
)
from tests.teams_schema import elements, markdown_free, needed_version, schema_errors

KINDS = {
    "alert_nb": lambda: make_alert("nb"),
    "alert_en": lambda: make_alert("en"),
    "update_nb": lambda: make_update("nb"),
    "update_en": lambda: make_update("en"),
    "digest_nb": lambda: make_digest("nb"),
    "digest_en": lambda: make_digest("en"),
    "reminder_nb": lambda: make_reminder("nb"),
    "operator_nb": lambda: make_operator("nb"),
    "test_nb": lambda: make_test("nb"),
    "huge_nb": lambda: make_huge("nb"),
    "huge_en": lambda: make_huge("en"),
    "p3_nb": lambda: make_alert("nb", priority=Priority.P3),
}


@pytest.fixture
async def env():
    async with chat_env() as e:
        yield e


def card(body: dict) -> dict:
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def render(n) -> dict:
    return TeamsChannel(make_ctx()).render(n, target("teams")).body


def texts(c: dict, kind: str) -> list[str]:
    """The text of every TextBlock (kind "TextBlock") or TextRun (kind "TextRun")."""
    return [e["text"] for e in elements(c) if e["type"] == kind]


def check_card(body: dict) -> dict:
    """What holds for every card: the 1.5 schema, 28 KB, nothing escaped, our words plain."""
    assert len(encode(body)) <= MAX_BYTES
    c = card(body)
    assert schema_errors(c) == []
    assert needed_version(c) <= tuple(map(int, CARD_VERSION.split("."))) <= (1, 5)
    for text in texts(c, "TextBlock"):  # only certbot's own words, which need no escaping
        assert markdown_free(text), text
    assert markdown_free(c["fallbackText"])
    return c


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_card_is_valid_adaptive_card_1_5(name):
    c = check_card(render(KINDS[name]()))
    assert c["version"] == "1.5" and c["msteams"] == {"width": "Full"}
    assert c["lang"] == KINDS[name]().language


def test_the_schema_check_can_fail():
    """The validator is live: a wrong key, a bad enum, a wrong msteams width are errors."""
    c = card(render(make_alert()))
    assert schema_errors(c) == []
    for broken in (
        {**c, "bogus": 1},
        {**c, "msteams": {"width": "Half"}},
        {**c, "body": [{"type": "TextBlock", "text": "x", "weight": "Heavy"}]},
        {**c, "body": [{"type": "RichTextBlock", "inlines": [{"type": "TextRun"}]}]},
        {**c, "body": [{"type": "Container", "style": "shouting", "items": []}]},
    ):
        assert schema_errors(broken), broken


def test_no_backslash_escapes_anywhere_in_the_goldens_texts():
    """Issue 11: "Sammendrag \\(4 varsler\\)" was shown literally on Teams mobile."""
    for name, make in KINDS.items():
        c = card(render(make()))
        for text in texts(c, "TextBlock") + texts(c, "TextRun"):
            assert "\\" not in text, (name, text)
    digest = card(render(make_digest()))
    assert "Sammendrag (4 varsler)" in texts(digest, "TextBlock")


def test_untrusted_text_only_in_text_runs_shown_as_written():
    title = "Sårbarhet i *Exchange* [les mer](javascript:x) <b>fet</b> _nå_ 1. `kode` \\ slutt"
    summary = "- ikke en liste\n# ikke en overskrift\n\nAndre avsnitt med **stjerner**."
    n = make_alert(title=title, summary=summary, actions=["Kjør `sudo` *nå*"])
    c = check_card(render(n))
    runs = texts(c, "TextRun")
    assert title in runs  # exactly as the source wrote it, not escaped
    assert (
        "- ikke en liste # ikke en overskrift" in runs and "Andre avsnitt med **stjerner**." in runs
    )
    assert "• Kjør `sudo` *nå*" in runs
    for text in texts(c, "TextBlock"):
        assert "Exchange" not in text and "stjerner" not in text and "sudo" not in text


def test_p1_is_emphasised_and_p3_is_not():
    def top(n) -> dict:
        [box] = [e for e in card(render(n))["body"] if e["type"] == "Container"]
        return box

    p1 = top(make_alert())
    assert p1["style"] == "attention"
    assert p1["items"][0]["color"] == "Attention" and p1["items"][0]["text"].startswith("P1 ")
    assert p1["items"][1]["type"] == "RichTextBlock"  # the title, untrusted
    for n in (make_alert(priority=Priority.P3), make_digest(), make_test()):
        box = top(n)
        assert "style" not in box and "color" not in box["items"][0]


def test_list_lines_and_paragraphs_each_get_their_own_block():
    c = card(render(make_alert()))
    runs = texts(c, "TextRun")
    assert [r for r in runs if r.startswith("• ") and "9.8" in r] == ["• CVSS 9.8 (kritisk)"]
    headings = texts(c, "TextBlock")
    assert headings[:2] == ["TLP:AMBER", "P1 Handle nå · Frist: 10.02.2024 kl. 11:00"]
    assert "Hva dere bør gjøre" in headings and "Sammendrag" in headings


@pytest.mark.parametrize(
    "name",
    ["alert_nb", "alert_en", "update_nb", "digest_nb", "reminder_nb", "operator_nb", "test_nb"],
)
async def test_delivers_adaptive_card_to_webhook(env, golden, name):
    make = KINDS[name]
    channel, t = TeamsChannel(env.ctx), target("teams")
    sent = await channel.deliver(channel.render(make(), t), t)
    [call] = env.fakes.teams.requests
    assert sent.detail["status"] == 202
    assert call.headers["Content-Type"] == "application/json"
    body = call.body
    assert body["type"] == "message"
    c = card(body)
    assert c["body"][0]["text"] == make().tlp.label  # the TLP label comes first, coloured
    assert c["body"][0]["color"] in ("Default", "Good", "Warning", "Attention")
    golden(f"teams/{name}.json", json.dumps(body, indent=2, ensure_ascii=False) + "\n")


async def test_links_only_as_open_url_actions(env):
    channel, t = TeamsChannel(env.ctx), target("teams")
    n = make_alert(links=["https://nsm.no/a", "javascript:alert(1)", "http://x.example/?q=1"])
    c = card(channel.render(n, t).body)
    assert [a["type"] for a in c["actions"]] == ["Action.OpenUrl", "Action.OpenUrl"]
    assert [a["title"] for a in c["actions"]] == ["nsm.no", "x.example"]
    assert "Action.Submit" not in json.dumps(c)
    assert "javascript" not in json.dumps(c)


async def test_huge_notification_fits_28kb(env):
    channel, t = TeamsChannel(env.ctx), target("teams")
    payload = channel.render(make_huge(), t)
    assert len(encode(payload.body)) <= MAX_BYTES < TEAMS_MAX_BYTES
    await channel.deliver(payload, t)
    [call] = env.fakes.teams.requests
    assert len(call.raw) <= MAX_BYTES  # measured on the wire, as the fake saw it
    assert len(card(call.body)["actions"]) <= 5


@pytest.mark.parametrize(
    "resp,retryable,retry_after",
    [
        (Resp(503, "Service Unavailable"), True, None),
        (Resp(502, ""), True, None),
        (Resp(429, "Too Many Requests", {"Retry-After": "120"}), True, 120),
        (
            Resp(200, "Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0"),
            True,
            None,
        ),
        (
            Resp(202, "Microsoft Teams endpoint returned HTTP error 413 with ContextId x"),
            False,
            None,
        ),
        (Resp(400, "Bad payload"), False, None),
        (Resp(413, "RequestEntityTooLarge"), False, None),
        (Resp(404, "flow not found"), False, None),
    ],
)
async def test_status_classification(env, resp, retryable, retry_after):
    env.fakes.teams.script([resp])
    channel, t = TeamsChannel(env.ctx), target("teams")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert info.value.retryable is retryable
    assert info.value.retry_after == retry_after
    assert "sig=" not in str(info.value) and "webhook/" not in str(info.value)


async def test_connection_reset_is_retryable_and_ambiguous(env):
    env.fakes.teams.script([Resp.connection_reset()])
    channel, t = TeamsChannel(env.ctx), target("teams")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert (info.value.retryable, info.value.ambiguous) == (True, True)
    assert len(env.fakes.teams.requests) == 1


async def test_connection_refused_is_retryable_not_ambiguous(env):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env.ctx.environ["TEAMS_WEBHOOK_TEST"] = f"http://127.0.0.1:{port}/webhook/x?sig=abc123abc"
    channel, t = TeamsChannel(env.ctx), target("teams")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert (info.value.retryable, info.value.ambiguous) == (True, False)
    assert "abc123abc" not in str(info.value)


async def test_wrong_signature_is_permanent_and_not_leaked(env):
    env.ctx.environ["TEAMS_WEBHOOK_TEST"] = env.urls["teams"].replace("fake-signature", "nope123")
    channel, t = TeamsChannel(env.ctx), target("teams")
    with pytest.raises(DeliveryError) as info:
        await channel.deliver(channel.render(make_alert(), t), t)
    assert info.value.retryable is False and "401" in str(info.value)
    assert "nope123" not in repr(info.value)


class TestTeamsContract(ChatContract):
    """The shared channel checks (tests/channel_contract.py) against the Workflows fake."""

    kind = "teams"
    channel_class = TeamsChannel
    canary = "teams_sig"

    def fail_with(self, env: ChatEnv, code: int) -> None:
        env.fakes.teams.script([Resp(code, f"scripted {code}")])

    def check_inert(self, payload, title):
        """A hostile title is text in a TextRun, exactly as cleaned: no Markdown applies
        there, so it needs no escaping; it is never in a TextBlock, a URL or an action."""
        c = check_card(payload.body)
        shown = escape.clean(title, one_line=True)
        shown = shown if len(shown) <= TITLE_MAX else shown[: TITLE_MAX - 1].rstrip() + "…"
        assert shown in texts(c, "TextRun")
        probe = shown[:12]
        for text in texts(c, "TextBlock"):
            assert probe not in text, text
        assert c["fallbackText"].startswith("TLP:") and probe not in c["fallbackText"]
        urls = [a["url"] for a in elements(c) if a["type"] == "Action.OpenUrl"]
        assert all(a["type"] == "Action.OpenUrl" for a in c.get("actions", []))
        assert all(u.startswith("https://") for u in urls), urls
        blob = json.dumps(payload.body, ensure_ascii=False)
        assert "\u202e" not in blob and "\r" not in shown and "\n" not in shown
        assert "Action.Submit" not in blob and "javascript:" not in " ".join(urls)
