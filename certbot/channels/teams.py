"""Microsoft Teams: an Adaptive Card posted to a Power Automate Workflows webhook.

- The wire form is ``{"type": "message", "attachments": [{"contentType":
  "application/vnd.microsoft.card.adaptive", "content": <AdaptiveCard 1.5>}]}``, kept under
  `MAX_BYTES` of UTF-8 JSON by shrinking the plain text (`chat.fit`). Teams renders cards up
  to schema 1.5; tests validate every card against the official 1.5 JSON schema.
- Two kinds of text, never mixed: certbot's own words (the TLP label, the priority/deadline
  line, section headings, "Svar oss") are plain ``TextBlock`` text, which Teams runs through
  its Markdown subset; they contain no Markdown and are never escaped. Everything that comes
  from an advisory or the inventory (title, summary, list lines) is a ``TextRun`` inside a
  ``RichTextBlock``, which Teams does NOT Markdown-process: it is shown exactly as written,
  with no backslash escapes (Teams mobile showed those literally: microsoft/AdaptiveCards
  #5590). `chat.sanitise` still removes control characters and bidi overrides first.
- P1 is emphasised: the priority line and the title sit in a ``Container`` with style
  ``attention`` (a red band in Teams), and the priority line is coloured Attention.
- The TLP label is the first TextBlock, coloured by TLP. Links exist only as
  ``Action.OpenUrl`` with the host as the title (never ``Action.Submit``: Workflows cards
  cannot post back).
- Signed ack/status links (``n.extra["action_links"]``, issue 5) become a "Svar oss" /
  "Respond" heading and an ``ActionSet`` of ``Action.OpenUrl`` buttons titled with the action
  (they point at our own ``service.public_url``, so the title need not be the host).
- The webhook URL is the secret (``sig=``): it is read from ``target.secret`` at send time and
  never appears in an error. Status codes are classified with `classify_status`; a 2xx whose
  body says "Microsoft Teams endpoint returned HTTP error 429" is a throttled send.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp

from certbot.channels import Channel, Payload, Sent, chat, escape, register
from certbot.config import TargetConfig, read_secret
from certbot.errors import DeliveryError, classify_status
from certbot.model import TLP, Notification, Priority
from certbot.outbound.links import respond_links
from certbot.redact import register_secret

MAX_BYTES = 27 * 1024  # Teams refuses payloads over about 28 KB
MAX_ACTIONS = 5
CARD_VERSION = "1.5"  # the highest schema Teams renders (RichTextBlock needs 1.2)
BULLET = "• "  # a list line's marker, inside the TextRun (plain text, not Markdown)
RESPOND = {"nb": "Svar oss", "en": "Respond"}
TLP_COLOURS = {
    TLP.CLEAR: "Default",
    TLP.GREEN: "Good",
    TLP.AMBER: "Warning",
    TLP.AMBER_STRICT: "Warning",
    TLP.RED: "Attention",
}
INNER_ERROR = re.compile(r"returned HTTP error (\d{3})")
TIMEOUT = aiohttp.ClientTimeout(total=30)


def encode(body: dict[str, Any]) -> bytes:
    """The exact bytes sent (and measured against `MAX_BYTES`)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _ours(text: str, **kw: Any) -> dict[str, Any]:
    """A TextBlock for certbot's own words only (Teams applies Markdown to TextBlock text)."""
    return {"type": "TextBlock", "text": text, "wrap": True, **kw}


def _theirs(text: str, spacing: str | None = None, **run: Any) -> dict[str, Any]:
    """Untrusted text: one TextRun in a RichTextBlock, shown as written (no Markdown)."""
    block: dict[str, Any] = {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": text, **run}],
    }
    if spacing:
        block["spacing"] = spacing
    return block


def _paragraphs(lines: list[str]) -> list[str]:
    """Text lines joined into paragraphs at blank lines (a TextRun has no line breaks)."""
    out: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(" ".join(current))
            current = []
    return out


def _section(s: chat.Section) -> list[dict[str, Any]]:
    """A heading (ours) and the section's lines (theirs), one RichTextBlock per line."""
    heading = _ours(s.heading, weight="Bolder", spacing="Medium", separator=True)
    if s.kind == "list":
        rows = [BULLET + line for line in s.lines if line.strip()]
    else:
        rows = _paragraphs(s.lines)
    return [heading, *(_theirs(row, "Small" if i == 0 else "None") for i, row in enumerate(rows))]


def _top(head: str, title: str, priority: Priority | None) -> dict[str, Any]:
    """The priority line and the title; a P1 gets the attention style."""
    urgent = priority is Priority.P1
    items: list[dict[str, Any]] = []
    if head:
        items.append(_ours(head, weight="Bolder", **({"color": "Attention"} if urgent else {})))
    if title:
        items.append(_theirs(title, "Small", size="Large", weight="Bolder"))
    box: dict[str, Any] = {"type": "Container", "items": items, "spacing": "Small"}
    if urgent:
        box["style"] = "attention"
    return box


