"""CVSS base scores from what structured sources give: a score, a vector, or both.

``base_score`` prefers the stated base score when it is a sane number (0-10) and computes it
with the ``cvss`` library from the vector otherwise (CVSS 2, 3.x and 4.0). ``best`` keeps the
highest (score, vector) pair of several. Vector scores are cached (real vectors recur; a string
longer than any real vector is computed each time, never kept).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

VECTOR_MAX = 512  # a full CVSS 4.0 vector with every metric is ~300 characters


def _compute(vector: str) -> float | None:
    v = vector.strip()
    try:
        if v.startswith("CVSS:4"):
            return float(CVSS4(v).base_score)
        if v.startswith("CVSS:3"):
            return float(CVSS3(v).base_score)
        return float(CVSS2(v).base_score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None


_score_of = lru_cache(maxsize=4096)(_compute)


def from_vector(vector: str) -> float | None:
    """The base score a CVSS vector string implies, or None when it cannot be read. Cached:
    the same few hundred vectors recur across thousands of documents (a longer string than any
    real vector is computed, never kept)."""
    return _score_of(vector) if len(vector) <= VECTOR_MAX else _compute(vector)


def base_score(score: Any, vector: Any) -> float | None:
    """A stated base score if it is a number in 0..10, else the score computed from the vector."""
    if isinstance(score, int | float) and not isinstance(score, bool):
        value = float(score)
        if math.isfinite(value) and 0.0 <= value <= 10.0:
            return value
    if isinstance(vector, str) and vector:
        return from_vector(vector)
    return None


def best(
    current: tuple[float, str | None] | None, score: float | None, vector: Any
) -> tuple[float, str | None] | None:
    """Keep the higher of the current best and (score, vector)."""
    if score is None:
        return current
    vec = vector if isinstance(vector, str) else None
    if current is None or score > current[0]:
        return (score, vec)
    return current
