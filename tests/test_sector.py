"""`sector`: the whole sector at a glance for operators and leadership."""

from __future__ import annotations

import json
from datetime import timedelta

from certbot.cli import main
from certbot.inbound import records
from certbot.store import iso
from tests.inbound_helpers import make_world


def test_counts_acknowledged_patched_and_overdue(tmp_path, capsys):
    world = make_world(tmp_path)  # one P1 alerted to 0301 and 4601
    row = records.sector(world.store, iso(world.clock.now) or "")[0]
    assert (row["municipalities"], row["acknowledged"], row["patched"], row["overdue"]) == (
        2,
        0,
        0,
        0,
    )
    world.run("telegram", "111", f"status {world.case} patchet")  # Oslo has patched
    late = iso(world.clock.now + timedelta(days=30)) or ""  # past every deadline
    (row,) = records.sector(world.store, late)
    assert (row["acknowledged"], row["patched"], row["overdue"]) == (1, 1, 1)  # Bergen is late
    assert row["priority"] == 1 and row["case_id"] == world.case
    world.store.close()
    config_dir = str(tmp_path)
    (tmp_path / "feeds.yaml").write_text("feeds: []\n")
    (tmp_path / "subscribers").mkdir()
    assert (
        main(["--config-dir", config_dir, "--db", str(tmp_path / "certbot.db"), "sector", "--json"])
        == 0
    )
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["case_id"] == world.case and listed[0]["patched"] == 1
