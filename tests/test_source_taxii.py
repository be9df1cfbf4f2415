"""TAXII 2.1 polling against a real medallion server (memory backend) on 127.0.0.1.

The server runs in a subprocess (medallion keeps one global Flask app) with its own test data
(tests/data/medallion/default_data.json) plus five vulnerabilities with software and
relationships added by the test, and a page size of 2 so that paging is exercised.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from certbot.config import FeedConfig, SecretRef
from certbot.fetch import Http
from certbot.model import TLP, Fetched
from certbot.sources import SourceState
from certbot.sources.taxii import ACCEPT, TaxiiSource

DEFAULT_DATA = Path(__file__).parent / "data" / "medallion" / "default_data.json"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
SERVER = """
import sys
from medallion import load_app
from werkzeug.serving import make_server
app = load_app(sys.argv[1])
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def _vuln_objects(n: int, stamp: str) -> list[dict[str, Any]]:
    # medallion 3.0 sorts objects by a "version" property when it has one and chokes on the
    # software SCO's own "version" ("7.2.1"), so the version travels in the CPE here.
    out = []
    for i in range(n):
        vid, sid = f"vulnerability--{uuid.uuid4()}", f"software--{uuid.uuid4()}"
        out += [
            {
                "type": "vulnerability",
                "spec_version": "2.1",
                "id": vid,
                "created": stamp,
                "modified": stamp,
                "name": f"CVE-2024-1000{i}",
                "object_marking_refs": [GREEN],
                "external_references": [{"source_name": "cve", "external_id": f"CVE-2024-1000{i}"}],
            },
            {
                "type": "software",
                "spec_version": "2.1",
                "id": sid,
                "name": "FortiOS",
                "vendor": "Fortinet",
                "cpe": f"cpe:2.3:o:fortinet:fortios:7.2.{i}:*:*:*:*:*:*:*",
            },
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": f"relationship--{uuid.uuid4()}",
                "created": stamp,
                "modified": stamp,
                "relationship_type": "has",
                "source_ref": sid,
                "target_ref": vid,
            },
        ]
    return out


@pytest.fixture(scope="module")
def taxii(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("medallion")
    data = json.loads(DEFAULT_DATA.read_text())
    coll = next(c for c in data["trustgroup1"]["collections"] if c["id"] == COLLECTION)
    for i, obj in enumerate(_vuln_objects(5, "2024-10-01T00:00:00.000Z")):
        stamp = f"2024-10-01T00:00:{i:02d}.000000Z"
        if "modified" not in obj:  # an SCO: medallion versions it by its hidden _date_added
            obj["_date_added"] = stamp
        coll["objects"].append(obj)
        coll["manifest"].append(
            {
                "date_added": stamp,
                "id": obj["id"],
                "media_type": "application/stix+json;version=2.1",
                "version": obj.get("modified", stamp),
            }
        )
    (tmp / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(tmp / "data.json"),
        },
        "users": {"reader": "s3cret-pass"},
        "taxii": {"max_page_size": 2},
    }
    (tmp / "config.json").write_text(json.dumps(config))
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp / "config.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = int(proc.stdout.readline())  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}/trustgroup1/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]


class Recorder:
    """The real Http, recording the URLs asked for."""

    def __init__(self, http: Http) -> None:
        self.http, self.urls = http, []

    async def get(self, url: str, **kw: Any) -> Fetched:
        self.urls.append(url)
        return await self.http.get(url, **kw)


def _feed(root: str) -> FeedConfig:
    return FeedConfig(
        id="taxii-test",
        kind="taxii",
        url=root,
        collection=COLLECTION,
        allow_private=True,
        username="reader",
        token=SecretRef(env="TAXII_PW"),
    )


async def _poll(root: str, state: SourceState, page: int = 2) -> tuple[Fetched, list[str]]:
    async with Http() as http:
        rec = Recorder(http)
        got = await TaxiiSource(page_size=page).fetch(_feed(root), rec, state)  # type: ignore[arg-type]
        return got, rec.urls


