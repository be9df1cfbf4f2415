"""Issue 13.4: ``service.provider`` configuration errors are check-config quality (file, key,
what is wrong, how to fix, line), and check-config warns about each unset provider secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from certbot.config import config_warnings, load_config
from certbot.errors import ConfigError
from tests.provider_helpers import config_dir

GOOD = (
    "  provider:\n"
    "    public_url: https://csaf.example.no\n"
    "    signing_key: {env: CSAF_KEY}\n"
    "    publisher: {name: KommuneCERT, namespace: 'https://kommunecert.example.no'}\n"
)


def _problems(tmp_path: Path, provider: str) -> list[str]:
    root = config_dir(tmp_path, provider)
    with pytest.raises(ConfigError) as err:
        load_config(root)
    return err.value.problems


@pytest.mark.parametrize(
    ("bad", "where", "says"),
    [
        (
            GOOD.replace("https://csaf.example.no", "csaf.example.no"),
            "provider.public_url",
            "is not a URL",
        ),
        (GOOD.replace("{env: CSAF_KEY}", "'-----BEGIN PGP'"), "provider.signing_key", "mapping"),
        (
            GOOD + "    tokens:\n      '301': {env: TOK}\n",
            "provider.tokens.301",
            "four-digit kommunenummer",
        ),
        (
            GOOD + "    tokens:\n      '0301': [{env: TOK_A}, {env: secretvalue}]\n",
            "provider.tokens.0301[1].env",
            "name an environment variable",
        ),
        (GOOD + "    colour: red\n", "provider.colour", ""),
    ],
)
def test_bad_provider_config(tmp_path: Path, bad: str, where: str, says: str) -> None:
    problems = _problems(tmp_path, bad)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"feeds.yaml: service.{where}"), problems
    assert says in problems[0] and "(line " in problems[0]


def test_unset_provider_secrets_are_warned(tmp_path: Path) -> None:
    tokens = "    tokens:\n      '0301': [{env: TOK_A}, {env: TOK_B}]\n"
    config = load_config(config_dir(tmp_path, GOOD + tokens))
    warnings = config_warnings(config, {"TOK_A": "x"})
    assert "feeds.yaml: service.provider.signing_key.env: environment variable CSAF_KEY" in (
        " ".join(warnings)
    )
    assert any("service.provider.tokens.0301[1].env" in w and "TOK_B" in w for w in warnings)
    assert not any("TOK_A " in w for w in warnings)
