"""The offline answerer: answers from the retrieved passages' own sentences, with [n] markers.

It never writes a figure of its own: every clause it states is copied from a passage, and it
abstains when the best evidence does not cover the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.analyse.question import QueryPlan
from bot.answer.draft import Citer, Draft
from bot.answer.evidence import (
    ACHIEVED_MARKERS,
    NEGATIVE_STATUS,
    POSITIVE_STATUS,
    SENTENCE,
    QueryTerms,
    figure_span,
    figures,
    is_plan_section,
    is_target_statement,
    masked_tokens,
    match_score,
    query_terms,
    split_spans,
)
from bot.models import Passage
from bot.verify.numbers import has_figure, normalise
from ingest.planted import is_planted
from ingest.regions import display_name
from ingest.terms import canonical_indicator
from ingest.vocabulary import MULTI_YEAR_RE, PROBLEM_CUE_RE, PROBLEM_QUESTION_RE, SENTENCE_RE

# share of the question's weighted terms the best evidence must contain (calibrated on the dev set)
MIN_COVERAGE = 0.5
LIST_MIN_COVERAGE = 0.3  # topical list questions share fewer words with their answers
MAX_UNIT_CHARS = 220
_LINE = re.compile(r"[^\n]+")
_MONEY_UNITS = ("万亿元", "亿元", "万元", "千元", "元")


@dataclass
class Unit:
    """A line, or a sentence of a long line: the smallest piece of evidence we quote."""

    passage: int
    text: str
    score: float = 0.0
    coverage: float = 0.0
    matched: list[str] = field(default_factory=list)
    in_plan_section: bool = False
    lead: str = ""  # the start of the paragraph a sentence comes from (“五年奋斗,…”)


def units_of(passages: list[Passage]) -> list[Unit]:
    units: list[Unit] = []
    for index, passage in enumerate(passages):
        for ls, le in split_spans(_LINE, passage.text):
            line = passage.text[ls:le].strip()
            pieces = [line] if len(line) <= MAX_UNIT_CHARS else [
                line[s:e].strip() for s, e in split_spans(SENTENCE, line)
            ]
            for piece in pieces:
                if len(piece) >= 4 and not is_planted(piece):
                    units.append(Unit(index, piece, lead=line[:12]))
    return units


def score_units(
    units: list[Unit], plan: QueryPlan, terms: QueryTerms, passages: list[Passage] | None = None
) -> list[Unit]:
    total = terms.total_weight or 1.0
    section_bonus: dict[int, float] = {}
    plan_section: dict[int, bool] = {}
    for index, passage in enumerate(passages or []):
        # a question that names a section (“下步工作要求”, “存在的问题”) prefers that section's lines
        matched_section = match_score(passage.section, terms)[0]
        section_bonus[index] = min(matched_section / total, 1.0)
        plan_section[index] = is_plan_section(
            passage.section, passage.kind, passage.year,
            passage.year_from if passage.year_from == passage.year_to else 0,
        )
    for unit in units:
        base, matched = match_score(unit.text, terms)
        unit.matched = matched
        unit.coverage = base / total
        score = base + 0.6 / (1 + unit.passage)
        numeric = has_figure(unit.text) or bool(_figure_masks(unit.text))
        if numeric and (plan.wants_number or plan.route == "compare"):
            score += 0.8
        score += 1.5 * unit.coverage  # evidence that covers all of the question beats a partial match
        score += 1.5 * section_bonus.get(unit.passage, 0.0)
        unit.coverage = max(unit.coverage, section_bonus.get(unit.passage, 0.0))
        unit.in_plan_section = plan_section.get(unit.passage, False)
        target_like = is_target_statement(unit.text) or unit.in_plan_section
        if target_like and plan.wants_target:
            score += 0.8
        elif target_like and plan.wants_number:
            score -= 1.5 if plan.wants_actual else 1.0
        elif plan.wants_number and any(m in unit.text for m in ACHIEVED_MARKERS):
            score += 0.4
        if plan.route == "status" and any(m in unit.text for m in (*NEGATIVE_STATUS, *POSITIVE_STATUS)):
            score += 1.0
        if plan.wants_unit and plan.wants_unit != "amount" and _has_wanted_unit(unit.text, plan.wants_unit):
            score += 1.0
        if plan.wants_number and not plan.wants_span and (
                MULTI_YEAR_RE.search(unit.text) or MULTI_YEAR_RE.search(unit.lead)):
            score -= 1.0  # a five-year average or cumulative figure does not answer a one-year question
        if len(unit.text) <= 16 and not numeric and plan.route in ("list", "summary"):
            score -= 1.0  # a bare heading says little on its own
        unit.score = score
    return sorted(units, key=lambda u: -u.score)


def _anchors(unit: Unit, plan: QueryPlan) -> list[str]:
    """The unit's matched terms, most specific first: indicator names, then longer words."""
    indicator_hits = [m for m in unit.matched if canonical_indicator(m)]
    others = sorted((m for m in unit.matched if m not in indicator_hits), key=len, reverse=True)
    return indicator_hits + others or plan.indicators


