"""`certbot.frozen.quick_init`: the same objects as the dataclass-generated ``__init__``."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from dataclasses import dataclass, field

import pytest

from certbot.frozen import quick_init
from certbot.model import TLP, Advisory, AffectedProduct, Remediation


def _shape() -> type:
    @dataclass(frozen=True, slots=True)
    class Shape:
        name: str
        sides: int = 4
        tags: tuple[str, ...] = ()
        meta: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    return Shape


def test_same_signature_and_objects_as_the_dataclass_init() -> None:
    plain, quick = _shape(), quick_init(_shape())
    want = [(p.name, p.default) for p in inspect.signature(plain).parameters.values()]
    got = [(p.name, p.default) for p in inspect.signature(quick).parameters.values()]
    assert [n for n, _ in got] == [n for n, _ in want] == ["name", "sides", "tags", "meta"]
    assert got[:2] == want[:2]
    for args, kwargs in [(("sq",), {}), (("tri", 3), {"tags": ("x",)}), ((), {"name": "n"})]:
        a, b = plain(*args, **kwargs), quick(*args, **kwargs)
        assert dataclasses.astuple(a) == dataclasses.astuple(b)
        assert hash(b) == hash(quick(*args, **kwargs))
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'name'"):
        quick()
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        quick("sq", colour="red")


def test_defaults_from_factories_are_fresh_and_the_object_stays_frozen() -> None:
    quick = quick_init(_shape())
    a, b = quick("a"), quick("b")
    assert a.meta == {} and a.meta is not b.meta
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "z"
    assert dataclasses.replace(a, sides=5).sides == 5
    assert quick.__init__.__qualname__.endswith("Shape.__init__")


def test_refuses_what_it_does_not_support() -> None:
    @dataclass(slots=True)
    class Loose:
        x: int

    @dataclass(frozen=True, slots=True)
    class Posted:
        x: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class KwOnly:
        x: int = field(kw_only=True)

    for cls in (Loose, Posted, KwOnly):
        with pytest.raises(TypeError, match="quick_init"):
            quick_init(cls)


def test_the_model_classes_build_as_before() -> None:
    product = AffectedProduct("Vendor", "Product", versions="vers:generic/1.0", entry="e")
    adv = Advisory(
        source="kev",
        source_id="CVE-2026-1",
        title="t",
        products=(product,),
        remediations=(Remediation("required_action", "patch"),),
    )
    assert (adv.summary, adv.tlp, adv.extra, adv.products[0].status) == (
        "",
        TLP.CLEAR,
        {},
        "affected",
    )
    assert pickle.loads(pickle.dumps(adv)) == adv
    assert adv.extra is not Advisory(source="a", source_id="b", title="c").extra
    with pytest.raises(dataclasses.FrozenInstanceError):
        adv.title = "x"  # type: ignore[misc]


def test_no_caller_sees_the_filling_twin() -> None:
    """The fields are stored while the object is the class's same-layout twin; it is the class
    itself again when ``__init__`` returns, and a subclass instance is filled as itself."""
    quick = quick_init(_shape())
    made = quick("sq", 4, ("a",))
    assert type(made) is quick and made.__class__ is quick
    assert dataclasses.astuple(made) == ("sq", 4, ("a",), {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        del made.name

    class Bigger(quick):  # type: ignore[valid-type,misc]
        __slots__ = ("colour",)

    big = Bigger("hex", 6)
    assert type(big) is Bigger and (big.name, big.sides) == ("hex", 6)
    adv = Advisory(source="a", source_id="b", title="c")
    assert type(adv) is Advisory and type(adv.extra) is dict
