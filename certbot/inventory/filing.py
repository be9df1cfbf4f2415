"""The inventory file on disk: reading the current one, writing the new one atomically, and
the reference from the subscriber file.

Contract: `inventory_path(config, sub)` is where a municipality's inventory lives (its
``inventory_file``, else ``inventories/<kommunenummer>.yaml`` under the config dir).
`write_inventory` validates the whole file before it writes, then writes a temporary file in
the same directory, fsyncs it, renames it over the old one and fsyncs the directory: a reader
sees the old file or the new one, never a part. `ensure_reference` adds
``inventory_file: ...`` to the subscriber file (atomically, as text: comments stay) when it
does not name the inventory yet.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from certbot.config import Config, SubscriberConfig
from certbot.config.inventories import FileItem, ImportRecord, InventoryFile, load_inventory_file
from certbot.inventory.sbom import InputError

HEADER = (
    "# The software list of {kommunenummer}, written by 'kommune-certbot inventory import'.\n"
    "# Items with 'imported: true' are replaced by the next import; edit their flags\n"
    "# (internet_facing, criticality, exposure, note, aliases) freely: those survive. Items\n"
    "# without 'imported' are yours and are never touched by an import.\n"
)


def inventory_path(config: Config, sub: SubscriberConfig) -> tuple[Path, str]:
    label = sub.inventory_file or f"inventories/{sub.id}.yaml"
    return config.root / label, label


def current_items(path: Path, label: str) -> tuple[FileItem, ...]:
    if not path.exists():
        return ()
    problems: list[str] = []
    inv = load_inventory_file(path, label, problems)
    if inv is None:
        raise InputError("; ".join(problems) + " (fix the inventory file before importing again)")
    return inv.items


def _dump_item(item: FileItem) -> dict[str, Any]:
    out = item.model_dump(exclude_defaults=True, mode="json")
    if "aliases" in out:
        out["aliases"] = list(out["aliases"])
    return out


def render(kommunenummer: str, items: list[FileItem], record: ImportRecord) -> str:
    """The file's text: one item per line as a YAML flow mapping (JSON syntax, which is YAML),
    so a diff shows one line per changed item and 10,000 items write in well under a second."""
    inv = InventoryFile(kommunenummer=kommunenummer, imported=record, items=tuple(items))
    lines = [
        HEADER.format(kommunenummer=kommunenummer),
        f"kommunenummer: {json.dumps(inv.kommunenummer)}\n",
        f"imported: {json.dumps(record.model_dump(), ensure_ascii=False)}\n",
        "items:\n" if inv.items else "items: []\n",
    ]
    lines += [f"  - {json.dumps(_dump_item(i), ensure_ascii=False)}\n" for i in inv.items]
    return _NOT_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", "".join(lines))


# Characters YAML refuses even in a quoted string (JSON leaves them unescaped): escape them.
_NOT_YAML = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def ensure_reference(config: Config, sub: SubscriberConfig, label: str) -> Path | None:
    """Add ``inventory_file: <label>`` to the subscriber file; the file changed, or None."""
    if sub.inventory_file is not None:
        return None
    path = config.root / config.service.subscribers_dir / Path(config.file_of(sub.id)).name
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    text += f'inventory_file: "{label}"   # the imported software list (inventory import)\n'
    write_atomic(path, text)
    return path
