"""TLS client certificates for access-protected feeds (issue 4: CSAF TLP:AMBER/RED feeds with a
client certificate from secrets), against a real HTTPS server on 127.0.0.1 that requires one."""

from __future__ import annotations

import ssl

import pytest
import trustme
from aiohttp import web

from certbot.config import FeedConfig
from certbot.errors import FetchError
from certbot.fetch import Http
from certbot.sources.csaf_fetch import _Client


@pytest.fixture
def pki(tmp_path):
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    client = ca.issue_cert("kommunecert-certbot@example")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    client_pem = client.private_key_and_cert_chain_pem.bytes().decode()
    return ca, server, client_pem, str(ca_file)


@pytest.fixture
async def mtls_server(pki):
    ca, server_cert, _, _ = pki
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        seen.append(str(peer and peer.get("subjectAltName")))
        return web.Response(body=b'{"ok": true}')

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(ctx)
    ca.configure_trust(ctx)
    ctx.verify_mode = ssl.CERT_REQUIRED
    app = web.Application()
    app.router.add_get("/feed.json", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"https://127.0.0.1:{port}/feed.json", seen
    await runner.cleanup()


async def test_client_certificate_is_presented_and_required(pki, mtls_server):
    _, _, client_pem, ca_file = pki
    url, seen = mtls_server
    async with Http(cafile=ca_file) as http:
        got = await http.get(url, allow_private=True, client_cert=client_pem)
        assert got.status == 200 and got.body == b'{"ok": true}'
        assert "kommunecert-certbot@example" in seen[0]
        with pytest.raises(FetchError) as err:
            await http.get(url, allow_private=True)  # no certificate: the server refuses
        assert "BEGIN" not in str(err.value)


async def test_a_broken_certificate_is_a_clear_error_without_the_key(pki):
    _, _, client_pem, ca_file = pki
    broken = client_pem.replace("PRIVATE KEY-----\n", "PRIVATE KEY-----\nAAAA", 1)
    async with Http(cafile=ca_file) as http:
        with pytest.raises(FetchError, match="client certificate could not be loaded") as err:
            await http.get("https://127.0.0.1:1/x", allow_private=True, client_cert=broken)
    assert "PRIVATE" not in str(err.value)


async def test_csaf_feed_reads_its_client_certificate_from_the_environment(
    pki, mtls_server, monkeypatch
):
    _, _, client_pem, ca_file = pki
    url, _ = mtls_server
    monkeypatch.setenv("CSAF_CLIENT_PEM", client_pem)
    feed = FeedConfig.model_validate(
        {
            "id": "amber",
            "kind": "csaf",
            "url": url,
            "allow_private": True,
            "client_cert": {"env": "CSAF_CLIENT_PEM"},
        }
    )
    async with Http(cafile=ca_file) as http:
        assert await _Client(feed, http).get(url) == b'{"ok": true}'


async def test_the_client_key_never_reaches_a_log_line(pki, tmp_path, monkeypatch, caplog):
    import logging

    from certbot.app import App
    from tests.factory import config, fortios_sub

    _, _, client_pem, _ = pki
    monkeypatch.setenv("CSAF_CLIENT_PEM", client_pem)
    feed = {
        "id": "amber",
        "kind": "csaf",
        "url": "https://csaf.example/x",
        "client_cert": {"env": "CSAF_CLIENT_PEM"},
    }
    key_line = next(line for line in client_pem.splitlines() if line and "-----" not in line)
    from certbot.redact import install_redaction

    undo = install_redaction()
    try:
        async with App(config([fortios_sub()], feeds=[feed]), tmp_path / "c.db"):
            logging.getLogger("certbot.test").warning("oops: %s", key_line)
    finally:
        undo()
    assert key_line not in caplog.text
