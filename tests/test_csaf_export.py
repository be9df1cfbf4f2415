"""Issue 13.4/13.6: ``export-csaf DIR`` writes the provider tree. It validates against the
bundled CSAF provider-metadata, ROLIE feed and CSAF 2.0 schemas; every document's hash and
signature verify with certbot's own CSAF source code and with ``gpg --verify`` (GnuPG, a
second OpenPGP implementation); every document reads back through certbot's CSAF parser into
the same products and versions; RED is never written; a missing signing key refuses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import feedparser
import pytest

from certbot.cli import main
from certbot.config import FeedConfig
from certbot.publish.csaf_checks import mandatory_problems
from certbot.publish.draft import Product, Recipients
from certbot.schemas import csaf20_validator, provider_validator, rolie_validator
from certbot.sources import csaf_verify
from certbot.sources.csaf_document import parse_document
from certbot.sources.rss import RssSource
from certbot.store import Store
from tests.provider_helpers import config_dir, fingerprint, provider_yaml, published, signing_key

SITE = "https://csaf.kommunecert.example.no"
GPG = shutil.which("gpg")


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    root = config_dir(tmp_path / "conf", provider_yaml(SITE))
    db = str(tmp_path / "a.db")
    store = Store(db)
    other = Product(vendor="Acme", product="Portal", versions=None, fixed=("3.1",))
    for adv in (
        published("KCERT-2026-0001", "CLEAR", revision=2),
        published("KCERT-2026-0002", "GREEN", products=(other,)),
        published("KCERT-2026-0003", "AMBER", recipients=Recipients(municipalities=("0301",))),
        published("KCERT-2026-0004", "RED"),
        published(
            "KCERT-2026-0005",
            "CLEAR",
            revision=2,
            status="withdrawn",
            withdraw_reason="Feil versjon oppgitt.",
        ),
    ):
        store.save_published_advisory(adv)
    store.close()
    monkeypatch.setenv("CSAF_SIGNING_KEY", signing_key())
    out = tmp_path / "tree"
    assert main(["--config-dir", str(root), "--db", db, "export-csaf", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4 CSAF documents" in printed and "KCERT-2026-0004 is TLP:RED" in printed
    return out / ".well-known" / "csaf"


def _docs(base: Path) -> list[Path]:
    return sorted(p for p in base.glob("*/*/*.json"))


def test_tree_validates_against_the_provider_and_rolie_schemas(exported: Path) -> None:
    meta = json.loads((exported / "provider-metadata.json").read_text())
    assert list(provider_validator().iter_errors(meta)) == []
    assert meta["role"] == "csaf_trusted_provider"
    assert meta["public_openpgp_keys"][0]["fingerprint"] == fingerprint()
    assert {f["tlp_label"] for d in meta["distributions"] for f in d["rolie"]["feeds"]} == {
        "WHITE",
        "GREEN",
        "AMBER",
    }
    for folder in ("white", "green", "amber"):
        feed = json.loads((exported / folder / f"csaf-feed-tlp-{folder}.json").read_text())
        assert list(rolie_validator().iter_errors(feed)) == [], folder
        rows = (exported / folder / "changes.csv").read_text().splitlines()
        index = (exported / folder / "index.txt").read_text().splitlines()
        assert len(rows) == len(index) == len(feed["feed"]["entry"])
        for line in index:
            assert (exported / folder / line).is_file()
    white = json.loads((exported / "white" / "csaf-feed-tlp-white.json").read_text())
    assert {e["id"] for e in white["feed"]["entry"]} == {"KCERT-2026-0001", "KCERT-2026-0005"}
    names = sorted(p.name for p in _docs(exported))
    assert names == [f"kcert-2026-000{n}.json" for n in (1, 2, 3, 5)]
    assert not any("0004" in p.name for p in exported.rglob("*"))  # RED is never written


def test_documents_are_valid_and_round_trip(exported: Path) -> None:
    seen = {}
    for path in _docs(exported):
        doc = json.loads(path.read_bytes())
        assert list(csaf20_validator().iter_errors(doc)) == []
        assert mandatory_problems(doc) == []
        adv = parse_document(path.read_bytes(), "b")
        seen[adv.source_id] = adv
    assert set(seen) == {"KCERT-2026-0001", "KCERT-2026-0002", "KCERT-2026-0003", "KCERT-2026-0005"}
    fortios = [
        (p.vendor, p.product, p.versions)
        for p in seen["KCERT-2026-0001"].products
        if p.status == "affected"
    ]
    assert fortios == [("Fortinet", "FortiOS", "vers:generic/>=7.2.0|<7.2.7")]
    acme = {(p.status, p.versions, p.fixed_version) for p in seen["KCERT-2026-0002"].products}
    assert acme == {("affected", None, "3.1"), ("fixed", "vers:generic/3.1", "3.1")}
    assert seen["KCERT-2026-0005"].withdrawn and not seen["KCERT-2026-0001"].withdrawn
    assert seen["KCERT-2026-0001"].revision == "2"


def test_hashes_and_signatures_verify_with_certbot(exported: Path) -> None:
    key = (exported / "openpgp" / f"{fingerprint()}.asc").read_bytes()
    keys = csaf_verify.pinned_keys([key], (fingerprint(),))
    assert len(keys) == 1
    for path in _docs(exported):
        body = path.read_bytes()
        csaf_verify.check_hash(body, Path(f"{path}.sha512").read_bytes(), "sha512")
        assert csaf_verify.check_signature(body, Path(f"{path}.asc").read_bytes(), keys)
        with pytest.raises(Exception, match="signature"):
            csaf_verify.check_signature(body + b" ", Path(f"{path}.asc").read_bytes(), keys)


@pytest.mark.skipif(GPG is None, reason="gpg not installed (.ci/run installs gnupg)")
def test_signatures_verify_with_gpg(exported: Path, tmp_path: Path) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    key = exported / "openpgp" / f"{fingerprint()}.asc"
    subprocess.run(
        [GPG, "--batch", "--import", str(key)], env=env, check=True, capture_output=True, timeout=60
    )
    for path in _docs(exported):
        ok = subprocess.run(
            [GPG, "--batch", "--status-fd", "1", "--verify", f"{path}.asc", str(path)],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert ok.returncode == 0, ok.stderr
        status = ok.stdout.decode("utf-8", "replace")  # NOTATION_DATA (the salt) is binary
        validsig = [x for x in status.splitlines() if "VALIDSIG" in x]
        assert validsig and validsig[0].endswith(fingerprint())  # primary key fingerprint last
        sums = subprocess.run(
            ["sha512sum", "-c", f"{path.name}.sha512"],
            cwd=path.parent,
            capture_output=True,
            timeout=60,
            text=True,
        )
        assert sums.returncode == 0, sums.stdout + sums.stderr
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(_docs(exported)[0].read_bytes().replace(b"FortiOS", b"FortiOX"))
    bad = subprocess.run(
        [GPG, "--batch", "--verify", f"{_docs(exported)[0]}.asc", str(tampered)],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert bad.returncode != 0


def test_atom_feed_of_clear_advisories(exported: Path) -> None:
    atom = (exported.parent.parent / "atom.xml").read_bytes()
    parsed = feedparser.parse(atom)
    assert not parsed.bozo
    assert parsed.feed.get("language") == "nb" or b'xml:lang="nb"' in atom
    titles = [e.title for e in parsed.entries]
    assert len(titles) == 2 and all("KCERT-2026-000" in t for t in titles)
    assert not any("0002" in t or "0003" in t for t in titles)  # GREEN and AMBER not there
    feed = FeedConfig.model_validate({"id": "kcert", "kind": "rss", "url": SITE + "/atom.xml"})
    advisories = list(RssSource().parse(atom, feed))
    assert {a.cves for a in advisories} == {("CVE-2026-24001",)}
    assert any(a.withdrawn for a in advisories)  # "TRUKKET TILBAKE:" reads as withdrawn


def test_missing_signing_key_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = config_dir(tmp_path / "conf", provider_yaml(SITE))
    monkeypatch.delenv("CSAF_SIGNING_KEY", raising=False)
    monkeypatch.delenv("CSAF_SIGNING_KEY_FILE", raising=False)
    out = tmp_path / "tree"
    assert (
        main(["--config-dir", str(root), "--db", str(tmp_path / "a.db"), "export-csaf", str(out)])
        == 2
    )
    err = capsys.readouterr().err
    assert "service.provider.signing_key" in err and "CSAF_SIGNING_KEY" in err
    assert not out.exists()


def test_a_document_that_does_not_round_trip_refuses_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = config_dir(tmp_path / "conf", provider_yaml(SITE))
    db = str(tmp_path / "a.db")
    store = Store(db)  # a record the draft loader would have refused: a range nobody reads
    odd = Product(vendor="Acme", product="Portal", versions="noen av dem")
    store.save_published_advisory(published("KCERT-2026-0009", "CLEAR", products=(odd,)))
    store.close()
    monkeypatch.setenv("CSAF_SIGNING_KEY", signing_key())
    out = tmp_path / "tree"
    assert main(["--config-dir", str(root), "--db", db, "export-csaf", str(out)]) == 1
    assert "KCERT-2026-0009" in capsys.readouterr().err
    assert not out.exists()
