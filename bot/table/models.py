"""The table's seams: what is asked (TableRequest), one figure per region × indicator × year (Cell,
the JSON contract of `govqa table --json`), and the whole table."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

TableLevel = Literal["省", "市", "县", "区", "镇", "街道"]
CellKind = Literal["actual", "forecast", "target"]
CELL_FIELDS: tuple[str, ...] = ("region", "indicator", "year", "value", "unit", "growth", "kind", "doc", "title",
                                "quote", "note")
NOT_FOUND = "未找到"
POINTS_NOTE = "增幅单位为百分点"
KIND_LABELS: dict[str, str] = {"actual": "实际", "forecast": "预计", "target": "目标"}


class TableRequest(BaseModel):
    """Regions by name, or every indexed region of a level and/or under a place; indicators by name."""

    regions: list[str] = Field(default_factory=list)
    level: TableLevel | None = None
    within: str | None = None
    indicators: list[str] = Field(default_factory=list)
    years: list[int] = Field(default_factory=list)  # empty: the latest year the reports give actuals for


class Cell(BaseModel):
    """One region's figure for one indicator and year, with the report sentence that states it.

    `value` is the figure as the report writes it, in `unit` (scale word included: 5.5 万亿元);
    `growth` is the change in percent (negative for a fall). Both are null, with note 未找到, when the
    reports give no figure. `kind` is null only then."""

    region: str
    indicator: str
    year: int
    value: float | None = None
    unit: str = ""
    growth: float | None = None
    kind: CellKind | None = None
    doc: str = ""
    title: str = ""
    quote: str = ""
    note: str = ""

    @property
    def found(self) -> bool:
        return self.value is not None or self.growth is not None

    @property
    def growth_unit(self) -> str:
        """"%", or "个百分点" for the change of a rate stated in points (the cell's note says so)."""
        return "个百分点" if POINTS_NOTE in self.note else "%"


class Table(BaseModel):
    """Cells in region, indicator, year order, with the resolved regions, indicators and years."""

    cells: list[Cell] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)  # names as shown
    indicators: list[str] = Field(default_factory=list)  # canonical names
    years: list[int] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def cell(self, region: str, indicator: str, year: int) -> Cell | None:
        for c in self.cells:
            if c.region == region and c.indicator == indicator and c.year == year:
                return c
        return None


class TableError(ValueError):
    """A request the table cannot be built for (unknown region, no indicator); the message is Chinese
    and meant for the user."""
