"""Targets across regions (the 指标 tab): for one indicator and year, each region's target (a plan
figure of that year) beside its result (an actual or forecast figure of the same year), and whether
the target was met.

The status is, in order: what the report says of the figure in the figure's own clauses ("超额完成年度
目标任务", "未完成年度目标"); a completion rate stated for the indicator ("完成年度计划的104%"); the
two figures compared, when they are the same measure in the same unit (a ceiling such as 城镇调查失业率
or "控制在3%以内" is met at or under it); else 报告未说明. Facts are picked with the lookup ranking of
bot.table.pick, so a target and an actual are each the report's own sentence, cited per row.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from bot.answer.facts import lead_clause
from bot.table.build import group_facts
from bot.table.models import KIND_LABELS, TableError, TableLevel, TableRequest
from bot.table.notes import figure_clause
from bot.table.pick import (
    best_fact,
    growth_measures,
    indicator_units,
    names_indicator,
    relevant_facts,
    value_measures,
)
from bot.table.select import region_label, select_indicators, select_regions
from ingest.models import Fact
from ingest.regions import Region
from ingest.terms import INDICATOR_SYNONYMS
from ingest.vocabulary import EXCEEDED_WORDS, MET_WORDS, NOT_MET_WORDS

TargetStatus = Literal["exceeded", "met", "not_met", "unknown"]
StatusBasis = Literal["stated", "completion", "compared", ""]
TARGET_STATUS_LABELS: dict[str, str] = {
    "exceeded": "超额完成", "met": "已完成", "not_met": "未完成", "unknown": "报告未说明",
}
BASIS_LABELS: dict[str, str] = {"stated": "报告写明", "completion": "按完成率", "compared": "按数字比较", "": ""}

# indicators whose target is a ceiling: staying at or under it meets it
CEILING_INDICATORS: frozenset[str] = frozenset({"城镇调查失业率", "城镇登记失业率", "居民消费价格", "单位地区生产总值能耗"})
CEILING_WORDS: tuple[str, ...] = ("以内", "以下", "不超过", "不高于", "控制在")
# not-met words that, said next to a figure, rarely speak of its target ("与全国差距缩小", "尚未…")
_LOOSE_NOT_MET = frozenset({"差距", "滞后", "尚未", "还未"})
_NOT_MET = tuple(w for w in NOT_MET_WORDS if w not in _LOOSE_NOT_MET)
_CLAUSE_SPLIT = re.compile(r"[，,；;：:。！？!?、]")
_DIGIT = re.compile(r"\d")


class TargetRow(BaseModel):
    """One region's target and result for an indicator and year, with the status and its basis."""

    region: str  # as shown (an anonymous region with its document)
    region_key: str
    indicator: str
    year: int
    target: Fact | None = None
    actual: Fact | None = None
    completion: Fact | None = None  # a completion rate ("完成年度计划的104%") that gave the status
    status: TargetStatus = "unknown"
    basis: StatusBasis = ""
    target_title: str = ""
    actual_title: str = ""
    completion_title: str = ""
    note: str = ""

    @property
    def target_text(self) -> str:
        return figure_text(self.target)

    @property
    def actual_text(self) -> str:
        return figure_text(self.actual)

    @property
    def actual_kind(self) -> str:
        return KIND_LABELS.get(self.actual.stance, "") if self.actual is not None else ""

    @property
    def status_label(self) -> str:
        return TARGET_STATUS_LABELS[self.status]

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS[self.basis]

    def sources(self) -> list[tuple[str, Fact, str]]:
        """(role, fact, document title) of each figure the row cites, each sentence once."""
        out: list[tuple[str, Fact, str]] = []
        seen: set[str] = set()
        for role, fact, title in (("目标", self.target, self.target_title), ("实际", self.actual, self.actual_title),
                                  ("完成率", self.completion, self.completion_title)):
            if fact is not None and (fact.chunk_id, fact.quote) not in seen:
                seen.add((fact.chunk_id, fact.quote))  # type: ignore[arg-type]
                out.append((role, fact, title))
        return out


class TargetTable(BaseModel):
    indicator: str
    year: int
    rows: list[TargetRow] = Field(default_factory=list)  # regions whose reports give a target or a result
    missing: list[str] = Field(default_factory=list)  # regions whose reports give neither

    def counts(self) -> dict[str, int]:
        counted = Counter(r.status for r in self.rows)
        return {label: counted.get(status, 0) for status, label in TARGET_STATUS_LABELS.items()}


