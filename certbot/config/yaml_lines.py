"""YAML with line numbers, and the one error formatter of the configuration.

Contract: `read_yaml(path, problems, label)` returns ``(data, node tree)`` of one file, or
``(None, None)`` after appending a located problem (`read_yaml_text` the same for text); YAML 1.2 integers (``0301`` stays text,
``22:00`` is not the number 1320) and duplicate keys are errors. `format_validation` turns a
pydantic `ValidationError` into lines ``file: key.path: what is wrong (how to fix) (line N)``;
`at(node, loc)` gives the `` (line N)`` suffix for problems found outside pydantic. A
`FieldProblem` raised by a model validator names the key below the model to blame.

The fast path (``fast=True``) reads with libyaml and builds no node tree; a file with any
problem is read again with the line-tracking loader, so messages are the same either way.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)


class FieldProblem(ValueError):
    """A cross-field rule broken at one key below the model being validated.

    Pydantic reports a model validator's error at the model's own location; `format_validation`
    appends ``key`` so the problem line names the key to fix (``targets[2].tlp_max``).
    """

    def __init__(self, key: str | tuple[str | int, ...], message: str):
        self.key: tuple[str | int, ...] = (key,) if isinstance(key, str) else key
        super().__init__(message)


# --- reading YAML ---------------------------------------------------------------------------

_YAML12_INT = re.compile(r"^(?:[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?(?:0|[1-9][0-9_]*))$")


class _Strict12:
    """YAML 1.2 integers (no octal ``0301``, no base-60 ``22:00``) and no duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                continue  # unhashable key: the base class reports it
            if first != key_node.start_mark.line + 1:
                raise _DuplicateKey(str(key), first, key_node.start_mark.line + 1)
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class _Loader(_Strict12, yaml.SafeLoader):
    """The pure-Python loader: its node tree locates every problem by line."""


class _FastLoader(_Strict12, yaml.CSafeLoader):
    """The same rules over libyaml's parser (~10x faster); a file with any problem is read
    again with `_Loader` so that messages and lines are exactly the same."""


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, first: int, again: int):
        self.key, self.first, self.again = key, first, again
        super().__init__(key)


for _cls in (_Loader, _FastLoader):
    _cls.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _cls.add_implicit_resolver("tag:yaml.org,2002:int", _YAML12_INT, list("-+0123456789"))


class _NotSimple(Exception):
    """The document uses something `_simple_yaml` leaves to the full loader."""


_STR = "tag:yaml.org,2002:str"


_NO_KEY = object()  # a sentinel no YAML key can be
_MERGE = "tag:yaml.org,2002:merge"


def _simple_yaml(text: str) -> Any:
    """The data of a YAML document built straight from libyaml's events, with `_FastLoader`'s
    resolver and constructors but no node tree (start-up with 400 files: the tree was most of
    the time). Mappings, sequences and untagged scalars only: an anchor, alias, tag, merge key,
    complex or duplicate key or second document raises `_NotSimple` and the caller uses
    `_FastLoader`."""
    loader = _FastLoader(text)
    try:
        return _data_of_events(loader)
    finally:
        loader.dispose()


_OPENS: dict[type, type] = {MappingStartEvent: dict, SequenceStartEvent: list}
_CLOSES = (MappingEndEvent, SequenceEndEvent)
_CONTAINERS = (dict, list)
_SKIPPED = (StreamStartEvent, DocumentEndEvent)


