"""An import while the service runs: the new items match the next advisory, no restart (the
App and the scheduler's config-watch job, the path a running 'run' takes)."""

from __future__ import annotations

import asyncio

from certbot import scheduler
from certbot.app import App
from certbot.config import load_config
from certbot.config.loading import config_stamp
from certbot.inventory.importing import ImportRequest, run_import
from certbot.model import Case
from certbot.sources import SourceState
from tests.factory import kev
from tests.test_inventory_import import conf
from tests.test_pipeline import FEED

CVE = "CVE-2025-0282"


async def test_import_while_running_matches_the_next_advisory(tmp_path):
    root = conf(tmp_path)
    async with App(load_config(root), tmp_path / "c.db") as app:
        sched = scheduler.build_scheduler(app)
        watch = sched.get_job("config-watch")
        assert watch is not None
        adv = kev(CVE, "Ivanti", "Connect Secure")
        assert "0301" not in app.pipeline.matcher.match(Case(id="c0", advisories=[adv]))
        await watch.func()  # nothing changed on disk: the same configuration stays
        before = app.config
        assert app.config is before

        csv = tmp_path / "apps.csv"
        csv.write_text("Produkt;Leverandør;Versjon\nConnect Secure;Ivanti;22.7R2.3\n", "utf-8")
        stamp = config_stamp(app.config)
        run_import(load_config(root), ImportRequest("0301", csv))
        assert config_stamp(app.config) != stamp

        await watch.func()  # the next configuration check
        assert app.config is not before
        result = await app.store.run(app.pipeline._ingest_and_plan, FEED, [adv], SourceState())
        assert result.matches >= 1
        ms = app.pipeline.matcher.match(Case(id="c1", advisories=[adv]))["0301"]
        assert any("Connect Secure" in m.item for m in ms)
        app.wake_task.cancel()  # type: ignore[attr-defined]
        await asyncio.gather(app.wake_task, return_exceptions=True)  # type: ignore[attr-defined]


async def test_a_broken_inventory_on_disk_keeps_the_running_configuration(tmp_path, caplog):
    root = conf(tmp_path)
    csv = tmp_path / "apps.csv"
    csv.write_text("Produkt;Leverandør;Versjon\nConnect Secure;Ivanti;22.7R2.3\n", "utf-8")
    run_import(load_config(root), ImportRequest("0301", csv))
    async with App(load_config(root), tmp_path / "c.db") as app:
        before = app.config
        (root / "inventories" / "0301.yaml").write_text(
            "kommunenummer: '0301'\nitems: [{}]\n", "utf-8"
        )
        assert scheduler.reload_config(app) is False
        assert app.config is before and "inventories/0301.yaml: items[0]" in caplog.text
