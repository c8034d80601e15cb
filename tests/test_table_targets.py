"""Targets across regions (bot.table.targets, the 指标 tab): each region's target beside its result,
with the status the report states, a completion rate gives, or the figures compared. Short sentences
written here in the reports' usual style: a 2025 report sets the 2025 targets, a 2026 report reviews
2025."""

from __future__ import annotations

import pytest

from bot.table.models import TableError
from bot.table.targets import TargetRow, target_table, target_years
from ingest.facts import facts_of_chunk
from ingest.models import Chunk, Fact
from ingest.regions import Region

REVIEW = ("一、2025年工作回顾", 2026, (2025, 2025))  # a 2026 report looking back on 2025
PLAN = ("二、2025年主要目标", 2025, (2024, 2025))  # a 2025 report setting that year's targets


def report_facts(region: str, text: str, kind: tuple[str, int, tuple[int, int]]) -> list[Fact]:
    section, year, span = kind
    doc = f"{region}{year}.txt"
    chunk = Chunk(id=f"{doc}-0001", doc=doc, ordinal=1, text=text, section=section, region=region, year=year,
                  year_from=span[0], year_to=span[1], kind="政府工作报告")
    return facts_of_chunk(chunk)


REPORTS: list[tuple[str, str, str, tuple[str, int, tuple[int, int]]]] = [
    ("临川市", "市", "全市地区生产总值3250.6亿元，同比增长5.6%，一般公共预算收入未完成年度目标。城镇调查失业率5.1%。"
     "森林覆盖率达到61%，超过既定目标2个百分点，超额完成年度目标任务。居民人均可支配收入增长5%，与全国差距进一步缩小。"
     "规上工业增加值增长**%。", REVIEW),
    ("临川市", "市", "2025年经济社会发展主要预期目标是：地区生产总值增长5.5%左右，城镇调查失业率控制在5.5%左右，"
     "森林覆盖率达到59%，居民人均可支配收入增长5.5%，规上工业增加值增长6%。", PLAN),
    ("南丰县", "县", "全县城镇新增就业4.8万人。地区生产总值增长5.5%。", REVIEW),
    ("南丰县", "县", "2025年主要预期目标是：城镇新增就业5万人以上，地区生产总值增长5.5%左右。", PLAN),
    ("宜黄县", "县", "全县城镇新增就业6100人，完成年度计划的98%。", REVIEW),
    ("金溪县", "县", "2025年主要预期目标是：城镇新增就业3000人以上。", PLAN),
    ("资溪县", "县", "全县接待游客120万人次。", REVIEW),
]


@pytest.fixture(scope="module")
def world() -> tuple[list[Fact], list[Region], dict[str, str]]:
    facts: list[Fact] = []
    regions: dict[str, Region] = {}
    titles: dict[str, str] = {}
    for name, level, text, kind in REPORTS:
        facts.extend(report_facts(name, text, kind))
        regions.setdefault(name, Region(name=name, level=level, province="江西省", city="抚州市", key=name))
        titles[f"{name}{kind[1]}.txt"] = f"{kind[1]}年{name}政府工作报告"
    return facts, list(regions.values()), titles


def rows_of(world, indicator: str, year: int | None = 2025, **kwargs) -> dict[str, TargetRow]:
    facts, regions, titles = world
    table = target_table(indicator, year, facts, regions, titles, **kwargs)
    return {row.region: row for row in table.rows}


def test_figures_compared_when_the_report_says_nothing(world):
    gdp = rows_of(world, "GDP")
    lin = gdp["临川市"]
    assert lin.target is not None and lin.actual is not None
    assert (lin.target.quantity.value, lin.target.stance) == (5.5, "plan")
    assert (lin.actual.quantity.value, lin.actual.measure) == (5.6, "growth")  # the growth beside the growth target
    # the next clause's 未完成 speaks of 一般公共预算收入, not of this figure
    assert (lin.status, lin.basis, lin.status_label) == ("exceeded", "compared", "超额完成")
    assert "约数" in lin.note
    assert lin.target_title == "2025年临川市政府工作报告" and lin.actual_title == "2026年临川市政府工作报告"
    assert "5.5%左右" in lin.target_text and "5.6%" in lin.actual_text
    assert [role for role, _, _ in lin.sources()] == ["目标", "实际"]
    nanfeng = gdp["南丰县"]
    assert (nanfeng.status, nanfeng.basis, nanfeng.status_label) == ("met", "compared", "已完成")


