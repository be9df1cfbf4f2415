"""From components to inventory items, and a re-import merged into the current file.

Contract: `to_items(components, ignore)` drops noise (reported per ignore group), names each
component through the product catalogue (`identity.resolve`; the canonical vendor and product
when found by name, the component's own spelling otherwise), keeps a CPE or PURL that
validates, and makes one item per product and version with the device counts summed.
`merge(current, items)` keeps every hand-written item, replaces the previous import's items,
and carries the operator's flags (`internet_facing`, `criticality`, `exposure`, `note`,
`aliases`) over to the imported item with the same key; it returns the new items and a `Diff`
(added, removed, changed, unknown).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from certbot.config.inventories import FileItem
from certbot.identity import resolve
from certbot.inventory.noise import IgnoreList
from certbot.inventory.sbom import Component, InputError

OPERATOR_FLAGS = ("internet_facing", "criticality", "exposure", "note", "aliases")
UNKNOWN_VENDOR = "ukjent"


@dataclass
class Converted:
    items: list[FileItem]
    dropped: Counter[str] = field(default_factory=Counter)  # ignore group -> rows
    notes: list[str] = field(default_factory=list)  # a CPE/PURL left out, and why


@dataclass
class Diff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def key(item: FileItem) -> tuple[str, str, str]:
    return (item.vendor.casefold(), item.product.casefold(), item.version or item.versions or "")


def _names(c: Component) -> tuple[str, str]:
    r = resolve(c.vendor, c.product, c.cpe, c.purl)
    if r is not None and r.how == "name" and not (r.name.edition or r.name.update):
        return r.entry.vendor, r.entry.product
    return c.vendor or UNKNOWN_VENDOR, c.product


def _item(c: Component, label: str, notes: list[str]) -> FileItem:
    vendor, product = _names(c)
    fields: dict[str, Any] = {"vendor": vendor, "product": product, "version": c.version}
    fields.update(dict(c.flags))
    fields["imported"] = True
    for extra in ({"cpe": c.cpe, "purl": c.purl}, {"purl": c.purl}, {}):
        try:
            return FileItem.model_validate(fields | {k: v for k, v in extra.items() if v})
        except ValidationError as exc:
            problem = exc.errors()[0]
            if extra:
                continue
            where = ".".join(str(p) for p in problem["loc"])
            raise InputError(f"{label}: {c.where}: {where}: {problem['msg']}") from None
    raise AssertionError("unreachable")


def to_items(components: list[Component], ignore: IgnoreList, label: str) -> Converted:
    out = Converted([])
    by_key: dict[tuple[str, str, str], FileItem] = {}
    for c in components:
        if (group := ignore.reason(c.vendor, c.product)) is not None:
            out.dropped[group] += 1
            continue
        item = _item(c, label, out.notes)
        if (c.cpe and not item.cpe) or (c.purl and not item.purl):
            out.notes.append(
                f"{c.where}: {c.product}: CPE/PURL left out (not valid, or its version disagrees)"
            )
        k = key(item)
        if (seen := by_key.get(k)) is None:
            by_key[k] = item.model_copy(update={"devices": c.devices})
        elif c.devices is not None:
            by_key[k] = seen.model_copy(update={"devices": (seen.devices or 0) + c.devices})
    out.items = list(by_key.values())
    return out


def _known(item: FileItem) -> bool:
    return bool(item.cpe or item.purl) or resolve(item.vendor, item.product) is not None


def merge(current: tuple[FileItem, ...], items: list[FileItem]) -> tuple[list[FileItem], Diff]:
    diff = Diff()
    hand = [i for i in current if not i.imported]
    hand_keys = {key(i) for i in hand}
    before = {key(i): i for i in current if i.imported}
    new: list[FileItem] = []
    for item in items:
        k = key(item)
        if k in hand_keys:
            continue  # written by hand: the hand-written item stays as it is
        old = before.get(k)
        if old is not None:
            flags = {
                f: getattr(old, f)
                for f in OPERATOR_FLAGS
                if f in old.model_fields_set and f not in item.model_fields_set
            }
            item = item.model_copy(update=flags)
            if (old.devices, old.cpe, old.purl) != (item.devices, item.cpe, item.purl):
                diff.changed.append(f"{item.display} (devices {old.devices} -> {item.devices})")
        else:
            diff.added.append(item.display)
        if not _known(item):
            diff.unknown.append(item.display)
        new.append(item)
    new_keys = {key(i) for i in new}
    diff.removed = [i.display for k, i in before.items() if k not in new_keys]
    return hand + new, diff
