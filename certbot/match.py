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
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from certbot import prose, prose_match, verdict
from certbot.config import InventoryItem, SubscriberConfig
from certbot.identity.keys import advisory_keys as _advisory_keys
from certbot.identity.keys import code_keys as _code_keys
from certbot.identity.keys import cpe_parts as _cpe_parts
from certbot.identity.keys import cpe_vp as _cpe_vp
from certbot.identity.keys import item_keys as _item_identity_keys
from certbot.identity.keys import own_keys as _own_keys
from certbot.identity.keys import purl_key as _purl_key
from certbot.identity.keys import purl_name as _purl_name
from certbot.identity.names import norm
from certbot.model import Advisory, AffectedProduct, Case, Match

RULE_ORDER = {"cpe": 0, "purl": 0, "product_version": 1, "product_no_version": 2, "text": 3}
__all__ = ["RULE_ORDER", "Matcher", "norm"]


@lru_cache(maxsize=65536)
def _raw_key(vendor: str, product: str) -> str:
    """The spelling key (before the catalogue): 'fortinet|fortios'."""
    return f"{norm(vendor)}|{norm(product)}"


_Nots = dict[tuple[str, int], list[verdict.Exclusion]]
_Known = tuple[set[str], dict[str, list[AffectedProduct]]]  # versioned keys, negatives by key
# (display, the Match fields after item_index, the fixed entry): one per distinct item
_Verdict = tuple[str, tuple[Any, ...], AffectedProduct | None]


@dataclass(frozen=True, slots=True)
class _Ref:
    subscriber: str
    index: int
    item: InventoryItem
    ikeys: frozenset[str]  # the item's catalogue keys (shared between items that agree)
    same: tuple[object, ...]  # what a verdict reads of the item; one tuple per distinct value


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


_Slot = tuple[list[_Ref] | None, str | None]


