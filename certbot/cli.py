"""Command line: ``python -m certbot`` or ``kommune-certbot``.

Global options: ``--config-dir`` (env CERTBOT_CONFIG_DIR, default: the current directory) and
``--db`` (env CERTBOT_DB, default: <config-dir>/var/certbot.db).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certbot.app import AlreadyRunning, App
from certbot.config import Config, config_warnings, load_config
from certbot.demo.run import run_demo
from certbot.demo.sendtest import send_test
from certbot.errors import ConfigError
from certbot.explain import explain, format_explain
from certbot.identity.check import unknown_items
from certbot.inbound.listing import COMMANDS as _INBOUND_COMMANDS
from certbot.inbound.listing import add_parsers  # acks, incidents, audit (issue 5)
from certbot.inventory import commands as inventory_commands
from certbot.inventory.check import coverage, summary_line
from certbot.outbound.dispatch import DispatchSummary
from certbot.publish import commands as publish_commands
from certbot.publish import export as csaf_export
from certbot.redact import install_redaction
from certbot.report import commands as report_commands
from certbot.scheduler import serve
from certbot.sources import csaf_retry
from certbot.store import Store
from certbot.store.instances import Instance

log = logging.getLogger("certbot")
_redaction_installed = False


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kommune-certbot",
        description="Security advisories for Norwegian municipalities: poll, match, alert.",
    )
    p.add_argument(
        "--config-dir",
        default=os.environ.get("CERTBOT_CONFIG_DIR", "."),
        help="directory with feeds.yaml and subscribers/ (env CERTBOT_CONFIG_DIR)",
    )
    p.add_argument(
        "--db",
        default=os.environ.get("CERTBOT_DB"),
        help="SQLite database path (env CERTBOT_DB; default <config-dir>/var/certbot.db)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="run the service (scheduler, dispatcher)")
    poll = sub.add_parser("poll", help="poll feeds, plan and send, then print a summary")
    poll.add_argument("--once", action="store_true", required=True, help="one cycle, then exit")
    poll.add_argument("--feed", action="append", help="only this feed id (repeatable)")
    poll.add_argument("--json", action="store_true")
    cc = sub.add_parser(
        "check-config", help="validate feeds.yaml and subscribers/, list every problem"
    )
    cc.add_argument("--strict", action="store_true", help="also fail on unset secrets")
    ex = sub.add_parser(
        "explain", help="who does this advisory concern, by which rule, which priority"
    )
    ex.add_argument("advisory", help="case id, CVE id or source:id")
    ex.add_argument("--subscriber", help="only this kommunenummer")
    ex.add_argument("--json", action="store_true")
    adv = sub.add_parser("advisories", help="list known cases")
    adv.add_argument("--limit", type=int, default=50)
    adv.add_argument("--json", action="store_true")
    dl = sub.add_parser("deliveries", help="list deliveries (the outbox)")
    dl.add_argument(
        "--status", choices=["pending", "sending", "sent", "dead", "blocked", "digest", "digested"]
    )
    dl.add_argument("--limit", type=int, default=50)
    dl.add_argument("--json", action="store_true")
    demo = sub.add_parser("demo", help="a full offline cycle on bundled sample data")
    demo.add_argument("--out", default="out/demo", help="where the demo writes (default out/demo)")
    demo.add_argument(
        "--fakes",
        action="store_true",
        help="send Slack, Teams and Telegram targets to local protocol fakes started in-process",
    )
    demo.add_argument(
        "--web",
        action="store_true",
        help="then serve the web overview of the demo data on 127.0.0.1 until Ctrl-C",
    )
    demo.add_argument("--listen", default="127.0.0.1:8090", help="with --web (default %(default)s)")
    st = sub.add_parser(
        "send-test", help="send a marked test message to each target of a municipality"
    )
    st.add_argument("subscriber", help="kommunenummer, e.g. 0301")
    bk = sub.add_parser("backup", help="a consistent copy of the database, safe while running")
    bk.add_argument("dest", help="where to write the copy (must not exist)")
    rj = sub.add_parser("rejected", help="CSAF documents rejected, fetched again on each poll")
    rj.add_argument("--feed", help="only this feed id")
    rj.add_argument("--json", action="store_true")
    add_parsers(sub)
    inventory_commands.add_parsers(sub)
    csaf_export.add_parsers(sub)
    publish_commands.add_parsers(sub)
    report_commands.add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    global _redaction_installed
    if not _redaction_installed:  # once per process: HTTP loggers quiet, secrets masked
        install_redaction()
        _redaction_installed = True
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if args.command == "demo":
        return run_demo(Path(args.out), fakes=args.fakes, web=args.listen if args.web else None)
    try:
        config = load_config(args.config_dir)
    except ConfigError as exc:
        print(f"configuration has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    db = args.db or str(config.root / "var" / "certbot.db")
    handler = COMMANDS[args.command]
    return int(handler(args, config, db) or 0)


def _check_config(args: argparse.Namespace, config: Config, db: str) -> int:
    warnings = config_warnings(config)
    unknown = unknown_items(config)  # advice, not an error: --strict fails on secrets only
    items = sum(len(s.inventory) for s in config.subscribers)
    print(
        f"ok: {len(config.feeds)} feeds ({sum(f.enabled for f in config.feeds)} enabled), "
        f"{len(config.subscribers)} municipalities, {items} inventory items"
    )
    for w in warnings + unknown:
        print(f"warning: {w}")
    for s in config.subscribers:
        print(f"coverage: {summary_line(coverage(s))}")
    return 1 if (args.strict and warnings) else 0


def _poll(args: argparse.Namespace, config: Config, db: str) -> int:
    async def go() -> dict[str, Any]:
        async with App(config, db, instance="poll") as app:
            results = await app.poll(args.feed)
            # While `run` is active, its dispatcher sends what this poll planned (I2).
            dispatched = DispatchSummary() if app.defer_to else await app.dispatch()
            counts = await app.store.status_counts()
            deferred = Instance.describe(app.defer_to) if app.defer_to else None
        return {
            "feeds": [
                {
                    "feed": r.feed_id,
                    "status": r.status,
                    "advisories": r.advisories,
                    "cases": len(r.changed_cases),
                    "matches": r.matches,
                    "planned": r.planned,
                    "error": r.error,
                }
                for r in results
            ],
            "new_cases": sum(1 for r in results for c in r.changed_cases if c.new),
            "updated_cases": sum(1 for r in results for c in r.changed_cases if not c.new),
            "matches": sum(r.matches for r in results),
            "planned": sum(r.planned for r in results),
            "sent_now": dispatched.sent,
            "dead_now": dispatched.dead,
            "deliveries": counts,
            "sending_left_to": deferred,
        }

    if args.feed:
        unknown = [f for f in args.feed if f not in {x.id for x in config.feeds}]
        if unknown:
            print(f"unknown feed id(s): {', '.join(unknown)}; see feeds.yaml", file=sys.stderr)
            return 2
    summary = asyncio.run(go())
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print_poll_summary(summary)
    return 1 if any(f["status"] == "error" for f in summary["feeds"]) else 0


def print_poll_summary(summary: dict[str, Any]) -> None:
    print(f"{'feed':<24} {'status':<13} {'items':>6} {'cases':>6} {'matches':>8} {'planned':>8}")
    for f in summary["feeds"]:
        print(
            f"{f['feed']:<24} {f['status']:<13} {f['advisories']:>6} {f['cases']:>6} "
            f"{f['matches']:>8} {f['planned']:>8}" + (f"  {f['error']}" if f["error"] else "")
        )
    print(
        f"\nnew cases: {summary['new_cases']}, updated cases: {summary['updated_cases']}, "
        f"municipality matches: {summary['matches']}, deliveries planned: {summary['planned']}"
    )
    print(
        "deliveries by status: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary["deliveries"].items()))
    )
    if summary.get("sending_left_to"):
        print(
            "certbot run is active (" + summary["sending_left_to"] + "): "
            "sending is left to the running service"
        )


def _run(args: argparse.Namespace, config: Config, db: str) -> int:
    for w in config_warnings(config):
        log.warning("%s", w)

    async def go() -> None:
        async with App(config, db, serve_inbound=True, instance="run") as app:
            await serve(app)

    try:
        asyncio.run(go())
    except ConfigError as exc:
        print("refusing to start:", *exc.problems, sep="\n  ", file=sys.stderr)
        return 2
    except AlreadyRunning as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 3
    return 0


def _store(db: str) -> Store:
    if not Path(db).exists():
        print(
            f"no database at {db}; run 'poll --once' or 'demo' first, or pass --db", file=sys.stderr
        )
        raise SystemExit(2)
    return Store(db)


def _explain(args: argparse.Namespace, config: Config, db: str) -> int:
    store = _store(db)
    report = explain(
        store, config, args.advisory, subscriber=args.subscriber, now=datetime.now(UTC)
    )
    if report is None:
        print(f"no advisory {args.advisory!r} in {db}; see 'advisories'", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    else:
        print(format_explain(report))
    return 0


def _advisories(args: argparse.Namespace, config: Config, db: str) -> int:
    rows = _store(db).list_cases(args.limit)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(f"{'case':<32} {'rev':>3} {'munis':>5}  {'sources':<28} title")
    for r in rows:
        print(
            f"{r['id'][:32]:<32} {r['revision']:>3} {r['municipalities']:>5}  "
            f"{(r['sources'] or '')[:28]:<28} {(r['title'] or '')[:70]}"
        )
    return 0


def _deliveries(args: argparse.Namespace, config: Config, db: str) -> int:
    store = _store(db)
    rows = store.deliveries(status=args.status, limit=args.limit)
    if args.json:
        for r in rows:
            r["notification"] = json.loads(r["notification"])
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(
        f"{'delivery':<24} {'status':<9} {'kind':<8} {'pri':<3} {'to':<22} {'tries':>5}  case / error"
    )
    for r in rows:
        pri = f"P{r['priority']}" if r["priority"] else ""
        print(
            f"{r['id']:<24} {r['status']:<9} {r['kind']:<8} {pri:<3} "
            f"{(r['subscriber_id'] + '/' + r['target_id'])[:22]:<22} {r['attempts']:>5}  "
            f"{r['case_id'] or ''} {r['last_error'] or ''}"
        )
    counts = store.status_counts()
    print("\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return 0


def _backup(args: argparse.Namespace, db: str) -> int:
    """SQLite's online backup: a consistent snapshot while the service keeps writing."""
    store = _store(db)
    dest = Path(args.dest)
    if dest.exists():
        print(f"{dest} exists; choose a new file", file=sys.stderr)
        return 2
    dest.parent.mkdir(parents=True, exist_ok=True)
    store.backup(dest)
    print(f"backup written to {dest} ({dest.stat().st_size} bytes, integrity ok)")
    return 0


