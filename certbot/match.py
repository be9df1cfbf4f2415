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
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache

from certbot import prose, prose_match, verdict
from certbot.config import InventoryItem, SubscriberConfig
from certbot.identity.keys import advisory_keys as _advisory_keys
from certbot.identity.keys import code_keys as _code_keys
from certbot.identity.keys import cpe_parts as _cpe_parts
from certbot.identity.keys import item_keys as _item_identity_keys
from certbot.identity.keys import own_keys as _own_keys
from certbot.identity.keys import purl_key as _purl_key
from certbot.identity.names import norm
from certbot.model import Advisory, AffectedProduct, Case, Match, MatchRule

RULE_ORDER = {"cpe": 0, "purl": 0, "product_version": 1, "product_no_version": 2, "text": 3}
__all__ = ["RULE_ORDER", "Matcher", "norm"]


@lru_cache(maxsize=65536)
def _raw_key(vendor: str, product: str) -> str:
    """The spelling key (before the catalogue): 'fortinet|fortios'."""
    return f"{norm(vendor)}|{norm(product)}"


@dataclass(slots=True, eq=False)  # not frozen: one per item, and a frozen __init__ costs 5x
class _Ref:
    subscriber: str
    index: int
    item: InventoryItem
    ikeys: frozenset[str]  # the item's catalogue keys (shared between items that agree)


