"""inventory import of a K-component CycloneDX SBOM (time, Python peak memory), and the
matcher's index rebuild after that import with a national configuration (N subscribers)."""

from __future__ import annotations

import json
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
    sbom = write_sbom(root / "big.cdx.json", k)
    config = load_config(root)
    tracemalloc.start()
    t = time.perf_counter()
    report = run_import(config, ImportRequest(dicts[0]["id"], sbom))
    import_s = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t = time.perf_counter()
    config = load_config(root)  # what the reload reads
    reload_s = time.perf_counter() - t
    t = time.perf_counter()
    Matcher(config.subscribers)
    rebuild_s = time.perf_counter() - t
    return {
        "components": k,
        "sbom_mb": sbom.stat().st_size / 2**20,
        "items": report.items,
        "import_s": import_s,
        "import_peak_mb": peak / 2**20,
        "reload_load_config_s": reload_s,
        "matcher_rebuild_s": rebuild_s,
        "n": n,
        "inventory_items": sum(len(s.inventory) for s in config.subscribers),
    }
