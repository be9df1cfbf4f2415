"""Templates and wording: Jinja2 environments over ``templates/<channel>/<lang>/<kind>.<ext>``.

Two environments: ``html`` autoescapes (e-mail HTML), ``text`` does not (the channel escapes
for its own markup). Both use StrictUndefined, so a template that names a missing field fails
in the golden tests rather than printing an empty string. Labels that code needs (priority
names, rule names) live here, in bokmål and English.
"""

from __future__ import annotations

import functools
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from certbot.model import TLP, Notification, Priority

OSLO = ZoneInfo("Europe/Oslo")

PRIORITY_NAMES = {
    "nb": {1: "Handle nå", 2: "Snarlig", 3: "Planlagt", 4: "Til orientering"},
    "en": {1: "Act now", 2: "Soon", 3: "Planned", 4: "For information"},
}
RULE_NAMES = {
    "nb": {
        "cpe": "CPE-identitet og versjon",
        "purl": "PURL-identitet og versjon",
        "product_version": "leverandør/produkt og versjon",
        "product_no_version": "leverandør/produkt, versjon ukjent (mulig berørt)",
        "text": "produktnavn funnet i varselteksten",
    },
    "en": {
        "cpe": "CPE identity and version",
        "purl": "PURL identity and version",
        "product_version": "vendor/product and version",
        "product_no_version": "vendor/product, version unknown (possibly affected)",
        "text": "product name found in the advisory text",
    },
}
CONFIDENCE_NAMES = {
    "nb": {"high": "høy", "medium": "middels", "low": "lav"},
    "en": {"high": "high", "medium": "medium", "low": "low"},
}


def templates_dir() -> Path:
    env = os.environ.get("CERTBOT_TEMPLATES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "templates"


def fmt_time(value: datetime | None, lang: str = "nb") -> str:
    if value is None:
        return ""
    local = value.astimezone(OSLO)
    return local.strftime("%d.%m.%Y kl. %H:%M" if lang == "nb" else "%Y-%m-%d %H:%M")


def priority_label(p: Priority | None, lang: str) -> str:
    if p is None:
        return ""
    return f"{p.name} {PRIORITY_NAMES.get(lang, PRIORITY_NAMES['en'])[int(p)]}"


class Renderer:
    def __init__(self, root: Path | None = None):
        self.root = root or templates_dir()
        loader = jinja2.FileSystemLoader(str(self.root))
        common: dict[str, Any] = {
            "loader": loader,
            "undefined": jinja2.StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": True,
            "auto_reload": False,  # templates are read once; no stat per render
        }
        self.text = jinja2.Environment(autoescape=False, **common)  # noqa: S701 - channels escape
        self.html = jinja2.Environment(autoescape=True, **common)
        for env in (self.text, self.html):
            env.filters["time"] = fmt_time
            env.globals["priority_label"] = priority_label
            env.globals["rule_name"] = lambda rule, lang: RULE_NAMES.get(
                lang, RULE_NAMES["en"]
            ).get(rule, rule)
            env.globals["confidence_name"] = lambda c, lang: CONFIDENCE_NAMES.get(
                lang, CONFIDENCE_NAMES["en"]
            ).get(c, c)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one Renderer per process
    def _has_lang(self, channel: str, lang: str) -> bool:
        return (self.root / channel / lang).is_dir()

    def render(
        self, channel: str, name: str, n: Notification, *, html: bool = False, **extra: Any
    ) -> str:
        lang = n.language if self._has_lang(channel, n.language) else "nb"
        env = self.html if html else self.text
        template = env.get_template(f"{channel}/{lang}/{name}")
        return template.render(n=n, lang=lang, TLP=TLP, **extra)
