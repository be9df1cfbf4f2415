"""Notifications, configs and contexts for the chat channel tests (deterministic values)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certbot.channels import ChannelContext
from certbot.config import Config, ServiceConfig, TargetConfig
from certbot.model import TLP, Notification, Priority
from certbot.render import Renderer

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)  # 16:30 in Oslo
HOSTILE_TITLES = [
    "<script>alert(1)</script>",
    "<!channel> <!here> <@U123> fiks nå",
    "<https://evil.example|https://nsm.no>",
    "[x](javascript:alert(1)) og **fet**",
    "Linje 1\r\nLinje 2\rLinje 3\nBcc: victim@example.org",
    "A" * 10_000,
    "Oppdater \u202efdp.exe nå",
    '<a href="https://evil.example">nsm.no</a> &amp; <b>fet</b>',
]


def make_alert(language: str = "nb", **kw: Any) -> Notification:
    base: dict[str, Any] = {
        "delivery_id": "d-0301-42",
        "kind": "alert",
        "language": language,
        "subscriber_id": "0301",
        "subscriber_name": "Oslo kommune",
        "target_id": "chat",
        "tlp": TLP.AMBER,
        "priority": Priority.P1,
        "title": "Kritisk sårbarhet i Fortinet FortiOS SSL-VPN utnyttes aktivt",
        "case_id": "case-CVE-2024-21762",
        "revision": 1,
        "cves": ["CVE-2024-21762"],
        "deadline": DEADLINE,
        "matched": [
            {
                "item": "Fortinet FortiOS 7.2.4",
                "rule": "product_version",
                "confidence": "high",
                "source": "cisa-kev",
                "entry": "CVE-2024-21762",
                "detail": "7.2.4 in vers:generic/>=7.2.0|<7.2.7",
            }
        ],
        "reasons": ["Utnyttes aktivt (CISA KEV)", "Eksponert mot internett"],
        "actions": [
            "Oppgrader FortiOS til 7.2.7 eller nyere",
            "Slå av SSL-VPN til oppgraderingen er gjort",
            "Se etter tegn på kompromittering",
        ],
        "links": [
            "https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
            "https://www.fortiguard.com/psirt/FG-IR-24-015",
        ],
        "summary": "En sårbarhet for skriving utenfor minnegrensene i SSL-VPN lar en "
        "uautentisert angriper kjøre kode.",
    }
    base.update(kw)
    return Notification(**base)


def make_update(language: str = "nb", **kw: Any) -> Notification:
    kw.setdefault("changes", ["Ny rettet versjon: 7.2.8", "Lagt til i CISA KEV"])
    kw.setdefault("extra", {"thread_ts": "1700000001.000001"})
    return make_alert(language, kind="update", revision=2, delivery_id="d-0301-43", **kw)


def make_digest(language: str = "nb") -> Notification:
    items = [
        make_alert(
            language,
            title="Sårbarhet i Apache HTTP Server",
            priority=Priority.P3,
            cves=["CVE-2024-1111", "CVE-2024-1112", "CVE-2024-1113", "CVE-2024-1114"],
        ),
        make_alert(
            language,
            title="Oppdatering for Microsoft Exchange",
            priority=Priority.P3,
            cves=[],
            deadline=None,
        ),
        make_alert(
            language,
            title="Informasjon om Citrix NetScaler",
            priority=Priority.P4,
            cves=["CVE-2024-2222"],
            deadline=None,
        ),
    ]
    return make_alert(
        language,
        kind="digest",
        delivery_id="d-0301-digest-1",
        priority=None,
        deadline=None,
        title="Daglig sammendrag for Oslo kommune" if language == "nb" else "Daily digest",
        items=items,
        cves=[],
        matched=[],
        reasons=[],
        actions=[],
        links=[],
        summary="",
        tlp=TLP.GREEN,
    )


def make_huge(language: str = "nb") -> Notification:
    """Far over every platform's limit: long title, 500 matches, 500 actions, 300 links."""
    return make_alert(
        language,
        title="Å" * 2000,
        matched=[
            {
                "item": f"Produkt {i} & <b>x</b>",
                "rule": "text",
                "confidence": "low",
                "source": "nsm",
                "entry": "title",
                "detail": "x" * 200,
            }
            for i in range(500)
        ],
        actions=[f"Tiltak {i}: " + "gjør & sjekk <ting> " * 20 for i in range(500)],
        links=[f"https://example{i}.no/varsel?id={i}&x=<y>" for i in range(300)],
        cves=[f"CVE-2024-{i:05d}" for i in range(1000)],
        summary=("Lang tekst med <tegn> & *markdown* [lenke](javascript:x) 🎉\n" * 2000),
        reasons=["grunn " * 100] * 50,
    )


def target(kind: str, **kw: Any) -> TargetConfig:
    defaults: dict[str, Any] = {
        "slack": {"address": "C0123TEST"},
        "telegram": {"address": "-1001234567"},
        "teams": {"secret": {"env": "TEAMS_WEBHOOK_TEST"}},
    }.get(kind, {})
    return TargetConfig(id="chat", kind=kind, **{**defaults, **kw})  # type: ignore[arg-type]


def make_ctx(
    service: dict[str, Any] | None = None, environ: dict[str, str] | None = None, http: Any = None
) -> ChannelContext:
    config = Config(root=ROOT, service=ServiceConfig(**(service or {})), feeds=(), subscribers=())
    return ChannelContext(
        config=config, renderer=Renderer(ROOT / "templates"), http=http, environ=environ or {}
    )
