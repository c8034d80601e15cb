"""A table of figures, one cell per region × indicator × year, built from the figure facts.

Each cell is filled from the facts of its region's reports (bot.table.pick: the lookup ranking of
bot.answer.facts, once for the level and once for the change). A cell's numbers are read from the
chosen facts' own Quantities, so they are written in the cell's quote. Where the reports give no
figure the cell says 未找到; it never borrows another indicator's figure: a general word (财政收入)
answered by a specific figure, a basis (同口径, 自然口径), a bound or a milestone carry a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.answer.conflicts import conflict_remarks
from bot.table.models import NOT_FOUND, POINTS_NOTE, Cell, CellKind, Table, TableError, TableRequest
from bot.table.notes import fact_notes
from bot.table.pick import indicator_units, pick_facts
from bot.table.select import LEVELS, default_years, region_label, select_indicators, select_regions
from ingest.models import Fact
from ingest.regions import Region
from ingest.terms import UMBRELLA_INDICATORS, related_indicators

__all__ = ["LEVELS", "build_table", "cell_kind", "fill_cell", "group_facts", "make_cell"]

_STANCE_KIND: dict[str, CellKind] = {"plan": "target", "forecast": "forecast", "actual": "actual"}
_STANCE_WORD = {"plan": "目标", "forecast": "预计", "actual": "实际"}


def cell_kind(stance: str) -> CellKind:
    """A fact's stance as a cell's kind: plan → target, forecast → forecast, else actual."""
    return _STANCE_KIND.get(stance, "actual")


def _signed(fact: Fact) -> float | None:
    q = fact.quantity
    if q.value is None:
        return None
    return -q.value if q.negative else q.value


def make_cell(label: str, indicator: str, year: int, level: Fact | None, growth: Fact | None,
              titles: dict[str, str], extra_notes: Sequence[str] = (), searched: str | None = None) -> Cell:
    """A cell from the chosen facts (found for `searched`, by default the indicator itself); 未找到
    when there are none. Both facts' sentences are its quote."""
    lead = level or growth
    if lead is None:
        return Cell(region=label, indicator=indicator, year=year, note="；".join([NOT_FOUND, *extra_notes]))
    chosen = [f for f in (level, growth) if f is not None]
    notes: list[str] = list(extra_notes)
    for fact in chosen:
        notes.extend(n for n in fact_notes(fact, searched or indicator, year) if n not in notes)
    if level is not None and growth is not None and level.stance != growth.stance:
        notes.append(f"增速为{_STANCE_WORD.get(growth.stance, '')}数")
    if growth is not None and growth.measure == "points":
        notes.append(POINTS_NOTE)
    docs = list(dict.fromkeys(f.doc for f in chosen))
    return Cell(
        region=label, indicator=indicator, year=year,
        value=_signed(level) if level is not None else None,
        unit=(level.quantity.scale_word + level.quantity.unit) if level is not None else "",
        growth=_signed(growth) if growth is not None else None,
        kind=cell_kind(lead.stance),
        doc=" ".join(docs), title=" ".join(titles.get(d, d) for d in docs),
        quote=" …… ".join(dict.fromkeys(f.quote.strip() for f in chosen)),
        note="；".join(notes),
    )


def fill_cell(facts: list[Fact], region: Region, label: str, indicator: str, year: int,
              titles: dict[str, str], units: dict[str, frozenset[str]] | None = None) -> Cell:
    """One region's cell: the indicator itself; for a general word (财政收入) the specific figure the
    report gives, named as such; otherwise 未找到, naming a related figure of another definition."""
    units = units or {}
    level, growth = pick_facts(facts, region.key, label, indicator, year, units.get(indicator, frozenset()))
    if level is not None or growth is not None:
        return make_cell(label, indicator, year, level, growth, titles, conflict_remarks((level, growth), facts, titles))
    for specific in UMBRELLA_INDICATORS.get(indicator, ()):
        level, growth = pick_facts(facts, region.key, label, specific, year, units.get(specific, frozenset()))
        if level is not None or growth is not None:
            return make_cell(label, indicator, year, level, growth, titles,
                             [f"报告未单列“{indicator}”，此为“{specific}”"], searched=specific)
    for other in related_indicators(indicator):
        level, growth = pick_facts(facts, region.key, label, other, year, units.get(other, frozenset()))
        if level is not None or growth is not None:
            return make_cell(label, indicator, year, None, None, titles, [f"报告给出的是“{other}”，口径不同，未填入"])
    return make_cell(label, indicator, year, None, None, titles)


def group_facts(facts: Iterable[Fact]) -> dict[str, list[Fact]]:
    """Facts by region key, without figures of multi-year spans (never one year's cell)."""
    grouped: dict[str, list[Fact]] = {}
    for fact in facts:
        if not fact.span:
            grouped.setdefault(fact.region, []).append(fact)
    return grouped


def build_table(request: TableRequest, facts: Sequence[Fact], regions: Sequence[Region],
                titles: dict[str, str]) -> Table:
    """The table a request asks for, from the store's facts (`store.facts()`), region index
    (`store.region_index()`) and document titles (`store.doc_titles()`). Raises TableError, with a
    Chinese message for the user, for an unknown region or indicator."""
    chosen = select_regions(request, regions)
    indicators = select_indicators(request.indicators)
    by_region = group_facts(facts)
    years = list(dict.fromkeys(request.years)) or default_years(by_region, chosen, indicators)
    if not years:
        raise TableError("所选地区的报告没有写明数字的年份，请用 --years 指定年份。")
    labels = [region_label(r) for r in chosen]
    searched = {x for i in indicators for x in (i, *UMBRELLA_INDICATORS.get(i, ()), *related_indicators(i))}
    units = indicator_units(facts, searched)
    cells = [
        fill_cell(by_region.get(region.key, []), region, label, indicator, year, titles, units)
        for region, label in zip(chosen, labels, strict=True)
        for indicator in indicators
        for year in years
    ]
    level = f"{request.level}级" if request.level else ""
    notes = [f"以上数字仅来自已导入报告的{len(chosen)}个{level}地区"]
    return Table(cells=cells, regions=labels, indicators=indicators, years=years, notes=notes)