def _best_sentence(unit: Unit, plan: QueryPlan) -> str:
    """Of a unit's sentences, the one that scores best for the question (e.g. the achieved figure
    rather than the task's target when an item states both)."""
    sentences = [unit.text[s:e].strip() for s, e in split_spans(SENTENCE, unit.text)]
    if len(sentences) <= 1:
        return unit.text
    pieces = [Unit(unit.passage, s) for s in sentences if len(s) >= 4]
    ranked = score_units(pieces, plan, query_terms(plan))
    return ranked[0].text if ranked and ranked[0].matched else unit.text


def _span(unit: Unit, plan: QueryPlan) -> str:
    """The quoted part of a unit: whole when short (or for status questions), else the anchor's clauses."""
    if len(unit.text) <= (MAX_UNIT_CHARS if plan.route == "status" else 120):
        return unit.text
    text = _best_sentence(unit, plan)
    if len(text) <= 120:
        return text
    start, end = figure_span(text, _anchors(unit, plan))
    return text[start:end].strip("，,、；; ")


def _lead(passage: Passage) -> str:
    year = f"{passage.year}年" if passage.year else ""
    lead = f"据{display_name(passage.region)}{year}{passage.kind if passage.kind != 'other' else '报告'}"
    spoken = passage_year(passage)
    if spoken and spoken != str(passage.year or ""):
        lead += f"（{spoken}年情况）"
    return lead


def _what(plan: QueryPlan) -> str:
    region = "和".join(dict.fromkeys(plan.region_name(r) for r in plan.regions))
    year = f"{plan.years[0]}年" if plan.years else ""
    topic = "、".join(plan.indicators) or "相关内容"
    return f"{region}{year}{topic}"


def abstain(plan: QueryPlan, reason: str = "") -> Draft:
    text = f"所提供的报告中未找到{_what(plan)}的明确答案{('：' + reason) if reason else '。'}"
    return Draft(text=text, quotes=[], abstained=True)


def _has_wanted_unit(span: str, unit: str) -> bool:
    found = figures(span)
    if unit == "amount":
        return any(not f.endswith(("%", "个百分点")) for f in found)
    if unit in _MONEY_UNITS:
        return any(f.endswith(_MONEY_UNITS) for f in found)
    return any(f.endswith(unit) for f in found) or unit in re.sub(r"[\d.]+", "", normalise(span))


def _covers(best: Unit, plan: QueryPlan, minimum: float = MIN_COVERAGE) -> bool:
    """Enough of the question is in the evidence — and the indicator asked about, if any, is."""
    if plan.indicators and not any(canonical_indicator(m) for m in best.matched):
        return False
    return best.coverage >= minimum


def answer_lookup(plan: QueryPlan, passages: list[Passage]) -> Draft:
    units = score_units(units_of(passages), plan, query_terms(plan), passages)
    if not units or not _covers(units[0], plan):
        return abstain(plan)
    best = units[0]
    passage = passages[best.passage]
    span = _span(best, plan)
    citer = Citer()

    masks = _masks_after_anchor(span, _anchors(best, plan))
    if masks and not figures(span) and plan.wants_number:
        mark = citer.cite(best.passage, span)
        return Draft(
            text=f"报告中该数值以“{masks[0]}”隐去，未公开具体数字。原文：“{span}”{mark}",
            quotes=citer.quotes,
        )
    target_like = is_target_statement(span) or best.in_plan_section
    if plan.wants_target and not target_like and plan.wants_number and plan.indicators:
        mark = citer.cite(best.passage, span)
        return Draft(
            text=f"所提供的报告未给出{_what(plan)}的目标，只有实际情况：“{span}”{mark}",
            quotes=citer.quotes, abstained=True,
        )
    if plan.wants_actual and target_like:
        mark = citer.cite(best.passage, span)
        return Draft(
            text=f"所提供的报告未给出{_what(plan)}的实际完成数，只有预期目标：“{span}”{mark}",
            quotes=citer.quotes, abstained=True,
        )
    if plan.wants_unit and not plan.wants_rate and not plan.wants_target \
            and not _has_wanted_unit(span, plan.wants_unit):
        mark = citer.cite(best.passage, span)
        return Draft(
            text=f"所提供的报告没有给出{_what(plan)}的具体数量，只有：“{span}”{mark}",
            quotes=citer.quotes, abstained=True,
        )
    mark = citer.cite(best.passage, span)
    note = "（报告中部分数字以“" + masks[0] + "”隐去）" if masks else ""
    return Draft(text=f"{_lead(passage)}：{span}{mark}{note}", quotes=citer.quotes)


