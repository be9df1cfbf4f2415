"""`check-config` warnings for inventory items the product catalogue does not know.

An item is known when it has a CPE or a PURL, or when its vendor/product or one of its aliases
resolves in the catalogue. Any other item can only match an advisory that spells it exactly
the same way, so `check-config` warns about it with rapidfuzz "did you mean" suggestions. This
is the only place fuzzy matching is used; matching itself never is.

Warnings use the configuration's format, ``file: key.path: message (line N)``; the line is
found by composing the subscriber file again (check-config only, not at start-up).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from certbot.identity import resolve, suggest
from certbot.identity.names import norm

if TYPE_CHECKING:
    from certbot.config import Config, InventoryItem


def _known(item: InventoryItem) -> bool:
    if item.cpe or item.purl:
        return True
    if resolve(item.vendor, item.product) is not None:
        return True
    return any(resolve(item.vendor, a) is not None for a in item.aliases)


def _repeats_vendor(item: InventoryItem) -> bool:
    return norm(item.product).startswith(norm(item.vendor))


def _item_lines(path: Path) -> dict[int, int]:
    """inventory index -> 1-based line of that list item; {} when unreadable."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    for key, value in node.value:
        if key.value == "inventory" and isinstance(value, yaml.SequenceNode):
            return {i: n.start_mark.line + 1 for i, n in enumerate(value.value)}
    return {}


def unknown_items(config: Config) -> list[str]:
    """One warning per inventory item no catalogue entry, CPE or PURL knows."""
    out: list[str] = []
    for sub in config.subscribers:
        label = config.file_of(sub.id)
        lines: dict[int, int] | None = None
        for i, item in enumerate(sub.inventory):
            if _known(item):
                continue
            if lines is None:
                lines = _item_lines(config.root / config.service.subscribers_dir / Path(label).name)
            hints = suggest(item.vendor, item.product)
            hint = (
                "; did you mean " + ", ".join(f"'{h}'" for h in hints) + "?"
                if hints
                else "; add a cpe: or purl:, or an alias with the advisories' spelling"
            )
            where = f" (line {lines[i]})" if i in lines else ""
            shown = item.product if _repeats_vendor(item) else f"{item.vendor} {item.product}"
            out.append(
                f"{label}: inventory[{i}]: '{shown}' is not in the product "
                f"catalogue and has no cpe or purl, so only advisories that spell it exactly "
                f"this way can match it{hint}{where}"
            )
    return out
