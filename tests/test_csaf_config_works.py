"""CSAF configuration that cannot work must say so (issue 12, point 11; README row 31).

Against CISA's real IT/white tree (documents and .sha512 unchanged, .asc made here with a
generated key), served on 127.0.0.1 or laid out as a local mirror directory:

- ``path:`` mirrors are verified exactly like a remote provider (hash, pinned signature);
- a ROLIE feed or changes.csv URL verifies with ``public_keys:``;
- rejected documents are fetched again on later polls and accepted once the key is fixed;
- ROLIE feeds and changes.csv are conditional GETs (304 counted at the server);
- a bare domain is discovered at https://DOMAIN/.well-known/csaf/provider-metadata.json;
- check-config refuses a feed with nothing pinned and a ROLIE URL without public_keys.
"""

from __future__ import annotations

import argparse
import json
import shutil
import ssl
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pysequoia
import pytest
import trustme

from certbot import cli
from certbot.config import FeedConfig, load_config
from certbot.errors import ConfigError, FetchError
from certbot.fetch import Http
from certbot.sources import SourceState
from certbot.sources.csaf import CsafSource
from certbot.sources.csaf_client import MirrorClient
from certbot.store import Store
from tests.test_fetch import MapResolver
from tests.test_source_csaf_fetch import DOCS, IT_WHITE, PREFIX, Provider, _key, _sign, providers

HERE = Path(__file__).parent


@pytest.fixture
async def provider() -> AsyncIterator[Callable[..., Any]]:
    async for start in providers():
        yield start


ROLIE = "cisa-csaf-it-feed-tlp-white.json"
NEWEST = "2024-10-03T16:03:00+00:00"


def _fpr(tsk: pysequoia.Tsk) -> str:
    return tsk.extract_certificate().fingerprint.upper()


def _mirror(tmp_path: Path, tsk: pysequoia.Tsk) -> Path:
    """CISA's IT/white folder as a mirror, our signatures, and our key under keys/."""
    root = tmp_path / "mirror"
    shutil.copytree(IT_WHITE, root)
    for name in DOCS:
        doc = root / "2024" / f"{name}.json"
        (root / "2024" / f"{name}.json.asc").write_bytes(_sign(tsk, doc.read_bytes()))
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "test.asc").write_text(str(tsk.extract_certificate()))
    return root


def _mirror_feed(tsk: pysequoia.Tsk, **extra: Any) -> FeedConfig:
    keys = [{"path": "keys/test.asc", "fingerprint": _fpr(tsk)}]
    return FeedConfig.model_validate(
        {"id": "cisa-mirror", "kind": "csaf", "path": "mirror", "public_keys": keys, **extra}
    )


async def _poll_local(tmp_path: Path, feed: FeedConfig, state: SourceState) -> Any:
    async with Http(base_dir=tmp_path) as http:
        return await CsafSource().fetch(feed, http, state)


def _ids(fetched: Any, feed: FeedConfig) -> list[str]:
    return sorted(a.source_id for d in fetched.documents for a in CsafSource().parse(d, feed))


# --- a local mirror -------------------------------------------------------------------------


async def test_path_mirror_is_verified_like_a_remote_provider(tmp_path: Path) -> None:
    tsk = _key()
    _mirror(tmp_path, tsk)
    feed = _mirror_feed(tsk)
    first = await _poll_local(tmp_path, feed, SourceState())
    assert _ids(first, feed) == ["VA-24-201-01", "VA-24-254-01", "VA-24-254-02", "VA-24-262-01"]
    assert first.cursor["rejected"] == [] and first.cursor["since"] == NEWEST
    second = await _poll_local(tmp_path, feed, SourceState(cursor=first.cursor))
    assert second.documents == [] and second.cursor["since"] == NEWEST


