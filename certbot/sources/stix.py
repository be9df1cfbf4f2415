"""STIX 2.1 bundles -> one `Advisory` per ``vulnerability`` object (pure).

Reads a bundle, a TAXII envelope (``{"objects": [...]}``), a list or a single object, with
plain (strict, duplicate-key-rejecting) JSON: the bulk is never run through ``stix2.parse``, so
a large bundle parses at well over 50,000 objects/s. Each emitted vulnerability gets a fast
structural check (type, id, timestamps); ``stix2`` is used where it adds value: the bundle's
own marking-definition objects are validated with it before their TLP is trusted.

Mapping:

- CVEs from ``external_references`` with ``source_name: cve``; title = name; summary =
  description; revision = ``modified``; ``revoked: true`` -> ``withdrawn=True``;
- products: ``software`` SCOs (vendor, name, version, cpe) linked to the vulnerability by a
  ``has``, ``targets`` or ``related-to`` relationship, in either direction;
- TLP from ``object_marking_refs`` (and granular markings): TLP 1 and TLP 2.0 marking ids
  (DOMAIN.md), or a TLP marking-definition object in the bundle; the most restrictive wins. An
  unknown marking id, or no marking at all, gives ``tlp=None`` (unknown, routed as RED).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import stix2
from stix2.exceptions import STIXError

from certbot.errors import ParseError
from certbot.model import TLP, Advisory, AffectedProduct
from certbot.sources import Source
from certbot.sources.csaf import parse_time
from certbot.sources.jsonload import load_json
from certbot.sources.options import AdvisoryOptions
from certbot.versions import exact, parse_range

if TYPE_CHECKING:
    from certbot.config import FeedConfig

log = logging.getLogger(__name__)

TLP_MARKINGS: dict[str, TLP] = {
    # TLP 1.0 (STIX 2.1 spec, fixed ids)
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,  # WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
    # TLP 2.0 (cti-stix-common-objects, extension-definition--60a3c5c5...)
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLP.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLP.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLP.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLP.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLP.RED,
}
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
LINKS = {"has", "targets", "related-to"}
_ID = re.compile(r"^vulnerability--[0-9a-fA-F-]{36}$")
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)
_UNKNOWN = object()


def objects_of(data: Any) -> list[dict[str, Any]]:
    """The STIX objects in a bundle, TAXII envelope, list or single object."""
    if isinstance(data, dict):
        objs = data.get("objects") if "objects" in data else [data]
    else:
        objs = data
    if not isinstance(objs, list):
        raise ParseError("not a STIX bundle, envelope or object")
    return [o for o in objs if isinstance(o, dict) and isinstance(o.get("type"), str)]


def _marking_tlp(obj: dict[str, Any]) -> Any:
    """A bundle's own marking-definition -> its TLP; None for a non-TLP marking (statement);
    _UNKNOWN for a TLP marking that cannot be read (validated with stix2 first)."""
    ext = obj.get("extensions")
    if isinstance(ext, dict) and isinstance(ext.get(TLP2_EXTENSION), dict):
        name = ext[TLP2_EXTENSION].get("tlp_2_0")
        return (TLP.parse(name) if isinstance(name, str) else None) or _UNKNOWN
    if obj.get("definition_type") != "tlp":
        return None if obj.get("definition_type") == "statement" else _UNKNOWN
    try:
        stix2.parse(obj, allow_custom=True)
    except (STIXError, ValueError, TypeError):
        log.warning("invalid TLP marking-definition %s: label unknown", str(obj.get("id"))[:80])
        return _UNKNOWN
    definition = obj.get("definition")
    name = definition.get("tlp") if isinstance(definition, dict) else None
    return (TLP.parse(name) if isinstance(name, str) else None) or _UNKNOWN


def _markings(objs: list[dict[str, Any]]) -> dict[str, Any]:
    """marking id -> TLP, None (a non-TLP marking) or _UNKNOWN."""
    known: dict[str, Any] = dict(TLP_MARKINGS)
    for obj in objs:
        if obj["type"] == "marking-definition" and isinstance(obj.get("id"), str):
            known.setdefault(obj["id"], _marking_tlp(obj))  # None = a non-TLP marking
    return known


def resolve_tlp(obj: dict[str, Any], known: dict[str, Any]) -> TLP | None:
    refs = list(obj.get("object_marking_refs") or [])
    for gm in obj.get("granular_markings") or []:
        if isinstance(gm, dict) and gm.get("marking_ref"):
            refs.append(gm["marking_ref"])
    labels: list[TLP] = []
    for ref in refs:
        value = known.get(ref, _UNKNOWN) if isinstance(ref, str) else _UNKNOWN
        if value is _UNKNOWN:
            return None  # an id we cannot read: unknown, routed as RED
        if isinstance(value, TLP):
            labels.append(value)
    return max(labels) if labels else None


@lru_cache(maxsize=65536)
def _range(version: str) -> str | None:
    text = exact(version)
    return text if parse_range(text) is not None else None


@lru_cache(maxsize=65536)
def _time(value: str) -> datetime | None:
    return parse_time(value)


def _product(sw: dict[str, Any]) -> AffectedProduct:
    version = sw.get("version") if isinstance(sw.get("version"), str) else None
    versions = _range(version) if version else None
    cpe = sw.get("cpe") if isinstance(sw.get("cpe"), str) else None
    return AffectedProduct(
        vendor=str(sw.get("vendor") or ""),
        product=str(sw.get("name") or ""),
        versions=versions,
        cpe=cpe,
        purl=None,
        status="affected",
        entry=str(sw.get("id"))
        + (f": version {version!r} not readable" if version and versions is None else ""),
    )


def _linked_software(
    objs: list[dict[str, Any]], software: dict[str, dict[str, Any]]
) -> dict[str, list[str]]:
    linked: dict[str, list[str]] = defaultdict(list)
    for rel in objs:
        if rel["type"] != "relationship" or rel.get("relationship_type") not in LINKS:
            continue
        src, dst = rel.get("source_ref"), rel.get("target_ref")
        if not isinstance(src, str) or not isinstance(dst, str):
            continue
        for vuln, other in ((src, dst), (dst, src)):
            if vuln.startswith("vulnerability--") and other in software:
                linked[vuln].append(other)
    return linked


def _check(vuln: dict[str, Any]) -> str | None:
    """Fast structural check of an emitted vulnerability; a reason when it is not valid."""
    if not _ID.match(str(vuln.get("id", ""))):
        return "bad id"
    if vuln.get("spec_version", "2.1") != "2.1":
        return "not STIX 2.1"
    created, modified = vuln.get("created"), vuln.get("modified")
    if not isinstance(created, str) or not isinstance(modified, str):
        return "no created/modified timestamp"
    if _time(created) is None or _time(modified) is None:
        return "bad created/modified timestamp"
    if not isinstance(vuln.get("name"), str) or not vuln["name"].strip():
        return "no name"
    return None


def _cves(vuln: dict[str, Any]) -> tuple[tuple[str, ...], str | None]:
    cves, url = [], None
    for ref in vuln.get("external_references") or []:
        if not isinstance(ref, dict):
            continue
        ext_id = str(ref.get("external_id") or "").strip().upper()
        if str(ref.get("source_name", "")).lower() == "cve" and _CVE.match(ext_id):
            cves.append(ext_id)
        if url is None and isinstance(ref.get("url"), str):
            url = ref["url"]
    return tuple(dict.fromkeys(cves)), url


def parse_objects(objs: list[dict[str, Any]], feed_id: str) -> Iterator[Advisory]:
    """Advisories from already-loaded STIX objects (shared with the TAXII source)."""
    known = _markings(objs)
    software = {
        o["id"]: o for o in objs if o["type"] == "software" and isinstance(o.get("id"), str)
    }
    linked = _linked_software(objs, software)
    for vuln in objs:
        if vuln["type"] != "vulnerability":
            continue
        problem = _check(vuln)
        if problem:
            log.warning("feed %s: STIX vulnerability skipped (%s)", feed_id, problem)
            continue
        cves, url = _cves(vuln)
        products = tuple(_product(software[s]) for s in dict.fromkeys(linked.get(vuln["id"], [])))
        yield Advisory(
            source=feed_id,
            source_id=vuln["id"],
            title=vuln["name"].strip()[:500],
            summary=" ".join(str(vuln.get("description") or "").split())[:2000],
            url=url,
            published=_time(vuln["created"]),
            updated=_time(vuln["modified"]),
            cves=cves,
            tlp=resolve_tlp(vuln, known),
            products=products,
            structured=True,
            revision=str(vuln.get("modified")),
            withdrawn=vuln.get("revoked") is True,
            extra={"stix_id": vuln["id"], "markings": list(vuln.get("object_marking_refs") or [])},
        )


def parse_bundle(doc: bytes, feed_id: str) -> Iterator[Advisory]:
    return parse_objects(objects_of(load_json(doc)), feed_id)


class StixSource(Source):
    """A STIX 2.1 bundle fetched with the default single GET."""

    options = AdvisoryOptions

    kind = "stix"

    def parse(self, doc: bytes, feed: FeedConfig) -> Iterator[Advisory]:
        yield from parse_bundle(doc, feed.id)
