"""The published-advisory store: save, read back, revisions kept, the id sequence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from certbot.publish.draft import Draft, PublishedAdvisory, Revision
from certbot.store import Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _adv(id: str, revision: int = 1, title: str = "Sårbarhet i FortiOS") -> PublishedAdvisory:
    draft = Draft(id=id, title=title, tlp="CLEAR", summary="Oppdater nå.")
    history = tuple(
        Revision(number=n, date=NOW, summary="Første versjon", operator="ola")
        for n in range(1, revision + 1)
    )
    return PublishedAdvisory(
        draft=draft, revision=revision, initial=NOW, current=NOW, history=history
    )


def test_save_and_read_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    assert store.published_advisories() == []
    assert store.published_advisory("KCERT-2026-0001") is None
    store.save_published_advisory(_adv("KCERT-2026-0001"))
    store.save_published_advisory(_adv("KCERT-2026-0001", 2, "Ny tittel"))
    store.save_published_advisory(_adv("KCERT-2026-0002"))
    got = store.published_advisory("KCERT-2026-0001")
    assert got is not None and got.revision == 2 and got.draft.title == "Ny tittel"
    assert [a.id for a in store.published_advisories()] == ["KCERT-2026-0001", "KCERT-2026-0002"]
    first = store.published_revision("KCERT-2026-0001", 1)
    assert first is not None and first.draft.title == "Sårbarhet i FortiOS"
    store.close()
    again = Store(tmp_path / "db.sqlite")
    assert again.published_advisory("KCERT-2026-0002") == _adv("KCERT-2026-0002")


def test_id_sequence_skips_taken_ids(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    assert store.next_published_id("KCERT", 2026) == "KCERT-2026-0001"
    store.save_published_advisory(_adv("KCERT-2026-0003"))
    assert store.next_published_id("KCERT", 2026) == "KCERT-2026-0002"
    assert store.next_published_id("KCERT", 2026) == "KCERT-2026-0004"
    assert store.next_published_id("KCERT", 2027) == "KCERT-2027-0001"
    assert store.next_published_id("OTHER", 2026) == "OTHER-2026-0001"
