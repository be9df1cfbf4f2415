"""Slack: Block Kit through slack_sdk's AsyncWebClient ``chat.postMessage``.

- Untrusted text is escaped (``& < >``) before it meets mrkdwn; no mention or link survives
  from a feed. Links are built here from http(s) URLs with the host as visible text.
- Limits: at most 50 blocks, 3,000 characters per section, about 13,000 in all (`fit`).
- An update (kind "update") is a thread reply: ``n.extra["thread_ts"]`` is the ``ts`` this
  channel returned for the alert in ``Sent.external_id``.
- Alerts, updates and reminders end in an ``actions`` block with three buttons (Kvitter,
  Patchet, Ikke berørt): ``action_id`` ``ack`` / ``status-<word>`` (unique within the block,
  as Slack requires) and ``value`` ``<case id>:<word>``, which certbot/inbound/slack.py
  ``command_from`` turns into ``ack <case>`` or ``status <case> <word>``.
- The delivery id rides along as message metadata; `already_sent` finds it again with
  ``conversations.history`` (or ``conversations.replies`` for thread replies) so dispatch can
  look before an ambiguous re-send.
- No retry handlers: dispatch owns retries. Errors are mapped to `DeliveryError` from the
  HTTP status and Slack's error name only (the token is never in a message).
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from certbot.channels import Channel, Payload, Sent, chat, escape, register
from certbot.config import TargetConfig, read_secret
from certbot.errors import DeliveryError, classify_status
from certbot.model import Notification
from certbot.outbound.links import ACTIONS, LABELS
from certbot.redact import register_secret

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_TOTAL = 12000  # Slack truncates around 13,000 characters; keep a margin
RETRYABLE_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}
EVENT_TYPE = "certbot_delivery"
BUTTON_KINDS = ("alert", "update", "reminder")
MAX_VALUE = 2000  # Slack's limit for a button's value


def _mrkdwn(section: chat.Section) -> str:
    if section.kind == "links":
        lines = [
            f"<{escape.slack(u)}|{escape.slack(escape.url_host(u))}>"
            for u in section.lines
            if escape.safe_url(u) == u
        ]
        lines += [escape.slack(u) for u in section.lines if escape.safe_url(u) != u]
    elif section.kind == "list":
        lines = [f"• {escape.slack(line)}" for line in section.lines]
    else:
        lines = [escape.slack(line) for line in section.lines]
    body = "\n".join(lines)
    if section.kind == "title":
        return f"*{body}*"
    return f"*{escape.slack(section.heading)}*\n{body}" if section.heading else body


def buttons(n: Notification) -> dict[str, Any] | None:
    """The actions block under an alert (None for other kinds or without a case id)."""
    if not n.case_id or n.kind not in BUTTON_KINDS:
        return None
    labels = LABELS.get(n.language, LABELS["nb"])
    elements = []
    for word, (_, command, _) in ACTIONS.items():
        value = f"{n.case_id}:{word}"
        if len(value) > MAX_VALUE:
            return None
        button: dict[str, Any] = {
            "type": "button",
            "action_id": "ack" if command == "ack" else f"status-{word}",
            "text": {"type": "plain_text", "text": labels[word], "emoji": False},
            "value": value,
        }
        if command == "ack":
            button["style"] = "primary"
        elements.append(button)
    return {"type": "actions", "block_id": "certbot_respond", "elements": elements}


def group_buttons(n: Notification) -> list[dict[str, Any]]:
    """A grouped burst (issue 11.3): one "Kvitter <case>" button per listed case, each in its
    own actions block (a block's action ids must be unique), so every case keeps its ack."""
    if n.kind != "digest" or not n.extra.get("group"):
        return []
    label = LABELS.get(n.language, LABELS["nb"])["ack"]
    out = []
    for k, item in enumerate(n.items):
        value = f"{item.case_id}:ack"
        if not item.case_id or len(value) > MAX_VALUE:
            continue
        button = {
            "type": "button",
            "action_id": "ack",
            "text": {"type": "plain_text", "text": chat._cap(f"{label} {item.case_id}", 75)},
            "value": value,
        }
        out.append({"type": "actions", "block_id": f"certbot_respond_{k}", "elements": [button]})
    return out


def _blocks(parts: list[chat.Section], room: int = MAX_BLOCKS) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for s in parts:
        if s.kind == "head":
            text = chat._cap(" ".join(s.lines), 150)
            blocks.append({"type": "header", "text": {"type": "plain_text", "text": text}})
        else:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(s)}})
    return blocks[:room]


def _total(blocks: list[dict[str, Any]]) -> int:
    return sum(len(b["text"]["text"]) for b in blocks if "text" in b)


