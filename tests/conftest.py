"""Shared fixtures. The network guard fails any connection off loopback (DESIGN.md rule 7);
``store`` is an `AsyncStore` on a fresh database; ``golden`` compares with tests/golden."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest
from hypothesis import settings

from certbot.store import AsyncStore, Store

# Hypothesis' per-example deadline (200 ms) is a timing assertion: on a loaded 2-core machine a
# slow example fails a correct test. Speed is measured in bench/, never asserted in tests.
settings.register_profile("certbot", deadline=None)
settings.load_profile("certbot")

DATA = Path(__file__).parent / "data"
GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing",
    )


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    elif isinstance(address, str | bytes):
        return True  # AF_UNIX path
    else:
        return False
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guard(method):  # type: ignore[no-untyped-def]
    def connect(self, address):  # type: ignore[no-untyped-def]
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return method(self, address)

    return connect


@pytest.fixture(autouse=True, scope="session")
def no_network():
    socket.socket.connect = _guard(_real_connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guard(_real_connect_ex)  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An `AsyncStore` on a fresh database in the test's tmp dir, closed afterwards (a module
    that needs another store defines its own ``store``)."""
    s = AsyncStore(Store(tmp_path / "t.db"))
    yield s
    s.close()


def golden_path(name: str) -> Path:
    """Where the golden file ``name`` lives (see `golden`)."""
    return GOLDEN / (f"{name}.golden" if name.endswith(".html") else name)


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """``golden(name, text)`` compares text with tests/golden/<name>; --update-golden rewrites.

    An HTML golden is stored as ``<name>.golden``: it is expected output (data), and a code tool
    that reads ``.html`` as source (``duplicates``, an HTML linter) would otherwise take each
    rendered page for a second copy of the template that made it."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = golden_path(name)
        if update or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if not update:
                pytest.fail(f"golden file {name} was missing and has been written; re-run")
        assert text == path.read_text(encoding="utf-8"), f"differs from golden file {name}"

    return check
