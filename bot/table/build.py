"""A table of figures, one cell per region × indicator × year, built from the figure facts.

Each cell is filled from the facts of its region's reports with the lookup ranking of
bot.answer.facts (`rank_facts`): once for the amount and once for the change. A cell's numbers are
read from the fact's own Quantity, so they are written in the cell's quote. Where the reports give
no figure the cell says 未找到, and it never borrows another indicator's figure: a figure of a
general word (财政收入) answered by a specific one, or stated on another basis (同口径, 自然口径),
carries a note.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from bot.analyse.question import QueryPlan
from bot.answer.facts import SUBJECT_MIN, Scored, rank_facts
from bot.table.models import NOT_FOUND, Cell, CellKind, Table, TableError, TableRequest
from ingest.models import Fact
from ingest.regions import Region, display_name, find_regions, region_from_name, within
from ingest.terms import (
    INDICATOR_SYNONYMS,
    UMBRELLA_INDICATORS,
    canonical_indicator,
    indicators_in,
    related_indicators,
    surface_forms,
)
from ingest.vocabulary import CLAUSE_SEPARATORS

AMOUNT_MEASURES: tuple[str, ...] = ("amount", "count")
RATE_MEASURES: tuple[str, ...] = ("share", "ratio")  # the value of an indicator that is itself a rate
GROWTH_MEASURES: tuple[str, ...] = ("growth", "points")
_RATE_ENDINGS = ("率", "强度", "比率", "比重")
_BASIS = re.compile(r"同口径|自然口径|可比口径")
_PARTS = {"H1": "上半年", "H2": "下半年", "Q1": "一季度", "Q2": "二季度", "Q3": "三季度", "Q4": "四季度",
          "Q1-3": "前三季度", "M": "前几个月"}
# a figure named as a milestone passed ("迈上6万亿元台阶", "跨过3万亿元大关"), not the figure itself
_MILESTONE_AFTER = re.compile(r"\s*(?:个|大)?(?:台阶|大关|关口)")
_OPEN_PAREN, _CLOSE_PAREN = "（(", "）)"
UNIT_SHARE_MIN = 0.15  # a unit the indicator's own figures use at least this often
_STANCE_KIND: dict[str, CellKind] = {"plan": "target", "forecast": "forecast", "actual": "actual"}


# ---------------------------------------------------------------- resolving the request


def region_label(region: Region) -> str:
    """The name a table shows: the region's name; an anonymous one ("某县") with its document."""
    if region.anonymous and "#" in region.key:
        return f"{display_name(region.key)}（{region.key.split('#', 1)[1]}）"
    return region.name or display_name(region.key)


def regions_named(name: str, known: Sequence[Region]) -> list[Region]:
    """The indexed regions one name reaches: the region itself ("浙江", "上杭县", "某县"), or, for a
    place with no report of its own ("龙岩市"), the indexed regions under it."""
    name = name.strip()
    exact = [r for r in known if name in (r.key, r.name)]
    if exact:
        return exact
    match = find_regions(name, known)
    if match.indexed:
        return list(match.indexed)
    if match.under:
        return list(match.under)
    place = region_from_name(name)
    return [r for r in known if within(r, place)] if place.province else []


def select_regions(request: TableRequest, known: Sequence[Region]) -> list[Region]:
    """The regions of a request, in the order asked (named ones first, then the index's order)."""
    chosen: list[Region] = []
    unknown: list[str] = []
    for name in request.regions:
        found = regions_named(name, known)
        if not found:
            unknown.append(name)
        chosen.extend(found)
    if unknown:
        listed = "、".join(dict.fromkeys(r.name for r in known if not r.anonymous))
        raise TableError(f"未找到该地区的报告：{'、'.join(unknown)}。" + (f"已导入报告的地区有：{listed}。" if listed else ""))
    if request.level or request.within:
        pool = list(known)
        if request.within:
            scope = _scope(request.within, known)
            pool = [r for r in pool if within(r, scope)]
        if request.level:
            pool = [r for r in pool if r.level == request.level]
        if not pool:
            where = f"{request.within}下属" if request.within else "已导入报告中"
            raise TableError(f"{where}没有{request.level or ''}级地区的报告。")
        chosen.extend(pool)
    if not request.regions and not request.level and not request.within:
        raise TableError("请指定地区（--regions）、级别（--level）或上级地区（--within）。")
    unique: dict[str, Region] = {}
    for region in chosen:
        unique.setdefault(region.key, region)
    return list(unique.values())


def _scope(name: str, known: Sequence[Region]) -> Region:
    """The place `--within` names, with its position in the division hierarchy."""
    own = [r for r in known if name.strip() in (r.key, r.name) and (r.province or r.city or r.county)]
    scope = own[0] if own else region_from_name(name)
    if not (scope.province or scope.city or scope.county):
        raise TableError(f"无法识别上级地区：{name}。")
    return scope


