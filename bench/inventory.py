"""inventory import of a K-component CycloneDX SBOM (time, Python peak memory), and the
matcher's index rebuild after that import with a national configuration (N subscribers).

Each time is wall clock, with the process CPU time beside it (``*_cpu_s``: on a shared, loaded
machine the wall clock mostly measures the other processes). The import is timed untraced and
its peak taken from a second, identical import under tracemalloc."""

from __future__ import annotations

import json
import shutil
import time
import tracemalloc
from pathlib import Path
from typing import Any

import yaml

from bench import generate as g
from certbot.config import load_config
from certbot.inventory.importing import ImportRequest, run_import
from certbot.match import Matcher


def write_sbom(path: Path, k: int) -> Path:
    comps = [
        {
            "type": "library",
            "bom-ref": f"c{i}",
            "group": f"org.example{i % 97}",
            "name": f"component-{i % 2500}",
            "version": f"{i % 7}.{i % 13}.{i % 5}",
            "purl": f"pkg:maven/org.example{i % 97}/component-{i % 2500}@{i % 7}.{i % 13}.{i % 5}",
        }
        for i in range(k)
    ]
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}
    path.write_text(json.dumps(doc))
    return path


def inventory(load: g.Load, root: Path, n: int, items: int, k: int) -> dict[str, Any]:
    (root / "subscribers").mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text("feeds: []\n")
    dicts = list(g.subscriber_dicts(load, n, items))
    for d in dicts:
        (root / "subscribers" / f"{d['id']}-kommune-{d['id']}.yaml").write_text(
            yaml.safe_dump(d, allow_unicode=True, sort_keys=False)
        )
    shutil.rmtree(root / "inventories", ignore_errors=True)  # each run a first import
    sbom = write_sbom(root / "big.cdx.json", k)
    config = load_config(root)
    request = ImportRequest(dicts[0]["id"], sbom)
    # The peak from an import under tracemalloc (which makes this allocation-heavy code 3-4x
    # slower), undone; then the same import untraced, for its time.
    first = root / "subscribers" / f"{dicts[0]['id']}-kommune-{dicts[0]['id']}.yaml"
    before = first.read_text()
    tracemalloc.start()
    report = run_import(config, request)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    report.path.unlink()
    first.write_text(before)
    t, cpu = time.perf_counter(), time.process_time()
    report = run_import(config, request)
    import_s, import_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    t, cpu = time.perf_counter(), time.process_time()
    config = load_config(root)  # what the reload reads
    reload_s, reload_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    t, cpu = time.perf_counter(), time.process_time()
    Matcher(config.subscribers)
    rebuild_s, rebuild_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    return {
        "components": k,
        "sbom_mb": sbom.stat().st_size / 2**20,
        "items": report.items,
        "import_s": import_s,
        "import_cpu_s": import_cpu_s,
        "import_peak_mb": peak / 2**20,
        "reload_load_config_s": reload_s,
        "reload_load_config_cpu_s": reload_cpu_s,
        "matcher_rebuild_s": rebuild_s,
        "matcher_rebuild_cpu_s": rebuild_cpu_s,
        "n": n,
        "inventory_items": sum(len(s.inventory) for s in config.subscribers),
    }
