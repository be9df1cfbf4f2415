"""The served CSAF provider: the ``provider`` HTTP part of ``run`` (`certbot.httpd`).

On when ``service.provider`` is configured; the part factory refuses the start
(`ConfigError`, naming the secret) when the signing key is missing. It serves the tree of
`certbot.publish.provider` under ``/.well-known/csaf/`` and ``/atom.xml``, rebuilt when the
published advisories change (each request reads their ids, revisions and statuses from the
store's writer thread).

Access (`provider_access`): a CLEAR document is public; any other needs a bearer token
(401 without one, or with an unknown one) and a token that may read it (404 otherwise: an
AMBER document of another municipality does not exist for the caller). The ROLIE feeds,
``changes.csv`` and ``index.txt`` list only what the caller may read, so a consumer with the
GREEN token polls without errors. Every response carries an ETag and answers
``If-None-Match`` with 304; ``Vary: Authorization``. Tokens are never logged.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from aiohttp import web

from certbot import httpd
from certbot.config.provider import ProviderConfig
from certbot.publish.provider import ROOT, Doc, Tree, build_tree
from certbot.publish.provider_access import Caller, Tokens, may_read
from certbot.publish.provider_sign import Signer, load_signer
from certbot.store import Store

if TYPE_CHECKING:
    from certbot.app import App

log = logging.getLogger(__name__)
TYPES = {
    ".json": "application/json",
    ".asc": "application/pgp-signature",
    ".sha512": "text/plain",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".xml": "application/atom+xml",
}


class ProviderServer:
    def __init__(self, app: App, cfg: ProviderConfig, signer: Signer, tokens: Tokens):
        self.app, self.cfg, self.signer, self.tokens = app, cfg, signer, tokens
        self._key: tuple[object, ...] | None = None
        self._tree: Tree | None = None

    async def tree(self) -> Tree:
        advisories = await self.app.store.call(Store.published_advisories)
        key = (id(self.app.config), *((a.id, a.revision, a.status) for a in advisories))
        if self._tree is None or key != self._key:
            config = self.app.config
            self._tree = build_tree(
                advisories, self.cfg, self.signer, config.subscribers, self.app.clock()
            )
            self._key = key
        return self._tree

    def mount(self, root: web.Application) -> None:
        root.router.add_get(f"/{ROOT}/{{tail:.*}}", self.handle)
        root.router.add_get("/atom.xml", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization")
        caller = self.tokens.caller(header)
        if header is not None and caller is None:
            return _unauthorised("unknown token")
        tree = await self.tree()
        path = request.path.lstrip("/")
        found = tree.document(path)
        if found is not None:
            doc, body = found
            if doc.tlp != "CLEAR" and caller is None:
                return _unauthorised(f"TLP:{doc.tlp} needs a sector token")
            if not may_read(doc.tlp, doc.concerned, caller):
                raise web.HTTPNotFound()
            return _send(request, path, body)
        body_of = tree.files(lambda d: _visible(d, caller)).get(path)
        if body_of is None:
            raise web.HTTPNotFound()
        return _send(request, path, body_of)


def _visible(doc: Doc, caller: Caller | None) -> bool:
    return may_read(doc.tlp, doc.concerned, caller)


def _unauthorised(reason: str) -> web.Response:
    return web.Response(
        status=401, text=reason + "\n", headers={"WWW-Authenticate": 'Bearer realm="csaf"'}
    )


def _send(request: web.Request, path: str, body: bytes) -> web.Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Vary": "Authorization", "Cache-Control": "no-cache"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
    return web.Response(
        body=body, content_type=TYPES.get(suffix, "application/octet-stream"), headers=headers
    )


@httpd.register
async def provider_part(app: App, stack: AsyncExitStack) -> httpd.Part | None:
    """The provider part, or None when ``service.provider`` is not configured."""
    cfg = app.config.service.provider
    if cfg is None:
        return None
    signer = load_signer(cfg.signing_key, app.environ)
    server = ProviderServer(app, cfg, signer, Tokens(cfg, app.environ))
    log.info("CSAF provider on %s (key %s)", cfg.listen, signer.fingerprint)
    return httpd.Part("provider", cfg.listen, server.mount)