def resolve_indicator(name: str) -> list[str]:
    """Canonical indicators a name stands for ("GDP" → 地区生产总值), through the synonym table."""
    name = name.strip()
    if name in INDICATOR_SYNONYMS:
        return [name]
    whole = canonical_indicator(name)
    return [whole] if whole else indicators_in(name)


def select_indicators(names: Iterable[str]) -> list[str]:
    indicators: list[str] = []
    unknown: list[str] = []
    for name in names:
        if not name.strip():
            continue
        found = resolve_indicator(name)
        if not found:
            unknown.append(name.strip())
        indicators.extend(i for i in found if i not in indicators)
    if unknown:
        raise TableError(f"无法识别的指标：{'、'.join(unknown)}。可用的指标有：{'、'.join(INDICATOR_SYNONYMS)}。")
    if not indicators:
        raise TableError("请至少指定一个指标（--indicators）。")
    return indicators


def default_years(facts_by_region: dict[str, list[Fact]], regions: Sequence[Region],
                  indicators: Sequence[str]) -> list[int]:
    """The latest year the chosen regions' reports give a result (actual or forecast) for the
    indicators asked; else the latest year of any of their figures."""
    results: Counter[int] = Counter()
    any_year: Counter[int] = Counter()
    for region in regions:
        for fact in facts_by_region.get(region.key, ()):
            if fact.year is None or fact.span:
                continue
            any_year[fact.year] += 1
            if fact.stance != "plan" and fact.canonical in indicators:
                results[fact.year] += 1
    chosen = results or any_year
    return [max(chosen)] if chosen else []


# ---------------------------------------------------------------- one cell


def is_rate(indicator: str) -> bool:
    """An indicator that is itself a percentage (城镇调查失业率, 森林覆盖率, 研发经费投入强度)."""
    return indicator.endswith(_RATE_ENDINGS)


def value_measures(indicator: str) -> tuple[str, ...]:
    return RATE_MEASURES + AMOUNT_MEASURES if is_rate(indicator) else AMOUNT_MEASURES


def growth_measures(indicator: str) -> tuple[str, ...]:
    """A change in percent; in percentage points only for an indicator that is a rate (a "points"
    figure beside an amount compares it with another region: "高于全国0.5个百分点")."""
    return GROWTH_MEASURES if is_rate(indicator) else GROWTH_MEASURES[:1]


def relevant_facts(facts: Iterable[Fact], indicator: str) -> list[Fact]:
    """The facts whose subject can name the indicator (what `subject_match` scores above 0 when an
    indicator is asked): its canonical name, or no canonical name and one of its forms inside."""
    forms = surface_forms(indicator)
    return [f for f in facts
            if f.canonical == indicator or (not f.canonical and f.subject and any(x in f.subject for x in forms))]


def indicator_units(facts: Iterable[Fact], indicators: Iterable[str]) -> dict[str, frozenset[str]]:
    """For each indicator, the base units (元, 人, 斤, %…) its own figures are stated in across the
    index: a figure in another unit ("连跨3个千亿级台阶" → 3个) is not a value of that indicator."""
    from bot.table.rank import split_unit

    wanted = set(indicators)
    counts: dict[str, Counter[str]] = {i: Counter() for i in wanted}
    for fact in facts:
        if fact.canonical in wanted and fact.measure in AMOUNT_MEASURES + RATE_MEASURES and not fact.quantity.masked:
            counts[fact.canonical][split_unit(fact.quantity.unit)[1]] += 1
    units: dict[str, frozenset[str]] = {}
    for indicator, counter in counts.items():
        total = sum(counter.values())
        units[indicator] = frozenset(u for u, n in counter.items() if n >= UNIT_SHARE_MIN * total)
    return units


def is_milestone(fact: Fact) -> bool:
    """"迈上6万亿元台阶": the figure names a threshold passed, not the region's figure."""
    q = fact.quantity
    end = q.end if fact.quote[q.start:q.end] == q.text else fact.quote.find(q.text) + len(q.text)
    return end > 0 and bool(_MILESTONE_AFTER.match(fact.quote, end))


def best_fact(facts: list[Fact], key: str, name: str, indicator: str, year: int, measures: tuple[str, ...],
              target: bool, units: frozenset[str] = frozenset()) -> Fact | None:
    """The fact the lookup ranking puts first for "<region><year>年<indicator>" among those that name
    the indicator well enough, in a unit the indicator is stated in; a milestone ("迈上…台阶") only
    when nothing else is given."""
    from bot.table.rank import split_unit

    plan = QueryPlan(question=f"{name}{year}年{indicator}", regions=[key], years=[year], indicators=[indicator],
                     wants_target=target, region_names={key: name})
    ranked: list[Scored] = rank_facts(plan, facts, measures)
    fitting = [s.fact for s in ranked if s.subject >= SUBJECT_MIN and (
        not units or s.fact.measure not in AMOUNT_MEASURES + RATE_MEASURES
        or s.fact.quantity.masked or split_unit(s.fact.quantity.unit)[1] in units)]
    if not fitting:
        return None
    return next((f for f in fitting if not is_milestone(f)), fitting[0])


