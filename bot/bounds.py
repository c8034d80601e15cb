"""Bounds on what one question may cost: its length, and how much of the conversation it carries."""

from __future__ import annotations

from bot.models import Turn

BUSY_MESSAGE = "系统繁忙，请稍后再试"


def too_long_message(question: str, max_chars: int) -> str | None:
    """The reply to a question longer than max_chars, or None when it may be answered."""
    length = len(question.strip())
    if length <= max_chars:
        return None
    return f"问题过长（{length}字），请控制在{max_chars}字以内。"


def bound_history(history: list[Turn], max_turns: int, max_chars: int) -> list[Turn]:
    """The latest max_turns turns, each cut to its first max_chars characters (an answer's lead
    sentence names its region and figure; a follow-up needs no more)."""
    kept = history[-max_turns:] if max_turns > 0 else []
    return [t if len(t.content) <= max_chars else Turn(role=t.role, content=t.content[:max_chars]) for t in kept]
