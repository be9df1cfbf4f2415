"""`quick_init`: a faster ``__init__`` for the frozen, slotted dataclasses parsers build by
the thousand (`Advisory`, `AffectedProduct`, `Remediation`, the CSAF `TreeProduct`).

Contract: the class keeps everything ``@dataclass(frozen=True, slots=True)`` gave it (a
``__setattr__`` that raises `dataclasses.FrozenInstanceError`, ``__eq__``, ``__hash__``,
``__repr__``, pickling); only ``__init__`` is replaced, by one with the same parameters, the
same defaults and default factories. Classes with ``__post_init__``, init-only, keyword-only
or ``init=False`` fields are refused (TypeError at import) rather than half-supported.

How it stores the fields. The dataclass-generated ``__init__`` calls
``object.__setattr__(self, name, value)`` per field; calling each slot descriptor's
``__set__`` is faster, but is still one call per field (22 for an `Advisory`). Faster still
is a plain attribute store, which CPython turns into a direct slot write, but the frozen
``__setattr__``/``__delattr__`` forbid it. So the class gets a private twin: a subclass that
adds no slots (the same memory layout) and keeps ``object``'s ``__setattr__`` and
``__delattr__``. ``__init__`` turns the new object into the twin, stores the fields, and turns
it back (``__class__`` assignment, allowed between same-layout classes) before it returns, also
when a store fails: no caller ever sees a twin. A subclass of the class (another layout,
perhaps) is filled through the descriptors instead.
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


def _twin(cls: type) -> type:
    """The same-layout subclass with ``object``'s attribute setting (see the module)."""
    return type(
        f"{cls.__name__}Filling",
        (cls,),
        {
            "__slots__": (),
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
            "__module__": cls.__module__,
            "__qualname__": f"{cls.__qualname__}.Filling",
        },
    )


def quick_init(cls: type[T]) -> type[T]:
    """Give the frozen slotted dataclass ``cls`` the faster ``__init__`` (see the module)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: quick_init is for frozen, slotted dataclasses")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: quick_init does not run __post_init__")
    ns: dict[str, Any] = {"_NOTHING": _NOTHING, "_cls": cls, "_twin": _twin(cls)}
    ns["_become"] = object.__setattr__
    args, values, fast, slow = [], [], [], []
    for i, f in enumerate(dataclasses.fields(cls)):  # type: ignore[arg-type]
        if not f.init or f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: quick_init needs plain init fields")
        ns[f"_set{i}"] = cls.__dict__[f.name].__set__
        arg, value = _parameter(i, f, ns)
        args.append(arg)
        values.append(f"    _v{i} = {value}")  # default factories run before any store
        fast.append(f"            self.{f.name} = _v{i}")
        slow.append(f"        _set{i}(self, _v{i})")
    # Generated from the class's own field names only (as dataclasses does), never from input.
    source = "\n".join(
        [
            f"def __init__(self, {', '.join(args)}):",
            *values,
            "    if self.__class__ is _cls:",
            "        _become(self, '__class__', _twin)",
            "        try:",
            *fast,
            "        finally:",
            "            self.__class__ = _cls",
            "    else:",
            *slow,
            "",
        ]
    )
    exec(source, ns)  # noqa: S102
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    setattr(cls, "__init__", init)  # noqa: B010 (mypy refuses assigning a method)
    return cls
