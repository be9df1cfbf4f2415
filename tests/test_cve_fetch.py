"""CveRecords against a real aiohttp server on 127.0.0.1 through the real fetcher, and against
a mirror directory in the cvelistV5 layout: every bad answer is a per-id result."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from aiolimiter import AsyncLimiter

from certbot.fetch import Http
from certbot.sources.cve import (
    CveOptions,
    CveRecords,
    MemoryCache,
    mirror_path,
    options_for,
    retry_seconds,
)
from certbot.sources.cve_parse import fixed_for, verdict

DATA = Path(__file__).parent / "data" / "cve5"
ROOT = Path(__file__).resolve().parent.parent
FORTI = (DATA / "CVE-2024-21762.json").read_bytes()


def rejected(cve: str) -> bytes:
    return json.dumps(
        {
            "dataType": "CVE_RECORD",
            "dataVersion": "5.1",
            "cveMetadata": {
                "cveId": cve,
                "state": "REJECTED",
                "dateUpdated": "2025-01-01T00:00:00.000Z",
            },
            "containers": {
                "cna": {"rejectedReasons": [{"lang": "en", "value": "Not a vulnerability."}]}
            },
        }
    ).encode()


class Api:
    """A CVE Services stand-in: per-id answers, and a count of requests per id."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.bodies: dict[str, bytes] = {
            "CVE-2024-21762": FORTI,
            "CVE-2024-0001": rejected("CVE-2024-0001"),
        }
        self.inflight = self.peak = 0
        self.gate = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        cve = request.match_info["cve"]
        self.calls[cve] = self.calls.get(cve, 0) + 1
        if cve == "CVE-2024-4290":
            return web.Response(status=429, headers={"Retry-After": "120"})
        if cve == "CVE-2024-5000":
            return web.Response(status=503)
        if cve == "CVE-2024-4220":
            return web.Response(body=b'{"cveMetadata": {"cveId": ', content_type="application/json")
        if cve == "CVE-2024-9999":
            return web.Response(body=b"{" + b" " * 300_000 + b"}", content_type="application/json")
        if cve.startswith("CVE-2030-"):  # concurrency probe
            self.inflight += 1
            self.peak = max(self.peak, self.inflight)
            if self.inflight >= 2:
                self.gate.set()
            await self.gate.wait()
            self.inflight -= 1
            return web.Response(body=rejected(cve), content_type="application/json")
        body = self.bodies.get(cve)
        if body is None:
            return web.json_response({"error": "CVE_RECORD_DNE"}, status=404)
        return web.Response(body=body, content_type="application/json")


@contextlib.asynccontextmanager
async def serve(api: Api) -> AsyncIterator[str]:
    app = web.Application()
    app.add_routes([web.get("/api/cve/{cve}", api.handle)])
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def client(http: Http | None, base: str = "", **kw: Any) -> CveRecords:
    clock = kw.pop("clock", None)
    cache = kw.pop("cache", None) or MemoryCache()
    options = CveOptions(api=base, allow_private=True, max_bytes=200_000, **kw)
    extra = {"clock": clock} if clock else {}
    return CveRecords(http, options, cache, limiter=AsyncLimiter(1000, 1), **extra)


async def test_api_answers_become_per_id_results() -> None:
    api = Api()
    async with serve(api) as base, Http() as http:
        got = await client(http, base).lookup(
            [
                "CVE-2024-21762",
                "cve-2024-404404",
                "CVE-2024-4220",
                "CVE-2024-9999",
                "CVE-2024-0001",
                "CVE-2024-5000",
                "nonsense",
            ]
        )
    ok = got["CVE-2024-21762"]
    assert ok.status == "ok" and ok.advisory is not None and ok.error is None
    fortios = [p for p in ok.advisory.products if p.product == "FortiOS"]
    assert verdict(fortios, "7.2.10") == "not_affected" and fixed_for(fortios, "7.2.4") == "7.2.7"
    assert ok.date_updated == "2026-08-04T03:55:55.226Z"
    assert got["CVE-2024-404404"].status == "not_found" and got["CVE-2024-404404"].advisory is None
    assert got["CVE-2024-4220"].status == "error" and "malformed" in (
        got["CVE-2024-4220"].error or ""
    )
    assert got["CVE-2024-9999"].status == "error" and "too large" in (
        got["CVE-2024-9999"].error or ""
    )
    assert got["CVE-2024-5000"].status == "error" and "HTTP 503" in (
        got["CVE-2024-5000"].error or ""
    )
    gone = got["CVE-2024-0001"]
    assert gone.status == "rejected" and gone.advisory is not None and gone.advisory.withdrawn
    assert got["NONSENSE"].status == "error"
    assert "NONSENSE" not in api.calls