async def test_path_mirror_rejects_tampering_and_foreign_signatures(tmp_path: Path) -> None:
    tsk = _key()
    root = _mirror(tmp_path, tsk)
    doc = root / "2024" / "va-24-254-01.json"
    doc.write_bytes(doc.read_bytes().replace(b"IBM", b"IBN", 1))
    (root / "2024" / "va-24-254-01.json.asc").write_bytes(_sign(tsk, doc.read_bytes()))
    other = root / "2024" / "va-24-262-01.json"
    (root / "2024" / "va-24-262-01.json.asc").write_bytes(_sign(_key(), other.read_bytes()))
    (root / "2024" / "va-24-201-01.json.asc").unlink()
    got = await _poll_local(tmp_path, _mirror_feed(tsk), SourceState())
    assert _ids(got, _mirror_feed(tsk)) == ["VA-24-254-02"]
    reasons = {Path(r["url"]).name: r["reason"] for r in got.cursor["rejected"]}
    assert "sha512 mismatch" in reasons["va-24-254-01.json"]
    assert "does not verify with any pinned key" in reasons["va-24-262-01.json"]
    assert reasons["va-24-201-01.json"] == "no .asc signature file"


async def test_path_mirror_with_changes_csv_only(tmp_path: Path) -> None:
    tsk = _key()
    root = _mirror(tmp_path, tsk)
    (root / ROLIE).unlink()  # changes.csv paths repeat csaf_files/IT/white/: still found
    got = await _poll_local(tmp_path, _mirror_feed(tsk), SourceState())
    assert len(got.documents) == 4 and got.cursor["since"] == NEWEST


async def test_path_mirror_with_provider_metadata_and_pinned_fingerprint(tmp_path: Path) -> None:
    tsk = _key()
    root = _mirror(tmp_path, tsk)
    shutil.copy(tmp_path / "keys" / "test.asc", root / "key.asc")
    meta = {  # as a mirror keeps it: the provider's own https:// URLs
        "distributions": [{"rolie": {"feeds": [{"url": f"https://csaf.example/x/{ROLIE}"}]}}],
        "public_openpgp_keys": [{"fingerprint": _fpr(tsk), "url": "https://csaf.example/key.asc"}],
    }
    (root / "provider-metadata.json").write_text(json.dumps(meta))
    feed = FeedConfig(id="m", kind="csaf", path="mirror", fingerprints=(_fpr(tsk),))
    got = await _poll_local(tmp_path, feed, SourceState())
    assert len(got.documents) == 4 and got.cursor["rejected"] == []
    wrong = FeedConfig(id="m", kind="csaf", path="mirror", fingerprints=(_fpr(_key()),))
    got = await _poll_local(tmp_path, wrong, SourceState())
    assert got.documents == [] and len(got.cursor["retry"]) == 4  # fail closed


def test_mirror_reads_nothing_outside_its_root(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    root.mkdir()
    (tmp_path / "secret.json").write_text("{}")
    (root / "link.json").symlink_to(tmp_path / "secret.json")
    client = MirrorClient(_mirror_feed(_key()), root)
    for url in (
        (tmp_path / "secret.json").as_uri(),
        "https://csaf.example/../secret.json",
        root.as_uri() + "/../secret.json",
        root.as_uri() + "/link.json",
        "file:///etc/passwd",
    ):
        with pytest.raises(FetchError):
            client.locate(url)


async def test_a_missing_mirror_is_a_clear_poll_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="does not exist"):
        await _poll_local(tmp_path, _mirror_feed(_key()), SourceState())


# --- ROLIE feed / changes.csv URLs with public_keys ------------------------------------------


def _url_feed(prov: Provider, url: str, tsk: pysequoia.Tsk | None = None) -> FeedConfig:
    key = {"url": f"{prov.base}/keys/test.asc", "fingerprint": _fpr(tsk or prov.tsk)}
    return FeedConfig.model_validate(
        {"id": "cisa-it", "kind": "csaf", "url": url, "allow_private": True, "public_keys": [key]}
    )


async def _poll(feed: FeedConfig, state: SourceState, http: Http | None = None) -> Any:
    async with http or Http() as client:
        return await CsafSource().fetch(feed, client, state)


async def test_rolie_url_verifies_with_public_keys(provider) -> None:
    prov = await provider()
    got = await _poll(_url_feed(prov, f"{prov.base}/{PREFIX}{ROLIE}"), SourceState())
    assert len(got.documents) == 4 and got.cursor["rejected"] == []
    assert ".well-known/csaf/provider-metadata.json" not in prov.requests