def figure_text(fact: Fact | None) -> str:
    """The report's own words for a figure ("生产总值增长6%左右"); "" for none."""
    if fact is None:
        return ""
    if fact.quantity.masked:
        return f"{lead_clause(fact)}（数字被隐去）"
    return lead_clause(fact)


def status_text(fact: Fact) -> str:
    """The figure's clause and the clauses after it that say how it stands against its target, up to
    the next clause with another figure or another indicator ("森林覆盖率达到61%，超过既定目标2个百分点，
    超额完成年度目标任务", not "…增长5.6%，一般公共预算收入未完成年度目标")."""
    clause = figure_clause(fact)
    at = fact.quote.find(clause)
    parts = [clause]
    rest = fact.quote[at + len(clause):] if at >= 0 else ""
    for part in _CLAUSE_SPLIT.split(rest):
        if not part.strip():
            continue
        if words_status(part) == "unknown" and _DIGIT.search(part):
            break
        if any(name != fact.canonical for name in indicators_named(part)):
            break
        parts.append(part)
    return "，".join(parts)


def indicators_named(text: str) -> list[str]:
    """Canonical indicators whose name or a synonym a report's clause writes."""
    return [name for name, aliases in INDICATOR_SYNONYMS.items() if any(w in text for w in (name, *aliases))]


def words_status(text: str) -> TargetStatus:
    """The status a text states in words (not-met words first: 未完成 contains 完成)."""
    if any(w in text for w in _NOT_MET):
        return "not_met"
    if any(w in text for w in EXCEEDED_WORDS):
        return "exceeded"
    if any(w in text for w in MET_WORDS):
        return "met"
    return "unknown"


def stated_status(fact: Fact) -> TargetStatus:
    """What the report says of this figure against its target (the fact's `status` is read from the
    whole sentence; here only from the figure's own clauses, so a neighbour's status is not taken)."""
    return words_status(status_text(fact))


def completion_status(fact: Fact) -> TargetStatus:
    """A completion rate's status: over 100% exceeded, 100% met, under it not met; a masked rate by
    the words after it."""
    value = fact.quantity.base_value
    if value is None or fact.quantity.unit != "%":
        return stated_status(fact)
    if math.isclose(value, 100.0, abs_tol=1e-9):
        return "met"
    return "exceeded" if value > 100.0 else "not_met"


def is_ceiling(target: Fact, indicator: str) -> bool:
    """A target met by staying at or under it: an indicator that is a ceiling, or words that make it one."""
    if indicator in CEILING_INDICATORS or any(q in ("以内", "以下") for q in target.quantity.qualifiers):
        return True
    return any(w in figure_clause(target) for w in CEILING_WORDS)


def comparable(target: Fact, actual: Fact) -> bool:
    """Same measure in the same unit, both figures written out (not masked)."""
    return (target.measure == actual.measure and target.quantity.unit == actual.quantity.unit
            and target.quantity.base_value is not None and actual.quantity.base_value is not None)


def compare_status(target: Fact, actual: Fact, indicator: str) -> TargetStatus:
    """The status the two figures give: above a floor exceeded, equal met, below not met; at or under a
    ceiling met, above it not met. "unknown" when they are not comparable."""
    if not comparable(target, actual):
        return "unknown"
    t, a = target.quantity.base_value, actual.quantity.base_value
    assert t is not None and a is not None
    same = math.isclose(a, t, rel_tol=1e-9, abs_tol=1e-9)
    if is_ceiling(target, indicator):
        return "met" if same or a < t else "not_met"
    if same:
        return "met"
    return "exceeded" if a > t else "not_met"


def _pair(tg: Fact | None, tl: Fact | None, ag: Fact | None, al: Fact | None) -> tuple[Fact | None, Fact | None]:
    """(target, actual): the same measure when the reports give it for both, growth first."""
    if tg is not None and ag is not None and tg.measure == ag.measure:
        return tg, ag
    if tl is not None and al is not None and tl.quantity.unit == al.quantity.unit:
        return tl, al
    target = tg or tl
    if target is tg and target is not None:
        return target, ag or al
    return target, al or ag


