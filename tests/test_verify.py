"""Verification and the rule-based condenser as pure functions."""

from __future__ import annotations

from bot.analyse.condense import condense, list_items
from bot.models import Turn
from bot.verify.check import renumber, verify
from bot.verify.numbers import figure_supported, numbers_with_units
from ingest.regions import region_from_name

REGIONS = [region_from_name("云阳县"), region_from_name("冠县"), region_from_name("某县", "a.txt"),
           region_from_name("某镇", "b.txt")]


def test_numbers_with_units_skip_years_and_normalise_width():
    assert numbers_with_units("2022年地区生产总值５５７.７亿元，增长４.７％") == ["557.7亿元", "4.7%"]


def test_figures_are_checked_as_quantities_not_substrings():
    assert not figure_supported("200人", "城镇新增就业5,200人")
    assert not figure_supported("7亿元", "财政收入17亿元")
    assert not figure_supported("5.5%", "增长15.5%")
    assert figure_supported("1.15万户", "净增市场主体11500户")
    assert figure_supported("下降3.1%", "工业投资下降3.1%")
    assert not figure_supported("增长3.1%", "工业投资下降3.1%")


def test_verify_drops_a_segment_whose_figure_is_only_a_substring_of_the_evidence():
    checked = verify("城镇新增就业200人[1]", {1: "城镇新增就业5,200人。"})
    assert checked.verification.unsupported == ["200人"]
    assert "200人" not in checked.text


def test_figure_supported_handles_shared_units():
    assert figure_supported("21.4%", "PM2.5、PM10分别改善21.4%、15.8%")
    assert figure_supported("276%", "分别完成年度目标任务的276%、175%")
    assert not figure_supported("27.6%", "分别完成年度目标任务的276%、175%")


def test_verify_drops_unknown_citations_and_unsupported_figures():
    checked = verify("GDP为557.7亿元[1]。\n另据报告GDP为999亿元[2]。\n增长4.7%[7]", {1: "地区生产总值557.7亿元", 2: "其他内容"})
    assert "999" not in checked.text and "557.7亿元[1]" in checked.text
    assert checked.verification.unsupported == ["999亿元", "4.7%"]
    assert checked.verification.bad_citations == [7]
    assert checked.used == [1]


def test_verify_requires_a_citation_for_a_figure():
    checked = verify("地区生产总值557.7亿元。", {1: "地区生产总值557.7亿元"})
    assert checked.verification.unsupported == ["557.7亿元"]


def test_renumber_in_order_of_use():
    assert renumber("a[3] b[1] c[3]", [3, 1]) == "a[1] b[2] c[1]"


def test_condense_switches_region_and_keeps_the_indicator():
    history = [Turn(role="user", content="云阳县2022年一般公共预算收入是多少？"),
               Turn(role="assistant", content="18.1亿元[1]")]
    # the year stays: a follow-up about another region asks about the same year
    assert condense("那冠县呢？", history, REGIONS) == "冠县2022年一般公共预算收入是多少？"


def test_condense_switches_province_by_its_short_name():
    regions = [region_from_name(n) for n in ("宁夏回族自治区", "新疆维吾尔自治区")]
    history = [Turn(role="user", content="宁夏2025年规上工业增加值增长多少？"),
               Turn(role="assistant", content="宁夏回族自治区2025年规模以上工业增加值增长6.9%[1]")]
    assert condense("那新疆呢？", history, regions) == "新疆维吾尔自治区2025年规上工业增加值增长多少？"


def test_condense_another_measure_or_subject_of_the_same_question():
    regions = [region_from_name("上海市")]
    history = [Turn(role="user", content="上海市2025年外贸进出口总额是多少？"),
               Turn(role="assistant", content="上海市2025年外贸进出口总额达到4.51万亿元[1]")]
    assert condense("增速呢？", history, regions) == "上海市2025年外贸进出口总额增速是多少？"
    history = [Turn(role="user", content="上海市2025年粮食总产量是多少？"), Turn(role="assistant", content="…")]
    assert condense("蔬菜呢？", history, regions) == "上海市2025年蔬菜是多少？"


def test_condense_carries_region_and_year_into_a_continuation():
    history = [Turn(role="user", content="冠县2022年有哪些主要预期目标？"),
               Turn(role="assistant", content="生产总值增长6%左右、一般公共预算收入增长6%左右等。[1]")]
    assert condense("其中全社会固定资产投资的目标是多少？", history, REGIONS).startswith("冠县2022年")


def test_list_items_from_bullets_and_enumerations():
    assert list_items("- 甲项[1]\n- 乙项[2]") == ["甲项", "乙项"]
    assert list_items("主要目标包括生产总值增长6%左右、投资增长10%左右等。[1]")[1] == "投资增长10%左右"


def test_no_history_leaves_the_question_alone():
    assert condense("冠县县长是谁？", [], REGIONS) == "冠县县长是谁？"
