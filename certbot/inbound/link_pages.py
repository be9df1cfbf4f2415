"""The signed-link page (issue 11.7): what a phone shows at ``/l/<token>``, and the headers
every response under ``/l/`` carries. ``certbot.inbound.web`` routes the requests here.

- `view` (on the store thread) gathers what the page shows: the case title, priority, the
  municipality's name and language, the deadline and the current status. The title is shown
  only where the target the link was sent to was cleared for the case's TLP (a link without
  a target: TLP:GREEN at most); otherwise the page says it is withheld and names the label.
- `render` fills ``templates/web/<name>.html`` with Jinja2 autoescape (the title is
  untrusted advisory text); one markup for every language, the words in
  ``templates/web/<lang>.toml`` (`certbot.words`).
- `headers` are on every response under ``/l/``, errors included: a CSP with no script
  source at all and the page's one ``<style>`` allowed by a per-response nonce,
  ``frame-ancestors 'none'``, ``Cache-Control: no-store``, ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: no-referrer`` (the token in the path never leaves in a
  Referer).
- `incident_fields` reads the incident form (RSIT class from `RSIT_CLASSES`, what happened,
  when, impact, measures) into the fields `certbot.inbound.incidents` commits, or names the
  field that is wrong.
- `actor` names who acts: ``link:<kommune>``, and ``link:<kommune>:<address>`` when the link
  was issued to a personal target, so the audit and the ack say who.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from certbot.config import Config, SubscriberConfig, TargetConfig
from certbot.model import TLP, Priority
from certbot.render import OSLO, Renderer
from certbot.store import Store
from certbot.store import replies as records
from certbot.words import words

# The top level of the Reference Security Incident Taxonomy (RSIT, ENISA/TF-CSIRT).
RSIT_CLASSES = (
    "abusive-content",
    "malicious-code",
    "information-gathering",
    "intrusion-attempts",
    "intrusions",
    "availability",
    "information-content-security",
    "fraud",
    "vulnerable",
    "other",
)
FIELD_MAX = 4000
FORM_TTL = 24 * 3600  # seconds a rendered incident form may be submitted
TEXT_FIELDS = ("what_happened", "impact", "measures")
UNSHOWN_ABOVE = TLP.GREEN  # a link that names no target shows titles up to this label


@dataclass
class LinkView:
    """What the link page shows about one municipality's alert."""

    lang: str
    sub_id: str
    sub_name: str
    case_id: str
    action: str
    title: str | None  # None: withheld (see ``label``)
    label: TLP | None
    priority: Priority | None
    deadline: datetime | None
    status: str | None


def subscriber(config: Config, sub_id: str) -> SubscriberConfig | None:
    return next((s for s in config.subscribers if s.id == sub_id), None)


def target_of(config: Config, data: Mapping[str, Any]) -> TargetConfig | None:
    sub = subscriber(config, str(data.get("s", "")))
    tid = data.get("t")
    if sub is None or not tid:
        return None
    return next((t for t in sub.targets if t.id == tid), None)


def actor(config: Config, data: Mapping[str, Any]) -> str:
    """The user id a link acts as (``web:`` is prefixed by the command layer)."""
    target = target_of(config, data)
    who = f"link:{data['s']}"
    if target is not None and target.personal and target.address:
        who += f":{target.address}"
    return who


def language(config: Config, sub_id: str) -> str:
    sub = subscriber(config, sub_id)
    return sub.language if sub is not None else "nb"


def view(store: Store, config: Config, data: Mapping[str, Any]) -> LinkView:
    sub_id, case_id = str(data["s"]), str(data["c"])
    sub = subscriber(config, sub_id)
    row = records.link_alert(store, case_id, sub_id) or {}
    _, label = store.case_tlp(case_id)
    target = target_of(config, data)
    cleared = target.tlp_max if target is not None else UNSHOWN_ABOVE
    shown = label is not None and label <= cleared and bool(row.get("title"))
    deadline = row.get("deadline")
    return LinkView(
        lang=sub.language if sub is not None else "nb",
        sub_id=sub_id,
        sub_name=sub.name if sub is not None else sub_id,
        case_id=case_id,
        action=str(data["a"]),
        title=str(row["title"]) if shown else None,
        label=label,
        priority=Priority(int(row["priority"])) if row.get("priority") else None,
        deadline=datetime.fromisoformat(deadline) if deadline else None,
        status=row.get("status"),
    )


def headers(nonce: str | None) -> dict[str, str]:
    style = f"'nonce-{nonce}'" if nonce else "'none'"
    csp = (
        f"default-src 'none'; style-src {style}; img-src 'none'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    }


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def render(renderer: Renderer, lang: str, name: str, **values: Any) -> str:
    lang = lang if lang in ("nb", "en") else "nb"
    template = renderer.html.get_template(f"web/{name}.html")
    t = words(renderer.root, "web", lang)
    return template.render(lang=lang, t=t, rsit_classes=RSIT_CLASSES, **values)


def incident_fields(post: Mapping[str, str]) -> tuple[dict[str, Any], str | None]:
    """(fields for `incidents`, None) or (what was read, the name of the wrong field)."""
    fields: dict[str, Any] = {
        k: str(post.get(k, "")).strip()[:FIELD_MAX] for k in ("rsit_class", *TEXT_FIELDS)
    }
    if fields["rsit_class"] not in RSIT_CLASSES:
        return fields, "rsit_class"
    if not fields["what_happened"]:
        return fields, "what_happened"
    when = str(post.get("when", "")).strip()
    if when:
        try:
            at = datetime.fromisoformat(when)
        except ValueError:
            return fields, "when"
        at = at if at.tzinfo else at.replace(tzinfo=OSLO)  # the phone's local time, in Norway
        fields["times"] = {"occurred": at.isoformat(timespec="minutes")}
    return {k: v for k, v in fields.items() if v}, None


__all__ = [
    "FORM_TTL",
    "RSIT_CLASSES",
    "LinkView",
    "actor",
    "headers",
    "incident_fields",
    "language",
    "new_nonce",
    "render",
    "view",
]
