"""A stricter marking written in an item's text wins over the feed's label (issue 12.12,
RELIABILITY.md row 32): a CLEAR feed item saying "TLP:RED" is routed as RED, reaches no shared
destination, and the operator notice for it is ready for planning."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certbot.config import FeedConfig
from certbot.match import Matcher
from certbot.model import TLP
from certbot.pipeline import plan_case
from certbot.sources.rss import RssSource
from certbot.store import Store
from certbot.tlp import stricter_label_in_text, text_marking_notice
from tests.factory import T0, config, fortios_sub

CLEAR_FEED = FeedConfig(id="ncsc", kind="rss", url="https://feeds.example.org/rss", tlp="CLEAR")


@pytest.mark.parametrize(
    ("text", "feed", "expected"),
    [
        ("Varsel TLP:RED om FortiOS", TLP.CLEAR, TLP.RED),
        ("TLP:AMBER+STRICT", TLP.CLEAR, TLP.AMBER_STRICT),
        ("TLP:AMBER", TLP.CLEAR, TLP.AMBER),
        ("TLP:GREEN", TLP.CLEAR, TLP.GREEN),
        ("TLP: RED", TLP.GREEN, TLP.RED),
        ("TLP : AMBER + STRICT", TLP.AMBER, TLP.AMBER_STRICT),
        ("tlp:red", TLP.CLEAR, TLP.RED),
        ("(TLP:RED)", TLP.CLEAR, TLP.RED),
        ("TLP:GREEN, then TLP:RED", TLP.CLEAR, TLP.RED),  # the strictest marking counts
        ("TLP:GREEN", TLP.AMBER, None),  # not stricter: the feed's label stands
        ("TLP:CLEAR", TLP.CLEAR, None),
        ("TLP:WHITE", TLP.CLEAR, None),
        ("TLP:RED", None, None),  # an unknown label is already routed as RED
        ("TLP-RED", TLP.CLEAR, None),  # not an official spelling
        ("TLP RED", TLP.CLEAR, None),
        ("TLP:RØD", TLP.CLEAR, None),
        ("TLP:REDACTED", TLP.CLEAR, None),
        ("XTLP:RED", TLP.CLEAR, None),
        ("Ingen merking", TLP.CLEAR, None),
    ],
)
def test_stricter_label_in_text(text: str, feed: TLP | None, expected: TLP | None) -> None:
    assert stricter_label_in_text(text, feed) == expected


SPACE = st.text(st.sampled_from(" \t\n\u00a0"), max_size=3)
LABELS = {"RED": TLP.RED, "AMBER+STRICT": TLP.AMBER_STRICT, "AMBER": TLP.AMBER, "GREEN": TLP.GREEN}


@given(
    label=st.sampled_from(sorted(LABELS)),
    before=SPACE,
    after=SPACE,
    plus=SPACE,
    upper=st.booleans(),
    prefix=st.sampled_from(["", "Varsel ", "(", "Merket "]),
    suffix=st.sampled_from(["", ".", ")", " om FortiOS", ","]),
)
def test_whitespace_and_case_variants_are_found(
    label: str, before: str, after: str, plus: str, upper: bool, prefix: str, suffix: str
) -> None:
    spelled = label.replace("+", f"{plus}+{plus}")
    marking = f"TLP{before}:{after}{spelled}"
    text = prefix + (marking if upper else marking.lower()) + suffix
    assert stricter_label_in_text(text, TLP.CLEAR) == LABELS[label]


def rss(summary: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>NCSC varsler</title>
<item><title>Kritisk sårbarhet i FortiOS (CVE-2026-4242)</title>
<link>https://nsm.example/varsel/1</link><guid>varsel-1</guid>
<description>{summary}</description></item>
</channel></rss>""".encode()


def test_a_clear_feed_item_marked_red_is_parsed_as_red() -> None:
    [adv] = list(RssSource().parse(rss("Dette varselet er TLP:RED. Del ikke videre."), CLEAR_FEED))
    assert adv.tlp == TLP.RED
    assert adv.extra["tlp_from_text"] == "RED" and adv.extra["tlp_feed"] == "CLEAR"
    [plain] = list(RssSource().parse(rss("Oppgrader FortiOS."), CLEAR_FEED))
    assert plain.tlp == TLP.CLEAR and "tlp_from_text" not in plain.extra


def test_routed_as_red_to_no_shared_destination_and_the_operator_is_told(tmp_path: Path) -> None:
    shared = [
        {"id": "drift", "kind": "file", "address": str(tmp_path / "d.jsonl"), "tlp_max": "AMBER"},
        {"id": "kanal", "kind": "slack", "address": "C0DRIFT", "tlp_max": "AMBER+STRICT"},
    ]
    personal = {"id": "kari", "kind": "telegram", "address": "111", "personal": True}
    subs = [
        fortios_sub(sid, targets=[*shared, {**personal, "tlp_max": "RED"}])
        for sid in ("0301", "4601")
    ]
    cfg = config(subs, root=tmp_path)
    store = Store(tmp_path / "certbot.db")
    advisories = list(RssSource().parse(rss("TLP:RED – kun til navngitte mottakere."), CLEAR_FEED))
    with store.tx():
        [change] = store.ingest(advisories, now=T0)
        plan_case(store, cfg, Matcher(cfg.subscribers), change, T0)
    rows = list(store.db.query("SELECT * FROM deliveries WHERE kind != 'operator'"))
    going = [r for r in rows if r["status"] != "blocked"]
    assert going, "the personal targets get it"
    assert {r["target_id"] for r in going} == {"kari"} and {r["tlp"] for r in rows} == {4}
    blocked = {(r["subscriber_id"], r["target_id"]) for r in rows if r["status"] == "blocked"}
    assert blocked == {(s, t) for s in ("0301", "4601") for t in ("drift", "kanal")}
    case = store.load_case(change.case_id)
    assert case is not None and case.tlp == TLP.RED
    notice = text_marking_notice(case)
    assert notice is not None
    key, text, label = notice
    assert label == TLP.RED and key == f"tlp-text:{case.id}:RED"
    assert "marked TLP:RED in its text" in text and "routed as TLP:RED" in text
    assert "ncsc:varsel-1" in text and "TLP:CLEAR" in text


def test_no_notice_without_a_marking(tmp_path: Path) -> None:
    store = Store(tmp_path / "certbot.db")
    [adv] = list(RssSource().parse(rss("Oppgrader FortiOS."), CLEAR_FEED))
    with store.tx():
        [change] = store.ingest([adv], now=T0)
    case = store.load_case(change.case_id)
    assert case is not None and text_marking_notice(case) is None
