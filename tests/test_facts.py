"""Figure facts and time references on sentences in common report style and on real corpus text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest.chunk import chunk_text
from ingest.clean import clean_text
from ingest.facts import distribute, facts_of_chunk, facts_of_chunks
from ingest.meta import covered_years, detect_meta
from ingest.models import Chunk, Fact
from ingest.periods import time_ref

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def facts(text: str, section: str = "一、2025年工作回顾", year: int = 2026, span: tuple[int, int] = (2025, 2025)) -> list[Fact]:
    chunk = Chunk(id="t-0001", doc="t.txt", ordinal=1, text=text, section=section, region="某省#t.txt", year=year,
                  year_from=span[0], year_to=span[1], kind="政府工作报告")
    return facts_of_chunk(chunk)


def one(found: list[Fact], subject: str, measure: str | None = None) -> Fact:
    hits = [f for f in found if f.subject == subject and (measure is None or f.measure == measure)]
    assert len(hits) == 1, [(f.subject, f.quantity.text, f.measure) for f in found]
    return hits[0]


def test_amount_and_growth_share_their_subject() -> None:
    found = facts("全年地区生产总值3456.7亿元，同比增长5.2%，增速居全省第3位。")
    amount = one(found, "地区生产总值", "amount")
    growth = one(found, "地区生产总值", "growth")
    assert amount.quantity.base_value == pytest.approx(3456.7e8)
    assert growth.quantity.value == pytest.approx(5.2) and growth.canonical == "地区生产总值"
    assert amount.year == 2025 and amount.stance == "actual"
    assert all(f.quote in "全年地区生产总值3456.7亿元，同比增长5.2%，增速居全省第3位。" for f in found)


def test_thousands_separator_is_one_number() -> None:
    fact = one(facts("城镇新增就业5,200人，完成年度计划的104%。"), "城镇新增就业", "amount")
    assert fact.quantity.value == 5200


def test_respectively_pairs_subjects_with_figures_in_order() -> None:
    found = facts("城镇和农村居民人均可支配收入分别达到38500元和19200元。")
    assert one(found, "城镇居民人均可支配收入").quantity.value == 38500
    assert one(found, "农村居民人均可支配收入").quantity.value == 19200
    assert distribute("规上工业增加值、固定资产投资", 2) == ["规上工业增加值", "固定资产投资"]


@pytest.mark.parametrize("sentence", [
    "一般公共预算收入12.3亿元，为预算的101.5%。",
    "粮食播种面积86万亩，为年度目标的104%。",
    "城镇新增就业6100人，完成年度计划的102%。",
])
def test_completion_rates_are_read_as_completion(sentence: str) -> None:
    found = facts(sentence)
    completion = [f for f in found if f.measure == "completion"]
    assert len(completion) == 1
    assert completion[0].subject == found[0].subject  # the completed indicator, not the words before %


def test_falling_figures_are_facts_with_their_sign() -> None:
    found = facts("受市场波动影响，全县规上工业增加值下降3.1%，工业用电量回落2.4%。")
    fact = one(found, "规上工业增加值")
    assert fact.quantity.negative and fact.quantity.value == pytest.approx(3.1)


def test_plan_forecast_and_actual_are_told_apart() -> None:
    plan = facts("今年经济社会发展的主要预期目标是：地区生产总值增长5%左右；城镇新增就业11万人以上；",
                 section="三、2026年工作安排", span=(2026, 2026))
    assert {f.stance for f in plan} == {"plan"}
    assert one(plan, "地区生产总值").year == 2026
    assert one(plan, "城镇新增就业").year == 2026  # the ；-list continues its lead's stance
    forecast = facts("预计全年地区生产总值增长5.5%。")
    assert forecast[0].stance == "forecast"


def test_five_year_figures_are_spans_not_the_report_year() -> None:
    found = facts("五年来，全省生产总值年均增长5.9%，累计新增城镇就业452万人。")
    assert all(f.span for f in found)
    assert not facts("2025年是“十四五”收官之年，地区生产总值增长5.6%。")[0].span


def test_a_year_of_comparison_is_not_the_figure_year() -> None:
    fact = one(facts("地区生产总值比2020年增长28%。", span=(2025, 2025)), "地区生产总值")
    assert fact.year == 2025


def test_canonical_name_is_the_head_of_the_subject() -> None:
    found = facts("单位地区生产总值能耗下降3%，高新技术产业增加值占地区生产总值比重达到18%。")
    assert all(f.canonical != "地区生产总值" for f in found)


def test_masked_figures_are_facts_without_a_value() -> None:
    fact = one(facts("新增城镇就业****人，城镇登记失业率控制在*%以内。"), "新增城镇就业")
    assert fact.quantity.masked and fact.quantity.value is None


def test_time_reference_is_a_year_only_when_it_is_one() -> None:
    today = date(2026, 11, 26)
    assert time_ref("突破2000亿元的县有哪些", today).years == []
    assert time_ref("江西省去年的社零总额", today).years == [2025]
    assert time_ref("2025年前三季度规上工业增加值", today).part == "Q1-3"
    assert time_ref("比上年增长5%", today).years == []
    assert not time_ref("2025年地区生产总值", today).span


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
def test_a_provincial_report_yields_its_headline_facts() -> None:
    path = CORPUS / "provinces-2026" / "2026_浙江省_政府工作报告.txt"
    text = clean_text(path.read_text(encoding="utf-8"))
    meta = detect_meta(text, path.name)
    chunks = chunk_text(text, meta, "abcdef", covered_years(meta), 150, 500, 40)
    found = facts_of_chunks(chunks)
    gdp = [f for f in found if f.canonical == "地区生产总值" and f.measure == "growth" and f.year == 2025
           and f.stance == "actual" and not f.span]
    assert any(f.quantity.value == pytest.approx(5.5) for f in gdp)
    targets = [f for f in found if f.canonical == "地区生产总值" and f.stance == "plan" and f.year == 2026]
    assert targets
    for fact in found:
        chunk = next(c for c in chunks if c.id == fact.chunk_id)
        assert fact.quote in chunk.text
        assert fact.quantity.masked or fact.quote[fact.quantity.start:fact.quantity.end] == fact.quantity.text


def test_a_paragraph_that_opens_with_one_year_holds_for_the_lines_after_it() -> None:
    text = ("五年来，全县生产总值年均增长6.1%。\n"
            "刚刚过去的2024年，我们迎难而上。\n"
            "聚焦民生，办好实事。城镇新增就业1.2万人。\n"
            "五年来，累计新增就业5.8万人。")
    found = facts(text, section="一、“十四五”时期工作回顾", year=2025, span=(2021, 2025))
    yearly = one(found, "城镇新增就业")
    assert yearly.year == 2024 and not yearly.span
    assert all(f.span for f in found if f.quantity.value in (6.1, 5.8)), [(f.quantity.text, f.span) for f in found]


def test_a_paragraph_that_opens_with_several_years_holds_for_the_lines_after_it() -> None:
    text = ("2024年，全县生产总值增长5.6%。\n"
            "这五年，我们砥砺前行。\n"
            "城镇新增就业累计达到6.3万人，粮食产量稳定在80万吨。\n"
            "一般公共预算收入从8.2亿元提高到11.5亿元。")
    found = facts(text, section="一、过去五年和2024年工作回顾", year=2025, span=(2020, 2024))
    assert one(found, "生产总值").year == 2024 and not one(found, "生产总值").span
    assert one(found, "粮食产量").span, [(f.subject, f.span) for f in found]
    # the level the five years end at is a figure of the last year, not a five-year figure
    reached = [f for f in found if f.quantity.value == 11.5]
    assert reached and not reached[0].span


def test_a_part_of_the_year_is_the_nearest_one_before_the_figure() -> None:
    found = facts("针对三季度增速回落，我们加大调度力度，全年地区生产总值增长4.9%，城镇新增就业2.1万人，"
                  "年末调查失业率从上半年的5.5%降到5.2%。")
    assert one(found, "地区生产总值").part == ""
    assert one(found, "城镇新增就业").part == ""


def test_a_basis_word_is_not_a_subject() -> None:
    found = facts("一般公共预算收入完成12.4亿元，同口径增长4.1%。")
    assert all(f.subject == "一般公共预算收入" for f in found), [(f.subject, f.quantity.text) for f in found]
