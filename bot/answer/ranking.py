"""Rankings across regions ("2025年各省地区生产总值增速排名", "哪个省一般公共预算收入增长最快？",
"…浙江排第几？", "龙岩市各县2023年GDP增速"), built from the same cells as the 对比 table.

Every figure stated is a fact's own quantity, cited with its sentence. A ranking says that it covers
only the indexed reports of that level, and names the regions whose reports do not give the figure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.analyse.question import QueryPlan, region_aliases
from bot.answer.draft import Citer, Draft
from bot.answer.facts import RANGE_TAIL, PassageFetcher, change_words
from bot.table.build import group_facts, make_cell
from bot.table.pick import indicator_units, is_rate, pick_facts
from bot.table.rank import RankedCell, rank_cells
from bot.table.select import default_years, region_label
from ingest.models import Fact
from ingest.regions import Region, region_from_name, within

# the levels a word for a kind of region covers ("各区县", "各县" reach districts too)
LEVEL_GROUPS: dict[str, tuple[str, ...]] = {
    "省": ("省",), "市": ("市",), "县": ("县", "区"), "区": ("区", "县"), "镇": ("镇", "乡", "街道"),
    "乡": ("乡", "镇", "街道"), "街道": ("街道", "镇", "乡"),
}
LEVEL_NAMES = {"省": "省级", "市": "市级", "县": "县级", "区": "县级", "镇": "乡镇级", "乡": "乡镇级", "街道": "乡镇级"}
_GROWTH_Q = re.compile(r"增速|增长|增幅|涨幅|最快|最慢")
_ASCENDING_Q = re.compile(r"最低|最慢|最小|最少|倒数|末位")
_SUPERLATIVE_Q = re.compile(r"最|哪个|哪一个|谁")


def ranking_regions(plan: QueryPlan, known: Sequence[Region]) -> list[Region]:
    """Every named indexed region of the level asked, under the place named when there is one
    ("龙岩市各县"); anonymous reports (某县) cannot be told apart in a ranking and are left out."""
    levels = LEVEL_GROUPS.get(plan.across_level, (plan.across_level,))
    named = [r for r in known if r.key in plan.regions]
    scopes = [r for r in [*named, *(region_from_name(name) for name in plan.scope_names)] if r.level not in levels]
    pool = [r for r in known if not r.anonymous and r.level in levels]
    if scopes:
        pool = [r for r in pool if any(within(r, scope) for scope in scopes)]
    unique: dict[str, Region] = {}
    for region in pool:
        unique.setdefault(region.key, region)
    return list(unique.values())


def _figure_text(fact: Fact, by: str) -> str:
    q = fact.quantity
    if q.unit and not q.text.endswith(q.unit):  # the first end of a range ("4.5-5%"): the range as written
        ranged = RANGE_TAIL.match(fact.quote, q.end)
        if ranged:
            q = q.model_copy(update={"text": q.text + ranged.group(0)})
    return change_words(q) if by == "growth" and q.unit == "%" else q.text


def answer_ranking(plan: QueryPlan, facts: list[Fact], known: Sequence[Region], titles: dict[str, str],
                   fetch: PassageFetcher) -> Draft | None:
    """The ranking a question asks for; an abstention when no region of that level is indexed; None when
    no region of the level gives the figure (the other answerers then say what the reports do give)."""
    if not plan.indicators or not plan.across_level:
        return None
    regions = ranking_regions(plan, known)
    if not regions:  # never another level's figures in place of the regions asked
        under = "、".join(plan.scope_names or [plan.region_name(k) for k in plan.regions])
        where = f"{under}下属的" if under else ""
        return Draft(text=f"已导入的报告中没有{where}{LEVEL_NAMES.get(plan.across_level, '')}地区的报告，无法排名或对比。",
                     quotes=[], abstained=True)
    indicator = plan.indicators[0]
    by_region = group_facts(facts)
    years = [y for y in plan.years] or default_years(by_region, regions, [indicator])
    if not years:
        return None
    year = years[0]
    by = "growth" if _GROWTH_Q.search(plan.question) and not is_rate(indicator) else "value"
    units = indicator_units(facts, [indicator])
    chosen: dict[str, tuple[Fact, str]] = {}  # label -> (the fact ranked, its region key)
    cells = []
    for region in regions:
        label = region_label(region)
        level, growth = pick_facts(by_region.get(region.key, []), region.key, label, indicator, year,
                                   units.get(indicator, frozenset()))
        fact = growth if by == "growth" else level
        cell = make_cell(label, indicator, year, level if by == "value" else None,
                         growth if by == "growth" else None, titles)
        cells.append(cell)
        if fact is not None:
            chosen[label] = (fact, region.key)
    ranking = rank_cells(cells, by=by, descending=not _ASCENDING_Q.search(plan.question), indicator=indicator,
                         year=year)
    ranked = [r for r in ranking if r.rank is not None]
    if not ranked:
        return None
    citer = Citer()
    computed = [f"{len(regions)}份", f"{len(ranked)}个"]

    def stated(entry: RankedCell) -> str:
        fact, _ = chosen[entry.cell.region]
        index = fetch(fact.chunk_id)
        mark = citer.cite(index, fact.quote) if index is not None else ""
        kind = "（目标）" if fact.stance == "plan" else "（预计）" if fact.stance == "forecast" else ""
        return f"{_figure_text(fact, by)}{kind}{mark}"

    scope = f"在已导入的{len(regions)}份{LEVEL_NAMES.get(plan.across_level, '')}报告中"
    what = f"{year}年{indicator}{'增速' if by == 'growth' else ''}"
    missing = [r.cell.region for r in ranking if r.rank is None]
    lines: list[str] = []
    named_here = {region_label(x) for x in known if x.key in plan.regions
                  and any(alias in plan.question for alias in region_aliases(x.name))}
    asked = [r for r in ranked if r.cell.region in named_here]
    if asked:  # "浙江排第几？"
        for entry in asked:
            computed.append(f"第{entry.rank}位")
            lines.append(f"{entry.cell.region}{year}年{indicator}{stated(entry)}，{scope}排第{entry.rank}位"
                         f"（{len(ranked)}个地区的报告给出此项）。")
    elif not _SUPERLATIVE_Q.search(plan.question):
        lines.append(f"{scope}，{what}排名：")
        lines.extend(f"{entry.rank}. {entry.cell.region} {stated(entry)}" for entry in ranked)
        computed.extend(f"{entry.rank}." for entry in ranked)
    else:
        top = ranked[0]
        word = "最低" if _ASCENDING_Q.search(plan.question) else "最高"
        tied = [e for e in ranked if e.rank == top.rank]
        lines.append(f"{scope}，{what}{word}的是"
                     + "、".join(f"{e.cell.region}：{stated(e)}" for e in tied) + "。")
    if missing:
        lines.append(f"未找到此项数字的地区：{'、'.join(missing)}。")
    return Draft(text="\n".join(lines), quotes=citer.quotes, computed=computed)


_TREND_Q = re.compile(r"近([二两三四五六七八九十\d])年|近几年|历年|逐年|这几年|趋势|走势|变化")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")} | {"两": 2}


def trend_years(plan: QueryPlan, facts: list[Fact]) -> list[int]:
    """The years a one-region question asks about: those it names, else ("近三年", "历年") the latest
    years the region's reports give figures for."""
    match = _TREND_Q.search(plan.question)
    separate_asks = len(re.findall(r"多少|几", plan.question)) > 1  # "2016年是多少？2011年是多少？"
    if len(plan.years) >= 2 and not (match and match.group(1)) and not separate_asks:
        return sorted(plan.years)  # "近三年" is the reports' last three, not the calendar's
    if not match:
        return []
    count = 3
    if match.group(1):
        count = int(match.group(1)) if match.group(1).isdigit() else _CN_DIGITS[match.group(1)]
    years = sorted({f.year for f in facts if f.year and not f.span and f.stance != "plan"})
    return years[-count:]


