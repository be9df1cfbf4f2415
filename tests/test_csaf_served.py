"""Issue 13.4: ``run`` serves the provider tree when ``service.provider`` is configured (the
``provider`` part of `certbot.httpd`, a real aiohttp server on 127.0.0.1), TLP-gated by
bearer token: CLEAR public, GREEN for any sector member, AMBER only for a municipality the
advisory concerns, RED never; rotation accepts every listed secret; tokens are never logged;
a missing signing key refuses the start, naming the secret."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import aiohttp
import pytest

from certbot.app import App
from certbot.config import load_config
from certbot.errors import ConfigError
from certbot.publish.draft import Product, Recipients
from certbot.schemas import provider_validator
from certbot.store import Store
from tests.provider_helpers import config_dir, provider_yaml, published, signing_key

TOKENS = (
    "    tokens:\n"
    "      '0301': [{env: TOK_0301}, {env: TOK_0301_NEXT}]\n"
    "      '4601': {env: TOK_4601}\n"
    "    member_tokens:\n"
    "      nsm: {env: TOK_NSM}\n"
)
ENV = {
    "CSAF_SIGNING_KEY": signing_key(),
    "TOK_0301": "oslo-current-token-1234567890",
    "TOK_0301_NEXT": "oslo-next-token-0987654321",
    "TOK_4601": "bergen-token-abcdefabcdef",
    "TOK_NSM": "nsm-token-0000111122223333",
}
PORTAL = Product(vendor="Acme", product="Portal", versions="vers:generic/<3.1", fixed=("3.1",))
BASE = "/.well-known/csaf"


def _setup(tmp_path: Path) -> tuple[object, Path]:
    root = config_dir(tmp_path / "conf", provider_yaml("https://csaf.example.no", tokens=TOKENS))
    db = tmp_path / "a.db"
    store = Store(db)
    for adv in (
        published("KCERT-2026-0001", "CLEAR"),
        published("KCERT-2026-0002", "GREEN"),
        published(
            "KCERT-2026-0003",
            "AMBER",
            products=(PORTAL,),
            recipients=Recipients(municipalities=("0301",)),
        ),
        published("KCERT-2026-0004", "RED"),
    ):
        store.save_published_advisory(adv)
    store.close()
    return load_config(root), db


def _auth(name: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {ENV[name]}"} if name else {}


async def test_tlp_gating_by_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cfg, db = _setup(tmp_path)
    async with App(cfg, db, serve_inbound=True, environ=ENV) as app:  # type: ignore[arg-type]
        site = app.sites["provider"]
        async with aiohttp.ClientSession() as http:

            async def get(path: str, who: str | None = None) -> tuple[int, bytes]:
                async with http.get(site + path, headers=_auth(who)) as r:
                    return r.status, await r.read()

            async def listed(folder: str, who: str | None) -> set[str]:
                async with http.get(
                    f"{site}{BASE}/{folder}/csaf-feed-tlp-{folder}.json", headers=_auth(who)
                ) as r:
                    assert r.status == 200
                    return {e["id"] for e in (await r.json())["feed"]["entry"]}

            status, body = await get(f"{BASE}/provider-metadata.json")
            assert status == 200
            assert list(provider_validator().iter_errors(json.loads(body))) == []
            clear = f"{BASE}/white/2026/kcert-2026-0001.json"
            green = f"{BASE}/green/2026/kcert-2026-0002.json"
            amber = f"{BASE}/amber/2026/kcert-2026-0003.json"
            assert (await get(clear))[0] == 200
            assert (await get(clear + ".asc"))[0] == 200
            assert (await get(green))[0] == 401
            assert (await get(green + ".sha512"))[0] == 401
            assert await listed("green", None) == set()
            for who in ("TOK_NSM", "TOK_4601", "TOK_0301", "TOK_0301_NEXT"):
                assert (await get(green, who))[0] == 200, who
                assert await listed("green", who) == {"KCERT-2026-0002"}
            for who in ("TOK_NSM", "TOK_4601"):
                assert (await get(amber, who))[0] == 404, who
                assert (await get(amber + ".asc", who))[0] == 404, who
                assert await listed("amber", who) == set()
            for who in ("TOK_0301", "TOK_0301_NEXT"):  # rotation: both secrets accepted
                assert (await get(amber, who))[0] == 200, who
                assert await listed("amber", who) == {"KCERT-2026-0003"}
            lower = {"Authorization": "bearer " + ENV["TOK_NSM"]}  # the scheme is case-free
            async with http.get(site + green, headers=lower) as r:
                assert r.status == 200
            async with http.get(site + green, headers={"Authorization": "Bearer nope"}) as r:
                assert r.status == 401 and "Bearer" in r.headers["WWW-Authenticate"]
            for folder in ("white", "green", "amber"):  # RED is nowhere
                for who in (None, "TOK_0301"):
                    assert "KCERT-2026-0004" not in await listed(folder, who)
            assert (await get(f"{BASE}/red/2026/kcert-2026-0004.json", "TOK_0301"))[0] == 404
            async with http.get(site + clear) as r:
                etag = r.headers["ETag"]
            async with http.get(site + clear, headers={"If-None-Match": etag}) as r:
                assert r.status == 304
    logged = caplog.text
    assert all(ENV[k] not in logged for k in ENV if k.startswith("TOK_"))


async def test_missing_signing_key_refuses_to_start(tmp_path: Path) -> None:
    cfg, db = _setup(tmp_path)
    env = {k: v for k, v in ENV.items() if k != "CSAF_SIGNING_KEY"}
    with pytest.raises(ConfigError) as err:
        async with App(cfg, db, serve_inbound=True, environ=env):  # type: ignore[arg-type]
            pass
    text = " ".join(err.value.problems)
    assert "service.provider.signing_key" in text and "CSAF_SIGNING_KEY" in text
