"""Figure facts: every figure in a report, with what it measures, when, and whether it is a result,
a forecast or a plan.

A fact is read from one sentence of a chunk with the quantity model: the report's own subject
phrase before the figure ("全省生产总值", "粮食总产量", "5G基站"), the canonical indicator name when
the synonym table knows the phrase, the period (a year, a part of a year, or a multi-year span), the
stance (actual / forecast / plan) and, where the sentence says so, the status against a target.
Its quote is the exact sentence of the chunk, so every figure of a fact is written in its quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ingest.models import Chunk, Fact
from ingest.periods import time_ref
from ingest.quantity import Quantity, find_quantities
from ingest.terms import canonical_indicator, indicator_alias_in
from ingest.vocabulary import (
    COMPLETION_RE,
    FORECAST_WORDS,
    MULTI_YEAR_RE,
    SENTENCE_RE,
    STRONG_PLAN_RE,
    is_plan_heading,
    stated_status,
)

# words between a subject and its figure, or before a subject, that are not part of it
_LEADING = re.compile(
    r"^(?:[，,、；;：:\s]|其中|全年|全省|全市|全县|全区|全镇|当年|今年|去年|同期|累计|共计|合计|总计|预计|力争|确保|争取|"
    r"(?:实现|完成|达到|取得)了?|比上年|较上年|同比|分别|以及|和|与|及|并|在|对|把|将|使|让|按|共|年内|年末|年底|"
    r"[（(]?(?:按)?(?:同|自然|可比)口径(?:下|计算)?|"
    r"(?:19|20)\d{2}\s*年(?:末|底|度)?|[一二三四五六七八九十]+是|\d{1,2}[．.、]|[（(][一二三四五六七八九十\d]+[）)])+"
)
_TRAILING = re.compile(
    r"(?:[，,、；;：:\s]|实现|完成|达到|达|为|是|有|超过|超|突破|约|近|增长|增速|增幅|提高|提升|上升|下降|回落|降低|减少|"
    r"增加|同比|比上年|较上年|分别|累计|年均|预计|力争|确保|左右|以上|以内|控制在|保持在|稳定在|在|了|至|到|由|从|"
    r"[（(]?(?:按)?(?:同|自然|可比)口径(?:下|计算)?|"
    r"达到了|占|比|较|增|将|已|均|共|的|连续[\d一二三四五六七八九十]+年|稳定|保持|"
    r"(?:比|较|与|同)(?:19|20)\d{2}\s*年(?:末|底|同期)?(?:相比)?)+$"
)
_CONNECT = re.compile(r"[和、及与]")
_COMPARISON_HEAD = re.compile(r"(?:比|较|高于|低于|快于|慢于|好于|超过全|与上年|同上年)")
_YEAR_IN_TEXT = re.compile(r"(?:19|20)\d{2}\s*年")
_ONE_YEAR_WORDS = re.compile(r"过去一年|去年|今年|一年来|这一年")
_MAX_SUBJECT = 24
# a figure followed by 的 sizes the noun after it ("经济总量超500亿元的县域增至12个", "10亿元以上的项目"): it is
# not a figure of the subject before it, unless that noun is the target or base it states
_SIZES_NOUN_AFTER = re.compile(r"\s*(?:以上|以下|以内|左右)?的(?!目标|预期|任务|年度|水平|增速|增长|成绩|好成绩|基础|历史|高位)")


def _sentences(text: str) -> Iterable[tuple[int, str]]:
    for match in SENTENCE_RE.finditer(text):
        sentence = match.group(0)
        if sentence.strip():
            yield match.start(), sentence


def _trim(phrase: str) -> str:
    previous = None
    while previous != phrase:
        previous = phrase
        phrase = _LEADING.sub("", phrase)
        phrase = _TRAILING.sub("", phrase)
    return phrase.strip()


def _drop_modifier(phrase: str) -> str:
    """“县发展改革委牵头的地区生产总值” -> “地区生产总值”: a modifier ending in 的 before a known
    indicator name is not part of the subject."""
    name = indicator_alias_in(phrase)
    if name:
        position = phrase.find(name)
        if position > 0 and phrase[position - 1] == "的":
            return phrase[position:]
    if "的" in phrase:
        # "县交通局牵头的完成交通固定资产投资": the noun after the last 的, when it is a name of its own
        rest = _trim(phrase.rsplit("的", 1)[1])
        if len(rest) >= 4:
            return rest
    return phrase


def _subject_before(sentence: str, start: int, floor: int) -> str:
    """The phrase naming what a figure at `start` measures: the clause text before it, back to the
    previous figure or clause break, less the verbs and connectives around it."""
    window = sentence[floor:start]
    cut = max(window.rfind(c) for c in "，,；;：:。")
    phrase = window[cut + 1 :] if cut >= 0 else window
    if "、" in phrase and not _trim(phrase.rsplit("、", 1)[1]):
        return ""  # "5.53万亿元、稳居全国前十强、增长4.8%": the change belongs to the subject before
    if len(phrase) > _MAX_SUBJECT:
        phrase = phrase[-_MAX_SUBJECT:]
    phrase = _trim(phrase)
    if phrase.endswith("等"):
        return ""  # "地区生产总值等5项经济指标": the figure counts the list, it is no figure of its head
    if _COMPARISON_HEAD.match(phrase) or phrase.startswith("占"):
        # "比去年同期加快2.2个百分点", "占总任务数的2.9%": said of the subject before, not a subject
        return ""
    if phrase.endswith("总量") and len(phrase) > 4:
        phrase = phrase[:-2]  # "地区生产总值总量" is 地区生产总值 (but "经济总量" stays)
    return _drop_modifier(phrase)


def distribute(subject: str, count: int) -> list[str]:
    """“城镇和农村居民人均可支配收入分别…A和B”: one subject per figure. Parts joined by 和/、 share the
    last part's tail when the first parts are short qualifiers (城镇/农村)."""
    parts = [p for p in _CONNECT.split(subject) if p]
    if len(parts) != count or count < 2:
        return [subject] * count
    first, last = parts[0], parts[-1]
    tail = last[len(first):] if len(first) <= 3 and len(last) > len(first) + 1 else ""
    return [p if p == last else p + tail for p in parts]


