"""Tables across regions (`govqa table`, bot.table): every figure is checked against its own cited
quote with the quantity-level check, on the real corpus index; extraction-style cases on short
sentences written here in the reports' usual style."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bot.table.build import build_table
from bot.table.export import HEADERS, number_text, to_csv, write_csv, write_xlsx
from bot.table.models import CELL_FIELDS, KIND_LABELS, NOT_FOUND, Cell, Table, TableError, TableRequest
from bot.table.rank import rank_cells
from bot.verify.numbers import figure_supported
from ingest.chunk import chunk_text
from ingest.facts import facts_of_chunks
from ingest.meta import covered_years
from ingest.models import DocMeta, Fact
from ingest.regions import Region
from tests.conftest import make_settings

# ---------------------------------------------------------------- helpers


def growth_text(cell: Cell) -> str:
    """The growth of a cell as a report would write it, for the quantity check."""
    assert cell.growth is not None
    return f"{'下降' if cell.growth < 0 else '增长'}{number_text(abs(cell.growth))}{cell.growth_unit}"


def unsupported(cell: Cell) -> list[str]:
    """The figures of a cell its own quote does not state (quantities, not substrings)."""
    claims = []
    if cell.value is not None:
        claims.append(f"{number_text(cell.value)}{cell.unit}")
    if cell.growth is not None:
        claims.append(growth_text(cell))
    return [claim for claim in claims if not figure_supported(claim, cell.quote)]


@pytest.fixture(scope="module")
def store(corpus_index: Path):
    from ingest.store import open_store

    opened = open_store(make_settings(corpus_index), with_embedder=False)
    yield opened
    opened.close()


def table_of(store, request: TableRequest) -> Table:
    return build_table(request, store.facts(), store.region_index(), store.doc_titles())


@pytest.fixture(scope="module")
def gdp_2025(store) -> Table:
    return table_of(store, TableRequest(level="省", indicators=["地区生产总值"], years=[2025]))


# ---------------------------------------------------------------- on the corpus index


def test_gdp_growth_ranking_of_all_provinces_is_supported_by_its_quotes(store, gdp_2025: Table):
    docs = {d.doc: d for d in store.list_docs()}
    assert len(gdp_2025.regions) == 31
    assert gdp_2025.notes and "31" in gdp_2025.notes[0]
    ranking = rank_cells(gdp_2025.cells, by="growth")
    assert len(ranking) == 31
    with_growth = [r for r in ranking if r.cell.growth is not None]
    assert len(with_growth) >= 28, [r.cell.region for r in ranking if r.cell.growth is None]
    for entry in ranking:
        cell = entry.cell
        if not cell.found:
            assert cell.note.startswith(NOT_FOUND)
            continue
        assert unsupported(cell) == [], (cell.region, cell.value, cell.unit, cell.growth, cell.quote)
        # the figure is the region's own, from its own report, for the year asked, never a target
        assert cell.kind in ("actual", "forecast"), cell
        assert all(docs[doc].region_name == cell.region for doc in cell.doc.split()), cell
        assert cell.title == " ".join(docs[doc].title for doc in cell.doc.split())
    # ranked from the highest growth down, equal growths sharing a rank
    growths = [r.cell.growth for r in with_growth]
    assert growths == sorted(growths, reverse=True)
    assert [r.rank for r in with_growth][0] == 1
    for before, after in zip(with_growth, with_growth[1:], strict=False):
        assert (after.rank == before.rank) == (after.cell.growth == before.cell.growth)


def test_a_value_ranking_compares_amounts_across_scale_words(gdp_2025: Table):
    ranking = [r for r in rank_cells(gdp_2025.cells, by="value") if r.rank is not None]
    assert len(ranking) >= 2
    units = {r.cell.unit for r in ranking}
    assert units <= {"亿元", "万亿元"}, units
    scale = {"亿元": 1e8, "万亿元": 1e12}
    amounts = [r.cell.value * scale[r.cell.unit] for r in ranking]  # type: ignore[operator]
    assert amounts == sorted(amounts, reverse=True)


def test_a_figure_the_report_does_not_give_is_not_found(store):
    table = table_of(store, TableRequest(regions=["天津市", "黑龙江"], indicators=["粮食总产量"], years=[2025]))
    tianjin = table.cell("天津市", "粮食总产量", 2025)
    assert tianjin is not None
    assert tianjin.value is None and tianjin.growth is None and tianjin.kind is None
    assert tianjin.note.startswith(NOT_FOUND) and tianjin.quote == "" and tianjin.doc == ""
    heilongjiang = table.cell("黑龙江省", "粮食总产量", 2025)
    assert heilongjiang is not None and heilongjiang.value is not None
    assert unsupported(heilongjiang) == []


def test_regions_under_a_place_and_by_level(store):
    known = store.region_index()
    inside = {r.name for r in known if r.province == "福建省" and r.level != "省"}
    try:
        fujian = table_of(store, TableRequest(within="福建省", indicators=["地区生产总值"]))
    except TableError as exc:  # reports that date none of their figures: the year must be given
        assert "--years" in str(exc)
        fujian = table_of(store, TableRequest(within="福建省", indicators=["地区生产总值"], years=[2023]))
    assert inside and set(fujian.regions) == inside
    for cell in fujian.cells:
        assert not cell.found or unsupported(cell) == []
    counties = table_of(store, TableRequest(level="县", indicators=["地区生产总值"]))
    assert set(counties.regions) == {r.name for r in known if r.level == "县" and not r.anonymous} | {
        f"{r.name}（{r.key.split('#', 1)[1]}）" for r in known if r.level == "县" and r.anonymous}
    with pytest.raises(TableError, match="未找到该地区的报告"):
        table_of(store, TableRequest(regions=["火星县"], indicators=["地区生产总值"]))
    with pytest.raises(TableError, match="无法识别的指标"):
        table_of(store, TableRequest(regions=["浙江"], indicators=["幸福指数"]))


def test_csv_and_xlsx_exports_read_back(tmp_path: Path, store):
    from openpyxl import load_workbook

    table = table_of(store, TableRequest(regions=["浙江", "江苏", "天津"], indicators=["GDP", "粮食总产量"],
                                         years=[2025]))
    cells = table.cells
    assert any(c.found for c in cells) and any(not c.found for c in cells)
    headers = [HEADERS[name] for name in CELL_FIELDS]

    def shown(cell: Cell) -> list[str]:
        values = cell.model_dump()
        values["kind"] = KIND_LABELS.get(cell.kind or "", "")
        return ["" if values[n] is None else (number_text(values[n]) if isinstance(values[n], float) else str(values[n]))
                for n in CELL_FIELDS]

    path = write_csv(cells, tmp_path / "table.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == headers
    assert rows[1:] == [shown(c) for c in cells]
    assert list(csv.reader(io.StringIO(to_csv(cells))))[1:] == rows[1:]

    path = write_xlsx(cells, tmp_path / "table.xlsx")
    sheet = load_workbook(path).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == headers
    assert len(values) == len(cells) + 1
    for row, cell in zip(values[1:], cells, strict=True):
        record = dict(zip(CELL_FIELDS, row, strict=True))
        assert record["region"] == cell.region and record["indicator"] == cell.indicator
        assert record["year"] == cell.year
        assert record["value"] == cell.value and record["growth"] == cell.growth  # numbers stay numbers
        assert (record["quote"] or "") == cell.quote and (record["title"] or "") == cell.title
        assert (record["note"] or "") == cell.note
        assert (record["kind"] or "") == KIND_LABELS.get(cell.kind or "", "")


def test_cli_table_json_gives_the_contract_fields(corpus_index: Path, capsys):
    from bot.cli import main

    code = main(["table", "--index", str(corpus_index), "--regions", "浙江,江苏,广东",
                 "--indicators", "GDP,城镇新增就业", "--years", "2025", "--json"])
    assert code == 0
    cells = json.loads(capsys.readouterr().out)
    assert len(cells) == 6
    assert {(c["region"], c["indicator"]) for c in cells} == {
        (r, i) for r in ("浙江省", "江苏省", "广东省") for i in ("地区生产总值", "城镇新增就业")}
    for cell in cells:
        assert list(cell) == list(CELL_FIELDS)
        assert cell["year"] == 2025
        assert cell["kind"] in ("actual", "forecast", "target", None)
        if cell["value"] is None and cell["growth"] is None:
            assert cell["note"].startswith(NOT_FOUND)
        else:
            assert unsupported(Cell.model_validate(cell)) == [], cell


def test_cli_table_text_and_errors(corpus_index: Path, tmp_path: Path, capsys):
    from bot.cli import main

    assert main(["table", "--index", str(corpus_index), "--regions", "天津", "--indicators", "粮食总产量,地区生产总值",
                 "--years", "2025"]) == 0
    out = capsys.readouterr().out
    assert "地区" in out.splitlines()[0] and NOT_FOUND in out and "来源：" in out

    assert main(["table", "--index", str(corpus_index), "--regions", "火星县", "--indicators", "GDP"]) != 0
    captured = capsys.readouterr()
    assert "未找到该地区的报告" in captured.err and "Traceback" not in captured.err
    assert main(["table", "--index", str(corpus_index), "--regions", "浙江"]) != 0
    assert "请至少指定一个指标" in capsys.readouterr().err
    assert main(["table", "--index", str(corpus_index), "--level", "国", "--indicators", "GDP"]) != 0
    assert "级别" in capsys.readouterr().err
    assert main(["table", "--index", str(corpus_index), "--regions", "浙江", "--indicators", "GDP",
                 "--years", "明年"]) != 0
    assert "年份" in capsys.readouterr().err

    xlsx = tmp_path / "t.xlsx"
    assert main(["table", "--index", str(corpus_index), "--level", "省", "--indicators", "GDP", "--xlsx", str(xlsx)]) == 0
    assert xlsx.is_file() and "已写入" in capsys.readouterr().out


# ---------------------------------------------------------------- short sentences in report style


def facts_from(text: str, region: str = "临川市", year: int = 2026) -> tuple[list[Fact], Region, dict[str, str]]:
    """Facts of a text read as a 政府工作报告 of `year` (which reviews year-1 and plans year)."""
    meta = DocMeta(doc=f"{region}.txt", region=region, region_name=region, level="市", year=year,
                   kind="政府工作报告", title=f"{year}年{region}政府工作报告")
    chunks = chunk_text(text, meta, "0123abcd", covered_years(meta))
    return facts_of_chunks(chunks), Region(name=region, level="市", key=region), {meta.doc: meta.title}


def one_table(text: str, indicators: list[str], years: list[int]) -> Table:
    facts, region, titles = facts_from(text)
    return build_table(TableRequest(regions=[region.name], indicators=indicators, years=years), facts, [region], titles)


REPORT = """一、2025年工作回顾
过去一年，全市地区生产总值达到3250.6亿元，同比增长5.2%。城镇新增就业5.6万人。预计全年居民人均可支配收入增长5%左右。
人均地区生产总值从2020年的5.1万元提高到6.2万元。全市粮食产量迈上50亿斤台阶，达到51.3亿斤。税收收入增加近20亿元。
二、2026年主要目标
2026年经济社会发展的主要预期目标是：地区生产总值增长5.5%左右，城镇新增就业5万人以上。
"""


def test_cell_kind_follows_the_stance_of_the_figure():
    table = one_table(REPORT, ["地区生产总值", "城镇新增就业", "居民人均可支配收入"], [2025, 2026])
    gdp = table.cell("临川市", "地区生产总值", 2025)
    assert gdp is not None and (gdp.value, gdp.unit, gdp.growth, gdp.kind) == (3250.6, "亿元", 5.2, "actual")
    target = table.cell("临川市", "地区生产总值", 2026)
    assert target is not None and (target.value, target.growth, target.kind) == (None, 5.5, "target")
    assert "左右" in target.note and "主要预期目标" in target.quote
    jobs = table.cell("临川市", "城镇新增就业", 2026)
    assert jobs is not None and (jobs.value, jobs.unit, jobs.kind) == (5.0, "万人", "target")
    assert "以上" in jobs.note
    income = table.cell("临川市", "居民人均可支配收入", 2025)
    assert income is not None and (income.growth, income.kind) == (5.0, "forecast")
    assert table.cell("临川市", "居民人均可支配收入", 2026).note == NOT_FOUND  # type: ignore[union-attr]
    for cell in table.cells:
        assert unsupported(cell) == []


def test_figures_that_are_not_the_indicators_level_stay_out():
    table = one_table(REPORT, ["地区生产总值", "粮食总产量", "税收收入"], [2025])
    # “人均地区生产总值…” names another indicator around the same words
    assert table.cell("临川市", "地区生产总值", 2025).value == 3250.6  # type: ignore[union-attr]
    only_per_head = one_table("一、2025年工作回顾\n人均地区生产总值从2020年的5.1万元提高到6.2万元。\n",
                              ["地区生产总值"], [2025])
    assert only_per_head.cells[0].value is None and only_per_head.cells[0].note.startswith(NOT_FOUND)
    # a milestone passed (“迈上50亿斤台阶”) is not the figure when the figure is given
    grain = table.cell("临川市", "粮食总产量", 2025)
    assert grain is not None and (grain.value, grain.unit) == (51.3, "亿斤")
    # an increase (“增加近20亿元”) is not the level
    tax = table.cell("临川市", "税收收入", 2025)
    assert tax is not None and tax.value is None and tax.note.startswith(NOT_FOUND)


BASIS_REPORT = """一、2025年工作回顾
过去一年，全市地区生产总值增长4.8%，一般公共预算收入达到152.3亿元、增长2.1%（自然口径下降1.5%），规上工业增加值增长6%。
按可比口径计算，社会消费品零售总额增长4.2%。
"""


def test_a_basis_note_goes_to_the_figure_it_belongs_to():
    table = one_table(BASIS_REPORT, ["地区生产总值", "一般公共预算收入", "社会消费品零售总额"], [2025])
    revenue = table.cell("临川市", "一般公共预算收入", 2025)
    assert revenue is not None and (revenue.value, revenue.growth) == (152.3, 2.1)
    assert "口径" in revenue.note and "自然口径下降1.5%" in revenue.note
    retail = table.cell("临川市", "社会消费品零售总额", 2025)
    assert retail is not None and retail.growth == 4.2 and "可比口径" in retail.note
    gdp = table.cell("临川市", "地区生产总值", 2025)  # same sentence, its own clause states no basis
    assert gdp is not None and gdp.growth == 4.8 and "口径" not in gdp.note


def test_another_definition_is_noted_never_filled_in():
    text = "一、2025年工作回顾\n全年财政总收入达到512亿元，增长3%。\n"
    table = one_table(text, ["一般公共预算收入", "财政收入"], [2025])
    strict = table.cell("临川市", "一般公共预算收入", 2025)
    assert strict is not None and strict.value is None and strict.growth is None
    assert strict.note.startswith(NOT_FOUND) and "财政总收入" in strict.note and "口径不同" in strict.note
    general = table.cell("临川市", "财政收入", 2025)  # a general word: the specific figure, named as such
    assert general is not None and (general.value, general.growth, general.kind) == (512.0, 3.0, "actual")
    assert "财政总收入" in general.note


def test_rank_cells_shares_ranks_and_leaves_missing_unranked():
    cells = [Cell(region=r, indicator="地区生产总值", year=2025, value=v, unit=u, growth=g, kind="actual")
             for r, v, u, g in [("甲", 1.2, "万亿元", 5.0), ("乙", 9800.0, "亿元", 5.5), ("丙", 8000.0, "亿元", 5.0)]]
    cells.append(Cell(region="丁", indicator="地区生产总值", year=2025, note=NOT_FOUND))
    by_growth = rank_cells(cells, by="growth")
    assert [(r.cell.region, r.rank) for r in by_growth] == [("乙", 1), ("甲", 2), ("丙", 2), ("丁", None)]
    by_value = rank_cells(cells, by="value")
    assert [(r.cell.region, r.rank) for r in by_value] == [("甲", 1), ("乙", 2), ("丙", 3), ("丁", None)]


def test_charts_draw_chinese_with_a_cjk_font(tmp_path: Path, recwarn):
    from matplotlib import font_manager

    from bot.table.chart import bar_chart, cjk_font, line_chart, save_png

    family = cjk_font()
    assert family, "no CJK font installed with the project"
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert "CJK" in path or "wqy" in path.lower()
    cells = [Cell(region=r, indicator="地区生产总值", year=2025, growth=g, kind="actual")
             for r, g in [("内蒙古自治区", 4.7), ("黑龙江省", 4.2)]]
    cells += [Cell(region="黑龙江省", indicator="地区生产总值", year=2026, growth=5.0, kind="target")]
    bar = save_png(bar_chart(cells, "地区生产总值", 2025), tmp_path / "bar.png")
    line = save_png(line_chart(cells, "黑龙江省", "地区生产总值"), tmp_path / "line.png")
    assert bar.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and line.stat().st_size > 0
    missing = [str(w.message) for w in recwarn if "missing from font" in str(w.message)]
    assert missing == []


TASKS_REPORT = """一、2025年工作回顾
千方百计促进就业，城镇新增就业每年超过5万人。粮食产量连续5年稳定在50亿斤以上。
二、2026年主要目标
2026年主要预期目标是：城镇新增就业5万人以上，粮食产量50亿斤以上。
附件：2026年民生实事
1.实现城镇新增就业5万人以上，开展职业技能培训2万人次（牵头单位：人社局）。
"""


def test_figures_of_several_years_and_restated_targets_are_not_a_years_result():
    table = one_table(TASKS_REPORT, ["城镇新增就业", "粮食总产量"], [2025, 2026])
    for indicator in ("城镇新增就业", "粮食总产量"):
        # “每年超过…”, “连续5年稳定在…”: said of several years, not 2025's figure
        past = table.cell("临川市", indicator, 2025)
        assert past is not None and not past.found and past.note.startswith(NOT_FOUND)
        # the task list repeats the target: the cell is the target, not a result
        coming = table.cell("临川市", indicator, 2026)
        assert coming is not None and coming.kind == "target" and "主要预期目标" in coming.quote
    yearly = one_table(TASKS_REPORT.replace("每年超过5万人。", "每年超过5万人。全年城镇新增就业5.6万人。"),
                       ["城镇新增就业"], [2025])
    assert (yearly.cells[0].value, yearly.cells[0].kind) == (5.6, "actual")