def test_an_amount_under_its_floor_is_not_met(world):
    jobs = rows_of(world, "城镇新增就业")
    row = jobs["南丰县"]
    assert row.target is not None and row.actual is not None
    assert row.target.quantity.base_value == 50000 and row.actual.quantity.base_value == 48000
    assert (row.status, row.basis, row.status_label) == ("not_met", "compared", "未完成")


def test_a_ceiling_is_met_under_it(world):
    row = rows_of(world, "城镇调查失业率")["临川市"]
    assert row.target is not None and row.actual is not None
    assert (row.target.quantity.value, row.actual.quantity.value) == (5.5, 5.1)
    assert (row.status, row.basis) == ("met", "compared")


def test_the_reports_own_words_come_first(world):
    row = rows_of(world, "森林覆盖率")["临川市"]
    assert (row.status, row.basis, row.basis_label) == ("exceeded", "stated", "报告写明")
    assert row.target is not None and row.target.quantity.value == 59


def test_a_completion_rate_gives_the_status(world):
    row = rows_of(world, "城镇新增就业")["宜黄县"]
    assert row.target is None and row.actual is not None and row.completion is not None
    assert row.completion.quantity.value == 98
    assert (row.status, row.basis, row.basis_label) == ("not_met", "completion", "按完成率")
    assert "报告未写明2025年的目标" not in row.note


def test_unrelated_words_and_masked_figures_give_no_status(world):
    income = rows_of(world, "居民人均可支配收入")["临川市"]
    # “与全国差距进一步缩小” is not a missed target; 5% against 5.5% is
    assert (income.status, income.basis) == ("not_met", "compared")
    industry = rows_of(world, "规上工业增加值")["临川市"]
    assert industry.actual is not None and industry.actual.quantity.masked
    assert (industry.status, industry.status_label) == ("unknown", "报告未说明")
    assert "隐去" in industry.actual_text and "无法直接比较" in industry.note


def test_a_target_alone_is_not_a_status_and_silent_regions_are_listed(world):
    facts, regions, titles = world
    table = target_table("城镇新增就业", 2025, facts, regions, titles)
    rows = {r.region: r for r in table.rows}
    only_target = rows["金溪县"]
    assert only_target.actual is None and only_target.status == "unknown" and "完成数" in only_target.note
    assert table.missing == ["临川市", "资溪县"]
    assert table.counts() == {"超额完成": 0, "已完成": 0, "未完成": 2, "报告未说明": 1}


def test_regions_by_level_and_default_year(world):
    facts, regions, titles = world
    counties = target_table("地区生产总值", None, facts, regions, titles, level="县")
    assert counties.year == 2025
    assert [r.region for r in counties.rows] == ["南丰县"]
    assert target_years("地区生产总值", facts) == [2025]
    named = target_table("地区生产总值", 2025, facts, regions, titles, names=["临川市"])
    assert [r.region for r in named.rows] == ["临川市"]


def test_unknown_indicator_or_region_is_a_chinese_error(world):
    facts, regions, titles = world
    with pytest.raises(TableError, match="无法识别的指标"):
        target_table("幸福指数", 2025, facts, regions, titles)
    with pytest.raises(TableError, match="未找到该地区的报告"):
        target_table("地区生产总值", 2025, facts, regions, titles, names=["火星县"])
    with pytest.raises(TableError, match="没有“粮食总产量”的目标或完成数"):
        target_table("粮食总产量", None, facts, regions, titles)