async def test_429_retry_after_stops_further_requests() -> None:
    api = Api()
    now = [1_000.0]
    async with serve(api) as base, Http() as http:
        records = client(http, base, clock=lambda: now[0], concurrency=1)
        first = await records.lookup(["CVE-2024-4290"])
        assert first["CVE-2024-4290"].status == "rate_limited"
        assert first["CVE-2024-4290"].retry_after == 120.0
        blocked = await records.lookup(["CVE-2024-21762"])  # within the 120 s: not asked
        assert blocked["CVE-2024-21762"].status == "rate_limited"
        assert "CVE-2024-21762" not in api.calls
        now[0] += 121
        later = await records.lookup(["CVE-2024-21762"])
    assert later["CVE-2024-21762"].status == "ok" and api.calls["CVE-2024-21762"] == 1


async def test_cache_max_age_and_date_updated() -> None:
    api = Api()
    now = [1_000.0]
    cache = MemoryCache()
    async with serve(api) as base, Http() as http:
        records = client(http, base, clock=lambda: now[0], cache=cache, max_age=3600)
        await records.lookup(["CVE-2024-21762"])
        again = await records.lookup(["CVE-2024-21762"])
        assert again["CVE-2024-21762"].from_cache and api.calls["CVE-2024-21762"] == 1
        now[0] += 3601  # stale: asked again; same dateUpdated, so the cached record stays
        same = await records.lookup(["CVE-2024-21762"])
        assert api.calls["CVE-2024-21762"] == 2 and same["CVE-2024-21762"].from_cache
        assert cache.rows["CVE-2024-21762"].fetched_at == now[0]
        newer = json.loads(FORTI)
        newer["cveMetadata"]["dateUpdated"] = "2026-09-01T00:00:00.000Z"
        newer["containers"]["cna"]["affected"][1]["versions"][1]["lessThanOrEqual"] = "7.2.7"
        api.bodies["CVE-2024-21762"] = json.dumps(newer).encode()
        now[0] += 3601
        moved = await records.lookup(["CVE-2024-21762"])
        result = moved["CVE-2024-21762"]
        assert not result.from_cache and result.date_updated == "2026-09-01T00:00:00.000Z"
        assert result.advisory is not None
        assert (
            fixed_for([p for p in result.advisory.products if p.product == "FortiOS"], "7.2.4")
            is None
        )
        assert cache.rows["CVE-2024-21762"].date_updated == "2026-09-01T00:00:00.000Z"
        api.bodies.pop("CVE-2024-21762")  # now the API fails: the cached record is kept
        now[0] += 3601
        kept = (await records.lookup(["CVE-2024-21762"]))["CVE-2024-21762"]
    assert kept.advisory is not None and kept.from_cache and "HTTP 404" in (kept.error or "")


async def test_bounded_concurrency() -> None:
    api = Api()
    async with serve(api) as base, Http() as http:
        got = await client(http, base, concurrency=2).lookup(
            [f"CVE-2030-{n:04d}" for n in range(6)]
        )
    assert len(got) == 6 and all(r.status == "rejected" for r in got.values())
    assert api.peak == 2


