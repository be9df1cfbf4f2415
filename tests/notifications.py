"""Realistic, deterministic Notifications for channel and renderer tests.

Every engineer's channel tests may reuse these: ``make_alert()`` is a FortiOS P1 alert for
0301 Oslo kommune; ``make_update``, ``make_digest``, ``make_operator``, ``make_test`` and
``make_reminder`` cover the other kinds. Keyword arguments override any field. All datetimes
are fixed and timezone-aware, so renderings are stable golden files.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from certbot.model import TLP, Notification, Priority
from certbot.planning.evidence import evidence_line

PUBLISHED = datetime(2024, 2, 9, 10, 0, tzinfo=UTC)
DEADLINE = datetime(2024, 2, 10, 10, 0, tzinfo=UTC)  # 11:00 Oslo time

HOSTILE_TITLES = [
    "<script>alert(1)</script>",
    "<!channel>",
    "<https://evil|https://nsm.no>",
    "[x](javascript:alert(1))",
    "Hei\r\nBcc: evil@x",
    "A" * 10_000,
    "Fortinet \u202eFortiOS\u202c sårbarhet",
]

_TEXT = {
    "nb": {
        "title": "Fortinet FortiOS: kritisk sårbarhet i SSL VPN utnyttes aktivt",
        "summary": (
            "En skrivefeil utenfor minnegrensene i SSL VPN i FortiOS lar en angriper uten "
            "innlogging kjøre vilkårlig kode via spesiallagde HTTP-forespørsler. Sårbarheten "
            "utnyttes aktivt."
        ),
        "reasons": [
            "Utnyttes aktivt (CISA KEV)",
            "CVSS 9.8 (kritisk)",
            "Enheten er eksponert mot internett",
        ],
        "actions": [
            "Oppgrader FortiOS til 7.2.7 eller nyere.",
            "Hvis dere ikke kan oppgradere i dag: slå av SSL VPN.",
            "Se etter tegn på kompromittering i loggene fra 1. januar og fram til i dag.",
        ],
        "changes": [
            "Fortinet har publisert en rettet versjon for 7.2-grenen (7.2.7).",
            "CISA har lagt sårbarheten til i KEV-katalogen; fristen er endret.",
        ],
    },
    "en": {
        "title": "Fortinet FortiOS: critical SSL VPN vulnerability actively exploited",
        "summary": (
            "An out-of-bounds write in the FortiOS SSL VPN lets an unauthenticated attacker "
            "run arbitrary code through crafted HTTP requests. It is being exploited."
        ),
        "reasons": [
            "Actively exploited (CISA KEV)",
            "CVSS 9.8 (critical)",
            "The device is exposed to the internet",
        ],
        "actions": [
            "Upgrade FortiOS to 7.2.7 or later.",
            "If you cannot upgrade today: disable the SSL VPN.",
            "Look for signs of compromise in the logs from 1 January until today.",
        ],
        "changes": [
            "Fortinet has published a fixed version for the 7.2 branch (7.2.7).",
            "CISA has added the vulnerability to the KEV catalogue; the deadline has changed.",
        ],
    },
}


def _override(n: Notification, fields: dict[str, Any]) -> Notification:
    return dataclasses.replace(n, **fields) if fields else n


def make_alert(language: str = "nb", **fields: Any) -> Notification:
    """A P1 FortiOS alert (CVE-2024-21762) for 0301 Oslo kommune, TLP:AMBER."""
    t = _TEXT[language]
    n = Notification(
        delivery_id="d-0301-cve-2024-21762-r1-it-vakt",
        kind="alert",
        language=language,
        subscriber_id="0301",
        subscriber_name="Oslo kommune",
        target_id="it-vakt",
        tlp=TLP.AMBER,
        priority=Priority.P1,
        title=t["title"],
        case_id="CVE-2024-21762",
        revision=1,
        cves=["CVE-2024-21762"],
        deadline=DEADLINE,
        matched=[
            {
                "item": "Fortinet FortiOS 7.2.4",
                "rule": "product_version",
                "confidence": "high",
                "source": "cisa-kev",
                "entry": "CVE-2024-21762",
                "detail": "7.2.4 in vers:generic/>=7.2.0|<7.2.7",
                "affected": "confirmed",
                "version_source": "csaf",
                "evidence": evidence_line("7.2.4 in vers:generic/>=7.2.0|<7.2.7", language),
            }
        ],
        reasons=list(t["reasons"]),
        actions=list(t["actions"]),
        links=[
            "https://www.fortiguard.com/psirt/FG-IR-24-015",
            "https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
        ],
        summary=t["summary"],
    )
    return _override(n, fields)


def make_update(language: str = "nb", **fields: Any) -> Notification:
    """Revision 2 of the FortiOS case: a fix version was published."""
    n = make_alert(
        language,
        delivery_id="d-0301-cve-2024-21762-r2-it-vakt",
        kind="update",
        revision=2,
        changes=list(_TEXT[language]["changes"]),
    )
    return _override(n, fields)


def make_reminder(language: str = "nb", **fields: Any) -> Notification:
    """The FortiOS P1 alert, not yet acknowledged."""
    n = make_alert(language, delivery_id="d-0301-cve-2024-21762-r1-it-vakt-rem1", kind="reminder")
    return _override(n, fields)


def _digest_item(
    language: str, idx: int, priority: Priority, title: str, item: str
) -> Notification:
    return Notification(
        delivery_id=f"d-0301-digest-20240212-{idx}",
        kind="alert",
        language=language,
        subscriber_id="0301",
        subscriber_name="Oslo kommune",
        target_id="it-drift",
        tlp=TLP.CLEAR if idx != 2 else TLP.GREEN,
        priority=priority,
        title=title,
        case_id=f"case-{idx}",
        revision=1,
        cves=[f"CVE-2024-{1000 + idx}"],
        deadline=None if priority is Priority.P4 else datetime(2024, 2, 19, 7, 0, tzinfo=UTC),
        matched=[
            {
                "item": item,
                "rule": "product_no_version" if idx == 3 else "product_version",
                "confidence": "medium" if idx == 3 else "high",
                "source": "cert-eu",
                "entry": f"CERTEU-2024-0{idx}",
                "detail": "",
                "affected": "possible" if idx == 3 else "confirmed",
                "version_source": None if idx == 3 else "csaf",
            }
        ],
        links=[f"https://cert.europa.eu/publications/security-advisories/2024-0{idx}/"],
    )


def make_digest(language: str = "nb", **fields: Any) -> Notification:
    """A daily digest with three P3 items and one P4 item (TLP:GREEN, the highest label)."""
    items = [
        _digest_item(
            language,
            1,
            Priority.P3,
            "Apache HTTP Server 2.4.58: flere sårbarheter",
            "Apache HTTP Server 2.4.57",
        ),
        _digest_item(
            language, 2, Priority.P3, "Microsoft Edge: sikkerhetsoppdatering", "Microsoft Edge 120"
        ),
        _digest_item(
            language, 3, Priority.P4, "VMware Tools: informasjonslekkasje", "VMware Tools"
        ),
        _digest_item(
            language, 4, Priority.P3, "OpenSSL: tjenestenekt ved lange nøkler", "OpenSSL 3.0.12"
        ),
    ]
    title = (
        "Daglig oppsummering 12.02.2024: 4 varsler"
        if language == "nb"
        else "Daily digest 2024-02-12: 4 alerts"
    )
    n = Notification(
        delivery_id="d-0301-digest-20240212",
        kind="digest",
        language=language,
        subscriber_id="0301",
        subscriber_name="Oslo kommune",
        target_id="it-drift",
        tlp=TLP.GREEN,
        priority=Priority.P3,
        title=title,
        items=items,
    )
    return _override(n, fields)


def make_operator(language: str = "nb", **fields: Any) -> Notification:
    """An operator notice: a delivery went dead."""
    nb = language == "nb"
    n = Notification(
        delivery_id="d-operator-dead-42",
        kind="operator",
        language=language,
        subscriber_id="operator",
        subscriber_name="KommuneCERT",
        target_id="drift",
        tlp=TLP.CLEAR,
        priority=None,
        title=(
            "Levering feilet permanent: 0301/it-vakt (telegram)"
            if nb
            else "Delivery failed permanently: 0301/it-vakt (telegram)"
        ),
        summary=(
            "Varselet om CVE-2024-21762 kom ikke fram etter 8 forsøk. Siste feil: 403 Forbidden."
            if nb
            else "The alert about CVE-2024-21762 was not delivered after 8 attempts. "
            "Last error: 403 Forbidden."
        ),
        actions=[
            "Kontroller at boten fortsatt er medlem av gruppen."
            if nb
            else "Check that the bot is still a member of the group."
        ],
    )
    return _override(n, fields)


def make_test(language: str = "nb", **fields: Any) -> Notification:
    """A test message sent with `certbot test-target`."""
    n = Notification(
        delivery_id="d-0301-test-it-vakt-1",
        kind="test",
        language=language,
        subscriber_id="0301",
        subscriber_name="Oslo kommune",
        target_id="it-vakt",
        tlp=TLP.CLEAR,
        priority=None,
        title="Testmelding" if language == "nb" else "Test message",
    )
    return _override(n, fields)
