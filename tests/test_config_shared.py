"""Loading at national scale: identical inventory items are one shared object (and keep what
was written: `certbot.ssvc` reads which keys were set), and a reload parses only the
subscriber files whose bytes changed; a broken item is still reported by file, key and line."""

from __future__ import annotations

from pathlib import Path

from certbot.config import ConfigError, load_config
from certbot.config.subscribers import forget_loaded
from tests.test_config import FEEDS, _write

ITEMS = """inventory:
  - {vendor: Fortinet, product: FortiOS, version: "7.2.4"}
  - {vendor: Fortinet, product: FortiOS, version: "7.2.4", criticality: medium}
"""


def _sub(sid: str, county: str, extra: str = "") -> str:
    return (
        f"id: '{sid}'\nname: Kommune {sid}\ncounty: {county}\ntargets:\n"
        f"  - {{id: drift, kind: email, address: drift@k{sid}.example}}\n{ITEMS}{extra}"
    )


def _root(tmp_path: Path) -> Path:
    subs = {"0301-oslo.yaml": _sub("0301", "Oslo"), "4601-bergen.yaml": _sub("4601", "Vestland")}
    return _write(tmp_path, FEEDS, subs)


def test_identical_items_are_one_object_and_keep_the_keys_written(tmp_path: Path) -> None:
    forget_loaded()
    config = load_config(_root(tmp_path))
    oslo, bergen = config.subscriber("0301").inventory, config.subscriber("4601").inventory
    assert oslo[0] is bergen[0] and oslo[1] is bergen[1]
    assert oslo[0] == oslo[1]  # the same values...
    assert "criticality" not in oslo[0].model_fields_set  # ...but one says its criticality
    assert "criticality" in oslo[1].model_fields_set


def test_reload_parses_only_the_files_that_changed(tmp_path: Path) -> None:
    root = _root(tmp_path)
    first = load_config(root)
    bergen = root / "subscribers" / "4601-bergen.yaml"
    bergen.write_text(_sub("4601", "Vestland", "daily_cap: 5\n"), encoding="utf-8")
    again = load_config(root)
    assert again.subscriber("0301") is first.subscriber("0301")  # unchanged: not parsed again
    assert again.subscriber("4601").daily_cap == 5 != first.subscriber("4601").daily_cap


def test_a_broken_item_after_a_good_load_is_located(tmp_path: Path) -> None:
    root = _root(tmp_path)
    load_config(root)
    oslo = root / "subscribers" / "0301-oslo.yaml"
    oslo.write_text(_sub("0301", "Oslo").replace('version: "7.2.4"}', "version: 7.10}", 1))
    try:
        load_config(root)
    except ConfigError as exc:
        problems = exc.problems
    else:
        raise AssertionError("the unquoted version was accepted")
    assert len(problems) == 1
    assert problems[0].startswith("subscribers/0301-oslo.yaml: inventory[0].version: ")
    assert 'version: "7.1"' in problems[0] and problems[0].endswith("(line 7)")
