"""The CSAF 2.0 trusted-provider tree of the team's published advisories (issue 13).

``build_tree(advisories, cfg, signer, subscribers, now) -> Tree`` writes each advisory (not
RED, not one without products: `csaf_writer.NotExportable`) as a CSAF document, refuses one
that fails a mandatory test (`csaf_checks`) or does not read back through certbot's own CSAF
parser into the same products, ranges and fixed versions (`ProviderError`), and signs it. Such a document is left out and logged (``Tree.failed``; ``export-csaf`` then refuses).
``Tree.files(visible)`` gives every file of the tree
that lists only the documents ``visible`` allows (the served provider filters by token; the
export passes everything). Paths are relative to the site root:

    .well-known/csaf/provider-metadata.json     role csaf_trusted_provider, key, feeds
    .well-known/csaf/openpgp/<FINGERPRINT>.asc  the public key
    .well-known/csaf/<white|green|amber>/<year>/<id>.json (+ .sha512, .asc)
    .well-known/csaf/<folder>/csaf-feed-tlp-<folder>.json, changes.csv, index.txt
    atom.xml                                    the CLEAR advisories, bokmål

``write_tree(tree, dir)`` writes it all under a directory (``export-csaf``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from certbot.config import SubscriberConfig
from certbot.config.provider import ProviderConfig
from certbot.errors import ParseError
from certbot.match import Matcher
from certbot.model import Advisory
from certbot.publish import provider_feeds as feeds
from certbot.publish.csaf_checks import mandatory_problems
from certbot.publish.csaf_writer import (
    NotExportable,
    Publisher,
    csaf_document,
    file_name,
    vers_range,
)
from certbot.publish.draft import PublishedAdvisory
from certbot.publish.provider_access import concerned
from certbot.publish.provider_sign import Signer, sha512_file
from certbot.sources.csaf_document import parse_document

log = logging.getLogger(__name__)
ROOT = ".well-known/csaf"
FOLDER_OF = {"CLEAR": "white", "GREEN": "green", "AMBER": "amber", "AMBER+STRICT": "amber"}


class ProviderError(ValueError):
    """A document certbot wrote is not conforming CSAF (a bug, never served)."""


@dataclass(frozen=True)
class Doc:
    id: str
    path: str  # ".well-known/csaf/white/2026/kcert-2026-0001.json"
    tlp: str  # the draft's TLP 2.0 label
    concerned: frozenset[str]  # kommunenummer (AMBER gating)
    title: str
    summary: str
    initial: datetime
    current: datetime
    body: bytes
    sha512: bytes
    asc: bytes

    @property
    def folder(self) -> str:
        return FOLDER_OF[self.tlp]


@dataclass(frozen=True)
class Tree:
    cfg: ProviderConfig
    docs: tuple[Doc, ...]
    fingerprint: str
    public_key: bytes
    now: datetime
    skipped: tuple[str, ...] = ()  # "<id>: reason" for advisories not written (RED...)
    failed: tuple[str, ...] = ()  # documents that failed a check (a bug): left out, logged

    def document(self, path: str) -> tuple[Doc, bytes] | None:
        """The document a path names (the .json, .sha512 or .asc) with that file's bytes."""
        for d in self.docs:
            for suffix, body in (("", d.body), (".sha512", d.sha512), (".asc", d.asc)):
                if path == d.path + suffix:
                    return d, body
        return None

    def metadata(self) -> bytes:
        base = f"{self.cfg.public_url}/{ROOT}"
        pub = self.cfg.publisher
        publisher = Publisher(
            pub.name, pub.namespace, pub.category, pub.contact_details, pub.issuing_authority
        )
        data = {
            "canonical_url": f"{base}/provider-metadata.json",
            "distributions": [
                {
                    "directory_url": f"{base}/{folder}/",
                    "rolie": {
                        "feeds": [
                            {
                                "summary": f"TLP:{label} advisories of {pub.name}",
                                "tlp_label": label,
                                "url": f"{base}/{feeds.feed_name(folder)}",
                            }
                        ]
                    },
                }
                for folder, label in feeds.FOLDERS.items()
            ],
            "last_updated": feeds.stamp(max((d.current for d in self.docs), default=self.now)),
            "list_on_CSAF_aggregators": True,
            "metadata_version": "2.0",
            "mirror_on_CSAF_aggregators": True,
            "public_openpgp_keys": [
                {"fingerprint": self.fingerprint, "url": f"{base}/openpgp/{self.fingerprint}.asc"}
            ],
            "publisher": publisher.as_csaf(),
            "role": "csaf_trusted_provider",
        }
        return json.dumps(data, indent=2, ensure_ascii=False).encode()

    def files(self, visible: Callable[[Doc], bool] = lambda d: True) -> dict[str, bytes]:
        """Every file of the tree; indexes and documents only for ``visible`` documents."""
        base = f"{self.cfg.public_url}/{ROOT}"
        shown = [d for d in self.docs if visible(d)]
        out = {
            f"{ROOT}/provider-metadata.json": self.metadata(),
            f"{ROOT}/openpgp/{self.fingerprint}.asc": self.public_key,
        }
        for folder in feeds.FOLDERS:
            here = [d for d in shown if d.folder == folder]
            rel = [_relative(d) for d in here]
            out[f"{ROOT}/{feeds.feed_name(folder)}"] = feeds.rolie_feed(folder, rel, base, self.now)
            out[f"{ROOT}/{folder}/changes.csv"] = feeds.changes_csv(folder, rel)
            out[f"{ROOT}/{folder}/index.txt"] = feeds.index_txt(folder, rel)
            for d in here:
                out[d.path], out[d.path + ".sha512"], out[d.path + ".asc"] = (
                    d.body,
                    d.sha512,
                    d.asc,
                )
        clear = [d for d in self.docs if d.tlp == "CLEAR"]
        site = self.cfg.public_url
        out["atom.xml"] = feeds.atom_feed(clear, site, self.cfg.publisher.name, self.now)
        return out


