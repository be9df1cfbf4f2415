"""Per-language words for the templates that keep one markup for every language.

Contract:

- The web pages (``templates/web/*.html``) and the leadership report
  (``templates/report/*``) exist once. Their words live in string tables,
  ``templates/<area>/<lang>.toml``, one per language with the same keys in each
  (tests/test_words.py fails on a key or a page that one language lacks).
- `words(root, area, lang)` is the table for the templates, passed to them as ``t``:
  ``t("page.key", name=value)`` is one entry with its placeholders filled,
  ``t.table("page.key")`` a whole sub-table (for a lookup by a code, ``statuses[code]``), and
  ``t.of("en")`` the same area in another language (a page that quotes the other language).
- An entry is trusted text from this repository and may carry markup (``<b>``). In an
  autoescaping environment the result is `Markup` and every value put into it is escaped,
  exactly as ``{{ value }}`` would be; in a plain-text environment nothing is escaped.
- Placeholders: ``{name}`` puts a value in; ``{name|one|other}`` takes ``one`` when the value
  is 1 and ``other`` otherwise (both may hold placeholders of their own).
- A key that is missing raises KeyError, as StrictUndefined fails a missing field: a golden or
  page test fails rather than a page showing a blank.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape


@functools.lru_cache(maxsize=32)
def load(path: Path) -> dict[str, Any]:
    """One language's table, read once per process (templates are not reloaded either)."""
    with path.open("rb") as f:
        return tomllib.load(f)


def words(root: Path, area: str, lang: str) -> Words:
    """The table ``<root>/<area>/<lang>.toml`` for the templates of ``area``."""
    return Words(root, area, lang)


class Words:
    """One area's words in one language, callable from a template as ``t("page.key")``."""

    def __init__(self, root: Path, area: str, lang: str):
        self.root, self.area, self.lang = root, area, lang
        self.entries = load(root / area / f"{lang}.toml")

    def of(self, lang: str) -> Words:
        """The same area in another language."""
        return Words(self.root, self.area, lang)

    def entry(self, key: str) -> Any:
        """The raw entry (a string or a sub-table) at the dotted ``key``."""
        node: Any = self.entries
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"{self.area}/{self.lang}.toml has no {key!r}")
            node = node[part]
        return node

    @jinja2.pass_eval_context
    def __call__(self, ctx: EvalContext, key: str, **values: Any) -> str:
        text = self.entry(key)
        if not isinstance(text, str):
            raise KeyError(f"{self.area}/{self.lang}.toml: {key!r} is a table, not a text")
        return _finish(ctx, fill(text, values, _put(ctx)))

    @jinja2.pass_eval_context
    def table(self, ctx: EvalContext, key: str) -> dict[str, Any]:
        """A sub-table's texts as they are (no placeholders), by their keys."""
        return _texts(ctx, self.entry(key))


def _put(ctx: EvalContext) -> Callable[[Any], str]:
    return (lambda v: str(escape(v))) if ctx.autoescape else str


def _finish(ctx: EvalContext, text: str) -> str:
    return Markup(text) if ctx.autoescape else text  # noqa: S704 - our own table, values escaped


def _texts(ctx: EvalContext, node: Any) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise KeyError("a table was asked for, not a text")
    return {k: _texts(ctx, v) if isinstance(v, dict) else _finish(ctx, v) for k, v in node.items()}


def fill(text: str, values: Mapping[str, Any], put: Callable[[Any], str] = str) -> str:
    """``text`` with its ``{name}`` and ``{name|one|other}`` placeholders filled."""
    out: list[str] = []
    i = 0
    while i < len(text):
        start = text.find("{", i)
        if start < 0:
            out.append(text[i:])
            break
        out.append(text[i:start])
        end = _closing(text, start)
        name, *forms = _split(text[start + 1 : end])
        if not forms:
            out.append(put(values[name]))
        elif len(forms) == 2:
            out.append(fill(forms[0] if values[name] == 1 else forms[1], values, put))
        else:
            raise ValueError(f"{{{name}|…}} takes two forms, one and other: {text!r}")
        i = end + 1
    return "".join(out)


def _closing(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i
    raise ValueError(f"unclosed {{ in {text!r}")


def _split(inner: str) -> list[str]:
    parts, depth, last = [], 0, 0
    for i, c in enumerate(inner):
        depth += {"{": 1, "}": -1}.get(c, 0)
        if c == "|" and depth == 0:
            parts.append(inner[last:i])
            last = i + 1
    parts.append(inner[last:])
    return parts
