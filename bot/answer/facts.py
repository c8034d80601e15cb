"""Lookups answered from figure facts: the fact whose subject, measure, period and stance fit the
question, stated in one short lead sentence built from the fact's own quote.

The lead copies the report's clause (subject … figure) out of the fact's quote, so every figure it
states is in the cited passage. When the asked figure is absent but a related one is present, the
answer names the one it gives; it never gives another region's or another indicator's figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.analyse.question import QueryPlan
from bot.answer.conflicts import Conflict, conflict_note, rivals
from bot.answer.draft import Citer, Draft
from bot.answer.evidence import QueryTerms, match_score, query_terms
from ingest.models import Fact
from ingest.quantity import Quantity
from ingest.regions import Region
from ingest.terms import UMBRELLA_INDICATORS, related_indicators, surface_forms
from ingest.vocabulary import BASELINE_BEFORE_RE, BOUND_QUALIFIERS, CLAUSE_SEPARATORS

# chunk id -> index of its passage in the list the chain verifies against (appended when needed)
PassageFetcher = Callable[[str], int | None]

SUBJECT_MIN = 0.6  # share of the question's content words a fact's subject must carry
LEAD_CLAUSE_CHARS = 48
_RATE_Q = re.compile(r"增速|增长率|增幅|增长了?多少|增长的?(?:预期)?目标|涨幅|降幅|下降了?多少|增长几|增长还是下降|增还是降|升还是降")
_SHARE_Q = re.compile(r"占比|比重|比例|覆盖率|[^增]率")
_RANK_Q = re.compile(r"排名|第几|位次|排第")
_COMPLETION_Q = re.compile(r"完成率|完成了?(?:年度|全年|年)?(?:目标|计划|任务|预算)的?多少|完成进度")
_FORECAST_Q = re.compile(r"预计")
_STRICT_AMOUNT_Q = re.compile(r"多少(?:亿元|万元|元|万人|人|个|家|项|吨|万吨|亩|公里|户|天|头|亿斤)|总额|总量|规模(?!以上)")
_AMOUNT_Q = re.compile(r"是多少|有多少|多少")


RANGE_TAIL = re.compile(r"\s*[—–\-~～至到]\s*\d+(?:\.\d+)?\s*%")
_QUALIFIER_TAIL = re.compile(r"左右|以上|以内|以下")
_CHANGE_TAIL = re.compile(
    r"[，,、]?\s*(?:同比|比上年|较上年)?(?:分别)?(?:增长|下降|增加|减少|提高|回落|降低)\s*-?\d+(?:\.\d+)?\s*%"
    r"(?!\s*[、和及]\s*-?\d)"  # "同比分别增长4.1%、-12.6%" is the change of several subjects, not of this one
)


@dataclass
class Scored:
    fact: Fact
    subject: float
    score: float


def measure_asks(plan: QueryPlan) -> list[tuple[str, ...]]:
    """The measures asked, one tuple per ask: "是多少？增长多少？" asks for an amount and a change."""
    measures = wanted_measures(plan)
    # "增速是多少" is one ask: the 多少 belongs to the rate
    rest = _RATE_Q.sub("", re.sub(rf"(?:{_RATE_Q.pattern})\s*(?:是|为|有)?\s*(?:多少|几)", "", plan.question))
    if measures[0] == "growth" and (_STRICT_AMOUNT_Q.search(rest) or _AMOUNT_Q.search(rest)):
        return [("amount", "count"), measures]
    return [measures]


def wanted_measures(plan: QueryPlan) -> tuple[str, ...]:
    """Measures that answer the question, best first."""
    q = plan.question
    if _COMPLETION_Q.search(q):
        return ("completion", "ratio")
    if _RANK_Q.search(q):
        return ("rank",)
    if _RATE_Q.search(q):
        return ("growth", "points")
    if any(ind.endswith("率") for ind in plan.indicators) or _SHARE_Q.search(q):
        return ("share", "ratio", "growth", "points")
    if _STRICT_AMOUNT_Q.search(q):
        return ("amount", "count")
    if _AMOUNT_Q.search(q):
        return ("amount", "count", "growth", "share", "ratio")
    return ("amount", "count", "growth", "share", "ratio", "points", "rank", "completion")


def wanted_stances(plan: QueryPlan) -> tuple[str, ...]:
    if _COMPLETION_Q.search(plan.question) or plan.route == "status":
        return ("actual", "forecast")  # completion and status are results, however the question names the plan
    if plan.wants_target:
        return ("plan",)
    if _FORECAST_Q.search(plan.question):
        return ("forecast", "actual")
    return ("actual", "forecast")


def subject_match(fact: Fact, plan: QueryPlan, terms: QueryTerms) -> float:
    """How well a fact's subject names what is asked: 1.0 for the asked indicator itself, 0 for another
    indicator, else the share of the question's content words the subject carries."""
    if not fact.subject:
        return 0.0
    if plan.indicators:
        if fact.canonical in plan.indicators:
            return 1.0
        if fact.canonical:
            return 0.0
        if any(form in fact.subject for ind in plan.indicators for form in surface_forms(ind)):
            return 0.8  # named inside a longer phrase ("粮食产量连续13年"): weaker than the name itself
        return 0.0
    total = terms.total_weight or 1.0
    score, _ = match_score(fact.subject, terms)
    return min(score / total, 1.0)


