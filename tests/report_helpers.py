"""A small sector for the report tests, filled through the real pipeline (ingest, match,
plan) with a fixed clock, from a configuration directory written as YAML (so the command line
reads the same one): Oslo (0301) and two Vestland municipalities (4601, 4602 in English).

Week 2026-W10: one exploited FortiOS case (P1), patched by everyone within hours.
Week 2026-W11 (the report's week): another P1, patched in time by 0301, only acknowledged by
4601, declared not affected too late by 4602; and a P1 marked TLP:AMBER with a hostile title,
left open by 0301 and 4601 (overdue when the week ends), handled in time by 4602.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from certbot.config import Config, FeedConfig, load_config
from certbot.inbound import records
from certbot.model import TLP
from certbot.pipeline import Pipeline
from certbot.report.weeks import Week
from certbot.sources import SourceState
from certbot.store import AsyncStore, Store
from tests.factory import T0, Clock, confirmed, kev

FEED = FeedConfig(id="test", kind="rss", path="x.xml")
WEEK = Week.of(T0)  # 2026-W11
HOSTILE = "Hemmelig FortiOS-feil <script>alert(1)</script>"
INVENTORY = [
    {
        "vendor": "Fortinet",
        "product": "FortiOS",
        "version": "7.2.4",
        "aliases": ["FortiGate"],
        "internet_facing": True,
        "criticality": "critical",
    }
]


def municipality(sub_id: str, name: str, county: str, **kw: Any) -> dict[str, Any]:
    targets = [
        {"id": "drift", "kind": "file", "address": f"{sub_id}.jsonl", "tlp_max": "AMBER"},
        {
            "id": "ledelse",
            "kind": "email",
            "address": f"kommunedirektor@k{sub_id}.kommune.example",
            "role": "leadership",
            **kw.pop("leadership", {}),
        },
    ]
    return {
        "id": sub_id,
        "name": name,
        "county": county,
        "targets": targets,
        "inventory": INVENTORY,
        **kw,
    }


def write_config(tmp: Path) -> Config:
    (tmp / "subscribers").mkdir(exist_ok=True)
    service = {
        "output_dir": str(tmp),
        "smtp": {
            "host": "127.0.0.1",
            "port": 2525,
            "sender": "certbot@kommunecert.example",
            "starttls": False,
        },
    }
    (tmp / "feeds.yaml").write_text(yaml.safe_dump({"service": service, "feeds": []}))
    subs = [
        municipality("0301", "Oslo kommune", "Oslo"),
        municipality("4601", "Bergen kommune", "Vestland", leadership={"tlp_max": "AMBER"}),
        municipality("4602", "Kinn kommune", "Vestland", language="en"),
    ]
    for sub in subs:
        path = tmp / "subscribers" / f"{sub['id']}-{sub['name'].split()[0].lower()}.yaml"
        path.write_text(yaml.safe_dump(sub, allow_unicode=True))
    return load_config(tmp)


@dataclass
class Sector:
    store: Store
    config: Config
    clock: Clock
    db: Path


def status(store: Store, case: str, sub: str, value: str, at: datetime) -> None:
    with store.tx():
        records.set_ack(store, records.AckUpdate(case, sub, value, "telegram:1"), at)


def build_sector(tmp: Path) -> Sector:
    cfg = write_config(tmp)
    store = Store(tmp / "certbot.db")
    clock = Clock(T0 - timedelta(days=7))
    pipeline = Pipeline(cfg, AsyncStore(store), http=None, clock=clock)

    def ingest(*advisories: Any) -> None:
        pipeline._ingest_and_plan(FEED, list(advisories), SourceState())

    ingest(kev("CVE-2026-0001", "Fortinet", "FortiOS"), confirmed("CVE-2026-0001"))
    for sub in ("0301", "4601", "4602"):
        status(store, "CVE-2026-0001", sub, "remediation_done", clock.now + timedelta(hours=3))
    clock.now = T0
    ingest(kev("CVE-2026-0002", "Fortinet", "FortiOS"), confirmed("CVE-2026-0002"))
    ingest(
        kev("CVE-2026-0003", "Fortinet", "FortiOS"),
        confirmed("CVE-2026-0003", title=HOSTILE, tlp=TLP.AMBER),
    )
    hours = lambda h: T0 + timedelta(hours=h)  # noqa: E731
    status(store, "CVE-2026-0002", "0301", "acknowledged", hours(1))
    status(store, "CVE-2026-0002", "0301", "remediation_done", hours(5))
    status(store, "CVE-2026-0002", "4601", "acknowledged", hours(2))  # seen, not handled
    status(store, "CVE-2026-0002", "4602", "not_affected", hours(72))  # after the deadline
    status(store, "CVE-2026-0003", "4602", "not_affected", hours(6))
    return Sector(store, cfg, clock, tmp / "certbot.db")
