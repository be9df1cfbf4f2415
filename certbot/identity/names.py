"""Name normalisation: how a vendor and a product are written down as a comparable key.

Pure and deterministic (no catalogue, no fuzzy matching). The same functions build the
catalogue index and read an inventory item or an advisory product, so both sides of a match
are normalised by one rule:

- `norm`: NFKD to ASCII, lower case, punctuation to spaces, "and"/"&" and corporate suffixes
  dropped ("Veeam Backup & Replication" = "Veeam Backup and Replication");
- `split_name`: the vendor words a product repeats are stripped ("Fortinet FortiOS" under vendor
  Fortinet is product "fortios"; "Cisco Secure Firewall ASA" is "secure firewall asa"), and an
  edition (year, "R2", "Subscription Edition") and an update token ("CU23", "Cumulative Update
  23", "SP1", "RU5") are taken out of the product into their own fields
  ("Exchange Server 2016 CU23" = product "exchange server", edition "2016", update "CU23");
- `variants`: the product as written and without parenthesised parts ("Adaptive Security
  Appliance (ASA)" -> "Adaptive Security Appliance"), so either spelling finds the entry;
- `abbreviated`: a name with its abbreviation in parentheses -> (long name, abbreviation):
  "Endpoint Manager Mobile (EPMM)" names "Endpoint Manager Mobile" and "EPMM" alike;
- `split_compound`: "FortiOS and FortiProxy", "iOS, iPadOS, and macOS" -> the parts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

STOP = frozenset(
    {
        "inc",
        "corp",
        "corporation",
        "ltd",
        "llc",
        "gmbh",
        "the",
        "and",
        "software",
        "systems",
        "co",
        "as",
    }
)
# Vendor fields that say "unknown" (CVE records often carry vendor "n/a").
NO_VENDOR = frozenset({"", "n a", "na", "unknown", "none"})

_MSRC = re.compile(r"^(cumulative update|service pack|update rollup)\s+(\d+)\s+for\s+(.+)$")
_UPDATE = re.compile(
    r"\b(?:(cu|cumulative update)|(sp|service pack)|(ru|update rollup))\s*(\d{1,3})$"
)
_UPDATE_PREFIX = {1: "CU", 2: "SP", 3: "RU"}
_EDITION = re.compile(
    r"\b((?:19|20)\d\d)(\s+r2)?$|\b(subscription edition)$|\bversion\s+(\d{4}|\d\dh\d)$"
)
_TRADEMARK = re.compile(r"(?<=[a-z])TM\b|[\u2122\u00ae\u00a9]")
_PAREN = re.compile(r"\s*\([^)]*\)")
_ABBREVIATION = re.compile(r"(.*\S)\s*\(([A-Z][A-Z\-]{1,7})\)")
# An appliance form factor after the product names the hardware the same software runs on:
# "NetScaler ADC VPX" (virtual), MPX, SDX, CPX (container), BLX (bare metal) are NetScaler ADC.
_FORM_FACTOR = re.compile(r"\s+(?:vpx|mpx|sdx|cpx|blx)$")
_COMPOUND = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """'Microsoft® Exchange   Server' -> 'microsoft exchange server'; idempotent. A trademark
    sign goes, also as the "TM" CISA writes for it ("EcoStruxureTM Operator Terminal")."""
    t = _TRADEMARK.sub("", text)
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"[^a-z0-9.+]+", " ", t)
    words = (w.strip(".") for w in t.split())
    return " ".join(w for w in words if w and w not in STOP)


@dataclass(frozen=True, slots=True)
class Name:
    """A vendor/product pair reduced to its comparable parts."""

    vendor: str  # normalised vendor ("" when unknown)
    product: str  # normalised product, vendor words, edition and update removed
    edition: str | None = None  # "2016", "2012 r2", "se"
    update: str | None = None  # "CU23", "SP1", "RU5"

    @property
    def key(self) -> str:
        return f"{self.vendor or '*'}|{self.product}"


def _strip_vendor(vendor: str, product: str) -> str:
    """Drop the leading vendor words the product repeats; never the whole product."""
    vw, pw = vendor.split(), product.split()
    if vw == pw:
        return product  # "Citrix Session Recording" by "Citrix Session Recording"
    k = 0
    while k < len(vw) and k < len(pw) - 1 and vw[k] == pw[k]:
        k += 1
    return " ".join(pw[k:]) if k else product


def update_token(text: str) -> str | None:
    """'CU23', 'cu 23', 'Cumulative Update 23' -> 'CU23'; None when it is not one."""
    m = _UPDATE.fullmatch(norm(text)) or _UPDATE.search(norm(text))
    if m is None or m.start() != 0:
        return None
    return _prefix(m)


def _prefix(m: re.Match[str]) -> str:
    group = next(i for i in (1, 2, 3) if m.group(i))
    return f"{_UPDATE_PREFIX[group]}{int(m.group(4))}"


@lru_cache(maxsize=65536)
def split_name(vendor: str, product: str) -> Name:
    """The comparable parts of one vendor/product pair (see the module docstring)."""
    v = norm(vendor)
    if v in NO_VENDOR:
        v = ""
    p = norm(product)
    update = None
    if m := _MSRC.match(p):
        update = _prefix_msrc(m.group(1), m.group(2))
        p = m.group(3)
    elif (m2 := _UPDATE.search(p)) and m2.start() > 0:
        update = _prefix(m2)
        p = p[: m2.start()].strip()
    edition = None
    if (e := _EDITION.search(p)) and e.start() > 0:
        edition = e.group(4) or ("se" if e.group(3) else e.group(1) + (e.group(2) or ""))
        edition = " ".join(edition.split())
        p = p[: e.start()].strip()
    if (ff := _FORM_FACTOR.search(p)) and ff.start() > 0:
        p = p[: ff.start()]
    if v:
        p = _strip_vendor(v, p)
    return Name(v, p, edition, update)


def _prefix_msrc(kind: str, number: str) -> str:
    return {"cumulative update": "CU", "service pack": "SP", "update rollup": "RU"}[kind] + str(
        int(number)
    )


def variants(product: str) -> tuple[str, ...]:
    """The product as written and, if it has parenthesised parts, without them."""
    bare = _PAREN.sub("", product).strip()
    return (product,) if not bare or bare == product else (product, bare)


def abbreviated(name: str) -> tuple[str, str] | None:
    """'Endpoint Manager Mobile (EPMM)' -> ('Endpoint Manager Mobile', 'EPMM'): a name with its
    abbreviation in parentheses names the product both ways; None for any other name (a
    parenthesis with words, lower case or digits in it: "(x64)", "(on-premises)", "(CU23)")."""
    m = _ABBREVIATION.fullmatch(name.strip())
    return (m.group(1).strip(), m.group(2)) if m else None


def split_compound(product: str) -> list[str]:
    """'FortiOS and FortiProxy' -> ['FortiOS', 'FortiProxy']; one part when not compound."""
    parts = [p.strip() for p in _COMPOUND.split(product) if p and p.strip()]
    return parts or [product]


def slug(text: str) -> str:
    """An id fragment: 'Secure Firewall ASA' -> 'secure-firewall-asa'."""
    return norm(text).replace(" ", "-").replace(".", "-").replace("+", "plus") or "x"
