"""`send-test SUBSCRIBER` through the CLI against the three protocol fakes: one marked test
message per target, a line per target saying what happened, exit code 1 if any failed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from certbot.cli import main
from certbot.demo.fakes import FAKES, Fakes, serve_fakes, slack_error, telegram_error


@pytest.fixture
def fakes() -> Iterator[tuple[Fakes, dict[str, str]]]:
    """The fakes on their own event loop in a thread: the CLI runs its own asyncio.run."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner, urls = asyncio.run_coroutine_threadsafe(serve_fakes(), loop).result(10)
    try:
        yield runner.app[FAKES], urls
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def config_dir(tmp_path: Path, fakes, monkeypatch) -> Path:
    fk, urls = fakes
    (tmp_path / "subscribers").mkdir()
    service = {"slack_base_url": urls["slack"], "telegram_base_url": urls["telegram"]}
    (tmp_path / "feeds.yaml").write_text(
        yaml.safe_dump({"service": service, "feeds": []}), encoding="utf-8"
    )
    sub = {
        "id": "0301",
        "name": "Oslo kommune",
        "county": "Oslo",
        "targets": [
            {"id": "slack-sikkerhet", "kind": "slack", "address": "C0301SIKK"},
            {"id": "teams-sikkerhet", "kind": "teams", "secret": {"env": "TEAMS_WEBHOOK_0301"}},
            {"id": "telegram-vakt", "kind": "telegram", "address": "-1000301"},
        ],
    }
    (tmp_path / "subscribers" / "0301-oslo.yaml").write_text(
        yaml.safe_dump(sub, allow_unicode=True), encoding="utf-8"
    )
    monkeypatch.setenv("SLACK_BOT_TOKEN", fk.slack.token)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fk.telegram.token)
    monkeypatch.setenv("TEAMS_WEBHOOK_0301", urls["teams"])
    return tmp_path


def run(config_dir: Path, capsys) -> tuple[int, dict[str, str], str]:
    code = main(
        ["--config-dir", str(config_dir), "--db", str(config_dir / "c.db"), "send-test", "0301"]
    )
    captured = capsys.readouterr()
    lines = dict(line.split(None, 1) for line in captured.out.splitlines() if line.strip())
    return code, lines, captured.out + captured.err


def test_send_test_reports_ok_per_target(config_dir, fakes, capsys):
    fk, _urls = fakes
    code, lines, _ = run(config_dir, capsys)
    assert code == 0
    assert set(lines) == {"slack-sikkerhet", "teams-sikkerhet", "telegram-vakt"}
    assert all(v.startswith("ok") for v in lines.values()), lines
    (slack,) = fk.slack.messages["C0301SIKK"]
    assert lines["slack-sikkerhet"] == f"ok ({slack['ts']})"
    assert "TEST" in slack["text"]
    (card,) = fk.teams.requests
    assert "TEST" in card.raw.decode("utf-8")
    (tg,) = fk.telegram.sent
    assert tg["chat_id"] == "-1000301" and "TEST" in tg["text"]


def test_failing_targets_are_reported_retryable_or_permanent_exit_1(config_dir, fakes, capsys):
    fk, urls = fakes
    fk.slack.script([slack_error("ratelimited", status=429, retry_after=30)])
    fk.telegram.script([telegram_error(403, "Forbidden: bot was kicked from the group chat")])
    code, lines, output = run(config_dir, capsys)
    assert code == 1
    assert lines["slack-sikkerhet"].startswith("failed (retryable)")
    assert "429" in lines["slack-sikkerhet"]
    assert lines["teams-sikkerhet"].startswith("ok")  # one failure does not stop the others
    assert lines["telegram-vakt"].startswith("failed (permanent)")
    assert fk.slack.messages == {} and fk.telegram.sent == []
    for secret in (fk.slack.token, fk.telegram.token, urls["teams"], fk.teams.sig):
        assert secret not in output


def test_missing_teams_secret_is_a_permanent_failure(config_dir, fakes, capsys, monkeypatch):
    monkeypatch.delenv("TEAMS_WEBHOOK_0301")
    code, lines, _ = run(config_dir, capsys)
    assert code == 1
    assert lines["teams-sikkerhet"].startswith("failed (permanent)")
    assert "not configured" in lines["teams-sikkerhet"]
    assert lines["slack-sikkerhet"].startswith("ok")


def test_unknown_municipality_is_exit_2(config_dir, capsys):
    code = main(
        ["--config-dir", str(config_dir), "--db", str(config_dir / "c.db"), "send-test", "9999"]
    )
    assert code == 2
    assert "9999" in capsys.readouterr().err
