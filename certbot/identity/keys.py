"""Index keys for the matcher: how an inventory item and an advisory product meet in one dict.

Pure; every function is cached per distinct argument tuple, so 400 municipalities declaring
the same few thousand products cost one resolution each. Keys are ``@<entry id>`` (any
edition) and ``@<entry id>@<edition>`` / ``@<entry id>@*`` (item of that edition / item that
states none). An item is indexed under its own entries and the entries they also match
(Windows Server under Windows); an advisory looks up only its own entries.
"""

from __future__ import annotations

import re
from functools import lru_cache

from packageurl import PackageURL

from certbot import identity
from certbot.identity.names import split_name, update_token

__all__ = [
    "advisory_keys",
    "code_keys",
    "cpe_parts",
    "cpe_vp",
    "declared_from_name",
    "item_keys",
    "own_keys",
    "purl_key",
    "purl_name",
]


@lru_cache(maxsize=65536)
def advisory_keys(
    vendor: str, product: str, cpe: str | None, purl: str | None
) -> tuple[tuple[str, str], ...]:
    """Catalogue keys an advisory product looks up, each with the entry it stands for.

    An edition on the advisory's side ("Exchange Server 2019") finds items of that edition and
    items that state none; an advisory without one finds every edition."""
    r = identity.resolve(vendor, product, cpe, purl)
    if r is None:
        return ()
    ed = r.name.edition
    out: list[tuple[str, str]] = []
    for e in r.entries:
        out.extend([(f"@{e.id}@{ed}", e.id), (f"@{e.id}@*", e.id)] if ed else [(f"@{e.id}", e.id)])
    return tuple(out)


def _resolution_keys(r: identity.Resolution) -> set[str]:
    ed = r.name.edition or "*"
    keys: set[str] = set()
    for e in r.entries:
        for eid in (e.id, *e.also_matches):
            keys.update((f"@{eid}", f"@{eid}@{ed}"))
    return keys


@lru_cache(maxsize=65536)
def item_keys(vendor: str, product: str, aliases: tuple[str, ...]) -> frozenset[str]:
    """Catalogue keys an inventory item is indexed under by its names (its entries and what
    they also match).

    An alias only adds an entry when it names exactly one product: an alias that is a KEV
    compound spelling ("FortiOS and FortiProxy") must not make a FortiOS item a FortiProxy."""
    keys: set[str] = set()
    if r := identity.resolve(vendor, product):
        keys |= _resolution_keys(r)
    for alias in aliases:
        if (ra := identity.resolve(vendor, alias)) and len(ra.entries) == 1:
            keys |= _resolution_keys(ra)
    return frozenset(keys)


@lru_cache(maxsize=65536)
def own_keys(vendor: str, product: str, aliases: tuple[str, ...]) -> frozenset[str]:
    """The ``@<entry id>`` keys of the entries the item's own names resolve to (not what they
    also match): "Google Chrome" is google/chrome, though KEV's Chromium entries concern it."""
    keys: set[str] = set()
    for name in (product, *aliases):
        if r := identity.resolve(vendor, name):
            keys.update(f"@{e.id}" for e in r.entries)
    return frozenset(keys)


@lru_cache(maxsize=65536)
def code_keys(cpe_vp: str | None, purl_name: str | None) -> frozenset[str]:
    """Catalogue keys from an item's CPE vendor:product ("fortinet:fortios") and PURL name
    ("maven/org.apache.logging.log4j/log4j-core"), for any edition."""
    cat = identity.catalogue()
    ids = [*cat.by_cpe.get(cpe_vp or "", ()), *cat.by_purl.get(purl_name or "", ())]
    keys: set[str] = set()
    for eid in ids:
        for other in (eid, *cat.entries[eid].also_matches):
            keys.update((f"@{other}", f"@{other}@*"))
    return frozenset(keys)


@lru_cache(maxsize=65536)
def declared_from_name(vendor: str, product: str, version: str | None) -> tuple[str, str] | None:
    """A version the item's name or update token implies: 'Exchange Server 2016 CU23' ->
    ('15.1.2507.6', 'CU23 = build 15.1.2507.6'); the CU token itself without a build table."""
    if version is not None and update_token(version) is None:
        return None
    if build := identity.build_number(vendor, product, version):
        token = version or split_name(vendor, product).update
        return build, f"{token} = build {build} (catalogue)"
    if version is None and (update := split_name(vendor, product).update):
        return update, f"update {update} from the product name"
    return None


@lru_cache(maxsize=65536)
def cpe_parts(cpe: str) -> tuple[str, str, str] | None:
    """cpe:2.3:o:fortinet:fortios:7.2.4:... -> ('fortinet', 'fortios', '7.2.4')."""
    parts = re.split(r"(?<!\\):", cpe)
    if len(parts) < 6 or parts[0] != "cpe" or parts[1] != "2.3":
        return None
    return parts[3].lower(), parts[4].lower(), parts[5]


@lru_cache(maxsize=65536)
def purl_key(purl: str) -> tuple[str, str | None] | None:
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    ns = f"{p.namespace}/" if p.namespace else ""
    return f"{p.type}/{ns}{p.name}".lower(), p.version


def cpe_vp(cpe: str) -> str | None:
    """A CPE's 'vendor:product' (the `code_keys` and matcher index key)."""
    parts = cpe_parts(cpe)
    return f"{parts[0]}:{parts[1]}" if parts else None


def purl_name(purl: str) -> str | None:
    """A PURL's type/namespace/name, lower case (the `code_keys` and matcher index key)."""
    pk = purl_key(purl)
    return pk[0] if pk else None
