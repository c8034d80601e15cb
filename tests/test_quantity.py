"""ingest.quantity: figures with units, compared as quantities, on report-style and corpus sentences.

Sentences marked `corpus:` are copied verbatim from /work/shared/corpus (file named); the others are
written in the style of county/provincial government work reports.
"""

from __future__ import annotations

import re
import time
from functools import cache
from pathlib import Path

import pytest

from ingest import vocabulary
from ingest.clean import find_masks
from ingest.quantity import (
    Quantity,
    find_quantities,
    parse_number,
    quantity_supported,
    repair_split_numbers,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@cache
def seed(prefix: str) -> str:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def shown(text: str) -> list[str]:
    """The canonical forms of the figures in text."""
    return [q.display() for q in find_quantities(text)]


def one(text: str) -> Quantity:
    (q,) = find_quantities(text)
    return q


# ---------------------------------------------------------------- units, scales, offsets


def test_amount_growth_and_rank_of_one_sentence() -> None:
    text = "全县地区生产总值完成557.7亿元，同比增长4.7%，增速全市第一。"
    gdp, growth, rank = find_quantities(text)
    assert (gdp.value, gdp.unit, gdp.scale, gdp.scale_word, gdp.kind) == (557.7, "元", 1e8, "亿", "amount")
    assert gdp.base_value == pytest.approx(557.7e8)
    assert (growth.value, growth.unit, growth.kind, growth.negative) == (4.7, "%", "growth", False)
    assert (rank.value, rank.kind, rank.text) == (1, "rank", "第一")
    for q in (gdp, growth, rank):
        assert text[q.start : q.end] == q.text


def test_offsets_point_into_the_original_full_width_text() -> None:
    text = "城镇居民人均可支配收入增长５．５％，达到３２５６８元。"
    growth, income = find_quantities(text)
    assert growth.text == "５．５％" and growth.value == 5.5 and growth.unit == "%"
    assert income.text == "３２５６８元" and income.value == 32568
    assert text[income.start : income.end] == income.text


def test_space_between_number_and_unit() -> None:
    q = one("完成规模以上工业总产值 394.8 亿元")
    assert (q.value, q.scale_word, q.unit, q.text) == (394.8, "亿", "元", "394.8 亿元")


@pytest.mark.parametrize(
    ("text", "display", "unit", "scale"),
    [
        ("新增城镇就业1.15万户", "1.15万户", "户", 1e4),
        ("地方一般公共预算收入从1.29万亿元提高到1.39万亿元", "1.29万亿元", "元", 1e12),  # corpus: 2026 浙江
        ("粮食产量稳定在85亿斤以上", "85亿斤", "斤", 1e8),
        ("新增高标准农田12.5万亩", "12.5万亩", "亩", 1e4),
        ("港口集装箱吞吐量达到5506.3万标准箱", "5506.3万标准箱", "标准箱", 1e4),  # corpus: 2026 上海
        ("新能源装机规模达到2000万千瓦", "2000万千瓦", "千瓦", 1e4),
        ("外贸进出口总额12.6亿美元", "12.6亿美元", "美元", 1e8),
        ("接待游客1250万人次", "1250万人次", "人次", 1e4),
        ("新建光伏电站装机50MW", "50MW", "MW", 1.0),
        ("建成城市主干道12.3km", "12.3km", "km", 1.0),
        ("单位GDP能耗降至0.45吨标准煤", "0.45吨标准煤", "吨标准煤", 1.0),
    ],
)
def test_scaled_units(text: str, display: str, unit: str, scale: float) -> None:
    q = find_quantities(text)[0]
    assert (q.display(), q.unit, q.scale) == (display, unit, scale)


def test_latin_unit_needs_a_word_end() -> None:
    assert shown("新建5G基站1200个") == ["1200个"]
    assert shown("建成4A级景区2家") == ["2家"]


# ---------------------------------------------------------------- thousands separators and substrings


def test_thousands_separator_ascii_and_full_width() -> None:
    assert one("新增城镇就业5,200人").value == 5200
    assert one("新增城镇就业5，200人").value == 5200
    assert one("完成营业收入1,234.5万元").display() == "1234.5万元"


def test_full_width_comma_with_other_than_three_digits_is_a_list() -> None:
    # `5，20人` is not 520人: only exactly three digits after the comma are a thousands group
    assert shown("培训驾驶员5，20人") == ["20人"]


def test_never_a_figure_inside_a_longer_number() -> None:
    assert shown("新增城镇就业5,200人") == ["5200人"]
    assert shown("高技术制造业增加值增长15.5%") == ["15.5%"]
    assert shown("到2025年，预计完成投资2000亿元") == ["2000亿元"]
    assert not quantity_supported(one("200人"), "新增城镇就业5,200人")
    assert not quantity_supported(one("5.5%"), "高技术制造业增加值增长15.5%")


# ---------------------------------------------------------------- years, dates, durations, markers


@pytest.mark.parametrize(
    "text",
    [
        "2025年",
        "到2025年底",
        "“十四五”规划圆满收官",
        "3月15日召开县政府常务会议",
        "截止 10 月底",
        "县十七届人大三次会议确定的目标任务",  # corpus: ext_001 (a session number, not 3次)
        "第十四届全运会",
        "第一产业增加值",
        "1.加快推进乡村振兴",
        "（一）经济运行稳中向好",
        "XX县人民政府",
        "时间：2022-01-24 09:00",
        "PM2.5年均浓度下降",
        "千家万户",
        "建成一批重大项目",
        "坚决拥护“两个确立”",
        "全县第一个民营双创基地",
    ],
)
def test_not_quantities(text: str) -> None:
    assert find_quantities(text) == []


def test_small_durations_are_counts_but_years_never_give_their_last_digit() -> None:
    assert [(q.display(), q.kind) for q in find_quantities("连续5年保持全省前列")] == [("5年", "count")]
    assert shown("2025年全县地区生产总值") == []
    q = one("近五年来，累计完成投资")
    assert (q.value, q.unit, q.qualifiers) == (5, "年", ["近"])
    assert shown("2021-2025年") == []
    assert shown("建党100年") == []


def test_list_bullet_dash_is_not_a_minus_sign() -> None:
    q = one("- 12个重点项目开工建设")
    assert (q.value, q.negative, q.text) == (12, False, "12个")


# ---------------------------------------------------------------- Chinese numerals


@pytest.mark.parametrize(
    ("text", "display"),
    [
        ("完成三项重点改革", "3项"),
        ("争取上级资金两千万元", "2000万元"),
        ("实现地区生产总值一千二百亿元", "1200亿元"),
        ("建成十四个美丽乡村示范点", "14个"),
        ("贫困发生率控制在百分之五以内", "5%"),
        ("设计产能突破百亿元", "100亿元"),  # data/samples/000
        ("新增荆州、孝感、黄冈3个过三千亿元城市", "3个"),  # corpus: 2026 湖北 (三千亿元 follows 过)
    ],
)
def test_chinese_numerals(text: str, display: str) -> None:
    assert shown(text)[0] == display


def test_chinese_numeral_after_few_or_several_is_no_exact_figure() -> None:
    assert shown("引进几十家配套企业") == []
    assert shown("惠及数百人") == []


# ---------------------------------------------------------------- lists and ranges


def test_list_sharing_growth_context() -> None:
    qs = find_quantities("三次产业增加值分别增长7%、8%和9%")
    assert [(q.value, q.kind) for q in qs] == [(7, "growth"), (8, "growth"), (9, "growth")]


def test_list_with_space_after_separator() -> None:
    # corpus: ext_068 (a page break cut the sentence after 8.3; that bare number is no figure)
    qs = find_quantities("3、村居民人均可支配收入分别增长6.3%、 8.3")
    assert [(q.display(), q.kind) for q in qs] == [("6.3%", "growth")]
    assert shown("城乡居民人均可支配收入分别增长7.1%、8.3%") == ["7.1%", "8.3%"]


def test_bare_numbers_share_the_trailing_unit() -> None:
    qs = find_quantities("三个园区分别完成投资3、5、7亿元")[1:]  # 三个 is a count of its own
    assert [q.display() for q in qs] == ["3亿元", "5亿元", "7亿元"]
    assert [q.text for q in qs] == ["3", "5", "7亿元"]


def test_shared_unit_from_corpus_points() -> None:
    # corpus: 2026 云南
    text = "卫生厕所覆盖率、污水治理（管控）率、生活垃圾处理设施覆盖率分别提高20.9、36.2、54个百分点"
    assert shown(text) == ["20.9个百分点", "36.2个百分点", "54个百分点"]
    assert {q.kind for q in find_quantities(text)} == {"points"}


def test_list_marker_does_not_borrow_a_unit() -> None:
    assert shown("1、12个重点项目集中开工") == ["12个"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("地区生产总值增长5%—6%", [5, 6]),
        ("地区生产总值增长5.5%-6%", [5.5, 6]),
        ("今年全省经济社会发展主要预期目标是：地区生产总值增长4.5-5%，在实际工作中争取更好结", [4.5, 5]),  # corpus
        ("居民消费价格涨幅控制在2%～3%", [2, 3]),
    ],
)
def test_ranges(text: str, expected: list[float]) -> None:
    qs = find_quantities(text)
    assert [q.value for q in qs] == expected
    assert all(q.unit == "%" and "区间" in q.qualifiers and q.kind == "growth" for q in qs)
    assert not any(q.negative for q in qs)


