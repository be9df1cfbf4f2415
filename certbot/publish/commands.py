"""The ``publish`` command: publish a draft, revise it, withdraw it, or list what is out.

Contract: `add_parsers(sub)` adds ``publish`` to the command line's subparsers and `COMMANDS`
maps it to its handler ``(args, config, db) -> exit code``:

    publish FILE [--dry-run] [--as NAME] [--confirm-tlp]
    publish --withdraw ID [--reason TEXT] [--dry-run] [--as NAME]
    publish --list

The operator is ``--as`` or the OS user, and must be configured (`publish.check_operator`);
a dry run only warns. A bad draft prints its located problems and exits 2; a refusal (unknown
operator, stricter TLP without ``--confirm-tlp``, unknown id) exits 3; nothing is written
then, and nothing at all in a dry run.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certbot.config import Config
from certbot.publish import publish as pub
from certbot.publish.load import DraftError, load_draft
from certbot.publish.report import format_outcome
from certbot.store import Store


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "publish", help="publish the team's own advisory from a draft file; revise; withdraw"
    )
    p.add_argument(
        "file", nargs="?", type=Path, help="the draft (YAML, or Markdown with front matter)"
    )
    p.add_argument("--dry-run", action="store_true", help="show who would get it; write nothing")
    p.add_argument(
        "--as", dest="as_name", metavar="NAME", help="operator name (default: the OS user)"
    )
    p.add_argument("--confirm-tlp", action="store_true", help="accept a revision to a stricter TLP")
    p.add_argument("--withdraw", metavar="ID", help="withdraw a published advisory")
    p.add_argument(
        "--reason", metavar="TEXT", help="why it is withdrawn (shown to the municipalities)"
    )
    p.add_argument("--list", action="store_true", help="list the published advisories")


def _list(db: str) -> int:
    if not Path(db).exists():
        print("nothing published yet (no database)")
        return 0
    store = Store(db)
    try:
        rows = store.published_advisories()
    finally:
        store.close()
    for a in rows:
        print(
            f"{a.id}  rev {a.revision}  TLP:{a.draft.tlp:<12} {a.status:<9} "
            f"{a.current.date().isoformat()}  {a.draft.title}"
        )
    if not rows:
        print("nothing published yet")
    return 0


def _with_store(db: str, run: Callable[[Store], pub.Outcome], *, dry: bool) -> pub.Outcome:
    """``run`` on the database (a scratch copy of it for a dry run), closed afterwards so its
    file is left as a finished, checkpointed database."""
    if dry and not Path(db).exists():
        return pub.dry_run(None, run)
    store = Store(db)
    try:
        return pub.dry_run(store, run) if dry else run(store)
    finally:
        store.close()


def _operator(args: argparse.Namespace, config: Config) -> str:
    name = args.as_name or getpass.getuser()
    try:
        return pub.check_operator(config, name)
    except pub.PublishRefused as exc:
        if not args.dry_run:
            raise
        print(f"warning: {exc}; a real publish would be refused", file=sys.stderr)
        return name


def _publish(args: argparse.Namespace, config: Config, db: str) -> int:
    if args.list:
        return _list(db)
    if (args.file is None) == (args.withdraw is None):
        print("give a draft FILE, or --withdraw ID (see publish --help)", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    try:
        operator = _operator(args, config)
        if args.withdraw:

            def run(store: Store) -> pub.Outcome:
                return pub.withdraw(
                    store, config, args.withdraw, operator=operator, now=now, reason=args.reason
                )
        else:
            draft = load_draft(args.file)

            def run(store: Store) -> pub.Outcome:
                return pub.publish_draft(
                    store, config, draft, operator=operator, now=now, confirm_tlp=args.confirm_tlp
                )

        outcome = _with_store(db, run, dry=args.dry_run)
    except DraftError as exc:
        print(f"the draft has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except pub.PublishRefused as exc:
        print(f"refused, nothing published: {exc}", file=sys.stderr)
        return 3
    print("\n".join(format_outcome(config, outcome)))
    if outcome.action == "published" and not outcome.dry_run and args.file is not None:
        if load_draft(args.file).id is None:
            print(f"add 'id: {outcome.id}' to {args.file} to publish revisions of it")
    return 0


COMMANDS = {"publish": _publish}
