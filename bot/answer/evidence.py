"""Sentences and clauses of passages, scored against a question (shared by the answerers)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.analyse.question import QueryPlan, asked_part, region_aliases
from bot.models import Passage
from bot.verify.numbers import has_figure, numbers_with_units
from ingest.clean import find_masks
from ingest.lexical import tokenize
from ingest.planted import is_planted
from ingest.terms import surface_forms, topic_variants
from ingest.vocabulary import (
    ACTUAL_WORDS,
    EXCEEDED_WORDS,
    MET_WORDS,
    NOT_MET_WORDS,
    SENTENCE_RE,
    STRONG_PLAN_RE,
    is_plan_heading,
)

SENTENCE = SENTENCE_RE
_CLAUSE = re.compile(r"[^，,、；;：:。！？!?]+[，,、；;：:。！？!?]?")
_QUESTION_WORDS = re.compile(
    r"多少|是多少|什么|哪些|哪个|哪项|哪几|怎么样|怎样|如何|是否|有没有|吗|呢|请问|报告|中|里|的|了|是|有|"
    r"具体|情况|方面|主要|分别|一下|达到|实现|完成|目标|取得|获得|工作|全年|今年|去年|年度|"
    r"是谁|谁|意思|含义|指的|有关|相关|关于|该县|该镇|该区|该市|本县|区县|县区|政府工作报告|政府|哪一|个|"
    r"更高|更低|更快|更多|更好|高|低|在|叫什么名字|名字|叫|"
    r"计划|措施|举措|做了|做法|开展|哪些|方面|有关|打算"
)
UNIT_WORDS = frozenset(("亿元", "万元", "元", "万人", "人", "个", "项", "天", "户", "亩", "公里", "平方公里", "家",
                        "倍", "次", "%", "万", "亿"))
ACHIEVED_MARKERS = ACTUAL_WORDS
NEGATIVE_STATUS = NOT_MET_WORDS
POSITIVE_STATUS = (*EXCEEDED_WORDS, *MET_WORDS)


@dataclass
class Sentence:
    passage_index: int
    text: str
    start: int  # offset in the passage text
    score: float = 0.0
    matched: list[str] = field(default_factory=list)


def split_spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text) if m.group(0).strip()]


def sentences_of(passages: list[Passage]) -> list[Sentence]:
    out: list[Sentence] = []
    for index, passage in enumerate(passages):
        for start, end in split_spans(SENTENCE, passage.text):
            raw = passage.text[start:end]
            stripped = raw.strip()
            if len(stripped) < 4 or is_planted(stripped):
                continue
            lead = len(raw) - len(raw.lstrip())
            out.append(Sentence(index, stripped, start + lead))
    return out


@dataclass
class QueryTerms:
    indicator_forms: list[list[str]]  # per indicator asked: its surface forms
    words: list[str]  # other content words

    @property
    def total_weight(self) -> float:
        return 3.0 * len(self.indicator_forms) + sum(word_weight(w) for w in self.words)


def word_weight(word: str) -> float:
    if word.isascii():
        return 1.0 if len(word) >= 2 else 0.3
    return {1: 0.3, 2: 1.0, 3: 1.3}.get(len(word), 1.6)


def query_terms(plan: QueryPlan) -> QueryTerms:
    text = asked_part(plan.question)
    for region in plan.regions:
        for alias in region_aliases(region):
            text = text.replace(alias, " ")
    text = re.sub(r"(?:19|20)\d{2}\s*年?", " ", text)
    forms = [list(surface_forms(ind)) for ind in plan.indicators]
    for group in forms:
        for form in sorted(group, key=len, reverse=True):
            text = text.replace(form, " ")
    text = _QUESTION_WORDS.sub(" ", text)
    words: list[str] = []
    for token in tokenize(text):
        if token not in words and not re.fullmatch(r"[\d.%]+", token) and token not in UNIT_WORDS:
            words.append(token)
    # drop bigrams that only restate longer words already present
    longer = [w for w in words if len(w) >= 4]
    words = [w for w in words if len(w) != 2 or not any(w in lw for lw in longer)]
    return QueryTerms(forms, words)


def match_score(text: str, terms: QueryTerms) -> tuple[float, list[str]]:
    text = text.lower()
    score = 0.0
    matched: list[str] = []
    for group in terms.indicator_forms:
        hit = next((f for f in sorted(group, key=len, reverse=True) if f.lower() in text), None)
        if hit:
            score += 3.0
            matched.append(hit)
    for word in terms.words:
        hit = next((v for v in topic_variants(word) if v.lower() in text), None)
        if hit:
            score += word_weight(word) * (1.0 if hit == word else 0.8)
            matched.append(hit)
        elif len(word) >= 4 and not word.isascii():
            # partial credit for long words through their bigrams
            parts = [word[i : i + 2] for i in range(len(word) - 1)]
            share = sum(p in text for p in parts) / len(parts)
            if share >= 0.5:
                score += word_weight(word) * share * 0.7
                matched.append(word)
    return score, matched


def is_plan_section(section: str, kind: str, doc_year: int | None, section_year: int) -> bool:
    """A section that sets out plans: named so (“三、2022年重点目标任务”), or, in a government work
    report, a section about the report's own year (its review sections are about the year before)."""
    if is_plan_heading(section):
        return True
    return (kind == "政府工作报告" and bool(doc_year) and section_year == doc_year
            and "回顾" not in section and "总结" not in section)


def is_target_statement(text: str) -> bool:
    return bool(STRONG_PLAN_RE.search(text) or "左右" in text) and not any(m in text for m in POSITIVE_STATUS)


def clauses_of(sentence: str) -> list[tuple[int, int]]:
    return split_spans(_CLAUSE, sentence)


def figure_span(sentence: str, anchors: list[str], max_clauses: int = 4) -> tuple[int, int]:
    """The part of a long sentence that carries the anchor term and the figures that go with it."""
    spans = clauses_of(sentence)
    if not spans:
        return 0, len(sentence)
    anchor_index = None
    for anchor in anchors:  # most specific anchor first
        anchor_index = next((i for i, (s, e) in enumerate(spans) if anchor in sentence[s:e]), None)
        if anchor_index is not None:
            break
    if anchor_index is None:
        return 0, len(sentence)
    first = anchor_index
    # a clause that names the subject but holds no figure: the figure follows
    last = anchor_index
    while last + 1 < len(spans) and last - anchor_index + 1 < max_clauses:
        nxt = sentence[spans[last + 1][0] : spans[last + 1][1]]
        if not (has_figure(nxt) or find_masks(nxt)) or _names_other_subject(nxt, anchors):
            break
        last += 1
    if not (has_figure(sentence[spans[first][0] : spans[last][1]]) or find_masks(sentence[spans[first][0] : spans[last][1]])):
        last = min(len(spans) - 1, last + 1)
    start, end = spans[first][0], spans[last][1]
    return start, end


def _names_other_subject(clause: str, anchors: list[str]) -> bool:
    """A clause that starts a new subject (another indicator) rather than qualifying the anchor."""
    stripped = re.sub(r"^[，,、；;\s]*", "", clause)
    if re.match(r"^(同比|比上年|较|增长|增速|增幅|下降|占|分别|其中|完成|达到|超过|高于|低于|排名|列|位居|年均|突破|实现|总量|增加)", stripped):
        return False
    head = re.split(r"\d", stripped, maxsplit=1)[0]
    return len(head) >= 3 and not any(a in head for a in anchors)


def masked_tokens(text: str) -> list[str]:
    return find_masks(text)


def figures(text: str) -> list[str]:
    return numbers_with_units(text)
