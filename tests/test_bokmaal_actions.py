"""Action wording (certbot/actions.py) and KEV phrase coverage (certbot/kev_phrases.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certbot.actions import (
    QUOTE_MAX,
    ActionContext,
    _quote,
    actions,
    branch,
    fixed_for_branch,
    human_range,
)
from certbot.config import InventoryItem
from certbot.kev_phrases import PHRASES, normalise, translate
from certbot.model import Advisory, AffectedProduct, Case, Match, Priority, Remediation
from certbot.versions import version_in
from tests.case_tables import cases

DATA = Path(__file__).parent / "data" / "kev" / "required_actions.json"
DEADLINE = datetime(2026, 12, 15, 22, 59, tzinfo=UTC)  # 23:59 in Oslo


def test_kev_phrase_table_covers_at_least_95_percent_of_the_catalogue():
    data = json.loads(DATA.read_text())
    entries = data["requiredAction"]
    total = sum(e["entries"] for e in entries)
    distinct = {normalise(e["text"]) for e in entries}
    covered = sum(e["entries"] for e in entries if translate(e["text"], "nb") is not None)
    assert total == data["count"] == 1404
    assert (len(entries), len(distinct)) == (38, 36)  # as written / after normalising
    assert covered / total >= 0.95, covered
    assert covered == 1372 and len(PHRASES) == 12  # the figures the README reports
    assert all(k in distinct for k in PHRASES)  # no invented sentence in the table


def test_kev_translation():
    assert translate("Apply updates per vendor instructions.", "nb") == (
        "Installer leverandørens oppdateringer"
    )
    assert translate("  apply UPDATES per vendor instructions ", "nb") is not None
    assert translate("Something CISA never wrote.", "nb") is None
    assert translate("Apply updates per vendor instructions.", "en") == (
        "Apply updates per vendor instructions."
    )
    assert not any("CISA" in v or "krever" in v for v in PHRASES.values())


VERSION = st.lists(st.integers(0, 30), min_size=3, max_size=3).map(lambda p: ".".join(map(str, p)))


@given(VERSION, st.lists(VERSION, max_size=8))
def test_fixed_for_branch_is_the_smallest_greater_fix_on_the_branch(declared, fixes):
    got = fixed_for_branch(declared, fixes)
    greater = [f for f in fixes if version_in(f, f"vers:generic/>{declared}")]
    same = [f for f in greater if branch(f) == branch(declared)]
    if not greater:
        assert got is None
        return
    assert got in (same or greater)
    for f in same or greater:  # nothing smaller in the pool
        assert version_in(got, f"vers:generic/<={f}")


@pytest.mark.parametrize(
    ("declared", "fixes", "expected"),
    [
        ("7.2.4", ["7.0.14", "7.2.7", "7.4.3"], "7.2.7"),
        ("7.2.4", ["7.4.3", "7.2.8", "7.2.7"], "7.2.7"),
        ("7.2.10", ["7.2.7", "7.4.3"], "7.4.3"),  # the branch has none greater: next branch
        ("7.4.3", ["7.2.7", "7.4.3"], None),  # already at the fix
        ("7.2.9", ["7.2.10"], "7.2.10"),  # not string order
        ("13.1-49.13", ["13.1-49.15", "14.1-8.50"], "13.1-49.15"),
        ("V9.80", ["9.81", "10.0"], "9.81"),
    ],
)
def test_fixed_for_branch_examples(declared, fixes, expected):
    assert fixed_for_branch(declared, fixes) == expected


@cases("human-ranges")
def test_human_range(rng, nb, en):
    assert human_range(rng, "nb") == nb and human_range(rng, "en") == en
    assert "vers:" not in nb


def test_human_range_unreadable_is_none():
    assert human_range("sometimes", "nb") is None


def item(**kw) -> InventoryItem:
    return InventoryItem.model_validate({"vendor": "Fortinet", "product": "FortiOS", **kw})


def ctx(
    it: InventoryItem, *advisories: Advisory, rule="product_version", prio=Priority.P1, lang="nb"
):
    c = Case("CVE-2024-21762", list(advisories))
    m = Match(c.id, "0301", it.display, 0, rule, "x", "e")  # type: ignore[arg-type]
    return ActionContext(c, [m], [it], prio, DEADLINE, lang)


def kev_said(*required_actions: str) -> Advisory:
    """A KEV entry with these requiredAction sentences."""
    rem = tuple(Remediation("required_action", t) for t in required_actions)
    return Advisory(source="kev", source_id="k", title="t", remediations=rem)


def fortinet(**kw) -> Advisory:
    return Advisory(
        source="csaf",
        source_id="FG-IR-24-015",
        title="t",
        url="https://fortiguard.fortinet.com/psirt/FG-IR-24-015",
        structured=True,
        products=(
            AffectedProduct(
                "Fortinet", "FortiOS", versions="vers:generic/<7.2.7", fixed_version="7.2.7"
            ),
            AffectedProduct(
                "Fortinet", "FortiOS", versions="vers:generic/>=7.4.0|<7.4.3", fixed_version="7.4.3"
            ),
        ),
        **kw,
    )


def test_upgrade_names_the_branch_fix_and_the_deadline():
    out = actions(ctx(item(version="7.2.4", internet_facing=True), fortinet()))
    assert out[0] == "Oppgrader FortiOS 7.2.4 til 7.2.7 eller nyere innen 15.12.2026 kl. 23:59"
    assert out[-3:] == [
        "Vurder å koble Fortinet FortiOS 7.2.4 fra internett til rettelsen er installert",
        "Se etter tegn på kompromittering (logger, nye kontoer, ukjente filer)",
        "Meld fra til sektorresponsmiljøet med «hendelse» hvis dere finner spor",
    ]
    en = actions(ctx(item(version="7.4.1"), fortinet(), lang="en"))
    assert en[0] == "Upgrade FortiOS 7.4.1 to 7.4.3 or later by 2026-12-15 23:59"


def test_fixed_version_from_remediations_too():
    adv = Advisory(
        source="csaf",
        source_id="x",
        title="t",
        remediations=(Remediation("vendor_fix", "Upgrade.", fixed_version="7.2.7"),),
    )
    assert actions(ctx(item(version="7.2.4"), adv))[0].startswith(
        "Oppgrader FortiOS 7.2.4 til 7.2.7"
    )


def test_unknown_version_asks_for_it_in_the_inventory_with_the_link():
    out = actions(ctx(item(), fortinet(), rule="product_no_version", prio=Priority.P3))
    assert out[:2] == [
        "Legg inn versjon av FortiOS i inventaret for presise varsler",
        "Leverandørens varsel: https://fortiguard.fortinet.com/psirt/FG-IR-24-015",
    ]


def test_a_declared_version_is_never_asked_for():
    kev = Advisory(source="kev", source_id="CVE-1", title="t", url="https://x.example/a")
    for rule in ("product_no_version", "text"):
        out = actions(ctx(item(version="7.2.4"), kev, rule=rule, prio=Priority.P2))
        assert not any("Legg inn versjon" in a or "Bekreft hvilken versjon" in a for a in out)
        assert out[0] == "Sjekk i leverandørens varsel om FortiOS 7.2.4 er berørt"


def test_mitigations_are_quoted_with_a_label():
    adv = fortinet(remediations=(Remediation("workaround", "Disable   SSL VPN."),))
    out = actions(ctx(item(version="7.2.4"), adv))
    assert "Ta i bruk midlertidig tiltak: Leverandørens tekst (engelsk): «Disable SSL VPN.»" in out
    nb = Advisory(
        source="nsm",
        source_id="n",
        title="t",
        language="nb",
        remediations=(Remediation("mitigation", "Deaktiver SSL-VPN."),),
    )
    assert "Ta i bruk midlertidig tiltak: Deaktiver SSL-VPN." in actions(
        ctx(item(version="7.2.4"), nb)
    )


def test_kev_required_action_is_translated_or_quoted_never_commanded():
    known = Advisory(
        source="kev",
        source_id="k",
        title="t",
        remediations=(
            Remediation(
                "required_action",
                "Apply mitigations per vendor instructions or discontinue use of the product "
                "if mitigations are unavailable.",
            ),
        ),
    )
    out = actions(ctx(item(version="7.2.4"), known, prio=Priority.P2))
    assert (
        "Ta i bruk leverandørens tiltak, eller slutt å bruke produktet hvis det ikke finnes tiltak"
        in out
    )
    odd = Advisory(
        source="kev",
        source_id="k",
        title="t",
        remediations=(Remediation("required_action", "Remove agency assets by the due date."),),
    )
    out = actions(ctx(item(version="7.2.4"), odd, prio=Priority.P2))
    assert (
        "Tiltak i CISAs katalog: CISAs tekst (engelsk): «Remove agency assets by the due date.»"
        in out
    )
    assert not any("CISA krever" in a or "CISA requires" in a for a in out)


def test_plain_apply_updates_is_left_out_when_the_upgrade_step_names_the_version():
    kev = Advisory(
        source="kev",
        source_id="k",
        title="t",
        remediations=(Remediation("required_action", "Apply updates per vendor instructions."),),
    )
    out = actions(ctx(item(version="7.2.4"), fortinet(), kev))
    assert "Installer leverandørens oppdateringer" not in out
    out = actions(ctx(item(version="7.2.4"), kev))
    assert "Installer leverandørens oppdateringer" in out


@pytest.mark.parametrize(
    ("prio", "last"),
    [
        (Priority.P2, "Planlegg oppdateringen denne uken"),
        (Priority.P3, "Ta med i neste planlagte oppdateringsrunde"),
        (Priority.P4, "Til orientering; ingen handling kreves nå"),
    ],
)
def test_priority_step(prio, last):
    assert actions(ctx(item(version="7.2.4"), fortinet(), prio=prio))[-1] == last


MITIGATE = (
    "Apply mitigations per vendor instructions or discontinue use of the product if mitigations "
    "are unavailable."
)
EOL = "The impacted product is end-of-life and should be disconnected if still in use."


def test_stock_kev_lines_that_repeat_the_named_upgrade_are_left_out_end_of_life_stays():
    kev = kev_said(MITIGATE, EOL)
    out = actions(ctx(item(version="7.2.4"), fortinet(), kev))
    assert out[0].startswith("Oppgrader FortiOS 7.2.4 til 7.2.7 eller nyere")
    assert translate(MITIGATE, "nb") not in out
    assert translate(EOL, "nb") in out
    # Without a named upgrade the KEV sentence is the step, and stays.
    assert translate(MITIGATE, "nb") in actions(ctx(item(version="7.2.4"), kev))


def test_the_fix_of_the_entry_that_matched_is_named_though_spelled_otherwise():
    # CVE-2025-53770's record names "Microsoft SharePoint Server 2019"; the item is "SharePoint
    # Server", matched through the catalogue: that entry's fix is the item's fix.
    entry = "CVE-2025-53770 cna.affected[1].versions[0]"
    rec = Advisory(
        source="cve-records",
        source_id="CVE-2025-53770",
        title="t",
        structured=True,
        products=(
            AffectedProduct(
                "Microsoft",
                "Microsoft SharePoint Server 2019",
                versions="vers:generic/>=16.0.0|<16.0.10417.20037",
                fixed_version="16.0.10417.20037",
                entry=entry,
            ),
            AffectedProduct(
                "Microsoft",
                "Microsoft SharePoint Server Subscription Edition",
                versions="vers:generic/>=16.0.0|<16.0.18526.20508",
                fixed_version="16.0.18526.20508",
                entry="CVE-2025-53770 cna.affected[2].versions[0]",
            ),
        ),
    )
    it = InventoryItem.model_validate(
        {"vendor": "Microsoft", "product": "SharePoint Server", "version": "16.0.10408.20000"}
    )
    c = Case("CVE-2025-53770", [rec])
    m = Match(c.id, "0301", it.display, 0, "product_version", "cve-records", entry)
    out = actions(ActionContext(c, [m], [it], Priority.P2, DEADLINE, "nb"))
    assert out[0].startswith(
        "Oppgrader SharePoint Server 16.0.10408.20000 til 16.0.10417.20037 eller nyere"
    )


@given(st.lists(st.sampled_from(["ord", "Setning.", "lang-ord", "x,", "slutt!"]), max_size=160))
def test_a_long_quote_is_cut_after_a_sentence_or_a_word_never_inside_one(words):
    text = " ".join(words)
    out = _quote(text, "nb")
    inner = out.split("«", 1)[1].rsplit("»", 1)[0]
    assert len(inner) <= QUOTE_MAX
    if len(text) <= QUOTE_MAX:
        assert inner == text
    else:
        kept = inner.removesuffix("…").rstrip()
        assert text.startswith(kept) and text[len(kept)] == " "  # a whole word or sentence
