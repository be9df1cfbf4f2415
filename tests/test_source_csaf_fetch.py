"""CSAF provider polling against a local aiohttp server built from CISA's real IT/white folder.

The documents and their .sha512 files are CISA's, bytes unchanged; the .asc signatures are
replaced by signatures made in the test with a freshly generated key (CISA's key is not
available offline), except in the test that shows CISA's real signatures are rejected.
"""

from __future__ import annotations

import hashlib
import json
import logging
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pysequoia
import pytest
from aiohttp import web

from certbot.config import FeedConfig
from certbot.errors import FetchError
from certbot.fetch import Http
from certbot.sources import SourceState
from certbot.sources.csaf import CsafSource
from certbot.sources.csaf_fetch import changes_entries, join_path, rolie_entries
from certbot.sources.csaf_verify import signature_issuer

IT_WHITE = Path(__file__).parent / "data" / "csaf" / "cisa" / "it-white"
PREFIX = "csaf_files/IT/white/"
GITHUB = "https://raw.githubusercontent.com/cisagov/CSAF/develop/"
CISA_FPR = "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17"
DOCS = ["va-24-201-01", "va-24-254-01", "va-24-254-02", "va-24-262-01"]


def _key() -> pysequoia.Tsk:
    return pysequoia.Tsk.generate("CSAF test provider <csaf@example.org>")


def _sign(tsk: pysequoia.Tsk, data: bytes) -> bytes:
    return pysequoia.sign(tsk.signer(), data, mode=pysequoia.SignatureMode.DETACHED)


class Provider:
    """A CSAF provider on 127.0.0.1: files by path, a request log, and switchable layout."""

    def __init__(self, tsk: pysequoia.Tsk) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        self.base = ""
        self.tsk = tsk
        self.require_auth: str | None = None
        self.not_modified: list[str] = []  # paths answered 304 to a conditional GET
        self.sent_whole: list[str] = []  # paths whose whole body was sent

    def build(self, *, rolie: bool = True, fingerprint: str | None = None) -> None:
        cert = self.tsk.extract_certificate()
        for path in IT_WHITE.rglob("*"):
            if path.is_file():
                self.files[PREFIX + path.relative_to(IT_WHITE).as_posix()] = path.read_bytes()
        for name in DOCS:  # our own signatures over CISA's unchanged bytes
            doc = self.files[f"{PREFIX}2024/{name}.json"]
            self.files[f"{PREFIX}2024/{name}.json.asc"] = _sign(self.tsk, doc)
        feed = self.files[PREFIX + "cisa-csaf-it-feed-tlp-white.json"].decode()
        self.files[PREFIX + "cisa-csaf-it-feed-tlp-white.json"] = feed.replace(
            GITHUB, self.base + "/"
        ).encode()
        self.files["keys/test.asc"] = str(cert).encode()
        dist: dict[str, Any] = (
            {
                "rolie": {
                    "feeds": [
                        {
                            "summary": "IT white",
                            "tlp_label": "WHITE",
                            "url": f"{self.base}/{PREFIX}cisa-csaf-it-feed-tlp-white.json",
                        }
                    ]
                }
            }
            if rolie
            else {"directory_url": f"{self.base}/{PREFIX}"}
        )
        meta = {
            "canonical_url": f"{self.base}/.well-known/csaf/provider-metadata.json",
            "distributions": [dist],
            "public_openpgp_keys": [
                {
                    "fingerprint": fingerprint or cert.fingerprint.upper(),
                    "url": f"{self.base}/keys/test.asc",
                }
            ],
            "role": "csaf_trusted_provider",
        }
        self.files[".well-known/csaf/provider-metadata.json"] = json.dumps(meta).encode()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path.lstrip("/")
        self.requests.append(path)
        if self.require_auth and request.headers.get("Authorization") != self.require_auth:
            raise web.HTTPUnauthorized()
        if path not in self.files:
            raise web.HTTPNotFound()
        etag = '"' + hashlib.sha256(self.files[path]).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified.append(path)
            return web.Response(status=304, headers={"ETag": etag})
        self.sent_whole.append(path)
        return web.Response(body=self.files[path], headers={"ETag": etag})

    def documents_fetched(self) -> list[str]:
        return [p for p in self.requests if p.endswith(".json") and "/2024/" in p]


