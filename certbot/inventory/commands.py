"""The ``inventory`` subcommand: ``import``, ``check`` and ``template``.

Contract: `add_parsers(sub)` adds ``inventory`` to the command line's subparsers and
`COMMANDS` maps it to its handler ``(args, config, db) -> exit code``. Bad input prints one
line naming file, place and problem to stderr and exits 2, with nothing written.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from certbot.config import Config
from certbot.inventory.check import coverage, format_coverage
from certbot.inventory.importing import ImportReport, ImportRequest, run_import
from certbot.inventory.sbom import InputError
from certbot.inventory.table import PRESETS, csv_safe
from certbot.store import Store

TEMPLATE_HEADER = (
    "Leverandør",
    "Produkt",
    "Versjon",
    "Antall enheter",
    "Internett-eksponert",
    "Kritikalitet",
    "Merknad",
)
TEMPLATE_ROWS = (
    ("Fortinet", "FortiOS", "7.2.4", "2", "ja", "kritisk", "Brannmur i rådhuset"),
    ("Microsoft", "Exchange Server 2019", "CU14", "1", "nei", "høy", "E-post"),
    ("Veeam", "Backup & Replication", "12.1.2.172", "1", "nei", "høy", "Sikkerhetskopi"),
)


def add_parsers(sub: Any) -> None:
    inv = sub.add_parser(
        "inventory", help="import software lists (SBOM, Intune, CSV), check coverage"
    )
    isub = inv.add_subparsers(dest="inventory_command", required=True, metavar="ACTION")
    imp = isub.add_parser(
        "import", help="import an SBOM or CSV into inventories/<kommunenummer>.yaml"
    )
    imp.add_argument("kommunenummer")
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--format", choices=["cyclonedx", "spdx", "csv"], help="default: from the content"
    )
    imp.add_argument(
        "--preset", choices=sorted(PRESETS), default="generic", help="CSV column names"
    )
    imp.add_argument(
        "--columns", help="CSV columns, e.g. vendor=Publisher,product=Name,devices=Count"
    )
    imp.add_argument("--mapping", type=Path, help="a YAML file of field: Header lines")
    imp.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    chk = isub.add_parser("check", help="coverage: which items certbot can and cannot match")
    chk.add_argument("kommunenummer")
    chk.add_argument("--json", action="store_true")
    chk.add_argument("--recent", type=int, default=200, help="cases to try the items against")
    tpl = isub.add_parser("template", help="write a CSV template with bokmål headers")
    tpl.add_argument("dest", nargs="?", type=Path, default=Path("programvareliste.csv"))


def _print_report(r: ImportReport, dry_run: bool) -> None:
    verb = "would write" if dry_run else ("wrote" if r.written else "unchanged:")
    print(f"{verb} {r.label}: {r.items} items from {r.components} {r.fmt} components")
    for title, rows in (
        ("added", r.diff.added),
        ("removed", r.diff.removed),
        ("changed", r.diff.changed),
        ("unknown", r.diff.unknown),
    ):
        print(f"{title}: {len(rows)}")
        for row in rows[:50]:
            print(f"  {row}")
        if len(rows) > 50:
            print(f"  ... and {len(rows) - 50} more")
    if r.dropped:
        print(
            "dropped as noise (see certbot/inventory/ignore.yaml): "
            + ", ".join(f"{k} {v}" for k, v in sorted(r.dropped.items()))
        )
    for note in r.notes[:20]:
        print(f"note: {note}")
    if r.reference_added:
        print(f"added inventory_file: {r.label} to {r.reference_added}")
    if r.written:
        print("a running 'run' picks this up on SIGHUP or on its next configuration check")


def _import(args: argparse.Namespace, config: Config) -> int:
    req = ImportRequest(
        args.kommunenummer,
        args.file,
        args.format,
        args.preset,
        args.columns,
        args.mapping,
        args.dry_run,
    )
    report = run_import(config, req)
    _print_report(report, args.dry_run)
    return 0


def _check(args: argparse.Namespace, config: Config, db: str) -> int:
    try:
        sub = config.subscriber(args.kommunenummer)
    except KeyError:
        raise InputError(
            f"{args.kommunenummer}: no municipality with this kommunenummer in subscribers/"
        ) from None
    store = Store(db) if Path(db).exists() else None
    c = coverage(sub, store, args.recent)
    print(
        json.dumps(c.as_json(), indent=2, ensure_ascii=False) if args.json else format_coverage(c)
    )
    return 0


def write_template(dest: Path) -> None:
    with dest.open("w", encoding="utf-8-sig", newline="") as f:  # Excel reads UTF-8 with a BOM
        w = csv.writer(f, delimiter=";")  # Norwegian Excel's list separator
        w.writerow(TEMPLATE_HEADER)
        for row in TEMPLATE_ROWS:
            w.writerow([csv_safe(c) for c in row])


def _inventory(args: argparse.Namespace, config: Config, db: str) -> int:
    try:
        if args.inventory_command == "import":
            return _import(args, config)
        if args.inventory_command == "check":
            return _check(args, config, db)
        if args.dest.exists():
            print(f"{args.dest} exists; choose a new file", file=sys.stderr)
            return 2
        write_template(args.dest)
        print(f"wrote {args.dest}: fill it in, then 'inventory import KOMMUNENUMMER {args.dest}'")
        return 0
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


COMMANDS = {"inventory": _inventory}