def score_fact(fact: Fact, plan: QueryPlan, terms: QueryTerms, measures: tuple[str, ...],
               stances: tuple[str, ...]) -> Scored | None:
    subject = subject_match(fact, plan, terms)
    if subject <= 0:
        return None
    year = plan.year_for(fact.region)
    if year is not None and fact.year is not None and fact.year != year:
        return None
    if bool(fact.span) != plan.wants_span:
        return None
    if plan.part and fact.part and fact.part != plan.part:
        return None
    if fact.stance not in stances:
        return None
    score = 3.0 * subject
    measure = fact.measure
    if measure in measures:
        score += 1.5 - 0.3 * measures.index(measure)
    else:
        return None
    score += 0.5 - 0.25 * stances.index(fact.stance)
    if plan.wants_unit and plan.wants_unit != "amount":
        # "多少亿元" asks for money, "多少人" for people: another unit does not answer it
        wanted = plan.wants_unit.lstrip("万亿千")
        if not fact.quantity.masked and fact.quantity.unit != wanted:
            return None
        score += 0.5
    if fact.quantity.masked:
        score -= 0.2
    if fact.part != plan.part:
        # a part of the year ("前三季度") answers a whole-year question only when nothing else does; a
        # figure with no part named may be the part asked (a quarterly bulletin says "全县…" only)
        score -= 1.0 if fact.part else 0.8
    if year is not None and fact.year is None:
        score -= 0.3  # a report whose year is unknown may still be the one asked about
    if any(b in fact.quantity.qualifiers for b in BOUND_QUALIFIERS):
        score -= 0.4  # a threshold ("突破2万元") when the exact figure may stand beside it
    if BASELINE_BEFORE_RE.search(fact.quote[: fact.quantity.start]):
        score -= 0.6  # a starting value ("由7484元提高到…")
    return Scored(fact, subject, score)


def rank_facts(plan: QueryPlan, facts: list[Fact], measures: tuple[str, ...] | None = None) -> list[Scored]:
    terms = query_terms(plan)
    measures, stances = measures or wanted_measures(plan), wanted_stances(plan)
    scored = [s for f in facts if (s := score_fact(f, plan, terms, measures, stances)) is not None]
    return sorted(scored, key=lambda s: -s.score)