def test_from_to_is_not_a_range() -> None:
    qs = find_quantities("研发投入占比从2.1%到2.5%")
    assert all("区间" not in q.qualifiers for q in qs)


# ---------------------------------------------------------------- signs and growth


def test_minus_signs() -> None:
    q = one("第一产业投资同比增长-100.0%")  # corpus: ext_076
    assert (q.value, q.negative, q.kind, q.base_value) == (100.0, True, "growth", -100.0)
    qs = find_quantities("一般公共预算收入2亿元,同比分别-6.2%、-19.3%。")  # corpus: ext_015
    assert [q.display() for q in qs] == ["2亿元", "-6.2%", "-19.3%"]
    assert [q.kind for q in qs[1:]] == ["growth", "growth"]


def test_decrease_word_makes_growth_negative() -> None:
    q = one("规上工业增加值同比下降3.1%")
    assert (q.value, q.negative, q.qualifiers, q.base_value, q.display()) == (3.1, True, ["下降"], -3.1, "-3.1%")
    assert q.same_as(one("增速为-3.1%"))
    assert not q.same_as(one("同比增长3.1%"))


def test_decrease_carries_through_a_list() -> None:
    # corpus: ext_030
    text = "财政总收入15.68亿元,其中地方财政收入11.68亿元,分别下降7.78%、2.78%;"
    qs = [q for q in find_quantities(text) if q.unit == "%"]
    assert [q.base_value for q in qs] == [-7.78, -2.78]


