"""Reading a draft file into a `Draft`, with check-config quality errors.

Contract: `load_draft(path)` reads YAML (``.yaml``/``.yml``), or Markdown with YAML front
matter (the text between a first line ``---`` and the next ``---`` line; the Markdown body
after it becomes ``details``), with the project's one YAML reader
(`certbot.config.yaml_lines`), and returns the validated `Draft`. Every problem is collected
and raised together as `DraftError` (a `ConfigError`), one line each:
``file: key.path: what is wrong (how to fix) (line N)``. Besides the model's own rules it
checks what certbot must be able to read later: every ``versions`` range with the code that
reads ``vers:`` and the prose forms (`range_of`), every ``fixed`` version, and the id form.
`range_of(product)` is the ``vers:`` range certbot matches with (None: every version).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from certbot import prose, versions
from certbot.config.yaml_lines import at, format_validation, read_yaml_text
from certbot.errors import ConfigError
from certbot.publish.draft import Draft, Product

ID_FORM = re.compile(r"^[A-Z][A-Z0-9]{1,15}-\d{4}-\d{4,}$")
RANGE_HELP = (
    "write a vers: range such as 'vers:generic/>=7.2.0|<7.2.7', or a form certbot reads "
    "such as '7.2.0 til 7.2.6', 'før 7.2.7' or '>= 7.0 < 7.2.9'; leave it out for every version"
)


class DraftError(ConfigError):
    """A draft that cannot be published; ``problems`` has one located line per problem."""


def range_of(p: Product) -> str | None:
    """The ``vers:`` range of ``p.versions`` (a vers: string, a prose form or a loose range);
    None for every version. Raises ValueError when certbot cannot read it."""
    text = (p.versions or "").strip()
    if not text:
        return None
    if text.startswith("vers:"):
        if versions.parse_range(text) is None:
            raise ValueError(f"{text!r} is not a vers: range certbot can read")
        return text
    reading = prose.read(f"{p.product} {text}.", p.product)
    if reading is not None and reading.affected is not None and not reading.negated:
        return reading.affected
    parsed = versions.parse_range(text)
    if parsed is None:
        raise ValueError(f"{text!r} is not a version range certbot can read")
    return str(parsed)


def _split_front_matter(text: str, label: str) -> tuple[str, str | None]:
    """(YAML text with the file's line numbers, Markdown body or None)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise DraftError(
            [
                f"{label}: (file): a Markdown draft starts with a line '---', then the YAML "
                "keys, then '---', then the text; add the front matter (line 1)"
            ]
        )
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            front = "\n" + "".join(lines[1:n])  # line 1 blank: line numbers stay the file's
            return front, "".join(lines[n + 1 :]).strip()
    raise DraftError(
        [f"{label}: (file): the front matter has no closing '---' line; add one after the keys"]
    )


def _normalise(raw: dict[str, Any]) -> None:
    """Spellings an operator may reasonably write: ``TLP:amber`` for ``AMBER``."""
    tlp = raw.get("tlp")
    if isinstance(tlp, str):
        raw["tlp"] = tlp.strip().upper().removeprefix("TLP:").replace("_", "+")


def check_draft(draft: Draft, node: yaml.Node | None, label: str) -> list[str]:
    """What the model cannot check alone: the id form, ranges and fixed versions."""
    problems = []
    if draft.id is not None and not ID_FORM.match(draft.id):
        problems.append(
            f"{label}: id: {draft.id!r} is not an advisory id; use the form KCERT-2026-0001, "
            f"or leave id out and one is assigned at first publish{at(node, ('id',))}"
        )
    for i, p in enumerate(draft.products):
        try:
            range_of(p)
        except ValueError as exc:
            where = at(node, ("products", i, "versions"))
            problems.append(f"{label}: products[{i}].versions: {exc}; {RANGE_HELP}{where}")
        for j, fixed in enumerate(p.fixed):
            if versions.canonical_version(fixed) is None:
                where = at(node, ("products", i, "fixed", j))
                problems.append(
                    f"{label}: products[{i}].fixed[{j}]: {fixed!r} is not a version; give the "
                    f"first fixed version, e.g. '7.2.7'{where}"
                )
    return problems


def parse_draft(text: str, label: str, *, markdown: bool = False) -> Draft:
    """The draft in ``text`` (``label`` names it in problems); `DraftError` when it is bad."""
    body = None
    if markdown:
        text, body = _split_front_matter(text, label)
    problems: list[str] = []
    raw, node = read_yaml_text(text, problems, label)
    if problems:
        raise DraftError(problems)
    if not isinstance(raw, dict):
        raise DraftError([f"{label}: (top level): expected a mapping (key: value lines)"])
    _normalise(raw)
    if body:
        if raw.get("details"):
            raise DraftError(
                [
                    f"{label}: details: given both as a key and as the Markdown text after the "
                    f"front matter; keep one{at(node, ('details',))}"
                ]
            )
        raw["details"] = body
    try:
        draft = Draft.model_validate(raw)
    except ValidationError as exc:
        raise DraftError(format_validation(label, exc, node, Draft)) from None
    if problems := check_draft(draft, node, label):
        raise DraftError(problems)
    return draft


def load_draft(path: Path) -> Draft:
    """Read and validate one draft file (see the module doc)."""
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DraftError([f"{label}: (file): cannot read the file ({exc.strerror})"]) from None
    except UnicodeDecodeError:
        raise DraftError([f"{label}: (file): not UTF-8 text; save the file as UTF-8"]) from None
    markdown = path.suffix.lower() in (".md", ".markdown")
    return parse_draft(text, label, markdown=markdown)
