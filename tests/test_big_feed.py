"""A feed that explodes (issue 12.9, RELIABILITY.md row 29), on loopback HTTP and the real
writer thread: the item cap takes at most ``max_items`` per poll and the rest in later polls
(the ETag holds until then), the operator is told once, and a chat command issued during the
ingest is processed between two slice commits. Timings are for `bench.bigfeed`."""

from __future__ import annotations

import asyncio
import json
import time

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.bigfeed import big_rss, serve, world
from certbot import feed_cap
from certbot.fetch import Http
from certbot.inbound.auth import RateLimiter
from certbot.inbound.commands import Command, Context, handle
from certbot.pipeline import Pipeline
from certbot.sources import feed_items
from certbot.store import Store, StoreThread


def test_choose_takes_the_next_items_not_yet_taken():
    digests = [f"d{i}" for i in range(7)]
    chosen, capped = feed_cap.choose(digests, set(), 3)
    assert chosen == [0, 1, 2] and capped.remaining == 4
    chosen, capped = feed_cap.choose(digests, set(capped.picked), 3)
    assert chosen == [3, 4, 5] and capped.remaining == 1
    chosen, capped = feed_cap.choose(digests, {f"d{i}" for i in range(6)}, 3)
    assert chosen == [6] and capped.remaining == 0


def test_slices_cut_feeds_and_mark_each_feeds_last_part():
    batch = [("a", list(range(5)), "sa"), ("b", list(range(2)), "sb"), ("c", [], "sc")]
    parts = [p.parts for p in feed_cap.slices(batch, size=3)]
    assert [[len(a) for _, a, _ in p] for p in parts] == [[3], [2, 1], [1, 0]]
    states = [s for p in parts for _, _, s in p if s is not None]
    assert states == ["sa", "sb", "sc"]


def test_split_and_rebuild_keep_the_chosen_items_only():
    doc = big_rss(5)
    parts = feed_items.split(doc)
    assert len(parts.items) == 5 and len(set(parts.digests)) == 5
    rebuilt = parts.rebuild([3, 1])
    assert b"urn:x:1<" in rebuilt and b"urn:x:3<" in rebuilt and b"urn:x:0<" not in rebuilt
    assert b"<title>big</title>" in rebuilt


@pytest.mark.slow
async def test_capped_feed_comes_in_over_polls_while_commands_are_answered(tmp_path):
    body = big_rss(3000)
    runner, url = await serve(body)
    cfg = world(tmp_path, url)
    store = StoreThread(Store(tmp_path / "big.db"))
    ctx = Context(store.store, cfg, RateLimiter())
    answered: list[float] = []
    commands: list[asyncio.Task[object]] = []

    def command() -> object:
        cmd = Command("telegram", "999", "/mine", [], "", chat_id="999")
        reply = handle(ctx, cmd)
        answered.append(time.monotonic())
        return reply

    def on_slice(stat: object) -> None:
        if not commands:  # one command, issued while the first poll is ingesting
            commands.append(asyncio.ensure_future(store.run(command)))

    try:
        async with Http() as http:
            p = Pipeline(cfg, store, http)
            p.on_slice = on_slice
            (first,) = await p.poll_many(list(cfg.feeds))
            slices_1 = list(p.slices)
            reply = await commands[0]
            state_1 = await store.feed_state("big")
            (second,) = await p.poll_many(list(cfg.feeds))
            state_2 = await store.feed_state("big")
            (third,) = await p.poll_many(list(cfg.feeds))
            deliveries = await store.deliveries(limit=100_000)
            audit = await store.audit_rows()
            cases = await store.list_cases(limit=5000)
    finally:
        store.close()
        await runner.cleanup()
    # The cap: 2,000 now, the other 1,000 next poll; the ETag advances only then.
    assert (first.status, first.advisories) == ("ok", 2000)
    assert state_1.etag is None and state_1.cursor.get("backlog") == 1000
    assert (second.status, second.advisories) == ("ok", 1000)
    assert state_2.etag == '"v1"' and "backlog" not in state_2.cursor
    assert third.status == "not_modified"
    assert len(cases) == 3000  # nothing starved, nothing taken twice as a new case
    # Told once per backlog.
    told = [d for d in deliveries if d["kind"] == "operator"]
    assert len(told) == 1 and "max_items" in json.dumps(told[0], ensure_ascii=False)
    # The command ran on the writer thread between two slice commits of the first poll.
    assert reply is not None and any(r["actor"] == "telegram:999" for r in audit)
    commits = [s.committed for s in slices_1]
    assert len(commits) >= 3
    assert commits[0] < answered[0] < commits[-1]
    assert max(s.size for s in slices_1 if s.kind == "ingest") <= feed_cap.INGEST_SLICE


@given(
    n=st.integers(min_value=0, max_value=30),
    atom=st.booleans(),
    data=st.data(),
)
@settings(max_examples=60, deadline=None)
def test_rebuild_holds_exactly_the_chosen_items(n, atom, data):
    """Property: RSS or Atom, the rebuilt document parses to the chosen items, in order."""
    if atom:
        entries = "".join(f"<entry><id>urn:x:{i}</id><title>t{i}</title></entry>" for i in range(n))
        doc = f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>{entries}</feed>"
    else:
        items = "".join(f"<item><guid>urn:x:{i}</guid><title>t{i}</title></item>" for i in range(n))
        doc = f"<?xml version='1.0'?><rss version='2.0'><channel>{items}</channel></rss>"
    parts = feed_items.split(doc.encode())
    assert len(parts.items) == n
    chosen = data.draw(st.lists(st.integers(0, max(n - 1, 0)), unique=True)) if n else []
    parsed = feedparser.parse(parts.rebuild(chosen))
    assert [e.title for e in parsed.entries] == [f"t{i}" for i in sorted(chosen)]
