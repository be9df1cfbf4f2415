"""Channels: one module per delivery kind, registered in ``CHANNELS``.

The seam (DESIGN.md): ``render(notification, target) -> Payload`` is pure and golden-tested;
``deliver(payload, target)`` does the I/O and raises `DeliveryError(retryable=...)` after
mapping the SDK's own errors. Retries, backoff, rate limits, digests and TLP live in
``dispatch``, never in a channel. Error messages never contain secrets (webhook URLs, tokens).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import aiohttp

    from certbot.config import Config, TargetConfig
    from certbot.model import Notification
    from certbot.render import Renderer


@dataclass
class Payload:
    """What a channel will send: ``body`` is the channel's own wire form (dict, MIME...)."""

    channel: str
    body: Any
    text: str = ""  # plain-text form, for logs-free previews and size checks
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sent:
    """What the platform answered: an id to thread replies on or to look a message up by."""

    external_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChannelContext:
    """What channels may use: the loaded config, the renderer, one shared HTTP session, and
    a secret reader (env or *_FILE)."""

    config: Config
    renderer: Renderer
    http: aiohttp.ClientSession | None = None
    environ: dict[str, str] | None = None
    state: dict[str, Any] = field(default_factory=dict)  # e.g. slack thread ts per case


class Channel:
    kind: ClassVar[str] = ""

    def __init__(self, ctx: ChannelContext):
        self.ctx = ctx

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        raise NotImplementedError

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def channel_classes() -> dict[str, type[Channel]]:
    """One line per kind. Imported lazily: the modules import this one for `Channel`."""
    from certbot.channels import file, mail, slack, teams, telegram

    return {
        "email": mail.MailChannel,
        "file": file.FileChannel,
        "slack": slack.CHANNEL,
        "teams": teams.CHANNEL,
        "telegram": telegram.CHANNEL,
    }
