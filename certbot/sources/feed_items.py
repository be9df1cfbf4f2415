"""Split an RSS/Atom document into its items, and rebuild it with only some of them.

Contract: `split` takes a document the XML gate has already passed (UTF-8, no entity
declarations) and streams it with lxml (``iterparse``, entities never resolved, no network),
so a 100,000-item feed costs one fast pass and the item bytes, never feedparser's full parse.
Each item (``item`` of RSS 0.9x/1.0/2.0, ``entry`` of Atom, in any namespace) is kept as its
serialised bytes and a digest of those bytes (an edited item gets a new digest). `Split.rebuild`
returns the document with only the chosen items, in document order, for the source's own
parser. The item cap (`certbot.feed_cap`) decides which ones.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from lxml import etree

from certbot.errors import ParseError

ITEM_TAGS = ("item", "entry")


@dataclass
class Split:
    """A document's skeleton (every element but the items) and its items."""

    skeleton: etree._Element
    container: etree._Element | None
    items: list[bytes] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)

    def rebuild(self, chosen: list[int]) -> bytes:
        """The document with only the items at the indexes ``chosen`` (document order)."""
        root = self.skeleton
        if self.container is not None:
            for i in sorted(chosen):
                self.container.append(etree.fromstring(self.items[i]))
        out: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
        if self.container is not None:
            for el in list(self.container):
                if etree.QName(el).localname in ITEM_TAGS:
                    self.container.remove(el)
        return out


def split(doc: bytes) -> Split:
    """Stream ``doc`` once; raise `ParseError` if lxml cannot read it."""
    parser_args = {"resolve_entities": False, "no_network": True, "load_dtd": False}
    items: list[bytes] = []
    digests: list[str] = []
    container: etree._Element | None = None
    root: etree._Element | None = None
    try:
        for _, el in etree.iterparse(io.BytesIO(doc), events=("end",), **parser_args):
            root = el  # the last end event is the root
            if not isinstance(el.tag, str) or etree.QName(el).localname not in ITEM_TAGS:
                continue
            parent = el.getparent()
            if parent is None:
                continue
            if container is None:
                container = parent
            blob = etree.tostring(el, encoding="utf-8", with_tail=False)
            items.append(blob)
            digests.append(hashlib.blake2b(blob, digest_size=12).hexdigest())
            parent.remove(el)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"unreadable XML ({exc.msg})") from None
    if root is None:
        raise ParseError("empty XML document")
    while root.getparent() is not None:
        root = root.getparent()
    return Split(root, container, items, digests)