async def test_https_only_without_allow_private() -> None:
    api = Api()
    async with serve(api) as base, Http() as http:
        options = CveOptions(api=base)  # http:// and 127.0.0.1 without the opt-in
        got = await CveRecords(http, options, MemoryCache(), limiter=AsyncLimiter(1000, 1)).lookup(
            ["CVE-2024-21762"]
        )
    assert got["CVE-2024-21762"].status == "error" and not api.calls


def test_mirror_layout() -> None:
    root = Path("/mirror")
    assert mirror_path(root, "CVE-2024-21762") == root / "cves/2024/21xxx/CVE-2024-21762.json"
    assert mirror_path(root, "CVE-2024-8068") == root / "cves/2024/8xxx/CVE-2024-8068.json"
    assert mirror_path(root, "CVE-2023-0386") == root / "cves/2023/0xxx/CVE-2023-0386.json"
    assert mirror_path(root, "CVE-2024-123456") == root / "cves/2024/123xxx/CVE-2024-123456.json"


async def test_mirror_reads_files_and_reports_missing(tmp_path: Path) -> None:
    for name in ("CVE-2024-21762", "CVE-2025-6558"):
        target = mirror_path(tmp_path, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DATA / f"{name}.json", target)
    broken = mirror_path(tmp_path, "CVE-2025-0002")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("{not json", encoding="utf-8")
    records = CveRecords(None, CveOptions(mirror=tmp_path), MemoryCache())
    got = await records.lookup(
        ["CVE-2024-21762", "CVE-2025-6558", "CVE-2025-0001", "CVE-2025-0002"]
    )
    assert got["CVE-2024-21762"].status == "ok" and got["CVE-2025-6558"].status == "ok"
    assert got["CVE-2025-0001"].status == "not_found" and "not in the mirror" in (
        got["CVE-2025-0001"].error or ""
    )
    assert got["CVE-2025-0002"].status == "error"
    huge = mirror_path(tmp_path, "CVE-2025-0003")
    huge.write_bytes(b"{" + b" " * 4000 + b"}")
    capped = CveRecords(None, CveOptions(mirror=tmp_path, max_bytes=1000), MemoryCache())
    big = (await capped.lookup(["CVE-2025-0003"]))["CVE-2025-0003"]
    assert big.status == "error" and "too large" in (big.error or "")


async def test_demo_mirror_has_the_kev_records() -> None:
    demo = ROOT / "examples" / "demo"
    kev = json.loads((demo / "kev.json").read_text(encoding="utf-8"))
    ids = [v["cveID"] for v in kev["vulnerabilities"]]
    got = await CveRecords(None, CveOptions(mirror=demo / "cve"), MemoryCache()).lookup(ids)
    found = {c for c, r in got.items() if r.ok}
    assert len(found) == 34 and all(got[c].status == "not_found" for c in set(ids) - found)
    forti = got["CVE-2024-21762"].advisory
    assert forti is not None
    fortios = [p for p in forti.products if p.product == "FortiOS"]
    assert verdict(fortios, "7.2.10") == "not_affected" and verdict(fortios, "7.2.4") == "affected"
    assert (demo / "cve" / "LICENSE-cvelistV5.txt").exists()


def test_options_from_a_feed(tmp_path: Path) -> None:
    from certbot.config import FeedConfig

    mirror = options_for(FeedConfig(id="cve-local", kind="nvd", path="cve"), tmp_path)
    assert mirror.mirror == tmp_path / "cve" and mirror.source == "cve-local"
    api = options_for(FeedConfig(id="cve", kind="nvd", url="https://cve.example.org"))
    assert api.mirror is None and api.api == "https://cve.example.org"
    assert api.max_bytes == 2 * 1024 * 1024 and api.allow_private is False


def test_retry_after_forms() -> None:
    assert retry_seconds("120", 0.0) == 120.0
    assert retry_seconds("Thu, 01 Jan 1970 00:02:00 GMT", 60.0) == 60.0
    assert retry_seconds("soon", 0.0) is None and retry_seconds(None, 0.0) is None