def test_decrease_in_points() -> None:
    # corpus: ext_076
    text = "规模以上工业增加值同比增长7.5%(全市11.1%),较去年同期回落0.9个百分点,六县市排名第三"
    growth, city, points, rank = find_quantities(text)
    assert (growth.kind, city.value) == ("growth", 11.1)
    assert (points.kind, points.base_value, points.qualifiers) == ("points", -0.9, ["回落"])
    assert (rank.kind, rank.value) == ("rank", 3)


def test_a_level_after_a_change_word_is_not_a_change() -> None:
    assert one("城镇化率提高到65%").kind == "share"
    q = one("城镇调查失业率下降至5.2%")
    assert (q.kind, q.negative) == ("share", False)


def test_share_and_ratio_kinds() -> None:
    assert one("森林覆盖率达到61%").kind == "share"
    assert one("占全省比重超20%").qualifiers == ["超"]
    assert one("完成年度目标任务的118%").kind == "ratio"
    assert one("是2011年的1.37倍").kind == "ratio"


def test_decrease_of_an_amount_is_a_qualifier_not_a_sign() -> None:
    q = one("农村贫困人口减少5000人")
    assert (q.kind, q.negative, q.qualifiers, q.base_value) == ("amount", False, ["减少"], 5000)


def test_qualifiers() -> None:
    assert one("地区生产总值增长6%左右").qualifiers == ["左右"]
    assert one("力争全年地区生产总值突破500亿元").qualifiers == ["突破"]
    assert one("累计投入3000余万元").qualifiers == ["余"]
    assert one("惠及群众1.2万余人").display() == "1.2万人"
    assert one("撬动社会资本100多亿元").qualifiers == ["多"]
    assert one("粮食播种面积稳定在95万亩以上").qualifiers == ["以上"]


# ---------------------------------------------------------------- ranks and ratios


def test_ranks() -> None:
    assert [(q.value, q.kind) for q in find_quantities("增速位居全市第3位")] == [(3, "rank")]
    assert one("民营经济考核位列全省同类县（市、区）第*名").masked  # data/samples/000
    assert one("居全市第二").value == 2
    a, b = find_quantities("排名从第XX位跃升至XX位")
    assert (a.kind, a.masked, b.kind, b.masked) == ("rank", True, "rank", True)
    assert one("全县共有5位省级非遗传承人").kind == "count"


