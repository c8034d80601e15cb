"""Conversations in the chat tab: what one exchange keeps, the history it gives the service, the chat
messages it shows, and the saved conversations (kept in the browser by gr.BrowserState, newest first,
bounded). Pure functions over plain JSON-able data."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field, ValidationError

from bot.models import Answer
from bot.ui.render import answer_markdown, md_escape

MAX_CONVERSATIONS = 30  # saved conversations kept in the browser; older ones are dropped
MAX_EXCHANGES = 60  # exchanges kept per saved conversation (the oldest are dropped)
TITLE_CHARS = 28
# what a saved answer does not need to be shown again (and would only fill the browser's storage)
_DROPPED_FIELDS = {"timings_ms", "verification"}


class Scope(BaseModel):
    """What narrowed an answer: the chat's filters, and a region carried over from the conversation."""

    region: str | None = None
    region_label: str | None = None
    year: int | None = None
    kind: str | None = None
    carried: list[str] = Field(default_factory=list)

    @property
    def has_filters(self) -> bool:
        return any(v is not None for v in (self.region, self.year, self.kind))


class Exchange(BaseModel):
    question: str
    answer: dict  # Answer JSON
    scope: Scope = Field(default_factory=Scope)

    def parsed(self) -> Answer:
        return Answer.model_validate(self.answer)


class Conversation(BaseModel):
    id: str
    title: str
    updated: str  # ISO time of the last exchange
    exchanges: list[Exchange] = Field(default_factory=list)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def exchange(question: str, answer: Answer, scope: Scope) -> dict:
    data = {k: v for k, v in answer.to_json_dict().items() if k not in _DROPPED_FIELDS}
    return Exchange(question=question, answer=data, scope=scope).model_dump()


def exchanges_of(items: list[dict] | None) -> list[Exchange]:
    out = []
    for item in items or []:
        try:
            out.append(Exchange.model_validate(item))
        except ValidationError:
            continue  # an entry from another version of the app: leave it out
    return out


def turns_of(items: list[dict] | None) -> list[dict]:
    """The history the service reads: the questions and the answers' text."""
    turns: list[dict] = []
    for ex in exchanges_of(items):
        turns += [{"role": "user", "content": ex.question},
                  {"role": "assistant", "content": str(ex.answer.get("answer", ""))}]
    return turns


def display_of(items: list[dict] | None) -> list[dict]:
    """The chat messages of the exchanges, as `respond` shows them."""
    messages: list[dict] = []
    for n, ex in enumerate(exchanges_of(items)):
        messages += [{"role": "user", "content": md_escape(ex.question)},
                     {"role": "assistant", "content": answer_markdown(ex.parsed(), n, ex.scope)}]
    return messages


def title_of(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def saved_list(saved: dict | None) -> list[Conversation]:
    out = []
    for item in (saved or {}).get("conversations", []) if isinstance(saved, dict) else []:
        try:
            out.append(Conversation.model_validate(item))
        except ValidationError:
            continue
    return out


def save(saved: dict | None, conversation_id: str | None, items: list[dict], now: datetime | None = None) -> tuple[str, dict]:
    """The saved conversations with this one (new or updated) first; (its id, the new saved value)."""
    exchanges = exchanges_of(items)
    kept = [c for c in saved_list(saved) if c.id != conversation_id]
    if not exchanges:
        return conversation_id or new_id(), {"current": None, "conversations": [c.model_dump() for c in kept]}
    conversation_id = conversation_id or new_id()
    conversation = Conversation(id=conversation_id, title=title_of(exchanges[0].question),
                                updated=(now or datetime.now()).isoformat(timespec="minutes"),
                                exchanges=exchanges[-MAX_EXCHANGES:])
    conversations = [conversation, *kept][:MAX_CONVERSATIONS]
    return conversation_id, {"current": conversation_id, "conversations": [c.model_dump() for c in conversations]}


def forget(saved: dict | None, conversation_id: str | None) -> dict:
    """The saved conversations without this one."""
    kept = [c.model_dump() for c in saved_list(saved) if c.id != conversation_id]
    return {"current": None, "conversations": kept}


def with_current(saved: dict | None, conversation_id: str | None) -> dict:
    return {"current": conversation_id, "conversations": [c.model_dump() for c in saved_list(saved)]}


def find(saved: dict | None, conversation_id: str | None) -> Conversation | None:
    return next((c for c in saved_list(saved) if c.id == conversation_id), None)


def current(saved: dict | None) -> Conversation | None:
    return find(saved, saved.get("current") if isinstance(saved, dict) else None)


def history_choices(saved: dict | None) -> list[tuple[str, str]]:
    """(label, id) of the saved conversations, newest first: the first question and when."""
    choices = []
    for c in saved_list(saved):
        when = c.updated.replace("T", " ")[5:16] if len(c.updated) >= 16 else c.updated
        choices.append((f"{c.title}（{when}，{len(c.exchanges)} 问）", c.id))
    return choices
