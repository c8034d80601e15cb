"""Rankings of a table's cells: by value or by growth, with competition ranks (1, 2, 2, 4)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from bot.table.models import Cell
from ingest.vocabulary import SCALES

RankBy = Literal["value", "growth"]
_SCALE_WORDS = sorted(SCALES, key=len, reverse=True)


class RankedCell(BaseModel):
    rank: int | None  # None: no figure, or a figure in another unit than the ranked ones
    cell: Cell


def split_unit(unit: str) -> tuple[float, str]:
    """(scale, base unit) of a cell's unit: "万亿元" → (1e12, "元"), "万人" → (1e4, "人"), "%" → (1, "%")."""
    for word in _SCALE_WORDS:
        if unit.startswith(word) and len(unit) > len(word):
            return SCALES[word], unit[len(word):]
    return 1.0, unit


def comparable_value(cell: Cell, by: RankBy) -> tuple[float, str] | None:
    """The cell's figure in its base unit, and that unit; None when it has no figure."""
    if by == "growth":
        return (cell.growth, cell.growth_unit) if cell.growth is not None else None
    if cell.value is None:
        return None
    scale, base = split_unit(cell.unit)
    return cell.value * scale, base


def rank_cells(cells: Iterable[Cell], by: RankBy = "growth", descending: bool = True,
               indicator: str | None = None, year: int | None = None) -> list[RankedCell]:
    """Cells of one indicator and year (the first cell's unless given) sorted by value or growth,
    ranked; cells without a figure, or with a unit the others do not share, follow unranked."""
    cells = list(cells)
    if cells:
        indicator = indicator or cells[0].indicator
        year = year or cells[0].year
    chosen = [c for c in cells if c.indicator == indicator and c.year == year]
    figures = {id(c): comparable_value(c, by) for c in chosen}
    units = Counter(f[1] for f in figures.values() if f is not None)
    unit = units.most_common(1)[0][0] if units else ""
    ranked = [c for c in chosen if (f := figures[id(c)]) is not None and f[1] == unit]
    ranked.sort(key=lambda c: figures[id(c)][0], reverse=descending)  # type: ignore[index]
    out: list[RankedCell] = []
    previous: float | None = None
    rank = 0
    for position, cell in enumerate(ranked, 1):
        value = figures[id(cell)][0]  # type: ignore[index]
        if previous is None or value != previous:
            rank = position
        previous = value
        out.append(RankedCell(rank=rank, cell=cell))
    out.extend(RankedCell(rank=None, cell=c) for c in chosen if not any(r.cell is c for r in out))
    return out


def rank_of(ranking: list[RankedCell], region: str) -> RankedCell | None:
    """A region's place in a ranking ("浙江排第几？")."""
    for entry in ranking:
        if entry.cell.region == region or entry.cell.region.startswith(region):
            return entry
    return None
