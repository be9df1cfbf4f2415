"""`quick_init`: a faster ``__init__`` for the frozen, slotted dataclasses parsers build by
the thousand (`Advisory`, `AffectedProduct`, `Remediation`).

Contract: the class keeps everything ``@dataclass(frozen=True, slots=True)`` gave it (a
``__setattr__`` that raises `dataclasses.FrozenInstanceError`, ``__eq__``, ``__hash__``,
``__repr__``, pickling); only ``__init__`` is replaced, by one with the same parameters, the
same defaults and default factories, that stores each field through its slot descriptor.
The dataclass-generated one calls ``object.__setattr__(self, name, value)`` per field (name
lookup through the type on every call): for a 22-field `Advisory` that was a third of parsing
a KEV entry. Classes with ``__post_init__``, init-only, keyword-only or ``init=False`` fields
are refused (TypeError at import) rather than half-supported.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


class _Factory:
    """The default of a field with a default factory: "no value given" (shown as dataclasses
    shows it in a signature)."""

    def __repr__(self) -> str:
        return "<factory>"


_NOTHING = _Factory()


def _parameter(i: int, f: dataclasses.Field[Any], ns: dict[str, Any]) -> tuple[str, str]:
    """(the parameter text, the value expression) of field ``i``."""
    if f.default is not dataclasses.MISSING:
        ns[f"_d{i}"] = f.default
        return f"{f.name}=_d{i}", f.name
    if f.default_factory is not dataclasses.MISSING:
        ns[f"_f{i}"] = f.default_factory
        return f"{f.name}=_NOTHING", f"_f{i}() if {f.name} is _NOTHING else {f.name}"
    return f.name, f.name


def quick_init(cls: type[T]) -> type[T]:
    """Give the frozen slotted dataclass ``cls`` the faster ``__init__`` (see the module)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: quick_init is for frozen, slotted dataclasses")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: quick_init does not run __post_init__")
    ns: dict[str, Any] = {"_NOTHING": _NOTHING}
    args, body = [], []
    for i, f in enumerate(dataclasses.fields(cls)):  # type: ignore[arg-type]
        if not f.init or f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: quick_init needs plain init fields")
        ns[f"_set{i}"] = cls.__dict__[f.name].__set__
        arg, value = _parameter(i, f, ns)
        args.append(arg)
        body.append(f"    _set{i}(self, {value})")
    # Generated from the class's own field names only (as dataclasses does), never from input.
    source = f"def __init__(self, {', '.join(args)}):\n" + "\n".join(body) + "\n"
    exec(source, ns)  # noqa: S102
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    setattr(cls, "__init__", init)  # noqa: B010 (mypy refuses assigning a method)
    return cls