@register
class SlackChannel(Channel):
    kind = "slack"
    rate_per_second = 1.0  # chat.postMessage: about one message per second per channel
    size_limit = 13_000  # characters over all text blocks and the fallback text
    address_help = "a Slack channel id (C0123ABCD) or user id (U0123ABCD)"
    finds_sent = True
    service_secrets = ("slack_token",)
    address_pattern = r"[CGDUW][A-Z0-9]{2,}"
    address_problem = (
        "{address!r} is not a Slack id; use the channel id (C0123ABCD, under the channel's "
        "details) or a user id (U0123ABCD), not the #name"
    )

    @classmethod
    def can_be_personal(cls, target: TargetConfig) -> bool:
        return (target.address or "")[:1] not in "CG"

    def payload_size(self, payload: Payload) -> int:
        blocks = payload.body["blocks"]
        return _total(blocks) + len(payload.body["text"])

    def __init__(self, ctx: Any):
        super().__init__(ctx)
        self._client: AsyncWebClient | None = None

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        safe = chat.sanitise(n)
        more = chat.MORE.get(safe.language, chat.MORE["en"])
        parts = [_refit(s, more) for s in chat.sections(self.ctx.renderer, "slack", safe)]
        one = buttons(safe)
        actions = [one] if one is not None else group_buttons(safe)
        room = MAX_BLOCKS - len(actions)
        blocks = chat.fit(parts, lambda p: _blocks(p, room), _total, MAX_TOTAL, more)
        blocks.extend(actions)
        head = " ".join(parts[0].lines) if parts and parts[0].kind == "head" else ""
        fallback = escape.slack(chat._cap(f"{head}: {safe.title}", 300))
        body: dict[str, Any] = {
            "channel": target.address,
            "text": fallback,
            "blocks": blocks,
            "unfurl_links": False,
            "unfurl_media": False,
            "metadata": {"event_type": EVENT_TYPE, "event_payload": {"delivery_id": n.delivery_id}},
        }
        thread_ts = n.extra.get("thread_ts") if n.kind == "update" else None
        if thread_ts:
            body["thread_ts"] = str(thread_ts)
        return Payload(
            channel="slack", body=body, text=fallback, meta={"delivery_id": n.delivery_id}
        )

    def client(self) -> AsyncWebClient:
        if self._client is None:
            svc = self.ctx.config.service
            token = read_secret(svc.slack_token.env, self.ctx.environ)
            if not token:
                raise DeliveryError(
                    f"slack token not configured ({svc.slack_token.env})", retryable=False
                )
            register_secret(token)
            kwargs: dict[str, Any] = {"token": token, "retry_handlers": [], "timeout": 30}
            if svc.slack_base_url:
                kwargs["base_url"] = svc.slack_base_url
            if self.ctx.http is not None:
                kwargs["session"] = self.ctx.http
            self._client = AsyncWebClient(**kwargs)
        return self._client

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        resp = await _call(self.client().chat_postMessage(**payload.body), "chat.postMessage")
        return Sent(external_id=resp.get("ts"), detail={"channel": resp.get("channel")})

    async def already_sent(self, payload: Payload, target: TargetConfig) -> Sent | None:
        """The earlier message carrying this payload's delivery id, if Slack has one."""
        client, channel = self.client(), payload.body["channel"]
        thread = payload.body.get("thread_ts")
        if thread:
            coro = client.conversations_replies(
                channel=channel, ts=thread, limit=200, include_all_metadata=True
            )
        else:
            coro = client.conversations_history(
                channel=channel, limit=200, include_all_metadata=True
            )
        resp = await _call(coro, "conversations.history")
        wanted = payload.meta.get("delivery_id")
        for message in resp.get("messages") or []:
            meta = message.get("metadata") or {}
            if (
                meta.get("event_type") == EVENT_TYPE
                and (meta.get("event_payload") or {}).get("delivery_id") == wanted
            ):
                return Sent(external_id=message.get("ts"), detail={"channel": channel})
        return None

    async def aclose(self) -> None:
        self._client = None  # the shared session belongs to the app


def _refit(s: chat.Section, more: str) -> chat.Section:
    """The section shrunk until its own block is within 3,000 characters."""
    for _ in range(200):
        if len(_blocks([s])[0]["text"]["text"]) <= MAX_SECTION:
            return s
        s = chat.shrink(s, s.size - max(16, s.size // 8), more)
    return s


async def _call(coro: Any, method: str) -> Any:
    error: DeliveryError
    try:
        return await coro
    except SlackApiError as exc:
        error = _api_error(exc, method)
    except (TimeoutError, aiohttp.ServerTimeoutError):
        error = DeliveryError(f"slack {method}: timed out", retryable=True, ambiguous=True)
    except aiohttp.ClientConnectorError:
        error = DeliveryError(f"slack {method}: cannot connect", retryable=True)
    except (aiohttp.ClientError, ConnectionError) as exc:
        error = DeliveryError(
            f"slack {method}: connection lost ({type(exc).__name__})",
            retryable=True,
            ambiguous=True,
        )
    except SlackClientError as exc:
        error = DeliveryError(
            f"slack {method}: client error ({type(exc).__name__})", retryable=False
        )
    raise error  # outside the handler: no chained SDK exception carries URLs or headers


def _api_error(exc: SlackApiError, method: str) -> DeliveryError:
    status = int(getattr(exc.response, "status_code", 0) or 0)
    data = getattr(exc.response, "data", None)
    name = data.get("error", "") if isinstance(data, dict) else ""
    name = re.sub(r"[^a-z0-9_.]", "", str(name).lower())[:64] or "unknown_error"
    headers = getattr(exc.response, "headers", None) or {}
    after = chat.retry_after(headers.get("Retry-After") or headers.get("retry-after"))
    verdict = classify_status(status) if status != 200 else None
    retryable = bool(verdict) or name in RETRYABLE_ERRORS or status == 429
    return DeliveryError(
        f"slack {method}: HTTP {status} {name}", retryable=retryable, retry_after=after
    )


CHANNEL = SlackChannel
