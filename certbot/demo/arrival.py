"""`demo --fakes`, after the start-up: a new case arrives, inside the baseline window.

Everything in the bundled snapshots is older than the baseline window, so the first poll sends
only "Status ved oppstart" messages (issue 11.2) and no single alert reaches Slack, Teams and
Telegram. The walk-through then needs a case that is new: `fresh_feeds` points the KEV and
CVE-record feeds at copies in the output directory, and `arrive` adds ONE SYNTHETIC entry to
them (dated the moment it runs, its title says it is a demo entry) and polls again: a KEV entry
for FortiOS with a CVE record whose range 7.2.0–7.2.10 (fixed in 7.2.11) holds the FortiOS
versions Oslo, Bergen and Trondheim declare, so it is a P1 for all three, through Teams, Slack
and Telegram, acknowledged in the loop (`certbot.demo.loop`). Nothing here touches the plain
`demo`, whose golden JSON Lines stay the first run of the real snapshots.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from certbot.config import Config

if TYPE_CHECKING:
    from certbot.app import App

CVE_ID = "CVE-2026-90001"  # synthetic: no such CVE exists
TITLE = "Fortinet FortiOS Heap Overflow Vulnerability (SYNTHETIC demo entry)"


def fresh_feeds(config: Config, out: Path) -> tuple[Config, Path, Path]:
    """The config with the KEV and CVE-record feeds on copies in ``out/feeds``; returns it
    and the two copies (the KEV file, the mirror directory)."""
    feeds_dir = out / "feeds"
    shutil.rmtree(feeds_dir, ignore_errors=True)
    feeds_dir.mkdir(parents=True)
    kev = cve = None
    changed = []
    for f in config.feeds:
        if f.kind == "kev" and f.path:
            kev = feeds_dir / "kev.json"
            shutil.copyfile(config.resolve_path(f.path), kev)
            f = f.model_copy(update={"path": str(kev)})
        elif f.kind == "cve" and f.path:
            cve = feeds_dir / "cve"
            shutil.copytree(config.resolve_path(f.path), cve)
            f = f.model_copy(update={"path": str(cve)})
        changed.append(f)
    if kev is None or cve is None:
        raise ValueError("the demo configuration has no kev and cve feeds on local paths")
    return config.model_copy(update={"feeds": tuple(changed)}), kev, cve


def kev_entry(now: datetime) -> dict[str, Any]:
    return {
        "cveID": CVE_ID,
        "vendorProject": "Fortinet",
        "product": "FortiOS",
        "vulnerabilityName": TITLE,
        "dateAdded": now.date().isoformat(),
        "shortDescription": "SYNTHETIC demo entry: a heap overflow in the SSL-VPN daemon lets a "
        "remote unauthenticated attacker run code.",
        "requiredAction": "Apply mitigations per vendor instructions or discontinue use of the "
        "product if mitigations are unavailable.",
        "dueDate": now.date().isoformat(),
        "knownRansomwareCampaignUse": "Unknown",
        "notes": "",
        "cwes": ["CWE-122"],
    }


def cve_record(now: datetime) -> dict[str, Any]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    versions = [
        {"version": "7.2.0", "lessThan": "7.2.11", "status": "affected", "versionType": "semver"}
    ]
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": CVE_ID, "state": "PUBLISHED", "assignerShortName": "fortinet",
                        "datePublished": stamp, "dateUpdated": stamp},
        "containers": {"cna": {
            "providerMetadata": {"orgId": "00000000-0000-4000-8000-000000000000", "shortName": "fortinet"},
            "title": TITLE,
            "descriptions": [{"lang": "en", "value": "SYNTHETIC demo record. FortiOS 7.2.0 through 7.2.10 is affected; fixed in 7.2.11."}],
            "affected": [{"vendor": "Fortinet", "product": "FortiOS", "defaultStatus": "unaffected",
                          "versions": versions}],
            "metrics": [{"format": "CVSS", "cvssV3_1": {"version": "3.1", "baseScore": 9.8,
                                                         "baseSeverity": "CRITICAL", "vectorString": vector}}],
            "solutions": [{"lang": "en", "value": "Upgrade to FortiOS 7.2.11 or above."}],
            "references": [{"url": "https://www.fortiguard.com/psirt"}],
        }},
    }  # fmt: skip


def publish(kev: Path, mirror: Path, now: datetime) -> None:
    """The synthetic entry added to the KEV copy and its record to the mirror copy."""
    doc = json.loads(kev.read_text(encoding="utf-8"))
    doc["vulnerabilities"].append(kev_entry(now))
    doc["count"] = len(doc["vulnerabilities"])
    kev.write_text(json.dumps(doc), encoding="utf-8")
    path = mirror / "cves" / CVE_ID.split("-")[1] / "90xxx" / f"{CVE_ID}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cve_record(now)), encoding="utf-8")


async def arrive(app: App, kev: Path, mirror: Path) -> None:
    """Publish the synthetic entry, then poll and send as the service would."""
    await asyncio.to_thread(publish, kev, mirror, datetime.now(UTC))
    await app.poll()
    await app.dispatch()