async def test_changes_csv_url_verifies_with_public_keys(provider) -> None:
    prov = await provider(rolie=False)
    got = await _poll(_url_feed(prov, f"{prov.base}/{PREFIX}changes.csv"), SourceState())
    assert len(got.documents) == 4 and got.cursor["rejected"] == []


async def test_rejected_documents_come_back_once_the_key_is_fixed(provider, tmp_path) -> None:
    prov = await provider()
    url = f"{prov.base}/{PREFIX}{ROLIE}"
    wrong = _url_feed(prov, url, tsk=_key())  # an operator pinned the wrong key
    first = await _poll(wrong, SourceState())
    assert first.documents == [] and len(first.cursor["rejected"]) == 4
    assert first.cursor["since"] == NEWEST  # the index is done; the retry list holds them
    second = await _poll(wrong, SourceState(cursor=first.cursor))
    assert second.documents == [] and second.cursor["rejected"] == []  # told once, not per poll
    assert {r["attempts"] for r in second.cursor["retry"].values()} == {2}
    assert len(prov.documents_fetched()) == 8  # fetched again although the index is unchanged
    # The stored cursor survives the database, and the operator can list what waits.
    store = Store(tmp_path / "certbot.db")
    store.save_feed_state("cisa-it", SourceState(cursor=second.cursor), now=datetime.now(UTC))
    state = store.feed_state("cisa-it")
    fixed = await _poll(_url_feed(prov, url), state)
    assert len(fixed.documents) == 4 and fixed.cursor["retry"] == {}
    assert sorted(a.source_id for d in fixed.documents for a in CsafSource().parse(d, wrong)) == [
        "VA-24-201-01",
        "VA-24-254-01",
        "VA-24-254-02",
        "VA-24-262-01",
    ]


def test_rejected_command_lists_the_retry_list(tmp_path, capsys) -> None:
    store = Store(tmp_path / "certbot.db")
    retry = {
        "https://p/a.json": {
            "reason": "no valid signature; signature issuer ABC",
            "first_seen": "2026-01-01T00:00:00+00:00",
            "last_seen": "2026-01-02T00:00:00+00:00",
            "attempts": 3,
        }
    }
    now = datetime.now(UTC)
    store.save_feed_state("cisa-it", SourceState(cursor={"retry": retry}), now=now)
    store.save_feed_state("rss", SourceState(cursor={}), now=now)
    config = load_config(HERE / "data" / "config" / "good")
    db = str(tmp_path / "certbot.db")
    assert cli.COMMANDS["rejected"](argparse.Namespace(feed=None, json=True), config, db) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row == {
        "feed": "cisa-it",
        "url": "https://p/a.json",
        "reason": "no valid signature; signature issuer ABC",
        "first_seen": "2026-01-01T00:00:00+00:00",
        "last_seen": "2026-01-02T00:00:00+00:00",
        "attempts": 3,
    }
    assert cli.COMMANDS["rejected"](argparse.Namespace(feed="rss", json=False), config, db) == 0
    assert "no rejected CSAF documents" in capsys.readouterr().out
    parsed = cli._parser().parse_args(["rejected", "--feed", "cisa-it", "--json"])
    assert parsed.command == "rejected" and parsed.feed == "cisa-it"


# --- conditional GET --------------------------------------------------------------------------


@pytest.mark.parametrize("rolie", [True, False], ids=["rolie", "changes_csv"])
async def test_index_is_a_conditional_get(provider, rolie: bool) -> None:
    prov = await provider(rolie=rolie)
    index = PREFIX + (ROLIE if rolie else "changes.csv")
    feed = FeedConfig(
        id="p", kind="csaf", url=prov.base + "/", allow_private=True, fingerprints=(_fpr(prov.tsk),)
    )
    first = await _poll(feed, SourceState())
    assert len(first.documents) == 4 and prov.sent_whole.count(index) == 1
    second = await _poll(feed, SourceState(cursor=first.cursor))
    assert second.documents == [] and prov.not_modified == [index]
    assert prov.sent_whole.count(index) == 1  # the index was not sent again
    # A changed index is sent whole again, and only its new entry is fetched.
    prov.files[index] += b"\n" if not rolie else b" "
    third = await _poll(feed, SourceState(cursor=second.cursor))
    assert prov.sent_whole.count(index) == 2 and third.documents == []