def _stance(sentence: str, section: str, q: Quantity, inherited: str) -> str:
    before = sentence[: q.start]
    if any(w in before for w in FORECAST_WORDS):
        return "forecast"
    if "左右" in q.qualifiers or STRONG_PLAN_RE.search(before):
        return "plan"
    if inherited in ("plan", "forecast"):
        return inherited
    if is_plan_heading(section):
        return "plan"
    return "actual"


def _default_year(chunk: Chunk, stance: str) -> int | None:
    """The year a figure speaks about when its sentence names none: the section's year, else the year
    the report reviews (results, forecasts) or plans for (plans)."""
    if chunk.year_from and chunk.year_from == chunk.year_to:
        return chunk.year_from
    if chunk.year_from and chunk.year_to < 9999:
        return chunk.year_to if stance == "plan" else chunk.year_from
    return chunk.year


def chunk_facts_year(chunk: Chunk) -> int | None:
    """The year a chunk's results speak about when a sentence names none."""
    return _default_year(chunk, "actual")


def _sentence_year(sentence: str, years: list[int]) -> int | None:
    """The one year a sentence states its figures for. A year written as a point of comparison or a
    starting point ("比2024年", "从2020年的5.2万元") is not it; "今年"/"去年" are read by the parser."""
    stated = [
        y for y in years
        if str(y) not in sentence
        or re.search(rf"(?<![比较从由与同于至到]){y}\s*年(?!的|末的|底的)", sentence)
    ]
    return stated[0] if len(stated) == 1 else None


