"""The 对比 tab's many-region table and the 指标 tab's targets across regions: event handlers and the
pure helpers that turn bot.table's cells and target rows into what Gradio shows (a sortable
DataFrame, a matplotlib chart, source panels with the quote highlighted, CSV/XLSX files)."""

from __future__ import annotations

import csv
import logging
import math
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd

from bot.models import Citation
from bot.table.build import build_table
from bot.table.chart import ChartBy, bar_chart, line_chart
from bot.table.export import number_text, write_csv, write_xlsx
from bot.table.models import KIND_LABELS, NOT_FOUND, Cell, Table, TableError, TableRequest
from bot.table.rank import split_unit
from bot.table.select import LEVELS, parse_years, region_label, select_indicators
from bot.table.targets import TargetRow, TargetTable, target_table, target_years
from bot.ui import messages as msg
from bot.ui.render import esc, highlight, source_card
from ingest.models import Chunk, Fact
from ingest.regions import Region

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from bot.service import QAService
    from bot.ui.startup import StartupState

log = logging.getLogger(__name__)

ANY = "不限"
AUTO_YEAR = "自动"
CHART_BY_LABELS: dict[str, ChartBy] = {"增速": "growth", "数值": "value"}
TABLE_HEADERS = ["地区", "指标", "年份", "数值", "单位", "增速", "类型", "说明", "来源"]
TARGET_COLUMN_WIDTHS = ["12%", "6%", "14%", "14%", "7%", "8%", "8%", "11%", "10%", "10%"]
TARGET_HEADERS = ["地区", "年份", "目标", "实际", "实际类型", "状态", "判断依据", "说明", "目标出处", "实际出处"]
TABLE_COLUMN_WIDTHS = ["13%", "14%", "7%", "10%", "7%", "7%", "6%", "16%", "20%"]
TABLE_DATATYPES = ["str", "str", "number", "number", "str", "number", "str", "str", "str"]
MASKED = "（隐去）"
CELL_HINT = '<div class="src-empty">点击表格中的一行，在这里查看该格数字的原文出处（引文高亮）。</div>'
TARGET_HINT = '<div class="src-empty">点击表格中的一行，在这里查看目标和实际数字的原文出处（引文高亮）。</div>'
# CLI flags in bot.table's messages, as the fields of this tab
_FLAG_WORDS = {"--regions": "“地区”", "--level": "“层级”", "--within": "“范围”", "--indicators": "“指标”",
               "--years": "“年份”"}
_FLAG_IN_PARENS = re.compile(r"（--\w+）")


# ---- pure helpers ------------------------------------------------------------------------------
def ui_message(error: TableError | str) -> str:
    """A bot.table message for the tab: "（--regions）" dropped, "请用 --years 指定" as the field's name."""
    text = _FLAG_IN_PARENS.sub("", str(error))
    for flag, word in _FLAG_WORDS.items():
        text = text.replace(f"用 {flag} ", f"在{word}中").replace(flag, word)
    return text


def message_html(text: str, kind: str = "note") -> str:
    css = "table-error" if kind == "error" else "src-note"
    return f'<div class="{css}">{esc(text)}</div>'


def region_choices(regions: Sequence[Region]) -> list[tuple[str, str]]:
    """(label, region key) for the region picker, provinces first, then cities, counties, …, towns."""
    order = {level: i for i, level in enumerate(LEVELS)}
    labelled = [(region_label(r), r.key, order.get(r.level, len(order))) for r in regions]
    return [(label, key) for label, key, _ in sorted(labelled, key=lambda x: (x[2], x[0]))]


def scope_choices(regions: Sequence[Region]) -> list[str]:
    """Places that hold indexed regions (provinces and cities of the index), for "范围（在…之内）"."""
    places: dict[str, None] = {}
    for region in regions:
        for place in (region.province, region.city):
            if place and place != region.name:
                places.setdefault(place, None)
    return [ANY, *sorted(places)]


def year_choices(facts: Sequence[Fact]) -> list[str]:
    """The years the index has figures for, latest first."""
    return [str(y) for y in sorted({f.year for f in facts if f.year and not f.span}, reverse=True)]


