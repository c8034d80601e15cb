"""Answering “status” and “compare” questions from extracted indicator records.

Every figure written here is copied from a record, and every record's figures are written in its
quote (an exact sentence of its chunk), which is what the answer cites. When the records do not
cover a question, `answer_from_records` returns None and the passage answerer takes over.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.analyse.question import QueryPlan
from bot.answer.draft import Citer, Draft
from ingest.clean import find_masks
from ingest.models import Indicator

# chunk id -> index of its passage in the list the chain verifies against (appended when needed)
PassageFetcher = Callable[[str], int | None]

STATUS_LABEL = {"exceeded": "超额完成", "met": "已完成", "not_met": "未完成", "unknown": "报告未说明是否完成"}
_NEGATIVE_Q = re.compile(r"未完成|没完成|没有完成|未达到|没达到|没有达到|未能|未实现|没实现|差距|落后|不达标")
_POSITIVE_Q = re.compile(r"超额|超过目标|超出目标")
_LIST_Q = re.compile(r"哪些|哪几|哪个|哪项|有什么")
_TALLY_Q = re.compile(r"多少项|几项|多少件|几件|完成率|完成了多少|完成多少|总体|整体")
_RATE_Q = re.compile(r"增速|增长率|增幅|增长了?多少|增长")


def _fmt(value: float) -> str:
    return f"{value:g}"


def _year_ok(record: Indicator, plan: QueryPlan, region: str) -> bool:
    year = plan.year_for(region)
    if year is None and plan.years and not plan.region_years:
        year = plan.years[0]
    return year is None or record.year == year


def _regions(plan: QueryPlan, records: list[Indicator]) -> list[str]:
    if plan.regions:
        return list(plan.regions)
    seen: list[str] = []
    for record in records:
        if record.region and record.region not in seen:
            seen.append(record.region)
    return seen


def _has_actual(record: Indicator) -> bool:
    return record.value is not None or record.growth_pct is not None or (record.masked and not record.target_text)


def _has_status_info(record: Indicator) -> bool:
    return (record.status != "unknown" or record.completion_pct is not None
            or (record.target_value is not None and _has_actual(record)))


def _masked_span(quote: str, name_raw: str) -> str:
    """The clause of the quote that carries a masked figure for this indicator."""
    for clause in re.findall(r"[^，,；;。]+", quote):
        if name_raw in clause and find_masks(clause):
            return clause
    return quote


def _status_line(record: Indicator, mark: str) -> str:
    """One indicator: target, actual, completion, status — all copied from the record's quote."""
    parts: list[str] = []
    if record.target_text:
        parts.append(f"目标：{record.target_text}")
    actual: list[str] = []
    if record.value is not None:
        actual.append(f"{_fmt(record.value)}{record.unit}")
    if record.growth_pct is not None:
        actual.append(f"增长{_fmt(record.growth_pct)}%")
    if actual:
        parts.append("实际：" + "，".join(actual))
    elif record.masked:
        span = _masked_span(record.quote, record.name_raw)
        parts.append(f"实际数值在报告中以“{find_masks(span)[0] if find_masks(span) else '*'}”隐去（“{span}”）")
    if record.completion_pct is not None:
        parts.append(f"完成目标任务的{_fmt(record.completion_pct)}%")
    parts.append(f"状态：{STATUS_LABEL[record.status]}")
    return f"- {record.name}：" + "；".join(parts) + mark


def _clause_with(quote: str, phrase: str) -> str:
    """The ；-segment of a long quote that contains phrase (the quote itself when short)."""
    if len(quote) <= 120:
        return quote
    for segment in re.findall(r"[^；;]+[；;]?", quote):
        if phrase in segment:
            return segment.strip("；; ")
    return quote


def _group_line(group: Indicator, named: list[Indicator], mark: str) -> str:
    text = f"报告称“{_clause_with(group.quote, group.name_raw)}”"
    if named:
        text += f"，其中只点名了{'、'.join(r.name_raw for r in named)}"
        if group.unnamed:
            text += "，其余的报告未点名"  # a derived count is not a figure of the report
    elif group.count is None:
        text += "，未点名具体是哪些指标"
    return text + mark


_GENERIC_STATUS_WORDS = re.compile(
    r"^(指标|事项|任务|目标任务|工作任务|经济指标|主要指标|项目|没有|未|超额|超过|年度|政府工作报告|报告|完成|达到|"
    r"实现|情况|多少|几项|哪些|件|项|政府|工作|落实|完成率|总体|整体|事)$"
)


def _specific_words(plan: QueryPlan) -> list[str]:
    """Content words of the question beyond the generic status vocabulary."""
    from bot.answer.evidence import query_terms

    return [w for w in query_terms(plan).words if not _GENERIC_STATUS_WORDS.match(w) and len(w) >= 2]


