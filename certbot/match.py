"""Matching: which municipalities does a case concern, through which item, by which rule.

Pure. `Matcher` builds an index over every municipality's inventory once (keyed by
normalised vendor/product, aliases, CPE vendor:product and PURL type/namespace/name), so a
case costs a few dictionary look-ups per product it names, not a scan of every inventory.
Versions are compared through `certbot.versions`, which parses each distinct string once.

Rules, strongest first (DOMAIN.md "Matching"):

1. ``cpe`` / ``purl``: identity plus the declared version inside the advisory's range;
2. ``product_version``: vendor/product (normalised, aliases) plus version inside the range;
3. ``product_no_version``: vendor/product, but a version is missing or unreadable on one side
   ("possibly affected");
4. ``text``: the product name or an alias appears in a prose advisory's title or summary
   (not as the start of a longer product name); when the sentence gives versions, fixed
   versions or a negation (`certbot.prose_match`), it decides affected or not affected.

A product listed as ``fixed`` or ``not_affected`` for the declared version never matches, and
a declared version outside the affected range does not match.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from certbot import prose, prose_match
from certbot.config import InventoryItem, SubscriberConfig
from certbot.model import AffectedProduct, Case, Match
from certbot.versions import parse_range, same_version, version_in

RULE_ORDER = {"cpe": 0, "purl": 0, "product_version": 1, "product_no_version": 2, "text": 3}
_STOP = {
    "inc",
    "corp",
    "corporation",
    "ltd",
    "llc",
    "the",
    "and",
    "software",
    "systems",
    "co",
    "as",
}


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """'Microsoft Exchange Server®' -> 'microsoft exchange server'."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"[^a-z0-9.+]+", " ", t)
    words = (w.strip(".") for w in t.split())
    return " ".join(w for w in words if w and w not in _STOP)


@lru_cache(maxsize=65536)
def _cpe_parts(cpe: str) -> tuple[str, str, str] | None:
    """cpe:2.3:o:fortinet:fortios:7.2.4:... -> ('fortinet', 'fortios', '7.2.4')."""
    parts = re.split(r"(?<!\\):", cpe)
    if len(parts) < 6 or parts[0] != "cpe" or parts[1] != "2.3":
        return None
    return parts[3].lower(), parts[4].lower(), parts[5]


@lru_cache(maxsize=65536)
def _purl_key(purl: str) -> tuple[str, str | None] | None:
    from packageurl import PackageURL

    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    ns = f"{p.namespace}/" if p.namespace else ""
    return f"{p.type}/{ns}{p.name}".lower(), p.version


