"""Every registered channel inherits the shared contract (tests/channel_contract.py).

The checks themselves live in `ChannelContract` (status classification, canary secrets, hostile
titles inert, size limits); each channel's own test module has a ``Test...Contract`` class
that inherits them and wires the channel to its fake peer. This module only proves that no
shipped channel is left without one.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

from certbot.channels import BUILTIN, channel_classes
from tests.channel_contract import ChannelContract
from tests.test_registry import CHANNEL_TEST


@pytest.mark.parametrize("kind", sorted(BUILTIN))
def test_every_channel_inherits_the_contract(kind):
    name = CHANNEL_TEST.get(kind, f"test_channel_{kind}.py").removesuffix(".py")
    module = importlib.import_module(f"tests.{name}")
    contracts = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, ChannelContract)
        and obj is not ChannelContract
        and obj.kind == kind
    ]
    assert contracts, f"tests/{name}.py has no ChannelContract subclass for {kind!r}"
    assert all(c.__name__.startswith("Test") for c in contracts)  # so pytest collects it
    assert channel_classes()[kind].kind == kind
