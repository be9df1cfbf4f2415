"""The quality corpus's oracle and labels are sound (the figures themselves live in bench/)."""

from __future__ import annotations

from bench import quality
from bench.inventories import LINES, load_six
from tests.case_tables import cases


@cases("quality-oracle-ranges")
def test_oracle_range_forms(version: str, spec: str, inside: bool) -> None:
    assert quality.in_spec(version, spec) is inside


def test_truth_of_distinguishes_not_named_unknown_and_outside() -> None:
    truth = {"fortios": ["7.2.0..7.2.6"]}
    assert quality.truth_of("fortios", "7.2.4", truth) == "affected"
    assert quality.truth_of("fortios", "7.2.10", truth) == "not_affected"
    assert quality.truth_of("fortios", None, truth) == "unknown"
    assert quality.truth_of("esxi", "8.0.2", truth) == "other"


def test_every_truth_key_is_a_product_line_and_every_case_has_a_source() -> None:
    for case in quality.load_cases():
        assert set(case.get("truth") or {}) <= set(LINES), case["id"]
        assert case.get("cve_record") or case.get("csaf") or case.get("text"), case["id"]
        if case.get("cve_record"):
            assert quality.cve_record(case["cve_record"]) is not None, case["id"]


def test_inventories_are_municipal_sized_and_carry_truth_keys() -> None:
    six = load_six()
    assert len(six) >= 6
    for m in six:
        assert 40 <= len(m["items"]) <= 80
        assert all(i["truth"] in LINES for i in m["items"])
