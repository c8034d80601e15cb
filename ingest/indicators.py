"""Indicator records (target vs actual, status) built from the figure facts.

A record gathers what one report says of one indicator for one year: the result (amount, change),
the target, the completion rate and the status, where the text states them. A record quotes one
exact piece of its chunk; when the target and the result stand in different places of a chunk, the
quote runs from the one to the other (at most QUOTE_SPAN characters), else they stay two records.
Statements about several indicators ("地区生产总值等5项经济指标未能实现预期目标") and tallies
("已完成170项…未完成事项5项") become records of their own. Masked figures stay masked.

An optional chat model may add records; each must quote its chunk exactly and state no figure
its quote does not (checked as quantities). An endpoint that is down never fails an ingest: the
extractor logs one warning and stays off (LLMExtractor).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from ingest.facts import chunk_facts_year, facts_of_chunks
from ingest.llm_errors import ENDPOINT_DOWN, failure_reason
from ingest.models import Chunk, Fact, Indicator, Status
from ingest.quantity import find_quantities
from ingest.terms import canonical_indicator
from ingest.vocabulary import SENTENCE_RE, stated_status

log = logging.getLogger(__name__)
QUOTE_SPAN = 320
_MEASURES = ("amount", "count", "growth", "share", "points", "completion", "ratio")
_LOWER_IS_BETTER = ("以内", "以下", "不超过", "不高于")
_GROUP = re.compile(
    r"(?P<named>[^，,。；;]{2,40}?)等(?P<n>\d+|[一二两三四五六七八九十])(?:项|个)(?P<what>[^，,。；;]{0,8}?(?:指标|任务|事项))"
)
_NEGATIVE_STATEMENT = re.compile(
    r"(?:未能|没能|没有)(?:如期|按期|全面)?(?:实现|达到|完成)(?P<what>[^，,。；;]{0,12}?(?:目标|任务|指标))"
)
_TALLY = re.compile(r"(?P<open>未|没有|尚未)?完成(?:事项|任务)?(?P<n>\d+)(?:项|件)")
_TALLY_TOTAL = re.compile(r"(?P<n>\d+)(?:件|项)(?:事项|任务|目标任务)")
_ATTACHMENT = re.compile(r"[（(]?(?:详见|见)附件[^）)\n]{0,10}[）)]?")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _signed(fact: Fact) -> float | None:
    value = fact.quantity.value
    if value is None:
        return None
    return -value if fact.quantity.negative else value


def judged_status(target: Fact | None, actual: Fact | None, completion: Fact | None, stated: Status) -> Status:
    """The status a report states, else what its own figures show: a completion rate, or a result of the
    same kind and unit as the target (lower is better for 以内/以下 targets)."""
    if stated != "unknown":
        return stated
    if completion is not None and completion.quantity.value is not None:
        rate = completion.quantity.value
        return "exceeded" if rate > 100 else "met" if rate == 100 else "not_met"
    if target is None or actual is None:
        return "unknown"
    t, a = _signed(target), _signed(actual)
    if t is None or a is None or target.measure != actual.measure or target.quantity.unit != actual.quantity.unit:
        return "unknown"
    t, a = t * target.quantity.scale, a * actual.quantity.scale
    if any(q in target.quantity.qualifiers for q in _LOWER_IS_BETTER):
        return "met" if a <= t else "not_met"
    if "左右" in target.quantity.qualifiers and abs(a - t) <= 0.05 * abs(t):
        return "met"
    return "exceeded" if a > t else "met" if a == t else "not_met"


def _quote(chunk: Chunk, facts: list[Fact]) -> str | None:
    """One exact piece of the chunk holding every given fact's sentence, or None when too far apart."""
    start = min(f.quote_start for f in facts)
    end = max(f.quote_start + len(f.quote) for f in facts)
    if end - start > QUOTE_SPAN:
        return None
    return chunk.text[start:end]


def _first(facts: list[Fact], *measures: str, stance: tuple[str, ...] = ("actual", "forecast")) -> Fact | None:
    return next((f for f in facts if f.measure in measures and f.stance in stance), None)


