"""CSAF product tree -> one `TreeProduct` per product_id (pure; used by `csaf.parse`).

Walks ``branches`` (vendor -> product_family/product_name -> product_version or
product_version_range), ``full_product_names`` and ``relationships``. A relationship
(``default_component_of``, ``installed_on``...) names a component on a platform: the
component's vendor/product/version are what a municipality's inventory matches, and the
platform is mentioned in the entry.

Versions: ``product_version`` -> ``vers:generic/<v>`` (exact); where the product sits on a
``service_pack`` / ``patch_level`` branch below it whose name is a full version on that line
(Cisco: product_version "16.3" or "3.2SE", service_pack "16.3.5" or "3.2.1SE"), the leaf's
version is the product's, not the middle branch's; ``product_version_range`` -> the
range text as given when `certbot.versions.parse_range` can read it, else None ("version
unknown") with the raw text kept in ``entry``; a word of the product's own branch name before
the version ("NMC2 <= 6.9.6" under "... using NMC2") goes first, and "1.2 *" is "1.2.*" where
the full product name says "all revisions" (`_own_words`). Packages: a ``pkg:rpm`` purl gives the product
name and a ``vers:rpm/[epoch:]version-release``; without a purl, a Red Hat NEVRA in the
version branch or the name (``telnet-1:0.17-65.el7_6.x86_64``) gives the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from packageurl import PackageURL

from certbot.frozen import quick_init
from certbot.versions import exact, parse_nevra, parse_range, rpm_exact

_MAX_DEPTH = 30  # CSAF trees are a handful of levels; deeper is hostile


@quick_init
@dataclass(frozen=True, slots=True)
class TreeProduct:
    product_id: str
    name: str
    vendor: str = ""
    product: str = ""
    versions: str | None = None
    version: str | None = None  # the single version, for product_version entries
    cpe: str | None = None
    purl: str | None = None
    note: str = ""  # raw unreadable range, platform...


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _helper(product: dict[str, Any]) -> tuple[str | None, str | None]:
    helper = product.get("product_identification_helper")
    if not isinstance(helper, dict):
        return None, None
    cpe = _str(helper.get("cpe")) or None
    purl = _str(helper.get("purl")) or None
    if purl is None and isinstance(helper.get("purls"), list) and helper["purls"]:  # CSAF 2.1
        purl = _str(helper["purls"][0]) or None
    return cpe, purl


def _purl(text: str) -> PackageURL | None:
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _from_cpe(cpe: str | None) -> tuple[str, str]:
    parts = (cpe or "").split(":")
    if len(parts) > 4 and parts[0] == "cpe" and parts[1] == "2.3":
        return parts[3].replace("_", " "), parts[4].replace("_", " ")
    return "", ""


# "NMC2 <= 6.9.6" under "... using NMC2 ...", "All versions < ROS V5.0.1" under "RUGGEDCOM ROS
# for ...": a word of the product's own name before the version (ICSA-21-313-01, ICSA-17-271-01B).
_NAMED = re.compile(
    r"^(?P<pre>(?:all versions\s+)?(?:<=|<|>=|>)?\s*)(?P<word>[A-Za-z][A-Za-z0-9]*)\s+(?P<rest>.*\d.*)$",
    re.IGNORECASE,
)
_NOT_NAMES = {"with", "using", "only", "and", "or", "on", "for", "in", "if", "when", "all", "not"}
# "1.2 *" where the product's full name says "Version 1.2 all revisions" (ICSA-21-343-01).
_STAR = re.compile(r"^(\d+(?:\.\d+)*) \*$")
_BRANCH = re.compile(r"\.[x*](?![0-9a-z])", re.IGNORECASE)
# Asides that say nothing of the versions (ICSA-22-139-01, ICSMA-18-128-01); not "formerly
# known as ...", where the version may be the old product's ("<= R2" of AVEVA Edge 2020).
_ASIDE = re.compile(
    r"\s*\((?:these products are sold in limited regions|end-of-life [^()]*|integrated into [^()]*)\)$",
    re.IGNORECASE,
)


def _own_words(given: str, product: str, full: str) -> str:
    """The version text without what names the product itself (see `_NAMED`, `_STAR`) or an
    aside (`_ASIDE`); as given when nothing is taken away or the rest is not readable."""
    out = text = _ASIDE.sub("", given)
    if (m := _STAR.match(text)) and re.search(r"\ball revisions\b", full, re.IGNORECASE):
        out = f"{m.group(1)}.*"
    elif product and text.lower().startswith(product.lower() + " "):
        out = text[len(product) + 1 :]  # "SCADA Web Server Version 2.02.0007 and prior"
    elif (
        (m := _NAMED.match(text))
        and (word := m.group("word")).lower() not in _NOT_NAMES
        and not word.islower()
        and re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", product, re.IGNORECASE)
    ):
        out = m.group("pre") + m.group("rest")
    return out if out != given and parse_range(out) is not None else given


def _read_versions(category: str, name: str) -> tuple[str | None, str | None, str]:
    """(versions, single version, note) for a version-carrying branch."""
    looks_like_range = name[:1] in "<>=!*" or name.lower().startswith("vers:")
    if category == "product_version" and not looks_like_range:
        if parse_range(version := exact(name)) is not None:
            return version, (None if _BRANCH.search(name) else name), ""
        if parse_range(name) is not None:  # a range in the version slot: "2.3.6 and below"
            return name, None, ""
        return None, name, f"version {name!r} not readable"
    if parse_range(name) is not None:
        return name, None, ""
    return None, None, f"range {name!r} not readable"


_NAME_CACHED = 200  # a longer branch name than any real version is read each time, never kept
_cached_versions = lru_cache(maxsize=8192)(_read_versions)


def _versions(category: str, name: str) -> tuple[str | None, str | None, str]:
    """`_read_versions`, cached: a provider's documents repeat the same version branches."""
    if len(name) <= _NAME_CACHED:
        return _cached_versions(category, name)
    return _read_versions(category, name)


