"""The official Adaptive Card 1.5 JSON schema (tests/data/adaptivecards/, see PROVENANCE.md),
and what the Teams tests check with it.

- `schema_errors(card)`: every validation error of the card against the 1.5 schema, with the
  one Teams extension allowed (``msteams``: ``{"width": "Full"}``); [] when valid.
- `needed_version(card)`: the highest schema ``version`` annotation of any element type or
  property the card uses (what a client must support to render it).
- `elements(card)`: every typed object in the card (body, containers, inlines, actions).
- `markdown_free(text)`: True when Teams' TextBlock Markdown subset would change nothing in
  ``text`` (so certbot's own words may go in a TextBlock unescaped).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).parent / "data" / "adaptivecards" / "adaptive-card-1.5.json"
MSTEAMS = {
    "type": "object",
    "properties": {"width": {"enum": ["Full"]}},
    "additionalProperties": False,
}
# What Teams' TextBlock Markdown acts on: emphasis, code, links, a backslash escape, and list
# or heading markers at the start of a line.
_MARKDOWN = re.compile(r"[*_`\\~]|\[[^\]]*\]\(|^\s*([-+#>]|\d+\.)\s", re.MULTILINE)


@functools.cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["definitions"]["AdaptiveCard"]["properties"]["msteams"] = MSTEAMS
    return data


@functools.cache
def validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema(), format_checker=cls.FORMAT_CHECKER)


def schema_errors(card: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator().iter_errors(card)
    ]


def elements(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            yield node
        for value in node.values():
            yield from elements(value)
    elif isinstance(node, list):
        for value in node:
            yield from elements(value)


def _version(text: str | None) -> tuple[int, ...]:
    return tuple(int(x) for x in (text or "1.0").split("."))


def _definition(type_name: str) -> dict[str, Any]:
    d: dict[str, Any] = schema()["definitions"][type_name]
    for branch in d.get("anyOf", []):  # TextRun: a string or an object
        if branch.get("type") == "object":
            return {**d, **branch}
    return d


def _properties(d: dict[str, Any]) -> dict[str, Any]:
    """A definition's properties with those it inherits (``allOf`` references) filled in."""
    props: dict[str, Any] = {}
    for branch in d.get("allOf", []):
        ref = branch.get("$ref", "")
        if ref.startswith("#/definitions/"):
            props.update(_properties(_definition(ref.rsplit("/", 1)[1])))
    props.update({k: v for k, v in d.get("properties", {}).items() if v})
    return props


def needed_version(card: dict[str, Any]) -> tuple[int, ...]:
    """The highest ``version`` the 1.5 schema gives any element or property in ``card``."""
    need = (1, 0)
    for el in elements(card):
        d = _definition(el["type"])
        need = max(need, _version(d.get("version")))
        props = _properties(d)
        for key in el:
            need = max(need, _version(props.get(key, {}).get("version")))
    return need


def markdown_free(text: str) -> bool:
    return _MARKDOWN.search(text) is None