def years_of(values: Sequence[str] | str | None) -> list[int]:
    """The years picked or typed ("2025", "2023-2025", "2023,2024"); TableError for anything else."""
    text = values if isinstance(values, str) else ",".join(str(v) for v in (values or []))
    try:
        return parse_years(text)
    except ValueError as exc:
        raise TableError(f"无法识别的年份：{exc}（例：2025 或 2023-2025）。") from None


def _optional(value: str | None) -> str | None:
    value = (value or "").strip()
    return None if value in ("", ANY) else value


def table_request(regions: Sequence[str] | None, level: str | None, within: str | None,
                  indicators: Sequence[str] | None, years: Sequence[str] | str | None) -> TableRequest:
    """The request the tab's fields make; TableError, in Chinese, for a level or year it cannot read."""
    names = [r.strip() for r in (regions or []) if r and r.strip()]
    wanted = [i.strip() for i in (indicators or []) if i and i.strip()]
    if not wanted:
        raise TableError("请至少选择一个指标。")
    level_value = _optional(level)
    if level_value is not None and level_value not in LEVELS:
        raise TableError(f"层级应为{'、'.join(LEVELS)}之一：{level_value}。")
    scope = _optional(within)
    if not names and level_value is None and scope is None:
        raise TableError("请选择地区，或选择层级、范围。")
    return TableRequest(regions=names, level=level_value, within=scope,  # type: ignore[arg-type]
                        indicators=wanted, years=years_of(years))


def _base_value(cell: Cell) -> float | None:
    """The value in its base unit (万亿元 and 亿元 sort together); display keeps the report's unit."""
    if cell.value is None:
        return None
    return cell.value * split_unit(cell.unit)[0]


def masked(cell: Cell) -> bool:
    return not cell.found and bool(cell.quote) and "隐去" in cell.note


def missing_text(cell: Cell) -> str:
    return MASKED if masked(cell) else NOT_FOUND


def table_frame(cells: Sequence[Cell]) -> Any:
    """The cells as a pandas Styler: numbers stay numbers (the columns sort by value; 数值 by its base
    unit), shown as the report writes them, 未找到 where the reports give no figure."""
    rows = [[
        c.region, c.indicator, c.year, _base_value(c), c.unit, c.growth,
        KIND_LABELS.get(c.kind or "", ""), c.note, c.title or c.doc,
    ] for c in cells]
    frame = pd.DataFrame(rows, columns=TABLE_HEADERS)
    if frame.empty:
        return frame
    value_text = [number_text(c.value) if c.value is not None else ("—" if c.found else missing_text(c)) for c in cells]
    growth_text = [
        f"{number_text(c.growth)}{c.growth_unit}" if c.growth is not None else ("—" if c.found else missing_text(c))
        for c in cells
    ]

    def shown(column: list[str]):  # noqa: ANN202 - a Styler formatter
        texts = iter(column)
        return lambda _value: next(texts)

    return frame.style.format({"数值": shown(value_text), "增速": shown(growth_text), "年份": "{:d}"})


def cells_of(state: dict | None) -> list[Cell]:
    return [Cell.model_validate(c) for c in (state or {}).get("cells", [])]


def table_state(table: Table) -> dict:
    return {"cells": [c.model_dump() for c in table.cells], "regions": table.regions, "years": table.years,
            "indicators": table.indicators}


def chart_figure(state: dict | None, indicator: str | None, year: str | int | None,
                 by_label: str | None) -> tuple[Figure | None, str]:
    """The chart of a table: a bar chart of one indicator and year across the regions when there are
    several regions; a line chart across the years when there is one region and several years. The
    measure asked (增速 or 数值) falls back to the other when the cells give none of it."""
    state = state or {}
    cells = cells_of(state)
    regions, years, indicators = state.get("regions", []), state.get("years", []), state.get("indicators", [])
    if not cells:
        return None, ""
    indicator = indicator if indicator in indicators else indicators[0]
    by: ChartBy = CHART_BY_LABELS.get(by_label or "", "growth")
    other: ChartBy = "value" if by == "growth" else "growth"

    def has(chosen: Sequence[Cell], measure: ChartBy) -> bool:
        return any((c.growth if measure == "growth" else c.value) is not None for c in chosen)

    if len(regions) >= 2:
        found_years = [y for y in years if any(c.found for c in cells if c.indicator == indicator and c.year == y)]
        try:
            wanted_year = int(year) if year not in (None, "") else None
        except (TypeError, ValueError):
            wanted_year = None
        chosen_year = wanted_year if wanted_year in years else (max(found_years) if found_years else years[-1])
        own = [c for c in cells if c.indicator == indicator and c.year == chosen_year]
        measure = by if has(own, by) else other
        if not has(own, measure):
            return None, f"{chosen_year}年“{indicator}”没有可画图的数字。"
        return bar_chart(cells, indicator, chosen_year, measure), ""
    if len(years) >= 2:
        region = regions[0]
        own = [c for c in cells if c.region == region and c.indicator == indicator]
        measure = by if has(own, by) else other
        if not has(own, measure):
            return None, f"{region}“{indicator}”各年都没有可画图的数字。"
        return line_chart(cells, region, indicator, measure), ""
    return None, "选择多个地区可看柱状图（同一年份），选择一个地区和多个年份可看折线图。"


