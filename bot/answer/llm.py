"""LLM side: any OpenAI-compatible chat endpoint through langchain-openai (answer and condense).

Every call either returns or raises LLMUnavailable (the chain then answers offline, with
FALLBACK_NOTICE). After an endpoint failure the backend does not call the endpoint again for
`llm_retry_after_s`: a batch or a busy chat does not wait a timeout per question.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from bot.models import Passage, Turn
from bot.prompts import load_prompt
from bot.settings import Settings
from ingest.llm_errors import ENDPOINT_DOWN, Reason, failure_reason
from ingest.planted import strip_planted

log = logging.getLogger(__name__)
FALLBACK_NOTICE = "大模型服务暂不可用，以下为离线摘录回答"
ABSTAIN_MARKERS = ("未找到", "没有提到", "未提及", "无法回答", "没有相关", "未给出", "不包含")


class LLMUnavailable(Exception):
    """The chat endpoint failed (or failed moments ago and is not tried yet): answer offline."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def make_chat_model(settings: Settings):
    import httpx
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key or "none",
        temperature=settings.llm_temperature,
        timeout=httpx.Timeout(settings.llm_timeout_s, connect=min(settings.llm_connect_timeout_s,
                                                                   settings.llm_timeout_s)),
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
        self._retry_after_s = settings.llm_retry_after_s
        self._down_until = 0.0
        self._down_reason: Reason = "error"
        self._lock = threading.Lock()

    @contextmanager
    def _calling(self) -> Iterator[None]:
        """Around one call to the endpoint: skip it while the endpoint is known to be down; turn its
        failures into LLMUnavailable. Exceptions that are not endpoint failures (bugs) pass through."""
        with self._lock:
            if time.monotonic() < self._down_until:
                raise LLMUnavailable(self._down_reason, "the endpoint failed moments ago; not tried again yet")
        try:
            yield
        except Exception as exc:
            reason = failure_reason(exc)
            if reason is None:
                raise
            if reason in ENDPOINT_DOWN:
                with self._lock:
                    self._down_until = time.monotonic() + self._retry_after_s
                    self._down_reason = reason
                log.warning("LLM endpoint %s failed (%s: %s); answering offline, next try in %.0f s",
                            self.settings.llm_base_url, reason, exc, self._retry_after_s)
            else:
                log.warning("LLM request rejected (%s); answering this question offline", exc)
            raise LLMUnavailable(reason, str(exc)) from exc

    def condense(self, question: str, history: list[Turn]) -> str:
        if not history:
            return question
        with self._calling():
            rewritten = self._condense.invoke({"question": question, "history": format_history(history)}).strip()
        return rewritten.splitlines()[0].strip() if rewritten else question

    def stream_answer(self, question: str, passages: list[Passage], route: str) -> Iterator[str]:
        """The answer's tokens; raises LLMUnavailable, possibly after some tokens (a broken stream)."""
        chain = self._compare if route == "compare" else self._answer
        with self._calling():
            yield from chain.stream({"question": question, "passages": format_passages(passages)})
