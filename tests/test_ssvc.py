"""The SSVC deployer table and the decision points certbot reads (certbot/ssvc.py).

Every cell is tested twice: against CERT/CC's own CSV (tests/data/ssvc/, byte-for-byte copy)
and against an independent hand-written grid, so changing any one outcome fails."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest

from certbot import ssvc
from certbot.config import InventoryItem
from certbot.model import Advisory, Case, Priority, Remediation

DATA = Path(__file__).parent / "data" / "ssvc" / "deployer_patch_application_priority_1_0_0.csv"

# Hand-written from the published deployer tree: per (exploitation, exposure), the outcomes for
# automatable no (human impact low, medium, high, very high) | automatable yes (same order).
# D defer, S scheduled, O out-of-cycle, I immediate.
GRID = {
    ("none", "small"): "DDSS|DSSS",
    ("none", "controlled"): "DSSS|SSSS",
    ("none", "open"): "DSSS|SSSO",
    ("poc", "small"): "DSSS|SSSS",
    ("poc", "controlled"): "DSSS|SSSO",
    ("poc", "open"): "SSSO|SSOO",
    ("active", "small"): "SSOO|SOOO",
    ("active", "controlled"): "SSOO|OOOO",
    ("active", "open"): "SOOI|OOII",
}
LETTER = {"D": "defer", "S": "scheduled", "O": "out-of-cycle", "I": "immediate"}


def hand(e: str, x: str, a: str, h: str) -> str:
    no, yes = GRID[(e, x)].split("|")
    return LETTER[(yes if a == "yes" else no)[ssvc.HUMAN_IMPACT.index(h)]]


CELLS = list(
    itertools.product(ssvc.EXPLOITATION, ssvc.EXPOSURE, ssvc.AUTOMATABLE, ssvc.HUMAN_IMPACT)
)


def test_the_table_is_cert_ccs_csv_row_for_row():
    with DATA.open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    spelled = {"none": "none", "public poc": "poc", "active": "active"}
    theirs = [(spelled[r[1]], r[2], r[3], r[4], r[5]) for r in rows]
    assert list(ssvc.DEPLOYER_TABLE) == theirs
    assert len(ssvc.TREE) == 72 == len(CELLS)  # every combination exactly once


@pytest.mark.parametrize("row", ssvc.DEPLOYER_TABLE, ids=lambda r: "/".join(r[:4]))
def test_each_table_row_is_the_outcome_and_matches_the_hand_written_grid(row):
    e, x, a, h, out = row
    assert ssvc.outcome(e, x, a, h) == out
    assert hand(e, x, a, h) == out


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: "/".join(c))
def test_each_hand_written_cell_is_in_the_tree(cell):
    assert ssvc.outcome(*cell) == hand(*cell)


def test_outcomes_map_to_priorities():
    assert ssvc.OUTCOME_PRIORITY == {
        "immediate": Priority.P1,
        "out-of-cycle": Priority.P2,
        "scheduled": Priority.P3,
        "defer": Priority.P4,
    }
    assert [r[-1] for r in ssvc.table_rows()][-1] == "P1"  # active/open/yes/very high


def test_a_value_outside_the_decision_points_is_an_error():
    with pytest.raises(KeyError):
        ssvc.outcome("exploited", "open", "yes", "high")


@pytest.mark.parametrize(
    ("vector", "expected"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", True),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N", True),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", False),  # needs a login
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", False),  # needs a user
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", False),
        ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", False),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", True),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AU:N", False),
        ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AU:Y", True),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", True),
        ("AV:N/AC:L/Au:S/C:P/I:P/A:P", False),
        ("not a vector", None),
        (None, None),
    ],
)
def test_automatable_from_the_cvss_vector(vector, expected):
    assert ssvc.automatable_from_vector(vector) is expected


def adv(**kw) -> Advisory:
    return Advisory(
        source=kw.pop("source", "csaf-x"), source_id=kw.pop("id", "A-1"), title="t", **kw
    )


def case(*advisories: Advisory, **enrichment) -> Case:
    return Case("CVE-2024-0001", list(advisories), enrichment=enrichment)


def test_adp_automatable_wins_over_the_vector():
    vec = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    p = ssvc.automatable(case(adv(cvss_vector=vec, extra={"ssvc": {"automatable": "no"}})))
    assert (p.value, p.source) == ("no", "CISA ADP SSVC")
    p = ssvc.automatable(case(adv(cvss_vector=vec)))
    assert (p.value, p.source) == ("yes", "CVSS vector (csaf-x)")
    assert ssvc.automatable(case(adv())).value == "no"


def test_exploitation_sources():
    kev = adv(source="kev", exploited=True, remediations=(Remediation("required_action", "x"),))
    assert ssvc.exploitation(case(kev), 0.1) == ssvc.Point("exploitation", "active", "CISA KEV")
    csaf = adv(exploited=True, extra={"exploit_status": ["Exploited in the wild"]})
    assert ssvc.exploitation(case(csaf), 0.1).source == "CSAF exploit_status (csaf-x)"
    own = adv(source="kommune-cert", exploited=True)
    assert ssvc.exploitation(case(own), 0.1).source == "advisory kommune-cert"
    adp = adv(extra={"ssvc": {"exploitation": "active"}})
    assert ssvc.exploitation(case(adp), 0.1).value == "active"
    poc = adv(extra={"ssvc": {"exploitation": "poc"}})
    assert ssvc.exploitation(case(poc), 0.1) == ssvc.Point("exploitation", "poc", "CISA ADP SSVC")
    ref = adv(extra={"references": [{"url": "https://x.example/poc", "tags": ["exploit"]}]})
    assert ssvc.exploitation(case(ref), 0.1).value == "poc"
    assert ssvc.exploitation(case(adv()), 0.1).value == "none"


def test_epss_at_the_threshold_raises_none_to_poc_but_not_above():
    assert ssvc.exploitation(case(adv(), epss=0.1), 0.1).value == "poc"
    assert ssvc.exploitation(case(adv(), epss=0.099), 0.1).value == "none"
    kev = adv(exploited=True)
    assert ssvc.exploitation(case(kev, epss=0.9), 0.1).value == "active"  # never lowers


def inv(**kw) -> InventoryItem:
    return InventoryItem.model_validate({"vendor": "Acme", "product": "Widget", **kw})


def test_exposure_from_the_inventory():
    assert ssvc.exposure(inv(internet_facing=True)).value == "open"
    assert ssvc.exposure(inv(exposure="small")).value == "small"
    assert ssvc.exposure(inv()).value == "controlled"
    assert ssvc.exposure(inv(internet_facing=True, exposure="small")).value == "open"


@pytest.mark.parametrize(
    ("crit", "impact"),
    [("low", "low"), ("medium", "medium"), ("high", "high"), ("critical", "very high")],
)
def test_declared_criticality_is_the_human_impact(crit, impact):
    # Declared criticality wins even over a product class default.
    p = ssvc.human_impact(inv(product="FortiOS", criticality=crit))
    assert (p.value, p.source) == (impact, f"inventory: criticality {crit}")


@pytest.mark.parametrize(
    ("vendor", "product", "cls"),
    [
        ("Microsoft", "Active Directory", "identity"),
        ("Fortinet", "FortiOS", "perimeter"),
        ("Ivanti", "Connect Secure", "perimeter"),
        ("Veeam", "Backup & Replication", "backup"),
        ("Microsoft", "Exchange Server", "e-mail"),
        ("DIPS", "DIPS Arena", "health and care"),
        ("Tietoevry", "Gerica", "health and care"),
    ],
)
def test_product_class_default_is_high_when_criticality_is_not_declared(vendor, product, cls):
    p = ssvc.human_impact(inv(vendor=vendor, product=product))
    assert (p.value, p.source) == ("high", f"municipal default for {cls} systems")


def test_other_products_default_to_medium():
    assert ssvc.human_impact(inv(vendor="Adobe", product="Acrobat Reader")).value == "medium"


def test_the_readme_table_is_the_data():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- ssvc-table:begin -->\n", 1)[1].split("\n<!-- ssvc-table:end -->")[0]
    assert shown == ssvc.markdown_table()
