"""inventories/<kommunenummer>.yaml: a municipality's software list kept apart from its
subscriber file, written by ``inventory import`` and editable by hand.

Contract: the file has ``kommunenummer``, an optional ``imported`` record (source file, format,
time) and ``items``. An item is an `InventoryItem` plus ``devices`` (how many devices run that
version) and ``imported`` (true for items the last import brought; a re-import replaces those
and keeps every other item). `load_inventory_file` reads and validates one file, appending
located problems (``inventories/0301.yaml: items[3].version: ... (line N)``) to ``problems``;
`inventory_items` turns its items into the plain `InventoryItem`s the matcher reads.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError

from certbot.config.common import Strict
from certbot.config.subscribers import InventoryItem
from certbot.config.yaml_lines import format_validation, read_yaml


class FileItem(InventoryItem):
    """One item of an inventory file."""

    devices: int | None = Field(default=None, ge=0)
    imported: bool = False  # brought by the last import (replaced by the next one)


class ImportRecord(Strict):
    source: str = ""
    format: str = ""
    at: str = ""
    dropped: int = 0


class InventoryFile(Strict):
    kommunenummer: str = Field(pattern=r"^\d{4}$")
    imported: ImportRecord | None = None
    items: tuple[FileItem, ...] = ()


_PLAIN = tuple(InventoryItem.model_fields)


def inventory_items(inv: InventoryFile) -> tuple[InventoryItem, ...]:
    """The file's items as plain inventory items (without devices and the import flag)."""
    return tuple(
        InventoryItem.model_construct(**{k: getattr(i, k) for k in _PLAIN}) for i in inv.items
    )


def load_inventory_file(path: Path, label: str, problems: list[str]) -> InventoryFile | None:
    """Read and validate one inventory file; None (and located problems) when it is broken."""
    if not path.is_file():
        problems.append(
            f"{label}: (file): not found; run 'inventory import' or remove the reference"
        )
        return None
    raw, _ = read_yaml(path, [], label, fast=True)
    if raw is None:
        read_yaml(path, problems, label, fast=False)  # again, for the located message
        return None
    if isinstance(raw, dict) and isinstance(raw.get("kommunenummer"), int):
        raw["kommunenummer"] = f"{raw['kommunenummer']:04d}"
    try:
        return InventoryFile.model_validate(raw)
    except ValidationError as exc:
        _, node = read_yaml(path, [], label, fast=False)
        problems.extend(format_validation(label, exc, node, InventoryFile))
        return None
