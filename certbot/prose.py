"""Reading prose advisories: versions, fixes, negations, CVSS scores and withdrawals.

Contract:

- ``read(text, product)`` finds the sentences that name ``product`` (not as part of a longer
  product name) and reads them. It returns None when the product is not named, else one
  `ProseReading`: ``affected`` is a ``vers:generic/...`` range string that
  `certbot.versions.parse_range` understands (or None), ``fixed`` the fixed versions (one per
  branch), ``negated`` whether the text takes the product out ("gjelder ikke X"), and
  ``sentence`` the sentence it came from. Every reading carries its sentence.
- A sentence that cannot be read yields no range, never a wrong one: a version number in the
  product's part of the sentence that no form accounts for makes ``affected`` None.
- ``phrase_constraints(text)`` reads a text that is nothing but one version phrase ("5.6.9
  and below", "prior to 7.4.4", "7.2.0 through 7.2.6", as CVE records write in ``version``)
  into ``vers`` constraints ("<=5.6.9"), or None when anything in it is left unexplained.
- ``read_cvss(text)`` returns the highest CVSS base score written in the text, or None.
- ``withdrawn(title, summary)`` says whether the item announces a withdrawn or rejected CVE.
- ``names_longer(words, end)`` says whether the normalised words after an inventory name
  continue it into a longer product name ("SQL Server" + "Management Studio").

The phrase forms are in `certbot.prose_forms`. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from certbot import prose_forms as f
from certbot.versions import normalise_version, parse_range, same_version, version_in

__all__ = [
    "KNOWN_LONGER_NAMES",
    "SENTENCE_MARK",
    "ProseReading",
    "names_longer",
    "quote",
    "read",
    "read_all",
    "read_cvss",
    "split_detail",
    "withdrawn",
]

KNOWN_LONGER_NAMES = f.KNOWN_LONGER_NAMES
SENTENCE_MARK = "; sentence: "  # how a match's detail carries the sentence it came from
QUOTE_MAX = 300
_JOINERS = {"and", "og", "&"}


@dataclass(frozen=True, slots=True)
class ProseReading:
    """What one sentence says about one product."""

    sentence: str
    affected: str | None = None  # a vers: range string, or None when not stated or unreadable
    fixed: tuple[str, ...] = ()  # fixed versions, one per branch
    negated: bool = False  # the sentence says the product is not affected
    # versions the text says are not affected ("Versjoner før 10.2.0 er ikke berørt"), and the
    # sentence that says so (it may be another sentence than ``sentence``)
    unaffected: str | None = None
    unaffected_sentence: str = ""

    @property
    def has_versions(self) -> bool:
        return self.affected is not None or bool(self.fixed) or self.unaffected is not None

    def verdict(self, version: str) -> bool | None:
        """Is ``version`` affected according to this sentence? None: the sentence cannot tell."""
        if self.negated or (self.unaffected and version_in(version, self.unaffected)):
            return False
        if self.affected is not None:
            return version_in(version, self.affected)
        return _fixed_verdict(version, self.fixed)


def quote(sentence: str) -> str:
    """The suffix a match's detail gets for the sentence it was read from ("" for none)."""
    if not sentence:
        return ""
    s = sentence if len(sentence) <= QUOTE_MAX else sentence[: QUOTE_MAX - 1].rstrip() + "…"
    return f'{SENTENCE_MARK}"{s}"'


def split_detail(detail: str) -> tuple[str, str | None]:
    """A match's detail -> (the verdict part, the quoted sentence or None)."""
    head, mark, sentence = detail.partition(SENTENCE_MARK)
    return (head, sentence) if mark else (detail, None)


def _fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces ('SQL Server®' -> 'sql server')."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = (w.strip(".") for w in re.sub(r"[^a-z0-9.+]+", " ", t).split())
    return " ".join(w for w in words if w)


