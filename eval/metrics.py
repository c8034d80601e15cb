"""Eval-set models and metric functions: pure, small, testable on hand-made Answer objects.

Text comparison rule (quotes vs chunks, key facts vs answers): both sides go through the same
cleaning as ingestion (`clean_text`: t2s, pinyin-gloss removal, width), then `normalise`
(full-width → ASCII, thousands separators), then everything that is not a word character or
one of `. % * ‰` is dropped (whitespace and punctuation differences do not count).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from bot.models import Answer
from bot.verify.numbers import normalise
from ingest.clean import clean_text
from ingest.quantity import Quantity, find_quantities

QuestionType = Literal["lookup", "status", "compare", "followup", "list", "masked_value", "unanswerable"]
KS: tuple[int, ...] = (1, 3, 5, 10)
MASK_MARKERS: tuple[str, ...] = ("隐去", "隱去", "未公开", "未公開", "隐匿", "打码", "以*", "被隐")
_MASK_TOKEN = re.compile(r"\*+|X{1,}(?=[%％亿万元个项人户天家]|$)|XX|xx")
_DROP = re.compile(r"[^\w.%*‰]+")
# unit prefixes that scale a base unit: 1.15万户 == 11500户, 557.7亿元 == 5577000万元


# ---------------------------------------------------------------- models


class GoldSource(BaseModel):
    doc: str
    quote: str


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class EvalItem(BaseModel):
    id: str
    question: str
    type: str
    answer: str = ""
    key_facts: list[str] = Field(default_factory=list)
    sources: list[GoldSource] = Field(default_factory=list)
    history: list[HistoryTurn] = Field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


class QuestionResult(BaseModel):
    """Everything measured for one question by one system."""

    id: str
    type: str
    question: str
    expected: str
    key_facts: list[str]
    answer: str
    abstained: bool
    accurate: bool
    key_facts_found: list[str] = Field(default_factory=list)
    key_fact_recall: float | None = None
    retrieved: list[str] = Field(default_factory=list)  # chunk ids, best first
    recall_at: dict[str, float | None] = Field(default_factory=dict)  # "1","3","5","10"
    citations: int = 0
    good_citations: int = 0
    quotes_total: int = 0
    quotes_cited: int = 0
    numbers_checked: int = 0
    numbers_unsupported: int = 0
    final_numbers: int = 0
    final_numbers_grounded: int = 0
    masked_reported: bool | None = None
    latency_ms: float = 0.0
    timings_ms: dict[str, float] = Field(default_factory=dict)
    failure: str = ""


class Summary(BaseModel):
    """Aggregated metrics over a group of questions (overall or one type)."""

    n: int
    accuracy: float | None
    key_fact_recall: float | None
    recall_at: dict[str, float | None]
    citation_precision: float | None
    citation_hit: float | None = None  # answers citing sources where at least one citation holds a gold quote or key fact
    citation_recall: float | None
    grounding: float | None
    final_grounding: float | None
    correct_abstentions: int
    unanswerable: int
    false_abstentions: int
    answerable: int
    false_abstention_rate: float | None
    masked_reported: int
    masked: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None


def load_set(path: Path, limit: int | None = None) -> list[EvalItem]:
    items: list[EvalItem] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            items.append(EvalItem.model_validate(json.loads(line)))
    return items[:limit] if limit else items


# ---------------------------------------------------------------- text comparison


@functools.lru_cache(maxsize=65536)
def canon(text: str) -> str:
    """Comparable form of a quote, a chunk or an answer (see module doc)."""
    return _DROP.sub("", normalise(clean_text(text)))


def covers(chunk_text: str, quote: str) -> bool:
    """Is a gold quote contained in a chunk, after the same cleaning on both sides?"""
    q = canon(quote)
    return bool(q) and q in canon(chunk_text)


def _stated(text: str) -> list[Quantity]:
    return [q for q in find_quantities(clean_text(text)) if not q.masked and q.kind != "other"]


_CHANGE_ONLY = re.compile(r"^(?:同比|比上年|较上年)?(?:增长|下降|增加|减少|提高|回落|降低)?$")


def fact_present(fact: str, text: str) -> bool:
    """A key fact is in a text. A figure ("1.15万户", "下降3.3%") is compared as a quantity through the
    quantity model (1.15万户 = 11500户, ％ = %, and "下降3.3%" is not "增长3.3%"); anything else as a
    cleaned substring."""
    fact_c, text_c = canon(fact), canon(text)
    if not fact_c:
        return True
    wanted = _stated(fact)
    if len(wanted) == 1:
        rest = (fact[: wanted[0].start] + fact[wanted[0].end :]).strip()
        if _CHANGE_ONLY.match(rest):
            return any(wanted[0].same_as(q) for q in _stated(text))
    return fact_c in text_c


def has_mask(text: str) -> bool:
    return bool(_MASK_TOKEN.search(text))


def reports_masked(answer: Answer, quotes: Iterable[str]) -> bool:
    """The answer says the figure is masked (隐去/未公开) and shows the mask or the masked span,
    without abstaining."""
    if answer.abstained:
        return False
    text = answer.answer
    if not any(marker in text for marker in MASK_MARKERS):
        return False
    return has_mask(text) or any(canon(q) in canon(text) for q in quotes if q)


# ---------------------------------------------------------------- per question


def retrieval_recall(item: EvalItem, retrieved_texts: list[str], ks: tuple[int, ...] = KS) -> dict[str, float | None]:
    """Share of gold quotes covered by a chunk among the first k retrieved, per k."""
    quotes = [s.quote for s in item.sources]
    if not quotes:
        return {str(k): None for k in ks}
    out: dict[str, float | None] = {}
    for k in ks:
        top = retrieved_texts[:k]
        out[str(k)] = sum(any(covers(t, q) for t in top) for q in quotes) / len(quotes)
    return out


def citation_counts(item: EvalItem, cited_texts: list[str]) -> tuple[int, int, int, int]:
    """(citations, good citations, gold quotes, gold quotes covered by a cited chunk).

    A citation is good when its chunk contains a gold quote or one of the key facts."""
    quotes = [s.quote for s in item.sources]
    good = sum(
        any(covers(t, q) for q in quotes) or any(fact_present(f, t) for f in item.key_facts) for t in cited_texts
    )
    cited_quotes = sum(any(covers(t, q) for t in cited_texts) for q in quotes)
    return len(cited_texts), good, len(quotes), cited_quotes


def final_grounding(answer: Answer, cited_texts: list[str]) -> tuple[int, int]:
    """(figures in the final answer text, those equal to a quantity of a cited chunk) — recomputed after
    verification, with the same quantity model."""
    from bot.verify.numbers import unsupported_figures

    text = re.sub(r"\[\d{1,3}\]", "", answer.answer)
    stated = _stated(text)
    # a ranking's own counts ("31份", "第5位") are checked against what it says it counted
    evidence = "\n".join([*cited_texts, *answer.computed])
    return len(stated), len(stated) - len(unsupported_figures(text, evidence))


def judge(item: EvalItem, answer: Answer) -> tuple[bool, list[str], bool | None, str]:
    """(accurate, key facts found, masked reported (masked_value only), failure reason)."""
    found = [f for f in item.key_facts if fact_present(f, answer.answer)]
    masked: bool | None = None
    if item.type == "unanswerable":
        ok = answer.abstained
        reason = "" if ok else "answered an unanswerable question"
    elif item.type == "masked_value":
        masked = reports_masked(answer, [s.quote for s in item.sources])
        ok = masked
        reason = "" if ok else ("abstained on a masked figure" if answer.abstained else "masked figure not reported")
    else:
        ok = not answer.abstained and len(found) == len(item.key_facts)
        missing = [f for f in item.key_facts if f not in found]
        reason = "" if ok else ("false abstention" if answer.abstained else f"missing key facts: {', '.join(missing)}")
    return ok, found, masked, reason


def score_question(
    item: EvalItem,
    answer: Answer,
    retrieved: list[tuple[str, str]],
    cited_texts: list[str],
    latency_ms: float,
) -> QuestionResult:
    """All metrics for one answered question. `retrieved` is [(chunk_id, text)] best first;
    `cited_texts` are the chunk texts of the answer's citations, in citation order."""
    accurate, found, masked, reason = judge(item, answer)
    n_cit, good, n_quotes, cited_quotes = citation_counts(item, cited_texts)
    final_n, final_ok = final_grounding(answer, cited_texts)
    return QuestionResult(
        id=item.id, type=item.type, question=item.question, expected=item.answer, key_facts=item.key_facts,
        answer=answer.answer, abstained=answer.abstained, accurate=accurate, key_facts_found=found,
        key_fact_recall=(len(found) / len(item.key_facts)) if item.key_facts else None,
        retrieved=[cid for cid, _ in retrieved],
        recall_at=retrieval_recall(item, [text for _, text in retrieved]),
        citations=n_cit, good_citations=good, quotes_total=n_quotes, quotes_cited=cited_quotes,
        numbers_checked=answer.verification.checked, numbers_unsupported=len(answer.verification.unsupported),
        final_numbers=final_n, final_numbers_grounded=final_ok,
        masked_reported=masked, latency_ms=round(latency_ms, 2), timings_ms=answer.timings_ms, failure=reason,
    )


