"""`demo --fakes`: the demo cycle with the chat targets sent to the in-process fakes; one
advisory is shown as Slack, Teams and Telegram received it."""

from __future__ import annotations

import json

from certbot.cli import main


def test_demo_with_fakes_shows_one_advisory_in_three_formats(tmp_path, capsys):
    assert main(["demo", "--fakes", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    head, _, shown = out.partition("as the three platforms received it ===")
    case_id = head.rsplit("=== ", 1)[1].strip()
    received = head.split("the fakes received: ")[1].splitlines()[0]
    counts = dict(part.split() for part in received.split(", "))
    assert {k: int(v) > 0 for k, v in counts.items()} == {
        "slack": True,
        "teams": True,
        "telegram": True,
    }
    shown, _, loop = shown.partition(
        f"=== {case_id}: acknowledged from Telegram, Slack and a signed link ==="
    )
    # Issue 5: the same alert acknowledged three ways; the operator's berorte shows all three.
    berorte = loop.split("--- the operator asks: /berorte", 1)[1]
    for sub, via in (("0301", "web:link:0301"), ("4601", "slack:"), ("5001", "telegram:")):
        line = next(x for x in berorte.splitlines() if x.startswith(sub))
        assert "kvittert" in line and via in line, berorte
    parts = shown.split("\n--- ")[1:]
    bodies = {p.split(" ---\n", 1)[0]: json.loads(p.split(" ---\n", 1)[1]) for p in parts}
    assert list(bodies) == ["slack", "teams", "telegram"]
    slack, teams, telegram = bodies["slack"], bodies["teams"], bodies["telegram"]
    assert slack["channel"].startswith("C") and slack["blocks"][0]["type"] == "header"
    assert teams["type"] == "message"
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert telegram["parse_mode"] == "HTML" and telegram["chat_id"].startswith("-100")
    for body in bodies.values():  # the same advisory, with its TLP label, on every platform
        text = json.dumps(body, ensure_ascii=False)
        assert case_id in text and "TLP:" in text
    # Chat targets went to the fakes, not to the JSON Lines file.
    lines = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines and {json.loads(line)["channel"] for line in lines} <= {"email", "file"}


def test_examples_fakes_config_points_every_chat_target_at_the_local_fakes():
    from certbot.config import load_config
    from certbot.demo.cycle import DEMO_DIR

    config = load_config(DEMO_DIR.parent / "fakes")
    svc = config.service
    assert svc.slack_base_url == "http://127.0.0.1:8701/api/"
    assert svc.telegram_base_url == "http://127.0.0.1:8703/bot"
    assert svc.smtp.host == "127.0.0.1"
    kinds = {t.kind for s in config.subscribers for t in s.targets}
    assert {"slack", "teams", "telegram"} <= kinds  # the shipped municipalities use all three
    assert [t.kind for t in svc.operator_targets] == ["file"]
    assert all(f.path and not f.url for f in config.feeds)  # offline snapshots only