def answer_trend(plan: QueryPlan, facts: list[Fact], fetch: PassageFetcher) -> Draft | None:
    """One region's figure year by year ("上杭县近三年GDP增速"), each year cited, 未找到 where its
    reports do not give it; None unless one region, one indicator and several years are asked."""
    if len(plan.regions) != 1 or not plan.indicators:
        return None
    key = plan.regions[0]
    own = [f for f in facts if f.region == key and not f.span]
    years = trend_years(plan, own)
    if len(years) < 2:
        return None
    indicator = plan.indicators[0]
    by = "growth" if _GROWTH_Q.search(plan.question) and not is_rate(indicator) else "value"
    units = indicator_units(own, [indicator])
    name = plan.region_name(key)
    citer = Citer()
    lines = [f"{name}{indicator}{'增速' if by == 'growth' else ''}（按已导入的报告）："]
    found = 0
    for year in years:
        level, growth = pick_facts(own, key, name, indicator, year, units.get(indicator, frozenset()))
        fact = growth if by == "growth" else level
        if fact is None or fact.year != year:  # a figure of unknown year is no year's figure in a series
            lines.append(f"- {year}年：报告中未找到")
            continue
        index = fetch(fact.chunk_id)
        mark = citer.cite(index, fact.quote) if index is not None else ""
        kind = "（目标）" if fact.stance == "plan" else "（预计）" if fact.stance == "forecast" else ""
        lines.append(f"- {year}年：{_figure_text(fact, by)}{kind}{mark}")
        found += 1
    if not found:
        return None
    return Draft(text="\n".join(lines), quotes=citer.quotes)