def names_longer(
    words: Sequence[str], end: int, longer: Iterable[str] = f.KNOWN_LONGER_NAMES, start: int = 0
) -> bool:
    """Do ``words[end:]`` continue ``words[start:end]`` into a longer product name?

    Yes when the next word is a continuation word (`prose_forms.CONTINUATION_WORDS`) or the
    words from ``start`` begin one of the ``longer`` names (normalised, space-separated)."""
    if end < len(words) and words[end] in f.CONTINUATION_WORDS:
        return True
    name = " ".join(words[start:end])
    tail = " ".join(words[start : end + 4])
    return any(n.startswith(name + " ") and (tail + " ").startswith(n + " ") for n in longer)


@lru_cache(maxsize=4096)
def _mention(product: str) -> re.Pattern[str] | None:
    words = [w for w in re.split(r"[\W_]+", product) if w and w.lower() not in _JOINERS]
    if not words:
        return None
    sep = r"[\W_]+(?:(?:and|og)[\W_]+)?"
    return re.compile(r"(?<!\w)" + sep.join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)


def _mentions(sentence: str, product: str) -> list[re.Match[str]]:
    """Where the sentence names the product itself, not a longer product containing it."""
    pattern = _mention(product)
    if pattern is None:
        return []
    out = []
    for m in pattern.finditer(sentence):
        name = _fold(m.group(0)).split()
        rest = _fold(sentence[m.end() : m.end() + 80]).split()
        if not names_longer([*name, *rest], len(name)):
            out.append(m)
    return out


def sentences(text: str) -> list[str]:
    """Split prose into sentences (a period after a version number ends one too)."""
    return [s.strip() for s in f.SENTENCE_END.split(text) if s and s.strip()]


def _segment(sentence: str, at: int) -> tuple[int, int]:
    """The part of the sentence about the product named at ``at``: up to where it moves on
    to another product ("..., og FortiProxy 7.0.0 til 7.0.15")."""
    start, end = 0, len(sentence)
    for m in f.OTHER_PRODUCT.finditer(sentence):
        if m.end() <= at:
            start = m.end()
        elif m.start() > at:
            end = m.start()
            break
    return start, end


def _clause(sentence: str, start: int, end: int) -> str:
    left = 0
    right = len(sentence)
    for m in f.CLAUSE_END.finditer(sentence):
        if m.end() <= start:
            left = m.end()
        elif m.start() >= end:
            right = m.start()
            break
    return sentence[left:right]


def _negated(sentence: str, m: re.Match[str]) -> bool:
    clause = _clause(sentence, m.start(), m.end())
    return bool(f.NEGATION.search(clause) or f.NOT_BEFORE.search(sentence[: m.start()]))


def _v(text: str) -> str:
    return normalise_version(text)


def _constraints(name: str, m: re.Match[str]) -> tuple[list[str], list[str]]:
    """(vers constraints, fixed versions) of one matched form."""
    g = m.groups()
    if name in ("fixed", "upgrade"):
        return [], [_v(x) for x in f.VERSION.findall(g[0])]
    if name == "after_before":
        return [f">{_v(g[0])}", f"<{_v(g[1])}"], []
    if name == "between_excl":
        return [f">={_v(g[0])}", f"<{_v(g[1])}"], []
    if name == "between":
        return [f">={_v(g[0])}", f"<={_v(g[2])}"], []
    if name == "dash":
        return [f">={_v(g[0])}", f"<={_v(g[1])}"], []
    if name == "branch_before":  # groups: branch, patched bound, its patch, plain bound
        upper = f"<={_v(g[1])}" if g[1] else f"<{_v(g[3])}"
        return [f">={_v(g[0])}", upper], []
    if name == "before_patch":
        return [f"<={_v(g[0])}"], []
    if name == "before":
        return [f"<{_v(g[0])}"], []
    return [f"<={_v(g[0])}"], []  # through, and_earlier