def _slot(
    code: str | None,
    seen: dict[str, _Slot],
    index: dict[str, list[_Ref]],
    key_of: Callable[[str], str | None],
) -> _Slot:
    """The index list an item joins for its CPE or PURL, and its key (parsed once per string)."""
    if not code:
        return None, None
    if (slot := seen.get(code)) is None:
        key = key_of(code)
        slot = seen[code] = (index[key] if key else None, key)
    return slot


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
        # (400 municipalities declare the same few thousand products over and over); what is
        # kept per distinct value is the index lists an item with it joins.
        named: dict[tuple[str, str, tuple[str, ...]], tuple[list[list[_Ref]], frozenset[str]]]
        named = {}
        cpes: dict[str, tuple[list[_Ref] | None, str | None]] = {}
        purls: dict[str, tuple[list[_Ref] | None, str | None]] = {}
        # Catalogue keys an item's CPE/PURL add beyond its names, per distinct combination.
        extra: dict[
            tuple[frozenset[str], str | None, str | None], tuple[list[list[_Ref]], frozenset[str]]
        ]
        extra = {}
        sames: dict[tuple[object, ...], tuple[object, ...]] = {}
        for sub in subscribers:
            sid = sub.id
            for i, item in enumerate(sub.inventory):
                ident = (item.vendor, item.product, item.aliases)
                if (known := named.get(ident)) is None:
                    ikeys = _item_identity_keys(*ident)
                    known = named[ident] = (
                        [
                            *(self.by_name[k] for k in self._name_keys(item) | ikeys),
                            *(self.text_names[n] for n in prose_match.text_keys(item)),
                        ],
                        ikeys,
                    )
                lists, ikeys = known
                what = (*ident, item.version, item.versions, item.cpe, item.purl)
                same = sames.setdefault(what, what)
                cpe_lst, cpe_vp = _slot(item.cpe, cpes, self.by_cpe, _cpe_vp)
                purl_lst, purl_name = _slot(item.purl, purls, self.by_purl, _purl_name)
                if cpe_vp or purl_name:
                    if (more := extra.get((ikeys, cpe_vp, purl_name))) is None:
                        add = _code_keys(cpe_vp, purl_name) - ikeys
                        more = extra[(ikeys, cpe_vp, purl_name)] = (
                            [self.by_name[k] for k in add],
                            ikeys | add,
                        )
                    ref = _Ref(sid, i, item, more[1], same)
                    for lst in more[0]:
                        lst.append(ref)
                else:
                    ref = _Ref(sid, i, item, ikeys, same)
                for lst in lists:
                    lst.append(ref)
                if cpe_lst is not None:
                    cpe_lst.append(ref)
                if purl_lst is not None:
                    purl_lst.append(ref)
        self._text_lengths = prose_match.lengths_by_first_word(self.text_names)

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
        found: dict[int, tuple[_Ref, str, str, str]] = {}  # by id(ref): one _Ref per item
        raw = _raw_key(p.vendor, p.product)
        if p.cpe and (parts := _cpe_parts(p.cpe)):
            for ref in self.by_cpe.get(f"{parts[0]}:{parts[1]}", ()):
                found[id(ref)] = (ref, "cpe", raw, "")
        if p.purl and (pk := _purl_key(p.purl)):
            for ref in self.by_purl.get(pk[0], ()):
                found.setdefault(id(ref), (ref, "purl", raw, ""))
        vendor, product = norm(p.vendor), norm(p.product)
        for key in (f"{vendor}|{product}", f"*|{product}", f"*|{vendor} {product}"):
            for ref in self.by_name.get(key, ()):
                found.setdefault(id(ref), (ref, "name", raw, ""))
        for key, eid in _advisory_keys(p.vendor, p.product, p.cpe, p.purl):
            refs = self.by_name.get(key, ())
            if refs:
                note = f"same product by catalogue entry {eid}"
                for ref in refs:
                    found.setdefault(id(ref), (ref, "name", f"@{eid}", note))
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
        nots: _Nots = defaultdict(list)
        products = case.products
        known = self._known(products)
        # planning wants no exclusions, unless a record's "unknown" meets another source's
        into = (best, nots if excluded is not None or verdict.mixed(products) else None)
        for adv, p in products:
            if p.status in ("affected", "under_investigation"):
                self._match_product(case.id, adv, p, known, into)
        self._text_matches(case, best, known[0], nots)
        verdict.settle_unknowns(best, nots, case.cves)
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

    def _known(self, products: Iterable[tuple[object, AffectedProduct]]) -> _Known:
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
        known: _Known,
        into: tuple[dict[tuple[str, int], Match], _Nots | None],
    ) -> None:
        """Match one affected product entry; ``known`` is (versioned keys, negatives by key).

        A rangeless "affected" entry (KEV) yields to a source that gives versions for the same
        product; a rangeless "under_investigation" entry (a CVE record's default "unknown")
        does not: it is what that source says of the versions its ranges leave out."""
        versioned = known[0]
        best, nots = into
        unversioned = self._product_range(p) is None
        hideable = unversioned and p.status == "affected"
        if hideable and _raw_key(p.vendor, p.product) in versioned:
            return
        pkeys = self._identity_keys(p)
        # Municipalities that declare the same item get the same verdict: computed once.
        facts = (p, pkeys, hideable, known, verdict.source_kind(adv, self.kinds), adv.source)
        verdicts: dict[tuple[object, ...], _Verdict | None] = {}
        for ref, how, ikey, note in self._candidates(p):
            if (vkey := (ref.same, how, ikey, note)) in verdicts:
                got = verdicts[vkey]
            else:
                got = verdicts[vkey] = self._pair(ref, (how, ikey, note), facts)
            if got is None:
                continue  # a source gives versions for this product, or for the item's own
            display, fields, fixed = got
            if fields[4] != "not_affected":
                self._keep(best, Match(case_id, ref.subscriber, display, ref.index, *fields))
            elif nots is not None:
                gone = Match(case_id, ref.subscriber, display, ref.index, *fields)
                nots[(ref.subscriber, ref.index)].append((gone, fixed or p, ref.item))

    def _pair(
        self, ref: _Ref, key: tuple[str, str, str], facts: tuple[Any, ...]
    ) -> _Verdict | None:
        """The verdict for one item and one product entry: (the item's display name, the
        Match fields after its item index, the fixed entry that excludes it); None when a
        versioned source hides this rangeless entry for the item."""
        p, pkeys, hideable, (versioned, negatives), kind, source = facts
        (how, ikey, note), it = key, ref.item
        # The identities this product and this item share (a KEV compound spelling shares
        # fortinet/fortios with a FortiOS item even where the item matched by an alias).
        shared = {ikey} | (pkeys & ref.ikeys)
        if hideable and not (
            shared.isdisjoint(versioned)
            and _own_keys(it.vendor, it.product, it.aliases).isdisjoint(versioned)
        ):
            return None
        fixed = verdict.excluded(it, [n for k in shared for n in negatives.get(k, ())])
        inside, detail = (False, "listed as fixed") if fixed else self._version_verdict(it, p)
        text, entry = (f"{detail}; {note}" if note else detail), p.entry or p.product
        if inside is False:
            by = verdict.decided_by(kind, fixed or p)
            return (
                it.display,
                ("product_version", source, entry, text, "not_affected", kind, by),
                fixed,
            )
        if inside is None:
            return (
                it.display,
                ("product_no_version", source, entry, text, "possible", None, ""),
                None,
            )
        rule = "cpe" if how == "cpe" else "purl" if how == "purl" else "product_version"
        sure = p.status == "affected"  # inside a range still under investigation: possible
        if not sure:
            text = f"{text}; the source is still investigating"
        by = verdict.decided_by(kind, p)
        return (
            it.display,
            (rule, source, entry, text, "confirmed" if sure else "possible", kind, by),
            None,
        )

    def _text_matches(
        self,
        case: Case,
        best: dict[tuple[str, int], Match],
        versioned: set[str],
        nots: _Nots,
    ) -> None:
        """The text rule over the case's prose advisories (a withdrawn one matches nobody), and
        over a structured one naming no product (CNA "n/a"): only to decide the version of an
        item another source matched without versions (`prose_match.versionless`)."""
        by_prose: dict[tuple[str, int], bool] = {}  # items whose version prose decided
        for adv in case.advisories:
            if (adv.structured and adv.products) or adv.withdrawn:
                continue
            text = f"{adv.title}\n{adv.summary}"
            readings: dict[str, prose.ProseReading | None] = {}
            for ref, name in self._text_hits(text):
                if prose_match.not_for_text(ref, versioned, best, adv.structured):
                    continue
                reading = prose_match.item_reading(text, ref.item, readings)
                said, detail = prose_match.text_verdict(
                    ref.item, name, reading, self._version_verdict
                )
                if adv.structured and said is None:
                    continue
                m = Match(case.id, ref.subscriber, ref.item.display, ref.index, "text",
                          adv.source, "title/summary", detail)  # fmt: skip
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
        """Inventory names in the text (`prose_match.text_hits`)."""
        return prose_match.text_hits(text, self.text_names, self._text_lengths, self.longer_names)
