"""The text rule's version verdict: what a prose advisory's sentences say about one item.

Used by `certbot.match` for the ``text`` rule. Contract:

- ``item_reading`` reads the text for the item's product name, then its aliases, and returns
  the first reading that gives versions or a negation (else the first mention, else None).
- ``text_verdict`` turns a reading into (affected?, detail): True or False when the sentence
  gives a range or fixed versions and the item declares a version, or negates the product;
  None when the item is only "possibly affected". The detail always quotes the sentence
  (`prose.quote`), so `explain` can show it.
- ``text_hits`` finds the inventory names in a text (``lengths_by_first_word`` indexes them
  by first word, so a text costs one look-up per word), except where the words after a name
  continue it into a longer product ("SQL Server Management Studio" is not "SQL Server").
- ``keep_text`` records a text match: prose that decides the version decides over a source
  without versions ("prose over nothing", DOMAIN.md "Matching"): a confirmed verdict of its
  own, not a note on KEV's versionless match.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from certbot import prose
from certbot.config import InventoryItem
from certbot.identity.names import norm
from certbot.model import AffectedProduct, Match
from certbot.versions import version_in

VersionVerdict = Callable[[InventoryItem, AffectedProduct], tuple[bool | None, str]]
Key = tuple[str, int]
R = TypeVar("R")


def lengths_by_first_word(names: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """First word -> the word counts (ascending) of the names that start with it."""
    found: dict[str, set[int]] = defaultdict(set)
    for name in names:
        words = name.split(" ")
        found[words[0]].add(len(words))
    return {w: tuple(sorted(n)) for w, n in found.items()}


def text_hits(
    text: str,
    names: Mapping[str, Sequence[R]],
    lengths: Mapping[str, tuple[int, ...]],
    longer: Iterable[str],
) -> list[tuple[R, str]]:
    """(ref, name) for each ref of each name in the text, each ref once, in text order."""
    words = norm(text).split()
    hits: list[tuple[R, str]] = []
    seen: set[int] = set()  # id(ref): one ref per inventory item
    count = len(words)
    for i, first in enumerate(words):
        for n in lengths.get(first, ()):
            if i + n > count:
                break
            phrase = " ".join(words[i : i + n])
            refs = names.get(phrase, ())
            if refs and prose.names_longer(words, i + n, longer, start=i):
                continue
            for ref in refs:
                if id(ref) not in seen:
                    seen.add(id(ref))
                    hits.append((ref, phrase))
    return hits


def item_reading(
    text: str, item: InventoryItem, cache: dict[str, prose.ProseReading | None]
) -> prose.ProseReading | None:
    """What the text's sentences say about the item (product name first, then aliases)."""
    found = None
    for name in (item.product, *item.aliases):
        if name not in cache:
            cache[name] = prose.read(text, name)
        reading = cache[name]
        if reading is not None and (reading.has_versions or reading.negated):
            return reading
        found = found or reading
    return found


def text_verdict(
    item: InventoryItem,
    name: str,
    reading: prose.ProseReading | None,
    version_verdict: VersionVerdict,
) -> tuple[bool | None, str]:
    """(affected?, detail) of one text hit; ``version_verdict`` compares a range (match.py)."""
    detail = f"'{name}' in the text"
    if reading is None:
        return None, detail
    if reading.unaffected and item.version and version_in(item.version, reading.unaffected):
        said = prose.quote(reading.unaffected_sentence)
        return (
            False,
            f"{item.version} in {reading.unaffected}, which the text says is not affected{said}",
        )
    quoted = prose.quote(reading.sentence)
    if reading.negated:
        return False, f"the text says the product is not affected{quoted}"
    if reading.affected is not None:
        p = AffectedProduct(
            item.vendor, item.product, versions=reading.affected, evidence=reading.sentence
        )
        verdict, why = version_verdict(item, p)
        return verdict, f"{why}{quoted}"
    if reading.fixed and item.version:
        verdict = reading.verdict(item.version)
        fixes = ", ".join(reading.fixed)
        if verdict is not None:
            how = "below" if verdict else "at or above"
            return verdict, f"{item.version} {how} the fixed version {fixes}{quoted}"
        return None, f"{item.version} on no branch fixed in {fixes}{quoted}"
    return None, f"{detail}{quoted}"


def keep_text(
    best: dict[Key, Match],
    by_prose: dict[Key, bool],
    m: Match,
    verdict: bool | None,
    keep: Callable[[dict[Key, Match], Match], None],
) -> None:
    """Record text match ``m``. "Not affected" removes a possible match (product named, no
    versions); "affected" replaces a bare mention or a versionless structured match (KEV):
    a confirmed prose verdict of its own (version_source "prose"). Between two prose sentences,
    "affected" wins; a mention without versions never undoes a prose verdict."""
    key = (m.subscriber_id, m.item_index)
    old = best.get(key)
    if verdict is None:
        if key not in by_prose:
            keep(best, m)
    elif verdict:
        by_prose[key] = True
        if old is None or old.rule == "text":
            best[key] = m
        elif old.rule == "product_no_version":
            best[key] = m  # a confirmed verdict in its own right, over a versionless source
    elif by_prose.get(key) is not True:
        by_prose[key] = False
        if old is not None and old.rule in ("product_no_version", "text"):
            del best[key]


def text_keys(item: InventoryItem) -> set[str]:
    """The phrases the text rule looks for: each name and alias, vendor-qualified when short."""
    names = {norm(item.product), *(norm(a) for a in item.aliases)}
    vendor = norm(item.vendor)
    out = set()
    for n in names:
        if not n:
            continue
        # A short single word ("asa", "esxi") is only trusted with its vendor before it.
        if len(n.split()) == 1 and len(n) < 6:
            out.add(f"{vendor} {n}")
        else:
            out.add(n)
        out.add(f"{vendor} {n}")
    return out