def _scan(scope: str) -> tuple[list[str], list[str], bool]:
    """Read every form in the scope, left to right: (constraints, fixed, all accounted for)."""
    cons: list[str] = []
    fixed: list[str] = []
    used: list[tuple[int, int]] = []
    readable = True
    pos = 0
    while pos < len(scope):
        best: tuple[int, str, re.Match[str]] | None = None
        for name, pattern in f.RANGE_FORMS:
            m = pattern.search(scope, pos)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), name, m)
        if best is None:
            break
        _, name, m = best
        if name == "between" and m.group(2).lower() in f.BARE_BETWEEN:
            # "upgrade FortiOS 7.2.4 to 7.2.7" is a from/to, not an affected range
            readable = readable and not f.UPGRADE_WORD.search(scope[: m.start()])
        if name == "dash" and _parts(m.group(1))[0] != _parts(m.group(2))[0]:
            readable = False  # "13.1-49.15" is a Citrix build, not the range 13.1 to 49.15
        c, x = _constraints(name, m)
        cons += c
        fixed += x
        used.append(m.span())
        pos = m.end()
    used += [m.span() for m in f.CVSS.finditer(scope)]  # "(CVSS 9.8)" is not a version
    for v in f.NUMBER.finditer(scope):
        if not any(a <= v.start() < b for a, b in used):
            readable = False  # a version no form explains: do not guess
    return cons, fixed, readable


def phrase_constraints(text: str) -> list[str] | None:
    """The constraints of a text that is only version phrases, else None (never a guess)."""
    cons, fixed, readable = _scan(text)
    if not readable or fixed or not cons:
        return None
    rest = text
    for _, pattern in f.RANGE_FORMS:
        rest = pattern.sub(" ", rest)
    # only list glue may remain ("5.6.9 and below, 6.0.5 and below")
    return cons if not re.sub(r"(?:,|;|\b(?:and|or|og|eller)\b|\s)+", "", rest) else None


def _same_branch_once(cons: list[str]) -> list[str]:
    """Two ranges from one branch ("8.8.x before 8.8.10 patch 7 or 8.8.x before 8.8.11 patch
    3") become the wider one: a vers range names each bound once."""
    merged: list[str] = []
    lower_at: dict[str, int] = {}  # a lower bound -> where its pair stands in ``merged``
    i = 0
    while i < len(cons):
        lo, hi = cons[i], cons[i + 1] if i + 1 < len(cons) else ""
        if not (lo[0] == ">" and hi[:1] == "<"):
            merged.append(lo)
            i += 1
            continue
        if lo not in lower_at:
            lower_at[lo] = len(merged)
            merged += [lo, hi]
        elif version_in(hi.lstrip("<="), "vers:generic/" + merged[lower_at[lo] + 1]) is False:
            merged[lower_at[lo] + 1] = hi  # the later upper bound covers the earlier one
        i += 2
    return merged


def _range(cons: list[str]) -> str | None:
    if not cons:
        return None
    text = "vers:generic/" + "|".join(_same_branch_once(cons))
    return text if parse_range(text) is not None else None


def _majors(sentence: str, after: int, start: int, end: int) -> str | None:
    """ "Studio 19 og 20", "versjon 19 og 20": every version of those major lines, else None."""
    found = f.MAJOR_LIST_AFTER_NAME.match(sentence, after, end)
    found = found or f.MAJOR_LIST.search(sentence, start, end)
    if found is None:
        return None
    runs: list[list[int]] = []  # consecutive majors as one range: 19 og 20 = >=19|<21
    for n in sorted({int(x) for x in f.MAJOR.findall(found.group(1))}):
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return _range([c for lo, hi in runs for c in (f">={lo}", f"<{hi + 1}")])


