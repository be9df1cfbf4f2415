"""Integrity of CSAF documents (CSAF 2.0 §7.3.2): hash files and OpenPGP signatures.

Everything here fails closed: a missing, malformed or non-matching hash or signature raises
`IntegrityError`, and the caller rejects the document before it is parsed.

OpenPGP uses pysequoia (Python bindings of the maintained Rust Sequoia-PGP implementation).
Alternatives rejected: PGPy (unmaintained since 2022, no Python 3.13 support) and shelling out
to ``gpg`` (a keyring and a subprocess per document, error output to scrape). Keys are trusted
only by fingerprint: a provider's ``public_openpgp_keys`` are downloaded, but a key is used only
when its primary fingerprint is pinned in ``feeds.yaml`` (``fingerprints:``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

import pysequoia

from certbot.errors import IntegrityError

log = logging.getLogger(__name__)
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_DIGEST_LEN = {"sha256": 64, "sha512": 128}


def normalise_fingerprint(fpr: str) -> str:
    """'144A ED0A ...' / '144aed0a...' -> '144AED0A...'."""
    return re.sub(r"[^0-9A-Fa-f]", "", fpr).upper()


def check_hash(doc: bytes, hash_file: bytes, algorithm: str) -> None:
    """Compare ``doc`` with a sha256sum/sha512sum-style file (``<hex>  <name>`` or ``<hex>``)."""
    if algorithm not in _DIGEST_LEN:
        raise IntegrityError(f"unsupported hash algorithm {algorithm!r}")
    try:
        token = hash_file.decode("ascii").split()[0]
    except (UnicodeDecodeError, IndexError):
        raise IntegrityError(f"{algorithm} file is empty or not text") from None
    if len(token) != _DIGEST_LEN[algorithm] or not _HEX.match(token):
        raise IntegrityError(f"{algorithm} file does not hold a {algorithm} digest")
    actual = hashlib.new(algorithm, doc).hexdigest()
    if not hmac.compare_digest(actual, token.lower()):
        raise IntegrityError(f"{algorithm} mismatch: document was altered or truncated")


def signature_issuer(asc: bytes) -> str | None:
    """The issuer fingerprint a detached signature names (upper-case hex), if it can be read."""
    try:
        sig = pysequoia.Sig.from_bytes(asc)
    except Exception:
        return None
    return _issuer(sig)


def _issuer(sig: pysequoia.Sig) -> str | None:
    fpr = sig.issuer_fingerprint or sig.issuer_key_id
    return normalise_fingerprint(fpr) if fpr else None


def _refused(why: str, sig: pysequoia.Sig) -> IntegrityError:
    """A refusal naming the signature's issuer (read only when refusing)."""
    return IntegrityError(f"{why}; signature issuer {_issuer(sig) or 'unknown'}")


def pinned_keys(blobs: list[bytes], pinned: tuple[str, ...]) -> list[pysequoia.Cert]:
    """Certificates from downloaded key files whose primary fingerprint is pinned."""
    wanted = {normalise_fingerprint(f) for f in pinned}
    out: list[pysequoia.Cert] = []
    for blob in blobs:
        try:
            certs = pysequoia.Cert.split_bytes(blob)
        except Exception:  # a broken key file is simply not trusted
            log.warning("a downloaded OpenPGP key file could not be read; not trusted")
            continue
        out.extend(c for c in certs if normalise_fingerprint(c.fingerprint) in wanted)
    return out


def check_signature(doc: bytes, asc: bytes, keys: list[pysequoia.Cert]) -> str:
    """Verify a detached signature with pinned keys only; return the signing certificate's
    fingerprint or raise IntegrityError naming the issuer."""
    try:
        sig = pysequoia.Sig.from_bytes(asc)
    except Exception:
        raise IntegrityError("signature file is not an OpenPGP signature") from None
    if not keys:
        raise _refused("no pinned OpenPGP key available", sig)
    try:
        result = pysequoia.verify(bytes=doc, store=lambda _ids: keys, signature=sig)
    except Exception:
        raise _refused("signature does not verify with any pinned key", sig) from None
    if not result.valid_sigs:
        raise _refused("no valid signature", sig)
    return normalise_fingerprint(str(result.valid_sigs[0].certificate))