# ---------------------------------------------------------------- aggregation


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank-interpolated percentile (numpy's default 'linear')."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 2)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def summarise(results: list[QuestionResult], ks: tuple[int, ...] = KS) -> Summary:
    answerable = [r for r in results if r.type != "unanswerable"]
    unanswerable = [r for r in results if r.type == "unanswerable"]
    masked = [r for r in results if r.type == "masked_value"]
    with_sources = [r for r in results if r.quotes_total]
    checked = sum(r.numbers_checked for r in results)
    final = sum(r.final_numbers for r in results)
    false_abst = sum(r.abstained for r in answerable)
    return Summary(
        n=len(results),
        accuracy=_mean([float(r.accurate) for r in results]),
        key_fact_recall=_mean([r.key_fact_recall for r in results if r.key_fact_recall is not None]),
        recall_at={str(k): _mean([v for r in results if (v := r.recall_at.get(str(k))) is not None]) for k in ks},
        citation_precision=_ratio(sum(r.good_citations for r in with_sources), sum(r.citations for r in with_sources)),
        citation_hit=_ratio(sum(r.good_citations > 0 for r in with_sources if r.citations),
                            sum(1 for r in with_sources if r.citations)),
        citation_recall=_ratio(sum(r.quotes_cited for r in with_sources), sum(r.quotes_total for r in with_sources)),
        grounding=_ratio(checked - sum(r.numbers_unsupported for r in results), checked),
        final_grounding=_ratio(sum(r.final_numbers_grounded for r in results), final),
        correct_abstentions=sum(r.abstained for r in unanswerable),
        unanswerable=len(unanswerable),
        false_abstentions=false_abst,
        answerable=len(answerable),
        false_abstention_rate=_ratio(false_abst, len(answerable)),
        masked_reported=sum(bool(r.masked_reported) for r in masked),
        masked=len(masked),
        latency_p50_ms=percentile([r.latency_ms for r in results], 50),
        latency_p95_ms=percentile([r.latency_ms for r in results], 95),
    )


def summarise_by_type(results: list[QuestionResult]) -> dict[str, Summary]:
    types = sorted({r.type for r in results})
    return {t: summarise([r for r in results if r.type == t]) for t in types}
