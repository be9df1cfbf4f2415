"""Sign-in to the web overview against a real OpenID Connect provider on 127.0.0.1
(tests/oidc_provider.py), over HTTP with an aiohttp client: the code flow signs an operator
in; a forged token, a token for another audience, an expired token and a wrong nonce are
each refused; an unknown person, an expired session, a POST without its CSRF token and a
municipality-scoped viewer asking for another municipality get 401/403 and nothing else;
sign-in attempts are rate-limited; the session cookie is Secure, HttpOnly, SameSite=Lax
with an expiry.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certbot.config import Config
from certbot.store import Store
from certbot.web import auth
from tests.web_helpers import (
    OSLO,
    STRANGER,
    csrf_of,
    demo_database,
    sign_in,
    signin_site,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Path]:
    return demo_database(tmp_path_factory.mktemp("web-demo"))


async def test_operator_signs_in_and_sees_the_demo_cases(
    demo: tuple[Config, Path], tmp_path: Path
) -> None:
    async with signin_site(demo, tmp_path) as (idp, served, c):
        async with c.get(f"{served.base}/", allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/signin")
        final = await sign_in(c, served.base)
        assert final.status == 200 and str(final.url) == f"{served.base}/"
        callback = next(h for h in final.history if h.url.path == "/auth/callback")
        cookie = next(v for v in callback.headers.getall("Set-Cookie") if "certbot_session=" in v)
        for attr in ("Secure", "HttpOnly", "SameSite=Lax", "Max-Age=28800"):
            assert attr in cookie, cookie
        async with c.get(f"{served.base}/") as resp:
            html = await resp.text()
            assert "CVE-2024-21762" in html and "Kari Operatør" in html
            assert resp.headers["Cache-Control"] == "no-store"
            csp = resp.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
            assert "script-src" not in csp and "default-src 'none'" in csp
        assert idp.tokens_issued == 1


@pytest.mark.parametrize("tamper", ["forged", "audience", "expired", "nonce"])
async def test_a_bad_id_token_is_refused(
    demo: tuple[Config, Path], tmp_path: Path, tamper: str
) -> None:
    async with signin_site(demo, tmp_path) as (idp, served, c):
        idp.tamper = tamper
        final = await sign_in(c, served.base)
        assert final.status == 403
        assert idp.tokens_issued == 1  # the flow reached the token, which was refused
        assert not any("certbot_session=" in v for v in final.headers.getall("Set-Cookie", []))
        async with c.get(f"{served.base}/", allow_redirects=False) as resp:
            assert resp.status == 303  # still signed out
        async with c.get(f"{served.base}/outbox", allow_redirects=False) as resp:
            assert resp.status == 303 and "CVE-" not in await resp.text()


async def test_unknown_person_replayed_state_and_rate_limit(
    demo: tuple[Config, Path], tmp_path: Path
) -> None:
    async with signin_site(demo, tmp_path, STRANGER, attempts_per_minute=4) as (_, served, c):
        final = await sign_in(c, served.base)  # 2 attempts: /signin and the callback
        assert final.status == 403 and "avvist" in await final.text()
        assert final.url.path == "/auth/callback"
        async with c.get(str(final.url), allow_redirects=False) as resp:
            assert resp.status == 403  # the state was used up (3rd attempt)
        async with c.get(f"{served.base}/signin?go=1", allow_redirects=False) as resp:
            assert resp.status == 303  # 4th attempt still allowed
        async with c.get(f"{served.base}/signin?go=1", allow_redirects=False) as resp:
            assert resp.status == 429


async def test_expired_session_missing_csrf_and_retry_of_a_dead_delivery(
    demo: tuple[Config, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with signin_site(demo, tmp_path) as (_, served, c):
        dead = await served.app.store.call(_dead_now)
        assert (await sign_in(c, served.base)).status == 200
        url = f"{served.base}/outbox/{dead}/retry"
        async with c.post(url, data={}, allow_redirects=False) as resp:
            assert resp.status == 403 and "CSRF" in await resp.text()
        async with c.post(url, data={"csrf": "wrong"}, allow_redirects=False) as resp:
            assert resp.status == 403
        token = await csrf_of(c, f"{served.base}/outbox")
        async with c.post(url, data={"csrf": token}, allow_redirects=False) as resp:
            assert resp.status == 303, await resp.text()
        row = await served.app.store.call(Store.delivery, dead)
        assert row is not None and row["status"] == "pending" and row["attempts"] == 0
        audit = await served.app.store.audit_rows(5)
        assert audit[0]["action"] == "retry_dead" and audit[0]["actor"] == "web:op-1"
        async with c.post(url, data={"csrf": token}, allow_redirects=False) as resp:
            assert resp.status == 409  # not dead any more
        later = time.time() + 8 * 3600 + 1
        monkeypatch.setattr(auth, "_now", lambda: later)
        async with c.get(f"{served.base}/outbox", allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/signin")
        async with c.post(url, data={"csrf": token}, allow_redirects=False) as resp:
            assert resp.status == 401 and "CVE-" not in await resp.text()


def _dead_now(store: Store) -> str:
    row = store.deliveries(status="sent", limit=1)[0]
    store.set_status(row["id"], "dead", datetime.now(UTC), error="gave up (test)")
    return str(row["id"])


async def test_municipality_viewer_sees_only_its_municipality(
    demo: tuple[Config, Path], tmp_path: Path
) -> None:
    async with signin_site(demo, tmp_path, OSLO) as (_, served, c):
        assert (await sign_in(c, served.base)).status == 200
        for path, status in [
            ("/municipality/0301", 200),
            ("/municipality/4601", 403),
            ("/outbox", 403),
            ("/feeds", 403),
            ("/incidents", 403),
            ("/case/nsm-varsler:demo-nsm-2024-0007", 403),  # concerns 4601, not 0301
        ]:
            async with c.get(f"{served.base}{path}", allow_redirects=False) as resp:
                body = await resp.text()
                assert resp.status == status, (path, resp.status)
                if status == 403:
                    assert "CVE-" not in body and "Bergen" not in body
        async with c.get(f"{served.base}/") as resp:
            html = await resp.text()
            assert "/municipality/0301" in html and "/municipality/4601" not in html