def target_row(facts: list[Fact], region: Region, label: str, indicator: str, year: int,
               titles: dict[str, str], units: frozenset[str] = frozenset()) -> TargetRow:
    """One region's row from the facts of its reports."""
    own = [f for f in relevant_facts(facts, indicator) if f.year == year and not f.span]
    plans = [f for f in own if f.stance == "plan"]
    results = [f for f in own if f.stance != "plan"]
    key = region.key

    def best(pool: list[Fact], measures: tuple[str, ...], target: bool, fit_units: frozenset[str]) -> Fact | None:
        return best_fact(pool, key, label, indicator, year, measures, target, fit_units) if pool else None

    target, actual = _pair(best(plans, growth_measures(indicator), True, frozenset()),
                           best(plans, value_measures(indicator), True, units),
                           best(results, growth_measures(indicator), False, frozenset()),
                           best(results, value_measures(indicator), False, units))
    completion = best(results, ("completion",), False, frozenset())
    row = TargetRow(region=label, region_key=key, indicator=indicator, year=year, target=target, actual=actual,
                    target_title=titles.get(target.doc, target.doc) if target else "",
                    actual_title=titles.get(actual.doc, actual.doc) if actual else "")
    if actual is not None and (said := stated_status(actual)) != "unknown":
        row.status, row.basis = said, "stated"
    elif completion is not None and (done := completion_status(completion)) != "unknown":
        row.status, row.basis, row.completion = done, "completion", completion
        row.completion_title = titles.get(completion.doc, completion.doc)
    elif target is not None and actual is not None:
        compared = compare_status(target, actual, indicator)
        if compared != "unknown":
            row.status, row.basis = compared, "compared"
            if target.quantity.qualifiers:
                row.note = f"目标为“{''.join(target.quantity.qualifiers)}”的约数，按数字本身比较"
        else:
            row.note = "目标与实际不是同一口径的数字，无法直接比较"
    elif target is None and actual is not None:
        row.note = f"报告未写明{year}年的目标"
    elif actual is not None or target is not None:
        row.note = f"报告未给出{year}年的完成数"
    return row


def _names_it(fact: Fact, indicator: str) -> bool:
    return fact.canonical == indicator or (not fact.canonical and names_indicator(fact, indicator))


def target_years(indicator: str, facts: Sequence[Fact]) -> list[int]:
    """Years with a target or a result for the indicator, latest first; the year with the most regions
    giving both a target and a result comes first (then the most regions with either)."""
    stances: dict[int, dict[str, set[str]]] = {}
    for fact in relevant_facts(facts, indicator):
        if fact.year is None or fact.span or not _names_it(fact, indicator):
            continue
        side = "plan" if fact.stance == "plan" else "result"
        stances.setdefault(fact.year, {}).setdefault(fact.region, set()).add(side)
    ranked = sorted(stances, key=lambda y: (sum(len(s) == 2 for s in stances[y].values()), len(stances[y]), y),
                    reverse=True)
    return ranked


def target_table(indicator: str, year: int | None, facts: Sequence[Fact], regions: Sequence[Region],
                 titles: dict[str, str], level: TableLevel | None = None, within: str | None = None,
                 names: Sequence[str] = ()) -> TargetTable:
    """Each region's target and result for one indicator (by any of its names) and year (by default
    the year the most regions give both for). Regions: those named, of a level, under a place, or by
    default every indexed region. Raises TableError, with a Chinese message, for an unknown indicator
    or region."""
    canonical = select_indicators([indicator])[0]
    if names or level or within:
        chosen = select_regions(TableRequest(regions=list(names), level=level, within=within), regions)
    else:
        chosen = list(regions)
    if year is None:
        years = target_years(canonical, facts)
        if not years:
            raise TableError(f"已导入的报告中没有“{canonical}”的目标或完成数。")
        year = years[0]
    by_region = group_facts(facts)
    units = indicator_units(facts, [canonical]).get(canonical, frozenset())
    table = TargetTable(indicator=canonical, year=year)
    for region in chosen:
        label = region_label(region)
        row = target_row(by_region.get(region.key, []), region, label, canonical, year, titles, units)
        if row.target is None and row.actual is None and row.completion is None:
            table.missing.append(label)
        else:
            table.rows.append(row)
    return table
