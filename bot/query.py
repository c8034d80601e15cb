"""Question analysis: regions, years, indicators, what is asked, and the route."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, Field

from bot.models import Route
from ingest.terms import indicators_in

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年?")
_STATUS_WORDS = ("未完成", "没完成", "没有完成", "未达到", "没达到", "未能", "超额", "完成情况", "完成目标",
                 "完成了吗", "达到了吗", "达标", "目标完成", "完成得", "完成率", "实现目标", "实现了吗",
                 "完成了多少项", "完成多少项", "落实情况", "达到目标", "达成")
_COMPARE_WORDS = ("对比", "比较", "哪个更", "哪个高", "哪个低", "谁更", "更高", "更低", "更快", "更多", "分别",
                  "相比", "差距", "高于", "低于", "排名")
_LIST_WORDS = ("哪些", "有哪些", "什么措施", "哪几", "主要", "举措", "做了", "成效", "工作重点", "包括")
_SUMMARY_WORDS = ("概括", "总结一下", "主要内容", "概述", "讲了什么", "说了什么", "情况如何", "情况怎么样",
                  "进展如何", "怎么样了", "介绍一下")
_TARGET_WORDS = ("目标", "预期", "计划", "力争", "打算", "安排", "要求")
_ACTUAL_WORDS = ("实际", "完成了", "实现了", "达到了", "完成的")
_RATE_WORDS = ("增速", "增长率", "增幅", "增长了多少", "增长多少", "百分之", "比重", "占比", "率")
_AMOUNT_UNITS = ("亿元", "万元", "元", "万人", "人", "个", "项", "天", "户", "亩", "公里", "平方公里", "家")


class QueryPlan(BaseModel):
    question: str
    regions: list[str] = Field(default_factory=list)
    years: list[int] = Field(default_factory=list)
    kind: str | None = None
    route: Route = "lookup"
    indicators: list[str] = Field(default_factory=list)
    wants_target: bool = False
    wants_actual: bool = False
    wants_rate: bool = False
    wants_unit: str | None = None
    wants_number: bool = False
    region_years: dict[str, int] = Field(default_factory=dict)
    explicit_filters: bool = False

    def year_for(self, region: str | None) -> int | None:
        """The year asked about for one region ("云阳县2022年和冠县2021年…"), else the only year."""
        if region and region in self.region_years:
            return self.region_years[region]
        if len(set(self.years)) == 1 and not self.region_years:
            return self.years[0]
        return None


@lru_cache(maxsize=65536)
def region_aliases(region: str) -> tuple[str, ...]:
    """How people name a region: the full name, and the stem when it stays unambiguous (云阳县 → 云阳)."""
    aliases = [region]
    for suffix in ("自治县", "县", "区", "市", "镇", "乡", "街道", "省"):
        if region.endswith(suffix):
            stem = region[: -len(suffix)]
            if len(stem) >= 2 and not stem.startswith(("某", "XX")):
                aliases.append(stem)
            break
    return tuple(aliases)


@lru_cache(maxsize=8)
def _alias_table(known: tuple[str, ...]) -> tuple[dict[str, tuple[str, ...]], int]:
    """alias → the regions it names, and the longest alias length."""
    table: dict[str, list[str]] = {}
    for region in known:
        for alias in region_aliases(region):
            table.setdefault(alias, []).append(region)
    longest = max((len(alias) for alias in table), default=0)
    return {alias: tuple(regions) for alias, regions in table.items()}, longest


def find_regions(text: str, known: list[str] | tuple[str, ...]) -> list[str]:
    """Known regions named in text, in order of first mention. Scans the text's substrings against an
    alias table, so the cost does not grow with the number of known regions."""
    table, longest = _alias_table(tuple(known))
    first_seen: dict[str, int] = {}
    for start in range(len(text)):
        for end in range(start + 1, min(len(text), start + longest) + 1):
            for region in table.get(text[start:end], ()):
                first_seen.setdefault(region, start)
    return sorted(first_seen, key=lambda region: (first_seen[region], region))


def find_years(text: str) -> list[int]:
    years: list[int] = []
    for match in _YEAR.finditer(text):
        value = int(match.group(1))
        if value not in years:
            years.append(value)
    return years


_NUMBER_QUESTION = re.compile(
    r"多少|几[个项人天家所条户次倍]|增速|增幅|增长|比重|占比|[^目]率|金额|规模|总量|数量|数字|排名|第几|完成了?多少"
)


def years_by_region(question: str, regions: list[str]) -> dict[str, int]:
    """Years written right after a region name: “云阳县2022年和冠县2021年”."""
    pairs: dict[str, int] = {}
    for region in regions:
        for alias in region_aliases(region):
            match = re.search(re.escape(alias) + r"\s*((?:19|20)\d{2})\s*年", question)
            if match:
                pairs[region] = int(match.group(1))
                break
    return pairs


def wanted_unit(question: str) -> str | None:
    match = re.search(r"多少(" + "|".join(_AMOUNT_UNITS) + ")", question)
    if match:
        return match.group(1)
    match = re.search(r"(总量|总额|规模(?!以上))", question)
    return "amount" if match else None


def detect_route(question: str, regions: list[str]) -> Route:
    if len(regions) >= 2 or (regions and any(w in question for w in ("哪个更", "对比", "比较"))):
        return "compare"
    if any(w in question for w in _STATUS_WORDS):
        return "status"
    if any(w in question for w in _SUMMARY_WORDS):
        return "summary"
    if any(w in question for w in _LIST_WORDS) and not re.search(r"多少|几[个项人天]|是谁|是什么意思", question):
        return "list"
    return "lookup"


def analyse(
    question: str,
    known_regions: list[str],
    region: str | None = None,
    year: int | None = None,
    kind: str | None = None,
) -> QueryPlan:
    regions = [region] if region else find_regions(question, known_regions)
    years = [year] if year else find_years(question)
    route = detect_route(question, regions)
    return QueryPlan(
        question=question,
        regions=regions,
        years=years,
        kind=kind,
        route=route,
        indicators=indicators_in(question),
        wants_target=any(w in question for w in _TARGET_WORDS) and not any(w in question for w in _ACTUAL_WORDS),
        wants_actual=any(w in question for w in _ACTUAL_WORDS),
        wants_rate=any(w in question for w in _RATE_WORDS),
        wants_unit=wanted_unit(question),
        wants_number=bool(_NUMBER_QUESTION.search(question)),
        region_years=years_by_region(question, regions) if len(regions) > 1 else {},
        explicit_filters=bool(region or year or kind),
    )
