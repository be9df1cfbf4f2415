"""The feed gate (issue 12.10, RELIABILITY.md row 30): unknown encoding labels fall back as
feedparser does, a DOCTYPE without entity declarations passes, entity declarations and foreign
external DTDs are refused, UTF-16/32 are read with and without a BOM, and the HTTP charset
reaches the parser. Samples from feedparser's own corpus (tests/data/feedparser-sample/);
the whole corpus runs in bench/feed_gate.py."""

from __future__ import annotations

import io
import re
from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.feed_gate import headers_of
from certbot.config import FeedConfig
from certbot.errors import ParseError
from certbot.sources.rss import RssSource
from certbot.sources.xml_gate import charset_of, decode, gate

SAMPLE = Path(__file__).parent / "data" / "feedparser-sample"
FEED = FeedConfig(id="gate", kind="rss", url="https://feeds.example.org/rss")
REFUSED = {"entity_in_doctype.xml", "doctype_contains_entity_decl.xml"}  # they declare entities
EXPECT = re.compile(r"^Expect:\s+(.*)$", re.MULTILINE)


@pytest.mark.parametrize("path", sorted(SAMPLE.glob("*.xml")), ids=lambda p: p.name)
def test_feedparser_sample(path: Path) -> None:
    data = path.read_bytes()
    charset = charset_of(headers_of(data).get("content-type"))
    if path.name in REFUSED:
        with pytest.raises(ParseError, match="EntitiesForbidden"):
            gate(data, charset)
        return
    out = gate(data, charset)
    text = out.decode("utf-8")  # always UTF-8 out, whatever came in
    [expect] = EXPECT.findall(text)
    parsed = feedparser.parse(
        io.BytesIO(out), response_headers={"content-type": "application/xml; charset=utf-8"}
    )
    if expect.startswith("not bozo"):  # what feedparser said of the original holds of ours
        assert not parsed.bozo, (path.name, parsed.get("bozo_exception"))
    if "rss091n" in expect:
        assert parsed.version == "rss091n"


@pytest.mark.parametrize(
    "label", ["bogus", "utf8x", "base64", "rot13", "unicode_escape", "x" * 200]
)
def test_unknown_encoding_label_falls_back_never_lookuperror(label: str) -> None:
    doc = f'<?xml version="1.0" encoding="{label}"?><rss><channel><title>Sårbarhet</title>'
    doc += "</channel></rss>"
    text, used = decode(doc.encode("utf-8"))
    assert used == "utf-8" and "Sårbarhet" in text
    assert "Sårbarhet" in gate(doc.encode("utf-8"), charset=label).decode()
    [adv] = list(RssSource().parse(doc.replace("</channel>", ITEM).encode(), FEED))
    assert adv.title == "Varsel"


ITEM = "<item><title>Varsel</title><link>https://x.example/1</link></item></channel>"


def test_the_http_charset_reaches_the_parser() -> None:
    title = "Уязвимость в FortiOS"
    doc = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    doc += f"<item><title>{title}</title><link>https://x.example/1</link></item></channel></rss>"
    raw = doc.encode("koi8-r")
    [without] = list(RssSource().parse(raw, FEED))
    assert without.title != title  # the declaration lies; the fallback cannot know
    headers = {"Content-Type": "application/rss+xml; charset=KOI8-R"}
    [with_charset] = list(RssSource().parse(raw, FEED, headers=headers))
    assert with_charset.title == title


@pytest.mark.parametrize(
    ("header", "charset"),
    [
        ("text/xml; charset=utf-8", "utf-8"),
        ("text/xml;charset= 'us-ascii'", "us-ascii"),
        ('application/xml; charset="koi8-r"', "koi8-r"),
        ("text/xml; charset:iso-8859-1", "iso-8859-1"),
        ("application/rss+xml", None),
        (None, None),
    ],
)
def test_charset_of(header: str | None, charset: str | None) -> None:
    assert charset_of(header) == charset


def test_netscape_doctype_passes_foreign_external_dtd_does_not() -> None:
    netscape = (SAMPLE / "rss_version_091_netscape.xml").read_bytes()
    assert b"<!DOCTYPE rss PUBLIC" in gate(netscape)
    foreign = b'<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd"><rss version="2.0"></rss>'
    with pytest.raises(ParseError):
        gate(foreign)
    foreign_public = foreign.replace(b"SYSTEM", b'PUBLIC "-//Evil//DTD//EN"')
    with pytest.raises(ParseError):
        gate(foreign_public)
    internal = b"<!DOCTYPE rss [<!-- a comment only -->]><rss version='2.0'></rss>"
    assert gate(internal)  # an internal subset that declares nothing is harmless


UNICODE = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
BOM = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}
BOM |= {"utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}
XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="<&>\ufeff\ufffe\uffff"),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    title=XML_TEXT,
    encoding=st.sampled_from(UNICODE),
    bom=st.booleans(),
    declared=st.sampled_from([None, "same", "bogus", "utf-8"]),
)
def test_unicode_families_are_read_with_and_without_bom(
    title: str, encoding: str, bom: bool, declared: str | None
) -> None:
    label = encoding.replace("-le", "").replace("-be", "") if declared == "same" else declared
    head = f'<?xml version="1.0" encoding="{label}"?>' if label else '<?xml version="1.0"?>'
    doc = f"{head}<rss version='2.0'><channel><title>{title}</title></channel></rss>"
    raw = (BOM[encoding] if bom else b"") + doc.encode(encoding)
    out = gate(raw).decode("utf-8")
    assert f"<title>{title}</title>" in out


@pytest.mark.parametrize("encoding", UNICODE)
@pytest.mark.parametrize("bom", [True, False])
def test_entity_declarations_are_refused_in_every_encoding(encoding: str, bom: bool) -> None:
    doc = '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss><title>&a;</title></rss>'
    raw = (BOM[encoding] if bom else b"") + doc.encode(encoding)
    with pytest.raises(ParseError):
        gate(raw)
    broken = raw + "<unclosed".encode(encoding)  # the malformed path refuses it too
    with pytest.raises(ParseError):
        gate(broken)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.binary(max_size=300)
    | st.builds(
        lambda label, body: f'<?xml version="1.0" encoding="{label}"?>'.encode() + body,
        st.text(max_size=20),
        st.binary(max_size=200),
    ),
    charset=st.none() | st.text(max_size=20),
)
def test_gate_raises_nothing_but_parseerror(raw: bytes, charset: str | None) -> None:
    try:
        gate(raw, charset)
    except ParseError:
        pass