def _records_of_chunk(chunk: Chunk, facts: list[Fact]) -> list[Indicator]:
    """One record per indicator and year the chunk's facts speak of."""
    groups: dict[tuple[str, int | None], list[Fact]] = {}
    for fact in facts:
        if fact.span or not fact.subject or fact.measure not in _MEASURES:
            continue
        groups.setdefault((fact.canonical or fact.subject, fact.year), []).append(fact)
    out: list[Indicator] = []
    for (name, year), members in groups.items():
        target = next((f for f in members if f.stance == "plan"), None)
        amount = _first(members, "amount", "count", "share")
        growth = _first(members, "growth")
        completion = _first(members, "completion")
        stated = stated_status(" ".join({f.quote for f in members if f.stance != "plan"}))
        known = bool(members[0].canonical)
        judged = completion is not None or stated != "unknown" or (target is not None and (amount or growth))
        if not (known or judged):
            continue  # an unnamed figure with nothing to judge it by is a fact, not an indicator record
        used = [f for f in (target, amount, growth, completion) if f is not None] or members[:1]
        quote = _quote(chunk, used)
        if quote is None:  # target and result far apart: two records
            used = [f for f in (amount, growth, completion) if f is not None] or [target]  # type: ignore[list-item]
            target = None if amount or growth or completion else target
            quote = _quote(chunk, used) or used[0].quote  # type: ignore[union-attr]
        masked = any(f.quantity.masked for f in used if f is not None)
        out.append(Indicator(
            region=chunk.region, year=year, name=name, name_raw=members[0].subject,
            value=amount.quantity.value if amount and not amount.quantity.masked else None,
            unit=(amount.quantity.scale_word + amount.quantity.unit) if amount else "",
            growth_pct=_signed(growth) if growth else None,
            target_text=_target_text(target), target_value=target.quantity.value if target else None,
            completion_pct=completion.quantity.value if completion else None,
            status=judged_status(target, amount or growth, completion, stated),
            masked=masked, doc=chunk.doc, chunk_id=chunk.id, quote=quote,
        ))
    return out


def _target_text(target: Fact | None) -> str:
    if target is None:
        return ""
    q = target.quantity
    start = target.quote.rfind(target.subject, 0, q.start) if target.subject else -1
    end = q.end
    tail = re.match(r"左右|以上|以内|以下", target.quote[end:])
    end += tail.end() if tail else 0
    begin = start + len(target.subject) if start >= 0 else max(0, q.start - 6)
    return target.quote[begin:end].lstrip("，,、：:为达到")


def _cn_int(text: str) -> int | None:
    return int(text) if text.isdigit() else _CN_DIGITS.get(text)


def _statement_records(chunk: Chunk) -> list[Indicator]:
    """Statements about several indicators and tallies of tasks, from the chunk's sentences."""
    out: list[Indicator] = []
    year = chunk_facts_year(chunk)
    for match in SENTENCE_RE.finditer(chunk.text):
        sentence = match.group(0).strip()
        status = stated_status(sentence)
        base = {"region": chunk.region, "year": year, "doc": chunk.doc, "chunk_id": chunk.id, "quote": sentence}
        for group in _GROUP.finditer(sentence) if status != "unknown" else ():
            named_text = re.sub(r"^.*?(?:影响|以来|方面)", "", re.split(r"[，,。；;]", group.group("named"))[-1])
            names = [n for n in re.split(r"[、和及]", named_text) if n]
            total = _cn_int(group.group("n"))
            for name in names:
                out.append(Indicator(name=canonical_indicator(name) or name, name_raw=name, status=status, **base))
            out.append(Indicator(name=group.group("what"), name_raw=group.group(0).strip(), status=status,
                                 kind="group", count=total,
                                 unnamed=(total - len(names)) if total is not None else None, **base))
        if status == "not_met" and not _GROUP.search(sentence):
            for statement in _NEGATIVE_STATEMENT.finditer(sentence):
                what = statement.group("what")
                if what not in ("目标", "任务", "指标"):
                    out.append(Indicator(name=what, name_raw=what, status="not_met", kind="group", **base))
        line_end = chunk.text.find("\n", match.end())
        line = chunk.text[match.start(): line_end if line_end >= 0 else len(chunk.text)]
        for tally in _TALLY.finditer(sentence):
            total = _TALLY_TOTAL.search(line)
            note = "详见附件" if _ATTACHMENT.search(line) else ""
            n = int(tally.group("n"))
            open_items = bool(tally.group("open"))
            out.append(Indicator(
                name="未完成事项" if open_items else "已完成事项", name_raw=tally.group(0), value=float(n), unit="项",
                status="not_met" if open_items else "met", kind="tally",
                count=int(total.group("n")) if total else None, unnamed=n if open_items and note else None,
                note=note, **base,
            ))
    return out


def dedupe(records: Iterable[Indicator]) -> list[Indicator]:
    """Records repeated by chunk overlap (same doc, name, quote, kind) are kept once."""
    seen: set[tuple[str, str, str, str, str]] = set()
    out: list[Indicator] = []
    for rec in records:
        key = (rec.doc, rec.name, rec.name_raw, rec.quote, rec.kind)
        if key not in seen:
            seen.add(key)
            out.append(rec)
    return out


