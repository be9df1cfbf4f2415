"""Database faults on the real `run` process (issue 12.13, RELIABILITY.md row 33): a read-only
database is refused at start with the file and the fix named; a database deleted or replaced
under the running service stops it (exit 3, critical log) and nothing is written to a new file."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from certbot.store import DatabaseGone, DatabaseUnusable, Store
from tests.conftest import ROOT

DEMO = ROOT / "examples" / "demo"


def _run(db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "certbot", "--config-dir", str(DEMO), "--db", str(db), "run"]
    return subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)


def _until_running(proc: subprocess.Popen[str]) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:  # the service says it runs: no sleeps
        if "certbot running" in line:
            return
    raise AssertionError("the service never said it runs")


def test_read_only_database_is_refused_in_process(tmp_path):
    db = tmp_path / "c.db"
    Store(db).close()
    db.chmod(0o444)
    with pytest.raises(DatabaseUnusable) as err:
        Store(db)
    assert str(db) in str(err.value) and "chmod" in str(err.value)


def test_a_replaced_file_is_seen_by_the_open_store(tmp_path):
    db = tmp_path / "c.db"
    store = Store(db)
    store.check_file()  # ours
    shutil.copy(db, tmp_path / "other.db")
    os.replace(tmp_path / "other.db", db)
    with pytest.raises(DatabaseGone, match="replaced"):
        store.check_file()
    store.close()


@pytest.mark.slow
def test_run_refuses_a_read_only_database(tmp_path):
    db = tmp_path / "c.db"
    Store(db).close()
    db.chmod(0o444)
    before = db.read_bytes()
    with _run(db) as proc:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "refusing to start" in err and str(db) in err and "read-only" in err
    assert "Traceback" not in err
    assert db.read_bytes() == before


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["deleted", "replaced"])
def test_run_stops_when_its_database_is_deleted_or_replaced(tmp_path, fault):
    db = tmp_path / "c.db"
    with _run(db) as proc:
        rest = _fault(proc, db, fault)
    assert "CRITICAL" in rest and f"database {db} was {fault}" in rest
    if fault == "deleted":
        assert not db.exists()  # never a new empty database written silently
    else:
        assert hashlib.sha256(db.read_bytes()).hexdigest() == REPLACED[0]  # untouched


REPLACED: list[str] = []


def _fault(proc: subprocess.Popen[str], db: Path, fault: str) -> str:
    try:
        _until_running(proc)
        if fault == "deleted":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        else:
            other = db.parent / "other.db"
            Store(other).close()
            os.replace(other, db)
            REPLACED[:] = [hashlib.sha256(db.read_bytes()).hexdigest()]
        assert proc.stderr is not None
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 3
        return rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