def pick_facts(facts: list[Fact], key: str, name: str, indicator: str, year: int,
               units: frozenset[str] = frozenset()) -> tuple[Fact | None, Fact | None]:
    """(value fact, growth fact) for one cell: the results of that year first; when the reports give
    none, that year's targets (a 2026 report gives 2025 results and 2026 targets)."""
    facts = relevant_facts(facts, indicator)
    if not facts:
        return None, None
    for target in (False, True):
        amount = best_fact(facts, key, name, indicator, year, value_measures(indicator), target, units)
        growth = best_fact(facts, key, name, indicator, year, growth_measures(indicator), target)
        if amount is not None and growth is not None and growth.quote != amount.quote:
            # the change stated beside the amount, when the same sentence gives one
            growth = _growth_in_quote(facts, amount, growth) or growth
        if amount is not None or growth is not None:
            return amount, growth
    return None, None


def _growth_in_quote(facts: list[Fact], amount: Fact, growth: Fact) -> Fact | None:
    for fact in facts:
        if (fact.quote == amount.quote and fact.chunk_id == amount.chunk_id and fact.measure == growth.measure
                and fact.canonical == amount.canonical and fact.subject == amount.subject
                and fact.stance == growth.stance and fact.year == growth.year and fact.part == growth.part):
            return fact
    return None


def figure_clause(fact: Fact) -> str:
    """The clause of the quote that states the figure, with a parenthesis right after it ("增长1.7%
    （同口径增长2.5%以上）"): where a basis word applies to this figure and not to its neighbours."""
    quote, q = fact.quote, fact.quantity
    start = q.start if quote[q.start:q.end] == q.text else quote.find(q.text)
    if start < 0:
        return quote
    end = start + len(q.text)
    subject_at = quote.rfind(fact.subject, 0, start) if fact.subject else -1
    head = subject_at if subject_at >= 0 else start
    begin = max(quote.rfind(c, 0, head) for c in CLAUSE_SEPARATORS) + 1
    depth = 0
    while end < len(quote):
        ch = quote[end]
        if ch in _OPEN_PAREN:
            depth += 1
        elif ch in _CLOSE_PAREN:
            depth -= 1
        elif depth <= 0 and ch in CLAUSE_SEPARATORS + "、":
            break
        end += 1
    return quote[begin:end]


def basis_note(clause: str) -> str:
    """A note when the figure's clause states its basis (同口径, 自然口径, 可比口径)."""
    words = list(dict.fromkeys(_BASIS.findall(clause)))
    return f"按{'、'.join(words)}计算" if words else ""


def cell_kind(stance: str) -> CellKind:
    return _STANCE_KIND.get(stance, "actual")


def fact_notes(fact: Fact, indicator: str, year: int) -> list[str]:
    """What a reader must know to compare this figure with the others of its column."""
    notes: list[str] = []
    basis = basis_note(figure_clause(fact))
    if basis:
        notes.append(basis)
    if fact.canonical and fact.canonical != indicator:
        notes.append(f"报告指标为“{fact.canonical}”，与“{indicator}”口径不同")
    elif not fact.canonical and not names_indicator(fact.subject, indicator):
        notes.append(f"报告表述为“{fact.subject}”")
    if fact.part:
        notes.append(_PARTS.get(fact.part, fact.part))
    if fact.year is None:
        notes.append(f"报告未写明年份（按{year}年计）")
    q = fact.quantity
    if q.masked:
        notes.append(f"报告以“{q.text}”隐去具体数字")
    elif q.qualifiers:
        notes.append(f"报告写作“{q.text}”")
    elif is_milestone(fact):
        notes.append(f"报告仅写明“{fact.quote[q.start:q.end + 4] if fact.quote[q.start:q.end] == q.text else q.text}”")
    return notes


def names_indicator(subject: str, indicator: str) -> bool:
    """Does a subject phrase open with the indicator's name (after the region's scope: "全省生产总值
    连续迈上" does; "工业生产总值" does not)?"""
    for form in sorted(surface_forms(indicator), key=len, reverse=True):
        at = subject.find(form)
        if at >= 0 and canonical_indicator(subject[: at + len(form)]) == indicator:
            return True
    return False


