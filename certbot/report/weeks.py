"""ISO weeks in Europe/Oslo for the weekly report. Pure.

A `Week` runs from Monday 00:00 to the next Monday 00:00 Oslo time (so 167 or 169 hours at
the daylight-saving changes). ``YYYY-Www`` is the ISO 8601 week spelling (``2026-W47``);
`last_complete` is the week before the one ``now`` falls in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from certbot.render import OSLO

WEEK_RE = re.compile(r"^(\d{4})-?W(\d{2})$")


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        """``2026-W47`` (or ``2026W47``); ValueError naming the expected form otherwise."""
        m = WEEK_RE.match(text.strip().upper())
        if not m:
            raise ValueError(f"{text!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W47")
        year, number = int(m.group(1)), int(m.group(2))
        try:
            datetime.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"{text!r}: {year} has no ISO week {number}") from None
        return cls(year, number)

    @classmethod
    def of(cls, moment: datetime) -> Week:
        iso = moment.astimezone(OSLO).isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_complete(cls, now: datetime) -> Week:
        return cls.of(now.astimezone(OSLO) - timedelta(days=7))

    @property
    def start(self) -> datetime:
        """Monday 00:00 in Oslo, as an aware datetime."""
        day = datetime.fromisocalendar(self.year, self.number, 1)
        return day.replace(tzinfo=OSLO)

    @property
    def end(self) -> datetime:
        return self.shift(1).start

    def shift(self, weeks: int) -> Week:
        return Week.of(self.start + timedelta(days=7 * weeks, hours=12))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def last(self, count: int) -> list[Week]:
        """The ``count`` weeks ending with this one, oldest first."""
        return [self.shift(-i) for i in range(count - 1, -1, -1)]