async def test_a_blocked_poll_reads_the_index_whole_next_time(provider) -> None:
    prov = await provider()
    path = f"{PREFIX}2024/va-24-262-01.json"
    body = prov.files.pop(path)  # a fetch error (404) stops the cursor before this document
    feed = _url_feed(prov, f"{prov.base}/{PREFIX}{ROLIE}")
    first = await _poll(feed, SourceState())
    assert len(first.documents) == 3 and first.cursor["http"] == {}
    prov.files[path] = body
    second = await _poll(feed, SourceState(cursor=first.cursor))
    assert prov.not_modified == [] and body in second.documents  # the index was read whole
    assert second.cursor["since"] == NEWEST and second.cursor["http"]


# --- a bare domain ----------------------------------------------------------------------------


@pytest.fixture
async def tls_provider(tmp_path):
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("csaf.example.test").configure_cert(ctx)
    async for start in providers(ctx, "csaf.example.test"):
        yield await start(), str(ca_file)


async def test_bare_domain_is_discovered_at_the_well_known_url(tls_provider) -> None:
    prov, ca_file = tls_provider
    feed = FeedConfig(
        id="d",
        kind="csaf",
        url=prov.base.removeprefix("https://"),
        allow_private=True,  # the test server is on 127.0.0.1
        fingerprints=(_fpr(prov.tsk),),
    )
    http = Http(resolver=MapResolver({"csaf.example.test": "127.0.0.1"}), cafile=ca_file)
    got = await _poll(feed, SourceState(), http)
    assert len(got.documents) == 4
    assert prov.requests[0] == ".well-known/csaf/provider-metadata.json"


# --- check-config -------------------------------------------------------------------------------


def test_a_bare_domain_is_a_csaf_url_only() -> None:
    fpr = "A" * 40
    assert FeedConfig(id="c", kind="csaf", url="www.cisa.gov", fingerprints=(fpr,)).url
    with pytest.raises(ValueError, match="must start with https://"):
        FeedConfig(id="r", kind="rss", url="www.cisa.gov")
    with pytest.raises(ValueError, match="must start with https://"):
        FeedConfig(id="c", kind="csaf", url="not a domain", fingerprints=(fpr,))


def _check(tmp_path: Path, feed_yaml: str) -> list[str]:
    subs = tmp_path / "subscribers"
    if not subs.exists():
        shutil.copytree(HERE / "data" / "config" / "good" / "subscribers", subs)
    (tmp_path / "feeds.yaml").write_text(
        "service:\n  timezone: Europe/Oslo\nfeeds:\n" + feed_yaml, encoding="utf-8"
    )
    try:
        load_config(tmp_path)
    except ConfigError as exc:
        return exc.problems
    return []


def test_check_config_refuses_a_feed_with_nothing_pinned(tmp_path: Path) -> None:
    (tmp_path / "mirror").mkdir()
    for where in ("path: mirror", "url: cisa.gov"):
        (problem,) = _check(tmp_path, f"  - id: m\n    kind: csaf\n    {where}\n")
        assert problem.startswith("feeds.yaml: feeds[0].fingerprints: ")
        assert "nothing would ever be accepted" in problem and problem.endswith("(line 4)")


def test_check_config_accepts_public_keys_and_a_disabled_feed(tmp_path: Path) -> None:
    yaml_text = (
        "  - id: rolie\n    kind: csaf\n    url: https://x.example/feed-tlp-white.json\n"
        "    public_keys:\n      - url: https://x.example/key.asc\n"
        f"        fingerprint: {'B' * 40}\n"
        "  - id: later\n    kind: csaf\n    url: x.example\n    enabled: false\n"
    )
    assert _check(tmp_path, yaml_text) == []


def test_public_key_needs_exactly_one_place() -> None:
    with pytest.raises(ValueError, match="'url'"):
        FeedConfig.model_validate(
            {
                "id": "c",
                "kind": "csaf",
                "url": "x.example",
                "public_keys": [{"fingerprint": "A" * 40}],
            }
        )
