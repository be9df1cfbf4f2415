"""Generate the product catalogue from real data: ``python -m certbot.identity.build``.

    python -m certbot.identity.build --kev known_exploited_vulnerabilities.json \\
        --cve DIR [--overrides overrides.yaml] --out certbot/identity/catalogue.json

Inputs: the full CISA KEV catalogue (every ``vendorProject``/``product`` spelling), CVE JSON 5
records under DIR, searched recursively (CNA and ADP ``affected[]`` vendor/product names and
CPE 2.3 names), and the hand-reviewed overrides (curated entries for the products Norwegian
municipalities run, KEV spellings the split rule cannot read, component prefixes, generic
names to skip). Every spelling is first looked up among the curated entries (by name, then the
compound split "FortiOS and FortiProxy" -> both); what no curated entry knows becomes a
generated entry of its own, so the catalogue covers all of KEV. The output is a deterministic
function of the inputs: entries sorted by id, JSON with sorted keys.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from certbot.identity import Catalogue, Entry, _entry, cpe_key
from certbot.identity.names import slug, split_compound, split_name

OVERRIDES = Path(__file__).with_name("overrides.yaml")


class _Builder:
    def __init__(self, overrides: dict[str, Any]):
        self.raw: dict[str, dict[str, Any]] = {}
        for e in overrides.get("entries", []):
            e = {**e, "curated": True}
            e["vendors"] = list(dict.fromkeys([e["vendor"], *e.get("vendors", [])]))
            self.raw[e["id"]] = e
        self.cat = Catalogue([_entry(e) for e in self.raw.values()])
        self.spellings: dict[str, list[str]] = {
            k.lower(): v for k, v in overrides.get("kev_spellings", {}).items()
        }
        self.prefixes = [
            (p["vendor"].lower(), p["prefix"].lower(), p["entry"])
            for p in overrides.get("prefixes", [])
        ]
        self.generic = {g.lower() for g in overrides.get("generic_products", [])}
        self.stats: Counter[str] = Counter()

    def _new(self, vendor: str, product: str) -> str:
        name = split_name(vendor, product)
        if hit := self.cat.by_name.get(name.key):
            return hit[0]
        base = f"{slug(vendor) if name.vendor else 'unknown'}/{slug(name.product or product)}"
        eid, n = base, 2
        while eid in self.raw:
            eid, n = f"{base}-{n}", n + 1
        raw = {"id": eid, "vendor": vendor, "product": product, "vendors": [vendor]}
        self.raw[eid] = raw
        self.cat.entries[eid] = e = _entry(raw)
        self.cat._index(e)
        return eid

    def _known(self, vendor: str, product: str) -> list[str]:
        if ids := self.spellings.get(f"{vendor}|{product}".lower()):
            return list(ids)
        low = product.lower()
        for v, prefix, eid in self.prefixes:
            if vendor.lower() == v and low.startswith(prefix):
                return [eid]
        hit = self.cat._by_name(vendor, product)
        return list(hit[0]) if hit else []

    def place(
        self, vendor: str, product: str, *, create: bool, new_parts: bool = False
    ) -> list[str]:
        """The entries a spelling names; ``create`` makes a generated entry for an unknown
        product, ``new_parts`` one for each unknown part of a compound (KEV) spelling."""
        if ids := self._known(vendor, product):
            return ids
        parts = split_compound(product)
        if len(parts) > 1:
            known = [self._known(vendor, p) for p in parts]
            if any(known):
                out: list[str] = []
                for part, ids in zip(parts, known, strict=True):
                    for i in ids or ([self._new(vendor, part)] if new_parts else []):
                        if i not in out:
                            out.append(i)
                return out
        return [self._new(vendor, product)] if create else []

    def kev(self, path: Path) -> dict[str, Any]:
        data = json.loads(path.read_text(encoding="utf-8"))
        pairs = sorted(
            {(v["vendorProject"].strip(), v["product"].strip()) for v in data["vulnerabilities"]}
        )
        for vendor, product in pairs:
            if product.lower() in self.generic:
                self.stats["kev_generic_spellings"] += 1
                continue
            for eid in self.place(vendor, product, create=True, new_parts=True):
                _append(self.raw[eid], "kev", [vendor, product])
        return {
            "catalogVersion": data.get("catalogVersion"),
            "vulnerabilities": len(data["vulnerabilities"]),
            "spellings": len(pairs),
        }

    def cve(self, root: Path) -> int:
        files = sorted(p for p in root.rglob("CVE-*.json"))
        for f in files:
            rec = json.loads(f.read_text(encoding="utf-8"))
            containers = rec.get("containers", {})
            cna = [("cna", a) for a in containers.get("cna", {}).get("affected", [])]
            adp = [("adp", a) for c in containers.get("adp", []) for a in c.get("affected", [])]
            for origin, a in cna + adp:
                self._cve_affected(origin, a)
        return len(files)

    def _cve_affected(self, origin: str, a: dict[str, Any]) -> None:
        vendor, product = (a.get("vendor") or "").strip(), (a.get("product") or "").strip()
        if not product or product.lower() == "n/a":
            return
        if vendor.lower() in ("n/a", "unknown"):
            vendor = ""
        if origin == "adp":
            product = product.replace("\\", "").replace("_", " ")
        ids = self.place(vendor, product, create=origin == "cna" and bool(vendor))
        if not ids:
            self.stats[f"cve_{origin}_unplaced"] += 1
            return
        for eid in ids:
            if origin == "cna":
                _append(self.raw[eid], "cve", [vendor, a.get("product", "").strip()])
            if len(ids) == 1:
                for c in a.get("cpes") or []:
                    if isinstance(c, str) and (k := cpe_key(c)):
                        _append(self.raw[eid], "cpe", k)

    def result(self, sources: dict[str, Any]) -> dict[str, Any]:
        for e in self.raw.values():
            for other in e.get("also_matches", []):
                if other not in self.raw:
                    raise SystemExit(f"overrides: {e['id']}.also_matches names unknown {other}")
        entries = [_clean(self.raw[k]) for k in sorted(self.raw)]
        cat = Catalogue([_entry(e) for e in entries])
        sources["stats"] = {**_stats(cat), **dict(sorted(self.stats.items()))}
        return {"meta": sources, "entries": entries}


def _append(raw: dict[str, Any], key: str, value: Any) -> None:
    items = raw.setdefault(key, [])
    if value not in items:
        items.append(value)


def _clean(raw: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in raw.items() if v not in ([], {}, None, False)}
    for key in ("kev", "cve"):
        if key in out:
            out[key] = sorted(out[key])
    if "cpe" in out:
        out["cpe"] = sorted(out["cpe"])
    return out


def _stats(cat: Catalogue) -> dict[str, int]:
    entries = list(cat.entries.values())
    return {
        "entries": len(entries),
        "curated": sum(e.curated for e in entries),
        "renamed": sum(e.renamed for e in entries if e.curated),
        "with_cpe": sum(bool(e.cpe) for e in entries),
    }


def coverage(cat: Catalogue, kev_path: Path) -> dict[str, float]:
    """Share of KEV vulnerabilities whose spelling resolves (any entry / a curated entry)."""
    vulns = json.loads(kev_path.read_text(encoding="utf-8"))["vulnerabilities"]
    any_hit = curated = 0
    for v in vulns:
        r = cat.resolve(v["vendorProject"].strip(), v["product"].strip())
        any_hit += r is not None
        curated += r is not None and any(e.curated for e in r.entries)
    n = len(vulns) or 1
    return {"kev_resolved": round(any_hit / n, 4), "kev_curated": round(curated / n, 4)}


def build(kev: Path, cve: Path, overrides: Path = OVERRIDES) -> dict[str, Any]:
    """The catalogue document for these inputs."""
    b = _Builder(yaml.safe_load(overrides.read_text(encoding="utf-8")) or {})
    sources: dict[str, Any] = {"kev": b.kev(kev), "cve_records": b.cve(cve)}
    doc = b.result(sources)
    cat = Catalogue([_entry(e) for e in doc["entries"]])
    doc["meta"]["stats"].update(coverage(cat, kev))
    return doc


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m certbot.identity.build", description=__doc__)
    ap.add_argument("--kev", type=Path, required=True, help="KEV catalogue JSON")
    ap.add_argument("--cve", type=Path, required=True, help="directory of CVE JSON 5 records")
    ap.add_argument("--overrides", type=Path, default=OVERRIDES)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    doc = build(args.kev, args.cve, args.overrides)
    args.out.write_text(dumps(doc), encoding="utf-8")
    print(json.dumps(doc["meta"]["stats"], sort_keys=True), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["Entry", "build", "coverage", "dumps", "main"]
