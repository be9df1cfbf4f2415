"""A seeded national load: municipalities with inventories, advisories in the real formats.

``inventories(n, items, seed)`` builds `SubscriberConfig` objects directly (no YAML) from a
universe of ~5,000 products with Zipf popularity. ``advisories(...)`` spreads M advisories
over 30 feeds (RSS/Atom prose, one KEV catalogue, CSAF providers, STIX bundles); a share of
the vulnerabilities appears in several sources. Most advisories concern products nobody in
the sector runs (as in real life); ``relevant`` sets the share naming an inventory product.
``FeedServer`` serves everything on 127.0.0.1 with ETag/304 support, including signed CSAF
provider trees.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any
from uuid import UUID

from certbot.config import SubscriberConfig
from certbot.config.subscribers import forget_shared

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Oslo
SYL = ["ka", "ro", "vi", "ne", "tor", "lum", "zen", "qua", "dri", "mox", "pel", "sar", "tek",
       "vol", "bri", "fen", "gal", "hix", "jor", "kyn", "lor", "myr", "nox", "orb", "pyx", "ryn"]  # fmt: skip
KINDS = ["Gateway", "Server", "Suite", "Manager", "Firewall", "Portal", "Agent", "Router"]


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(SYL) for _ in range(n)).capitalize()


@dataclass(frozen=True)
class Product:
    vendor: str
    name: str
    versions: tuple[str, ...]

    @property
    def slug(self) -> tuple[str, str]:
        return self.vendor.lower(), self.name.lower().replace(" ", "_")


def products(count: int, rng: random.Random, tag: str = "") -> list[Product]:
    vendors = [_word(rng, 3) + tag for _ in range(max(1, count // 12))]
    out, seen = [], set()
    while len(out) < count:
        name = f"{_word(rng, 3)}{tag} {rng.choice(KINDS)}"
        if name in seen:
            continue
        seen.add(name)
        major = rng.randint(1, 20)
        vers = tuple(f"{major}.{mi}.{pa}" for mi in range(rng.randint(1, 4)) for pa in range(6))
        out.append(Product(rng.choice(vendors), name, vers))
    return out


@dataclass
class Load:
    seed: int
    universe: list[Product]  # products municipalities run
    elsewhere: list[Product]  # products advisories name that nobody in the sector runs
    subscribers: list[SubscriberConfig] = field(default_factory=list)
    raw_subscribers: list[dict[str, Any]] = field(default_factory=list)


def make_load(seed: int = 1, n_products: int = 5000) -> Load:
    rng = random.Random(seed)
    return Load(seed, products(n_products, rng), products(n_products * 3, rng, tag="x"))


def _item(p: Product, rng: random.Random) -> dict[str, Any]:
    ver = rng.choice(p.versions)
    item: dict[str, Any] = {"vendor": p.vendor, "product": p.name}
    r = rng.random()
    vendor, name = p.slug
    if r < 0.2:
        item["cpe"] = f"cpe:2.3:a:{vendor}:{name}:{ver}:*:*:*:*:*:*:*"
    elif r < 0.25:
        item["purl"] = f"pkg:generic/{vendor}/{name}@{ver}"
    elif r < 0.95:
        item["version"] = ver
    if rng.random() < 0.10:
        item["internet_facing"] = True
        item["criticality"] = "high"
    return item


def _kommune(i: int) -> tuple[str, str]:
    """A valid kommunenummer and county for the first 1,500; plain 4-digit ids beyond."""
    from certbot.config import COUNTIES

    counties = sorted(COUNTIES)
    if i < 100 * len(counties):
        code = counties[i % len(counties)]
        return f"{code}{i // len(counties):02d}", COUNTIES[code][0]
    j = i - 100 * len(counties)
    if j < 1000:
        return f"{9000 + j:04d}", "Vestland"
    # Ten times the sector (bench.sector10) needs more 4-digit ids: those below 9000 whose
    # first two digits are no county code (7,500 more, so up to 10,000 municipalities).
    return _spare_ids()[j - 1000], "Vestland"


@functools.cache
def _spare_ids() -> list[str]:
    from certbot.config import COUNTIES

    return [f"{k:04d}" for k in range(9000) if f"{k:04d}"[:2] not in COUNTIES]


def subscriber_dicts(load: Load, n: int, items: int, *, file_dir: str = "out") -> Iterator[dict]:
    """N municipalities (ids 0001..), each with `items` distinct Zipf-drawn products; one at
    a time, so a caller that validates each need not hold every raw dict too."""
    rng = random.Random(load.seed * 7919 + n)
    cum = list(accumulate(1.0 / (r + 1) ** 1.07 for r in range(len(load.universe))))
    for i in range(n):
        picked: dict[int, None] = {}
        while len(picked) < min(items, len(load.universe)):
            for k in rng.choices(range(len(load.universe)), cum_weights=cum, k=items):
                picked.setdefault(k, None)
        inv = [_item(load.universe[k], rng) for k in list(picked)[:items]]
        sid, county = _kommune(i)
        yield (
            {
                "id": sid,
                "name": f"Kommune {sid}",
                "county": county,
                "daily_cap": 10000,
                "targets": [
                    {
                        "id": "drift",
                        "kind": "file",
                        "address": f"{file_dir}/{sid}.jsonl",
                        "tlp_max": "AMBER",
                        "digest": False,
                    }
                ],
                "inventory": inv,
            }
        )


def inventories(load: Load, n: int = 400, items: int = 300) -> list[SubscriberConfig]:
    raw = subscriber_dicts(load, n, items)
    subs = [SubscriberConfig.model_validate(d) for d in raw]
    forget_shared()  # as load_config does
    return subs


# --- advisories ---------------------------------------------------------------------------


@dataclass
class Vuln:
    cve: str
    product: Product
    fixed: str  # first fixed version: versions below are affected
    title: str
    cvss: float
    exploited: bool
    sources: list[str]  # kinds: rss, kev, csaf, stix
    when: datetime


FEEDS = (
    [("rss", f"rss{i:02d}") for i in range(18)]
    + [("kev", "kev")]
    + [("csaf", f"csaf{i}") for i in range(7)]
    + [("stix", f"stix{i}") for i in range(4)]
)  # 30 feeds
SHARE = {"rss": 0.40, "kev": 0.10, "csaf": 0.35, "stix": 0.15}


def vulns(load: Load, m: int, relevant: float = 0.04, seed_extra: int = 0) -> list[Vuln]:
    """M advisory views over distinct vulnerabilities; ~25 % of them in a second source."""
    rng = random.Random(load.seed * 31 + m + seed_extra)
    kinds = list(SHARE)
    out: list[Vuln] = []
    views = 0
    i = 0
    while views < m:
        pool = load.universe if rng.random() < relevant else load.elsewhere
        p = rng.choice(pool)
        first = rng.choices(kinds, weights=[SHARE[k] for k in kinds])[0]
        srcs = [first]
        if rng.random() < 0.25:
            srcs.append(rng.choice([k for k in kinds if k != first]))
        srcs = srcs[: m - views]
        fixed = p.versions[rng.randrange(len(p.versions))]
        out.append(
            Vuln(
                cve=f"CVE-2026-{10000 + seed_extra * 100000 + i:05d}",
                product=p,
                fixed=fixed,
                title=f"{p.vendor} {p.name}: sårbarhet gir fjernkjøring av kode",
                cvss=round(rng.uniform(4.0, 10.0), 1),
                exploited=rng.random() < 0.08 or "kev" in srcs,
                sources=srcs,
                when=T0 - timedelta(minutes=i),
            )
        )
        views += len(srcs)
        i += 1
    return out


def by_feed(vs: list[Vuln]) -> dict[str, list[Vuln]]:
    """Each vulnerability view goes to one feed of its kind (round-robin, deterministic)."""
    feeds: dict[str, list[Vuln]] = {fid: [] for _, fid in FEEDS}
    ids = {k: [fid for kk, fid in FEEDS if kk == k] for k in SHARE}
    for n, v in enumerate(vs):
        for k in v.sources:
            feeds[ids[k][n % len(ids[k])]].append(v)
    return feeds


def _rfc822(dt: datetime) -> str:
    return dt.strftime("%a, %d %b %Y %H:%M:%S +0000")


def rss(feed_id: str, vs: list[Vuln], atom: bool = False) -> bytes:
    parts = []
    for v in vs:
        desc = (
            f"{v.cve}: En sårbarhet i {v.product.vendor} {v.product.name} før versjon {v.fixed} "
            f"gjør det mulig for en angriper å kjøre kode. CVSS {v.cvss}. Oppdater snarest."
        )
        link = f"https://cert.example/{feed_id}/{v.cve}"
        if atom:
            parts.append(
                f"<entry><title>{v.title} ({v.cve})</title><link href='{link}'/><id>{link}</id>"
                f"<updated>{v.when.isoformat()}</updated><summary>{desc}</summary></entry>"
            )
        else:
            parts.append(
                f"<item><title>{v.title} ({v.cve})</title><link>{link}</link>"
                f"<guid>{link}</guid><pubDate>{_rfc822(v.when)}</pubDate>"
                f"<description>{desc}</description></item>"
            )
    if atom:
        head = (
            "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<title>{feed_id}</title><id>urn:{feed_id}</id><updated>{T0.isoformat()}</updated>"
        )
        return (head + "".join(parts) + "</feed>").encode()
    head = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{feed_id}</title><link>https://cert.example/</link><description>x</description>"
    )
    return (head + "".join(parts) + "</channel></rss>").encode()


def kev(vs: list[Vuln]) -> bytes:
    entries = [
        {
            "cveID": v.cve,
            "vendorProject": v.product.vendor,
            "product": v.product.name,
            "vulnerabilityName": v.title,
            "dateAdded": v.when.date().isoformat(),
            "shortDescription": f"{v.product.name} contains a remote code execution flaw.",
            "requiredAction": "Apply mitigations per vendor instructions.",
            "dueDate": (v.when + timedelta(days=21)).date().isoformat(),
            "knownRansomwareCampaignUse": "Unknown",
            "notes": f"https://vendor.example/{v.cve} ; https://nvd.nist.gov/vuln/detail/{v.cve}",
            "cwes": ["CWE-78"],
        }
        for v in vs
    ]
    doc = {
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2026.03.10",
        "dateReleased": T0.isoformat(),
        "count": len(entries),
        "vulnerabilities": entries,
    }
    return json.dumps(doc).encode()


def csaf_doc(feed_id: str, v: Vuln) -> bytes:
    vendor, name = v.product.vendor, v.product.name
    slug = v.product.slug
    when = v.when.isoformat()
    doc = {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "distribution": {"tlp": {"label": "WHITE"}},
            "lang": "en",
            "publisher": {
                "category": "vendor",
                "name": f"{vendor} PSIRT",
                "namespace": f"https://{vendor.lower()}.example",
            },
            "title": v.title,
            "notes": [{"category": "summary", "text": f"{name} before {v.fixed} is vulnerable."}],
            "tracking": {
                "current_release_date": when,
                "id": f"{feed_id.upper()}-{v.cve}",
                "initial_release_date": when,
                "revision_history": [{"date": when, "number": "1", "summary": "Initial"}],
                "status": "final",
                "version": "1",
            },
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": vendor,
                    "branches": [
                        {
                            "category": "product_name",
                            "name": name,
                            "branches": [
                                {
                                    "category": "product_version_range",
                                    "name": f"vers:generic/<{v.fixed}",
                                    "product": {
                                        "name": f"{vendor} {name} <{v.fixed}",
                                        "product_id": "CSAFPID-0001",
                                        "product_identification_helper": {
                                            "cpe": f"cpe:2.3:a:{slug[0]}:{slug[1]}:*:*:*:*:*:*:*:*"
                                        },
                                    },
                                },
                                {
                                    "category": "product_version",
                                    "name": v.fixed,
                                    "product": {
                                        "name": f"{vendor} {name} {v.fixed}",
                                        "product_id": "CSAFPID-0002",
                                    },
                                },
                            ],
                        }
                    ],
                }
            ]
        },
        "vulnerabilities": [
            {
                "cve": v.cve,
                "product_status": {
                    "known_affected": ["CSAFPID-0001"],
                    "fixed": ["CSAFPID-0002"],
                },
                "scores": [
                    {
                        "products": ["CSAFPID-0001"],
                        "cvss_v3": {
                            "version": "3.1",
                            "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                            "baseScore": v.cvss,
                            "baseSeverity": "CRITICAL" if v.cvss >= 9 else "HIGH",
                        },
                    }
                ],
                "remediations": [
                    {
                        "category": "vendor_fix",
                        "details": f"Update to {v.fixed} or later.",
                        "product_ids": ["CSAFPID-0001"],
                    }
                ],
            }
        ],
    }
    return json.dumps(doc).encode()


def _stix_id(kind: str, key: str) -> str:
    return f"{kind}--{UUID(bytes=hashlib.md5(key.encode()).digest(), version=4)}"


def stix(feed_id: str, vs: list[Vuln]) -> bytes:
    objs: list[dict[str, Any]] = []
    ts = T0.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for v in vs:
        vid = _stix_id("vulnerability", feed_id + v.cve)
        common = {"spec_version": "2.1", "created": ts, "modified": ts}
        objs.append(
            {
                "type": "vulnerability",
                "id": vid,
                **common,
                "name": v.cve,
                "description": v.title,
                "external_references": [{"source_name": "cve", "external_id": v.cve}],
                "object_marking_refs": ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],
            }
        )
        for ver in v.product.versions:
            if ver == v.fixed:
                break
            sid = _stix_id("software", f"{v.product.vendor}{v.product.name}{ver}")
            objs.append(
                {
                    "type": "software",
                    "id": sid,
                    "spec_version": "2.1",
                    "name": v.product.name,
                    "vendor": v.product.vendor,
                    "version": ver,
                }
            )
            objs.append(
                {
                    "type": "relationship",
                    "id": _stix_id("relationship", vid + sid),
                    **common,
                    "relationship_type": "has",
                    "source_ref": sid,
                    "target_ref": vid,
                }
            )
    bundle = {"type": "bundle", "id": _stix_id("bundle", feed_id), "objects": objs}
    return json.dumps(bundle).encode()


def feed_documents(vs: list[Vuln]) -> dict[str, Any]:
    """feed id -> bytes (rss/kev/stix) or list of (name, bytes) CSAF documents."""
    out: dict[str, Any] = {}
    for (kind, fid), views in zip(FEEDS, by_feed(vs).values(), strict=True):
        if kind == "rss":
            out[fid] = rss(fid, views, atom=int(fid[3:]) % 3 == 2)
        elif kind == "kev":
            out[fid] = kev(views)
        elif kind == "csaf":
            out[fid] = [(f"{v.cve.lower()}.json", csaf_doc(fid, v)) for v in views]
        else:
            out[fid] = stix(fid, views)
    return out
