"""The text rule's version verdict: what a prose advisory's sentences say about one item.

Used by `certbot.match` for the ``text`` rule. Contract:

- ``item_reading`` reads the text for the item's product name, then its aliases (and their
  `item_names` spellings), and returns
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
- ``versionless`` says whether an item was matched without versions, the only items a
  structured advisory without products may decide through its text; ``spelled_in`` whether
  a structured source gives versions for the item's own spelling.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from certbot import identity, prose
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
    for name in (e for n in item_names(item) for e in edition_names(n)):
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


def spelled_in(item: InventoryItem, versioned: set[str]) -> bool:
    """Does a structured source give versions for the item's own spelling (vendor|name)?"""
    vendor = norm(item.vendor)
    names = {norm(item.product), *(norm(a) for a in item.aliases)}
    return any(f"{vendor}|{n}" in versioned for n in names)


def not_for_text(ref: Any, versioned: set[str], best: dict[Key, Match], structured: bool) -> bool:
    """Does the text rule leave this item alone? Yes where a structured source already said
    whether its version is hit, and, for a structured advisory without products, where no
    other source matched it without versions (`versionless`)."""
    if not ref.ikeys.isdisjoint(versioned) or spelled_in(ref.item, versioned):
        return True
    return structured and not versionless(best, ref)


def versionless(best: dict[Key, Match], ref: Any) -> bool:
    """Did another source match this item without versions (KEV: "possibly affected")? Only
    such an item may a structured advisory without products (a CVE record whose CNA wrote
    "n/a") decide through its description ("8.8.x before 8.8.11 patch 3"): the description
    never makes a match of its own."""
    m = best.get((ref.subscriber, ref.index))
    return m is not None and m.rule == "product_no_version"


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


def edition_names(name: str) -> list[str]:
    """The name, and how advisories name it together with its sister edition: Atlassian
    writes "Confluence Data Center and Server" for both "Confluence Data Center" and
    "Confluence Server" (Jira, Bitbucket, Bamboo and Crowd alike)."""
    base, _, last = name.rpartition(" ")
    return [name, f"{base} Data Center and Server"] if base and last.lower() == "server" else [name]


def item_names(item: InventoryItem) -> tuple[str, ...]:
    """The item's product name, its aliases, and the long name or abbreviation of each
    (`certbot.identity.spellings`: "Ivanti EPMM" is "Ivanti Endpoint Manager Mobile (EPMM)")."""
    own = (item.product, *item.aliases)
    more = (s for n in own for s in identity.spellings(item.vendor, n))
    return tuple(dict.fromkeys((*own, *more)))


def text_keys(item: InventoryItem) -> set[str]:
    """The phrases the text rule looks for: each of the `item_names` (with `edition_names`),
    vendor-qualified when short."""
    names = {norm(n) for name in item_names(item) for n in edition_names(name)}
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
