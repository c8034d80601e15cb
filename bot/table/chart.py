"""Charts of a table: a bar chart of one indicator and year across regions, and a line chart of one
region's indicator across years. matplotlib with the Agg canvas (no pyplot state, safe in a server);
Chinese labels are drawn with a CJK font installed with the project (the `mplfonts` wheel ships
Noto Sans CJK SC), or a system CJK font when that package is absent."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.table.models import KIND_LABELS, Cell
from bot.table.rank import rank_cells, split_unit

ChartBy = Literal["value", "growth"]

# CJK fonts in the order tried: shipped with the `mplfonts` package, then Debian's fonts-wqy-microhei
# and fonts-noto-cjk
_PACKAGE_FONTS = ("NotoSansCJKsc-Regular.otf", "SourceHanSerifSC-Regular.otf")
_SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
_KIND_COLOURS = {"actual": "#2f6db5", "forecast": "#7fa7d9", "target": "#e39a2d"}


def _font_files() -> list[Path]:
    files: list[Path] = []
    spec = importlib.util.find_spec("mplfonts")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
        files.extend(folder / name for name in _PACKAGE_FONTS)
    files.extend(Path(p) for p in _SYSTEM_FONTS)
    return [f for f in files if f.is_file()]


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of a registered CJK font (registered with matplotlib on first use); "" when
    none is installed (labels then fall back to DejaVu Sans and Chinese shows as boxes)."""
    for path in _font_files():
        try:
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
    return ""


def _rc() -> dict[str, object]:
    # explicit family names, not the generic "sans-serif": a text keeps its family list, so the figure
    # draws with the CJK font wherever it is rendered later (Gradio, savefig outside this context)
    family = cjk_font()
    return {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "axes.unicode_minus": False}


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _figure_of(cell: Cell, by: ChartBy) -> float | None:
    return cell.growth if by == "growth" else cell.value


def _axis_label(cells: Sequence[Cell], by: ChartBy) -> str:
    if by == "growth":
        units = {c.growth_unit for c in cells if c.growth is not None}
        return f"增速（{units.pop() if len(units) == 1 else '%'}）"
    units = [c.unit for c in cells if c.value is not None]
    return f"数值（{units[0]}）" if units and len(set(units)) == 1 else "数值"


def bar_chart(cells: Sequence[Cell], indicator: str, year: int, by: ChartBy = "growth") -> Figure:
    """One indicator and year across regions as horizontal bars, highest on top (region names read
    across, however many); targets and forecasts coloured apart. Regions without the figure are
    listed under the chart."""
    import textwrap

    import matplotlib

    with matplotlib.rc_context(_rc()):
        ranking = rank_cells(cells, by=by, indicator=indicator, year=year)
        shown = [r.cell for r in ranking if r.rank is not None]
        if by == "value" and shown:  # one unit on one axis: 亿元 and 万亿元 both as the first's unit
            scale, _ = split_unit(shown[0].unit)
            lengths = [(c.value or 0.0) * split_unit(c.unit)[0] / scale for c in shown]
        else:
            lengths = [_figure_of(c, by) or 0.0 for c in shown]
        missing = [r.cell.region for r in ranking if r.rank is None]
        figure = _new_figure(6.4, max(3.2, 0.28 * len(shown) + 1.6 + (0.4 if missing else 0.0)))
        ax = figure.add_subplot()
        colours = [_KIND_COLOURS.get(c.kind or "actual", "#2f6db5") for c in shown]
        bars = ax.barh(range(len(shown)), lengths, color=colours, height=0.7)
        ax.set_yticks(range(len(shown)), [c.region for c in shown], fontsize=8)
        ax.invert_yaxis()  # the highest on top
        ax.bar_label(bars, labels=[f"{v:.6g}" for v in lengths], fontsize=7, padding=2)
        ax.margins(x=0.12, y=0.01)
        ax.set_title(f"{year}年{indicator}{'增速' if by == 'growth' else ''}（按报告数字排序）", fontsize=10)
        ax.set_xlabel(_axis_label(shown, by) if by == "growth" or not shown else f"数值（{shown[0].unit}）")
        kinds = sorted({c.kind or "actual" for c in shown})
        if len(kinds) > 1:
            from matplotlib.patches import Patch

            ax.legend(handles=[Patch(color=_KIND_COLOURS[k], label=KIND_LABELS[k]) for k in kinds], fontsize=8,
                      loc="lower right")
        if missing:
            figure.supxlabel("\n".join(textwrap.wrap("未找到：" + "、".join(missing), 48)), fontsize=8)
        return figure


def line_chart(cells: Sequence[Cell], region: str, indicator: str, by: ChartBy = "growth") -> Figure:
    """One region's indicator across the years of the table (years without the figure are gaps)."""
    import matplotlib

    with matplotlib.rc_context(_rc()):
        own = sorted((c for c in cells if c.region == region and c.indicator == indicator), key=lambda c: c.year)
        years = [c.year for c in own]
        values = [_figure_of(c, by) for c in own]
        figure = _new_figure(6.0, 4.0)
        ax = figure.add_subplot()
        ax.plot(years, [float("nan") if v is None else v for v in values], marker="o", color="#2f6db5")
        for cell, value in zip(own, values, strict=True):
            if value is not None:
                ax.annotate(f"{value:.6g}{'（' + KIND_LABELS[cell.kind] + '）' if cell.kind and cell.kind != 'actual' else ''}",
                            (cell.year, value), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        ax.set_xticks(years)
        ax.set_title(f"{region}{indicator}{'增速' if by == 'growth' else ''}")
        ax.set_xlabel("年份")
        ax.set_ylabel(_axis_label(own, by))
        return figure


def save_png(figure: Figure, path: str | Path) -> Path:
    """Write a chart as PNG and return its path."""
    path = Path(path)
    figure.savefig(path, format="png")
    return path
