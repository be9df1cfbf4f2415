"""Stable verdicts (issue 16.5): every figure is measured ``runs`` times (at least 3 in both
the full and the quick suite) and reported as min, median and max; a verdict is taken on the
median. `spread` is the one shape the table, the JSON and the README generator read."""

from __future__ import annotations

import resource
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def spread(samples: Iterable[float]) -> dict[str, Any]:
    xs = [float(x) for x in samples]
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "n": len(xs)}


def repeat(runs: int, fn: Callable[[], T]) -> list[T]:
    return [fn() for _ in range(runs)]


def over(results: list[dict[str, Any]], *keys: str) -> dict[str, dict[str, Any]]:
    """``{key: spread of that key over the runs}`` for each of ``keys``."""
    return {k: spread(r[k] for r in results) for k in keys}


def median(s: dict[str, Any] | float) -> float:
    return float(s["median"]) if isinstance(s, dict) else float(s)


def peak_rss_mb() -> float:
    """This process's peak resident set in MB. Linux keeps ``ru_maxrss`` across ``execve``, so
    a child started by a big parent would report the parent's peak; ``VmHWM`` belongs to the
    address space, which exec replaces, so it is the child's own (``ru_maxrss`` elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
