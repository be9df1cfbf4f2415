"""Builders for the CSAF provider tests (issue 13): a signing key made with pysequoia per test
session (no key is checked in), published advisories, and a config directory with
``service.provider``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pysequoia

from certbot.publish.draft import Draft, Product, PublishedAdvisory, Revision

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
FORTIOS = Product(
    vendor="Fortinet", product="FortiOS", versions="vers:generic/>=7.2.0|<7.2.7", fixed=("7.2.7",)
)


@lru_cache(maxsize=1)
def signing_key() -> str:
    """An armored OpenPGP secret key (Ed25519/Cv25519), generated once per test session."""
    return str(pysequoia.Tsk.generate("KommuneCERT test <csaf@kommunecert.example.no>"))


def fingerprint() -> str:
    tsk = pysequoia.Tsk.from_bytes(signing_key().encode())
    return tsk.extract_certificate().fingerprint.upper()


def published(
    id: str = "KCERT-2026-0001", tlp: str = "CLEAR", revision: int = 1, **kw: Any
) -> PublishedAdvisory:
    status = kw.pop("status", "current")
    reason = kw.pop("withdraw_reason", None)
    fields: dict[str, Any] = {
        "id": id,
        "title": f"Kritisk sårbarhet i Fortinet FortiOS ({id})",
        "tlp": tlp,
        "summary": "Angripere kan ta over brannmuren. Oppdater snarest.",
        "details": "FortiOS SSL-VPN har en heap-overflow.",
        "cves": ("CVE-2026-24001",),
        "products": (FORTIOS,),
        "exploited": True,
        "actions": ("Oppgrader FortiOS til 7.2.7.", "Slå av SSL-VPN til dere har oppgradert."),
        **kw,
    }
    history = tuple(
        Revision(
            number=n,
            date=T0 + timedelta(hours=n - 1),
            summary="Første versjon" if n == 1 else f"Versjon {n}",
            operator="ola",
        )
        for n in range(1, revision + 1)
    )
    return PublishedAdvisory(
        draft=Draft.model_validate(fields),
        revision=revision,
        status=status,
        initial=T0,
        current=T0 + timedelta(hours=revision - 1),
        history=history,
        withdraw_reason=reason,
    )


def provider_yaml(public_url: str, listen: str = "127.0.0.1:0", tokens: str = "") -> str:
    return (
        "  provider:\n"
        f"    listen: '{listen}'\n"
        f"    public_url: {public_url}\n"
        "    signing_key: {env: CSAF_SIGNING_KEY}\n"
        "    publisher: {name: KommuneCERT, namespace: 'https://kommunecert.example.no'}\n" + tokens
    )


def config_dir(root: Path, service_extra: str, feeds: str = "feeds: []\n") -> Path:
    """A config directory: feeds.yaml (with ``service_extra`` under service:) and two
    municipalities running FortiOS 7.2.4 (0301 Oslo, 4601 Bergen)."""
    (root / "subscribers").mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text(
        feeds + "service:\n  output_dir: out\n  routing: {baseline_days: 100000}\n" + service_extra
    )
    for sub_id, name, county in (("0301", "Oslo", "Oslo"), ("4601", "Bergen", "Vestland")):
        (root / "subscribers" / f"{sub_id}-{name.lower()}.yaml").write_text(
            f"id: '{sub_id}'\nname: {name} kommune\ncounty: {county}\n"
            f"targets:\n  - {{id: drift, kind: file, address: out/{sub_id}.jsonl, "
            "tlp_max: AMBER}\n"
            "inventory:\n  - {vendor: Fortinet, product: FortiOS, version: '7.2.4'}\n"
        )
    return root
