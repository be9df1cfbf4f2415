"""The ignore list: rows an import drops as noise (runtime libraries, drivers, language packs,
update helpers such as the dozens of "Microsoft Visual C++ Redistributable" rows Intune lists).

Contract: `IgnoreList.load(config_root)` reads ``<config-dir>/inventories/ignore.yaml`` when it
exists, else the shipped ``certbot/inventory/ignore.yaml`` (a mapping of group name -> list of
case-insensitive regular expressions); `reason(vendor, product)` is the group that drops a row,
or None. A broken pattern is an `InputError` naming the file and the pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from certbot.inventory.sbom import InputError


@dataclass(frozen=True)
class IgnoreList:
    groups: tuple[tuple[str, re.Pattern[str]], ...]
    source: str

    @classmethod
    def load(cls, config_root: Path | None = None) -> IgnoreList:
        own = config_root / "inventories" / "ignore.yaml" if config_root else None
        if own is not None and own.is_file():
            text, source = own.read_text(encoding="utf-8"), str(own)
        else:
            text = resources.files("certbot.inventory").joinpath("ignore.yaml").read_text("utf-8")
            source = "certbot/inventory/ignore.yaml"
        raw = yaml.safe_load(text) or {}
        if not isinstance(raw, dict):
            raise InputError(f"{source}: (top level): expected group name: [patterns]")
        groups = []
        for group, patterns in raw.items():
            for pattern in patterns or ():
                try:
                    groups.append((str(group), re.compile(str(pattern), re.IGNORECASE)))
                except re.error as exc:
                    raise InputError(
                        f"{source}: {group}: bad pattern {pattern!r} ({exc})"
                    ) from None
        return cls(tuple(groups), source)

    def reason(self, vendor: str, product: str) -> str | None:
        text = f"{vendor} {product}"
        for group, pattern in self.groups:
            if pattern.search(text):
                return group
        return None
