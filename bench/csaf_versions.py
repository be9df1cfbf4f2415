"""How many product entries of real CISA CSAF documents have a version certbot cannot read.

Input, first found: ``$CERTBOT_CISA_CSAF`` (a directory of CSAF JSON files, or a bare git
repository of cisagov/CSAF), the search tool's mirror ``/work/.mirror/cisagov+CSAF/repo``
(2,383 documents at commit 6960219f), else the sample in ``tests/data/csaf/cisa-sample``.
Every document goes through `certbot.sources.csaf.parse_document`; a product entry is one
`AffectedProduct`, unreadable when its ``versions`` is None (the matcher then says "possibly
affected"). Target (issue 10): <= 1 %.

python -m bench.csaf_versions [--top 30]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from certbot.errors import ParseError
from certbot.sources.csaf import parse_document

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path("/work/.mirror/cisagov+CSAF/repo")
SAMPLE = ROOT / "tests" / "data" / "csaf" / "cisa-sample"


# Rough classes of what stays unreadable (reported, not used by certbot): most of it is no
# version at all, and reading it as one would be a guess.
_KINDS = (
    ("serial number or date", re.compile(
        r"serial|production|distributed|shipped|manufactured|\b(19|20)\d\d\b.*\b(19|20)?\d\d\b/|"
        r"january|february|march|april|may |june|july|august|september|october|november|december",
        re.IGNORECASE)),
    ("condition (with / using / only / configuration / including)", re.compile(
        r"\bwith\b|\busing\b|\bonly\b|configuration|including|installed|running|excluding|"
        r"\bwhen\b|\bif\b|may also", re.IGNORECASE)),
    ("no digits (hardware revision letters, words)", re.compile(r"^[^0-9]*$")),
    ("model, part or build text in the version slot", re.compile(r"^version ")),
)  # fmt: skip


def kind(note: str) -> str:
    """Which rough class an unreadable entry's note falls in."""
    text = note.partition("'")[2].rpartition("'")[0] or note
    for name, rx in _KINDS:
        if rx.search(text if not name.startswith("model") else note):
            return name
    return "other version text"


def _from_git(repo: Path) -> Iterator[bytes]:
    names = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", "HEAD", "csaf_files"],
        capture_output=True, check=True, text=True,
    ).stdout.split()  # fmt: skip
    wanted = "".join(f"HEAD:{n}\n" for n in names if n.endswith(".json") and "-feed-" not in n)
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input=wanted.encode(), capture_output=True, check=True,
    ).stdout  # fmt: skip
    pos = 0
    while pos < len(out):
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        yield out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1


def documents(source: str | None = None) -> tuple[str, Iterator[bytes]]:
    """(where from, the CSAF documents' bytes)."""
    src = Path(source or os.environ.get("CERTBOT_CISA_CSAF") or "")
    if not str(src) or str(src) == ".":
        src = MIRROR if (MIRROR / "HEAD").exists() else SAMPLE
    if (src / "HEAD").exists() and (src / "objects").exists():
        return f"git {src}", _from_git(src)
    files = sorted(p for p in src.rglob("*.json"))
    return f"dir {src}", (p.read_bytes() for p in files)


def measure(source: str | None = None, top: int = 20) -> dict[str, Any]:
    where, docs = documents(source)
    n_docs = entries = unreadable = errors = 0
    notes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for data in docs:
        if b'"csaf_version"' not in data:
            continue
        n_docs += 1
        try:
            adv = parse_document(data, "cisa")
        except ParseError:
            errors += 1
            continue
        for p in adv.products:
            entries += 1
            if p.versions is None:
                unreadable += 1
                note = p.entry.partition(": ")[2].partition(";")[0] or "(no version given)"
                notes[note] += 1
                kinds[kind(note)] += 1
    share = 100.0 * unreadable / entries if entries else 0.0
    return {
        "source": where,
        "documents": n_docs,
        "rejected": errors,
        "entries": entries,
        "unreadable": unreadable,
        "share_pct": share,
        "top": notes.most_common(top),
        "kinds": kinds.most_common(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.csaf_versions", description=__doc__)
    ap.add_argument("--source", default=None, help="directory or bare git repo of CSAF files")
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args(argv)
    r = measure(args.source, args.top)
    print(f"{r['source']}: {r['documents']} documents ({r['rejected']} rejected), "
          f"{r['entries']} product entries, {r['unreadable']} with an unreadable version "
          f"= {r['share_pct']:.2f} % (target <= 1 %)")  # fmt: skip
    for name, count in r["kinds"]:
        print(f"{count:6d}  {name}")
    print("top unreadable strings:")
    for note, count in r["top"]:
        print(f"{count:6d}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
