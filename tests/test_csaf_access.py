"""Issue 13.4: the provider's access rules (`certbot.publish.provider_access`): tokens from the
environment or ``*_FILE``, several accepted per municipality (rotation), an unset one not
accepted (and named in the log, never its value), and the TLP table."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from certbot.config.provider import ProviderConfig
from certbot.publish.provider_access import Caller, Tokens, may_read

CFG = ProviderConfig.model_validate(
    {
        "public_url": "https://csaf.example.no",
        "signing_key": {"env": "KEY"},
        "publisher": {"name": "KommuneCERT", "namespace": "https://kommunecert.example.no"},
        "tokens": {"0301": [{"env": "A"}, {"env": "A_NEXT"}], "4601": {"env": "B"}},
        "member_tokens": {"nsm": {"env": "N"}},
    }
)


def test_tokens_from_env_file_and_rotation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret_file = tmp_path / "a_next"
    secret_file.write_text("oslo-next-secret\n")
    env = {"A": "oslo-secret", "A_NEXT_FILE": str(secret_file), "N": "nsm-secret"}
    caplog.set_level(logging.WARNING)
    tokens = Tokens(CFG, env)
    assert tokens.caller("Bearer oslo-secret") == Caller("0301")
    assert tokens.caller("Bearer oslo-next-secret") == Caller("0301")
    assert tokens.caller("Bearer nsm-secret") == Caller(None)
    for header in (None, "", "Bearer ", "Basic oslo-secret", "Bearer oslo", "oslo-secret"):
        assert tokens.caller(header) is None, header
    assert "tokens.4601" in caplog.text and "B is not set" in caplog.text
    assert "oslo-secret" not in caplog.text


@pytest.mark.parametrize(
    ("tlp", "caller", "allowed"),
    [
        ("CLEAR", None, True),
        ("GREEN", None, False),
        ("GREEN", Caller(None), True),
        ("GREEN", Caller("4601"), True),
        ("AMBER", Caller(None), False),
        ("AMBER", Caller("4601"), False),
        ("AMBER", Caller("0301"), True),
        ("AMBER+STRICT", Caller("0301"), True),
        ("AMBER+STRICT", Caller("4601"), False),
        ("RED", Caller("0301"), False),
    ],
)
def test_tlp_table(tlp: str, caller: Caller | None, allowed: bool) -> None:
    assert may_read(tlp, frozenset({"0301"}), caller) is allowed