def _find_chunk(chunks: Sequence[Chunk], quote: str) -> Chunk | None:
    for chunk in chunks:
        if highlight(chunk.text, quote)[1]:
            return chunk
    return None


def cell_source_html(cell: Cell, chunks: Sequence[Chunk]) -> str:
    """One cell's sources: each quoted sentence inside its passage, highlighted, with the document title."""
    kind = KIND_LABELS.get(cell.kind or "", "")
    figure = []
    if cell.value is not None:
        figure.append(f"{number_text(cell.value)}{cell.unit}")
    if cell.growth is not None:
        figure.append(f"增速 {number_text(cell.growth)}{cell.growth_unit}")
    head = (f'<div class="src-title">{esc(cell.region)} · {esc(cell.indicator)} · {cell.year}年'
            f'{" · " + esc(kind) if kind else ""}{"：" + esc("，".join(figure)) if figure else ""}</div>')
    note = f'<div class="src-note">说明：{esc(cell.note)}</div>' if cell.note else ""
    if not cell.quote:
        return (f'<div id="cell-source-body">{head}<div class="src-empty">已导入的报告中未找到该数字。</div>'
                f"{note}</div>")
    titles = dict(zip(cell.doc.split(), cell.title.split(" ") if cell.title else [], strict=False))
    cards = []
    for n, quote in enumerate(dict.fromkeys(q.strip() for q in cell.quote.split(" …… ")), 1):
        chunk = _find_chunk(chunks, quote)
        doc = chunk.doc if chunk else (cell.doc.split() or [""])[0]
        citation = Citation(n=n, doc=doc, title=titles.get(doc, cell.title) or doc,
                            region=chunk.region if chunk else cell.region,
                            year=chunk.year if chunk else None, section=chunk.section if chunk else "",
                            chunk_id=chunk.id if chunk else "", quote=quote)
        cards.append(source_card(citation, chunk))
    return f'<div id="cell-source-body">{head}{note}{"".join(cards)}</div>'


def sources_list_html(cells: Sequence[Cell]) -> str:
    """Every cell's document and quote, numbered, for the "全部出处" panel."""
    items = "".join(
        f'<li><span class="src-head">{esc(c.region)} · {esc(c.indicator)} · {c.year}年</span> '
        f'<span class="src-meta">{esc(c.title or c.doc)}</span><div class="src-quote">{esc(c.quote)}</div></li>'
        for c in cells if c.quote
    )
    return f'<div class="src-list"><ol>{items}</ol></div>' if items else '<div class="src-empty">没有引文。</div>'


def target_frame(table: TargetTable) -> pd.DataFrame:
    rows = [[
        r.region, r.year, r.target_text or "报告未写明", r.actual_text or "报告未写明", r.actual_kind,
        r.status_label, r.basis_label, r.note, r.target_title, r.actual_title or r.completion_title,
    ] for r in table.rows]
    return pd.DataFrame(rows, columns=TARGET_HEADERS)


def target_summary_html(table: TargetTable) -> str:
    counts = "、".join(f"{label} {n} 个" for label, n in table.counts().items())
    text = f"{table.year}年“{table.indicator}”：{counts}地区。"
    if table.missing:
        text += f"另有 {len(table.missing)} 个地区的报告未给出该指标{table.year}年的目标或完成数。"
    return f'<div class="src-title" id="target-summary">{esc(text)}</div>'