def extract_indicators(chunks: list[Chunk], chat_model: Any = None, facts: list[Fact] | None = None) -> list[Indicator]:
    """Records for every chunk from its facts and statements; with a chat model (or an LLMExtractor, which
    keeps its state across documents), LLM-extracted records are added (only those whose quote is an
    exact substring of their chunk)."""
    facts = facts if facts is not None else facts_of_chunks(chunks)
    by_chunk: dict[str, list[Fact]] = {}
    for fact in facts:
        by_chunk.setdefault(fact.chunk_id, []).append(fact)
    records: list[Indicator] = []
    for chunk in chunks:
        records.extend(_records_of_chunk(chunk, by_chunk.get(chunk.id, [])))
        records.extend(_statement_records(chunk))
    if chat_model is not None:
        extractor = chat_model if isinstance(chat_model, LLMExtractor) else LLMExtractor(chat_model)
        records.extend(extractor.extract(chunks))
    return dedupe(records)


# ---------------------------------------------------------------- optional LLM extractor


class ExtractedIndicator(BaseModel):
    """One record as the model returns it."""

    name: str = Field(description="指标名称，按原文")
    value: float | None = Field(default=None, description="实际数值；原文隐去（*、X）时为空")
    unit: str = ""
    growth_pct: float | None = None
    target_text: str = ""
    target_value: float | None = None
    completion_pct: float | None = None
    status: Status = "unknown"
    rank_text: str = ""
    masked: bool = False
    quote: str = Field(description="包含该指标的原文句子，一字不差")


class ExtractedIndicators(BaseModel):
    records: list[ExtractedIndicator] = Field(default_factory=list)


def _extract_prompt(chunk: Chunk) -> str:
    from pathlib import Path

    template = (Path(__file__).resolve().parent.parent / "prompts" / "extract.txt").read_text(encoding="utf-8")
    return (template.replace("{region}", chunk.region or "未知").replace("{year}", str(chunk_facts_year(chunk) or "未知"))
            .replace("{text}", chunk.text))


class LLMExtractor:
    """The LLM indicator extractor over one chat model, for a whole ingest (pass it as the pipeline's
    chat_model). A reply that does not parse loses that chunk's LLM records only. An endpoint that is
    unreachable, times out, refuses the key or answers with an error turns the extractor off for the rest
    of the ingest, with one warning: the rule-based records still go in, and the ingest neither fails nor
    waits a timeout per chunk."""

    def __init__(self, chat_model: Any) -> None:
        self.chat_model = chat_model
        self.off_reason: str | None = None
        self._structured: Any = None
        self._lock = threading.Lock()

    def extract(self, chunks: list[Chunk]) -> list[Indicator]:
        out: list[Indicator] = []
        for chunk in chunks:
            if self.off_reason is not None:
                break
            result = self._ask(chunk)
            if result is not None:
                out.extend(_checked_records(chunk, result))
        return out

    def _ask(self, chunk: Chunk) -> ExtractedIndicators | None:
        try:
            if self._structured is None:
                self._structured = self.chat_model.with_structured_output(ExtractedIndicators)
            result = self._structured.invoke(_extract_prompt(chunk))
        except Exception as exc:  # one bad reply must not stop ingestion
            reason = failure_reason(exc)
            if reason in ENDPOINT_DOWN:
                with self._lock:
                    if self.off_reason is None:
                        self.off_reason = reason
                        log.warning("LLM indicator extractor off for the rest of this ingest: the endpoint failed "
                                    "(%s: %s); rule-based indicator records still go in", reason, exc)
            else:
                log.info("LLM indicator extraction skipped chunk %s: %s", chunk.id, exc)
            return None
        if isinstance(result, dict):
            result = ExtractedIndicators.model_validate(result)
        return result


def extract_with_llm(chunks: list[Chunk], chat_model: Any) -> list[Indicator]:
    """Records from a chat model's structured output; a record whose quote is not an exact substring
    of its chunk's text is dropped, and so is any figure not written in its quote."""
    return LLMExtractor(chat_model).extract(chunks)


def _checked_records(chunk: Chunk, result: ExtractedIndicators) -> list[Indicator]:
    out: list[Indicator] = []
    for item in getattr(result, "records", []) or []:
        quote = item.quote.strip()
        if not quote or quote not in chunk.text or not _figures_in_quote(item, quote):
            continue
        masked = item.masked or (item.value is None and any(q.masked for q in find_quantities(quote)))
        out.append(Indicator(
            region=chunk.region, year=chunk_facts_year(chunk), name=canonical_indicator(item.name) or item.name,
            name_raw=item.name, value=None if masked else item.value, unit=item.unit,
            growth_pct=item.growth_pct, target_text=item.target_text, target_value=item.target_value,
            completion_pct=item.completion_pct, status=item.status, rank_text=item.rank_text,
            masked=masked, doc=chunk.doc, chunk_id=chunk.id, quote=quote,
        ))
    return out


def _figures_in_quote(item: ExtractedIndicator, quote: str) -> bool:
    """Every number the model reports must be written in its quote, as a quantity."""
    stated = [q.value for q in find_quantities(quote) if q.value is not None]
    for value in (item.value, item.growth_pct, item.target_value, item.completion_pct):
        if value is not None and not any(abs(abs(value) - v) < 1e-9 for v in stated):
            return False
    return True

