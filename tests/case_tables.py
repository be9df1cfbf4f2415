"""Case tables kept as data, one file a table: tests/data/cases/<name>.yaml.

A table names the test's parameters (``args``) and lists its ``cases``, one YAML flow list a
case, written as JSON (every string quoted, ``null``, ``true``/``false``) so that YAML never
guesses a type ("7.10" stays a string); comments group the cases and say why one is there.
`cases(name)` is the ``pytest.mark.parametrize`` over a table and `rows(name)` its cases;
a list inside a case becomes a tuple. The test itself keeps the assertions."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

CASES = Path(__file__).parent / "data" / "cases"


@cache
def _table(name: str) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
    doc = yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))
    args = tuple(doc["args"])
    found = tuple(
        tuple(tuple(v) if isinstance(v, list) else v for v in case) for case in doc["cases"]
    )
    bad = [case for case in found if len(case) != len(args)]
    assert not bad, f"tests/data/cases/{name}.yaml: cases without {len(args)} values: {bad}"
    return args, found


def rows(name: str) -> list[tuple[Any, ...]]:
    """The cases of tests/data/cases/<name>.yaml, in order."""
    return list(_table(name)[1])


def cases(name: str) -> pytest.MarkDecorator:
    """``pytest.mark.parametrize`` over tests/data/cases/<name>.yaml."""
    args, found = _table(name)
    return pytest.mark.parametrize(args, found)
