"""The evidence line of a match, in the municipality's language.

Contract: pure. ``evidence_line(detail, lang, source, language_of)`` turns a `Match.detail` (English,
written by `certbot.match` and `certbot.prose_match` for operators and ``explain``) into the
line a message shows: "7.2.4 er innenfor 7.2.0 til før 7.2.7", "mulig berørt: kilden oppgir
ingen versjon". A part of the detail it does not recognise is left out of the message (it stays
in ``explain``): a message never shows the raw English. The advisory's own sentence is shown
as a labelled quote ("Kildens tekst (engelsk): «…»") unless the source speaks the message's
language. ``with_evidence`` adds the line to the match summaries of a notification.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from certbot.actions import LANGUAGE_NAMES, human_range
from certbot.prose import SENTENCE_MARK

W: dict[str, dict[str, str]] = {
    "nb": {
        "in": "{v} er innenfor {r}",
        "listed": "{v} er oppført som berørt versjon",
        "not_in": "{v} er utenfor {r}",
        "no_range": "mulig berørt: kilden oppgir ingen versjon",
        "no_version": "mulig berørt: dere har ikke oppgitt versjon i inventaret",
        "declared_range": "mulig berørt: oppgitt versjonsområde {a}, kilden oppgir {r}",
        "declared_in": "hele det oppgitte versjonsområdet {a} ligger innenfor {r}",
        "declared_out": "ingen del av det oppgitte versjonsområdet {a} ligger innenfor {r}",
        "not_comparable": "mulig berørt: versjon {v} kan ikke sammenlignes med {r}",
        "mention": "«{name}» er nevnt i varselteksten",
        "negated": "teksten sier at produktet ikke er berørt",
        "below": "{v} er eldre enn rettet versjon {f}",
        "at_or_above": "{v} er lik eller nyere enn rettet versjon {f}",
        "no_branch": "mulig berørt: ingen rettet versjon for grenen til {v} (rettet: {f})",
        "catalogue": "samme produkt etter katalogoppføring {e}",
        "confirmed": "bekreftet av {s}: {rest}",
        "quote": "Kildens tekst ({language}): «{text}»",
        "quote_own": "Kildens tekst: «{text}»",
        "sep": "; ",
    },
    "en": {
        "in": "{v} is within {r}",
        "listed": "{v} is listed as an affected version",
        "not_in": "{v} is outside {r}",
        "no_range": "possibly affected: the source gives no version",
        "no_version": "possibly affected: no version in your inventory",
        "declared_range": "possibly affected: declared range {a}, the source gives {r}",
        "declared_in": "all of the declared range {a} is within {r}",
        "declared_out": "none of the declared range {a} is within {r}",
        "not_comparable": "possibly affected: version {v} cannot be compared with {r}",
        "mention": "“{name}” is named in the advisory text",
        "negated": "the text says the product is not affected",
        "below": "{v} is older than the fixed version {f}",
        "at_or_above": "{v} is at or above the fixed version {f}",
        "no_branch": "possibly affected: no fixed version for the branch of {v} (fixed: {f})",
        "catalogue": "same product by catalogue entry {e}",
        "confirmed": "confirmed by {s}: {rest}",
        "quote": "Source text ({language}): “{text}”",
        "quote_own": "Source text: “{text}”",
        "sep": "; ",
    },
}

_V = r"(?P<v>\S+)(?: \(.*\))?"  # a version, maybe with how it was derived (left out)
_R = r"(?P<r>vers:\S+)"
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"version unknown in the advisory"), "no_range"),
    (re.compile(r"no version declared"), "no_version"),
    (re.compile(r"declared range (?P<a>\S+) vs " + _R), "declared_range"),
    (re.compile(r"declared range (?P<a>\S+) inside " + _R), "declared_in"),
    (re.compile(r"declared range (?P<a>\S+) outside " + _R), "declared_out"),
    (re.compile(r"version " + _V + r" could not be compared with " + _R), "not_comparable"),
    (re.compile(_V + r" not in " + _R), "not_in"),
    (re.compile(_V + r" in " + _R), "in"),
    (re.compile(r"'(?P<name>[^']*)' in the text"), "mention"),
    (re.compile(r"the text says the product is not affected"), "negated"),
    (re.compile(r"(?P<v>\S+) below the fixed version (?P<f>.+)"), "below"),
    (re.compile(r"(?P<v>\S+) at or above the fixed version (?P<f>.+)"), "at_or_above"),
    (re.compile(r"(?P<v>\S+) on no branch fixed in (?P<f>.+)"), "no_branch"),
    (re.compile(r"same product by catalogue entry (?P<e>\S+)"), "catalogue"),
]
_CONFIRMED = re.compile(r"confirmed by (?P<s>[^:]+): (?P<rest>.*)")


def _range(text: str, lang: str) -> str:
    return human_range(text, lang) or text.removeprefix("vers:generic/")


def _part(part: str, lang: str) -> str | None:
    """One '; '-separated part of a detail, localised; None when not recognised."""
    w = W.get(lang, W["en"])
    for pattern, key in PATTERNS:
        if (m := pattern.fullmatch(part.strip())) is not None:
            g = m.groupdict()
            if key == "in" and g["r"] == f"vers:generic/{g['v']}":
                key = "listed"
            for k in ("r", "a"):
                if g.get(k):
                    g[k] = _range(g[k], lang)
            return w[key].format(**g)
    return None


def evidence_line(
    detail: str, lang: str, source: str = "", language_of: Callable[[str], str] = lambda s: "en"
) -> str:
    """The localised evidence of one match's ``detail`` ('' when nothing is recognised);
    ``language_of(source)`` is the language a source writes in (for the quote's label)."""
    w = W.get(lang, W["en"])
    head, _, sentence = detail.partition(SENTENCE_MARK)
    out: list[str] = []
    parts = head.split("; ") if head else []
    for i, part in enumerate(parts):
        if (c := _CONFIRMED.fullmatch(part)) is not None:
            rest = "; ".join(x for p in [c["rest"], *parts[i + 1 :]] if (x := _part(p, lang)))
            if rest:
                out.append(w["confirmed"].format(s=c["s"], rest=rest))
            source = c["s"]  # the sentence quoted is the confirming source's
            break
        if (text := _part(part, lang)) is not None:
            out.append(text)
    if sentence:
        out.append(_quote(sentence.strip().strip('"'), lang, language_of(source)))
    return w["sep"].join(out)


def _quote(text: str, lang: str, source_language: str) -> str:
    w = W.get(lang, W["en"])
    if source_language == lang or (lang, source_language) in (("nb", "nn"), ("nn", "nb")):
        return w["quote_own"].format(text=text)
    name = LANGUAGE_NAMES.get(lang, LANGUAGE_NAMES["en"]).get(source_language, source_language)
    return w["quote"].format(language=name, text=text)


def with_evidence(
    matched: list[dict[str, Any]], lang: str, language_of: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The match summaries with an ``evidence`` line each (``language_of(source)`` names the
    language a source writes in, for the quote label)."""
    for m in matched:
        m["evidence"] = evidence_line(m.get("detail", ""), lang, m.get("source", ""), language_of)
    return matched
