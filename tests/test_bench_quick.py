"""The benchmarks cannot rot: `python -m bench --quick` runs and reports every figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIGURES = [
    "full cycle, N=",
    "stage: fetch_parse",
    "stage: ingest",
    "stage: plan",
    "stage: dispatch",
    "floor (GET + SHA-512 + OpenPGP verify",
    "full cycle / floor",
    "matcher speed-up vs naive",
    "matcher growth per doubling",
    "parse RSS",
    "parse KEV catalogue",
    "parse CSAF",
    "parse STIX",
    "idle poll",
    "outbox: ",
    "crash bound: sends in flight + unrecorded",
    "peak memory",
    "start-up with",
    "time to alert",
    "fan-out slack",
    "fan-out teams",
    "fan-out telegram",
    "quality: recall on KEV-exploited",
    "quality: precision, structured",
    "quality: precision, prose",
    "quality: alerts for versions a source calls fixed",
    "inventory import",
    "matcher rebuild after the import",
]


@pytest.mark.timeout(600)  # about 60 s on a quiet 2-core machine; several times that under load
def test_quick_suite_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=590,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    names = [r["figure"] for r in rows]
    for fig in FIGURES:
        assert any(n.strip().startswith(fig) for n in names), f"missing figure: {fig}"
    for r in rows:
        assert r["verdict"] in ("OK", "MISS", "-")
        assert r["value"] == r["value"]  # not NaN
        if "runs" in r:  # a timing: the median of >= 3 runs, inside its own range
            assert r["runs"] >= 3 and r["min"] <= r["value"] <= r["max"]
    timed = [r for r in rows if r["figure"].startswith(("full cycle", "time to alert", "outbox: "))]
    assert timed and all(r.get("runs", 0) >= 3 for r in timed)
    assert "verdict" in proc.stdout.splitlines()[0]
