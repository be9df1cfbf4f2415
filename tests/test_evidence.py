"""The evidence line a message shows for a match: localised, never the raw English detail."""

from __future__ import annotations

import pytest

from certbot.planning.evidence import evidence_line, with_evidence

CASES = [
    ("7.2.4 in vers:generic/>=7.2.0|<7.2.7", "7.2.4 er innenfor 7.2.0 til før 7.2.7"),
    ("7.2.4 in vers:generic/7.2.4", "7.2.4 er oppført som berørt versjon"),
    ("7.2.4 not in vers:generic/<7.0", "7.2.4 er utenfor før 7.0"),
    ("version unknown in the advisory", "mulig berørt: kilden oppgir ingen versjon"),
    ("no version declared", "mulig berørt: dere har ikke oppgitt versjon i inventaret"),
    (
        "declared range vers:generic/>=7.0|<8 vs vers:generic/<7.2.7",
        "mulig berørt: oppgitt versjonsområde 7.0 til før 8, kilden oppgir før 7.2.7",
    ),
    (
        "version 15.2.1 (update 14 from the product name) could not be compared with "
        "vers:generic/<15",
        "mulig berørt: versjon 15.2.1 kan ikke sammenlignes med før 15",
    ),
    ("'vmware esxi' in the text", "«vmware esxi» er nevnt i varselteksten"),
    ("7.2.4 below the fixed version 7.2.7", "7.2.4 er eldre enn rettet versjon 7.2.7"),
    (
        "7.2.8 at or above the fixed version 7.2.7",
        "7.2.8 er lik eller nyere enn rettet versjon 7.2.7",
    ),
    (
        "version unknown in the advisory; same product by catalogue entry google/chromium",
        "mulig berørt: kilden oppgir ingen versjon; samme produkt etter katalogoppføring "
        "google/chromium",
    ),
]


@pytest.mark.parametrize(("detail", "expected"), CASES)
def test_each_detail_form_reads_in_bokmaal(detail, expected):
    assert evidence_line(detail, "nb") == expected


def test_an_unknown_english_part_is_left_out_of_the_message():
    assert evidence_line("something new the matcher says", "nb") == ""
    assert evidence_line("no version declared; brand new note", "nb") == (
        "mulig berørt: dere har ikke oppgitt versjon i inventaret"
    )


def test_the_quoted_sentence_is_labelled_with_its_source_language():
    detail = 'version unknown in the advisory; sentence: "Upgrade to 7.2.7"'
    assert evidence_line(detail, "nb", "kev").endswith(
        "Kildens tekst (engelsk): «Upgrade to 7.2.7»"
    )
    own = evidence_line(detail, "nb", "nsm", lambda s: "nb")
    assert own.endswith("Kildens tekst: «Upgrade to 7.2.7»")


def test_a_confirming_source_quotes_in_its_own_language():
    detail = (
        "version unknown in the advisory; confirmed by nsm: 7.2.4 below the fixed version "
        '7.2.7; sentence: "FortiOS er rettet i 7.2.7"'
    )
    langs = {"nsm": "nb", "kev": "en"}
    line = evidence_line(detail, "nb", "kev", lambda s: langs.get(s, "en"))
    assert line == (
        "mulig berørt: kilden oppgir ingen versjon; bekreftet av nsm: 7.2.4 er eldre enn "
        "rettet versjon 7.2.7; Kildens tekst: «FortiOS er rettet i 7.2.7»"
    )


def test_english_messages_get_english_evidence():
    assert evidence_line("7.2.4 in vers:generic/<7.2.7", "en") == "7.2.4 is within before 7.2.7"
    out = with_evidence([{"detail": "no version declared", "source": "x"}], "en", lambda s: "en")
    assert out[0]["evidence"] == "possibly affected: no version in your inventory"
