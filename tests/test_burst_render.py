"""A grouped burst (issue 11.3) as every channel renders it, from the real pipeline: one message
listing the cases, P1 first, within the channel's size limit, every case with its own ack
(Slack and Telegram buttons, Teams and e-mail signed links). Goldens: `--update-golden`."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from certbot.channels import channel_classes
from certbot.config import FeedConfig, TargetConfig
from certbot.inbound.slack import SlackInbound
from certbot.model import Notification
from certbot.pipeline import Pipeline
from certbot.planning.bursts import per_message
from certbot.sources import SourceState
from certbot.store import AsyncStore, Store
from tests.chat_helpers import make_ctx
from tests.factory import T0, Clock, config, confirmed, fortios_sub, kev
from tests.teams_schema import schema_errors

TARGETS = [
    {"id": "drift", "kind": "file", "address": "out/0301.jsonl", "tlp_max": "AMBER"},
    {"id": "vakt", "kind": "email", "address": "vakt@oslo.example", "tlp_max": "AMBER"},
    {"id": "teams", "kind": "teams", "secret": {"env": "TEAMS_HOOK_0301"}, "tlp_max": "AMBER"},
    {"id": "slack", "kind": "slack", "address": "C0123TEST", "tlp_max": "AMBER"},
    {"id": "tg", "kind": "telegram", "address": "-1001234567", "tlp_max": "AMBER"},
]
SERVICE = {"link_secret": {"env": "CERTBOT_BURST_LINKS"}, "public_url": "https://certbot.example"}
FEED = FeedConfig(id="csaf-test", kind="csaf", path="x.json")
RECENT = T0 - timedelta(days=2)
SUB = fortios_sub(targets=TARGETS)
N = per_message("telegram") + 2  # Telegram needs two messages; the others one


def burst() -> list[Any]:
    out = [confirmed(f"CVE-2026-{i:04d}", published=RECENT, exploited=True) for i in range(N - 1)]
    return [*out, kev("CVE-2026-9000", "Fortinet", "FortiOS", published=RECENT)]


@pytest.fixture(scope="module")
def groups(tmp_path_factory) -> dict[str, list[Notification]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("CERTBOT_BURST_LINKS", "s" * 32)
    store = AsyncStore(Store(tmp_path_factory.mktemp("burst") / "t.db"))
    p = Pipeline(config([SUB], service=SERVICE), store, http=None, clock=Clock())
    p._ingest_and_plan(FEED, burst(), SourceState())
    out: dict[str, list[Notification]] = {}
    for r in sorted(store.store.deliveries(limit=10_000), key=lambda r: r["id"]):
        if r["kind"] == "group":
            n = Notification.from_json(json.loads(r["notification"]))
            out.setdefault(r["target_id"], []).append(n)
    store.close()
    mp.undo()
    return out


def render(n: Notification) -> tuple[Any, Any]:
    target: TargetConfig = next(t for t in SUB.targets if t.id == n.target_id)
    ch = channel_classes()[target.kind](make_ctx(service=SERVICE))
    return ch, ch.render(n, target)


def biggest(groups: dict[str, list[Notification]], target_id: str) -> Notification:
    return max(groups[target_id], key=lambda n: len(n.items))


def test_every_target_gets_the_burst_as_few_messages_listing_every_case(groups):
    assert sorted(groups) == ["drift", "slack", "teams", "tg", "vakt"]
    want = sorted([f"CVE-2026-{i:04d}" for i in range(N - 1)] + ["CVE-2026-9000"])
    for target_id, ns in groups.items():
        listed = sorted(i.case_id for n in ns for i in n.items)
        assert listed == want, target_id  # nothing dropped, nothing twice
        assert len(ns) == (2 if target_id == "tg" else 1), target_id
        for n in ns:
            prios = [int(i.priority) for i in n.items]
            assert prios == sorted(prios) and n.priority == n.items[0].priority  # P1 first


@pytest.mark.parametrize("target_id", ["slack", "teams", "tg"])
def test_within_the_channels_size_limit_with_no_case_cut(groups, target_id):
    for n in groups[target_id]:
        ch, payload = render(n)
        assert ch.payload_size(payload) <= ch.size_limit
        text = json.dumps(payload.body, ensure_ascii=False)
        assert "… og" not in text  # the fitting dropped no listed case
        for item in n.items:
            assert item.case_id in text


def test_slack_has_one_ack_button_per_case_that_the_inbound_side_reads(groups, golden):
    n = biggest(groups, "slack")
    _, payload = render(n)
    acts = [b for b in payload.body["blocks"] if b["type"] == "actions"]
    assert len(acts) == len(n.items) and len({b["block_id"] for b in acts}) == len(acts)
    for block, item in zip(acts, n.items, strict=True):
        button = block["elements"][0]
        raw = json.dumps({"actions": [button], "user": {"id": "U1"}, "trigger_id": "t"})
        command = SlackInbound._button(raw)
        assert command is not None and (command.name, command.args) == ("ack", [item.case_id])
    golden("slack/group_nb.json", json.dumps(payload.body, indent=2, ensure_ascii=False) + "\n")


def test_telegram_has_one_ack_button_per_case(groups, golden):
    for n in groups["tg"]:
        _, payload = render(n)
        assert payload.meta["buttons"] == [
            (f"Kvitter {i.case_id}", f"ack:{i.case_id}") for i in n.items
        ]
    n = groups["tg"][0]
    golden("telegram/group_nb.html", render(n)[1].body["text"] + "\n")


def test_teams_card_is_valid_and_offers_each_cases_own_signed_link(groups, golden):
    n = biggest(groups, "teams")
    _, payload = render(n)
    card = payload.body["attachments"][0]["content"]
    assert schema_errors(card) == []
    urls = [a["url"] for e in card["body"] if e.get("type") == "ActionSet" for a in e["actions"]]
    assert urls == [i.extra["action_links"]["ack"] for i in n.items]
    assert len(set(urls)) == len(n.items)  # one link per case, each signed for its case
    golden("teams/group_nb.json", json.dumps(payload.body, indent=2, ensure_ascii=False) + "\n")


def test_email_lists_each_case_with_its_actions_and_ack_link(groups, golden):
    n = biggest(groups, "vakt")
    _, payload = render(n)
    text = payload.body.get_body(("plain",)).get_content()
    html = payload.body.get_body(("html",)).get_content()
    for item in n.items:
        assert f"Kvitter: {item.extra['action_links']['ack']}" in text
        assert item.actions[0] in text
    assert "Hver sak kvitteres for seg" in text and "ikke akutte" not in text
    golden("email/nb/group.txt", text)
    golden("email/nb/group.html", html)


def test_file_records_one_line_per_case_marked_as_one_grouped_message(groups, golden):
    n = biggest(groups, "drift")
    _, payload = render(n)
    records = payload.body
    assert [r["advisory_id"] for r in records] == [i.case_id for i in n.items]
    assert {r["group_id"] for r in records} == {n.delivery_id}
    assert not any(r["digest"] for r in records)  # sent at once, not a digest
    golden("file/group.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
