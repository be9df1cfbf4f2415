"""Bundled JSON schemas for offline validation (no schema is ever fetched at run time).

- ``csaf_json_schema.json``: CSAF 2.0 (oasis-tcs/csaf ``csaf_2.0/json_schema/``, commit
  27af37f5c9a1), draft 2020-12.
- ``first/cvss-v2.0.json``, ``cvss-v3.0.json``, ``cvss-v3.1.json``: the FIRST CVSS schemas the
  CSAF schema ``$ref``s by https URL (``csaf_2.0/referenced_schema/first/``), registered under
  those URLs in a `referencing.Registry`.

`csaf20_is_valid` answers the common case (a valid document) with jsonschema-rs, the same
schema and registry compiled to native code (~6 µs a document instead of ~800 µs); a document
it refuses goes through `csaf20_validator`, which gives the message (and has the last word).

CSAF 2.1 (``csaf21/csaf.json``, oasis-tcs/csaf ``csaf_2.1/json_schema/`` at the same commit)
is validated with jsonschema-rs only: python-jsonschema wrongly rejects some valid CVSS v4
scores. Every schema it references is bundled and registered under its URL: the CSAF 2.1
meta-schema and extension schemas (``csaf21/``), FIRST CVSS v2.0/v3.0/v3.1/v4.0 and FIRST's
meta-schema (``first/``), CERT/CC's SSVC SelectionList 2.0.0 (``certcc/``). The validator has
a retriever that refuses every URL, so validation never goes to the network.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

_FIRST = {
    "https://www.first.org/cvss/cvss-v2.0.json": "cvss-v2.0.json",
    "https://www.first.org/cvss/cvss-v3.0.json": "cvss-v3.0.json",
    "https://www.first.org/cvss/cvss-v3.1.json": "cvss-v3.1.json",
}


_CSAF21 = "https://docs.oasis-open.org/csaf/csaf/v2.1/schema/"
_CSAF21_REFS = {
    f"{_CSAF21}meta.json": ("csaf21", "meta.json"),
    f"{_CSAF21}extension-content.json": ("csaf21", "extension-content.json"),
    f"{_CSAF21}extension-metaschema.json": ("csaf21", "extension-metaschema.json"),
    "https://www.first.org/cvss/meta.json": ("first", "meta.json"),
    "https://www.first.org/cvss/cvss-v4.0.json": ("first", "cvss-v4.0.json"),
    "https://certcc.github.io/SSVC/data/schema/v2/SelectionList_2_0_0.schema.json": (
        "certcc",
        "SelectionList_2_0_0.schema.json",
    ),
    **{url: ("first", name) for url, name in _FIRST.items()},
}


def _load(*parts: str) -> Any:
    path = resources.files(__package__).joinpath(*parts)
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def csaf20_validator() -> Draft202012Validator:
    """A validator for CSAF 2.0 documents with the FIRST CVSS schemas registered offline."""
    registry: Registry = Registry()
    for url, name in _FIRST.items():
        registry = registry.with_resource(url, Resource.from_contents(_load("first", name)))
    schema = _load("csaf_json_schema.json")
    return Draft202012Validator(schema, registry=registry)


@lru_cache(maxsize=1)
def _csaf20_native() -> jsonschema_rs.Draft202012Validator:
    registry = jsonschema_rs.Registry([(url, _load("first", name)) for url, name in _FIRST.items()])
    return jsonschema_rs.Draft202012Validator(
        _load("csaf_json_schema.json"), registry=registry, validate_formats=False
    )


def csaf20_is_valid(doc: Any) -> bool:
    """True when the document is valid CSAF 2.0 (formats are not checked, as with
    `csaf20_validator`)."""
    return bool(_csaf20_native().is_valid(doc))


def _offline(uri: str) -> Any:
    raise ValueError(f"schema {uri} is not bundled; validation never fetches")


@lru_cache(maxsize=1)
def csaf21_validator() -> jsonschema_rs.Draft202012Validator:
    """A jsonschema-rs validator for CSAF 2.1 documents, every referenced schema bundled."""
    registry = jsonschema_rs.Registry(
        [(url, _load(*parts)) for url, parts in _CSAF21_REFS.items()], retriever=_offline
    )
    return jsonschema_rs.Draft202012Validator(
        _load("csaf21", "csaf.json"), registry=registry, validate_formats=False, retriever=_offline
    )


def csaf21_error(doc: Any) -> str | None:
    """None when the document is valid CSAF 2.1, else '<json path>: <message>' of one error."""
    error = next(iter(csaf21_validator().iter_errors(doc)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.instance_path) or "(top)"
    return f"{where}: {error.message[:160]}"


_CSAF20_ID = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"


@lru_cache(maxsize=1)
def provider_validator() -> Draft202012Validator:
    """CSAF 2.0 provider-metadata.json (``provider_json_schema.json``); its ``publisher``
    ``$ref``s the CSAF 2.0 schema, registered offline under its ``$id``."""
    registry: Registry = Registry().with_resource(
        _CSAF20_ID, Resource.from_contents(_load("csaf_json_schema.json"))
    )
    return Draft202012Validator(_load("provider_json_schema.json"), registry=registry)


@lru_cache(maxsize=1)
def rolie_validator() -> Draft202012Validator:
    """A CSAF ROLIE feed (``ROLIE_feed_json_schema.json``)."""
    return Draft202012Validator(_load("ROLIE_feed_json_schema.json"))
