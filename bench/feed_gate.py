"""The feed gate over feedparser's own corpus of test feeds (RELIABILITY.md row 30).

    python -m bench.feed_gate PATH/TO/feedparser/tests [--gate module:function] [--list]

PATH is the ``tests`` folder of a feedparser checkout (github.com/kurtmckee/feedparser; data
only, never copied into this repository beyond tests/data/feedparser-sample/). Every
``*.xml`` under it is gated and then parsed by the RSS source; the HTTP headers a test feed
declares in its leading comment (``Header: Content-type: ...``) are passed on as the fetcher
would. Prints, per corpus folder, how many were accepted, refused (ParseError) and raised
anything else (an unhandled exception: the target is 0), and the refused well-formed feeds.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from certbot.config import FeedConfig
from certbot.errors import ParseError
from certbot.sources.rss import RssSource
from certbot.sources.xml_gate import charset_of

HEADER = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)
FEED = FeedConfig(id="corpus", kind="rss", url="https://feeds.example.org/rss")
BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


def headers_of(data: bytes) -> dict[str, str]:
    """The ``Header:`` lines of a corpus file (the way feedparser's own test helper reads them)."""
    name = next((n for bom, n in BOMS if data.startswith(bom)), "utf-8")
    text = data.decode(name, errors="ignore")
    return {k.strip().lower(): v.strip() for k, v in HEADER.findall(text)}


def load_gate(spec: str) -> Callable[..., Any]:
    module, _, func = spec.partition(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def run(root: Path, gate_spec: str) -> dict[str, Any]:
    gate = load_gate(gate_spec)
    takes_charset = "charset" in inspect.signature(gate).parameters
    takes_headers = "headers" in inspect.signature(RssSource.parse).parameters
    source = RssSource()
    gate_counts: Counter[tuple[str, str]] = Counter()
    parse_counts: Counter[tuple[str, str]] = Counter()
    refused_wellformed: list[str] = []
    errors: list[str] = []
    for path in sorted(root.rglob("*.xml")):
        folder = path.relative_to(root).parts[0]
        data = path.read_bytes()
        headers = headers_of(data)
        ct = headers.get("content-type")
        try:
            gate(data, charset_of(ct)) if takes_charset else gate(data)
            verdict = "accepted"
        except ParseError:
            verdict = "refused"
            if folder == "wellformed":
                refused_wellformed.append(str(path.relative_to(root)))
        except Exception as exc:
            verdict = "error"
            errors.append(f"{path.relative_to(root)}: {type(exc).__name__}: {exc}")
        gate_counts[folder, verdict] += 1
        try:
            kw = {"headers": headers} if takes_headers else {}
            list(source.parse(data, FEED, **kw))
            outcome = "parsed"
        except ParseError:
            outcome = "refused"
        except Exception as exc:
            outcome = "error"
            errors.append(f"{path.relative_to(root)} (parse): {type(exc).__name__}: {exc}")
        parse_counts[folder, outcome] += 1
    return {
        "gate": gate_counts,
        "parse": parse_counts,
        "refused_wellformed": refused_wellformed,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path, help="feedparser's tests/ folder")
    ap.add_argument("--gate", default="certbot.sources.xml_gate:gate")
    ap.add_argument("--list", action="store_true", help="list refused well-formed feeds")
    args = ap.parse_args(argv)
    logging.getLogger("certbot").setLevel(logging.ERROR)  # skipped entries are expected here
    out = run(args.path, args.gate)
    folders = sorted({f for f, _ in out["gate"]} | {f for f, _ in out["parse"]})
    print(
        f"{'folder':<12} {'files':>6} {'accepted':>9} {'refused':>8} {'errors':>7}   parse: ok/refused/errors"
    )
    totals: Counter[str] = Counter()
    for f in folders:
        g, p = out["gate"], out["parse"]
        n = sum(v for (ff, _), v in g.items() if ff == f)
        row = [g[f, "accepted"], g[f, "refused"], g[f, "error"]]
        prow = [p[f, "parsed"], p[f, "refused"], p[f, "error"]]
        totals.update(files=n, accepted=row[0], refused=row[1], errors=row[2])
        totals.update(parsed=prow[0], prefused=prow[1], perrors=prow[2])
        print(f"{f:<12} {n:>6} {row[0]:>9} {row[1]:>8} {row[2]:>7}   {prow[0]}/{prow[1]}/{prow[2]}")
    print(
        f"{'total':<12} {totals['files']:>6} {totals['accepted']:>9} {totals['refused']:>8} "
        f"{totals['errors']:>7}   {totals['parsed']}/{totals['prefused']}/{totals['perrors']}"
    )
    print(f"well-formed refused: {len(out['refused_wellformed'])}")
    if args.list:
        for name in out["refused_wellformed"]:
            print("  refused:", name)
    for line in out["errors"][:40]:
        print("  error:", line)
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
