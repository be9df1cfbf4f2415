"""``inventory import``: one file in, ``inventories/<kommunenummer>.yaml`` out.

Contract: `run_import(config, request)` reads the file (CycloneDX, SPDX or CSV, sniffed when
``request.fmt`` is None), converts and merges it (`certbot.inventory.merge`), and unless
``request.dry_run`` writes the inventory atomically and makes the subscriber file reference
it. It returns an `ImportReport`; any bad input raises `InputError` before anything is
written. A running ``run`` reads the new file on SIGHUP or on its next configuration check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from certbot.config import Config
from certbot.config.inventories import ImportRecord
from certbot.inventory.filing import (
    _dump_item,
    current_items,
    ensure_reference,
    inventory_path,
    render,
    write_atomic,
)
from certbot.inventory.merge import Diff, merge, to_items
from certbot.inventory.noise import IgnoreList
from certbot.inventory.sbom import (
    Component,
    InputError,
    check_size,
    read_cyclonedx,
    read_spdx,
    sniff_format,
)
from certbot.inventory.table import Mapping, read_csv


@dataclass(frozen=True)
class ImportRequest:
    kommunenummer: str
    file: Path
    fmt: str | None = None  # cyclonedx | spdx | csv; None: from the content
    preset: str = "generic"
    columns: str | None = None  # "vendor=Publisher,product=Name"
    mapping_file: Path | None = None
    dry_run: bool = False


@dataclass
class ImportReport:
    path: Path
    label: str
    fmt: str
    components: int
    items: int
    diff: Diff
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    written: bool = False
    reference_added: Path | None = None


def read_components(request: ImportRequest) -> tuple[str, list[Component]]:
    path = request.file
    if not path.is_file():
        raise InputError(f"{path}: (file): not found")
    check_size(path)
    fmt = request.fmt
    if fmt in (None, "cyclonedx", "spdx"):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if fmt is not None:
                raise InputError(f"{path}: byte {exc.start}: an SBOM must be UTF-8") from None
            text = ""
        fmt = fmt or (sniff_format(path, text) if text else "csv")
        if fmt == "cyclonedx":
            return fmt, read_cyclonedx(path, text)
        if fmt == "spdx":
            return fmt, read_spdx(path, text)
    mapping = Mapping.preset(request.preset)
    if request.mapping_file is not None:
        mapping = Mapping.from_file(request.mapping_file, mapping)
    if request.columns:
        mapping = mapping.with_columns(request.columns)
    return "csv", read_csv(path, mapping)


def run_import(config: Config, request: ImportRequest) -> ImportReport:
    try:
        sub = config.subscriber(request.kommunenummer)
    except KeyError:
        raise InputError(
            f"{request.kommunenummer}: no municipality with this kommunenummer in "
            f"{config.service.subscribers_dir}/; create {config.service.subscribers_dir}/"
            f"{request.kommunenummer}-<name>.yaml first"
        ) from None
    fmt, components = read_components(request)
    path, label = inventory_path(config, sub)
    converted = to_items(components, IgnoreList.load(config.root), str(request.file))
    current = current_items(path, label)
    items, diff = merge(current, converted.items)
    same = [_dump_item(i) for i in items] == [_dump_item(i) for i in current]
    record = ImportRecord(
        source=request.file.name,
        format=fmt,
        at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        dropped=sum(converted.dropped.values()),
    )
    text = render(sub.id, items, record)  # validated whole before anything is written
    report = ImportReport(
        path,
        label,
        fmt,
        len(components),
        len(items),
        diff,
        dict(converted.dropped),
        converted.notes,
    )
    if request.dry_run or (same and sub.inventory_file is not None):
        return report
    write_atomic(path, text)
    report.written = True
    report.reference_added = ensure_reference(config, sub, label)
    return report
