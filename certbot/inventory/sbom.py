"""Reading SBOMs: CycloneDX 1.4-1.6 (JSON, XML) with cyclonedx-python-lib, SPDX 2.2/2.3 (JSON,
tag-value) with spdx-tools.

Contract: `read_sbom(path, fmt)` returns the file's components as `Component`s (nested
CycloneDX components and the document's own ``metadata.component`` included) or raises
`InputError` naming the file, the line or component and the problem. Files over `MAX_BYTES`
and documents with more than `MAX_COMPONENTS` components are refused before any parsing
beyond the count. XML is parsed with defusedxml (no entities, no external references).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component as CdxComponent
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.parser.tagvalue.parser import Parser as TagValueParser

MAX_BYTES = 64 * 1024 * 1024  # a 50 MB SBOM is read; larger ones are refused
MAX_COMPONENTS = 200_000


class InputError(ValueError):
    """Input certbot cannot import; the message names file, place and problem."""


@dataclass(frozen=True, slots=True)
class Component:
    """One software item as an import source states it."""

    vendor: str
    product: str
    version: str | None = None
    cpe: str | None = None
    purl: str | None = None
    devices: int | None = None
    where: str = ""  # "component 12", "line 5"
    flags: tuple[tuple[str, object], ...] = ()  # internet_facing, criticality, note (tables)


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path}: (file): the file is empty")
    if size > MAX_BYTES:
        raise InputError(
            f"{path}: (file): {size / 2**20:.0f} MB is more than the {MAX_BYTES // 2**20} MB "
            "certbot imports; split the SBOM per product or system"
        )


def _too_many(path: Path, count: int) -> None:
    if count > MAX_COMPONENTS:
        raise InputError(
            f"{path}: (document): {count} components, more than the {MAX_COMPONENTS} certbot "
            "imports; split the SBOM per product or system"
        )


def cpe23(cpe: str | None) -> str | None:
    """A CPE 2.3 name as it is; a simple CPE 2.2 URI converted; anything else None."""
    if not cpe:
        return None
    if cpe.startswith("cpe:2.3:"):
        return cpe
    m = re.fullmatch(r"cpe:/([aho]):([^:]+):([^:]+)(?::([^:]*))?(?::([^:]*))?", cpe)
    if not m:
        return None
    part, vendor, product, version, update = m.groups()
    return f"cpe:2.3:{part}:{vendor}:{product}:{version or '*'}:{update or '*'}:*:*:*:*:*:*"


# --- CycloneDX ---------------------------------------------------------------------------------


def _cdx_vendor(c: CdxComponent) -> str:
    for cand in (
        c.publisher,
        c.supplier.name if c.supplier else None,
        getattr(c, "manufacturer", None) and c.manufacturer.name,  # type: ignore[union-attr]
        c.group,
        c.purl.namespace if c.purl else None,
        c.purl.type if c.purl else None,
    ):
        if cand:
            return str(cand)
    return ""


def _cdx_walk(components: Iterable[CdxComponent]) -> Iterator[CdxComponent]:
    for c in components:
        yield c
        yield from _cdx_walk(c.components)


def _cdx_components(bom: Bom) -> list[Component]:
    top = [bom.metadata.component] if bom.metadata.component is not None else []
    out = []
    for n, c in enumerate(_cdx_walk([*top, *bom.components])):
        ref = f" (bom-ref {c.bom_ref.value})" if c.bom_ref and c.bom_ref.value else ""
        out.append(
            Component(
                vendor=_cdx_vendor(c),
                product=c.name,
                version=c.version or None,
                cpe=cpe23(c.cpe),
                purl=c.purl.to_string() if c.purl else None,
                where=f"component {n}{ref}",
            )
        )
    return out


def _json_document(path: Path, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg}); "
            "is the file complete?"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: (document): expected a JSON object at the top")
    return data


def read_cyclonedx(path: Path, text: str) -> list[Component]:
    with warnings.catch_warnings():  # deprecations of older spec versions are not our business
        warnings.simplefilter("ignore")
        return _read_cyclonedx(path, text)


def _read_cyclonedx(path: Path, text: str) -> list[Component]:
    try:
        if text.lstrip().startswith("<"):
            root: Element = SafeET.fromstring(text)
            _too_many(path, sum(1 for e in root.iter() if e.tag.endswith("}component")))
            bom = Bom.from_xml(root)  # type: ignore[attr-defined]
        else:
            data = _json_document(path, text)
            _too_many(path, len(data.get("components") or ()))
            bom = Bom.from_json(data)  # type: ignore[attr-defined]
    except ParseError as exc:
        line, col = exc.position
        raise InputError(
            f"{path}: line {line} column {col}: not well-formed XML ({exc.msg}); "
            "is the file complete?"
        ) from None
    except InputError:
        raise
    except Exception as exc:  # the library raises many kinds on a document it cannot read
        raise InputError(
            f"{path}: (document): not a CycloneDX 1.4-1.6 BOM certbot can read: {exc}"
        ) from None
    return _cdx_components(bom)


# --- SPDX --------------------------------------------------------------------------------------


def _spdx_actor(actor: Any) -> str:
    name = getattr(actor, "name", None)
    return str(name) if name else ""


def read_spdx(path: Path, text: str) -> list[Component]:
    try:
        if text.lstrip().startswith("{"):
            data = _json_document(path, text)
            _too_many(path, len(data.get("packages") or ()))
            doc = JsonLikeDictParser().parse(data)
        else:
            _too_many(path, len(re.findall(r"(?m)^PackageName:", text)))
            doc = TagValueParser().parse(text)
    except SPDXParsingError as exc:
        shown = "; ".join(exc.get_messages()[:5])
        raise InputError(
            f"{path}: (document): not an SPDX 2.2/2.3 document certbot can read: {shown}"
        ) from None
    out = []
    for n, p in enumerate(doc.packages):
        cpe = purl = None
        for ref in p.external_references:
            if ref.reference_type in ("cpe23Type", "cpe22Type") and cpe is None:
                cpe = cpe23(ref.locator)
            elif ref.reference_type == "purl" and purl is None:
                purl = ref.locator
        vendor = _spdx_actor(p.supplier) or _spdx_actor(p.originator)
        out.append(
            Component(
                vendor=vendor,
                product=p.name,
                version=p.version or None,
                cpe=cpe,
                purl=purl,
                where=f"package {n} ({p.spdx_id})",
            )
        )
    return out


def sniff_format(path: Path, text: str) -> str:
    """'cyclonedx', 'spdx' or 'csv' from the content."""
    head = text.lstrip()[:4096]
    if head.startswith("{"):
        if '"bomFormat"' in head or "cyclonedx" in head.lower():
            return "cyclonedx"
        if '"spdxVersion"' in head or "SPDXRef-" in head:
            return "spdx"
        if '"components"' in head:
            return "cyclonedx"
        return "spdx"
    if head.startswith("<"):
        return "cyclonedx"
    if re.search(r"(?m)^SPDXVersion:", head):
        return "spdx"
    return "csv"