def _signed(fact: Fact) -> float | None:
    q = fact.quantity
    if q.value is None:
        return None
    return -q.value if q.negative else q.value


def make_cell(label: str, indicator: str, year: int, amount: Fact | None, growth: Fact | None,
              titles: dict[str, str], extra_notes: Sequence[str] = (), searched: str | None = None) -> Cell:
    """A cell from the chosen facts (found for `searched`, by default the indicator itself); 未找到
    when there are none."""
    lead = amount or growth
    if lead is None:
        return Cell(region=label, indicator=indicator, year=year, note="；".join([NOT_FOUND, *extra_notes]))
    notes: list[str] = list(extra_notes)
    quotes: list[str] = []
    for fact in (amount, growth):
        if fact is None:
            continue
        if fact.quote not in quotes:
            quotes.append(fact.quote)
        notes.extend(n for n in fact_notes(fact, searched or indicator, year) if n not in notes)
    if amount is not None and growth is not None and amount.stance != growth.stance:
        notes.append(f"增速为{_kind_word(growth.stance)}数")
    if growth is not None and growth.measure == "points":
        notes.append("增幅单位为百分点")
    docs = list(dict.fromkeys(f.doc for f in (amount, growth) if f is not None))
    return Cell(
        region=label, indicator=indicator, year=year,
        value=_signed(amount) if amount is not None else None,
        unit=(amount.quantity.scale_word + amount.quantity.unit) if amount is not None else "",
        growth=_signed(growth) if growth is not None else None,
        kind=cell_kind(lead.stance),
        doc=" ".join(docs), title=" ".join(titles.get(d, d) for d in docs),
        quote=" …… ".join(q.strip() for q in quotes),
        note="；".join(notes),
    )


def _kind_word(stance: str) -> str:
    return {"plan": "目标", "forecast": "预计", "actual": "实际"}.get(stance, "")


def fill_cell(facts: list[Fact], region: Region, label: str, indicator: str, year: int,
              titles: dict[str, str], units: dict[str, frozenset[str]] | None = None) -> Cell:
    """One region's cell: the indicator itself; for a general word (财政收入) the specific figure the
    report gives, with a note; otherwise 未找到, naming a related figure of another definition."""
    units = units or {}
    amount, growth = pick_facts(facts, region.key, label, indicator, year, units.get(indicator, frozenset()))
    if amount is not None or growth is not None:
        return make_cell(label, indicator, year, amount, growth, titles)
    for specific in UMBRELLA_INDICATORS.get(indicator, ()):
        amount, growth = pick_facts(facts, region.key, label, specific, year, units.get(specific, frozenset()))
        if amount is not None or growth is not None:
            return make_cell(label, indicator, year, amount, growth, titles,
                             [f"报告未单列“{indicator}”，此为“{specific}”"], searched=specific)
    for other in related_indicators(indicator):
        amount, growth = pick_facts(facts, region.key, label, other, year, units.get(other, frozenset()))
        if amount is not None or growth is not None:
            return make_cell(label, indicator, year, None, None, titles,
                             [f"报告给出的是“{other}”，口径不同，未填入"])
    return make_cell(label, indicator, year, None, None, titles)


# ---------------------------------------------------------------- the table


def group_facts(facts: Iterable[Fact]) -> dict[str, list[Fact]]:
    """Facts by region key (figures of multi-year spans are never a year's cell)."""
    grouped: dict[str, list[Fact]] = {}
    for fact in facts:
        if not fact.span:
            grouped.setdefault(fact.region, []).append(fact)
    return grouped


def build_table(request: TableRequest, facts: Sequence[Fact], regions: Sequence[Region],
                titles: dict[str, str]) -> Table:
    """The table a request asks for, from the store's facts, region index and document titles.
    Raises TableError (a Chinese message) for an unknown region or indicator."""
    chosen = select_regions(request, regions)
    indicators = select_indicators(request.indicators)
    by_region = group_facts(facts)
    years = list(dict.fromkeys(request.years)) or default_years(by_region, chosen, indicators)
    if not years:
        raise TableError("所选地区的报告中没有可用的年份，请用 --years 指定年份。")
    labels = [region_label(r) for r in chosen]
    searched = [*indicators, *(x for i in indicators for x in (*UMBRELLA_INDICATORS.get(i, ()), *related_indicators(i)))]
    units = indicator_units(facts, searched)
    cells = [
        fill_cell(by_region.get(region.key, []), region, label, indicator, year, titles, units)
        for region, label in zip(chosen, labels, strict=True)
        for indicator in indicators
        for year in years
    ]
    level = request.level or ""
    notes = [f"仅涵盖已导入的{len(chosen)}份{level + '级' if level else ''}地区报告"]
    return Table(cells=cells, regions=labels, indicators=indicators, years=years, notes=notes)