def _tally_clause(tally: Indicator) -> str:
    """The tally's own clause with its share, e.g. “未完成事项5项，占总任务数的2.9%”."""
    start = tally.quote.find(tally.name_raw)
    if start < 0:
        return tally.name_raw
    end = len(tally.quote)
    for stop in ("；", ";", "。", "（"):
        position = tally.quote.find(stop, start)
        if position >= 0:
            end = min(end, position)
    return tally.quote[start:end].strip("，, ")


def _tally_line(tally: Indicator, mark: str) -> str:
    if tally.status == "not_met" and tally.note:
        return (f"通报称“{_tally_clause(tally)}”，具体事项只列在附件中（{tally.note}），所提供的报告正文未包含该附件，"
                f"无法列出是哪些事项{mark}")
    return f"通报称“{tally.quote}”{mark}"


def _select_status(plan: QueryPlan, region_records: list[Indicator]) -> list[Indicator]:
    question = plan.question
    negative = bool(_NEGATIVE_Q.search(question))
    positive = bool(_POSITIVE_Q.search(question)) and not negative
    wanted = set(plan.indicators)
    words = _specific_words(plan) if not wanted else []
    if wanted or words:
        hits = [r for r in region_records if r.kind == "indicator" and _has_status_info(r)
                and (r.name in wanted or (words and all(w in r.name for w in words)))]
        quotes = {r.quote for r in hits}
        siblings = [r for r in region_records if r.quote in quotes and r not in hits and r.kind == "indicator"
                    and _has_status_info(r)]
        chosen = [r for r in region_records if r in hits or r in siblings]
    elif negative:
        chosen = [r for r in region_records if r.status == "not_met"]
    elif positive:
        chosen = [r for r in region_records if r.status == "exceeded"]
    elif _TALLY_Q.search(question) and any(r.kind == "tally" for r in region_records):
        chosen = [r for r in region_records if r.kind == "tally"]
    else:
        chosen = [r for r in region_records if r.status != "unknown" and r.kind != "indicator"] or [
            r for r in region_records if r.status != "unknown"]
    if negative and wanted:
        chosen = [r for r in chosen if r.status == "not_met"]
    if positive and wanted:
        chosen = [r for r in chosen if r.status == "exceeded"]
    return chosen


def answer_status_records(plan: QueryPlan, records: list[Indicator], fetch: PassageFetcher) -> Draft | None:
    regions = _regions(plan, records)
    negative = bool(_NEGATIVE_Q.search(plan.question))
    positive = bool(_POSITIVE_Q.search(plan.question)) and not negative
    generic = (negative or positive or _LIST_Q.search(plan.question) or _TALLY_Q.search(plan.question)
               or re.search(r"达到了吗|完成了吗|实现了吗|达标了吗|完成得|完成情况|达到目标|完成目标", plan.question))
    if not plan.indicators and not generic:
        return None
    words = _specific_words(plan)
    if not plan.indicators and words and not any(all(w in r.name for w in words) for r in records):
        return None  # asks about something records do not name (“民生工程”, “生猪出栏”): use passages
    citer = Citer()
    blocks: list[str] = []
    empty: list[str] = []
    answered = 0
    for region in regions:
        own = [r for r in records if r.region == region and _year_ok(r, plan, region)]
        chosen = _select_status(plan, own)
        lines: list[str] = []
        done_quotes: set[str] = set()
        groups = [r for r in chosen if r.kind == "group"]
        for record in chosen:
            if record.quote in done_quotes and record.kind != "indicator":
                continue
            index = fetch(record.chunk_id)
            if index is None:
                continue
            mark = citer.cite(index, record.quote)
            if record.kind == "group":
                named = [r for r in chosen if r.kind == "indicator" and r.quote == record.quote]
                lines.append("- " + _group_line(record, named, mark))
                done_quotes.add(record.quote)
            elif record.kind == "tally":
                if record.quote in done_quotes and not (record.status == "not_met" and record.note):
                    continue
                lines.append("- " + _tally_line(record, mark))
                done_quotes.add(record.quote)
            else:
                if any(g.quote == record.quote for g in groups) and not record.target_text and not _has_actual(record):
                    continue  # named inside a group statement: said in the group's line
                lines.append(_status_line(record, mark))
        year = plan.year_for(region) or (plan.years[0] if len(plan.years) == 1 else None)
        label = f"{plan.region_name(region)}{f'{year}年' if year else ''}"
        if lines:
            answered += 1
            blocks.append(f"{label}：\n" + "\n".join(lines))
        else:
            empty.append(label)
    if not answered and (plan.indicators or not (negative or positive)):
        return None
    text = "\n".join(blocks)
    if empty:
        what = "哪些指标未完成目标" if negative else "哪些指标超额完成" if positive else "相关指标的完成情况"
        text += "\n" + "\n".join(f"{label}：所提供的报告未说明{what}。" for label in empty)
    return Draft(text=text.strip(), quotes=citer.quotes, abstained=not answered)


