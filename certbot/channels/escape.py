"""Escaping untrusted text for each chat platform, and building safe links.

Advisory text is untrusted (RELIABILITY.md "Hostile input"). Every string from a feed goes
through `clean` (control characters, bidi overrides, CR/LF in one-line fields) and then the
platform's escape function before it is placed next to markup the channel writes itself:

- Slack mrkdwn: ``& < >`` become entities, so ``<!channel>`` and ``<https://evil|x>`` are text.
- Telegram HTML: ``html.escape(quote=False)`` (Telegram knows only ``&lt; &gt; &amp; &quot;``).
- Teams needs no escape: untrusted text goes in a ``TextRun``, which Teams does not
  Markdown-process (certbot/channels/teams.py).

Links are built only from http(s) URLs (`safe_url`), and their visible text is the host.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

# Bidi embeddings/overrides/isolates and marks: they can make text read differently than
# it is (an RTL override turns "exe.pdf" into "fdp.exe").
BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def clean(text: object, *, one_line: bool = False) -> str:
    """Untrusted text without control characters or bidi controls.

    ``one_line`` folds CR/LF and tabs into single spaces (titles, list items); otherwise
    line breaks are kept as ``\\n``.
    """
    s = str(text).replace("\r\n", "\n").replace("\r", "\n").translate(BIDI)
    out = []
    for ch in s:
        if ch == "\n" and not one_line:
            out.append(ch)
        elif ch in "\n\t" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" " if ch in "\n\t\u2028\u2029" else "")
        else:
            out.append(ch)
    s = "".join(out)
    if one_line:
        s = re.sub(r" {2,}", " ", s)
    return s.strip()


def slack(text: str) -> str:
    """Escape for Slack mrkdwn and plain text: only ``& < >`` are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def telegram(text: str) -> str:
    """Escape for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def telegram_attr(text: str) -> str:
    """Escape for a double-quoted Telegram HTML attribute (an href)."""
    return html.escape(text, quote=True)


def safe_url(url: object) -> str | None:
    """The URL if it is an absolute http(s) URL with a host, re-quoted so it has no spaces,
    quotes, angle brackets or pipes; None otherwise (javascript:, data:, relative...)."""
    text = clean(url, one_line=True)
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password:
        return None  # "https://nsm.no@evil.example/" shows one host and visits another
    safe = "/%:@!$&'*+,;=-._~"
    rebuilt = urlunsplit(
        (
            parts.scheme.lower(),
            parts.netloc.lower(),
            quote(parts.path, safe=safe),
            quote(parts.query, safe=safe + "?"),
            quote(parts.fragment, safe=safe + "?"),
        )
    )
    return rebuilt.replace("'", "%27")


def url_host(url: str) -> str:
    """The host a link visibly shows (IDNA-encoded hosts stay as ``xn--``, never spoofable)."""
    host = urlsplit(url).hostname or ""
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        host = host.encode("idna").decode("ascii")
    return host