def target_source_html(row: TargetRow, chunks: dict[str, Chunk]) -> str:
    """A row's target and result sentences, each inside its passage with the quote highlighted."""
    head = (f'<div class="src-title">{esc(row.region)} · {esc(row.indicator)} · {row.year}年：'
            f'{esc(row.status_label)}{"（" + esc(row.basis_label) + "）" if row.basis_label else ""}</div>')
    cards = []
    for n, (role, fact, title) in enumerate(row.sources(), 1):
        chunk = chunks.get(fact.chunk_id)
        citation = Citation(n=n, doc=fact.doc, title=f"{role}：{title or fact.doc}",
                            region=chunk.region if chunk else row.region, year=chunk.year if chunk else fact.year,
                            section=chunk.section if chunk else "", chunk_id=fact.chunk_id, quote=fact.quote)
        cards.append(source_card(citation, chunk))
    if row.target is None:
        cards.append(f'<div class="src-note">报告未写明{row.year}年的目标。</div>')
    if row.actual is None and row.completion is None:
        cards.append(f'<div class="src-note">报告未给出{row.year}年的完成数。</div>')
    note = f'<div class="src-note">说明：{esc(row.note)}</div>' if row.note else ""
    return f'<div id="target-source-body">{head}{note}{"".join(cards)}</div>'


