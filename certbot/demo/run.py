"""`demo`: one full cycle offline on the sample data bundled in examples/demo/.

Feeds are local snapshots (an NSM-style Norwegian RSS file and a trimmed copy of the real CISA
KEV catalogue); the municipalities are the shipped examples in subscribers/. Every delivery,
whatever its channel, is written to one JSON Lines file and echoed to the console, so nothing
leaves the machine and no tokens are needed. Digests are folded at once instead of waiting for
their morning.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from certbot.config import ConfigError, load_config
from certbot.demo.cycle import DEMO_DIR, offline_cycle
from certbot.demo.web import serve_web
from certbot.demo.with_fakes import cycle_with_fakes, print_payloads

POSSIBLE = ("product_no_version", "text")  # rules that leave an item "possibly affected"


def run_demo(out: Path, *, fakes: bool = False, web: str | None = None) -> int:
    """The demo; with ``fakes``, Slack, Teams and Telegram targets go to the local protocol
    fakes (certbot.demo.with_fakes) instead of the JSON Lines file; with ``web`` (a listen
    address on 127.0.0.1) the web overview then serves the demo's database until Ctrl-C."""
    try:
        config = load_config(DEMO_DIR)
    except ConfigError as exc:
        print("the demo configuration is broken:", *exc.problems, sep="\n  ", file=sys.stderr)
        return 2
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # The demo's output directory is --out: the file channel writes only inside it.
    svc = config.service.model_copy(update={"output_dir": str(out)})
    config = config.model_copy(update={"service": svc})
    db = out / "certbot.db"
    alerts = out / "alerts.jsonl"
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), alerts):
        stale.unlink(missing_ok=True)
    shown: dict[str, Any] = {}
    if fakes:
        summary, shown = asyncio.run(cycle_with_fakes(config, db, alerts))
    else:
        summary = asyncio.run(offline_cycle(config, db, alerts))
    lines = [json.loads(line) for line in alerts.read_text(encoding="utf-8").splitlines() if line]
    by_priority = Counter(line["priority"] for line in lines)
    digest_lines = sum(1 for line in lines if line.get("digest"))
    print("\n=== certbot demo: summary ===")
    for f in summary["feeds"]:
        print(f"  feed {f[0]:<12} {f[1]:<12} {f[2]} items")
    print(f"  cases: {summary['cases']}; municipalities alerted: {summary['municipalities']}")
    print(
        f"  alert lines written: {len(lines)} "
        f"({', '.join(f'{p} {n}' for p, n in sorted(by_priority.items()))}); "
        f"in digests: {digest_lines}"
    )
    print(f"  deliveries: {summary['statuses']}")
    print(f"\n  {explain_result(lines)}")
    if "pending" in summary["statuses"]:
        print("  (pending: P2 alerts to a municipality in its quiet hours wait until they end)")
    print(f"\n  JSON Lines: {alerts}")
    print(f"  Database:   {db}")
    print("\n  Try:")
    py = _python()
    shown_db = db.relative_to(Path.cwd()) if db.is_relative_to(Path.cwd()) else db
    print(f"    {py} -m certbot --config-dir examples/demo --db {shown_db} advisories")
    print(f"    {py} -m certbot --config-dir examples/demo --db {shown_db} explain CVE-2024-21762")
    # P1 needs a source that confirms the declared version (SSVC cap); the bundled feeds
    # (prose and KEV) do not, so the demo's most urgent alerts are P2.
    ok = (by_priority.get("P1", 0) + by_priority.get("P2", 0)) > 0 and digest_lines > 0
    if fakes:
        print_payloads(shown)
        ok = ok and "case_id" in shown
    if not ok:
        print(
            "demo did not produce both an immediate (P1/P2) alert and a digest-level alert",
            file=sys.stderr,
        )
    if ok and web is not None:
        try:
            asyncio.run(serve_web(config, db, web))
        except KeyboardInterrupt:
            print("\n  stopped")
    return 0 if ok else 1


def explain_result(lines: list[dict[str, Any]]) -> str:
    """The demo's result in one sentence (English: the console is for the person trying it)."""
    immediate = [r for r in lines if not r.get("digest")]
    per_sub = Counter(r["subscriber"] for r in immediate)
    status = {r["digest_id"] for r in lines if r.get("onboarding")}
    backlog = {(r["subscriber"], r["advisory_id"]) for r in lines if r.get("onboarding")}
    subs = {sub for sub, _ in backlog}
    p1 = {(r["subscriber"], r["advisory_id"]) for r in lines if r["priority"] == "P1"}
    unconfirmed = {
        (r["subscriber"], r["advisory_id"])
        for r in lines
        if r["priority"] == "P1" and all(m["rule"] in POSSIBLE for m in r["matched"])
    }
    most = max(per_sub.values(), default=0)
    return (
        f"First run: {len(immediate)} immediate messages (at most {most} per municipality); "
        f"the backlog, {len(backlog)} case alerts across {len(subs)} municipalities, is in "
        f"{len(status)} 'Status ved oppstart' messages, one per concerned target; "
        f"{len(p1)} of those alerts are P1, {len(unconfirmed)} of them on 'possibly affected'."
    )


def _python() -> str:
    """How the user ran us, so the suggested commands work as typed (``.venv/bin/python``)."""
    exe = Path(sys.executable)
    try:
        return str(exe.relative_to(Path.cwd()))
    except ValueError:
        return "python"
