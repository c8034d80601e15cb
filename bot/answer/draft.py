"""What an answerer hands to verification: answer text with [n] markers and the quotes they cite."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Draft:
    text: str
    quotes: list[tuple[int, str]]  # (passage index, exact quote), numbered 1.. in this order
    abstained: bool = False
    table: list[dict[str, str]] | None = None
    # figures the answerer computed over the index, not read from a passage: how many reports a ranking
    # covers, a region's place in it ("31份", "第6位"); verification accepts exactly these
    computed: list[str] = field(default_factory=list)
    # documents that disagree on a figure (bot.answer.conflicts); their `n` are this draft's markers
    conflicts: list = field(default_factory=list)


class Citer:
    """Numbers quotes [1], [2]… in order of first use."""

    def __init__(self) -> None:
        self.quotes: list[tuple[int, str]] = []

    def cite(self, passage: int, quote: str) -> str:
        key = (passage, quote)
        if key not in self.quotes:
            self.quotes.append(key)
        return f"[{self.quotes.index(key) + 1}]"