def test_ratio_terms_with_a_split_decimal() -> None:
    # corpus: ext_055, after repair of the line break inside 62.1
    raw = "经济结构持续优化,三次产业比重由2011年1.9:62.\n1:36调整为2016年1.8:59.2:39。"
    fixed = repair_split_numbers(raw)
    assert "1.9:62.1:36" in fixed
    qs = find_quantities(fixed)
    assert [q.value for q in qs] == [1.9, 62.1, 36, 1.8, 59.2, 39]
    assert {q.unit for q in qs} == {":"} and {q.kind for q in qs} == {"ratio"}


# ---------------------------------------------------------------- masks


@pytest.mark.parametrize(
    ("text", "unit", "scale_word", "kind"),
    [
        ("全年地区生产总值将突破***亿元", "元", "亿", "amount"),  # data/samples/000
        ("固定资产投资同比增长XX%", "%", "", "growth"),
        ("农村居民人均可支配收入增长x.x%", "%", "", "growth"),
        ("轴承产业园标准化厂房面积突破**万平方米", "平方米", "万", "amount"),  # data/samples/000
        ("实现财税收入***万元", "元", "万", "amount"),  # data/samples/004
    ],
)
def test_masked_figures(text: str, unit: str, scale_word: str, kind: str) -> None:
    q = find_quantities(text)[-1]
    assert (q.masked, q.value, q.base_value) == (True, None, None)
    assert (q.unit, q.scale_word, q.kind) == (unit, scale_word, kind)


def test_name_masks_and_masked_years_are_not_figures() -> None:
    assert shown("修订《**县加快轴承产业高质量发展扶持政策》") == []
    assert shown("XXXX年工作回顾") == []
    assert shown("S***改扩建等一批重大项目破土动工") == []


def test_masks_of_a_whole_sample() -> None:
    masked = [q for q in find_quantities(seed("000")) if q.masked]
    assert len(masked) >= 30
    assert all(q.value is None and q.unit for q in masked)


def test_vocabulary_mask_re_keeps_the_semantics_of_clean() -> None:
    for prefix in ("000", "001", "002", "003", "004"):
        text = seed(prefix)
        assert [m.group(0) for m in vocabulary.MASK_RE.finditer(text)] == find_masks(text)
    assert vocabulary.MASK_RE.findall("排名从第XX位跃升至XX位") == ["XX", "XX"]
    assert vocabulary.MASK_RE.findall("XX县XX江") == []
    assert re.fullmatch(vocabulary.MASK_NUMBER, "x.x")


# ---------------------------------------------------------------- same_as, display, parse_number


def test_same_as() -> None:
    assert one("1.15万户").same_as(one("11500户"))
    assert one("增长5.5%").same_as(one("增长5.5％"))
    assert not one("7亿元").same_as(one("17亿元"))
    assert not one("200人").same_as(one("5,200人"))
    assert one("394.8亿元").same_as(one("3948000万元"))
    assert one("下降0.5个百分点").same_as(one("-0.5百分点"))
    assert not one("***亿元").same_as(one("***亿元"))  # unknown values equal nothing
    assert not one("全省第3位").same_as(one("3位"))


def test_display() -> None:
    assert one("11,500户").display() == "11500户"
    assert one("全县排名第二").display() == "第2位"
    assert one("突破***亿元").display() == "*亿元"
    assert one("同比下降3.10%").display() == "-3.1%"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.2万", 12000.0),
        ("一千二百", 1200.0),
        ("5,200", 5200.0),
        ("5，200", 5200.0),
        ("两千万", 2e7),
        ("3.5亿", 3.5e8),
        ("-6.2", -6.2),
        ("三点五", 3.5),
        ("１２３", 123.0),
        ("***", None),
        ("增长", None),
        ("", None),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


# ---------------------------------------------------------------- quantity_supported


def test_supported_by_scale_and_width() -> None:
    evidence = "新增城镇就业11500户，城镇调查失业率控制在5.5％以内。"
    assert quantity_supported(one("1.15万户"), evidence)
    assert quantity_supported(one("5.5%"), evidence)
    assert not quantity_supported(one("1.5万户"), evidence)


