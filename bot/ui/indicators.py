"""The 指标 tab's records: the order they are listed in, the table row (short columns that fit
1280–1440 px; the quote opens per row), the CSV row (everything) and a record's source panel."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Citation
from bot.ui.render import STATUS_LABELS, esc, source_card
from ingest.models import Chunk, Indicator
from ingest.regions import display_name

HEADERS = ["地区", "年份", "指标", "数值", "增速", "目标", "完成率", "状态", "排名", "文档"]
COLUMN_WIDTHS = ["9%", "6%", "13%", "11%", "7%", "15%", "7%", "8%", "8%", "16%"]
CSV_HEADERS = [*HEADERS, "文件", "原文"]
MASKED = "***（隐去）"
DISPUTED = " ⚠各文件不一致"
HINT = '<div class="src-empty">点击表格中的一行，在这里查看该指标的原文出处（引文高亮）。</div>'


def known(record: Indicator) -> bool:
    """Whether the record gives anything beyond a masked or missing value."""
    return (record.value is not None and not record.masked) or record.growth_pct is not None \
        or record.completion_pct is not None or record.status != "unknown"


def ordered(records: Sequence[Indicator]) -> list[int]:
    """Positions of the records, those that say something first; masked-only ones ("***（隐去）/未知")
    and empty ones last, each group in the store's order."""
    return sorted(range(len(records)), key=lambda i: not known(records[i]))


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:g}%"


def table_row(record: Indicator, title: str, disputed: bool) -> list[object]:
    value = MASKED if record.masked else (f"{record.value:g}{record.unit}" if record.value is not None else "")
    return [
        display_name(record.region), record.year or "", record.name, value + (DISPUTED if disputed else ""),
        _pct(record.growth_pct), record.target_text, _pct(record.completion_pct),
        STATUS_LABELS.get(record.status, record.status), record.rank_text, title,
    ]


def csv_row(record: Indicator, title: str, disputed: bool) -> list[object]:
    return [*table_row(record, title, disputed), record.doc, record.quote]


def source_html(record: Indicator, title: str, chunk: Chunk | None) -> str:
    """The record's quote inside its passage, highlighted, under the document's title."""
    citation = Citation(n=1, doc=record.doc, title=title, region=display_name(record.region),
                        year=chunk.year if chunk else record.year, section=chunk.section if chunk else "",
                        chunk_id=record.chunk_id, quote=record.quote)
    year = f" · {record.year}年" if record.year else ""
    head = f'<div class="src-title">{esc(display_name(record.region))} · {esc(record.name)}{year}</div>'
    return f'<div id="indicator-source-body">{head}{source_card(citation, chunk)}</div>'