async def providers(
    ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> AsyncIterator[Callable[..., Any]]:
    """Start CSAF providers on 127.0.0.1 (``https://<host>`` with ``ssl_context``); each is
    stopped when the generator ends."""
    runners = []

    async def start(tsk: pysequoia.Tsk | None = None, **build: Any) -> Provider:
        prov = Provider(tsk or _key())
        app = web.Application()
        app.router.add_get("/{tail:.*}", prov.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        prov.base = f"{'https' if ssl_context else 'http'}://{host}:{port}"
        prov.build(**build)
        return prov

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def provider() -> AsyncIterator[Callable[..., Any]]:
    async for start in providers():
        yield start


def _feed(prov: Provider, fingerprints: tuple[str, ...] | None = None) -> FeedConfig:
    fpr = prov.tsk.extract_certificate().fingerprint
    return FeedConfig(
        id="cisa-it",
        kind="csaf",
        url=prov.base + "/",
        allow_private=True,
        fingerprints=(fpr,) if fingerprints is None else fingerprints,
    )


async def _poll(prov: Provider, state: SourceState, feed: FeedConfig | None = None):
    async with Http() as http:
        return await CsafSource().fetch(feed or _feed(prov), http, state)


async def test_full_then_incremental_poll_over_rolie(provider) -> None:
    prov = await provider()
    first = await _poll(prov, SourceState())
    assert len(first.documents) == 4 and first.cursor["rejected"] == []
    assert first.cursor["since"] == "2024-10-03T16:03:00+00:00"
    ids = sorted(a.source_id for d in first.documents for a in CsafSource().parse(d, _feed(prov)))
    assert ids == ["VA-24-201-01", "VA-24-254-01", "VA-24-254-02", "VA-24-262-01"]
    prov.requests.clear()
    second = await _poll(prov, SourceState(cursor=first.cursor))
    assert second.documents == [] and prov.documents_fetched() == []
    assert second.cursor["since"] == first.cursor["since"]


async def test_directory_distribution_changes_csv(provider) -> None:
    prov = await provider(rolie=False)
    first = await _poll(prov, SourceState())
    assert len(first.documents) == 4
    assert any(p.endswith("changes.csv") for p in prov.requests)
    # A later row for one document (the index is unsorted): only that one is fetched again.
    csv_path = PREFIX + "changes.csv"
    prov.files[csv_path] = (
        f"{PREFIX}2024/va-24-201-01.json,2024-11-01T10:00:00.000Z\r\n".encode()
        + prov.files[csv_path]
    )
    prov.requests.clear()
    second = await _poll(prov, SourceState(cursor=first.cursor))
    assert prov.documents_fetched() == [f"{PREFIX}2024/va-24-201-01.json"]
    assert len(second.documents) == 1
    assert second.cursor["since"] == "2024-11-01T10:00:00+00:00"


async def test_tampered_document_is_rejected(provider, caplog) -> None:
    prov = await provider()
    path = f"{PREFIX}2024/va-24-254-01.json"
    prov.files[path] = prov.files[path].replace(b"IBM", b"IBN", 1)
    prov.files[path + ".asc"] = _sign(prov.tsk, prov.files[path])  # even re-signed: hash fails
    with caplog.at_level(logging.ERROR):
        got = await _poll(prov, SourceState())
    assert len(got.documents) == 3
    [rej] = got.cursor["rejected"]
    assert rej["url"].endswith("va-24-254-01.json") and "sha512 mismatch" in rej["reason"]
    assert any(r.levelno == logging.ERROR and "rejected" in r.message for r in caplog.records)


async def test_signature_by_unpinned_key_is_rejected(provider) -> None:
    prov = await provider()
    stranger = _key()
    path = f"{PREFIX}2024/va-24-262-01.json"
    prov.files[path + ".asc"] = _sign(stranger, prov.files[path])
    got = await _poll(prov, SourceState())
    assert len(got.documents) == 3
    [rej] = got.cursor["rejected"]
    pinned = prov.tsk.extract_certificate().fingerprint.upper()
    assert pinned not in rej["reason"]
    assert "does not verify with any pinned key" in rej["reason"]


async def test_missing_signature_and_missing_hash_fail_closed(provider) -> None:
    prov = await provider()
    del prov.files[f"{PREFIX}2024/va-24-262-01.json.asc"]
    del prov.files[f"{PREFIX}2024/va-24-201-01.json.sha512"]
    got = await _poll(prov, SourceState())
    reasons = sorted(r["reason"] for r in got.cursor["rejected"])
    assert len(got.documents) == 2
    assert reasons == ["no .asc signature file", "no .sha512 or .sha256 file"]


async def test_no_pinned_fingerprint_rejects_everything(provider) -> None:
    prov = await provider()
    got = await _poll(prov, SourceState(), _feed(prov, fingerprints=()))
    assert got.documents == [] and len(got.cursor["rejected"]) == 4


async def test_real_cisa_signatures_without_cisa_key_are_rejected(provider) -> None:
    prov = await provider(fingerprint=CISA_FPR)
    for name in DOCS:  # put CISA's own signatures back
        rel = f"2024/{name}.json.asc"
        prov.files[PREFIX + rel] = (IT_WHITE / rel).read_bytes()
    del prov.files["keys/test.asc"]  # CISA's key cannot be fetched here
    got = await _poll(prov, SourceState(), _feed(prov, fingerprints=(CISA_FPR,)))
    assert got.documents == [] and len(got.cursor["rejected"]) == 4
    assert all(CISA_FPR in r["reason"] for r in got.cursor["rejected"])


def test_real_cisa_signature_issuer_is_parsed() -> None:
    for name in DOCS:
        assert signature_issuer((IT_WHITE / f"2024/{name}.json.asc").read_bytes()) == CISA_FPR
    ot = Path(__file__).parent / "data" / "csaf" / "cisa" / "icsa-25-016-04.json.asc"
    assert signature_issuer(ot.read_bytes()) == CISA_FPR


def test_changes_csv_rows_any_order_crlf() -> None:
    data = (Path(__file__).parent / "data" / "csaf" / "cisa" / "changes.first300.csv").read_bytes()
    assert b"\r\n" in data
    rows = changes_entries(data, "https://example.org/csaf_files/OT/white/")
    assert len(rows) == 300
    assert sorted(rows, key=lambda e: e.updated) != rows  # the real file is not sorted
    assert max(e.updated for e in rows).year >= 2024


def test_changes_csv_skips_garbage_lines() -> None:
    rows = changes_entries(b"a.json,2024-01-01T00:00:00Z\r\nnonsense\r\nb.json,not-a-date\n", "x")
    assert [e.url for e in rows] == ["a.json"]


def test_join_path_does_not_double_the_directory() -> None:
    base = "https://h/cisagov/csaf_files/IT/white/"
    assert join_path(base, "csaf_files/IT/white/2024/a.json") == (
        "https://h/cisagov/csaf_files/IT/white/2024/a.json"
    )
    assert join_path(base, "2024/a.json") == "https://h/cisagov/csaf_files/IT/white/2024/a.json"


def test_rolie_feed_fixture_entries() -> None:
    data = (
        Path(__file__).parent
        / "data"
        / "csaf"
        / "cisa"
        / "cisa-csaf-ot-feed-tlp-white.first50.json"
    ).read_bytes()
    entries = rolie_entries(data, "https://example.org/")
    assert len(entries) == 50
    assert entries[0].url.endswith("icsa-24-298-03.json")
    assert entries[0].hash_url and entries[0].hash_url.endswith(".sha512")
    assert entries[0].sig_url and entries[0].sig_url.endswith(".asc")


async def test_bearer_token_from_secret(provider, monkeypatch) -> None:
    from certbot.config import SecretRef

    prov = await provider()
    prov.require_auth = "Bearer tok-123"
    monkeypatch.setenv("CSAF_TEST_TOKEN", "tok-123")
    feed = _feed(prov).model_copy(update={"token": SecretRef(env="CSAF_TEST_TOKEN")})
    got = await _poll(prov, SourceState(), feed)
    assert len(got.documents) == 4
    monkeypatch.setenv("CSAF_TEST_TOKEN", "wrong")
    with pytest.raises(FetchError):
        await _poll(prov, SourceState(), feed)


async def test_verified_but_schema_invalid_document_is_rejected(provider) -> None:
    prov = await provider()
    path = f"{PREFIX}2024/va-24-262-01.json"
    doc = json.loads(prov.files[path])
    del doc["document"]["tracking"]
    prov.files[path] = json.dumps(doc).encode()
    prov.files[path + ".sha512"] = hashlib.sha512(prov.files[path]).hexdigest().encode()
    prov.files[path + ".asc"] = _sign(prov.tsk, prov.files[path])
    got = await _poll(prov, SourceState())
    assert len(got.documents) == 3
    [rej] = got.cursor["rejected"]
    assert rej["reason"].startswith("invalid CSAF document: CSAF 2.0 schema")
