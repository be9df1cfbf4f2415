"""Builders for configs, advisories and a recording channel, shared by core tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from certbot.channels import Channel, Payload, Sent
from certbot.config import Config, FeedConfig, ServiceConfig, SubscriberConfig, TargetConfig
from certbot.errors import DeliveryError
from certbot.model import TLP, Advisory, AffectedProduct, Notification

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Oslo


def item(vendor: str, product: str, **kw: Any) -> dict[str, Any]:
    return {"vendor": vendor, "product": product, **kw}


def subscriber(
    sub_id: str, name: str, inventory: list[dict[str, Any]], **kw: Any
) -> SubscriberConfig:
    targets = kw.pop("targets", None) or [
        {"id": "drift", "kind": "file", "address": f"out/{sub_id}.jsonl", "tlp_max": "AMBER"},
    ]
    return SubscriberConfig.model_validate(
        {
            "id": sub_id,
            "name": name,
            "county": kw.pop("county", "Oslo"),
            "targets": targets,
            "inventory": inventory,
            **kw,
        }
    )


def config(
    subs: list[SubscriberConfig],
    *,
    root: Path = Path("."),
    service: dict[str, Any] | None = None,
    feeds: list[dict[str, Any]] | None = None,
) -> Config:
    return Config(
        root=root,
        service=ServiceConfig.model_validate({"output_dir": ".", **(service or {})}),
        feeds=tuple(FeedConfig.model_validate(f) for f in feeds or []),
        subscribers=tuple(subs),
    )


def fortios_sub(sub_id: str = "0301", version: str = "7.2.4", **kw: Any) -> SubscriberConfig:
    return subscriber(
        sub_id,
        f"Kommune {sub_id}",
        [
            item(
                "Fortinet",
                "FortiOS",
                version=version,
                aliases=["FortiGate"],
                internet_facing=True,
                criticality="critical",
            ),
            item(
                "Microsoft",
                "Exchange Server",
                version="15.2.1544.4",
                aliases=["Microsoft Exchange"],
            ),
        ],
        **kw,
    )


def structured(source_id: str, products: list[AffectedProduct], **kw: Any) -> Advisory:
    return Advisory(
        source=kw.pop("source", "csaf-test"),
        source_id=source_id,
        title=kw.pop("title", f"Advisory {source_id}"),
        structured=True,
        products=tuple(products),
        **kw,
    )


FORTIOS_FIXED_727 = AffectedProduct(
    "Fortinet", "FortiOS", versions="vers:generic/>=7.2.0|<7.2.7", fixed_version="7.2.7"
)


def confirmed(cve: str, **kw: Any) -> Advisory:
    """A structured advisory whose range holds FortiOS 7.2.4 (a version-confirmed match, which
    the SSVC priority needs for P1: "possibly affected" is capped)."""
    return structured(f"fg-{cve}", [FORTIOS_FIXED_727], cves=(cve,), **kw)


def prose(source_id: str, title: str, summary: str = "", **kw: Any) -> Advisory:
    return Advisory(
        source=kw.pop("source", "nsm"),
        source_id=source_id,
        title=title,
        summary=summary,
        language="nb",
        **kw,
    )


def kev(cve: str, vendor: str, product: str, **kw: Any) -> Advisory:
    return Advisory(
        source="kev",
        source_id=cve,
        title=kw.pop("title", f"{vendor} {product} flaw"),
        cves=(cve,),
        exploited=True,
        structured=True,
        products=(AffectedProduct(vendor, product, entry=cve),),
        **kw,
    )


class Clock:
    """A controllable clock: tests move time, nothing sleeps."""

    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingChannel(Channel):
    """A channel that records what it would send and fails on a script."""

    kind = "file"

    def __init__(self) -> None:
        self.sent: list[Notification] = []
        self.script: list[DeliveryError | None] = []
        self.rendered = 0

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        self.rendered += 1
        return Payload(channel="recording", body=n, text=n.title)

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        if self.script:
            err = self.script.pop(0)
            if err is not None:
                raise err
        self.sent.append(payload.body)
        return Sent(external_id=f"ext-{len(self.sent)}")


__all__ = ["TLP"]


def kev_entry(cve: str) -> dict[str, Any]:
    """One synthetic KEV catalogue entry for FortiOS (the crash and second-process tests)."""
    return {
        "cveID": cve,
        "vendorProject": "Fortinet",
        "product": "FortiOS",
        "vulnerabilityName": f"FortiOS flaw {cve}",
        "dateAdded": "2026-01-01",
        "shortDescription": "x",
        "requiredAction": "Patch.",
        "dueDate": "2026-01-22",
        "knownRansomwareCampaignUse": "Unknown",
        "notes": "",
        "cwes": [],
    }
