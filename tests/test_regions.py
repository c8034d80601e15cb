"""ingest.regions: the region a report is about (real corpus + seed samples + the header shapes the
old hand-written detector misread), and the places a question names."""

from __future__ import annotations

import csv
import re
import time
from functools import cache
from pathlib import Path

import pytest

from ingest.clean import clean_text, to_simplified
from ingest.load import load_file
from ingest.regions import (
    Region,
    document_region,
    find_regions,
    parent_names,
    region_from_name,
    self_word_of,
    within,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
CORPUS = ROOT.parent / "shared" / "corpus"

# ---------------------------------------------------------------- the corpus table


def _stem(name: str) -> str:
    name = to_simplified(name)
    suffix = self_word_of(name)
    for full in ("自治区", "自治州", "自治县", "街道"):
        if name.endswith(full):
            suffix = full
    return name[: -len(suffix)] if suffix and len(name) > len(suffix) else name


def _expected(region_cell: str) -> tuple[str, bool]:
    """sources.tsv region cells: "上杭县", "xx镇", "某区(旌城 = 德阳市旌阳区)", "酉阳县 (named only in URL…)"."""
    name = re.split(r"[\s(（]", region_cell.strip())[0]
    return name, bool(re.match(r"某|[Xx×*＊]", name))


def _correct(got: Region, name: str, anonymous: bool) -> bool:
    if anonymous:
        return got.anonymous
    if got.anonymous:
        return False
    want = to_simplified(name)
    return _stem(got.name) == _stem(want) or want in (got.province, got.city, got.county, got.town)


@cache
def corpus_rows() -> list[tuple[str, str, bool, str, Region, bool]]:
    """(file, expected name, expected anonymous, expected level, detected, correct) for the corpus and
    the samples."""
    cases: list[tuple[Path, str, bool, str]] = []
    tsv = CORPUS / "sources.tsv"
    if tsv.exists():
        with tsv.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                cases.append((CORPUS / row["file"], *_expected(row["region"]), row["level"]))
    seeds = {"000": ("某县", True, "县"), "001": ("某县", True, "县"), "002": ("云阳县", False, "县"),
             "003": ("冠县", False, "县"), "004": ("某镇", True, "镇")}
    for path in sorted(SAMPLES.glob("*.txt")):
        cases.append((path, *seeds[path.name[:3]]))
    rows = []
    for path, name, anonymous, level in cases:
        got = document_region(path.read_text(encoding="utf-8", errors="replace"), path.name)
        rows.append((path.name, name, anonymous, level, got, _correct(got, name, anonymous)))
    return rows


def test_corpus_accuracy_table() -> None:
    rows = corpus_rows()
    print(f"\n{'file':44s} {'expected':14s} {'detected':14s} level parents ok")
    for file, name, anonymous, level, got, ok in rows:
        parents = "/".join(parent_names(got)) or "-"
        print(f"{file:44s} {name + (' (anon)' if anonymous else ''):14s} {got.name:14s} {got.level:2s}/{level:2s} "
              f"{parents:24s} {'✓' if ok else '✗'}")
    named = [r for r in rows if not r[2]]
    anonymous = [r for r in rows if r[2]]
    named_ok = sum(r[5] for r in named)
    anon_ok = sum(r[5] for r in anonymous)
    print(f"named {named_ok}/{len(named)} = {named_ok / len(named):.1%}; anonymous {anon_ok}/{len(anonymous)}")
    assert anon_ok == len(anonymous), [r[0] for r in anonymous if not r[5]]
    assert named_ok / len(named) >= 0.9, [(r[0], r[1], r[4].name) for r in named if not r[5]]
    # and the level: the expected one for every region found (an anonymous one's from 全县/XX镇…)
    assert [(r[0], r[4].level) for r in rows if r[5] and r[4].level != r[3]] == []


@pytest.mark.skipif(not (CORPUS / "sources.tsv").exists(), reason="shared corpus not present")
def test_corpus_is_covered() -> None:
    assert len(corpus_rows()) >= 70


def test_anonymous_documents_never_share_a_key() -> None:
    anonymous = [r[4] for r in corpus_rows() if r[4].anonymous]
    assert len({r.key for r in anonymous}) == len(anonymous)
    assert all(r.key.startswith(r.name + "#") and r.name.startswith("某") for r in anonymous)


# ---------------------------------------------------------------- samples, raw and cleaned


@pytest.mark.parametrize(
    ("prefix", "name", "level", "anonymous", "parents"),
    [
        ("000", "某县", "县", True, []),
        ("001", "某县", "县", True, []),
        ("002", "云阳县", "县", False, ["重庆市"]),
        ("003", "冠县", "县", False, ["聊城市", "山东省"]),
        ("004", "某镇", "镇", True, []),
    ],
)
def test_samples(prefix: str, name: str, level: str, anonymous: bool, parents: list[str]) -> None:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    raw = load_file(path)
    for text in (raw.text, clean_text(raw.text)):
        region = document_region(text, raw.doc)
        assert (region.name, region.level, region.anonymous) == (name, level, anonymous)
        assert parent_names(region) == parents
        assert region.key == (f"{name}#{raw.doc}" if anonymous else name)


# ---------------------------------------------------------------- header shapes


@pytest.mark.parametrize(
    ("text", "name", "level", "anonymous"),
    [
        # "关于宁海县…的报告" is about 宁海县, not "关于宁海县"
        ("关于宁海县2023年政府工作报告目标任务完成情况的报告\n受县人民政府委托，现将有关情况报告如下。\n"
         "全县上下认真落实省委省政府决策部署，平安建设扎实推进。", "宁海县", "县", False),
        # "受区人民政府委托" names no place; "平安建设"/"新县城" are no places
        ("关于2023年国民经济和社会发展计划执行情况的报告\n受区人民政府委托，现将情况报告如下。\n"
         "全区地区生产总值增长5%。我区平安建设成效明显，新县城建设加快。", "某区", "区", True),
        ("政府工作报告\n各位代表：\n现在，我代表县人民政府向大会报告工作。\n在县委县政府坚强领导下，全县经济平稳。"
         "认真落实省委省政府部署。", "某县", "县", True),
        ("当前位置：首页 > 宁夏要闻\n政府工作报告\n——2026年2月3日在宁夏回族自治区第十三届人民代表大会第四次会议上\n"
         "自治区人民政府主席 张雨浦\n各位代表：\n现在，我代表自治区人民政府，向大会报告工作。全区经济稳中有进。",
         "宁夏回族自治区", "省", False),
        # a title without a name, the province only in the byline; other provinces in the body
        ("2026年政府工作报告\n发布时间：2026-02-01 来源：云南省人民政府\n各位代表：\n现在，我代表省人民政府，向大会"
         "报告工作。全省上下团结奋斗，福建、广东等兄弟省份大力支持。", "云南省", "省", False),
        ("——二〇二六年一月二十七日在甘肃省十四届人民代表大会第四次会议上\n甘肃省省长 任振鹤\n各位代表：\n"
         "我代表省人民政府，向大会报告工作。", "甘肃省", "省", False),
        ("安吉县昌硕街道2022年工作总结\n2022年，街道党工委带领全街道干部群众奋勇争先。", "昌硕街道", "街道", False),
        ("XX县2023年政府工作报告\n各位代表：\n现在，我代表县人民政府向大会报告工作。全县完成地区生产总值100亿元。"
         "与宁海县、象山县加强合作。", "某县", "县", True),
        ("*镇2022年工作总结\n今年以来，全镇上下奋力拼搏。", "某镇", "镇", True),
        ("下面是小编整理的街道工作总结。\n2022年来，在区委区政府的坚强领导下，*街道认真贯彻落实区委全会精神。",
         "某街道", "街道", True),
        # neighbours named in passing do not make an unnamed county named
        ("各位代表：\n现在，我代表县人民政府，向大会报告工作。\n一年来，全县上下团结一心。与寿县、凤台县合作建设产业园。",
         "某县", "县", True),
        ("政府工作报告\n——2024年1月10日在朝阳区第十七届人民代表大会第三次会议上\n北京市朝阳区区长 文献\n各位代表：\n"
         "全区经济持续向好。", "朝阳区", "区", False),
        # a notice issued by one of the region's departments
        ("冠县财政局关于2021年全县预算执行情况的报告\n全县一般公共预算收入12.6亿元。", "冠县", "县", False),
        ("蠡县统计局\n2016年国民经济主要指标完成情况通报\n全县生产总值增长6.5%。", "蠡县", "县", False),
    ],
)
def test_header_shapes(text: str, name: str, level: str, anonymous: bool) -> None:
    region = document_region(text, "doc.txt")
    assert (region.name, region.level, region.anonymous) == (name, level, anonymous), region


def test_named_regions_carry_jionlp_parents() -> None:
    town = document_region("安吉县昌硕街道2022年工作总结\n2022年，全街道奋勇争先。", "a.txt")
    assert (town.province, town.city, town.county, town.town) == ("浙江省", "湖州市", "安吉县", "昌硕街道")
    district = document_region("政府工作报告\n——2024年1月10日在朝阳区第十七届人民代表大会第三次会议上\n"
                               "北京市朝阳区区长 文献\n全区经济持续向好。", "b.txt")
    assert (district.province, district.city, district.county) == ("北京市", "北京市", "朝阳区")
    youyang = region_from_name("酉阳县")
    assert (youyang.name, youyang.county, youyang.level) == ("酉阳县", "酉阳土家族苗族自治县", "县")


def test_traditional_text_and_title() -> None:
    text = "政府工作報告\n——2016年3月29日在平利縣第十七屆人民代表大會第五次會議上\n各位代表:\n現在,我代表縣人民政府"
    assert document_region(text, "x.txt").name == "平利县"
    assert document_region("各位代表：全县经济平稳。", "y.txt", title="2019年新县政府工作报告").name == "新县"


# ---------------------------------------------------------------- relations


def test_parent_names_and_within() -> None:
    shanghang, longyan, fujian = region_from_name("上杭县"), region_from_name("龙岩市"), region_from_name("福建省")
    assert parent_names(shanghang) == ["龙岩市", "福建省"]
    assert parent_names(longyan) == ["福建省"]
    assert parent_names(fujian) == []
    assert within(shanghang, longyan) and within(longyan, fujian) and within(shanghang, fujian)
    assert not within(longyan, shanghang) and not within(shanghang, shanghang)
    assert not within(shanghang, region_from_name("浙江省"))
    town = region_from_name("安吉县昌硕街道")
    assert parent_names(town) == ["安吉县", "湖州市", "浙江省"]
    assert within(town, region_from_name("安吉县")) and within(town, region_from_name("浙江"))
    assert within(region_from_name("涪陵区"), region_from_name("重庆市"))
    anonymous = region_from_name("某县", doc="a.txt")
    assert anonymous.anonymous and anonymous.key == "某县#a.txt"
    assert not within(anonymous, fujian)


# ---------------------------------------------------------------- find_regions


@pytest.fixture(scope="module")
def indexed() -> list[Region]:
    named = [region_from_name(n) for n in ("浙江省", "江苏省", "安徽省", "上杭县", "冠县", "云阳县", "海南省",
                                           "海南藏族自治州", "宁夏回族自治区", "内蒙古自治区", "昌硕街道",
                                           "新县", "平安区", "涪陵区")]
    return named + [region_from_name("XX县", "a.txt"), region_from_name("某县", "b.txt"),
                    region_from_name("xx镇", "c.txt")]


def _keys(regions: list[Region]) -> list[str]:
    return [r.key for r in regions]


@pytest.mark.parametrize(
    ("question", "indexed_keys", "scope_names", "unknown"),
    [
        ("江苏和浙江2025年GDP增速哪个高", ["江苏省", "浙江省"], ["浙江省"], []),
        ("那安徽呢", ["安徽省"], [], []),
        ("上杭2019年地区生产总值", ["上杭县"], [], []),
        ("龙岩市各县的GDP", [], ["龙岩市"], []),
        ("白云县2022年地区生产总值", [], [], ["白云县"]),
        ("平安建设做了哪些工作", [], [], []),
        ("新县城建设进展如何", [], [], []),
        ("新县2018年财政收入", ["新县"], [], []),
        ("某县2022年地区生产总值是多少", ["某县#a.txt", "某县#b.txt"], [], []),
        ("XX镇的财政收入", ["某镇#c.txt"], [], []),
        ("海南藏族自治州2022年", ["海南藏族自治州"], [], []),
        ("海南2025年", ["海南省"], [], []),
        ("宁夏和内蒙古哪个高", ["宁夏回族自治区", "内蒙古自治区"], [], []),
        ("绍兴市和温州的GDP", [], [], ["绍兴市", "温州"]),
        ("那冠县呢", ["冠县"], [], []),
        ("冠县城市建成区面积", ["冠县"], [], []),
        ("云阳县和冠县哪个高", ["云阳县", "冠县"], [], []),
        ("昌硕街道2022年", ["昌硕街道"], [], []),
        ("重庆各区县", [], ["重庆市"], []),
        ("城关镇2022年", [], [], ["城关镇"]),
        ("2025年江苏、山东、广东城镇新增就业", ["江苏省"], ["山东省"], ["广东"]),
        ("冠县和某县", ["冠县", "某县#a.txt", "某县#b.txt"], [], []),
    ],
)
def test_find_regions(indexed: list[Region], question: str, indexed_keys: list[str], scope_names: list[str],
                      unknown: list[str]) -> None:
    match = find_regions(question, indexed)
    assert _keys(match.indexed) == indexed_keys
    assert [s.name for s in match.scopes] == scope_names
    assert match.unknown == unknown


def test_scopes_reach_the_regions_under_them(indexed: list[Region]) -> None:
    match = find_regions("龙岩市各县2019年GDP", indexed)
    assert _keys(match.under) == ["上杭县"]
    assert all(within(r, match.scopes[0]) for r in match.under)
    match = find_regions("重庆各区县", indexed)
    assert _keys(match.under) == ["云阳县", "涪陵区"]
    match = find_regions("安吉县", indexed)
    assert [s.name for s in match.scopes] == ["安吉县"] and _keys(match.under) == ["昌硕街道"]


def test_find_regions_on_detected_corpus_regions() -> None:
    regions = [r[4] for r in corpus_rows()]
    match = find_regions("上杭2019年和宁夏2025年的地区生产总值", regions)
    assert _keys(match.indexed) == ["上杭县", "宁夏回族自治区"]
    match = find_regions("福建各县", regions)
    assert "上杭县" in _keys(match.under)


def test_find_regions_speed(indexed: list[Region]) -> None:
    question = "江苏和浙江2025年GDP增速哪个高？那安徽呢，上杭2019年和龙岩市各县的情况如何"
    assert 35 <= len(question) <= 45
    find_regions(question, indexed)  # warm-up: dictionary and index tables
    runs = 300
    start = time.perf_counter()
    for _ in range(runs):
        find_regions(question, indexed)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 0.002, f"{per_call * 1000:.2f} ms per question"
