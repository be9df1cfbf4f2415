"""The demo's first run, pinned (issue 11.8): the real pipeline on the bundled data, summarised
from its JSON Lines as priorities, verdicts and counts per municipality.

Regenerate after an intended change (CVE records wired in, a new rule) with
``pytest --update-golden tests/test_demo_golden.py`` and review tests/golden/demo/first_run.json.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from certbot.demo.run import POSSIBLE, run_demo


def verdict(m: dict[str, Any]) -> str:
    """'affected' / 'possible' for one matched entry (the JSON Lines' own key where it has one)."""
    if m.get("affected"):  # "confirmed" / "possible" (certbot.verdict)
        return "affected" if m["affected"] == "confirmed" else str(m["affected"])
    return "possible" if m["rule"] in POSSIBLE else "affected"


@pytest.fixture(scope="module")
def lines(tmp_path_factory) -> list[dict[str, Any]]:
    out: Path = tmp_path_factory.mktemp("demo")
    assert run_demo(out) == 0
    text = (out / "alerts.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def summarise(lines: list[dict[str, Any]]) -> dict[str, Any]:
    subs: dict[str, Counter[str]] = defaultdict(Counter)
    cases: dict[str, dict[str, Any]] = {}
    for r in lines:
        c = subs[r["subscriber"]]
        c[
            "immediate"
            if not r.get("digest")
            else "onboarding"
            if r.get("onboarding")
            else "digest"
        ] += 1
        cases[f"{r['subscriber']} {r['advisory_id']}"] = {
            "priority": r["priority"],
            "verdicts": sorted({f"{m['item']}: {verdict(m)}" for m in r["matched"]}),
        }
    status = {(r["subscriber"], r["target"], r["digest_id"]) for r in lines if r.get("onboarding")}
    for sub, _target, _ in status:
        subs[sub]["status_messages"] += 1
    return {
        "municipalities": {s: dict(sorted(c.items())) for s, c in sorted(subs.items())},
        "priorities": dict(sorted(Counter(v["priority"] for v in cases.values()).items())),
        "cases": dict(sorted(cases.items())),
    }


def test_the_demo_first_run_is_pinned(lines, golden):
    golden("demo/first_run.json", json.dumps(summarise(lines), indent=1, ensure_ascii=False) + "\n")


def test_the_demo_first_run_is_one_a_municipality_would_trust(lines):
    immediate = Counter(r["subscriber"] for r in lines if not r.get("digest"))
    assert max(immediate.values(), default=0) <= 3
    p1 = [r for r in lines if r["priority"] == "P1"]
    assert p1 and all(verdict(m) == "affected" for r in p1 for m in r["matched"])
    per_target = Counter(
        (r["subscriber"], r["target"])
        for r in {
            (r["subscriber"], r["target"], r["digest_id"]): r for r in lines if r.get("onboarding")
        }.values()
    )
    assert per_target and set(per_target.values()) == {1}  # one status message per target
    concerned = {(r["subscriber"], r["target"]) for r in lines}
    assert set(per_target) == concerned  # every concerned target got its status message
