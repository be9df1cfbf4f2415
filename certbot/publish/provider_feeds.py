"""The index files of the provider tree (pure): ROLIE feeds, ``changes.csv``, ``index.txt``
and the Atom feed of the CLEAR advisories.

Every function takes the documents the reader may see (`certbot.publish.provider.Doc`), so
the served provider lists only what the caller's token allows and ``export-csaf`` lists all.

- ROLIE (RFC 8322, CSAF 2.0 §7.1.15): one JSON feed per TLP folder, ``<folder>/csaf-feed-
  tlp-<folder>.json``; each entry links the document (``self``), its ``hash`` and its
  ``signature``;
- ``<folder>/changes.csv``: ``"<path>","<current_release_date>"`` per document, newest first;
  ``<folder>/index.txt``: one path per line (CSAF 2.0 §7.1.13, §7.1.14);
- ``atom.xml``: RFC 4287, bokmål (``xml:lang="nb"``), the CLEAR advisories only; what RSS
  readers (and certbot's own ``kind: rss`` source) read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

if TYPE_CHECKING:
    from certbot.publish.provider import Doc

FOLDERS = {"white": "WHITE", "green": "GREEN", "amber": "AMBER"}
ROLIE_CATEGORY = "urn:ietf:params:rolie:category:information-type"
CSAF_SCHEMA = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
ATOM = "http://www.w3.org/2005/Atom"


def stamp(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def feed_name(folder: str) -> str:
    return f"{folder}/csaf-feed-tlp-{folder}.json"


def rolie_feed(folder: str, docs: Sequence[Doc], base: str, now: datetime) -> bytes:
    entries = []
    for d in sorted(docs, key=lambda d: d.current, reverse=True):
        url = f"{base}/{d.path}"
        entries.append(
            {
                "id": d.id,
                "title": d.title,
                "link": [
                    {"rel": "self", "href": url},
                    {"rel": "hash", "href": url + ".sha512"},
                    {"rel": "signature", "href": url + ".asc"},
                ],
                "published": stamp(d.initial),
                "updated": stamp(d.current),
                "summary": {"content": d.summary},
                "content": {"type": "application/json", "src": url},
                "format": {"schema": CSAF_SCHEMA, "version": "2.0"},
            }
        )
    feed = {
        "feed": {
            "id": f"kommune-certbot-csaf-feed-tlp-{folder}",
            "title": f"CSAF-varsler TLP:{'CLEAR' if folder == 'white' else FOLDERS[folder]}",
            "link": [{"rel": "self", "href": f"{base}/{feed_name(folder)}"}],
            "category": [{"scheme": ROLIE_CATEGORY, "term": "csaf"}],
            "updated": stamp(max((d.current for d in docs), default=now)),
            "entry": entries,
        }
    }
    return json.dumps(feed, indent=2, ensure_ascii=False).encode()


def changes_csv(folder: str, docs: Sequence[Doc]) -> bytes:
    rows = sorted(docs, key=lambda d: d.current, reverse=True)
    lines = [f'"{d.path.removeprefix(folder + "/")}","{stamp(d.current)}"' for d in rows]
    return "".join(line + "\n" for line in lines).encode()


def index_txt(folder: str, docs: Sequence[Doc]) -> bytes:
    return "".join(d.path.removeprefix(folder + "/") + "\n" for d in docs).encode()


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def atom_feed(docs: Sequence[Doc], site: str, title: str, now: datetime) -> bytes:
    """The CLEAR advisories as an Atom feed in bokmål (newest first)."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "nb"})
    _sub(root, "id", f"{site}/atom.xml")
    _sub(root, "title", f"{title}: sikkerhetsvarsler")
    _sub(root, "updated", stamp(max((d.current for d in docs), default=now)))
    _sub(root, "link", rel="self", href=f"{site}/atom.xml")
    author = _sub(root, "author")
    _sub(author, "name", title)
    for d in sorted(docs, key=lambda d: d.current, reverse=True):
        entry = _sub(root, "entry")
        _sub(entry, "id", f"{site}/{d.path}")
        _sub(entry, "title", d.title)
        _sub(entry, "link", rel="alternate", href=f"{site}/{d.path}")
        _sub(entry, "published", stamp(d.initial))
        _sub(entry, "updated", stamp(d.current))
        _sub(entry, "summary", d.summary, type="text")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