def answer_problems(plan: QueryPlan, passages: list[Passage], max_items: int = 5) -> Draft | None:
    """“存在哪些问题/面临哪些困难”: the paragraph in which the report admits them, sentence by sentence from
    its cue on."""
    for index, passage in enumerate(passages):
        for line in passage.text.splitlines():
            cue = PROBLEM_CUE_RE.search(line)
            if cue is None or is_planted(line):
                continue
            start = max(line.rfind(end, 0, cue.start()) for end in "。！？；") + 1
            sentences = [m.group(0).strip() for m in SENTENCE_RE.finditer(line[start:])]
            items = [s for s in sentences if len(s) >= 6][: max_items + 1]
            if len(items) < 2:
                continue
            citer = Citer()
            lines = [f"- {item}{citer.cite(index, item)}" for item in items]
            return Draft(text=f"{_lead(passage)}，报告指出的问题和困难：\n" + "\n".join(lines), quotes=citer.quotes)
    return None


def answer_list(plan: QueryPlan, passages: list[Passage], max_items: int = 5) -> Draft:
    if PROBLEM_QUESTION_RE.search(plan.question):
        draft = answer_problems(plan, passages, max_items)
        if draft is not None:
            return draft
    units = score_units(units_of(passages), plan, query_terms(plan), passages)
    if not units or not _covers(units[0], plan, LIST_MIN_COVERAGE):
        return abstain(plan)
    polarity: tuple[str, ...] = ()
    if plan.route == "status":
        polarity = NEGATIVE_STATUS if re.search(r"未|没|不|差", plan.question) else (
            POSITIVE_STATUS if "超" in plan.question else ())
    best = units[0].score
    chosen: list[Unit] = _named_section_items(plan, passages, units, max_items) if not polarity else []
    for unit in units if not chosen else []:
        if len(chosen) >= max_items:
            break
        if polarity and not any(m in unit.text for m in polarity):
            continue
        if unit.score < best * 0.55 or unit.coverage < LIST_MIN_COVERAGE:
            continue
        if any(unit.text in c.text or c.text in unit.text for c in chosen):
            continue
        chosen.append(unit)
    if not chosen:
        return answer_lookup(plan, passages) if polarity else abstain(plan)
    citer = Citer()
    lines = []
    for unit in chosen:
        span = _list_line(unit, plan)
        lines.append(f"- {span}{citer.cite(unit.passage, span)}")
    head = f"{_lead(passages[chosen[0].passage])}，相关内容如下："
    return Draft(text=head + "\n" + "\n".join(lines), quotes=citer.quotes)


ITEM_TITLE = re.compile(r"^(（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d+[．.、])")
LIST_LINE_CHARS = 160


def _list_line(unit: Unit, plan: QueryPlan) -> str:
    """A list item as quoted: whole when short; a numbered item keeps its title (“（三）强化工作闭环。”)
    and as many following sentences as fit; anything else, its best span."""
    if len(unit.text) <= LIST_LINE_CHARS:
        return unit.text
    if not ITEM_TITLE.match(unit.text):
        return _span(unit, plan)
    end = 0
    for _start, stop in split_spans(SENTENCE, unit.text):
        if end and stop > LIST_LINE_CHARS:
            break
        end = stop
    return unit.text[:end].strip()


SECTION_MATCH = 0.4  # share of the question's terms a section heading must carry to be "named"


def _chunk_ordinal(chunk_id: str) -> int:
    tail = chunk_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _named_section_items(plan: QueryPlan, passages: list[Passage], units: list[Unit], max_items: int) -> list[Unit]:
    """When the question names a section (“存在的问题”, “下步工作要求”), its items in document order."""
    terms = query_terms(plan)
    total = terms.total_weight or 1.0
    best_index, best_share = None, 0.0
    for index, passage in enumerate(passages):
        heading = passage.section.split(" > ")[0] if passage.section else ""
        share = match_score(heading, terms)[0] / total if heading else 0.0
        if share > best_share:
            best_index, best_share = index, share
    if best_index is None or best_share < SECTION_MATCH:
        return []
    top = passages[best_index].section.split(" > ")[0]
    doc = passages[best_index].doc
    members = sorted(
        (u for u in units if passages[u.passage].doc == doc and passages[u.passage].section.split(" > ")[0] == top),
        key=lambda u: (_chunk_ordinal(passages[u.passage].chunk_id), passages[u.passage].text.find(u.text)),
    )
    items: list[Unit] = []
    for unit in members:
        is_item_title = bool(ITEM_TITLE.match(unit.text))
        if (unit.text == top or (len(unit.text) <= 16 and not is_item_title) or unit.text.startswith("附件")
                or any(unit.text in c.text or c.text in unit.text for c in items)):
            continue
        items.append(unit)
        if len(items) >= max_items:
            break
    return items


