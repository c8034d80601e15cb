"""Which figure fact fills a cell: the lookup ranking of bot.answer.facts (`rank_facts`, with
`SUBJECT_MIN`), run for "<region><year>年<indicator>", and then only facts that state the
indicator's own level or change (not a figure of another indicator around the same words, not an
increment, not a figure in a unit the indicator is never stated in). Among equally ranked facts, an
exact figure wins over a milestone passed, and a sentence about one year over one about several."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from bot.analyse.question import QueryPlan
from bot.answer.facts import SUBJECT_MIN, Scored, paired_change, rank_facts
from bot.table.notes import figure_clause, figure_start, milestone_text
from bot.table.rank import split_unit
from ingest.models import Fact
from ingest.terms import canonical_indicator, surface_forms
from ingest.vocabulary import DECREASE_WORDS, INCREASE_WORDS, MULTI_YEAR_RE, QUALIFIERS_BEFORE

AMOUNT_MEASURES: tuple[str, ...] = ("amount", "count")
RATE_MEASURES: tuple[str, ...] = ("share", "ratio")  # the value of an indicator that is itself a rate
GROWTH_MEASURES: tuple[str, ...] = ("growth", "points")
LEVEL_MEASURES = AMOUNT_MEASURES + RATE_MEASURES
UNIT_SHARE_MIN = 0.15  # a unit the indicator's own figures are written in at least this often
TARGET_QUALIFIERS = ("以上", "左右", "以内")
_RATE_ENDINGS = ("率", "强度", "比率", "比重")
# words that make a figure's clause speak of several years ("城镇新增就业每年超过90万人",
# "粮食总产量连续9年稳定在1300亿斤以上"): not one year's figure
_PER_YEARS = re.compile(r"每年|年年|逐年|连续[\d一二三四五六七八九十]+年")
# a change word right before an amount ("增加近1000亿元", "净增1万亿元"): an increment, not the level
# ("提高到8865亿元" is a level: 到/至 stand between)
_INCREMENT_BEFORE = re.compile(
    "(?:" + "|".join(sorted((*INCREASE_WORDS, *DECREASE_WORDS, "净增", "增量"), key=len, reverse=True)) + ")"
    + "(?:" + "|".join(sorted(QUALIFIERS_BEFORE, key=len, reverse=True)) + r")?\s*$")


def is_rate(indicator: str) -> bool:
    """An indicator that is itself a percentage (城镇调查失业率, 森林覆盖率, 研发经费投入强度)."""
    return indicator.endswith(_RATE_ENDINGS)


def value_measures(indicator: str) -> tuple[str, ...]:
    return RATE_MEASURES + AMOUNT_MEASURES if is_rate(indicator) else AMOUNT_MEASURES


def growth_measures(indicator: str) -> tuple[str, ...]:
    """A change in percent; in percentage points only for an indicator that is a rate (points beside
    an amount compare it with another place: "增长4.7%、低于全国0.3个百分点")."""
    return GROWTH_MEASURES if is_rate(indicator) else GROWTH_MEASURES[:1]


def relevant_facts(facts: Iterable[Fact], indicator: str) -> list[Fact]:
    """The facts `subject_match` can score above 0 for the indicator: its canonical name, or no
    canonical name and one of its forms inside the subject (a cheap first cut before ranking)."""
    forms = surface_forms(indicator)
    return [f for f in facts
            if f.canonical == indicator or (not f.canonical and f.subject and any(x in f.subject for x in forms))]


def names_indicator(fact: Fact, indicator: str) -> bool:
    """Does the fact name the indicator itself: its canonical name, or a subject that opens with the
    indicator's name after the region's scope ("全省生产总值连续迈上", "粮食产量连续13年")? Not
    "人均地区生产总值从2020年", which names another indicator around the same words."""
    if fact.canonical:
        return fact.canonical == indicator
    for form in sorted(surface_forms(indicator), key=len, reverse=True):
        at = fact.subject.find(form)
        if at >= 0 and canonical_indicator(fact.subject[: at + len(form)]) == indicator:
            return True
    return False


def indicator_units(facts: Iterable[Fact], indicators: Iterable[str]) -> dict[str, frozenset[str]]:
    """For each indicator, the base units (元, 人, 斤, 吨, %…) its own figures are written in across
    the index: a figure in another unit ("连跨3个千亿级台阶" → 3个) is not its value."""
    wanted = set(indicators)
    counts: dict[str, Counter[str]] = {i: Counter() for i in wanted}
    for fact in facts:
        if fact.canonical in wanted and fact.measure in LEVEL_MEASURES and not fact.quantity.masked:
            counts[fact.canonical][split_unit(fact.quantity.unit)[1]] += 1
    return {indicator: frozenset(u for u, n in counter.items() if n >= UNIT_SHARE_MIN * sum(counter.values()))
            for indicator, counter in counts.items()}


def is_increment(fact: Fact) -> bool:
    """"一般公共预算收入增加近1000亿元": an amount that is a change, not a level."""
    start = figure_start(fact)
    return fact.measure in AMOUNT_MEASURES and start > 0 and bool(_INCREMENT_BEFORE.search(fact.quote, 0, start))


def restates_target(fact: Fact, facts: Iterable[Fact]) -> bool:
    """A result worded as a target ("实现城镇新增就业18万人以上" in a list of the coming year's tasks)
    that equals a target of the same report for the same indicator: it is that target."""
    if fact.stance == "plan" or not any(w in fact.quantity.qualifiers or fact.quantity.text.endswith(w)
                                        for w in TARGET_QUALIFIERS):
        return False
    return any(p.stance == "plan" and p.doc == fact.doc and p.canonical == fact.canonical
               and p.quantity.same_as(fact.quantity) for p in facts)


def over_years(fact: Fact) -> bool:
    """The figure's own clause speaks of several years (每年, 连续9年, 年均, 累计…)."""
    clause = figure_clause(fact)
    return bool(_PER_YEARS.search(clause) or MULTI_YEAR_RE.search(clause))


def fits(fact: Fact, indicator: str, units: frozenset[str]) -> bool:
    """Can the fact fill a cell of the indicator: it names the indicator itself, states its level or
    change for one year (not an increment, not a figure of several years), in one of its units."""
    if not names_indicator(fact, indicator) or is_increment(fact) or over_years(fact):
        return False
    if units and fact.measure in LEVEL_MEASURES and not fact.quantity.masked:
        return split_unit(fact.quantity.unit)[1] in units
    return True


def best_fact(facts: list[Fact], key: str, name: str, indicator: str, year: int, measures: tuple[str, ...],
              target: bool, units: frozenset[str] = frozenset()) -> Fact | None:
    """The fact the lookup ranking puts first for "<region><year>年<indicator>" among those that fit
    the indicator; ties go to an exact figure over a milestone, then to a one-year sentence."""
    plan = QueryPlan(question=f"{name}{year}年{indicator}", regions=[key], years=[year], indicators=[indicator],
                     wants_target=target, region_names={key: name})
    ranked: list[Scored] = rank_facts(plan, facts, measures)
    fitting = [s for s in ranked if s.subject >= SUBJECT_MIN and fits(s.fact, indicator, units)
               and (target or not restates_target(s.fact, facts))]
    if not fitting:
        return None

    def preference(item: tuple[int, Scored]) -> tuple[bool, float, bool, int]:
        index, scored = item
        return (bool(milestone_text(scored.fact)), -round(scored.score, 6),
                bool(MULTI_YEAR_RE.search(scored.fact.quote)), index)

    return min(enumerate(fitting), key=preference)[1].fact


def pick_facts(facts: list[Fact], key: str, name: str, indicator: str, year: int,
               units: frozenset[str] = frozenset()) -> tuple[Fact | None, Fact | None]:
    """(level fact, growth fact) for one cell: the year's results first; when the reports give none,
    the year's targets (a 2026 report gives 2025 results and 2026 targets)."""
    facts = relevant_facts(facts, indicator)
    if not facts:
        return None, None
    for target in (False, True):
        level = best_fact(facts, key, name, indicator, year, value_measures(indicator), target, units)
        growth = best_fact(facts, key, name, indicator, year, growth_measures(indicator), target)
        if level is not None and growth is not None and growth.quote != level.quote:
            growth = growth_beside(facts, level, growth) or growth
        if level is not None or growth is not None:
            return level, growth
    return None, None


def growth_beside(facts: list[Fact], level: Fact, growth: Fact) -> Fact | None:
    """The change the level's own sentence states for the same subject, period and stance as the
    ranked one ("地区生产总值5.3万亿元、增长5.5%"): one sentence for both figures of the cell."""
    beside = paired_change(level, facts, growth.measure)
    if (beside is not None and beside.quote == level.quote and beside.stance == growth.stance
            and beside.year == growth.year and beside.part == growth.part and not beside.span):
        return beside
    return None
