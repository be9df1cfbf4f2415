"""Routing times, in Europe/Oslo: when digests fall due and when quiet hours end. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

from certbot.config import QuietHours, RoutingConfig
from certbot.model import Priority
from certbot.render import OSLO

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def digest_due(routing: RoutingConfig, priority: Priority, now: datetime) -> datetime:
    """The next daily (P3) or weekly (P4) digest time after ``now``, as an aware datetime."""
    local = now.astimezone(OSLO)
    if priority <= Priority.P3:
        at = local.replace(
            hour=routing.daily_digest.hour,
            minute=routing.daily_digest.minute,
            second=0,
            microsecond=0,
        )
        if at <= local:
            at += timedelta(days=1)
        return at
    at = local.replace(
        hour=routing.weekly_digest.hour,
        minute=routing.weekly_digest.minute,
        second=0,
        microsecond=0,
    )
    days = (WEEKDAYS.index(routing.weekly_digest_day) - local.weekday()) % 7
    at += timedelta(days=days)
    if at <= local:
        at += timedelta(days=7)
    return at


def in_quiet_hours(quiet: QuietHours | None, now: datetime) -> bool:
    if quiet is None:
        return False
    t = now.astimezone(OSLO).time()
    if quiet.start <= quiet.end:
        return quiet.start <= t < quiet.end
    return t >= quiet.start or t < quiet.end  # spans midnight


def quiet_hours_end(quiet: QuietHours | None, now: datetime) -> datetime:
    if quiet is None or not in_quiet_hours(quiet, now):
        return now
    local = now.astimezone(OSLO)
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end