@dataclass(frozen=True, slots=True)
class _Ref:
    subscriber: str
    index: int
    item: InventoryItem


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building the index allocates one small acyclic object per inventory item (120,000 at
    national load); the cyclic collector would rescan the whole heap several times meanwhile."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Matcher:
    """An index over every municipality's inventory."""

    longer_names: frozenset[str] = prose.KNOWN_LONGER_NAMES  # text rule: names that are not ours

    def __init__(self, subscribers: Iterable[SubscriberConfig]):
        with _gc_paused():
            self._build(subscribers)

    def _build(self, subscribers: Iterable[SubscriberConfig]) -> None:
        self.by_name: dict[str, list[_Ref]] = defaultdict(list)
        self.by_cpe: dict[str, list[_Ref]] = defaultdict(list)
        self.by_purl: dict[str, list[_Ref]] = defaultdict(list)
        self.text_names: dict[str, list[_Ref]] = defaultdict(list)
        # Keys are computed once per distinct (vendor, product, aliases), CPE and PURL string
        # (400 municipalities declare the same few thousand products over and over); what is
        # kept per distinct value is the index lists an item with it joins.
        named: dict[tuple[str, str, tuple[str, ...]], list[list[_Ref]]] = {}
        cpes: dict[str, list[_Ref] | None] = {}
        purls: dict[str, list[_Ref] | None] = {}
        for sub in subscribers:
            sid = sub.id
            for i, item in enumerate(sub.inventory):
                ref = _Ref(sid, i, item)
                ident = (item.vendor, item.product, item.aliases)
                if (lists := named.get(ident)) is None:
                    lists = named[ident] = [
                        *(self.by_name[k] for k in self._name_keys(item)),
                        *(self.text_names[n] for n in self._text_keys(item)),
                    ]
                for lst in lists:
                    lst.append(ref)
                if cpe := item.cpe:
                    if cpe not in cpes:
                        parts = _cpe_parts(cpe)
                        cpes[cpe] = self.by_cpe[f"{parts[0]}:{parts[1]}"] if parts else None
                    if (by_cpe := cpes[cpe]) is not None:
                        by_cpe.append(ref)
                if purl := item.purl:
                    if purl not in purls:
                        pk = _purl_key(purl)
                        purls[purl] = self.by_purl[pk[0]] if pk else None
                    if (by_purl := purls[purl]) is not None:
                        by_purl.append(ref)
        self.max_words = max((len(n.split()) for n in self.text_names), default=1)

    @staticmethod
    def _name_keys(item: InventoryItem) -> set[str]:
        vendor = norm(item.vendor)
        keys = {f"{vendor}|{norm(item.product)}"}
        for alias in item.aliases:
            a = norm(alias)
            keys.add(f"{vendor}|{a}")
            keys.add(f"*|{a}")  # an alias may carry its own vendor words
        return keys

    @staticmethod
    def _text_keys(item: InventoryItem) -> set[str]:
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

    # --- structured products ------------------------------------------------------------

    def _candidates(self, p: AffectedProduct) -> list[tuple[_Ref, str]]:
        """Inventory items that name the same product, with the identity rule that found it."""
        found: dict[tuple[str, int], tuple[_Ref, str]] = {}
        if p.cpe and (parts := _cpe_parts(p.cpe)):
            for ref in self.by_cpe.get(f"{parts[0]}:{parts[1]}", ()):
                found[(ref.subscriber, ref.index)] = (ref, "cpe")
        if p.purl and (pk := _purl_key(p.purl)):
            for ref in self.by_purl.get(pk[0], ()):
                found.setdefault((ref.subscriber, ref.index), (ref, "purl"))
        vendor, product = norm(p.vendor), norm(p.product)
        for key in (f"{vendor}|{product}", f"*|{product}", f"*|{vendor} {product}"):
            for ref in self.by_name.get(key, ()):
                found.setdefault((ref.subscriber, ref.index), (ref, "name"))
        return list(found.values())

    @staticmethod
    def _product_range(p: AffectedProduct) -> str | None:
        if p.versions:
            return p.versions
        if p.cpe and (parts := _cpe_parts(p.cpe)) and parts[2] not in ("*", "-", ""):
            return f"vers:generic/{parts[2]}"
        if p.purl and (pk := _purl_key(p.purl)) and pk[1]:
            return f"vers:generic/{pk[1]}"
        return None

    def _version_verdict(self, item: InventoryItem, p: AffectedProduct) -> tuple[bool | None, str]:
        """True: inside the range; False: outside; None: unknown on one side."""
        rng = self._product_range(p)
        declared = item.version
        if (
            declared is None
            and item.cpe
            and (parts := _cpe_parts(item.cpe))
            and parts[2] not in ("*", "-")
        ):
            declared = parts[2]
        if declared is None and item.purl and (pk := _purl_key(item.purl)) and pk[1]:
            declared = pk[1]
        if rng is None or parse_range(rng) is None:
            return None, "version unknown in the advisory"
        if declared is None:
            if item.versions:
                return None, f"declared range {item.versions} vs {rng}"
            return None, "no version declared"
        inside = version_in(declared, rng)
        if inside is None:
            return None, f"version {declared} could not be compared with {rng}"
        return inside, f"{declared} {'in' if inside else 'not in'} {rng}"

    def _excluded(self, item: InventoryItem, others: list[AffectedProduct]) -> bool:
        """Is the declared version listed as fixed or not affected for this product?"""
        if not item.version:
            return False
        for p in others:
            if p.status not in ("fixed", "not_affected"):
                continue
            rng = self._product_range(p)
            if rng and (version_in(item.version, rng) is True):
                return True
            if p.fixed_version and same_version(item.version, p.fixed_version):
                return True
        return False

    def match(self, case: Case) -> dict[str, list[Match]]:
        """subscriber id -> its matches (best rule per item, strongest first)."""
        best: dict[tuple[str, int], Match] = {}
        products = case.products
        negatives: dict[str, list[AffectedProduct]] = defaultdict(list)
        for _, p in products:
            if p.status in ("fixed", "not_affected"):
                negatives[f"{norm(p.vendor)}|{norm(p.product)}"].append(p)
        # Where some source gives version information for a product, a source that names the
        # same product without versions (KEV) does not make it "possibly affected" on its own.
        versioned = {
            f"{norm(p.vendor)}|{norm(p.product)}"
            for _, p in products
            if p.status == "affected" and self._product_range(p) is not None
        }
        for adv, p in products:
            if p.status not in ("affected", "under_investigation"):
                continue
            if (
                self._product_range(p) is None
                and f"{norm(p.vendor)}|{norm(p.product)}" in versioned
            ):
                continue
            for ref, how in self._candidates(p):
                if self._excluded(
                    ref.item, negatives.get(f"{norm(p.vendor)}|{norm(p.product)}", [])
                ):
                    continue
                verdict, detail = self._version_verdict(ref.item, p)
                if verdict is False:
                    continue
                if verdict is True:
                    rule = "cpe" if how == "cpe" else "purl" if how == "purl" else "product_version"
                else:
                    rule = "product_no_version"
                self._keep(
                    best,
                    Match(
                        case.id,
                        ref.subscriber,
                        ref.item.display,
                        ref.index,
                        rule,  # type: ignore[arg-type]
                        adv.source,
                        p.entry or p.product,
                        detail,
                    ),
                )
        self._text_matches(case, best, versioned)
        out: dict[str, list[Match]] = defaultdict(list)
        for m in sorted(
            best.values(), key=lambda m: (m.subscriber_id, RULE_ORDER[m.rule], m.item_index)
        ):
            out[m.subscriber_id].append(m)
        return dict(out)

    def _text_matches(
        self, case: Case, best: dict[tuple[str, int], Match], versioned: set[str]
    ) -> None:
        """The text rule over the case's prose advisories (a withdrawn one matches nobody)."""
        by_prose: dict[tuple[str, int], bool] = {}  # items whose version prose decided
        for adv in case.advisories:
            if adv.structured or adv.withdrawn:
                continue
            text = f"{adv.title}\n{adv.summary}"
            readings: dict[str, prose.ProseReading | None] = {}
            for ref, name in self._text_hits(text):
                if self._decided_by_versions(ref.item, versioned):
                    continue  # a structured source already said whether this version is hit
                reading = prose_match.item_reading(text, ref.item, readings)
                verdict, detail = prose_match.text_verdict(
                    ref.item, name, reading, self._version_verdict
                )
                m = Match(
                    case.id,
                    ref.subscriber,
                    ref.item.display,
                    ref.index,
                    "text",
                    adv.source,
                    "title/summary",
                    detail,
                )
                prose_match.keep_text(best, by_prose, m, verdict, self._keep)

    @staticmethod
    def _decided_by_versions(item: InventoryItem, versioned: set[str]) -> bool:
        vendor = norm(item.vendor)
        names = {norm(item.product), *(norm(a) for a in item.aliases)}
        return any(f"{vendor}|{n}" in versioned for n in names)

    @staticmethod
    def _keep(best: dict[tuple[str, int], Match], m: Match) -> None:
        key = (m.subscriber_id, m.item_index)
        old = best.get(key)
        if old is None or RULE_ORDER[m.rule] < RULE_ORDER[old.rule]:
            best[key] = m

    def _text_hits(self, text: str) -> list[tuple[_Ref, str]]:
        """Inventory names in the text, except where the words after a name continue it into
        a longer product ("SQL Server Management Studio" is not "SQL Server")."""
        words = norm(text).split()
        hits: list[tuple[_Ref, str]] = []
        seen: set[tuple[str, int]] = set()
        for i in range(len(words)):
            for n in range(1, self.max_words + 1):
                if i + n > len(words):
                    break
                phrase = " ".join(words[i : i + n])
                refs = self.text_names.get(phrase, ())
                if refs and prose.names_longer(words, i + n, self.longer_names, start=i):
                    continue
                for ref in refs:
                    if (ref.subscriber, ref.index) not in seen:
                        seen.add((ref.subscriber, ref.index))
                        hits.append((ref, phrase))
        return hits
