"""Strict JSON loading for structured sources (RELIABILITY.md, hostile input row 13).

``load_json`` turns bytes into Python objects or raises `ParseError`; it never lets a hostile
document crash the poller:

- duplicate keys are rejected: a second ``"tlp"`` or ``"label"`` could silently loosen the
  distribution label, so a document with any repeated key in one object is refused;
- nesting deep enough to exhaust the stack (100,000 ``[``) becomes a ParseError, not a crash;
- integers longer than Python's digit limit and invalid UTF-8 become ParseErrors; huge floats
  load as ``inf`` and are dealt with by the parsers.

``load_json_fast`` skips the duplicate-key check for the STIX/TAXII hot path, where markings
are lists of ids and the bulk must parse at C speed.

``load_json`` keeps one decoder, made once: ``json.loads`` with a hook builds a new
`JSONDecoder` (and its C scanner) on every call, about 3.5 µs, a twentieth of reading a small
CSAF document. The scanner keeps no state between documents (its key memo is cleared after
each one), as ``json.loads``'s own shared decoder does.
"""

from __future__ import annotations

import json
from typing import Any

from certbot.errors import ParseError


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """One object: built by ``dict`` in C; a repeated key shows as fewer keys than pairs."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ParseError(f"duplicate JSON key {key[:40]!r}: document rejected")
            seen.add(key)
    return out


def _decode(doc: bytes | str) -> str:
    if isinstance(doc, str):
        return doc
    try:
        return doc.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 at byte {exc.start}") from None


_STRICT = json.JSONDecoder(object_pairs_hook=_no_duplicates)


def _text(doc: bytes | str) -> str:
    """The document as text, refused as ``json.loads`` refuses it if a BOM is left."""
    text = _decode(doc)
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return text


def load_json(doc: bytes | str) -> Any:
    """Parse JSON strictly (duplicate keys rejected); raise ParseError on anything wrong."""
    try:
        return _STRICT.decode(_text(doc))
    except RecursionError:
        raise ParseError("JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # e.g. an integer over the int-digits limit
        raise ParseError(f"unreadable JSON value: {str(exc)[:80]}") from None


def load_json_fast(doc: bytes | str) -> Any:
    """Parse JSON at C speed (no duplicate-key check); raise ParseError on anything wrong."""
    try:
        return json.loads(_decode(doc))
    except RecursionError:
        raise ParseError("JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise ParseError(f"unreadable JSON value: {str(exc)[:80]}") from None
