"""Bundled JSON schemas for offline validation (no schema is ever fetched at run time).

- ``csaf_json_schema.json``: CSAF 2.0 (oasis-tcs/csaf ``csaf_2.0/json_schema/``, commit
  27af37f5c9a1), draft 2020-12.
- ``first/cvss-v2.0.json``, ``cvss-v3.0.json``, ``cvss-v3.1.json``: the FIRST CVSS schemas the
  CSAF schema ``$ref``s by https URL (``csaf_2.0/referenced_schema/first/``), registered under
  those URLs in a `referencing.Registry`.

`csaf20_is_valid` answers the common case (a valid document) with jsonschema-rs, the same
schema and registry compiled to native code (~6 µs a document instead of ~800 µs); a document
it refuses goes through `csaf20_validator`, which gives the message (and has the last word).

The CSAF 2.1 schema is not bundled: 2.1 documents get a structural check instead
(`certbot.sources.csaf.validate`).
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