def _nan_to_none(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else value


# ---- handlers ----------------------------------------------------------------------------------
class TableHandlers:
    """Event handlers of the table (对比) and the targets view (指标) over one QAService's store."""

    def __init__(self, service: QAService, startup: StartupState, tmp: Path) -> None:
        self.service = service
        self.startup = startup
        self.tmp = tmp

    def choice_updates(self) -> tuple[dict, dict, dict, dict]:
        """New choices for the region, scope, year pickers and the targets' year, from the index."""
        store = self.service.store
        regions = store.region_index()
        years = year_choices(store.facts())
        return (gr.update(choices=region_choices(regions)), gr.update(choices=scope_choices(regions)),
                gr.update(choices=years), gr.update(choices=[AUTO_YEAR, *years]))

    def _empty(self, message: str) -> tuple:
        return (message, pd.DataFrame(columns=TABLE_HEADERS), None, gr.update(value=None, interactive=False),
                gr.update(value=None, interactive=False), {}, gr.update(choices=[], value=None),
                gr.update(choices=[], value=None), CELL_HINT, "")

    def build(self, regions: list[str] | None, level: str | None, within: str | None,
              indicators: list[str] | None, years: list[str] | str | None, by_label: str | None) -> tuple:
        """(message, table, chart, CSV file, XLSX file, state, chart indicator, chart year, source panel,
        all sources)."""
        if not self.startup.ready.is_set():
            return self._empty(message_html("示例报告还在导入，请稍后再试。", "error"))
        try:
            request = table_request(regions, level, within, indicators, years)
            store = self.service.store
            table = build_table(request, store.facts(), store.region_index(), store.doc_titles())
        except TableError as exc:
            return self._empty(message_html(ui_message(exc), "error"))
        except Exception as exc:  # never a traceback in the tab
            log.exception("table failed")
            return self._empty(message_html(msg.TABLE_FAILED.format(reason=msg.problem_text(exc)), "error"))
        state = table_state(table)
        stem = f"对比表-{uuid.uuid4().hex[:8]}"
        csv_path = write_csv(table.cells, self.tmp / f"{stem}.csv")
        xlsx_path = write_xlsx(table.cells, self.tmp / f"{stem}.xlsx")
        found = sum(c.found for c in table.cells)
        summary = (f"共 {len(table.cells)} 格（{len(table.regions)} 个地区 × {len(table.indicators)} 个指标 × "
                   f"{len(table.years)} 个年份），{found} 格有数字。" + "；".join(table.notes) + "。")
        figure, chart_note = chart_figure(state, None, None, by_label)
        message = message_html(summary) + (message_html(chart_note) if chart_note else "")
        years_text = [str(y) for y in table.years]
        chart_year = next((str(y) for y in reversed(table.years)
                           if any(c.found for c in table.cells if c.year == y)), years_text[-1])
        return (message, table_frame(table.cells), figure,
                gr.update(value=str(csv_path), interactive=True), gr.update(value=str(xlsx_path), interactive=True),
                state, gr.update(choices=table.indicators, value=table.indicators[0]),
                gr.update(choices=years_text, value=chart_year), CELL_HINT, sources_list_html(table.cells))

    def redraw(self, state: dict | None, indicator: str | None, year: str | None, by_label: str | None) -> Figure | None:
        try:
            return chart_figure(state, indicator, year, by_label)[0]
        except Exception:
            log.exception("chart failed")
            return None

    def cell_source(self, state: dict | None, index: int | None) -> str:
        cells = cells_of(state)
        if index is None or not 0 <= index < len(cells):
            return CELL_HINT
        cell = cells[index]
        chunks: list[Chunk] = []
        for doc in dict.fromkeys(cell.doc.split()):
            chunks.extend(self.service.store.chunks_of(doc))
        return cell_source_html(cell, chunks)

    def select_cell(self, state: dict | None, evt: gr.SelectData) -> str:
        """A click on the table: the row's cell (the event's index is the row of the data, also
        after sorting the table in the browser)."""
        index = getattr(evt, "index", None)
        row = index[0] if isinstance(index, (list, tuple)) and index else index
        return self.cell_source(state, row if isinstance(row, int) else None)

    # ---- targets ----
    def target_year_update(self, indicator: str | None) -> dict:
        try:
            canonical = select_indicators([indicator or ""])[0]
        except TableError:
            return gr.update()
        years = [str(y) for y in target_years(canonical, self.service.store.facts())]
        return gr.update(choices=[AUTO_YEAR, *years], value=AUTO_YEAR)

    def targets(self, indicator: str | None, year: str | None, level: str | None) -> tuple:
        """(summary, table, state, CSV file, source panel)."""
        empty = pd.DataFrame(columns=TARGET_HEADERS)
        if not self.startup.ready.is_set():
            return message_html("示例报告还在导入，请稍后再试。", "error"), empty, [], gr.update(), TARGET_HINT
        try:
            if not (indicator or "").strip():
                raise TableError("请选择一个指标。")
            picked = _optional(year)
            year_value = None if picked in (None, AUTO_YEAR) else (years_of(picked) or [None])[0]
            level_value = _optional(level)
            if level_value is not None and level_value not in LEVELS:
                raise TableError(f"层级应为{'、'.join(LEVELS)}之一：{level_value}。")
            store = self.service.store
            table = target_table(indicator or "", year_value, store.facts(), store.region_index(), store.doc_titles(),
                                 level=level_value)  # type: ignore[arg-type]
        except TableError as exc:
            return message_html(ui_message(exc), "error"), empty, [], gr.update(), TARGET_HINT
        except Exception as exc:
            log.exception("targets failed")
            return (message_html(msg.TARGETS_FAILED.format(reason=msg.problem_text(exc)), "error"), empty, [],
                    gr.update(), TARGET_HINT)
        frame = target_frame(table)
        path = self.tmp / f"目标对照-{uuid.uuid4().hex[:8]}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*TARGET_HEADERS, "目标原文", "实际原文"])
            for row, values in zip(table.rows, frame.itertuples(index=False), strict=True):
                writer.writerow([*(_nan_to_none(v) for v in values), row.target.quote if row.target else "",
                                 (row.actual or row.completion).quote if (row.actual or row.completion) else ""])
        state = [r.model_dump() for r in table.rows]
        note = "" if table.rows else '<div class="src-empty">没有地区的报告给出该指标的目标或完成数。</div>'
        return target_summary_html(table) + note, frame, state, gr.update(value=str(path)), TARGET_HINT

    def select_target(self, state: list[dict] | None, evt: gr.SelectData) -> str:
        index = getattr(evt, "index", None)
        row_no = index[0] if isinstance(index, (list, tuple)) and index else index
        rows = state or []
        if not isinstance(row_no, int) or not 0 <= row_no < len(rows):
            return TARGET_HINT
        row = TargetRow.model_validate(rows[row_no])
        ids = [fact.chunk_id for _, fact, _ in row.sources()]
        return target_source_html(row, self.service.store.chunks_by_ids(ids))
