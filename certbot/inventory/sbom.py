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
# cyclonedx-python-lib's deserialiser grows quadratically with the component count (measured:
# 2,000 components ~2 s, 10,000 ~50 s on an idle core); above this many, the documented
# component fields are read straight from the parsed JSON/XML (a parity test holds the two
# readers to the same result on the real SBOMs in tests/data/sbom/).
LIBRARY_LIMIT = 1_000


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
            count = sum(1 for e in root.iter() if e.tag.endswith("}component"))
            _too_many(path, count)
            if count > LIBRARY_LIMIT:
                return direct_xml(root)
            bom = Bom.from_xml(root)  # type: ignore[attr-defined]
        else:
            data = _json_document(path, text)
            count = len(data.get("components") or ())
            _too_many(path, count)
            if count > LIBRARY_LIMIT:
                return direct_json(path, data)
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


def _first(*values: Any) -> str:
    return next((str(v) for v in values if v), "")


def _purl_parts(purl: str) -> tuple[str, str]:
    """(namespace, type) of a package URL string, for the vendor fallback."""
    head = purl.removeprefix("pkg:").split("@")[0].split("?")[0].split("/")
    return ("/".join(head[1:-1]) if len(head) > 2 else "", head[0] if head else "")


def _direct(rows: Iterable[dict[str, Any]]) -> list[Component]:
    out = []
    for n, c in enumerate(rows):
        purl = c.get("purl") or None
        ns, typ = _purl_parts(purl) if purl else ("", "")
        vendor = _first(
            c.get("publisher"), c.get("supplier"), c.get("manufacturer"), c.get("group"), ns, typ
        )
        ref = f" (bom-ref {c['bom-ref']})" if c.get("bom-ref") else ""
        out.append(
            Component(
                vendor,
                str(c.get("name") or ""),
                c.get("version") or None,
                cpe23(c.get("cpe")),
                purl,
                where=f"component {n}{ref}",
            )
        )
    return out


def _json_walk(components: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for c in components:
        if isinstance(c, dict):
            yield {
                **c,
                "supplier": (c.get("supplier") or {}).get("name"),
                "manufacturer": (c.get("manufacturer") or {}).get("name"),
            }
            yield from _json_walk(c.get("components") or ())


def direct_json(path: Path, data: dict[str, Any]) -> list[Component]:
    top = (data.get("metadata") or {}).get("component")
    rows = list(_json_walk([top] if top else []))
    rows += _json_walk(data.get("components") or ())
    if any(not r.get("name") for r in rows):
        raise InputError(
            f"{path}: (document): a component without a name; is this a CycloneDX BOM?"
        )
    return _direct(rows)


def _xml_walk(parent: Element | None, ns: str) -> Iterator[dict[str, Any]]:
    if parent is None:
        return
    for c in parent.findall(f"{ns}component"):
        row: dict[str, Any] = {
            k: c.findtext(f"{ns}{k}")
            for k in ("name", "version", "group", "publisher", "purl", "cpe")
        }
        row["supplier"] = c.findtext(f"{ns}supplier/{ns}name")
        row["manufacturer"] = c.findtext(f"{ns}manufacturer/{ns}name")
        row["bom-ref"] = c.get("bom-ref")
        yield row
        yield from _xml_walk(c.find(f"{ns}components"), ns)


def direct_xml(root: Element) -> list[Component]:
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    rows = list(_xml_walk(root.find(f"{ns}metadata"), ns))
    rows += _xml_walk(root.find(f"{ns}components"), ns)
    return _direct(rows)


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
