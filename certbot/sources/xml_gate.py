"""The XML gate every feed passes before feedparser sees it (RELIABILITY.md "Hostile input").

``gate(doc, charset)`` decodes the bytes once, checks them with defusedxml, and returns the
very text it checked as UTF-8 bytes (its XML declaration rewritten to say so), so feedparser
never reads a document other than the one that was verified.

Encoding, in the order XML 1.0 Appendix F and RFC 7303 give:

1. a byte order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
2. the UTF-16/UTF-32 patterns of ``<?`` or ``<`` without a BOM;
3. the HTTP ``Content-Type`` charset (``charset_of``), then the XML declaration's
   ``encoding``, then UTF-8, windows-1252 and ISO-8859-1 - feedparser's own fallback order.

A label Python does not know (``encoding="bogus"``, ``utf8x``), or one that cannot decode the
bytes, is skipped for the next candidate; a LookupError never leaves the gate. Invalid bytes
under a BOM or a UTF-16/32 pattern become U+FFFD, as feedparser reads them.

Well-formed XML goes through defusedxml with ``forbid_dtd=False, forbid_entities=True,
forbid_external=True``: a DOCTYPE without entity declarations (Netscape RSS 0.91) passes;
entity declarations (billion laughs, quadratic blow-up), external entities and external DTDs
raise `ParseError` before anything grows. No DTD is ever fetched (expat's parameter entity
parsing stays off; feedparser gets a stream); a DOCTYPE naming an external DTD is refused
unless its public id is a known one (`FEED_DTDS`: Netscape RSS 0.91, XHTML 1.x). Malformed XML (feedparser still reads it leniently) passes only if it
declares no entity at all.
"""

from __future__ import annotations

import codecs
import re
from xml.parsers.expat import ExpatError

import defusedxml
import defusedxml.ElementTree

from certbot.errors import ParseError

BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
SNIFF = (  # XML 1.0 Appendix F, without a BOM: "<?" (or "<") in each encoding
    (re.compile(rb"\A\x00\x00\x00[\x3c]"), "utf-32-be"),
    (re.compile(rb"\A\x3c\x00\x00\x00"), "utf-32-le"),
    (re.compile(rb"\A\x00\x3c\x00[^\x00]"), "utf-16-be"),
    (re.compile(rb"\A\x3c\x00[^\x00]\x00"), "utf-16-le"),
)
FALLBACK = ("utf-8", "windows-1252", "iso-8859-1")  # feedparser's order after the labels
NOT_FOR_TEXT = frozenset(
    {
        "unicode-escape",
        "raw-unicode-escape",
        "idna",
        "punycode",
        "undefined",
        "mbcs",
        "oem",
        "utf-7",
    }
)
CHARSET = re.compile(r"""charset\s*[=:]\s*["']?([^"';\s]+)""", re.IGNORECASE)
DECLARED = re.compile(rb"""\A\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']{1,40})["']""")
DECLARATION = re.compile(r"""\A(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
FEED_DTDS = frozenset(  # public ids seen on real feeds; the DTD itself is never fetched
    {
        "-//Netscape Communications//DTD RSS 0.91//EN",
        "-//W3C//DTD XHTML 1.0 Transitional//EN",  # pasted from a web page (feedparser strips it)
        "-//W3C//DTD XHTML 1.0 Strict//EN",
        "-//W3C//DTD XHTML 1.1//EN",
    }
)
ENTITY_DECL = re.compile(r"<!\s*ENTITY", re.IGNORECASE)


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of an HTTP Content-Type (quoted or not), or None."""
    m = CHARSET.search(content_type or "")
    return m.group(1) if m else None


def _codec(label: str | None) -> str | None:
    """Python's name for an encoding label, or None when unknown or not a text encoding."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip())
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in NOT_FOR_TEXT:
        return None
    return info.name


def _ascii_compatible(name: str) -> bool:
    try:
        return "<?xml".encode(name) == b"<?xml"
    except (UnicodeError, LookupError):
        return False


def decode(doc: bytes, charset: str | None = None) -> tuple[str, str]:
    """(text, encoding used): BOM, UTF-16/32 sniffing, then the labels and the fallbacks."""
    for bom, name in BOMS:
        if doc.startswith(bom):
            return _lenient(doc[len(bom) :], name), name
    for pattern, name in SNIFF:
        if pattern.match(doc):
            return _lenient(doc, name), name
    declared = DECLARED.match(doc)
    labels = (charset, declared.group(1).decode("ascii", "replace") if declared else None)
    for candidate in (*(_codec(x) for x in labels), *FALLBACK):
        if candidate is None or not _ascii_compatible(candidate):
            continue
        try:
            return doc.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise ParseError("feed undecodable in every candidate encoding")  # iso-8859-1 never fails


def _lenient(body: bytes, name: str) -> str:
    """A BOM or the UTF-16/32 pattern settles the encoding; invalid bytes in it become U+FFFD
    (feedparser reads such a feed too, flagged "bozo"), which can declare nothing."""
    return body.decode(name, errors="replace")


class _NullTarget:
    """An ElementTree parser target that builds nothing: the gate only needs the events."""

    def start(self, tag: str, attrs: dict[str, str]) -> None: ...
    def end(self, tag: str) -> None: ...
    def data(self, data: str) -> None: ...
    def close(self) -> None: ...


class _ForeignDTD(Exception):
    """A DOCTYPE naming an external DTD that is no feed format's own."""


def _doctype(name: str, system_id: str | None, public_id: str | None, internal: int) -> None:
    if system_id and public_id not in FEED_DTDS:
        raise _ForeignDTD(system_id[:80])


def check(text: str) -> None:
    """Raise ParseError on entity declarations, external entities or DTD fetches."""
    parser = defusedxml.ElementTree.XMLParser(
        target=_NullTarget(), forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    parser.parser.StartDoctypeDeclHandler = _doctype
    try:
        parser.feed(text)  # a str: expat reads it as UTF-8 whatever the declaration says
        parser.close()
    except (defusedxml.DefusedXmlException, _ForeignDTD) as exc:
        raise ParseError(
            f"XML refused: {type(exc).__name__} (entity declarations and external entities "
            "are not allowed)"
        ) from None
    except (ExpatError, SyntaxError, ValueError):
        if ENTITY_DECL.search(text):
            raise ParseError("malformed XML declaring entities refused") from None


def gate(doc: bytes, charset: str | None = None) -> bytes:
    """The verified document as UTF-8 bytes, or ParseError. ``charset``: the HTTP one."""
    text, _ = decode(doc, charset)
    text = text.lstrip("\ufeff")
    check(text)
    return DECLARATION.sub(r"\1\2utf-8\2", text, count=1).encode("utf-8", "replace")


__all__ = ["charset_of", "check", "decode", "gate"]