def _package(purl: str | None, ctx: dict[str, str], name: str) -> TreeProduct | None:
    """A package product (Red Hat RPMs): the name and ``vers:rpm`` version from its purl, or
    from the NEVRA its version branch or name is written as when it has no purl."""
    pkg = _purl(purl) if purl else None
    if pkg is not None and pkg.type == "rpm" and pkg.version:
        epoch = (
            str((pkg.qualifiers or {}).get("epoch") or "")
            if isinstance(pkg.qualifiers, dict)
            else ""
        )
        evr = f"{epoch}:{pkg.version}" if epoch and ":" not in pkg.version else pkg.version
        return TreeProduct("", name, product=pkg.name, versions=rpm_exact(evr), version=evr)
    if pkg is not None and pkg.version:
        return TreeProduct(
            "", name, product=pkg.name, versions=exact(pkg.version), version=pkg.version
        )
    if pkg is not None:
        return TreeProduct("", name, product=pkg.name)
    nevra = parse_nevra(ctx.get("product_version") or name)
    if nevra is not None:
        return TreeProduct(
            "", name, product=nevra.name, versions=rpm_exact(nevra.evr), version=nevra.evr
        )
    return None


_LEAF_VERSION = ("service_pack", "patch_level")
_HEAD = re.compile(r"\d+(?:\.\d+)*")


def _leaf_version(ctx: dict[str, str]) -> dict[str, str]:
    """The context with the leaf's full version as its product_version (see the docstring)."""
    line = ctx.get("product_version", "")
    head = _HEAD.match(line)
    for cat in _LEAF_VERSION:
        leaf = ctx.get(cat, "")
        if head and leaf.startswith(head.group(0)) and leaf != line:
            return {**ctx, "product_version": leaf}
    return ctx


def _leaf(product: dict[str, Any], ctx: dict[str, str]) -> TreeProduct | None:
    pid = _str(product.get("product_id"))
    if not pid:
        return None
    cpe, purl = _helper(product)
    name = _str(product.get("name"))
    vendor = ctx.get("vendor", "")
    prod = ctx.get("product_name") or ""
    pkg = None if prod else _package(purl, ctx, name)
    if pkg is not None and pkg.product:
        prod = pkg.product
    prod = prod or ctx.get("product_family", "")
    if not vendor or not prod:
        cv, cp = _from_cpe(cpe)
        vendor, prod = vendor or cv, prod or cp or name
    versions, single, note = None, None, ""
    ctx = _leaf_version(ctx)
    if pkg is not None and (pkg.versions or pkg.version):
        versions, single = pkg.versions, pkg.version
    else:
        for cat in ("product_version", "product_version_range"):
            if cat in ctx:
                own = ctx.get("product_name") or ctx.get("product_family", "")
                versions, single, note = _versions(cat, _own_words(ctx[cat], own, name))
    return TreeProduct(pid, name, vendor, prod, versions, single, cpe, purl, note)


def _walk(branches: Any, ctx: dict[str, str], out: dict[str, TreeProduct], depth: int) -> None:
    if not isinstance(branches, list) or depth > _MAX_DEPTH:
        return
    for branch in branches:
        if not isinstance(branch, dict):
            continue
        category, name = _str(branch.get("category")), _str(branch.get("name"))
        # A new context only where this branch adds to it (none is changed in place).
        here = {**ctx, category: name} if category and name else ctx
        product = branch.get("product")
        if isinstance(product, dict) and (leaf := _leaf(product, here)) is not None:
            out.setdefault(leaf.product_id, leaf)
        _walk(branch.get("branches"), here, out, depth + 1)


def _relationship(rel: dict[str, Any], out: dict[str, TreeProduct]) -> TreeProduct | None:
    full = rel.get("full_product_name")
    if not isinstance(full, dict):
        return None
    pid = _str(full.get("product_id"))
    component = out.get(_str(rel.get("product_reference")))
    platform = out.get(_str(rel.get("relates_to_product_reference")))
    if not pid or component is None:
        return None
    cpe, purl = _helper(full)
    where = _str(rel.get("category")).replace("_", " ")
    on = platform.name if platform else _str(rel.get("relates_to_product_reference"))
    note = "; ".join(x for x in (component.note, f"{where} {on}".strip()) if x)
    return replace(
        component,
        product_id=pid,
        name=_str(full.get("name")) or component.name,
        cpe=component.cpe or cpe,
        purl=component.purl or purl,
        note=note,
    )


def walk_tree(tree: Any) -> dict[str, TreeProduct]:
    """Every product the tree defines, keyed by product_id."""
    out: dict[str, TreeProduct] = {}
    if not isinstance(tree, dict):
        return out
    _walk(tree.get("branches"), {}, out, 0)
    for full in tree.get("full_product_names") or []:
        if isinstance(full, dict) and (leaf := _leaf(full, {})) is not None:
            out.setdefault(leaf.product_id, leaf)
    for rel in tree.get("relationships") or []:
        if isinstance(rel, dict) and (item := _relationship(rel, out)) is not None:
            out.setdefault(item.product_id, item)
    return out