def _data_of_events(loader: _FastLoader) -> Any:
    """One loop over the events, dispatching on their class (three of four are scalars): per
    event it costs little beyond what libyaml's binding spends creating the event (400 files,
    1,000,000 events: 3.5 s -> 2.3 s of CPU). Quoted scalars are text whatever they hold (the
    resolver reads only plain ones); a plain scalar is resolved once per distinct text."""
    get_event: Any = loader.get_event  # its events, typed loosely by the stubs
    plain: dict[str, Any] = {}  # a plain scalar's text -> its value
    stack: list[tuple[Any, Any]] = []  # the enclosing (container, key awaiting its value)
    container: Any = None  # the open mapping or sequence (None at the top)
    key: Any = _NO_KEY  # the key awaiting its value, in a mapping
    root: list[Any] = []
    while (kind := type(ev := get_event())) is not StreamEndEvent:
        if kind is ScalarEvent:
            if ev.anchor is not None or ev.tag is not None:
                raise _NotSimple  # anchors and tags are left to the full loader
            value = ev.value
            if ev.implicit[0]:
                value = plain[value] if value in plain else _plain_scalar(loader, plain, value)
        elif kind in _CLOSES:
            value = container
            container, key = stack.pop()
        else:
            if _opened(ev, root):
                stack.append((container, key))
                container, key = _OPENS[kind](), _NO_KEY
            continue
        # Place the value (a scalar, or a container just closed) in its container.
        if type(container) is not dict:
            (root if container is None else container).append(value)
        elif key is not _NO_KEY:
            container[key] = value
            key = _NO_KEY
        elif type(value) in _CONTAINERS or value in container:
            raise _NotSimple  # a complex or duplicate key
        else:
            key = value
    return root[0] if root else None


def _opened(ev: Any, root: list[Any]) -> bool:
    """True for the start of a mapping or sequence; False for an event that builds nothing;
    `_NotSimple` for what the full loader must read (an anchor, alias, tag, second document)."""
    kind = type(ev)
    if kind in _SKIPPED or (kind is DocumentStartEvent and not root):
        return False
    if kind not in _OPENS or ev.anchor is not None or ev.tag is not None:
        raise _NotSimple
    return True


def _plain_scalar(loader: _FastLoader, plain: dict[str, Any], text: str) -> Any:
    """The value of a plain scalar (remembered in ``plain``); a merge key is not simple."""
    tag = loader.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _MERGE:
        raise _NotSimple
    value = text if tag == _STR else loader.construct_object(yaml.ScalarNode(tag, text), deep=True)
    plain[text] = value
    return value


def _path_to_line(node: yaml.Node, line: int, loc: tuple[str | int, ...] = ()) -> tuple[Any, ...]:
    """The key path of the mapping key written on ``line`` (1-based), or ()."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*loc, str(getattr(key, "value", "?")))
            if key.start_mark.line + 1 == line:
                return here
            found = _path_to_line(value, line, here)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _path_to_line(item, line, (*loc, i))
            if found:
                return found
    return ()


def _yaml_problem(label: str, exc: yaml.YAMLError, node: yaml.Node | None) -> str:
    if isinstance(exc, _DuplicateKey):
        path = _path_to_line(node, exc.again) if node is not None else ()
        return (
            f"{label}: {_loc(path) if path else exc.key}: the key appears twice "
            f"(lines {exc.first} and {exc.again}); keep one"
        )
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "an unknown place"
    what = getattr(exc, "problem", None) or "unreadable YAML"
    return (
        f"{label}: (syntax): YAML syntax error at {where}: {what}; check the indentation "
        "(spaces only) and quoting on that line and the line before"
    )


def read_yaml(
    path: Path, problems: list[str], label: str, *, fast: bool = False
) -> tuple[Any, yaml.Node | None]:
    """(data, node tree) of one YAML file; (None, None) after adding a problem.

    ``fast`` parses with libyaml and returns no node tree (a first reading that must be
    repeated without it if the file turns out to have a problem)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(f"{label}: (file): cannot read the file ({exc.strerror})")
        return None, None
    except UnicodeDecodeError:
        problems.append(f"{label}: (file): not UTF-8 text; save the file as UTF-8")
        return None, None
    return read_yaml_text(text, problems, label, fast=fast)


def read_yaml_text(
    text: str, problems: list[str], label: str, *, fast: bool = False
) -> tuple[Any, yaml.Node | None]:
    """`read_yaml` of text already read (a Markdown file's front matter, say)."""
    if fast:
        try:
            data = _simple_yaml(text)
        except _NotSimple:
            fast_loader = _FastLoader(text)
            try:
                data = fast_loader.get_single_data()
            except yaml.YAMLError:
                problems.append(f"{label}: (syntax): unreadable YAML")
                return None, None
            finally:
                fast_loader.dispose()
        except yaml.YAMLError:
            problems.append(f"{label}: (syntax): unreadable YAML")
            return None, None
        if data is None:
            problems.append(f"{label}: (top level): the file is empty")
        return data, None
    try:
        loader = _Loader(text)  # reads the first chunk: a control character fails here
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(label, exc, None))
        return None, None
    node = None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(label, exc, node))
        return None, None
    finally:
        loader.dispose()
    if data is None:
        problems.append(f"{label}: (top level): the file is empty; fill it in or delete it")
    return data, node