def _read_sentence(sentence: str, m: re.Match[str]) -> ProseReading:
    start, end = _segment(sentence, m.start())
    scope = sentence[start:end]
    if _negated(sentence, m):
        # "FortiOS 7.4 er ikke berørt" names versions: not a statement about the product.
        clause = _clause(sentence, m.start(), m.end())
        if f.VERSION.search(clause):
            # "Versjoner før 10.2.0 er ikke berørt": a range that is not affected, if readable
            cons, fixed, readable = _scan(clause)
            rng = _range(cons) if readable and not fixed else None
            return ProseReading(
                sentence, unaffected=rng, unaffected_sentence=sentence if rng else ""
            )
        return ProseReading(sentence, negated=True)
    cons, fixed, readable = _scan(scope)
    affected = _range(cons) if readable else None
    if readable and not cons and f.ALL_VERSIONS.search(scope):
        affected = "vers:generic/*"
    elif readable and not cons and not fixed:
        affected = _majors(sentence, m.end(), start, end)
    return ProseReading(sentence, affected=affected, fixed=tuple(dict.fromkeys(fixed)))


def read_all(text: str, product: str) -> list[ProseReading]:
    """One reading per sentence that names the product (in text order), and per sentence
    that goes on about it without naming anything (`prose_forms.CARRY_ON`) while the product
    is the last thing the text named."""
    out = []
    current = False
    for sentence in sentences(text):
        found = _mentions(sentence, product)
        if found:
            out.append(_read_sentence(sentence, found[0]))
            current = True
        elif f.NAMES_SOMETHING.search(sentence):
            current = False  # the text has moved on to something else
        elif current and (m := f.CARRY_ON.match(sentence)):
            out.append(_read_sentence(sentence, m))
    return out


def read(text: str, product: str) -> ProseReading | None:
    """The reading that decides: a sentence with a range, else one with fixed versions, else
    a negation, else the first mention. None when the text does not name the product."""
    readings = read_all(text, product)
    if not readings:
        return None
    chosen = readings[0]
    for test in (
        lambda r: r.affected is not None,
        lambda r: bool(r.fixed),
        lambda r: r.negated,
        lambda r: r.unaffected is not None,
    ):
        found = next((r for r in readings if test(r)), None)
        if found is not None:
            chosen = found
            break
    out = next((r for r in readings if r.unaffected is not None), None)
    if out is not None and chosen.unaffected is None:  # "…; versions before 10.2.0 are not"
        chosen = replace(chosen, unaffected=out.unaffected, unaffected_sentence=out.sentence)
    return chosen


def _parts(version: str) -> list[str]:
    return normalise_version(version).split(".")


def _below(version: str, fixed: str) -> bool | None:
    return version_in(version, f"vers:generic/<{fixed}")


def _fixed_verdict(version: str, fixed: tuple[str, ...]) -> bool | None:
    """Fixed versions alone: below the fix of its own branch is affected, at or above it not.

    With one fixed version every older version is affected ("oppdater til 12.1 eller nyere").
    With several ("7.4.3, 7.2.7, 7.0.14"), the version's branch is the fix that shares all
    but its last number; a version newer than every fix is not affected; a version on a
    branch no fix names cannot be told."""
    if not fixed:
        return None
    if len(fixed) == 1:
        return _below(version, fixed[0])
    if any(same_version(version, x) for x in fixed):
        return False
    parts = _parts(version)
    for x in fixed:
        branch = _parts(x)[:-1]
        if branch and parts[: len(branch)] == branch:
            return _below(version, x)
    if all(_below(version, x) is False for x in fixed):
        return False
    return None


def read_cvss(text: str) -> float | None:
    """The highest CVSS base score written in the text ("CVSS 9.8", "CVSS-score 8,1")."""
    scores = []
    for m in f.CVSS.finditer(text):
        value = float(m.group(1).replace(",", "."))
        if 0.0 <= value <= 10.0:
            scores.append(value)
    return max(scores) if scores else None


def withdrawn(title: str, summary: str = "") -> bool:
    """Does the item announce a withdrawn or rejected CVE ("trukket tilbake", "REJECT")?"""
    return any(p.search(title) or p.search(summary) for p in f.WITHDRAWN)