def _respond(n: Notification) -> list[dict[str, Any]]:
    """The body elements offering the signed links, or [] when none were planned."""
    buttons = respond_links(n) or _group_acks(n)
    if not buttons:
        return []
    heading = RESPOND.get(n.language, RESPOND["nb"])
    actions = [{"type": "Action.OpenUrl", "title": label, "url": url} for label, url in buttons]
    return [
        _ours(heading, weight="Bolder", spacing="Medium", separator=True),
        {"type": "ActionSet", "actions": actions},
    ]


def _group_acks(n: Notification) -> list[tuple[str, str]]:
    """A grouped burst (issue 11.3): each listed case's own signed "Kvitter" link."""
    if n.kind != "digest" or not n.extra.get("group"):
        return []
    out = []
    for item in n.items:
        ack = respond_links(item)[:1]
        if ack and item.case_id:
            out.append((f"{ack[0][0]} {item.case_id}", ack[0][1]))
    return out


def _card(parts: list[chat.Section], n: Notification, links: list[str]) -> dict[str, Any]:
    tlp = n.tlp
    head = title = ""
    rest: list[dict[str, Any]] = []
    for s in parts:
        if s.kind == "head":
            head = " ".join(s.lines).removeprefix(tlp.label).lstrip(" ·")
        elif s.kind == "title":
            title = " ".join(s.lines)
        elif s.kind != "links":  # links become actions
            rest.extend(_section(s))
    body: list[dict[str, Any]] = [
        _ours(tlp.label, weight="Bolder", size="Medium", color=TLP_COLOURS[tlp]),
        _top(head, title, n.priority),
        *rest,
        *_respond(n),
    ]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "lang": n.language,
        "fallbackText": " · ".join(x for x in (tlp.label, head) if x),  # ours only
        "msteams": {"width": "Full"},
        "body": body,
    }
    actions = [
        {"type": "Action.OpenUrl", "title": escape.url_host(u), "url": u}
        for u in links[:MAX_ACTIONS]
    ]
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


@register
class TeamsChannel(Channel):
    kind = "teams"
    rate_per_second = 4.0  # Workflows webhooks throttle at about four posts per second
    signed_links = True  # acknowledge/status links as Action.OpenUrl buttons (issue 5)
    size_limit = MAX_BYTES  # UTF-8 bytes of the JSON sent
    env_ref_help = (
        "a teams target needs 'secret: {env: NAME}' naming the environment variable "
        "that holds the Workflows webhook URL"
    )
    not_personal_help = (
        "a Teams webhook posts into a channel that many people read, never to one person; "
        "set personal: false and tlp_max: AMBER+STRICT or lower"
    )

    @classmethod
    def can_be_personal(cls, target: TargetConfig) -> bool:
        return False

    def payload_size(self, payload: Payload) -> int:
        return len(encode(payload.body))

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        safe = chat.sanitise(n)
        more = chat.MORE.get(safe.language, chat.MORE["en"])
        parts = chat.sections(self.ctx.renderer, "teams", safe)
        links = [u for s in parts if s.kind == "links" for u in s.lines]
        body = chat.fit(
            parts,
            lambda p: _card(p, safe, links),
            lambda b: len(encode(b)),
            MAX_BYTES,
            more,
        )
        text = "\n".join(line for s in parts[:2] for line in s.lines)
        return Payload(channel="teams", body=body, text=text, meta={"delivery_id": n.delivery_id})

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        ref = target.secret
        url = read_secret(ref.env, self.ctx.environ) if ref else None
        if not url:
            raise DeliveryError("teams webhook URL not configured", retryable=False)
        register_secret(url)
        if escape.safe_url(url) is None:
            raise DeliveryError("teams webhook URL is not an http(s) URL", retryable=False)
        error = await self._post(url, encode(payload.body))
        if isinstance(error, DeliveryError):
            raise error
        return error

    async def _post(self, url: str, data: bytes) -> Sent | DeliveryError:
        session = self.ctx.http or aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        try:
            async with session.post(
                url, data=data, headers=headers, timeout=TIMEOUT, allow_redirects=False
            ) as resp:
                text = (await resp.content.read(64 * 1024)).decode("utf-8", "replace")
                return _answer(resp.status, resp.headers.get("Retry-After"), text)
        except TimeoutError:
            return DeliveryError("teams webhook: timed out", retryable=True, ambiguous=True)
        except aiohttp.ClientConnectorError:
            return DeliveryError("teams webhook: cannot connect", retryable=True)
        except (aiohttp.ClientError, ConnectionError) as exc:
            return DeliveryError(
                f"teams webhook: connection lost ({type(exc).__name__})",
                retryable=True,
                ambiguous=True,
            )
        finally:
            if session is not self.ctx.http:
                await session.close()


def _answer(status: int, retry_after: str | None, text: str) -> Sent | DeliveryError:
    inner = INNER_ERROR.search(text) if "Microsoft Teams endpoint" in text else None
    if inner:  # Workflows answered 2xx but Teams refused the post
        status = int(inner.group(1))
        prefix = "teams webhook: HTTP 2xx, Teams answered"
    else:
        prefix = "teams webhook: HTTP"
    verdict = classify_status(status)
    if verdict is None:
        return Sent(external_id=None, detail={"status": status})
    return DeliveryError(
        f"{prefix} {status}", retryable=verdict, retry_after=chat.retry_after(retry_after)
    )


CHANNEL = TeamsChannel
