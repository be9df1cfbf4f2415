"""KEV ``requiredAction`` sentences in bokmål.

Contract: ``translate(text, lang)`` returns the municipality-language sentence for a stock KEV
sentence, or None when the sentence is not in the table (the caller quotes it with a label).
Keys are matched after collapsing white space, case and a trailing full stop. The table covers
the catalogue's stock sentences measured on cisagov/kev-data catalogVersion 2025.08.25 (1,404
entries: 38 distinct strings, 36 after normalising; the 12 here cover 1,372 entries, 97.7 %;
tests/test_bokmaal_actions.py measures it).
The translations address a municipality: CISA's instructions to US agencies become advice,
and references to US directives (BOD 22-01, BOD 23-02) become "leverandørens veiledning".
"""

from __future__ import annotations

from typing import Final

PHRASES: Final[dict[str, str]] = {
    "apply updates per vendor instructions": "Installer leverandørens oppdateringer",
    "apply mitigations per vendor instructions or discontinue use of the product if "
    "mitigations are unavailable": (
        "Ta i bruk leverandørens tiltak, eller slutt å bruke produktet hvis det ikke finnes tiltak"
    ),
    "apply mitigations per vendor instructions, follow applicable bod 22-01 guidance for cloud "
    "services, or discontinue use of the product if mitigations are unavailable": (
        "Ta i bruk leverandørens tiltak (for skytjenester: leverandørens veiledning), eller slutt "
        "å bruke produktet hvis det ikke finnes tiltak"
    ),
    "the impacted product is end-of-life and should be disconnected if still in use": (
        "Produktet får ikke lenger oppdateringer fra leverandøren; koble det fra hvis det "
        "fortsatt er i bruk"
    ),
    "the impacted products are end-of-life and should be disconnected if still in use": (
        "Produktene får ikke lenger oppdateringer fra leverandøren; koble dem fra hvis de "
        "fortsatt er i bruk"
    ),
    "apply updates per vendor instructions or discontinue use of the product if updates are "
    "unavailable": (
        "Installer leverandørens oppdateringer, eller slutt å bruke produktet hvis det ikke "
        "finnes oppdateringer"
    ),
    "apply remediations or mitigations per vendor instructions or discontinue use of the "
    "product if remediation or mitigations are unavailable": (
        "Installer leverandørens rettelser eller ta i bruk tiltakene, eller slutt å bruke "
        "produktet hvis det ikke finnes noen"
    ),
    "the impacted product is end-of-life (eol) and/or end-of-service (eos). users should "
    "discontinue utilization of the product": (
        "Produktet får ikke lenger oppdateringer eller støtte fra leverandøren; slutt å bruke det"
    ),
    "the impacted product could be end-of-life (eol) and/or end-of-service (eos). users should "
    "discontinue product utilization if a current mitigation is unavailable": (
        "Produktet kan være uten oppdateringer og støtte fra leverandøren; slutt å bruke det "
        "hvis det ikke finnes tiltak"
    ),
    "apply mitigations per vendor instructions, follow bod 22-01 guidance for cloud services, "
    "or discontinue use of the product if mitigations are unavailable": (
        "Ta i bruk leverandørens tiltak (for skytjenester: leverandørens veiledning), eller slutt "
        "å bruke produktet hvis det ikke finnes tiltak"
    ),
    "apply updates per vendor instructions or disconnect product if it is end-of-life": (
        "Installer leverandørens oppdateringer, eller koble fra produktet hvis det ikke lenger "
        "får oppdateringer"
    ),
    "apply updates per vendor instructions. if the affected device has since entered "
    "end-of-life, it should be disconnected if still in use": (
        "Installer leverandørens oppdateringer; enheter som ikke lenger får oppdateringer, bør "
        "kobles fra"
    ),
}


#: The stock sentences that say no more than "install the vendor's fix or mitigation, or stop
#: using the product": under a step that names the upgrade to a fixed version they repeat it.
#: The end-of-life sentences are not here: they say something the upgrade step does not.
COVERED_BY_UPGRADE: Final[frozenset[str]] = frozenset(
    k
    for k in PHRASES
    if k.startswith("apply ") and "end-of-life" not in k and "disconnect" not in k
)


def normalise(text: str) -> str:
    """The table key for a sentence: white space collapsed, lower case, no final full stop."""
    return " ".join(text.split()).lower().rstrip(".").strip()


def translate(text: str, lang: str) -> str | None:
    """The stock sentence in ``lang``; English returns the source sentence as it is."""
    if lang == "en":
        return " ".join(text.split()) or None
    return PHRASES.get(normalise(text))
