"""LLM side: any OpenAI-compatible chat endpoint through langchain-openai (answer and condense)."""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from bot.models import Passage, Turn
from bot.prompts import load_prompt
from bot.settings import Settings
from ingest.planted import strip_planted

ABSTAIN_MARKERS = ("未找到", "没有提到", "未提及", "无法回答", "没有相关", "未给出", "不包含")


def make_chat_model(settings: Settings):
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key or "none",
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=1,
        streaming=True,
    )


def format_passages(passages: list[Passage]) -> str:
    """Numbered passages; instruction-like sentences inside them are redacted (they are data)."""
    blocks = []
    for n, passage in enumerate(passages, start=1):
        text, _ = strip_planted(passage.text)
        year = f"{passage.year}年" if passage.year else ""
        blocks.append(f"[{n}]（{passage.doc}｜{passage.region}{year}{passage.kind}｜{passage.section}）\n{text}")
    return "\n\n".join(blocks)


def format_history(history: list[Turn], max_turns: int = 6) -> str:
    names = {"user": "用户", "assistant": "助手"}
    return "\n".join(f"{names[t.role]}：{t.content}" for t in history[-max_turns:])


class LLMBackend:
    """The chat model and the LCEL sub-chains built on it."""

    def __init__(self, settings: Settings, chat_model=None) -> None:
        self.settings = settings
        self.model = chat_model if chat_model is not None else make_chat_model(settings)
        self.name = settings.llm_model
        self._answer: Runnable = load_prompt(settings.prompts_dir, "answer") | self.model | StrOutputParser()
        self._compare: Runnable = load_prompt(settings.prompts_dir, "compare") | self.model | StrOutputParser()
        self._condense: Runnable = load_prompt(settings.prompts_dir, "condense") | self.model | StrOutputParser()

    def condense(self, question: str, history: list[Turn]) -> str:
        if not history:
            return question
        rewritten = self._condense.invoke({"question": question, "history": format_history(history)}).strip()
        return rewritten.splitlines()[0].strip() if rewritten else question

    def stream_answer(self, question: str, passages: list[Passage], route: str) -> Iterator[str]:
        chain = self._compare if route == "compare" else self._answer
        yield from chain.stream({"question": question, "passages": format_passages(passages)})
