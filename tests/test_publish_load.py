"""Reading drafts: YAML and Markdown front matter, located problems, ranges as certbot reads
them, and a property test that any text gives a Draft or a DraftError, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certbot.publish.advisory import to_advisory, what_changed
from certbot.publish.draft import Draft, Product, PublishedAdvisory, Revision
from certbot.publish.load import DraftError, load_draft, parse_draft, range_of

GOOD = "title: T\ntlp: CLEAR\nsummary: S\n"


def problems(text: str, *, markdown: bool = False) -> list[str]:
    with pytest.raises(DraftError) as err:
        parse_draft(text, "d.yaml", markdown=markdown)
    return err.value.problems


def test_examples_load() -> None:
    for path in sorted((Path(__file__).parent.parent / "examples" / "advisories").iterdir()):
        draft = load_draft(path)
        assert draft.title and draft.summary, path


def test_markdown_body_becomes_details(tmp_path: Path) -> None:
    p = tmp_path / "a.md"
    p.write_text("---\n" + GOOD + "tlp_en: x\n---\n# Overskrift\n\nTekst.\n", encoding="utf-8")
    with pytest.raises(DraftError) as err:
        load_draft(p)
    assert err.value.problems == [
        f"{p}: tlp_en: unknown key (did you mean 'title_en'?); remove it or fix its spelling "
        "(line 5)"
    ]
    p.write_text("---\n" + GOOD + "---\n# Overskrift\n\nTekst.\n", encoding="utf-8")
    assert load_draft(p).details == "# Overskrift\n\nTekst."


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (GOOD.replace("CLEAR", "ORANGE"), "d.yaml: tlp: 'ORANGE' is not allowed; use 'CLEAR'"),
        (GOOD + "products:\n  - vendor: F\n    product: P\n    versions: banan\n",
         "d.yaml: products[0].versions: 'banan' is not a version range certbot can read"),
        (GOOD + "products:\n  - vendor: F\n    product: P\n    versions: 'vers:generic/>='\n",
         "d.yaml: products[0].versions: 'vers:generic/>=' is not a vers: range"),
        (GOOD + "cves: [CVE-24-1]\n", "d.yaml: cves: not a CVE id (CVE-YYYY-NNNN): CVE-24-1"),
        (GOOD + "id: kcert-1\n", "d.yaml: id: 'kcert-1' is not an advisory id"),
        (GOOD + "recipients:\n  municipalities: ['301']\n",
         "d.yaml: recipients.municipalities: not a four-digit kommunenummer: 301"),
        ("title: T\ntlp: CLEAR\n", "d.yaml: summary: required key is missing; add it"),
        ("- a\n", "d.yaml: (top level): expected a mapping"),
        ("title: [\n", "d.yaml: (syntax): YAML syntax error at line 2"),
    ],
)  # fmt: skip
def test_bad_drafts_are_located(text: str, want: str) -> None:
    found = problems(text)
    assert any(p.startswith(want) for p in found), found
    if "products" in want:
        assert found[0].endswith("(line 7)")


def test_markdown_needs_front_matter() -> None:
    assert "starts with a line '---'" in problems("title: T\n", markdown=True)[0]
    assert "no closing '---'" in problems("---\n" + GOOD, markdown=True)[0]


def test_tlp_spellings_and_ranges() -> None:
    draft = parse_draft(GOOD.replace("CLEAR", "tlp:amber+strict"), "d.yaml")
    assert draft.tlp == "AMBER+STRICT"
    p = Product(vendor="Fortinet", product="FortiOS", versions="7.2.0 til 7.2.6")
    assert range_of(p) == "vers:generic/>=7.2.0|<=7.2.6"
    assert range_of(p.model_copy(update={"versions": "før 7.2.7"})) == "vers:generic/<7.2.7"
    assert range_of(p.model_copy(update={"versions": None})) is None


def test_what_changed_in_bokmaal() -> None:
    old = parse_draft(GOOD + "products:\n  - {vendor: F, product: P, versions: før 2.0}\n", "d")
    new = old.model_copy(
        update={
            "exploited": True,
            "products": (Product(vendor="F", product="P", versions="før 2.0", fixed=("2.0",)),),
        }
    )
    assert what_changed(old, new) == [
        "Sårbarheten er nå kjent utnyttet",
        "Rettet versjon for F P: 2.0",
    ]
    assert what_changed(old, old) == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.booleans())
def test_any_text_gives_a_draft_or_located_problems(text: str, markdown: bool) -> None:
    try:
        draft = parse_draft(text, "d.yaml", markdown=markdown)
    except DraftError as exc:
        assert exc.problems and all(p.startswith("d.yaml: ") for p in exc.problems)
    else:
        assert isinstance(draft, Draft)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_readable_range_becomes_an_advisory(versions: str) -> None:
    p = Product(vendor="Fortinet", product="FortiOS", versions=versions)
    try:
        rng = range_of(p)
    except ValueError:
        return
    assert rng is None or rng.startswith("vers:") or versions.strip() == ""
    assert to_advisory_ok(p)


def to_advisory_ok(p: Product) -> bool:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    draft = Draft(id="KCERT-2026-0001", title="T", tlp="GREEN", summary="S", products=(p,))
    pub = PublishedAdvisory(
        draft=draft, revision=1, initial=now, current=now,
        history=(Revision(number=1, date=now, summary="Første versjon", operator="x"),),
    )  # fmt: skip
    adv = to_advisory(pub)
    return adv.source == "srm" and adv.structured and len(adv.products) == 1
