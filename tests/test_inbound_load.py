"""RELIABILITY.md row 19: 1,000 commands in a minute from 50 users of one municipality. The
per-user and per-municipality limits hold, every refusal is audited, and a user of another
municipality is still answered. Reports the handling time it measured (a figure, not a gate)."""

from __future__ import annotations

import time

import pytest

from tests.inbound_helpers import make_world

pytestmark = pytest.mark.slow

FLOODERS = [
    {"platform": "telegram", "user_id": str(5000 + i), "role": "responder"} for i in range(50)
]


def test_flood_of_1000_commands_from_50_users(tmp_path):
    world = make_world(tmp_path, people_0301=FLOODERS)
    allowed: dict[str, int] = {}
    durations = []
    for i in range(1000):
        user = FLOODERS[i % 50]["user_id"]
        started = time.perf_counter()
        reply = world.run("telegram", user, "mine", tick=0.06)  # 1,000 over 60 s of fake time
        durations.append(time.perf_counter() - started)
        if reply is not None and reply.ok:
            allowed[user] = allowed.get(user, 0) + 1
    limiter = world.ctx.limiter
    per_user_cap = limiter.user_burst + 60 * limiter.user_rate
    per_muni_cap = limiter.muni_burst + 60 * limiter.muni_rate
    assert max(allowed.values()) <= per_user_cap
    assert sum(allowed.values()) <= per_muni_cap + 1
    refused = next(
        world.store.db.query("SELECT count(*) AS n FROM audit WHERE decision = 'rate_limited'")
    )["n"]
    assert refused == 1000 - sum(allowed.values())
    other = world.run("telegram", "222", "mine")  # Bergen is not held up by Oslo's flood
    assert other is not None and other.ok
    durations.sort()
    print(
        f"row 19: allowed {sum(allowed.values())}/1000, refused {refused}, "
        f"p50 {durations[500] * 1000:.2f} ms, p99 {durations[990] * 1000:.2f} ms per command"
    )