# --- formatting validation errors -------------------------------------------------------------

_PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9_-]*$": "use lowercase letters, digits, '-' and '_', e.g. 'nsm-varsler'",
    r"^\d{4}$": "give the four-digit kommunenummer in quotes, e.g. id: '0301'",
}


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    skip = ("after", "before", "wrap", "plain")
    return tuple(p for p in loc if not (str(p).startswith("function-") or p in skip))


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in _clean_loc(loc):
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(top level)"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _known_keys(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> list[str]:
    """The keys allowed in the mapping at ``loc`` below ``model``."""
    for part in loc:
        if model is None:
            return []
        if isinstance(part, str):
            field = model.model_fields.get(part)
            model = _model_in(field.annotation) if field else None
    return list(model.model_fields) if model else []


def _message(err: Any, model: type[BaseModel] | None) -> str:
    kind, ctx, loc = err["type"], err.get("ctx") or {}, _clean_loc(tuple(err["loc"]))
    if kind == "extra_forbidden":
        known = ctx.get("known") or _known_keys(model, loc[:-1])  # a source's own options
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        if close:
            return f"unknown key (did you mean '{close[0]}'?); remove it or fix its spelling"
        return "unknown key; remove it or fix its spelling (the README lists every key)"
    simple = {
        "missing": "required key is missing; add it",
        "string_too_short": "must not be empty",
        "bool_type": "use true or false",
        "bool_parsing": "use true or false",
        "string_type": "expected text; put the value in quotes",
        "int_type": "expected a whole number",
        "int_parsing": "expected a whole number",
        "int_from_float": "expected a whole number",
        "float_type": "expected a number",
        "float_parsing": "expected a number",
        "time_type": "use a time of day in quotes, e.g. '22:00'",
        "time_parsing": "use a time of day in quotes, e.g. '22:00'",
        "model_type": "expected a mapping (key: value lines)",
        "model_attributes_type": "expected a mapping (key: value lines)",
        "dict_type": "expected a mapping (key: value lines)",
        "tuple_type": "expected a list (one '- ' item per line)",
    }
    if kind in simple:
        return simple[kind]
    if kind == "literal_error":
        return f"{err['input']!r} is not allowed; use {ctx['expected']}"
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(ctx.get("pattern", ""), str(err["msg"]))
    if kind == "too_short":
        return "must not be empty" if isinstance(err["input"], str) else "give at least one entry"
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le")}
    bounds |= {"greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx[key]}"
    return str(err["msg"]).removeprefix("Value error, ")


def _line_of(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest YAML node on the path ``loc`` (1-based)."""
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            pairs = [(k, v) for k, v in node.value if getattr(k, "value", None) == part]
            if not pairs:
                break
            line, node = pairs[0][0].start_mark.line + 1, pairs[0][1]  # the key's own line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def format_validation(
    file: str,
    exc: ValidationError,
    node: yaml.Node | None = None,
    model: type[BaseModel] | None = None,
) -> list[str]:
    """One ``file: key.path: message (line N)`` line per pydantic error."""
    problems = []
    for err in exc.errors():
        loc = _clean_loc(tuple(err["loc"]))
        error = (err.get("ctx") or {}).get("error")
        if isinstance(error, FieldProblem):
            loc = loc + error.key
        line = _line_of(node, loc) if node is not None else None
        where = f" (line {line})" if line else ""
        problems.append(f"{file}: {_loc(loc)}: {_message(err, model)}{where}")
    return problems


def at(node: yaml.Node | None, loc: tuple[str | int, ...]) -> str:
    line = _line_of(node, loc)
    return f" (line {line})" if line else ""