def test_supported_sign_aware_for_growth() -> None:
    evidence = "规模以上工业增加值同比下降3.1%。"
    assert quantity_supported(one("-3.1%"), evidence)
    assert quantity_supported(one("下降3.1%"), evidence)
    assert quantity_supported(one("3.1%"), evidence)  # no sign of its own: the stated value is there
    assert not quantity_supported(one("增长3.1%"), evidence)
    assert not quantity_supported(one("下降3.1%"), "同比增长3.1%")


def test_supported_in_lists_and_not_by_substring() -> None:
    evidence = "三次产业增加值分别增长7%、8%和9%，实现财政收入17亿元。"
    assert quantity_supported(one("8%"), evidence)
    assert not quantity_supported(one("7亿元"), evidence)
    assert not quantity_supported(one("1.7亿元"), evidence)
    assert quantity_supported(one("5亿元"), "分别完成投资3、5、7亿元")


def test_supported_masked_only_by_a_mask() -> None:
    assert quantity_supported(one("***亿元"), "全年地区生产总值将突破***亿元")
    assert not quantity_supported(one("***亿元"), "全年地区生产总值将突破300亿元")
    assert not quantity_supported(one("300亿元"), "全年地区生产总值将突破***亿元")


# ---------------------------------------------------------------- repair_split_numbers


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("34\n0亿元", "340亿元"),
        ("394.8 亿元", "394.8亿元"),
        ("1.\n37倍", "1.37倍"),
        ("62.\n1:36", "62.1:36"),
        ("23\n亿元", "23亿元"),
        ("6.3%、 8.3%", "6.3%、 8.3%"),
        ("2025\n3月", "2025\n3月"),
        ("1.\n加快推进项目建设", "1.\n加快推进项目建设"),
        ("新增规上工业企业*\n*家", "新增规上工业企业**家"),
        ("争取政策性开发性金融工具*亿\n元", "争取政策性开发性金融工具*亿元"),
        ("高于全省2个百分\n点", "高于全省2个百分点"),
        ("557.7亿元，增长557.7\n4.7%", "557.7亿元，增长557.7\n4.7%"),
        ("12.\n3月份以来", "12.\n3月份以来"),
        ("发布日期: 2020-12-24\n2020年1-11月份", "发布日期: 2020-12-24\n2020年1-11月份"),
        ("附件2\n名词解释", "附件2\n名词解释"),
        ("完成投资12\n\n3个项目", "完成投资12\n\n3个项目"),
    ],
)
def test_repair_split_numbers(raw: str, fixed: str) -> None:
    assert repair_split_numbers(raw) == fixed


def test_repair_corpus_lines() -> None:
    # corpus: ext_029
    raw = "全县地方生产总值完成96.4亿元,是2011年的1.\n37倍;财政总收入、公共预算收入分别完成6.1亿元、3.6亿元"
    assert "是2011年的1.37倍;" in repair_split_numbers(raw)
    assert "1.37倍" in shown(repair_split_numbers(raw))
    # corpus: ext_073
    raw = "镇域经济发展迅猛,截止 10 月底,实现工业总产值 23\n亿元,同比增长 4.65%;工业增加值 1.2 亿元"
    fixed = repair_split_numbers(raw)
    assert "工业总产值 23亿元," in fixed and "截止 10 月底" in fixed
    assert shown(fixed) == ["23亿元", "4.65%", "1.2亿元"]
    # corpus: ext_073
    assert "共占地 50亩,一期计划用地 16.5亩," in repair_split_numbers("共占地 50\n亩,一期计划用地 16.5 亩,")
    # corpus: ext_055
    raw = "地方一般公共预算收入从341.73亿\n元提高到602亿元,年均增长12%。"
    assert shown(repair_split_numbers(raw)) == ["341.73亿元", "602亿元", "12%"]


def test_repair_keeps_the_text_elsewhere() -> None:
    for prefix in ("000", "002"):
        text = seed(prefix)
        assert repair_split_numbers(text).replace(" ", "") == text.replace(" ", "")


# ---------------------------------------------------------------- whole reports and speed


def test_whole_sample_has_no_year_figures() -> None:
    qs = find_quantities(seed("002"))
    assert qs
    assert not any(q.unit == "年" and (q.value or 0) > 30 for q in qs)
    assert all(seed("002")[q.start : q.end] == q.text for q in qs)


def test_speed_on_twenty_thousand_chars() -> None:
    text = (seed("003") * 10)[:20000]
    find_quantities(text)  # warm caches and the cn2an import
    t0 = time.perf_counter()
    for _ in range(5):
        find_quantities(text)
    assert (time.perf_counter() - t0) / 5 < 0.05
