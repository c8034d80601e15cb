"""Tables of figures across regions, indicators and years, a citation per cell (`govqa table`,
the 对比 tab): request and cell models, building from the figure facts, rankings, exports, charts."""

from bot.table.build import build_table
from bot.table.models import NOT_FOUND, Cell, Table, TableError, TableRequest
from bot.table.rank import RankedCell, rank_cells

__all__ = ["NOT_FOUND", "Cell", "RankedCell", "Table", "TableError", "TableRequest", "build_table", "rank_cells"]
