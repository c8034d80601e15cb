"""ingest.meta on the cleaned seed reports; explicit overrides win."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from ingest.clean import clean_text, to_simplified
from ingest.load import load_file
from ingest.meta import covered_years, detect_meta
from ingest.models import DocMeta
from ingest.regions import level_of

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@cache
def seed(prefix: str) -> tuple[str, str, str]:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    raw = load_file(path)
    return clean_text(raw.text), raw.doc, to_simplified(raw.text[:1500])


def meta_of(prefix: str, **overrides: object) -> DocMeta:
    text, name, head = seed(prefix)
    return detect_meta(text, name, raw_head=head, **overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("prefix", "region", "level", "year", "kind"),
    [
        ("002", "云阳县", "县", 2022, "目标完成情况通报"),
        ("003", "冠县", "县", 2022, "政府工作报告"),
        ("000", "某县", "县", 2022, "工作总结"),
        ("004", "某镇", "镇", 2022, "工作总结"),
    ],
)
def test_seed_meta(prefix: str, region: str, level: str, year: int, kind: str) -> None:
    meta = meta_of(prefix)
    assert (meta.region_name, meta.level, meta.year, meta.kind) == (region, level, year, kind)
    assert meta.doc.startswith(prefix)
    # an anonymous region belongs to its own document
    assert meta.anonymous == region.startswith("某")
    assert meta.region == (f"{region}#{meta.doc}" if meta.anonymous else region)


def test_001_is_a_government_work_report_of_a_county() -> None:
    meta = meta_of("001")
    assert meta.kind == "政府工作报告"
    assert meta.level == "县"


def test_region_hierarchy_from_the_division_parser() -> None:
    meta = meta_of("003")
    assert (meta.province, meta.city, meta.county) == ("山东省", "聊城市", "冠县")


def test_overrides_win() -> None:
    meta = meta_of("002", region="万州区", year=2021, kind="工作总结")
    assert (meta.region, meta.level, meta.year, meta.kind) == ("万州区", "区", 2021, "工作总结")
    # a partial override keeps the detected rest
    partial = meta_of("003", year=2021)
    assert (partial.region, partial.year, partial.kind) == ("冠县", 2021, "政府工作报告")


def test_file_name_is_a_fallback() -> None:
    meta = detect_meta("一、总体情况\n今年工作平稳推进。", "南川区2021年政府工作报告.txt")
    assert meta.region == "南川区" and meta.level == "区"
    assert meta.year == 2021 and meta.kind == "政府工作报告"


def test_unknown_document() -> None:
    meta = detect_meta("今天天气很好。", "note.txt")
    assert meta.region == "" and meta.year is None and meta.kind == "other"
    assert covered_years(meta) == (0, 9999)


def test_levels_and_covered_years() -> None:
    assert [level_of(r) for r in ("重庆市", "云阳县", "渝中区", "某镇", "四川省")] == ["市", "县", "区", "镇", "省"]
    assert covered_years(meta_of("003")) == (2021, 2022)  # reviews 2021, plans 2022
    assert covered_years(meta_of("002")) == (2022, 2022)


def test_explicit_kind_other_is_kept() -> None:
    meta = meta_of("003", kind="other")
    assert meta.kind == "other" and meta.region == "冠县"


@pytest.mark.parametrize(("name", "title"), [
    ("冠县2022年政府工作报告.docx", "冠县2022年政府工作报告目标任务完成情况"),  # the file name says 政府工作报告
    ("report.docx", "关于2023年政府工作报告目标任务完成情况的通报"),
])
def test_a_docx_titled_target_completion_is_classified_as_such(tmp_path: Path, name: str, title: str) -> None:
    import docx

    from ingest.pipeline import Overrides, prepare

    document = docx.Document()
    document.add_paragraph(title)
    document.add_paragraph("一、经济发展")
    document.add_paragraph("全县地区生产总值增长5%，完成年度目标。政府工作报告确定的目标任务进展顺利。")
    document.save(tmp_path / name)
    meta = prepare(tmp_path / name, Overrides(), 80, 400, 40, 10**8).meta
    assert meta.kind == "目标完成情况通报" and "目标任务完成情况" in meta.title