# Per distinct value while building: (vendor, product, aliases) -> (index lists, catalogue
# keys); CPE -> (list, vendor:product); PURL -> (list, name); the keys a CPE/PURL adds; what
# an item with that (vendor, product, aliases, CPE, PURL) joins.
_Slot = tuple[list[list["_Ref"]], frozenset[str]]
_Joins = tuple[tuple[list["_Ref"], ...], frozenset[str]]  # an item's index lists, its keys
_Code = dict[str, tuple[list["_Ref"] | None, str | None]]
_Seen = tuple[dict[tuple[str, str, tuple[str, ...]], _Slot], _Code, _Code,
              dict[tuple[frozenset[str], str | None, str | None], _Slot], dict[tuple, "_Joins"]]  # fmt: skip


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

    def __init__(
        self, subscribers: Iterable[SubscriberConfig], kinds: Mapping[str, str] | None = None
    ):
        self.kinds = dict(kinds or {})  # feed id -> kind: what ``version_source`` names
        with _gc_paused():
            self._build(subscribers)

    def _build(self, subscribers: Iterable[SubscriberConfig]) -> None:
        self.by_name: dict[str, list[_Ref]] = defaultdict(list)
        self.by_cpe: dict[str, list[_Ref]] = defaultdict(list)
        self.by_purl: dict[str, list[_Ref]] = defaultdict(list)
        self.text_names: dict[str, list[_Ref]] = defaultdict(list)
        # Keys are computed once per distinct (vendor, product, aliases), CPE and PURL string
        # (400 municipalities declare the same few thousand products over and over), and the
        # index lists an item joins once per distinct item object (identical items in the
        # configuration are one shared object, `certbot.config.subscribers`).
        seen: _Seen = ({}, {}, {}, {}, {})
        slots: dict[int, _Joins] = {}  # id(item) -> what it joins
        for sub in subscribers:
            sid = sub.id
            for i, item in enumerate(sub.inventory):
                if (slot := slots.get(id(item))) is None:
                    slot = slots[id(item)] = self._slot(item, seen)
                ref = _Ref(sid, i, item, slot[1])
                for lst in slot[0]:
                    lst.append(ref)
        self.max_words = max((len(n.split()) for n in self.text_names), default=1)

    def _slot(self, item: InventoryItem, seen: _Seen) -> _Joins:
        """(the index lists an item joins, its catalogue keys): names and aliases, the text
        names, the keys its CPE/PURL add beyond its names, its CPE and PURL lists."""
        named, cpes, purls, extra, joins = seen
        ident = (item.vendor, item.product, item.aliases)
        if (done := joins.get(whole := (*ident, item.cpe, item.purl))) is not None:
            return done
        if (known := named.get(ident)) is None:
            ikeys = _item_identity_keys(*ident)
            names = [self.by_name[k] for k in self._name_keys(item) | ikeys]
            texts = [self.text_names[n] for n in prose_match.text_keys(item)]
            known = named[ident] = (names + texts, ikeys)
        lists, ikeys = known
        cpe_lst, cpe_vp = self._cpe_slot(item.cpe, cpes)
        purl_lst, purl_name = self._purl_slot(item.purl, purls)
        more: list[list[_Ref]] = []
        if cpe_vp or purl_name:
            if (add := extra.get((ikeys, cpe_vp, purl_name))) is None:
                codes = _code_keys(cpe_vp, purl_name) - ikeys
                add = extra[(ikeys, cpe_vp, purl_name)] = ([self.by_name[k] for k in codes],
                                                            ikeys | codes)  # fmt: skip
            more, ikeys = add
        code_lists = [lst for lst in (cpe_lst, purl_lst) if lst is not None]
        joins[whole] = (*more, *lists, *code_lists), ikeys
        return joins[whole]

    def _cpe_slot(self, cpe: str | None, seen: _Code) -> tuple[list[_Ref] | None, str | None]:
        """The CPE index list an item joins and its 'vendor:product' (once per CPE string)."""
        if not cpe:
            return None, None
        if (slot := seen.get(cpe)) is None:
            parts = _cpe_parts(cpe)
            vp = f"{parts[0]}:{parts[1]}" if parts else None
            slot = seen[cpe] = (self.by_cpe[vp] if vp else None, vp)
        return slot

    def _purl_slot(self, purl: str | None, seen: _Code) -> tuple[list[_Ref] | None, str | None]:
        """The PURL index list an item joins and its type/namespace/name (once per string)."""
        if not purl:
            return None, None
        if (slot := seen.get(purl)) is None:
            pk = _purl_key(purl)
            slot = seen[purl] = (self.by_purl[pk[0]] if pk else None, pk[0] if pk else None)
        return slot

    @staticmethod
    def _name_keys(item: InventoryItem) -> set[str]:
        """Spelling keys, as written (the catalogue keys come from certbot.identity.keys)."""
        vendor = norm(item.vendor)
        keys = {f"{vendor}|{norm(item.product)}"}
        for alias in item.aliases:
            a = norm(alias)
            keys.add(f"{vendor}|{a}")
            keys.add(f"*|{a}")  # an alias may carry its own vendor words
        return keys

    # --- structured products ------------------------------------------------------------

    def _candidates(self, p: AffectedProduct) -> list[tuple[_Ref, str, str, str]]:
        """Inventory items that name the same product: (ref, identity rule, identity key,
        note). The key is the product's spelling key, or "@<entry id>" where only the catalogue
        knew the two names for one product; the note then says which entry decided."""
        found: dict[tuple[str, int], tuple[_Ref, str, str, str]] = {}
        raw = _raw_key(p.vendor, p.product)
        if p.cpe and (parts := _cpe_parts(p.cpe)):
            for ref in self.by_cpe.get(f"{parts[0]}:{parts[1]}", ()):
                found[(ref.subscriber, ref.index)] = (ref, "cpe", raw, "")
        if p.purl and (pk := _purl_key(p.purl)):
            for ref in self.by_purl.get(pk[0], ()):
                found.setdefault((ref.subscriber, ref.index), (ref, "purl", raw, ""))
        vendor, product = norm(p.vendor), norm(p.product)
        for key in (f"{vendor}|{product}", f"*|{product}", f"*|{vendor} {product}"):
            for ref in self.by_name.get(key, ()):
                found.setdefault((ref.subscriber, ref.index), (ref, "name", raw, ""))
        for key, eid in _advisory_keys(p.vendor, p.product, p.cpe, p.purl):
            refs = self.by_name.get(key, ())
            if refs:
                note = f"same product by catalogue entry {eid}"
                for ref in refs:
                    found.setdefault((ref.subscriber, ref.index), (ref, "name", f"@{eid}", note))
        return list(found.values())

    @staticmethod
    def _identity_keys(p: AffectedProduct, any_edition: bool = True) -> set[str]:
        """The spelling key and the catalogue keys of an advisory product; without
        ``any_edition`` only its edition's keys (SharePoint 2016's "not affected" is not 2019's)."""
        found = _advisory_keys(p.vendor, p.product, p.cpe, p.purl)
        bare = {f"@{eid}" for _, eid in found} if any_edition else set()
        return {_raw_key(p.vendor, p.product), *bare, *(k for k, _ in found)}

    _product_range = staticmethod(verdict.product_range)
    _version_verdict = staticmethod(verdict.version_verdict)

    def match(
        self, case: Case, excluded: dict[tuple[str, int], Match] | None = None
    ) -> dict[str, list[Match]]:
        """subscriber id -> its matches (best rule per item, strongest first).

        ``excluded``, when given, collects the items a source says are not affected (keyed
        (subscriber, item index), with the evidence) and that no other source matched."""
        best: dict[tuple[str, int], Match] = {}
        nots: dict[tuple[str, int], list[verdict.Exclusion]] = defaultdict(list)
        products = case.products
        known = self._known(products)
        for adv, p in products:
            if p.status in ("affected", "under_investigation"):
                self._match_product(case.id, adv, p, known, (best, nots))
        self._text_matches(case, best, known[0], nots)
        if excluded is not None:
            for key, found in nots.items():
                if key not in best:
                    excluded[key] = verdict.closest(found)
        out: dict[str, list[Match]] = defaultdict(list)
        for m in sorted(
            best.values(), key=lambda m: (m.subscriber_id, RULE_ORDER[m.rule], m.item_index)
        ):
            out[m.subscriber_id].append(m)
        return dict(out)

    def _known(
        self, products: Iterable[tuple[object, AffectedProduct]]
    ) -> tuple[set[str], dict[str, list[AffectedProduct]]]:
        """(identity keys some source gives versions for, fixed/not-affected entries by key).

        Where some source gives version information for a product, a source that names the
        same product without versions (KEV) does not make it "possibly affected" on its own.
        "Same product" is the spelling or the catalogue entry (KEV "FortiOS and FortiProxy"
        and a CSAF "FortiOS" share the entry fortinet/fortios)."""
        versioned: set[str] = set()
        negatives: dict[str, list[AffectedProduct]] = defaultdict(list)
        for _, p in products:
            if p.status in ("fixed", "not_affected"):
                for k in self._identity_keys(p, any_edition=False):
                    negatives[k].append(p)
            elif p.status == "affected" and self._product_range(p) is not None:
                versioned |= self._identity_keys(p)
        return versioned, negatives

    def _match_product(
        self,
        case_id: str,
        adv: Advisory,
        p: AffectedProduct,
        known: tuple[set[str], dict[str, list[AffectedProduct]]],
        into: tuple[dict[tuple[str, int], Match], dict[tuple[str, int], list[verdict.Exclusion]]],
    ) -> None:
        """Match one affected product entry; ``known`` is (versioned keys, negatives by key).

        A rangeless "affected" entry (KEV) yields to a source that gives versions for the same
        product; a rangeless "under_investigation" entry (a CVE record's default "unknown")
        does not: it is what that source says of the versions its ranges leave out."""
        versioned, negatives = known
        best, nots = into
        unversioned = self._product_range(p) is None
        hideable = unversioned and p.status == "affected"
        if hideable and _raw_key(p.vendor, p.product) in versioned:
            return
        pkeys = self._identity_keys(p)
        kind = verdict.source_kind(adv, self.kinds)
        for ref, how, ikey, note in self._candidates(p):
            it = ref.item
            # The identities this product and this item share (a KEV compound spelling shares
            # fortinet/fortios with a FortiOS item even where the item matched by an alias).
            shared = {ikey} | (pkeys & ref.ikeys)
            if hideable and not (
                shared.isdisjoint(versioned)
                and _own_keys(it.vendor, it.product, it.aliases).isdisjoint(versioned)
            ):
                continue  # a source gives versions for this product, or for the item's own
            fixed = verdict.excluded(it, [n for k in shared for n in negatives.get(k, ())])
            inside, detail = (False, "listed as fixed") if fixed else self._version_verdict(it, p)
            m = Match(
                case_id,
                ref.subscriber,
                it.display,
                ref.index,
                "product_version",
                adv.source,
                p.entry or p.product,
                f"{detail}; {note}" if note else detail,
            )
            if inside is False:
                by = verdict.decided_by(kind, fixed or p)
                gone = replace(m, affected="not_affected", version_source=kind, decided_by=by)
                nots[(ref.subscriber, ref.index)].append((gone, fixed or p, it))
                continue
            if inside is True:
                rule: MatchRule = (
                    "cpe" if how == "cpe" else "purl" if how == "purl" else "product_version"
                )
                sure = p.status == "affected"  # inside a range still under investigation: possible
                m = replace(
                    m,
                    rule=rule,
                    affected="confirmed" if sure else "possible",
                    version_source=kind,
                    decided_by=verdict.decided_by(kind, p),
                )
                if not sure:
                    m = replace(m, detail=f"{m.detail}; the source is still investigating")
            else:
                m = replace(m, rule="product_no_version", affected="possible")
            self._keep(best, m)

    def _text_matches(
        self,
        case: Case,
        best: dict[tuple[str, int], Match],
        versioned: set[str],
        nots: dict[tuple[str, int], list[verdict.Exclusion]],
    ) -> None:
        """The text rule over the case's prose advisories (a withdrawn one matches nobody)."""
        by_prose: dict[tuple[str, int], bool] = {}  # items whose version prose decided
        for adv in case.advisories:
            if adv.structured or adv.withdrawn:
                continue
            text = f"{adv.title}\n{adv.summary}"
            readings: dict[str, prose.ProseReading | None] = {}
            for ref, name in self._text_hits(text):
                if not ref.ikeys.isdisjoint(versioned) or self._spelled_in(ref.item, versioned):
                    continue  # a structured source already said whether this version is hit
                reading = prose_match.item_reading(text, ref.item, readings)
                said, detail = prose_match.text_verdict(
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
                if said is not None:
                    why = f"prose ({adv.source}): {reading.sentence if reading else name}"
                    m = replace(
                        m,
                        affected="confirmed" if said else "not_affected",
                        version_source="prose",
                        decided_by=why,
                    )
                    if not said:
                        nots[(ref.subscriber, ref.index)].append((m, None, ref.item))
                else:
                    m = replace(m, affected="possible")
                prose_match.keep_text(best, by_prose, m, said, self._keep)

    @staticmethod
    def _spelled_in(item: InventoryItem, versioned: set[str]) -> bool:
        vendor = norm(item.vendor)
        names = {norm(item.product), *(norm(a) for a in item.aliases)}
        return any(f"{vendor}|{n}" in versioned for n in names)

    @staticmethod
    def _keep(best: dict[tuple[str, int], Match], m: Match) -> None:
        """A confirmed verdict beats a possible one; then the stronger rule wins."""
        key = (m.subscriber_id, m.item_index)
        old = best.get(key)
        if old is None or (not m.confirmed, RULE_ORDER[m.rule]) < (
            not old.confirmed,
            RULE_ORDER[old.rule],
        ):
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
