"""The two ordered scales every advisory carries: `TLP` (who may see it) and `Priority` (how
soon to act). Both are `IntEnum`s, so comparisons read as the rules do: a higher TLP is more
restricted, a lower priority number is more urgent. ``parse`` reads the spellings found in
feeds and configuration. Re-exported by `certbot.model`.
"""

from __future__ import annotations

import enum


class TLP(enum.IntEnum):
    """TLP 2.0 labels, ordered from least to most restricted. WHITE (TLP 1) is CLEAR."""

    CLEAR = 0
    GREEN = 1
    AMBER = 2
    AMBER_STRICT = 3
    RED = 4

    @property
    def label(self) -> str:
        return "TLP:" + self.name.replace("_", "+")

    @classmethod
    def parse(cls, value: str | None) -> TLP | None:
        """Parse 'TLP:AMBER+STRICT', 'amber', 'WHITE'...; None when unknown or missing."""
        if value is None:
            return None
        text = str(value).strip().upper()
        if text.startswith("TLP:"):
            text = text[4:]
        text = text.replace("+", "_").replace(" ", "_").replace("-", "_")
        if text == "WHITE":
            return cls.CLEAR
        try:
            return cls[text]
        except KeyError:
            return None


class Priority(enum.IntEnum):
    """P1 is the most urgent; a lower number means more urgent."""

    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4

    @classmethod
    def parse(cls, value: str | int) -> Priority:
        if isinstance(value, int):
            return cls(value)
        return cls[str(value).strip().upper()]