def answer_status(plan: QueryPlan, passages: list[Passage]) -> Draft:
    if re.search(r"哪些|哪几|哪个", plan.question):
        return answer_list(plan, passages)
    draft = answer_lookup(plan, passages)
    return draft


def _after_anchor(span: str, anchors: list[str]) -> str:
    """The span from the first anchor mention on (figures before it belong to other subjects)."""
    for anchor in anchors:
        if anchor and anchor in span:
            return span[span.find(anchor):]
    return span


def _figure_masks(text: str) -> list[str]:
    """Masked figures, leaving out masked years (“XXXX年”), which hide a date, not the value asked."""
    return [m for m in masked_tokens(text) if not re.search(re.escape(m) + r"年", text) or len(m) != 4]


def _masks_after_anchor(span: str, anchors: list[str]) -> list[str]:
    return _figure_masks(_after_anchor(span, anchors)) or _figure_masks(span)


def _first_figure(span: str, want_rate: bool, anchors: list[str]) -> str | None:
    for figure in figures(_after_anchor(span, anchors)):
        if figure.endswith("%") == want_rate:
            return figure
    return None


def passage_year(passage: Passage) -> str:
    """The year a passage speaks about: its section's year when it has one, else the report's."""
    if passage.year_from == passage.year_to and passage.year_from:
        return str(passage.year_from)
    return str(passage.year or "")


def answer_compare(plan: QueryPlan, passages: list[Passage]) -> Draft:
    want_rate = plan.wants_rate or bool(re.search(r"增速|增长|增幅|率", plan.question))
    citer = Citer()
    rows: list[dict[str, str]] = []
    lines: list[str] = []
    values: list[tuple[str, str, float, str]] = []
    for region in plan.regions:
        own = [i for i, p in enumerate(passages) if p.region == region]
        sub_plan = plan.model_copy(update={"regions": [region], "route": "lookup"})
        own_passages = [passages[i] for i in own]
        units = score_units(units_of(own_passages), sub_plan, query_terms(sub_plan), own_passages)
        if not units or not _covers(units[0], sub_plan):
            rows.append({"地区": plan.region_name(region), "年份": "", "数值": "报告未给出", "出处": ""})
            lines.append(f"- {plan.region_name(region)}：所提供的报告中未找到相关数据")
            continue
        best = units[0]
        index = own[best.passage]
        passage = passages[index]
        span = _span(best, sub_plan)
        mark = citer.cite(index, span)
        year = passage_year(passage)
        rows.append({"地区": region, "年份": year, "数值": span, "出处": mark})
        masks = masked_tokens(span)
        suffix = f"（该数值以“{masks[0]}”隐去）" if masks and not figures(span) else ""
        lines.append(f"- {plan.region_name(region)}（{year}年）：{span}{mark}{suffix}")
        shown = _first_figure(span, want_rate, _anchors(best, sub_plan))
        if shown is not None:
            values.append((region, year, float(re.match(r"-?[\d.]+", shown).group(0)), f"{shown}{mark}"))  # type: ignore[union-attr]
    if all(r["数值"] == "报告未给出" for r in rows):
        return abstain(plan)
    text = "对比如下：\n" + "\n".join(lines)
    if len(values) >= 2:
        ordered = sorted(values, key=lambda v: -v[2])
        top, low = ordered[0], ordered[-1]
        conclusion = f"\n结论：按报告数字，{top[0]}（{top[1]}年，{top[3]}）高于{low[0]}（{low[1]}年，{low[3]}）"
        if len({v[1] for v in values}) > 1:
            conclusion += "；两地数据年份不同，不宜直接比较"
        text += conclusion + "。"
    return Draft(text=text, quotes=citer.quotes, table=rows)


def answer_extractive(plan: QueryPlan, passages: list[Passage]) -> Draft:
    if not passages:
        return abstain(plan)
    if plan.route == "compare" and len(plan.regions) >= 2:
        return answer_compare(plan, passages)
    if plan.route == "status":
        return answer_status(plan, passages)
    if plan.route in ("list", "summary"):
        return answer_list(plan, passages)
    return answer_lookup(plan, passages)