async def test_poll_with_paging_then_added_after(taxii: str, monkeypatch) -> None:
    monkeypatch.setenv("TAXII_PW", "s3cret-pass")
    first, urls = await _poll(taxii, SourceState())
    pages = [u for u in urls if "/objects/" in u]
    assert len(pages) >= 10 and all("limit=2" in u for u in pages)
    assert all("next=" in u for u in pages[1:])
    # The cursor is the server's X-TAXII-Date-Added-Last header: no extra manifest request.
    assert not [u for u in urls if "/manifest/" in u]
    assert first.cursor and first.cursor.get("added_after")
    advs = [a for d in first.documents for a in TaxiiSource().parse(d, _feed(taxii))]
    assert sorted(a.cves[0] for a in advs) == [f"CVE-2024-1000{i}" for i in range(5)]
    assert all(a.tlp is TLP.GREEN and len(a.products) == 1 for a in advs)
    assert first.cursor and first.cursor["added_after"] == "2024-10-01T00:00:14.000000Z"

    second, urls = await _poll(taxii, SourceState(cursor=first.cursor))
    assert "added_after=2024-10-01T00%3A00%3A14.000000Z" in urls[0]
    assert second.documents == [] and second.cursor["objects"] == 0
    assert second.cursor["added_after"] == first.cursor["added_after"]  # never moves back

    # A new object added through TAXII itself: the next poll returns exactly it.
    [new_vuln, *_] = _vuln_objects(1, "2024-10-02T00:00:00.000Z")
    req = urllib.request.Request(
        f"{taxii}collections/{COLLECTION}/objects/",
        method="POST",
        data=json.dumps({"objects": [new_vuln]}).encode(),
        headers={
            "Content-Type": ACCEPT,
            "Accept": ACCEPT,
            "Authorization": "Basic cmVhZGVyOnMzY3JldC1wYXNz",
        },
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # 127.0.0.1 only
        assert resp.status in (200, 202)
    third, _ = await _poll(taxii, SourceState(cursor=first.cursor))
    advs = [a for d in third.documents for a in TaxiiSource().parse(d, _feed(taxii))]
    assert [a.source_id for a in advs] == [new_vuln["id"]]


async def test_wrong_password_is_a_fetch_error(taxii: str, monkeypatch) -> None:
    from certbot.errors import FetchError

    monkeypatch.setenv("TAXII_PW", "wrong")
    with pytest.raises(FetchError):
        await _poll(taxii, SourceState())


class FakeHttp:
    """Pages with X-TAXII-Date-Added-Last headers, as a spec-following server sends them."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        objs = _vuln_objects(2, "2020-01-01T00:00:00.000Z")
        self.pages = [
            ({"more": True, "next": "p2", "objects": objs[:3]}, "2024-05-01T00:00:00.000Z"),
            ({"more": False, "objects": objs[3:]}, "2024-05-02T00:00:00.123456Z"),
        ]

    async def get(self, url: str, **kw: Any) -> Fetched:
        self.urls.append(url)
        assert kw["headers"]["Accept"] == ACCEPT
        body, last = self.pages[len(self.urls) - 1]
        return Fetched(
            200, json.dumps(copy.deepcopy(body)).encode(), headers={"X-TAXII-Date-Added-Last": last}
        )


async def test_cursor_from_date_added_last_header() -> None:
    http = FakeHttp()
    feed = FeedConfig(id="t", kind="taxii", url="https://taxii.example.org/root/", collection="c1")
    got = await TaxiiSource(page_size=3).fetch(feed, http, SourceState())  # type: ignore[arg-type]
    assert got.cursor == {"added_after": "2024-05-02T00:00:00.123456Z", "objects": 6}
    assert http.urls[0] == "https://taxii.example.org/root/collections/c1/objects/?limit=3"
    assert "next=p2" in http.urls[1]
    assert len([a for d in got.documents for a in TaxiiSource().parse(d, feed)]) == 2
