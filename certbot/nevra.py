"""Red Hat package names: NEVRA (``openssl-1:1.1.1k-6.el8_5.x86_64``).

`parse_nevra` reads name and ``[epoch:]version-release``; `rpm_exact` makes the ``vers:rpm``
range for it, which `certbot.versions` compares with RPM's rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARCHES = r"src|nosrc|noarch|x86_64|i686|i586|i386|aarch64|ppc64le|ppc64|s390x|s390|armv7hl"
_NEVRA = re.compile(
    rf"^(?P<name>[A-Za-z0-9_.+-]+?)-(?:(?P<epoch>\d+):)?(?P<version>[A-Za-z0-9_.+~^]+)"
    rf"-(?P<release>[A-Za-z0-9_.+~^]+?)(?:\.(?P<arch>{_ARCHES}))?$"
)


@dataclass(frozen=True, slots=True)
class Nevra:
    """A Red Hat package as ``name-[epoch:]version-release[.arch]``."""

    name: str
    evr: str  # "[epoch:]version-release", as RPM compares it
    arch: str | None


def parse_nevra(text: str) -> Nevra | None:
    """'openssl-1:1.1.1k-6.el8_5' / 'telnet-1:0.17-65.el7_6.x86_64' -> Nevra, else None. Only
    text with an epoch or an RPM architecture counts (a plain 'name-1.0-2' is too ambiguous)."""
    m = _NEVRA.match(text.strip())
    if m is None or not (m.group("epoch") or m.group("arch")):
        return None
    epoch = f"{m.group('epoch')}:" if m.group("epoch") else ""
    return Nevra(
        m.group("name"), f"{epoch}{m.group('version')}-{m.group('release')}", m.group("arch")
    )


def rpm_exact(evr: str) -> str:
    """The range that holds exactly one RPM [epoch:]version-release."""
    return f"vers:rpm/{evr.strip()}"
