"""How much a chat may be shown: the TLP clearance of the chat a reply goes to (issue 12.3).

A reply is a delivery (RELIABILITY.md "Inbound"), so every listing that shows case titles or
incident content is filtered by the chat it goes to, with the same rules as `certbot.tlp`:

- The chat kind comes from the platform event (Telegram ``chat.type``; Slack ``channel_id``
  prefix ``D`` or ``channel_name`` ``directmessage``) and travels on the `Command`. Anything
  else, or nothing, is a shared chat.
- A chat that is no configured target is cleared for TLP:GREEN (a group, a channel, and a
  private chat alike); a chat marked ``public`` anywhere only for CLEAR.
- A chat that is a configured target (same platform, its ``address`` equal to the chat id or,
  for a Slack direct message, to the user id) is cleared for what `tlp.check` lets that target
  receive for the municipality concerned: AMBER and AMBER+STRICT only on targets of that
  municipality (or the operator's own targets) within their ``tlp_max``.
- RED only in a private chat that is a ``personal`` target with ``tlp_max: RED``; a shared chat
  never gets more than AMBER+STRICT, whatever its configuration says.

Withheld items stay in the listing, without their title or content (`withheld`), so nobody
mistakes a filtered list for a complete one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from certbot import tlp as tlp_rules
from certbot.config import OPERATOR, Config, TargetConfig
from certbot.model import TLP

PRIVATE = "private"
SHARED = "shared"
TELEGRAM_PRIVATE = frozenset({"private"})
SLACK_DM_NAMES = frozenset({"directmessage"})


def telegram_kind(chat_type: str | None) -> str:
    """Telegram's ``chat.type`` (private, group, supergroup, channel) as PRIVATE or SHARED."""
    return PRIVATE if chat_type in TELEGRAM_PRIVATE else SHARED


def slack_kind(channel_id: str | None, channel_name: str | None = None) -> str:
    """A Slack conversation is private only when it is a direct message with the bot."""
    if channel_name in SLACK_DM_NAMES or (channel_id or "").startswith("D"):
        return PRIVATE
    return SHARED


def kind_from_id(platform: str, chat_id: str) -> str:
    """The kind of a stored chat id (incident reporters' chats): Telegram gives private chats
    the user's own positive id and groups, supergroups and channels negative ones; Slack
    direct-message ids start with ``D``."""
    if platform == "telegram":
        return PRIVATE if chat_id.isdigit() else SHARED
    if platform == "slack":
        return slack_kind(chat_id)
    return SHARED


@dataclass(frozen=True)
class Chat:
    """Where a reply goes: platform, chat id, kind, and the user (for Slack DMs)."""

    platform: str
    chat_id: str | None
    kind: str = SHARED
    user_id: str = ""


def _targets(config: Config) -> Iterator[tuple[str, TargetConfig]]:
    for sub in config.subscribers:
        for target in sub.targets:
            yield sub.id, target
    for target in config.service.operator_targets:
        yield OPERATOR, target


def _is_chat(target: TargetConfig, chat: Chat) -> bool:
    if target.kind != chat.platform or not target.address or not chat.chat_id:
        return False
    if target.address == chat.chat_id:
        return True
    return chat.platform == "slack" and chat.kind == PRIVATE and target.address == chat.user_id


def _highest(target: TargetConfig, owner: str, concerned: str) -> TLP:
    allowed = [
        label
        for label in TLP
        if tlp_rules.check(label, target, target_owner=owner, concerned=concerned) is None
    ]
    return max(allowed, default=TLP.CLEAR)


def clearance(config: Config, chat: Chat, concerned: str) -> TLP:
    """The most restricted label this chat may see of an item concerning ``concerned`` (a
    municipality id, or `OPERATOR` for the team's own material)."""
    matching = [(owner, t) for owner, t in _targets(config) if _is_chat(t, chat)]
    if any(t.public for _, t in matching):
        return TLP.CLEAR
    best = TLP.GREEN if not matching else TLP.CLEAR
    for owner, target in matching:
        best = max(best, _highest(target, owner, concerned))
    if chat.kind != PRIVATE:
        best = min(best, TLP.AMBER_STRICT)
    return best


def may_show(config: Config, chat: Chat, concerned: str, label: TLP | None) -> bool:
    """True if an item with ``label`` (None: unknown, treated as RED) may be shown here."""
    return (TLP.RED if label is None else label) <= clearance(config, chat, concerned)


def incident_label(inc: Mapping[str, object]) -> TLP:
    """An incident report's TLP (stored by name; AMBER+STRICT by default, RED if unreadable)."""
    return TLP.parse(str(inc.get("tlp") or "AMBER_STRICT")) or TLP.RED


__all__ = ["PRIVATE", "SHARED", "Chat", "clearance", "incident_label", "kind_from_id", "may_show"]
