"""ingest.clean on the real seed reports in data/samples (no mocks)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from ingest.clean import (
    MASK_RE,
    clean_text,
    drop_boilerplate,
    find_masks,
    fix_percent_o,
    is_masked,
    normalize_whitespace,
    normalize_width,
    remove_pinyin_glosses,
    repair_page_markers,
    split_inline_headings,
    to_simplified,
)

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
GLOSS_RE = re.compile(r"\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)")


@cache
def seed(prefix: str) -> str:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@cache
def cleaned(prefix: str) -> str:
    return clean_text(seed(prefix))


# ---------------------------------------------------------------- Traditional -> Simplified


def test_to_simplified_on_003() -> None:
    raw = seed("003")
    assert "冠縣縣長" in raw
    out = to_simplified(raw)
    assert "冠县县长" in out
    assert "一、过去五年和2021年工作回顾" in out
    assert len(out) == len(raw)


def test_to_simplified_keeps_simplified_seeds_unchanged() -> None:
    for prefix in ("000", "001", "002", "004"):
        assert to_simplified(seed(prefix)) == seed(prefix)


# ---------------------------------------------------------------- pinyin glosses


def test_remove_pinyin_glosses_on_003() -> None:
    raw = seed("003")
    assert "現(xiàn)在" in raw and "發(fā)展" in raw and "優(yōu)質" in raw
    out = remove_pinyin_glosses(raw)
    assert "現在,我代表縣人民政府" in out
    assert "高質量發展新征程" in out
    assert "優質項目" in out
    assert GLOSS_RE.search(out) is None
    # real parentheticals survive
    assert "(第22頁)" in out
    assert "(一)堅定不移推進創新" in out
    assert "(靈芝)" in out


def test_remove_pinyin_glosses_keeps_real_parentheticals() -> None:
    text = "对比(2022年政府工作报告目标任务)(第22页)(VOCs)(men)(XX)和(一)"
    assert remove_pinyin_glosses(text) == text
    assert remove_pinyin_glosses("綠(lǜ)色") == "綠色"


# ---------------------------------------------------------------- page markers


def test_repair_page_markers_on_001() -> None:
    raw = drop_boilerplate(seed("001"))
    assert "会议确\n2、定的目标任务" in raw
    out = repair_page_markers(raw)
    assert "较好地完成了县十四届XX历次会议确定的目标任务" in out
    assert "标准制(修)订" in out
    assert "增加到XXXX年组建前的X倍" in out
    assert "外贸出口额年均增长X%" in out
    assert out.count("\n") == 0  # 49 scraped pages form one text
    assert not re.search(r"(?m)^\d+、", out)
    assert out.startswith("各位代表:现在,我代表县人民政府")


def test_repair_page_markers_keeps_002_numbered_items() -> None:
    raw = seed("002")
    assert repair_page_markers(raw) == raw


def test_repair_page_markers_keeps_a_real_list() -> None:
    text = (
        "二、下步工作要求\n"
        "1、提高工作认识。要进一步提高政治站位，确保各项目标任务按时完成。\n"
        "2、加强统筹协调。各责任单位要建立定期调度机制。\n"
        "3、强化工作闭环。各责任单位要认真落实全会要求。\n"
        "专此通报。"
    )
    assert repair_page_markers(text) == text


def test_repair_page_markers_keeps_a_list_of_long_items() -> None:
    item = "县发展改革委牵头的地区生产总值557.7亿元，同比增长4.7%，较全市平均增速高2.1个百分点。" * 4
    text = "\n".join(f"{n}、{item}" for n in range(1, 6))
    assert repair_page_markers(text) == text


def test_repair_page_markers_with_blank_lines_between_pages() -> None:
    page = "政府工作报告正文" * 30
    text = f"标题\n1、{page}确\n\n2、定的目标{page}\n结尾。"
    assert repair_page_markers(text) == f"标题\n{page}确定的目标{page}\n结尾。"


def test_clean_001_joins_pages() -> None:
    out = cleaned("001")
    assert "会议确定的目标任务" in out
    assert not re.search(r"(?m)^\d+、", out)


# ---------------------------------------------------------------- boilerplate


def test_drop_boilerplate_on_001_and_003() -> None:
    out_001 = drop_boilerplate(seed("001"))
    assert "由会员分享" not in out_001
    assert out_001.startswith("1、各位代表")
    out_003 = drop_boilerplate(seed("003"))
    assert "掃一掃在手機打開當前頁面" not in out_003
    assert "圖文解讀" not in out_003
    assert not re.search(r"(?m)^\s*\?\s*$", out_003)
    assert "冠縣縣長 ?張志剛" in out_003  # a real line with a stray ?, kept
    assert "“雙隨機、一公開”(第23頁)" in out_003


def test_drop_boilerplate_simplified_variants_and_real_text() -> None:
    text = "扫一扫在手机打开当前页面\n？\n 打印本页 \n【关闭窗口】\n分享到：\n一、总体情况\n专此报告。"
    assert drop_boilerplate(text) == "一、总体情况\n专此报告。"


def test_drop_boilerplate_keeps_clean_seeds() -> None:
    for prefix in ("000", "002", "004"):
        raw = seed(prefix)
        kept = [line for line in raw.split("\n") if line.strip()]
        assert [line for line in drop_boilerplate(raw).split("\n") if line.strip()] == kept


# ---------------------------------------------------------------- width


def test_normalize_width_on_002() -> None:
    out = normalize_width(seed("002"))
    assert "较全市-8%的平均增速" in out
    assert "较全市-0.3%的平均增速" in out
    assert "（2022年政府工作报告目标任务）" in out  # Chinese brackets kept
    assert "，" in out and "。" in out and "：" in out
    assert len(re.findall(r"(?m)^\d+．", out)) == 13  # list markers kept


def test_normalize_width_on_000_keeps_masks() -> None:
    raw = seed("000")
    assert "同比增长*％" in raw
    out = normalize_width(raw)
    assert "同比增长*%" in out
    assert "**－**县域结对帮扶" in out  # minus before a mask is not a number
    assert find_masks(out) == find_masks(raw)


def test_normalize_width_characters() -> None:
    assert (
        normalize_width("增长１２．５％，ＧＤＰ，ａｂｃ，－３，１．县发展")
        == "增长12.5%，GDP，abc，-3，1．县发展"
    )


# ---------------------------------------------------------------- inline headings


def test_split_inline_headings_on_001() -> None:
    joined = repair_page_markers(drop_boilerplate(seed("001")))
    out = split_inline_headings(joined)
    lines = out.split("\n")
    heads = [line[:6] for line in lines]
    assert heads[:3] == ["各位代表:现", "一、本届政府", "二、今后五年"]
    assert any(line.startswith("(三)守护绿水青山") for line in lines)
    assert any(line.startswith("三、XXXX年目标任务") for line in lines)
    assert len(lines) == 13  # the opening line and 12 headings
    assert "二是攻难点" in out  # 一是/二是 not split
    assert not any(line.startswith(("二是", "三是")) for line in lines)


def test_split_inline_headings_is_conservative() -> None:
    text = "推动一、二、三产业融合发展。一、二、三产业协调。第一、坚持发展。他说一、不行。"
    assert split_inline_headings(text) == text
    assert split_inline_headings("提出意见。一、总体情况") == "提出意见。\n一、总体情况"
    assert split_inline_headings("工作:（一）提高认识") == "工作:\n（一）提高认识"


def test_clean_003_headings_stay_on_their_lines() -> None:
    lines = cleaned("003").split("\n")
    assert "一、过去五年和2021年工作回顾" in lines
    assert "二、今后五年工作总体安排" in lines
    assert sum(1 for line in lines if line.startswith("(")) == 17


# ---------------------------------------------------------------- whitespace


def test_normalize_whitespace_on_002_and_003() -> None:
    out_002 = normalize_whitespace(seed("002"))
    assert out_002.split("\n")[0] == "云阳县人民政府督查办 2023年2月27日"
    assert "\n\n" not in out_002
    assert all(line == line.strip() and line for line in out_002.split("\n"))
    out_003 = normalize_whitespace(seed("003"))
    assert "冠縣縣長 張志剛" in out_003
    assert "政 府 工 作 報 告" in out_003  # single spaces kept


# ---------------------------------------------------------------- clean_text


def test_clean_003_fully() -> None:
    out = cleaned("003")
    assert GLOSS_RE.search(out) is None
    assert "现在,我代表县人民政府" in out
    assert "冠县县长 张志刚" in out
    assert "扫一扫" not in out and "图文解读" not in out
    assert not re.search(r"(?m)^\?$", out)


def test_clean_002_numbers_and_items() -> None:
    out = cleaned("002")
    assert "557.7亿元" in out
    assert "4.7%" in out
    items = re.findall(r"(?m)^(\d+)．", out)
    assert items == [str(n) for n in range(1, 14)]


def test_clean_001_masks_and_boilerplate() -> None:
    out = cleaned("001")
    assert "由会员分享" not in out and "课桌文档" not in out
    assert "全县地区生产总值增长X%" in out
    assert "累计减免税费X亿元、兑现各类企业奖励扶持资XX亿元" in out
    assert "城乡居民人均可支配收入分别增长X%和X%。五年来" in out  # `%o` scrape typo fixed


def test_clean_000_and_004_keep_masks() -> None:
    out_000 = cleaned("000")
    assert "全年地区生产总值将突破***亿元，同比增长*%" in out_000
    assert find_masks(out_000) == find_masks(seed("000"))
    out_004 = cleaned("004")
    assert "实现财税收入***万元" in out_004
    assert find_masks(out_004) == find_masks(seed("004"))


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_clean_text_is_idempotent(prefix: str) -> None:
    once = cleaned(prefix)
    assert clean_text(once) == once
    assert once and "\n\n" not in once


def test_clean_text_on_30mb_input() -> None:
    big = seed("003") * (30 * 1024 * 1024 // len(seed("003").encode()) + 1)
    out = clean_text(big)
    assert GLOSS_RE.search(out) is None
    assert out.count("现在,我代表县人民政府") == big.count("現(xiàn)在,我代表縣人民政府")


def test_fix_percent_o() -> None:
    assert fix_percent_o("增长X%o五年来") == "增长X%。五年来"
    assert fix_percent_o("5%off") == "5%off"


# ---------------------------------------------------------------- masks


def test_masks_in_000() -> None:
    masks = find_masks(normalize_width(seed("000")))
    assert masks[:4] == ["**", "**", "***", "*"]
    assert all(set(m) == {"*"} for m in masks)
    assert is_masked("全年地区生产总值将突破***亿元")


def test_masks_in_001() -> None:
    text = cleaned("001")
    for span in ("增长X%", "XX亿元", "XXXX年", "第XX位", "X:X:X", "xx%", "X个", "XXX家"):
        assert span in text
        assert is_masked(span), span
    assert find_masks("三次产业比率由X:X:X优化") == ["X", "X", "X"]
    assert find_masks("排名从第XX位跃升至XX位") == ["XX", "XX"]


def test_masks_in_004() -> None:
    assert find_masks("实现财税收入***万元，总量位列全县第**。") == ["***", "**"]
    assert is_masked(cleaned("004"))


def test_real_text_is_not_masked() -> None:
    for text in (
        "PM2.5平均浓度下降", "建成5G基站", "AA级景区", "XL码", "X光机", "冠县", "XX县人民政府",
        "XX江生态廊道", "Gxxxxx至联盟段建成", "1137152500444221X1/2022-26727573", "实施“x+xx”政策体系",
    ):  # fmt: skip
        assert not is_masked(text), text
    assert not is_masked(cleaned("002"))
    assert not is_masked(cleaned("003"))


def test_mask_re_matches_star_runs_anywhere() -> None:
    assert MASK_RE.findall("****洪灾，***镇受灾，“*·**”疫情") == ["****", "***", "*", "**"]
