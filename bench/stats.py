"""Stable verdicts (issue 16.5): every figure is measured ``runs`` times (at least 3 in both
the full and the quick suite) and reported as min, median and max; a verdict is taken on the
median. `spread` is the one shape the table, the JSON and the README generator read."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
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