def _send_test(args: argparse.Namespace, config: Config, db: str) -> int:
    try:
        config.subscriber(args.subscriber)
    except KeyError:
        print(f"no municipality {args.subscriber!r} in subscribers/", file=sys.stderr)
        return 2
    results = asyncio.run(send_test(config, db, args.subscriber))
    ok = True
    for target_id, outcome in results:
        print(f"{target_id:<20} {outcome}")
        ok = ok and outcome.startswith("ok")
    return 0 if ok else 1


def _rejected(args: argparse.Namespace, config: Config, db: str) -> int:
    """The CSAF retry lists: url, reason, first and last seen, attempts."""
    cursors = _store(db).feed_cursors(args.feed)
    rows = [row for fid, cur in sorted(cursors.items()) for row in csaf_retry.listing(fid, cur)]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no rejected CSAF documents")
    for r in rows:
        print(f"{r['feed']}  {r['url']}\n  {r['reason']}")
        print(f"  first {r['first_seen']}, last {r['last_seen']}, {r['attempts']} attempt(s)")
    return 0


COMMANDS = {
    "run": _run,
    "poll": _poll,
    "check-config": _check_config,
    "explain": _explain,
    "advisories": _advisories,
    "deliveries": _deliveries,
    "send-test": _send_test,
    "backup": lambda args, config, db: _backup(args, db),
    "rejected": _rejected,
}
COMMANDS.update(_INBOUND_COMMANDS)
COMMANDS.update(inventory_commands.COMMANDS)
COMMANDS.update(csaf_export.COMMANDS)
COMMANDS.update(publish_commands.COMMANDS)
COMMANDS.update(report_commands.COMMANDS)