def _line_lead(text: str, offset: int) -> str:
    """The first characters of the line a sentence stands in (“五年来，…” covers the paragraph)."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text[line_start : min(offset, line_start + 12)]


def _group(sentence: str, quantities: list[Quantity]) -> list[list[Quantity]]:
    """Figures that share one subject: “分别增长7%、8%”, “增长7.1%、8.3%”."""
    groups: list[list[Quantity]] = []
    for q in quantities:
        if groups:
            last = groups[-1][-1]
            between = sentence[last.end : q.start].strip()
            if not _subject_before(sentence, q.start, last.end) and between in ("、", "和", "及", "与", "，", ",", ""):
                groups[-1].append(q)
                continue
        groups.append([q])
    return groups


def facts_of_chunk(chunk: Chunk) -> list[Fact]:
    return facts_in_context(chunk, None)[0]


@dataclass
class _Period:
    """What a paragraph's opening says its lines are about: one year ("刚刚过去的2025年，…", "过去一年") or
    several ("这五年，…", "“十四五”时期"). It holds for the lines after it until another opening says."""

    year: int | None = None
    span: str = ""


_FIGURE_SPAN_WORDS = ("年均", "累计", "历年")
_LEVEL_REACHED = re.compile(r"(?:提高|增加|增长|上升|扩大|提升)(?:到|至)\s*$|增至\s*$")


def _paragraph_period(lead: str, base_date: date | None, carried: _Period) -> _Period:
    several = MULTI_YEAR_RE.search(lead)
    if several and several.group(0) in _FIGURE_SPAN_WORDS:
        several = None  # "累计推动…", "年均增长…" qualify one figure, not the paragraph
    if several and _YEAR_IN_TEXT.search(lead):
        return _Period()  # "一、2025年和“十四五”时期工作回顾": a heading over both, each line says which
    if several:
        return _Period(span=several.group(0))
    if _YEAR_IN_TEXT.search(lead) or _ONE_YEAR_WORDS.search(lead):
        years = time_ref(lead, base_date).years
        return _Period(year=years[0]) if len(years) == 1 else carried
    return carried


def facts_in_context(chunk: Chunk, period: _Period | None, continues_line: bool = False) -> tuple[list[Fact], _Period]:
    """The facts of a chunk, given the paragraph period the chunk before it (same section) left open; and
    the paragraph period this chunk leaves open. `continues_line`: the chunk starts inside a line whose
    opening the chunk before has read (the overlap repeats it)."""
    period = period or _Period()
    facts: list[Fact] = []
    text = chunk.text
    base_date = date(chunk.year, 6, 30) if chunk.year else None
    line_start = -1
    stance_carried = ""
    # a section about several years and no single one ("二、“十五五”时期主要目标任务")
    section_span = MULTI_YEAR_RE.search(chunk.section) if not re.search(r"(?:19|20)\d{2}\s*年", chunk.section) else None
    for offset, raw_sentence in _sentences(text):
        lead = len(raw_sentence) - len(raw_sentence.lstrip())
        sentence = raw_sentence.strip()
        this_line = text.rfind("\n", 0, offset + lead) + 1
        if this_line != line_start:
            line_start = this_line
            if this_line > 0 or not continues_line:
                period = _paragraph_period(text[this_line : this_line + 16], base_date, period)
        quantities = [q for q in find_quantities(sentence) if q.kind != "other" and q.unit != "年"
                      and not _SIZES_NOUN_AFTER.match(sentence, q.end)]
        if not quantities:
            stance_carried = "" if sentence.rstrip()[-1:] not in "；;：:" else stance_carried
            continue
        when = time_ref(sentence, base_date)
        context = _line_lead(text, offset) or sentence[:12]
        previous_subject = ""
        named: list[str] = []  # subjects named so far in the sentence, in order
        floor = 0
        stance = ""
        own_year = (bool(_YEAR_IN_TEXT.search(context) or _ONE_YEAR_WORDS.search(context)) or bool(when.years)
                    or period.year is not None)
        for group in _group(sentence, quantities):
            first = group[0]
            before_first = sentence[max(0, first.start - 14) : first.start]
            completion = COMPLETION_RE.search(before_first) is not None and first.unit == "%"
            subject = _subject_before(sentence, first.start, floor)
            if completion:
                match = COMPLETION_RE.search(sentence[floor : first.start])
                head = _trim(sentence[floor : floor + match.start()]) if match else ""
                # "A…，B…，分别完成年度目标任务的276%、175%": the rates go to A and B in turn
                spread_rates = len(group) > 1  # "完成全年任务的156%、183%": one rate per figure before, in order
                subject = head or ("" if spread_rates else previous_subject)
            spread = len(group) > 1 and ("分别" in sentence[floor : first.start] or completion)
            if first.kind == "rank" and previous_subject and not canonical_indicator(subject or "-"):
                subject = previous_subject  # "地区生产总值增长4.0%，六县市排名第三": the rank of that figure
            if not subject and spread and len(named) >= len(group):
                # “地区生产总值60.3亿元，一般公共预算收入2亿元，同比分别-6.2%、-19.3%”
                subjects = named[-len(group):]
            else:
                subject = subject or previous_subject
                subjects = distribute(subject, len(group)) if spread else [subject] * len(group)
            for q, own_subject in zip(group, subjects, strict=True):
                stance = _stance(sentence, chunk.section, q, stance_carried)
                span_match = MULTI_YEAR_RE.search(context + sentence[: q.start])
                span = span_match.group(0) if span_match else (
                    "" if own_year else period.span or (section_span.group(0) if section_span else ""))
                if span and not span_match and _LEVEL_REACHED.search(sentence[max(0, q.start - 4) : q.start]):
                    span = ""  # "（五年来…）从341.73亿元提高到602亿元": the level the span ends at, a figure of its year
                before = time_ref(sentence, base_date, q.start)  # the time written before this figure
                facts.append(Fact(
                    doc=chunk.doc, chunk_id=chunk.id, region=chunk.region,
                    subject=own_subject, canonical=canonical_indicator(own_subject) or "" if own_subject else "",
                    quantity=q, measure="completion" if completion else q.kind,
                    year=_sentence_year(sentence, before.years) or period.year or _default_year(chunk, stance),
                    part=before.part, span=span,
                    stance=stance, status=stated_status(sentence) if stance != "plan" else "unknown",  # a target has no outcome
                    quote=sentence, quote_start=offset + lead,
                ))
            previous_subject = subject or previous_subject
            named.extend(x for x in subjects if x and x not in named)
            floor = group[-1].end
        # a “；” list continues the stance of its lead (“主要预期目标是：…；…；…。”)
        stance_carried = stance if sentence.rstrip()[-1:] in "；;" and not MULTI_YEAR_RE.search(sentence) else ""
    return facts, period


def facts_of_chunks(chunks: Iterable[Chunk]) -> list[Fact]:
    """The facts of a document's chunks; a sentence repeated in the next chunk's overlap counts once."""
    seen: set[tuple[str, str, int]] = set()
    out: list[Fact] = []
    period: _Period | None = None
    previous: tuple[str, str] = ("", "")
    previous_text = ""
    for chunk in chunks:
        if (chunk.doc, chunk.section) != previous:
            period, previous_text = None, ""
        previous = (chunk.doc, chunk.section)
        continues_line = bool(previous_text) and chunk.text[:16] in previous_text
        found, period = facts_in_context(chunk, period, continues_line)
        previous_text = chunk.text
        if chunk.kind == "目标完成情况通报":
            found = _tasks_before_results(chunk.text, found)
        for fact in found:
            key = (fact.quote, fact.subject, fact.quantity.start)
            if key not in seen:
                seen.add(key)
                out.append(fact)
    return out


def _tasks_before_results(text: str, facts: list[Fact]) -> list[Fact]:
    """A target-completion notice states each task, then its result ("…净增市场主体1万户。2022年净增
    市场主体1.15万户"): within one paragraph, an earlier figure of the same subject and unit in another
    sentence is the task's target."""
    def paragraph(fact: Fact) -> int:
        return text.count("\n", 0, fact.quote_start)

    def named_again(task: Fact, result: Fact) -> bool:
        # the result may name the task's subject shortly ("完成交通固定资产投资50亿元。…完成投资59亿元")
        return (result.quote_start > task.quote_start and paragraph(result) == paragraph(task)
                and bool(result.subject) and bool(task.subject)
                and (task.subject.endswith(result.subject) or result.subject.endswith(task.subject)))

    def same(task: Fact, result: Fact) -> bool:
        return named_again(task, result) and result.quantity.unit == task.quantity.unit and result.measure == task.measure

    out: list[Fact] = []
    for fact in facts:
        task = next((t for t in facts if named_again(t, fact) and len(t.subject) > len(fact.subject)), None)
        if task is not None:
            fact = fact.model_copy(update={"subject": task.subject, "canonical": task.canonical})
        result = next((r for r in facts if named_again(fact, r) and len(r.subject) > len(fact.subject)), None)
        if result is not None:
            fact = fact.model_copy(update={"subject": result.subject, "canonical": result.canonical})
        if fact.stance == "actual" and any(same(fact, other) for other in facts):
            fact = fact.model_copy(update={"stance": "plan"})
        out.append(fact)
    return out
