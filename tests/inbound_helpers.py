"""A small world for the inbound tests: two municipalities, people, an operator, one P1; and
`slack_headers`, the headers of a request signed the way Slack signs it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from certbot.config import Config
from certbot.inbound.auth import RateLimiter
from certbot.inbound.commands import Command, Context, Reply, handle
from certbot.inbound.slack import sign
from certbot.match import Matcher
from certbot.planning import plan_case
from certbot.store import Store
from tests.factory import T0, Clock, config, confirmed, fortios_sub, kev

PEOPLE_0301 = [
    {"platform": "telegram", "user_id": "111", "role": "responder"},
    {"platform": "telegram", "user_id": "112", "role": "viewer"},
    {"platform": "slack", "user_id": "U0AAA", "role": "responder"},
]
PEOPLE_4601 = [{"platform": "telegram", "user_id": "222", "role": "responder"}]
OPERATORS = [
    {"platform": "telegram", "user_id": "999", "role": "responder"},
    {"platform": "slack", "user_id": "U0OPS", "role": "responder"},
]


def make_config(
    tmp: Path, *, people_0301: list[dict[str, Any]] | None = None, **service: Any
) -> Config:
    targets = [
        {"id": "drift", "kind": "file", "address": str(tmp / "0301.jsonl"), "tlp_max": "AMBER"},
        {
            "id": "vakt",
            "kind": "file",
            "address": str(tmp / "0301-vakt.jsonl"),
            "escalation": True,
            "tlp_max": "AMBER",
        },
    ]
    subs = [
        fortios_sub(
            "0301", people=PEOPLE_0301 if people_0301 is None else people_0301, targets=targets
        ),
        fortios_sub("4601", people=PEOPLE_4601, county="Vestland", language="en"),
    ]
    svc = {
        "operators": OPERATORS,
        "operator_targets": [
            {
                "id": "ops",
                "kind": "file",
                "address": str(tmp / "ops.jsonl"),
                "tlp_max": "AMBER+STRICT",  # a file is never personal (issue 12.5)
            }
        ],
        "output_dir": str(tmp),  # the tests' files lie in tmp (issue 12.4)
        **service,
    }
    return config(subs, root=tmp, service=svc)


@dataclass
class World:
    store: Store
    config: Config
    clock: Clock
    ctx: Context
    case: str

    def run(
        self, platform: str, user: str, line: str, update_id: str | None = None, tick: float = 0
    ) -> Reply | None:
        self.clock.advance(tick)
        name, _, rest = line.strip().partition(" ")
        cmd = Command(platform, user, name, rest.split(), rest, chat_id=user, update_id=update_id)
        return handle(self.ctx, cmd)


def make_world(tmp: Path, **service: Any) -> World:
    cfg = make_config(tmp, **service)
    store = Store(tmp / "certbot.db")
    clock = Clock(T0)
    # KEV says exploited, the vendor's structured advisory confirms 7.2.4 is affected: P1.
    changes = store.ingest(
        [kev("CVE-2026-0001", "Fortinet", "FortiOS"), confirmed("CVE-2026-0001")], now=T0
    )
    with store.tx():
        for change in changes:
            plan_case(store, cfg, Matcher(cfg.subscribers), change, T0)
    ctx = Context(store, cfg, RateLimiter(clock=lambda: clock.now.timestamp()), clock=clock)
    return World(store, cfg, clock, ctx, changes[0].case_id)


def slack_headers(secret: str, ts: int, raw: bytes) -> dict[str, str]:
    """The headers of a form POST ``raw`` that Slack signed with ``secret`` at ``ts``."""
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(secret, ts, raw),
        "Content-Type": "application/x-www-form-urlencoded",
    }
