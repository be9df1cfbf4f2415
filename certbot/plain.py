"""`plain`: what `dataclasses.asdict` makes of a value, fast.

Dataclasses become dicts of their fields, named tuples, lists, tuples and dicts are rebuilt,
immutable leaves (str, numbers, dates, enums) are returned as they are instead of deep-copied;
anything else is deep-copied. Used for content hashes and stored JSON of the domain objects.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import fields
from datetime import date, datetime
from typing import Any

_ATOMS = (str, int, float, bool, type(None), datetime, date, enum.Enum)
_ATOM_TYPES = {str, int, float, bool, type(None)}
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def plain(obj: Any) -> Any:
    """What `dataclasses.asdict` makes of ``obj``, without deep-copying immutable leaves
    (asdict deep-copies every string: it was half of the time of ingesting an advisory)."""
    cls = type(obj)
    if cls in _ATOM_TYPES or isinstance(obj, _ATOMS):
        return obj
    if hasattr(cls, "__dataclass_fields__"):
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(obj))
        return {n: plain(getattr(obj, n)) for n in names}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return cls(*[plain(v) for v in obj])
    if cls is tuple or cls is list:
        return cls([plain(v) for v in obj])
    if isinstance(obj, list | tuple):
        return cls(plain(v) for v in obj)
    if isinstance(obj, dict):
        return cls((plain(k), plain(v)) for k, v in obj.items())
    return copy.deepcopy(obj)
