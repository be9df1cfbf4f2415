"""Backup during writes, restore on a fresh host (RELIABILITY.md row 22): the copy passes
integrity_check and the outbox resumes from it without re-sending what was sent."""

from __future__ import annotations

import random
import shutil
import threading

from certbot.cli import main
from certbot.outbound.dispatch import Dispatcher
from certbot.pipeline import Pipeline
from certbot.sources import SourceState
from certbot.store import AsyncStore, Store
from tests.conftest import ROOT
from tests.factory import Clock, RecordingChannel, config, fortios_sub, kev
from tests.test_pipeline import FEED


async def test_backup_while_writing_then_restore_resumes_without_resending(tmp_path, capsys):
    db = tmp_path / "live.db"
    store = AsyncStore(Store(db))
    clock = Clock()
    # ten deliveries, one per case (not grouped: this test counts rows sent and owed)
    cfg = config([fortios_sub()], service={"routing": {"group_bursts": False}})
    p = Pipeline(cfg, store, http=None, clock=clock)
    p._ingest_and_plan(
        FEED,
        [kev(f"CVE-2026-{30000 + i}", "Fortinet", "FortiOS") for i in range(10)],
        SourceState(),
    )
    sent_before = RecordingChannel()
    d = Dispatcher(
        cfg, store, {"file": sent_before}, clock=clock, rng=random.Random(1), rate_limits=False
    )
    await d.run_once(limit=4)  # four sent; six still owed
    assert len(sent_before.sent) == 4

    # Another process keeps writing while the backup is taken.
    writer = Store(db)
    stop = threading.Event()

    def write() -> None:
        i = 0
        while not stop.is_set():
            writer.ingest([kev(f"CVE-2027-{i:05d}", "Other", "Thing")], now=clock.now)
            i += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        backup = tmp_path / "backup" / "certbot.db"
        assert main(["--config-dir", str(ROOT), "--db", str(db), "backup", str(backup)]) == 0
    finally:
        stop.set()
        thread.join()
        writer.close()
        store.close()
    assert "integrity ok" in capsys.readouterr().out

    # A fresh host: only the backup file.
    fresh = tmp_path / "fresh" / "certbot.db"
    fresh.parent.mkdir()
    shutil.copy(backup, fresh)
    restored = AsyncStore(Store(fresh))
    assert restored.store.integrity_ok()
    channel = RecordingChannel()
    summary = await Dispatcher(
        cfg, restored, {"file": channel}, clock=clock, rate_limits=False
    ).run_once()
    sent_ids = {n.delivery_id for n in sent_before.sent}
    assert summary.sent == 6 and not sent_ids & {n.delivery_id for n in channel.sent}
    assert restored.store.status_counts() == {"sent": 10}
    restored.close()
