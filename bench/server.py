"""The feed server: every generated feed on 127.0.0.1, with ETag/304 and signed CSAF trees.

RSS, KEV and STIX feeds are one document each at ``/<feed>``; each CSAF feed is a provider at
``/<feed>/.well-known/csaf/provider-metadata.json`` with a ROLIE feed, the documents, their
``.sha512`` and a detached ``.asc`` signature by one generated key. ``idle = True`` makes every
conditional request answer 304 (the idle-poll benchmark).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pysequoia
from aiohttp import web

from bench.generate import FEEDS, T0
from certbot.config import FeedConfig


class FeedServer:
    def __init__(self, docs: dict[str, Any]):
        self.docs = docs
        self.files: dict[str, bytes] = {}
        self.base = ""
        self.tsk = pysequoia.Tsk.generate("bench provider <bench@example.org>")
        self.runner: web.AppRunner | None = None
        self.requests = 0

    async def start(self) -> FeedServer:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        self.publish(self.docs)
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def publish(self, docs: dict[str, Any]) -> None:
        """(Re)publish feeds; CSAF documents are added to what a provider already serves."""
        self.docs = docs
        cert = self.tsk.extract_certificate()
        self.files["keys/bench.asc"] = str(cert).encode()
        for fid, doc in docs.items():
            if not isinstance(doc, list):
                self.files[fid] = doc
                continue
            entries = json.loads(self.files.get(f"{fid}/feed.json", b'{"feed":{"entry":[]}}'))
            for name, body in doc:
                path = f"{fid}/2026/{name}"
                self.files[path] = body
                digest = hashlib.sha512(body).hexdigest()
                self.files[path + ".sha512"] = f"{digest}  {name}\n".encode()
                self.files[path + ".asc"] = pysequoia.sign(
                    self.tsk.signer(), body, mode=pysequoia.SignatureMode.DETACHED
                )
                entries["feed"]["entry"].append(
                    {
                        "id": name,
                        "title": name,
                        "updated": json.loads(body)["document"]["tracking"]["current_release_date"],
                        "link": [{"rel": "self", "href": f"{self.base}/{path}"}],
                        "content": {"type": "application/json", "src": f"{self.base}/{path}"},
                    }
                )
            self.files[f"{fid}/feed.json"] = json.dumps(entries).encode()
            meta = {
                "canonical_url": f"{self.base}/{fid}/.well-known/csaf/provider-metadata.json",
                "distributions": [{"rolie": {"feeds": [{"url": f"{self.base}/{fid}/feed.json",
                                                        "tlp_label": "WHITE", "summary": fid}]}}],
                "public_openpgp_keys": [
                    {"fingerprint": cert.fingerprint.upper(), "url": f"{self.base}/keys/bench.asc"}
                ],
                "role": "csaf_trusted_provider",
            }  # fmt: skip
            self.files[f"{fid}/.well-known/csaf/provider-metadata.json"] = json.dumps(meta).encode()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        path = request.path.lstrip("/")
        body = self.files.get(path)
        if body is None:
            raise web.HTTPNotFound()
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"ETag": etag, "Last-Modified": _http_date()})

    def feeds(self) -> list[FeedConfig]:
        fpr = self.tsk.extract_certificate().fingerprint
        out = []
        for kind, fid in FEEDS:
            url = f"{self.base}/{fid}"
            if kind == "csaf":
                url += "/.well-known/csaf/provider-metadata.json"
            extra = {"fingerprints": (fpr,)} if kind == "csaf" else {}
            out.append(
                FeedConfig(id=fid, kind=kind, url=url, allow_private=True, **extra)  # type: ignore[arg-type]
            )
        return out


def _http_date() -> str:
    return T0.strftime("%a, %d %b %Y %H:%M:%S GMT")
