"""What an answerer hands to verification: answer text with [n] markers and the quotes they cite."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Draft:
    text: str
    quotes: list[tuple[int, str]]  # (passage index, exact quote), numbered 1.. in this order
    abstained: bool = False
    table: list[dict[str, str]] | None = None


class Citer:
    """Numbers quotes [1], [2]… in order of first use."""

    def __init__(self) -> None:
        self.quotes: list[tuple[int, str]] = []

    def cite(self, passage: int, quote: str) -> str:
        key = (passage, quote)
        if key not in self.quotes:
            self.quotes.append(key)
        return f"[{self.quotes.index(key) + 1}]"
