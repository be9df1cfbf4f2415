"""``export-csaf DIR``: write the CSAF provider tree of the published advisories to a
directory (for a static web server or a mirror), the same tree ``run`` serves.

Refuses (exit 2, naming the key) without ``service.provider`` or without its signing key;
prints what it wrote and which advisories it left out (RED, no products).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from certbot.config import Config
from certbot.errors import ConfigError
from certbot.publish.provider import ProviderError, Tree, build_tree, write_tree
from certbot.publish.provider_sign import load_signer
from certbot.store import Store


def add_parsers(sub: Any) -> None:
    ex = sub.add_parser("export-csaf", help="write the CSAF provider tree to a directory")
    ex.add_argument("dir", help="output directory (made if missing)")


def export_tree(
    config: Config, db: str, out: Path, environ: Mapping[str, str] | None = None
) -> tuple[Tree, int]:
    """Build, check and write the tree; (tree, files written). ConfigError when the provider
    is not configured or its signing key is missing."""
    cfg = config.service.provider
    if cfg is None:
        raise ConfigError(
            [
                "feeds.yaml: service.provider: not configured; add 'provider:' under "
                "'service:' with public_url, signing_key and publisher (README 'The CSAF "
                "provider')"
            ]
        )
    signer = load_signer(cfg.signing_key, environ)
    advisories = Store(db).published_advisories() if Path(db).exists() else []
    tree = build_tree(advisories, cfg, signer, config.subscribers, datetime.now(UTC))
    if tree.failed:  # built and checked in full before anything is written
        raise ProviderError("; ".join(tree.failed))
    return tree, len(write_tree(tree, out))


def _export(args: argparse.Namespace, config: Config, db: str) -> int:
    try:
        tree, n = export_tree(config, db, Path(args.dir))
    except ConfigError as exc:
        print("refusing to export:", *exc.problems, sep="\n  ", file=sys.stderr)
        return 2
    except ProviderError as exc:  # certbot wrote a non-conforming document: nothing written
        print(f"refusing to export: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {n} files to {args.dir}: {len(tree.docs)} CSAF documents, key {tree.fingerprint}")
    for reason in tree.skipped:
        print(f"  not exported: {reason}")
    return 0


COMMANDS = {"export-csaf": _export}
