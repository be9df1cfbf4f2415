"""The provider's OpenPGP signing key (pysequoia): detached ``.asc`` signatures and the
public certificate the provider metadata lists.

``load_signer(ref, environ)`` reads the armored secret key (a TSK) from the secret
``service.provider.signing_key`` (``$ENV`` or the file at ``$ENV_FILE``, via
`certbot.config.read_secret`). A missing or unreadable key raises `ConfigError` naming the
secret (never its value), so ``export-csaf`` and ``run`` refuse to start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pysequoia

from certbot.config import SecretRef, read_secret
from certbot.errors import ConfigError


class Signer:
    def __init__(self, tsk: pysequoia.Tsk):
        self._tsk = tsk
        self._signer = tsk.signer()
        cert = tsk.extract_certificate()
        self.fingerprint = cert.fingerprint.upper()
        self.public_key = str(cert).encode()

    def sign(self, data: bytes) -> bytes:
        """An ASCII-armored detached signature of ``data``."""
        return bytes(pysequoia.sign(self._signer, data, mode=pysequoia.SignatureMode.DETACHED))


def sha512_file(data: bytes, name: str) -> bytes:
    """A ``sha512sum``-style line: ``<hex>  <name>``."""
    return f"{hashlib.sha512(data).hexdigest()}  {name}\n".encode()


def load_signer(ref: SecretRef, environ: Mapping[str, str] | None = None) -> Signer:
    where = "feeds.yaml: service.provider.signing_key"
    text = read_secret(ref.env, environ)
    if text is None:
        raise ConfigError(
            [
                f"{where}: the OpenPGP signing key is missing: set {ref.env} or {ref.env}_FILE "
                "(an armored secret key, see README 'The CSAF provider')"
            ]
        )
    try:
        tsk = pysequoia.Tsk.from_bytes(text.encode())
        return Signer(tsk)
    except Exception:
        raise ConfigError(
            [
                f"{where}: {ref.env} does not hold a usable OpenPGP secret key (armored, with "
                "a signing-capable key and no passphrase); export it with "
                "'sq key export' or 'gpg --export-secret-keys --armor'"
            ]
        ) from None