def lead_clause(fact: Fact) -> str:
    """The report's own words from the subject to the figure (“全省生产总值增长5.5%”), cut to the
    figure's clause when the subject stands far before it."""
    quote = fact.quote
    q = fact.quantity
    end = q.end if quote[q.start : q.end] == q.text else quote.find(q.text) + len(q.text)
    if end <= 0:
        return fact.subject + q.text
    # keep what completes the figure: the other end of a range ("5%—5.5%"), a qualifier (左右/以上),
    # and the change that follows an amount ("41亿元，增长9%", "15.68亿元，下降7.78%")
    same_unit_list = re.compile(
        rf"(?:\s*[、和及与]\s*-?\d+(?:\.\d+)?\s*{re.escape(q.scale_word + q.unit)})+") if q.unit else None
    for tail_pattern in (same_unit_list, RANGE_TAIL, _QUALIFIER_TAIL, _CHANGE_TAIL):
        tail = tail_pattern.match(quote, end) if tail_pattern is not None else None
        if tail:
            end = tail.end()
    start = quote.rfind(fact.subject, 0, end) if fact.subject else -1
    clause_start = max(quote.rfind(c, 0, max(q.start, 0)) for c in CLAUSE_SEPARATORS) + 1
    if start >= 0 and (start >= clause_start or end - start <= LEAD_CLAUSE_CHARS // 2):
        return quote[start:end]
    clause = quote[clause_start:end].strip()
    if fact.subject and fact.subject not in clause:
        return f"{fact.subject}{clause}"
    return clause


def state_fact(fact: Fact, mark: str, region_name: str) -> str:
    """One sentence: region, year, the report's clause with the figure, stance, citation."""
    year = f"{fact.year}年" if fact.year else ""
    part = {"H1": "上半年", "H2": "下半年", "Q1": "一季度", "Q1-3": "前三季度"}.get(fact.part, "")
    clause = lead_clause(fact)
    if fact.quantity.masked:
        return f"{region_name}{year}{part}{fact.subject}在报告中以“{fact.quantity.text}”隐去，未公开具体数字：“{clause}”{mark}"
    status = {"exceeded": "（超额完成）", "not_met": "（未完成）"}.get(fact.status, "")
    if fact.stance == "plan":
        return f"{region_name}{year}{part}预期目标：{clause}{mark}"
    if status and fact.measure == "completion":
        return f"{region_name}{year}{part}{clause}{status}{mark}"
    if fact.stance == "forecast":
        return f"{region_name}{year}{part}（报告预计）{clause}{mark}"
    return f"{region_name}{year}{part}{clause}{mark}"


def answer_facts(plan: QueryPlan, facts: list[Fact], fetch: PassageFetcher,
                 titles: dict[str, str] | None = None) -> Draft | None:
    """A lookup answered from facts, one line per indicator asked, or None when no fact names it.
    When another document states the same figure differently, both are given (see conflicts)."""
    asked = [plan] if len(plan.indicators) <= 1 else [
        plan.model_copy(update={"indicators": [indicator]}) for indicator in plan.indicators]
    citer = Citer()
    lines: list[str] = []
    conflicts: list[Conflict] = []
    for sub in asked:
        for measures in measure_asks(sub):
            ranked = rank_facts(sub, facts, measures)
            if not ranked or ranked[0].subject < SUBJECT_MIN:
                continue
            fact = ranked[0].fact
            if any(fact.quantity.text in line for line in lines):
                continue  # already stated with the figure before it ("41亿元，增长9%")
            index = fetch(fact.chunk_id)
            if index is None:
                continue
            change = paired_change(fact, facts) if len(measures) > 2 and fact.measure == "amount" else None
            line = state_fact(fact, citer.cite(index, fact.quote), plan.region_name(fact.region))
            mark = line[line.rindex("["):] if line.endswith("]") else ""
            if change is not None and change.quantity.text not in line:
                line = f"{line.removesuffix(mark)}（{change_words(change.quantity)}）{mark}"
            lines.append(line + disagreement(fact, ranked, mark, citer, fetch, titles, plan, conflicts))
    if not lines:
        return None
    return Draft(text="\n".join(lines), quotes=citer.quotes, conflicts=conflicts)


def disagreement(fact: Fact, ranked: list[Scored], mark: str, citer: Citer, fetch: PassageFetcher,
                 titles: dict[str, str] | None, plan: QueryPlan, conflicts: list[Conflict]) -> str:
    """A new line giving the figures other documents state for `fact`'s figure ("" when none differ);
    the Conflict goes into `conflicts`."""
    others = rivals(fact, (s.fact for s in ranked if s.fact is not fact))
    shown = conflict_note(fact, others, mark, citer, fetch, titles or {}, plan.region_name(fact.region),
                          lead_clause) if others and mark else None
    if shown is None:
        return ""
    conflicts.append(shown[1])
    return "\n" + shown[0]


def paired_change(amount: Fact, facts: list[Fact], measure: str = "growth") -> Fact | None:
    """The change the same passage states for an amount ("…2亿元，同比分别-6.2%、-19.3%"): an answer to
    "是多少" gives both, as reports do, and a table cell takes both from one sentence."""
    for fact in facts:
        if (fact.chunk_id == amount.chunk_id and fact.measure == measure and fact.year == amount.year
                and fact.stance == amount.stance and fact.part == amount.part and fact.span == amount.span
                and fact.subject and (fact.subject == amount.subject or (
                    fact.canonical and fact.canonical == amount.canonical))):
            return fact
    return None


def change_words(q: Quantity) -> str:
    """A change as the answer says it: 增长5%, 下降3.1%, 增速-19.3% (a sign written as such)."""
    if q.text.lstrip().startswith(("-", "－")):
        return f"增速{q.text}"
    return f"{'下降' if q.negative else '增长'}{q.text}"


def answer_related(plan: QueryPlan, facts: list[Fact], fetch: PassageFetcher) -> Draft | None:
    """The asked indicator is absent: name a related figure the reports do give, as that figure."""
    if not plan.indicators:
        return None
    asked = plan.indicators[0]
    umbrella = UMBRELLA_INDICATORS.get(asked, ())
    related = umbrella or related_indicators(asked)
    if not related:
        return None
    relaxed = plan.model_copy(update={"indicators": list(related)})
    ranked = rank_facts(relaxed, facts)
    if not ranked:
        return None
    fact = ranked[0].fact
    index = fetch(fact.chunk_id)
    if index is None:
        return None
    citer = Citer()
    mark = citer.cite(index, fact.quote)
    year = f"{fact.year}年" if fact.year else ""
    name = plan.region_name(fact.region)
    if umbrella:  # a general word: the specific figure answers it, named as what it is
        return Draft(text=f"{name}{year}{lead_clause(fact)}{mark}（报告未单列“{asked}”，此为{fact.canonical or fact.subject}）",
                     quotes=citer.quotes)
    text = f"报告未给出{name}{year}{asked}；给出的是{lead_clause(fact)}{mark}（口径不同，不可混用）。"
    return Draft(text=text, quotes=citer.quotes, abstained=True)


def answer_compare_facts(plan: QueryPlan, facts: list[Fact], fetch: PassageFetcher,
                         titles: dict[str, str] | None = None) -> Draft | None:
    """Each region's fact for the asked figure, one line each, and which is higher when the figures
    are of one kind; a region whose reports do not give it says so, and one whose documents disagree
    shows both figures."""
    if len(plan.regions) < 2:
        return None
    citer = Citer()
    conflicts: list[Conflict] = []
    lines: list[str] = []
    rows: list[dict[str, str]] = []
    values: list[tuple[str, Fact, str]] = []
    for region in plan.regions:
        name = plan.region_name(region)
        own = [f for f in facts if f.region == region]
        sub = plan.model_copy(update={"regions": [region], "route": "lookup"})
        ranked = [s for s in rank_facts(sub, own) if s.subject >= SUBJECT_MIN]
        index = fetch(ranked[0].fact.chunk_id) if ranked else None
        if not ranked or index is None:
            lines.append(f"- {name}：报告中未找到{_asked(plan)}")
            rows.append({"地区": name, "年份": "", "指标": _asked(plan), "数值": "报告未给出", "出处": ""})
            continue
        fact = ranked[0].fact
        mark = citer.cite(index, fact.quote)
        lines.append(f"- {state_fact(fact, mark, name)}"
                     + disagreement(fact, ranked, mark, citer, fetch, titles, plan, conflicts).replace("\n", "\n  "))
        rows.append({"地区": name, "年份": str(fact.year or ""), "指标": fact.subject, "数值": fact.quantity.text,
                     "出处": mark})
        if not fact.quantity.masked:
            values.append((name, fact, mark))
    if not values and not any(r["出处"] for r in rows):
        return None
    text = "\n".join(lines)
    comparable = [v for v in values if v[1].measure == values[0][1].measure
                  and v[1].quantity.unit == values[0][1].quantity.unit]
    if len(comparable) >= 2 and len(comparable) == len(values):
        ordered = sorted(comparable, key=lambda v: -(v[1].quantity.base_value or 0.0))
        top = ordered[0]
        years = sorted({v[1].year for v in comparable if v[1].year})
        note = ("（各地数据年份不同：" + "、".join(f"{v[0]}{v[1].year}年" for v in comparable) + "，仅供参考）"
                if len(years) > 1 else "")
        if all(v[1].quantity.same_as(top[1].quantity) for v in comparable):
            text += f"\n结论：按报告数字，{'、'.join(v[0] for v in comparable)}持平{note}。"
        else:
            text += f"\n结论：按报告数字，{top[0]}最高（{top[1].quantity.text}{top[2]}）{note}。"
        if conflicts:
            text += "（注意：有地区的数字各文件不一致，见上）"
    return Draft(text=text, quotes=citer.quotes, table=rows, conflicts=conflicts)


def _asked(plan: QueryPlan) -> str:
    year = f"{plan.years[0]}年" if len(plan.years) == 1 else ""
    return f"{year}{'、'.join(plan.indicators) or '相关数据'}"


def unknown_region(plan: QueryPlan, known: list[Region], shown: int = 12) -> Draft:
    """The question names places no indexed report is about: say so, and what is indexed."""
    names = list(dict.fromkeys(r.name for r in known if not r.anonymous))
    listed = "、".join(names[:shown]) + ("等地区" if len(names) > shown else "")
    text = f"未找到该地区的报告：{'、'.join(plan.unknown_regions)}。"
    if listed:
        text += f"已导入报告的地区有：{listed}。"
    return Draft(text=text, quotes=[], abstained=True)


def answer_targets(plan: QueryPlan, facts: list[Fact], fetch: PassageFetcher, most: int = 10) -> Draft | None:
    """“…有哪些主要预期目标”: the plan figures of the passage that names the most known indicators, in
    its order, one cited line each."""
    year = plan.years[0] if len(plan.years) == 1 else None
    plans = [f for f in facts if f.stance == "plan" and not f.span and (year is None or f.year == year)
             and f.subject and not f.quantity.masked]
    if not plans:
        return None
    by_chunk: dict[str, list[Fact]] = {}
    for fact in plans:
        by_chunk.setdefault(fact.chunk_id, []).append(fact)
    # the passage of the headline targets names the most known indicators (地区生产总值, 城镇新增就业…)
    chunk_id, chosen = max(by_chunk.items(), key=lambda item: (len({f.canonical for f in item[1] if f.canonical}),
                                                              len(item[1])))
    if len(chosen) < 2:
        return None
    index = fetch(chunk_id)
    if index is None:
        return None
    citer = Citer()
    lines: list[str] = []
    for fact in sorted(chosen, key=lambda f: (f.quote_start, f.quantity.start))[:most]:
        line = f"- {lead_clause(fact)}{citer.cite(index, fact.quote)}"
        if line not in lines:
            lines.append(line)
    head = f"{plan.region_name(chosen[0].region)}{chosen[0].year or ''}{'年' if chosen[0].year else ''}的预期目标："
    return Draft(text=head + "\n" + "\n".join(lines), quotes=citer.quotes)
