"""Operator listings on the command line: ``acks``, ``incidents``, ``audit`` (with --json);
``incidents draft ID [--out FILE]`` writes a draft advisory from a report (issue 13.6)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from certbot.config import Config
from certbot.inbound import records
from certbot.publish.from_incident import incident_draft
from certbot.store import Store, iso, utcnow


def add_parsers(sub: Any) -> None:
    for name, help_ in (
        (
            "sector",
            "the whole sector at a glance: per case, affected, acknowledged, patched, overdue",
        ),
        ("acks", "acknowledgements and statuses from municipalities"),
        ("incidents", "incident reports from municipalities"),
        ("audit", "the audit trail (commands allowed and denied, TLP blocks, escalations)"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--limit", type=int, default=50)
        p.add_argument("--json", action="store_true")
        if name == "incidents":
            p.add_argument("--open", action="store_true", help="only those not resolved")
            p.add_argument(
                "action", nargs="?", choices=["draft"], help="draft ID: a draft advisory"
            )
            p.add_argument("id", nargs="?", help="the incident id (HEN-2026-0001)")
            p.add_argument(
                "--out", type=Path, metavar="FILE", help="where 'draft' writes (default: stdout)"
            )


def _print(rows: list[dict[str, Any]], as_json: bool, cols: list[tuple[str, int]]) -> int:
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    widths = [(c, max(w, len(c))) for c, w in cols]
    print(" ".join(f"{c:<{w}}" for c, w in widths).rstrip())
    for r in rows:
        cells = ("" if r.get(c) is None else str(r[c]) for c, _ in widths)
        print(" ".join(f"{v[:w]:<{w}}" for v, (_, w) in zip(cells, widths, strict=True)).rstrip())
    return 0


def acks(args: argparse.Namespace, config: Config, db: str) -> int:
    rows = records.acks(Store(db), args.limit)
    for r in rows:
        r["history"] = json.loads(r["history"])
    cols = [("case_id", 24), ("subscriber_id", 5), ("status", 24), ("by", 20), ("at", 25)]
    return _print(rows, args.json, cols)


def incidents(args: argparse.Namespace, config: Config, db: str) -> int:
    store = Store(db)
    if getattr(args, "action", None) == "draft":
        return draft(args, store)
    rows = records.incidents(store, open_only=args.open, limit=args.limit)
    if args.json:
        for r in rows:
            r["history"] = records.history(store, r["id"])
    cols = [
        ("id", 14),
        ("municipality", 5),
        ("status", 11),
        ("rsit_class", 16),
        ("what_happened", 60),
    ]
    return _print(rows, args.json, cols)


def draft(args: argparse.Namespace, store: Store) -> int:
    """``incidents draft ID [--out FILE]``: the report as a draft advisory (TLP AMBER)."""
    row = records.incident(store, args.id or "")
    if row is None:
        print(f"no incident {args.id!r}; see 'incidents'", file=sys.stderr)
        return 2
    text = incident_draft(row)
    if args.out is None:
        print(text, end="")
        return 0
    if args.out.exists():
        print(f"{args.out} exists; choose another --out", file=sys.stderr)
        return 2
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: edit it, then 'publish {args.out} --dry-run'")
    return 0


def audit(args: argparse.Namespace, config: Config, db: str) -> int:
    rows = Store(db).audit_rows(args.limit)
    cols = [
        ("at", 25),
        ("actor", 20),
        ("subscriber_id", 9),
        ("action", 16),
        ("decision", 12),
        ("detail", 60),
    ]
    return _print(rows, args.json, cols)


def sector(args: argparse.Namespace, config: Config, db: str) -> int:
    rows = records.sector(Store(db), iso(utcnow()) or "", args.limit)
    for r in rows:
        r["priority"] = f"P{r['priority']}"
    cols = [
        ("case_id", 20),
        ("priority", 4),
        ("municipalities", 5),
        ("acknowledged", 5),
        ("patched", 5),
        ("not_affected", 5),
        ("overdue", 5),
        ("title", 60),
    ]
    if not args.json:
        print(
            "municipalities / acknowledged / patched / not affected / overdue (past the "
            "deadline without a fix)"
        )
    return _print(rows, args.json, cols)


COMMANDS = {"sector": sector, "acks": acks, "incidents": incidents, "audit": audit}