def _pick_compare(records: list[Indicator], want_rate: bool) -> Indicator | None:
    """The record answering a comparison: the wanted figure, unmasked, latest year first."""
    def key(record: Indicator) -> tuple[int, int, int]:
        has = record.growth_pct is not None if want_rate else record.value is not None
        other = record.value is not None if want_rate else record.growth_pct is not None
        return (int(has), int(other), record.year or 0)

    usable = [r for r in records if _has_actual(r) or r.masked]
    return max(usable, key=key) if usable else None


def answer_compare_records(plan: QueryPlan, records: list[Indicator], fetch: PassageFetcher) -> Draft | None:
    if len(plan.regions) < 2 or not plan.indicators:
        return None
    indicator = plan.indicators[0]
    rate_indicator = indicator.endswith("率")
    want_rate = bool(_RATE_Q.search(plan.question)) and not rate_indicator
    citer = Citer()
    rows: list[dict[str, str]] = []
    lines: list[str] = []
    values: list[tuple[str, str, float, str]] = []
    for region in plan.regions:
        own = [r for r in records if r.region == region and r.name == indicator and r.kind == "indicator"
               and _year_ok(r, plan, region)]
        record = _pick_compare(own, want_rate)
        index = fetch(record.chunk_id) if record is not None else None
        if record is None or index is None:
            rows.append({"地区": region, "年份": "", "指标": indicator, "数值": "报告未给出", "增速": "报告未给出", "出处": ""})
            lines.append(f"- {plan.region_name(region)}：所提供的报告中未找到{indicator}的数据")
            continue
        mark = citer.cite(index, record.quote)
        year = str(record.year or "")
        value = f"{_fmt(record.value)}{record.unit}" if record.value is not None else ""
        growth = f"{_fmt(record.growth_pct)}%" if record.growth_pct is not None else ""
        if not value and not growth and record.masked:
            span = _masked_span(record.quote, record.name_raw)
            masks = find_masks(span)
            value = f"报告以“{masks[0] if masks else '*'}”隐去"
        rows.append({"地区": region, "年份": year, "指标": record.name_raw, "数值": value or "报告未给出",
                     "增速": growth or "报告未给出", "出处": mark})
        shown = "，".join(p for p in (value, f"增长{growth}" if growth else "") if p)
        lines.append(f"- {plan.region_name(region)}（{year}年）：{record.name_raw}{shown}{mark}")
        number = record.growth_pct if want_rate else record.value
        if number is not None:
            values.append((region, year, number, f"{growth if want_rate else value}{mark}"))
    if not values and not any(r["出处"] for r in rows):
        return None
    text = "对比如下：\n" + "\n".join(lines)
    if len(values) >= 2:
        ordered = sorted(values, key=lambda v: -v[2])
        top, low = ordered[0], ordered[-1]
        relation = "持平于" if top[2] == low[2] else "高于"
        text += f"\n结论：按报告数字，{top[0]}（{top[1]}年，{top[3]}）{relation}{low[0]}（{low[1]}年，{low[3]}）"
        years = sorted({v[1] for v in values})
        if len(years) > 1:
            text += f"；两地数据年份不同（{'年、'.join(years)}年），不宜直接比较"
        text += "。"
    return Draft(text=text, quotes=citer.quotes, table=rows)


def answer_from_records(plan: QueryPlan, records: list[Indicator], fetch_passage: PassageFetcher) -> Draft | None:
    """A records-based answer for status and compare questions, or None to use the passage answerer."""
    if not records:
        return None
    if plan.route == "status":
        return answer_status_records(plan, records, fetch_passage)
    if plan.route == "compare":
        return answer_compare_records(plan, records, fetch_passage)
    if plan.route == "lookup":
        return answer_target_records(plan, records, fetch_passage)
    return None


def answer_target_records(plan: QueryPlan, records: list[Indicator], fetch: PassageFetcher) -> Draft | None:
    """“…的目标是多少”: the target a record states for the asked indicator, quoted and cited."""
    if not (plan.wants_target and plan.indicators):
        return None
    regions = plan.regions or sorted({r.region for r in records})
    citer = Citer()
    lines: list[str] = []
    for region in regions:
        for record in records:
            if (record.region == region and record.name in plan.indicators and record.target_text
                    and _year_ok(record, plan, region) and record.target_text in record.quote):
                index = fetch(record.chunk_id)
                if index is None:
                    continue
                year = f"{record.year}年" if record.year else ""
                masks = find_masks(record.target_text)
                note = f"（报告中该目标值以“{masks[0]}”隐去，未公开具体数字）" if masks else ""
                lines.append(f"- {plan.region_name(region)}{year}{record.name}的目标：“{record.target_text}”{note}"
                             f"{citer.cite(index, record.quote)}")
    if not lines:
        return None
    return Draft(text="\n".join(lines), quotes=citer.quotes)
