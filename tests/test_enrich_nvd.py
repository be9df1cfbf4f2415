"""NVD enrichment: golden products from real API 2.0 responses, platforms, rate limit, cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from aiolimiter import AsyncLimiter

from certbot.errors import FetchError
from certbot.model import Fetched
from certbot.sources.nvd import limiter_for, lookup, parse_cve, parse_records
from certbot.store.enrichment import NvdCache
from certbot.versions import version_in

DATA = Path(__file__).parent / "data" / "nvd"


@pytest.mark.parametrize(
    "name", ["cves-CVE-2023-0001.json", "cve-2022-44006.json", "cves-2023.json", "cves-1999.json"]
)
def test_golden(name: str, golden) -> None:
    records = parse_records((DATA / name).read_bytes())
    out = {
        cve: {
            "cvss": r.cvss,
            "cvss_vector": r.cvss_vector,
            "last_modified": r.last_modified,
            "products": [
                {
                    "vendor": p.vendor,
                    "product": p.product,
                    "versions": p.versions,
                    "cpe": p.cpe,
                    "fixed_version": p.fixed_version,
                    "entry": p.entry,
                }
                for p in r.products
            ],
        }
        for cve, r in sorted(records.items())
    }
    golden(f"nvd/{name}", json.dumps(out, indent=1, sort_keys=True) + "\n")


def test_range_and_platform() -> None:
    [product] = parse_cve((DATA / "cves-CVE-2023-0001.json").read_bytes())["CVE-2023-0001"]
    assert product.versions == "vers:generic/>=7.5|<7.5.101"
    assert version_in("7.5.100", product.versions) is True
    assert version_in("7.5.101", product.versions) is False
    assert "cpe:2.3:o:microsoft:windows" in product.entry  # platform named, not a product
    assert product.fixed_version == "7.5.101"


def test_vulnerable_false_never_becomes_a_product() -> None:
    for name in ("cves-2023.json", "cves-1999.json"):
        data = json.loads((DATA / name).read_text())
        platforms = {
            m["criteria"]
            for v in data["vulnerabilities"]
            for c in v["cve"].get("configurations", [])
            for n in c["nodes"]
            for m in n["cpeMatch"]
            if m["vulnerable"] is False
        }
        products = {p.cpe for ps in parse_cve((DATA / name).read_bytes()).values() for p in ps}
        vulnerable = {
            m["criteria"]
            for v in data["vulnerabilities"]
            for c in v["cve"].get("configurations", [])
            for n in c["nodes"]
            for m in n["cpeMatch"]
            if m["vulnerable"] is True
        }
        assert products <= vulnerable
        assert (platforms - vulnerable).isdisjoint(products)
    assert len(parse_cve((DATA / "cves-1999.json").read_bytes())) == 200


def test_limiter_configuration() -> None:
    without, with_key = limiter_for(None), limiter_for("k")
    assert (without.max_rate, without.time_period) == (1, 6)
    assert (with_key.max_rate, with_key.time_period) == (50, 30)


class FakeHttp:
    def __init__(self, fail: set[str] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail or set()

    async def get(self, url: str, **kw: Any) -> Fetched:
        self.calls.append((url, kw))
        cve = url.rsplit("=", 1)[1]
        if cve in self.fail:
            raise FetchError("services.nvd.nist.gov: HTTP 503")
        body = (DATA / "cves-CVE-2023-0001.json").read_text().replace("CVE-2023-0001", cve)
        return Fetched(200, body.encode())


async def test_lookup_caches_and_sends_key() -> None:
    db = sqlite_utils.Database(memory=True)
    cache = NvdCache(db, max_age=3600)
    now = [1_000_000.0]
    http = FakeHttp()
    fast = AsyncLimiter(100, 1)  # the real 1-per-6-s limiter would sleep
    got = await lookup(
        http,
        ["CVE-2023-0001", "cve-2023-0002"],
        api_key="key-1",
        cache=cache,
        clock=lambda: now[0],
        limiter=fast,
    )
    assert sorted(got) == ["CVE-2023-0001", "CVE-2023-0002"] and len(http.calls) == 2
    assert http.calls[0][0].endswith("/cves/2.0?cveId=CVE-2023-0001")
    assert http.calls[0][1]["headers"] == {"apiKey": "key-1"}
    assert got["CVE-2023-0001"].cvss == 6.7
    assert db["nvd_cache"].count == 2

    again = await lookup(
        http, ["CVE-2023-0001"], api_key=None, cache=cache, clock=lambda: now[0] + 60, limiter=fast
    )
    assert len(http.calls) == 2 and again["CVE-2023-0001"].products  # cached: no request
    now[0] += 7200  # older than max_age: asked again
    await lookup(
        http, ["CVE-2023-0001"], api_key=None, cache=cache, clock=lambda: now[0], limiter=fast
    )
    assert len(http.calls) == 3 and http.calls[2][1]["headers"] is None


async def test_lookup_skips_failures() -> None:
    cache = NvdCache(sqlite_utils.Database(memory=True))
    http = FakeHttp(fail={"CVE-2023-0002"})
    got = await lookup(
        http,
        ["CVE-2023-0002", "CVE-2023-0001"],
        api_key=None,
        cache=cache,
        limiter=AsyncLimiter(100, 1),
    )
    assert list(got) == ["CVE-2023-0001"]


async def test_default_limiter_is_shared_per_loop() -> None:
    from certbot.sources.nvd import shared_limiter

    assert shared_limiter(None) is shared_limiter(None)
    assert shared_limiter(None).time_period == 6 and shared_limiter("k").max_rate == 50
