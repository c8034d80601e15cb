"""Question analysis: regions, years, indicators, what is asked, and the route."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from pydantic import BaseModel, Field

from bot.models import Route
from ingest.periods import time_ref
from ingest.regions import Region, within, written_forms
from ingest.regions import find_regions as match_regions
from ingest.terms import indicators_in

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
    part: str = ""  # part of a year asked about ("H1", "Q1-3"…)
    wants_span: bool = False  # asks about a multi-year figure (年均, 累计, 十四五…)
    unknown_regions: list[str] = Field(default_factory=list)  # places named that no indexed report is about
    region_names: dict[str, str] = Field(default_factory=dict)  # region key -> name as shown
    years_carried: bool = False  # the years come from the conversation, not from this question
    described_level: str = ""  # "那个区…": a region described by its level only
    report_year: int | None = None  # "2026年政府工作报告指出…": the year names the report, not the period
    report_docs: list[str] = Field(default_factory=list)  # the indexed reports of that year
    described_doc: str = ""  # words that identify one report ("提到“徐沛经济圈”的那篇…里，")
    across_level: str = ""  # "各省…", "哪个县…": every indexed region of that level (a ranking)
    scope_names: list[str] = Field(default_factory=list)  # places named that hold regions, not reports ("龙岩市各县")

    def region_name(self, key: str) -> str:
        return self.region_names.get(key) or key.split("#", 1)[0]

    def year_for(self, region: str | None) -> int | None:
        """The year asked about for one region ("云阳县2022年和冠县2021年…"), else the only year."""
        if region and region in self.region_years:
            return self.region_years[region]
        if len(set(self.years)) == 1 and not self.region_years:
            return self.years[0]
        return None


@lru_cache(maxsize=65536)
def region_aliases(region: str) -> tuple[str, ...]:
    """How people name a region: the forms the division parser knows (宁夏回族自治区 → 宁夏), else the
    full name and its stem when that stays unambiguous (昌硕街道 → 昌硕)."""
    known = written_forms(region)
    if len(known) > 1:
        return known
    aliases = [region]
    for suffix in ("自治县", "县", "区", "市", "镇", "乡", "街道", "省"):
        if region.endswith(suffix):
            stem = region[: -len(suffix)]
            if len(stem) >= 2 and not stem.startswith(("某", "XX")):
                aliases.append(stem)
            break
    return tuple(aliases)


def find_regions(text: str, known: list[Region]) -> list[str]:
    """Keys of the indexed regions a text names, in order of mention; a province or city that has no
    report of its own reaches the indexed regions under it."""
    return resolve_regions(text, known)[0]


def resolve_regions(text: str, known: list[Region]) -> tuple[list[str], list[str]]:
    """(keys of indexed regions named or reached, names of real places named that no report is about)."""
    match = match_regions(text, known)
    keys = [r.key for r in match.indexed]
    named = {r.name for r in match.indexed}
    for scope in match.scopes:
        if scope.key in keys or scope.name in named:
            continue  # the place has reports of its own: those answer for it
        # a place with no report of its own ("龙岩市各县"): the indexed regions under it
        keys.extend(r.key for r in match.under if within(r, scope) and r.key not in keys)
    return keys, list(match.unknown)


_LEVEL_RANK = {"省": 0, "市": 1, "县": 2, "区": 2, "镇": 3, "乡": 3, "街道": 3}


def drop_locators(regions: list[str], known: list[Region]) -> list[str]:
    """"山东x镇", "安徽那个XX镇": a place above an anonymous region's level only says where it lies; the
    question is about the anonymous one, not a comparison with the province."""
    by_key = {r.key: r for r in known}
    anonymous = [by_key[k] for k in regions if k in by_key and by_key[k].anonymous]
    if not anonymous:
        return regions
    deepest = max(_LEVEL_RANK.get(r.level, 3) for r in anonymous)
    return [k for k in regions
            if k not in by_key or by_key[k].anonymous or _LEVEL_RANK.get(by_key[k].level, 3) >= deepest]


_DESCRIBED_DOCUMENT = re.compile(r"^.*那[篇个份].*?[里中内][，,]")
_ASIDE = re.compile(r"[（(][^）)]*[）)]")


def asked_part(question: str) -> str:
    """The question without what only identifies the document ("提到“绿满荆楚”行动的那篇XX镇2022政府工作报告
    里，…", "（讲“后拆迁时代”的那篇）"): those words pick the report, they are not what the figure is called."""
    text = _ASIDE.sub(" ", question)
    return _DESCRIBED_DOCUMENT.sub(" ", text).strip() or text


_DESCRIBING_CLAUSE = re.compile(r"^.{4,}?的那[个篇份]")


def document_description(question: str) -> str:
    """The words of a question that identify one report ("有CFL信息安全项目的那个xx镇的工作总结里，",
    "与某公司签约的那个XX镇"), or ""."""
    described = _DESCRIBED_DOCUMENT.match(question) or _DESCRIBING_CLAUSE.match(question)
    asides = [a for a in _ASIDE.findall(question) if re.search(r"那[篇个份]|提到|讲|有", a)]
    if not described and not asides:
        return ""
    return " ".join(([described.group(0)] if described else []) + asides)


_REPORT_YEAR = re.compile(
    r"((?:19|20)\d{2})\s*年?度?的?[\u4e00-\u9fff]{0,3}?(?:政府工作报告|工作报告|工作总结|报告|通报)(?!期|告期)")


def report_year(question: str) -> int | None:
    """The year a question names a report by ("海南省2026年政府工作报告指出…", "XX镇2022政府工作报告里")."""
    match = _REPORT_YEAR.search(question)
    return int(match.group(1)) if match else None


def find_years(text: str, today: date | None = None) -> list[int]:
    """Years a question names, written (2025年) or relative to today (去年, 今年上半年)."""
    return time_ref(text, today).years


_NUMBER_QUESTION = re.compile(
    r"多少|几[个项人天家所条户次倍]|增速|增幅|增长|比重|占比|[^目]率|金额|规模|总量|数量|数字|排名|第几|完成了?多少"
)


def years_by_region(question: str, regions: list[str], names: dict[str, str]) -> dict[str, int]:
    """Years written right after a region name: “云阳县2022年和冠县2021年”."""
    pairs: dict[str, int] = {}
    for region in regions:
        for alias in region_aliases(names.get(region, region)):
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


def detect_route(question: str, regions: list[str], names: dict[str, str] | None = None) -> Route:
    """The answer route; several anonymous documents of one name (某县) are one lookup, not a comparison."""
    named = {(names or {}).get(r, r) for r in regions}
    if len(named) >= 2 or (regions and any(w in question for w in ("哪个更", "对比", "比较"))):
        return "compare"
    if any(w in question for w in _STATUS_WORDS):
        return "status"
    if any(w in question for w in _SUMMARY_WORDS):
        return "summary"
    if any(w in question for w in _LIST_WORDS) and not re.search(r"多少|几[个项人天]|是谁|是什么意思", question):
        return "list"
    return "lookup"


_ACROSS = re.compile(r"(?:各|哪个|哪些|哪一个|哪几个|所有|全部)(省|市|县|区|镇|乡|街道)(?![长委级政])")


def across_level(question: str) -> str:
    """The kind of region a question ranges over ("2025年各省…排名", "哪个县…最快"), or ""."""
    match = _ACROSS.search(question)
    return match.group(1) if match else ""


_DESCRIBED_REGION = re.compile(r"(?:那个|这个|该)(县|区|镇|乡|街道|市|省)(?!场|长|委|政府)")
_LEVEL_WORDS = {"县": "县", "区": "区", "镇": "镇", "乡": "乡", "街道": "街道", "市": "市", "省": "省"}


def filter_region(region: str, known: list[Region]) -> str:
    """The index key for a region filter given by name ("冠县", "浙江") or by key."""
    for candidate in known:
        if region in (candidate.key, candidate.name):
            return candidate.key
    keys = find_regions(region, known)
    return keys[0] if keys else region


def analyse(
    question: str,
    known_regions: list[Region],
    region: str | None = None,
    year: int | None = None,
    kind: str | None = None,
    today: date | None = None,
) -> QueryPlan:
    names = {r.key: r.name for r in known_regions}
    if region:
        regions, unknown = [filter_region(region, known_regions)], []
    else:
        regions, unknown = resolve_regions(question, known_regions)
        regions = drop_locators(regions, known_regions)
    when = time_ref(question, today)
    years = [year] if year else when.years
    named_report = None if year else report_year(question)
    if named_report is not None and question.count(str(named_report)) == 1:
        years = [y for y in years if y != named_report]
    route = detect_route(question, regions, names)
    across = across_level(question)
    indicators = indicators_in(question)
    if across and indicators:
        route = "rank"
    described = _DESCRIBED_REGION.search(question) if not regions else None
    return QueryPlan(
        described_level=_LEVEL_WORDS.get(described.group(1), "") if described else "",
        report_year=named_report,
        described_doc=document_description(question),
        part=when.part,
        wants_span=bool(when.span),
        unknown_regions=unknown,
        region_names={key: names.get(key, key) for key in regions},
        question=question,
        regions=regions,
        years=years,
        kind=kind,
        route=route,
        indicators=indicators,
        across_level=across,
        scope_names=[sc.name for sc in match_regions(question, known_regions).scopes] if across else [],
        wants_target=any(w in question for w in _TARGET_WORDS) and not any(w in question for w in _ACTUAL_WORDS),
        wants_actual=any(w in question for w in _ACTUAL_WORDS),
        wants_rate=any(w in question for w in _RATE_WORDS),
        wants_unit=wanted_unit(question),
        wants_number=bool(_NUMBER_QUESTION.search(question)),
        region_years=years_by_region(question, regions, names) if len(regions) > 1 else {},
        explicit_filters=bool(region or year or kind),
    )
