"""The registries test themselves (DESIGN.md rule 9): every source kind and every channel has
a test module and a README section; a new one without them fails here."""

from __future__ import annotations

import pytest

from certbot.channels import BUILTIN as BUILTIN_CHANNELS
from certbot.channels import channel_classes
from certbot.sources import BUILTIN as BUILTIN_SOURCES
from certbot.sources import get_source
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
TESTS = {p.name for p in (ROOT / "tests").glob("test_*.py")}
CHANNEL_TEST = {"email": "test_channel_mail.py"}


@pytest.mark.parametrize("kind", list(BUILTIN_SOURCES))
def test_every_source_kind_is_registered_tested_and_documented(kind):
    try:
        source = get_source(kind)
    except KeyError:
        pytest.fail(f"source kind {kind!r} is accepted by the config but not registered")
    assert source.kind == kind
    prefix = "test_enrich_" if source.enrichment else "test_source_"
    assert any(t.startswith(f"{prefix}{kind}") for t in TESTS), f"no {prefix}{kind}*.py"
    assert f"`{kind}`" in README, f"README has no section naming the `{kind}` source"


@pytest.mark.parametrize("kind", list(BUILTIN_CHANNELS))
def test_every_channel_is_registered_tested_and_documented(kind):
    classes = channel_classes()
    assert kind in classes, f"channel {kind!r} is accepted by the config but not registered"
    assert CHANNEL_TEST.get(kind, f"test_channel_{kind}.py") in TESTS
    assert f"`kind: {kind}`" in README, f"README does not document `kind: {kind}`"
