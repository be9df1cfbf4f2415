"""Bare major-version lists in prose ("SQL Server Management Studio 19 og 20", "versjon 19 og
20", "versions 19 and 20"): each number is its whole major line, in bokmål and English, and
what is not such a list (editions, feature updates, one dotted version) is not read as one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certbot.prose import read
from certbot.versions import version_in

# The corpus sentence (bench/data/quality-cases.yaml, prose-nsm-ssms).
SSMS = (
    "Microsoft har rettet en sårbarhet i SQL Server Management Studio som kan gi kjøring av kode "
    "når en bruker åpner en ondsinnet fil. Sårbarheten gjelder SQL Server Management Studio 19 og "
    "20. SQL Server selv er ikke berørt."
)


def listed(majors: list[int], last: str) -> str:
    """'19', '19 og 20', '19, 20 og 22' (``last`` is the final joiner)."""
    words = [str(n) for n in majors]
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def test_the_corpus_sentence_reads_as_major_19_or_20() -> None:
    r = read(SSMS, "SQL Server Management Studio")
    assert r is not None and r.affected is not None
    assert r.sentence.startswith("Sårbarheten gjelder SQL Server Management Studio 19 og 20")
    assert [r.verdict(v) for v in ("18.12.1", "19.0", "19.3.4", "20.2", "21.0")] == [
        False,
        True,
        True,
        True,
        False,
    ]


# Sentence forms per language: "{list}" is the list, its last joiner after the "|".
FORMS = {
    "nb": """Sårbarheten gjelder Produkt {list}.|og
        Sårbarheten gjelder Produkt versjon {list}.|og
        En feil i Produkt. Sårbarheten gjelder versjonene {list}.|og
        Produkt {list} er berørt.|eller""",
    "en": """The flaw affects Product {list}.|and
        The flaw affects Product versions {list}.|and
        A flaw in Product. Versions {list} are affected.|and
        The flaw affects Product {list}.|, and""",
}
FORM_LIST = [
    (lang, *line.strip().split("|")) for lang, text in FORMS.items() for line in text.splitlines()
]


@given(
    st.lists(st.integers(1, 99), min_size=2, max_size=4, unique=True),
    st.sampled_from(FORM_LIST),
    st.tuples(st.integers(0, 120), st.integers(0, 30), st.integers(0, 9999)),
)
def test_a_major_list_reads_as_those_major_lines(majors, form, version) -> None:  # type: ignore[no-untyped-def]
    lang, template, last = form
    joined = listed(majors, last).replace(" , and", ", and")
    r = read(template.format(list=joined), "Produkt" if lang == "nb" else "Product")
    assert r is not None and r.affected is not None, template
    v = ".".join(map(str, version))
    assert r.verdict(v) is (version[0] in majors)
    for n in majors:  # each line whole: its first and a late version, and nothing next to it
        assert version_in(f"{n}.0", r.affected) and version_in(f"{n}.99.9", r.affected)
        assert version_in(f"{n + 1}.0", r.affected) is (n + 1 in majors)


@pytest.mark.parametrize(
    "sentence",
    [
        "Sårbarheten gjelder Exchange Server 2016 og 2019.",  # editions, not versions
        "Sårbarheten gjelder Produkt 20H2 og 21H1.",  # feature updates
        "Sårbarheten gjelder Produkt 7.2 og 20.",  # a dotted version no form explains
        "Sårbarheten gjelder Produkt 19.",  # one number alone is often part of the name
        "Produkt har 19 og 20 feil.",  # numbers elsewhere in the sentence, no version word
    ],
)
def test_what_is_not_a_major_list_gives_no_range(sentence: str) -> None:
    name = "Exchange Server" if "Exchange" in sentence else "Produkt"
    r = read(sentence, name)
    assert r is not None and r.affected is None
