"""Priority (certbot/priority.py): the SSVC path per item, the confidence caps, deadlines, and
the KEV due date as information. Each rule here is one a mutation of priority.py must break."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from certbot.config import PriorityConfig, SubscriberConfig
from certbot.model import Advisory, AffectedProduct, Case, Match, Priority, Remediation
from certbot.priority import assess, decide
from tests import factory
from tests.factory import item, structured, subscriber

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CFG = PriorityConfig()
AUTO = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
RANGE = "vers:generic/>=7.2.0|<7.2.7"


def sub(lang: str = "nb", **kw) -> SubscriberConfig:
    fields = {"version": "7.2.4", "internet_facing": True, "criticality": "critical", **kw}
    return subscriber(
        "0301", "Oslo kommune", [item("Fortinet", "FortiOS", **fields)], language=lang
    )


def kev(**kw) -> Advisory:
    return factory.kev(
        "CVE-2024-21762",
        "Fortinet",
        "FortiOS",
        title="FortiOS flaw",
        remediations=(Remediation("required_action", "Apply updates per vendor instructions."),),
        **kw,
    )


def vendor(**kw) -> Advisory:
    fortios = AffectedProduct("Fortinet", "FortiOS", versions=RANGE, fixed_version="7.2.7")
    return structured(
        "FG-IR-24-015",
        [fortios],
        source="csaf-fortinet",
        title="FortiOS out-of-bounds write",
        cves=("CVE-2024-21762",),
        **kw,
    )


def match(rule: str = "product_version") -> Match:
    return Match("CVE-2024-21762", "0301", "Fortinet FortiOS 7.2.4", 0, rule, "x", "e")  # type: ignore[arg-type]


def run(
    *advisories: Advisory,
    rule: str = "product_version",
    s: SubscriberConfig | None = None,
    cfg=CFG,
    **enr,
):
    c = Case("CVE-2024-21762", list(advisories), enrichment=enr)
    return assess(c, [match(rule)], s or sub(), cfg, NOW)


def test_exploited_confirmed_open_critical_is_p1_immediate():
    a = run(kev(), vendor())
    assert a.decision.priority == Priority.P1
    assert a.path is not None and a.path.outcome == "immediate" and a.path.cap is None
    assert [p.value for p in a.path.points] == ["active", "open", "no", "very high"]
    assert a.decision.deadline == NOW + timedelta(hours=24)


def test_cvss_alone_does_not_make_p1():
    # CVSS 9.8, internet-facing, critical, but nobody exploits it: the tree says out-of-cycle.
    a = run(vendor(cvss=9.8, cvss_vector=AUTO))
    assert a.decision.priority == Priority.P2 and a.path.outcome == "out-of-cycle"


def test_criticality_moves_the_outcome():
    assert run(kev(), vendor(), s=sub(criticality="medium")).decision.priority == Priority.P2
    assert run(kev(), vendor(), s=sub(criticality="low")).decision.priority == Priority.P3


@pytest.mark.parametrize("rule", ["product_no_version", "text"])
def test_possibly_affected_active_and_open_is_capped_at_p2(rule):
    a = run(kev(), vendor(), rule=rule)
    assert a.path.tree_priority == Priority.P1 and a.decision.priority == Priority.P2
    assert a.path.cap and "capped to P2" in a.path.cap
    assert any("høyst P2" in r for r in a.decision.reasons)


@pytest.mark.parametrize("rule", ["product_no_version", "text"])
def test_possibly_affected_without_active_and_open_is_capped_at_p3(rule):
    # poc, open, automatable, very high: the tree says out-of-cycle; the cap says P3.
    a = run(vendor(cvss_vector=AUTO, extra={"ssvc": {"exploitation": "poc"}}), rule=rule)
    assert a.path.tree_priority == Priority.P2 and a.decision.priority == Priority.P3
    # active but not open (internal server): P3 at most.
    b = run(kev(), vendor(), rule=rule, s=sub(internet_facing=False))
    assert b.path.tree_priority == Priority.P2 and b.decision.priority == Priority.P3


def test_the_cap_never_raises_a_priority():
    a = run(vendor(), rule="text", s=sub(internet_facing=False, criticality="low"))
    assert a.decision.priority == Priority.P4 and a.path.cap is None


def test_the_most_urgent_item_decides():
    s = subscriber(
        "0301",
        "Oslo kommune",
        [
            item("Fortinet", "FortiOS", version="7.2.4", criticality="low"),
            item(
                "Fortinet",
                "FortiGate",
                version="7.2.4",
                internet_facing=True,
                criticality="critical",
            ),
        ],
    )
    c = Case("CVE-2024-21762", [kev(), vendor()])
    ms = [
        match(),
        Match("CVE-2024-21762", "0301", "Fortinet FortiGate 7.2.4", 1, "product_version", "x", "e"),
    ]
    a = assess(c, ms, s, CFG, NOW)
    assert a.decision.priority == Priority.P1 and a.path.item == "Fortinet FortiGate 7.2.4"
    assert [p.priority for p in a.paths] == [Priority.P3, Priority.P1]


def test_epss_raises_none_to_poc():
    low = run(vendor(), s=sub(criticality="high"))
    high = run(vendor(), s=sub(criticality="high"), epss=0.4)
    assert low.path.points[0].value == "none" and high.path.points[0].value == "poc"
    assert (low.decision.priority, high.decision.priority) == (Priority.P3, Priority.P3)
    auto = run(vendor(cvss_vector=AUTO), s=sub(criticality="high"), epss=0.4)
    assert auto.decision.priority == Priority.P2  # poc/open/yes/high: out-of-cycle


@pytest.mark.parametrize(
    ("crit", "days"),
    [("critical", None), ("medium", 7), ("low", 30)],
)
def test_deadline_follows_the_priority(crit, days):
    d = run(kev(), vendor(), s=sub(criticality=crit)).decision
    expected = NOW + (timedelta(hours=24) if days is None else timedelta(days=days))
    assert d.deadline == expected


def test_p4_has_no_deadline_unless_configured():
    s = sub(internet_facing=False, criticality="low")
    assert run(vendor(), s=s).decision.deadline is None
    assert run(vendor(), s=s, cfg=PriorityConfig(p4_days=90)).decision.deadline == NOW + timedelta(
        days=90
    )


def test_kev_due_date_is_information_not_the_deadline():
    d = run(kev(due_date=date(2026, 12, 15)), vendor()).decision
    assert d.deadline == NOW + timedelta(hours=24)
    assert "CISA har gitt amerikanske etater frist til 15.12.2026" in d.reasons
    en = run(kev(due_date=date(2026, 12, 15)), vendor(), s=sub("en")).decision
    assert "CISA has given US federal agencies a deadline of 2026-12-15" in en.reasons


def test_kev_due_date_is_the_deadline_only_when_configured():
    cfg = PriorityConfig(kev_due_date_is_deadline=True)
    d = run(kev(due_date=date(2026, 12, 15)), vendor(), cfg=cfg).decision
    assert d.deadline == datetime(2026, 12, 15, 22, 59, tzinfo=UTC)  # 23:59 Oslo (CET)
    past = run(kev(due_date=date(2024, 2, 16)), vendor(), cfg=cfg).decision
    assert past.deadline == NOW + timedelta(hours=24)  # a past date nobody can meet


def test_decide_is_the_assessments_decision():
    c = Case("CVE-2024-21762", [kev(), vendor()])
    assert decide(c, [match()], sub(), CFG, NOW) == assess(c, [match()], sub(), CFG, NOW).decision
