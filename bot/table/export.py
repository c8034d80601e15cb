"""A table's cells as CSV (UTF-8 with BOM, for Excel), XLSX (openpyxl), JSON and plain text."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from bot.table.models import CELL_FIELDS, KIND_LABELS, Cell

# column headers shown to users, in the order of the JSON contract's fields
HEADERS: dict[str, str] = {
    "region": "地区", "indicator": "指标", "year": "年份", "value": "数值", "unit": "单位", "growth": "增速(%)",
    "kind": "类型", "doc": "文档", "title": "标题", "quote": "原文", "note": "备注",
}


def cell_dicts(cells: Sequence[Cell]) -> list[dict[str, object]]:
    """The JSON contract: one object per cell with exactly the contract's fields."""
    return [{name: getattr(c, name) for name in CELL_FIELDS} for c in cells]


def to_json(cells: Sequence[Cell]) -> str:
    return json.dumps(cell_dicts(cells), ensure_ascii=False)


def number_text(value: float | None) -> str:
    """A figure as written, without a float's noise: 33757.93 → "33757.93", 5.0 → "5"."""
    return "" if value is None else f"{value:.12g}"


def _row(cell: Cell) -> list[object]:
    shown = {"value": number_text(cell.value), "growth": number_text(cell.growth),
             "kind": KIND_LABELS.get(cell.kind or "", "")}
    return [shown.get(name, getattr(cell, name)) for name in CELL_FIELDS]


def to_csv(cells: Sequence[Cell]) -> str:
    """CSV text with a Chinese header row (no BOM: see write_csv)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([HEADERS[name] for name in CELL_FIELDS])
    writer.writerows(_row(c) for c in cells)
    return buffer.getvalue()


def write_csv(cells: Sequence[Cell], path: str | Path) -> Path:
    """A CSV file Excel opens with its Chinese intact (UTF-8 with BOM)."""
    path = Path(path)
    path.write_text(to_csv(cells), encoding="utf-8-sig", newline="")
    return path


def write_xlsx(cells: Sequence[Cell], path: str | Path, sheet: str = "对比表") -> Path:
    """An Excel workbook: a header row and one row per cell, numbers as numbers, with document,
    title and quote."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append([HEADERS[name] for name in CELL_FIELDS])
    for cell in cells:
        values = {name: getattr(cell, name) for name in CELL_FIELDS}
        values["kind"] = KIND_LABELS.get(cell.kind or "", "")
        ws.append([values[name] for name in CELL_FIELDS])
    for header in ws[1]:
        header.font = Font(bold=True)
    widths = {"region": 14, "indicator": 18, "year": 8, "value": 12, "unit": 8, "growth": 9, "kind": 6,
              "doc": 28, "title": 30, "quote": 80, "note": 30}
    for index, name in enumerate(CELL_FIELDS):
        ws.column_dimensions[ws.cell(row=1, column=index + 1).column_letter].width = widths[name]
    quote_col = CELL_FIELDS.index("quote") + 1
    for row in ws.iter_rows(min_row=2, min_col=quote_col, max_col=quote_col):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    path = Path(path)
    workbook.save(path)
    return path


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def to_text(cells: Sequence[Cell], notes: Sequence[str] = ()) -> str:
    """A plain aligned table for a terminal: region, indicator, year, value, growth, kind, note; the
    sources listed below it, one numbered line per cell."""
    header = ["地区", "指标", "年份", "数值", "增速", "类型", "备注", "出处"]
    rows: list[list[str]] = []
    sources: list[str] = []
    for cell in cells:
        mark = ""
        if cell.quote:
            sources.append(f"[{len(sources) + 1}] {cell.title or cell.doc}：{cell.quote}")
            mark = f"[{len(sources)}]"
        rows.append([
            cell.region, cell.indicator, str(cell.year),
            f"{number_text(cell.value)}{cell.unit}" if cell.value is not None else "—",
            f"{number_text(cell.growth)}{cell.growth_unit}" if cell.growth is not None else "—",
            KIND_LABELS.get(cell.kind or "", ""), cell.note, mark,
        ])
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(v, w) for v, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    out = "\n".join(lines)
    if notes:
        out += "\n\n" + "\n".join(notes)
    if sources:
        out += "\n\n来源：\n" + "\n".join(sources)
    return out
