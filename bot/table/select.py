"""What a table request names, resolved against the index: regions (by name, level or parent place,
through the division hierarchy of ingest.regions), indicators (through the synonym table of
ingest.terms) and years."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import get_args

from bot.table.models import TableError, TableLevel, TableRequest
from ingest.models import Fact
from ingest.regions import Region, display_name, find_regions, region_from_name, within
from ingest.terms import INDICATOR_SYNONYMS, canonical_indicator, indicators_in

LEVELS: tuple[str, ...] = get_args(TableLevel)
LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
_YEARS = re.compile(r"((?:19|20)\d{2})(?:年)?(?:[-—~～至到]((?:19|20)\d{2})年?)?")


def parse_years(text: str | None) -> list[int]:
    """Years written "2024,2025", "2023-2025" or "2023年至2025年", in order, each once; ValueError
    naming the first part that is not a year or a range of years."""
    years: list[int] = []
    for part in LIST_SEPARATORS.split(text or ""):
        if not part:
            continue
        match = _YEARS.fullmatch(part)
        if not match:
            raise ValueError(part)
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        years.extend(y for y in range(first, last + 1) if y not in years)
    return years


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


def scope_of(name: str, known: Sequence[Region]) -> Region:
    """The place `--within` names, with its position in the division hierarchy."""
    own = [r for r in known if name.strip() in (r.key, r.name) and (r.province or r.city or r.county)]
    scope = own[0] if own else region_from_name(name)
    if not (scope.province or scope.city or scope.county):
        raise TableError(f"无法识别上级地区：{name}。")
    return scope


def select_regions(request: TableRequest, known: Sequence[Region]) -> list[Region]:
    """The regions of a request: those named, in the order named, then every indexed region of the
    level and/or under the place asked, in the index's order; each once."""
    if not request.regions and not request.level and not request.within:
        raise TableError("请指定地区（--regions）、级别（--level）或上级地区（--within）。")
    chosen: list[Region] = []
    unknown: list[str] = []
    for name in request.regions:
        found = regions_named(name, known)
        if not found:
            unknown.append(name)
        chosen.extend(found)
    if unknown:
        listed = "、".join(dict.fromkeys(r.name for r in known if not r.anonymous))
        raise TableError(f"未找到该地区的报告：{'、'.join(unknown)}。"
                         + (f"已导入报告的地区有：{listed}。" if listed else "当前索引中没有报告。"))
    if request.level or request.within:
        pool = list(known)
        if request.within:
            scope = scope_of(request.within, known)
            pool = [r for r in pool if within(r, scope)]
        if request.level:
            pool = [r for r in pool if r.level == request.level]
        if not pool:
            where = f"{request.within}下属" if request.within else "已导入的报告中"
            raise TableError(f"{where}没有{request.level + '级' if request.level else ''}地区的报告。")
        chosen.extend(pool)
    unique: dict[str, Region] = {}
    for region in chosen:
        unique.setdefault(region.key, region)
    return list(unique.values())


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
