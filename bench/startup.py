"""Start-up with N subscriber files: load_config + Matcher construction in a fresh process.

Start-up is a property of a fresh process, so this benchmark measures one: the parent writes
the files, then starts a new interpreter (``python -m bench.startup ROOT``) that imports the
service's modules, and times, inside itself, from just before `load_config` to after the
`Matcher` is built (wall and process CPU). Measured inside the big bench process instead, the
figure carried that process's state: its heap of generated advisories (the cyclic collector
rescans it whenever load_config's allocations trigger a collection) and whatever caches the
earlier benchmarks had warmed (lazy imports, channel classes, compiled patterns). The child's
imports are not timed: a service pays them whatever its configuration holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bench import generate as g

_REPO = Path(__file__).resolve().parents[1]


def write_files(load: g.Load, root: Path, n: int, items: int) -> None:
    """feeds.yaml (no feeds) and N subscriber files under ``root``."""
    (root / "subscribers").mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text("feeds: []\n")
    for d in g.subscriber_dicts(load, n, items):
        (root / "subscribers" / f"{d['id']}-kommune-{d['id']}.yaml").write_text(
            yaml.safe_dump(d, allow_unicode=True, sort_keys=False)
        )


def measure(root: Path) -> dict[str, Any]:
    """In this process: load the configuration under ``root`` and build the Matcher, timed."""
    from certbot.config import load_config
    from certbot.match import Matcher

    t, c = time.perf_counter(), time.process_time()
    config = load_config(root)
    loaded, loaded_cpu = time.perf_counter() - t, time.process_time() - c
    Matcher(config.subscribers)
    return {
        "startup_s": time.perf_counter() - t,
        "startup_cpu_s": time.process_time() - c,
        "load_config_s": loaded,
        "load_config_cpu_s": loaded_cpu,
        "files": len(config.subscribers),
    }


def startup(load: g.Load, root: Path, n: int, items: int) -> dict[str, Any]:
    """Write the files, then measure start-up in a fresh child process."""
    write_files(load, root, n, items)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_REPO), env.get("PYTHONPATH")) if p)
    out = subprocess.run(
        [sys.executable, "-m", "bench.startup", str(root)],
        env=env,
        cwd=_REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
