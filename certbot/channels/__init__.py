"""Channels: one module per delivery kind; each class declares what other modules need.

Registry contract: `register(cls)` (one line, also usable as a class decorator) adds a channel
class under its ``kind``; `channel_classes()` returns every registered class, the shipped ones
imported lazily from `BUILTIN` (one line per kind). A class must declare ``kind`` and
``rate_per_second`` or `register` refuses it, so a forgotten limit can no longer silently cap
sends at 1/s. Config, dispatch and planning ask the class, never the kind name:
``rate_per_second``, ``signed_links``, ``size_limit`` (measured by `payload_size`),
``address_help``/``env_ref_help``, ``address_pattern``/``address_problem`` and `target_problem`
(target rules for check-config) and
`can_be_personal` (may a target reach exactly one person, and so TLP:RED).

The seam (DESIGN.md): ``render(notification, target) -> Payload`` is pure and golden-tested;
``deliver(payload, target)`` does the I/O and raises `DeliveryError(retryable=...)` after
mapping the SDK's own errors. Retries, backoff, rate limits, digests and TLP live in
``dispatch``, never in a channel. Error messages never contain secrets (webhook URLs, tokens).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

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
    """Base class of every channel. Subclasses set the class attributes and override
    `render` and `deliver`; the optional side doors default to "not supported"."""

    kind: ClassVar[str] = ""
    #: Sends per second per target (dispatch's limiter); required.
    rate_per_second: ClassVar[float | None] = None
    #: Messages carry signed acknowledge/status links (planning adds them).
    signed_links: ClassVar[bool] = False
    #: The platform's size limit, in the unit `payload_size` measures; None: no limit.
    size_limit: ClassVar[int | None] = None
    #: What ``address`` holds, for "needs 'address'" messages; "" if the kind takes none.
    address_help: ClassVar[str] = ""
    #: A regular expression every address of this kind matches in full; "" if any will do.
    address_pattern: ClassVar[str] = ""
    #: What is wrong with an address that does not match, and the fix ({address!r} filled in).
    address_problem: ClassVar[str] = ""
    #: Message when a target lacks ``secret``; "" if the kind needs no per-target secret.
    env_ref_help: ClassVar[str] = ""
    #: Why a target of this kind cannot be one person ({address!r} is filled in).
    not_personal_help: ClassVar[str] = (
        "{address!r} is a channel or group, not one person; use the person's user id or "
        "set personal: false"
    )
    #: Service settings (dotted paths below ``service``) holding secrets this kind needs.
    service_secrets: ClassVar[tuple[str, ...]] = ()
    #: `already_sent` can find a message sent before a crash.
    finds_sent: ClassVar[bool] = False

    def __init__(self, ctx: ChannelContext):
        self.ctx = ctx

    @classmethod
    def target_problem(cls, target: TargetConfig) -> tuple[str, str] | None:
        """(key, what is wrong and how to fix it) for a target address this kind cannot use;
        by default, an address that does not match ``address_pattern``."""
        address = target.address or ""
        if cls.address_pattern and not re.fullmatch(cls.address_pattern, address):
            return ("address", cls.address_problem.format(address=address))
        return None

    @classmethod
    def config_problem(cls, target: TargetConfig, config: Config) -> tuple[str, str] | None:
        """Like `target_problem`, for rules that need the whole loaded configuration."""
        return None

    @classmethod
    def target_warning(cls, target: TargetConfig) -> str | None:
        """A check-config warning for a target that is valid but probably not meant."""
        return None

    @classmethod
    def can_be_personal(cls, target: TargetConfig) -> bool:
        """True if this target can reach exactly one person (personal: true, TLP:RED)."""
        return True

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        raise NotImplementedError

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        raise NotImplementedError

    def payload_size(self, payload: Payload) -> int:
        """The payload measured against `size_limit` (default: UTF-8 bytes of the text)."""
        return len(payload.text.encode("utf-8"))

    async def already_sent(self, payload: Payload, target: TargetConfig) -> Sent | None:
        """Optional: the message of an interrupted send if the platform has it (see
        `finds_sent`); None means "not found" and the delivery is sent again."""
        return None

    def client(self) -> Any:
        """Optional: the platform's API client, for inbound replies on the same platform."""
        raise NotImplementedError(f"the {self.kind} channel has no API client")

    async def bot(self) -> Any:
        """Optional: the platform's bot object (Telegram)."""
        raise NotImplementedError(f"the {self.kind} channel has no bot")

    async def aclose(self) -> None:
        return None


#: The shipped channels: kind -> "module:Class", imported on first use (the modules import
#: this one for `Channel`). Adding a shipped channel is one line here.
BUILTIN: dict[str, str] = {
    "email": "certbot.channels.mail:MailChannel",
    "file": "certbot.channels.file:FileChannel",
    "slack": "certbot.channels.slack:SlackChannel",
    "teams": "certbot.channels.teams:TeamsChannel",
    "telegram": "certbot.channels.telegram:TelegramChannel",
}
_REGISTRY: dict[str, type[Channel]] = {}
_C = TypeVar("_C", bound=type[Channel])


def register(cls: _C) -> _C:
    """Register a channel class under its ``kind`` (one line; returns the class)."""
    if not cls.kind:
        raise TypeError(f"{cls.__name__} declares no kind")
    rate = cls.rate_per_second
    if rate is None or rate <= 0:
        raise TypeError(f"{cls.__name__} declares no rate_per_second (sends per second)")
    _REGISTRY[cls.kind] = cls
    return cls


def channel_classes() -> dict[str, type[Channel]]:
    """Every registered channel class by kind (the shipped ones loaded on first call)."""
    for kind, where in BUILTIN.items():
        if kind not in _REGISTRY:
            module, name = where.split(":")
            cls = getattr(importlib.import_module(module), name)
            if cls.kind != kind:
                raise TypeError(f"{where} declares kind {cls.kind!r}, registered as {kind!r}")
            register(cls)
    return dict(_REGISTRY)


def channel_kinds() -> tuple[str, ...]:
    """The kinds a target may have, sorted (what config accepts)."""
    return tuple(sorted(channel_classes()))


def channel_class(kind: str) -> type[Channel] | None:
    return channel_classes().get(kind)
