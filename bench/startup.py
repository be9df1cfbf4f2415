"""Start-up with N subscriber files: load_config + Matcher construction, from what a fresh
process knows (`forget_loaded`: no file read before, no inventory item shared yet)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from bench import generate as g
from certbot.config import load_config
from certbot.config.subscribers import forget_loaded
from certbot.match import Matcher


def startup(load: g.Load, root: Path, n: int, items: int) -> dict[str, Any]:
    (root / "subscribers").mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text("feeds: []\n")
    for d in g.subscriber_dicts(load, n, items):
        (root / "subscribers" / f"{d['id']}-kommune-{d['id']}.yaml").write_text(
            yaml.safe_dump(d, allow_unicode=True, sort_keys=False)
        )
    forget_loaded()
    t = time.perf_counter()
    config = load_config(root)
    loaded = time.perf_counter() - t
    Matcher(config.subscribers)
    total = time.perf_counter() - t
    return {"startup_s": total, "load_config_s": loaded, "files": len(config.subscribers)}
