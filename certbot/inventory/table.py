"""Reading spreadsheets: CSV exports of Intune discovered apps, SCCM/ConfigMgr and CMDBs.

Contract: `read_csv(path, mapping)` returns the rows as `Component`s, or raises `InputError`
naming the file, the line and the problem. The encoding is read from the byte order mark
(UTF-8, UTF-16 LE/BE, as Excel's "Unicode text" writes), else UTF-8, else cp1252 (Excel's
"CSV" on Norwegian Windows); the delimiter is sniffed among ``, ; TAB |``. Columns are found by
a `Mapping` (a preset, ``--columns field=Header,...`` or a mapping file); duplicate header
names, an empty file and a missing product column are errors. Cells are text only: nothing is
evaluated, and `csv_safe` neutralises a cell starting with = + - @ before certbot writes CSV.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from certbot.inventory.sbom import Component, InputError, check_size

FIELDS = (
    "vendor",
    "product",
    "version",
    "devices",
    "cpe",
    "purl",
    "internet_facing",
    "criticality",
    "note",
)
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    # Intune admin center, Apps > Monitor > Discovered apps > Export (and the Graph
    # AppInvAggregate report's column names).
    "intune": {
        "product": ("Application Name", "ApplicationName"),
        "vendor": ("Publisher", "ApplicationPublisher"),
        "version": ("Version", "ApplicationVersion"),
        "devices": ("Device Count", "DeviceCount"),
    },
    # ConfigMgr "Software 02A - Product names" / Add Remove Programs queries.
    "sccm": {
        "product": ("DisplayName0", "Product Name", "ProductName", "DisplayName"),
        "vendor": ("Publisher0", "Publisher", "Manufacturer"),
        "version": ("Version0", "Product Version", "ProductVersion", "Version"),
        "devices": ("Count", "Installations", "Number of installations"),
    },
    # A CMDB or asset register, and certbot's own template (bokmål headers).
    "generic": {
        "vendor": ("Leverandør", "Produsent", "Vendor", "Publisher", "Manufacturer"),
        "product": ("Produkt", "Programvare", "Navn", "Product", "Name", "Application"),
        "version": ("Versjon", "Version"),
        "devices": ("Antall enheter", "Antall", "Devices", "Device Count", "Count"),
        "cpe": ("CPE",),
        "purl": ("PURL", "Package URL"),
        "internet_facing": ("Internett-eksponert", "Internet facing"),
        "criticality": ("Kritikalitet", "Criticality"),
        "note": ("Merknad", "Note", "Kommentar"),
    },
}
_CRITICALITY = {"lav": "low", "middels": "medium", "høy": "high", "kritisk": "critical"}
_YES = {"ja", "yes", "true", "1", "x"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Mapping:
    """field -> accepted header names (case-insensitive), first found wins."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    name: str = "generic"

    @classmethod
    def preset(cls, name: str) -> Mapping:
        return cls(dict(PRESETS[name]), name)

    def with_columns(self, spec: str) -> Mapping:
        """``vendor=Publisher,product=Name`` overrides the preset's columns."""
        cols = dict(self.columns)
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, header = part.partition("=")
            if not sep or key.strip() not in FIELDS:
                raise InputError(
                    f"--columns: {part!r}: write field=Header, fields: {', '.join(FIELDS)}"
                )
            cols[key.strip()] = (header.strip(),)
        return Mapping(cols, self.name)

    @classmethod
    def from_file(cls, path: Path, base: Mapping) -> Mapping:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or not set(raw) <= set(FIELDS):
            raise InputError(
                f"{path}: (top level): expected field: Header lines, fields: {', '.join(FIELDS)}"
            )
        spec = ",".join(f"{k}={v}" for k, v in raw.items())
        return base.with_columns(spec)


def decode(path: Path, data: bytes) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{path}: byte {exc.start}: not valid {codec} after its byte order mark"
                ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet will not evaluate as a formula (OWASP: prefix with ')."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _dialect(path: Path, text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        first = sample.splitlines()[0] if sample.strip() else ""
        if not any(d in first for d in ",;\t|"):
            return csv.excel  # one column
        raise InputError(f"{path}: line 1: cannot tell the delimiter (tried , ; TAB |)") from None


def _header_index(path: Path, header: list[str], mapping: Mapping) -> dict[str, int]:
    names = [h.strip().lstrip("\ufeff") for h in header]
    folded = [n.casefold() for n in names]
    dupes = sorted({n for n in names if n and folded.count(n.casefold()) > 1})
    if dupes:
        raise InputError(
            f"{path}: line 1: duplicate column(s) {', '.join(dupes)}; give each column one name"
        )
    index: dict[str, int] = {}
    for fld, accepted in mapping.columns.items():
        for a in accepted:
            if a.casefold() in folded:
                index[fld] = folded.index(a.casefold())
                break
    if "product" not in index:
        wanted = " or ".join(repr(a) for a in mapping.columns.get("product", ()))
        raise InputError(
            f"{path}: line 1: no product column ({wanted}) among {', '.join(map(repr, names))}; "
            "use --preset, or --columns product=<your header>"
        )
    return index


def _devices(path: Path, line: int, cell: str) -> int | None:
    digits = cell.replace(" ", "").replace("\u00a0", "")
    if not digits:
        return None
    if not digits.isdigit():
        raise InputError(f"{path}: line {line}: device count {cell!r} is not a whole number")
    return int(digits)


def _row(path: Path, line: int, cells: list[str], index: dict[str, int]) -> Component | None:
    def get(fld: str) -> str:
        i = index.get(fld)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    product = get("product")
    if not product:
        return None
    version = get("version")
    return Component(
        vendor=get("vendor"),
        product=product,
        version=version if version not in ("", "-") else None,
        cpe=get("cpe") or None,
        purl=get("purl") or None,
        devices=_devices(path, line, get("devices")),
        where=f"line {line}",
        flags=_flags(path, line, get),
    )


def _flags(path: Path, line: int, get: Callable[[str], str]) -> tuple[tuple[str, object], ...]:
    out: list[tuple[str, object]] = []
    if face := get("internet_facing"):
        out.append(("internet_facing", face.casefold() in _YES))
    if crit := get("criticality").casefold():
        value = _CRITICALITY.get(crit, crit)
        if value not in _CRITICALITY.values():
            raise InputError(
                f"{path}: line {line}: criticality {crit!r}: write lav, middels, høy or kritisk"
            )
        out.append(("criticality", value))
    if note := get("note"):
        out.append(("note", note))
    return tuple(out)


def read_csv(path: Path, mapping: Mapping) -> list[Component]:
    check_size(path)
    text = decode(path, path.read_bytes())
    if not text.strip():
        raise InputError(f"{path}: (file): the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(path, text))
    try:
        header = next(reader)
        index = _header_index(path, header, mapping)
        out = []
        for cells in reader:
            if (c := _row(path, reader.line_num, cells, index)) is not None:
                out.append(c)
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: {exc}") from None
    return out