def _relative(d: Doc) -> Doc:
    """The document with its path relative to ``.well-known/csaf`` (what the feeds list)."""
    return Doc(**{**d.__dict__, "path": d.path.removeprefix(ROOT + "/")})


def _doc(
    adv: PublishedAdvisory,
    cfg: ProviderConfig,
    signer: Signer,
    subscribers: tuple[SubscriberConfig, ...],
    matcher: Matcher,
) -> Doc:
    folder = FOLDER_OF.get(adv.draft.tlp)
    if folder is None:
        raise NotExportable(f"{adv.id} is TLP:{adv.draft.tlp} and is never in the provider")
    path = f"{ROOT}/{folder}/{adv.initial.year}/{file_name(adv.id)}"
    pub = cfg.publisher
    publisher = Publisher(
        pub.name, pub.namespace, pub.category, pub.contact_details, pub.issuing_authority
    )
    document = csaf_document(adv, publisher, f"{cfg.public_url}/{path}")
    problems = mandatory_problems(document)
    if problems:
        raise ProviderError(f"{adv.id}: CSAF mandatory tests failed: " + "; ".join(problems))
    body = json.dumps(document, indent=2, ensure_ascii=False).encode()
    try:
        parsed = parse_document(body, "provider")
    except ParseError as exc:
        raise ProviderError(f"{adv.id}: the written document does not read back: {exc}") from None
    _same_products(adv, parsed)
    return Doc(
        id=adv.id,
        path=path,
        tlp=adv.draft.tlp,
        concerned=concerned(adv, parsed, subscribers, matcher),
        title=document["document"]["title"],
        summary=_summary(adv),
        initial=adv.initial,
        current=adv.current,
        body=body,
        sha512=sha512_file(body, file_name(adv.id)),
        asc=signer.sign(body),
    )


def _same_products(adv: PublishedAdvisory, parsed: Advisory) -> None:
    """The document reads back into the draft's products, ranges and fixed versions."""
    want = {(p.vendor, p.product, vers_range(p)) for p in adv.draft.products}
    want_fixed = {(p.vendor, p.product, f) for p in adv.draft.products for f in p.fixed}
    got = {(p.vendor, p.product, p.versions) for p in parsed.products if p.status == "affected"}
    got_fixed = {
        (p.vendor, p.product, p.fixed_version) for p in parsed.products if p.status == "fixed"
    }
    if (got, got_fixed) != (want, want_fixed):
        raise ProviderError(
            f"{adv.id}: the written document reads back into other products or versions"
        )


def _summary(adv: PublishedAdvisory) -> str:
    """The summary the feeds show, with the CVE ids an RSS reader (and certbot's rss source)
    finds by pattern."""
    missing = [c for c in adv.draft.cves if c not in adv.draft.summary]
    return adv.draft.summary + (f" ({', '.join(missing)})" if missing else "")


def build_tree(
    advisories: Sequence[PublishedAdvisory],
    cfg: ProviderConfig,
    signer: Signer,
    subscribers: tuple[SubscriberConfig, ...],
    now: datetime,
) -> Tree:
    docs, skipped, failed = [], [], []
    matcher = Matcher(subscribers)
    for adv in advisories:
        try:
            docs.append(_doc(adv, cfg, signer, subscribers, matcher))
        except NotExportable as exc:
            skipped.append(str(exc))
        except ProviderError as exc:  # one bad document never takes the provider down
            log.error("CSAF document left out of the provider: %s", exc)
            failed.append(str(exc))
    return Tree(
        cfg, tuple(docs), signer.fingerprint, signer.public_key, now, tuple(skipped), tuple(failed)
    )


def write_tree(tree: Tree, out: Path) -> list[Path]:
    """Every file of the tree under ``out`` (made if missing); returns the paths written."""
    written = []
    for rel, body in sorted(tree.files().items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        written.append(path)
    return written
