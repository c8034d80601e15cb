"""Sources that disagree: two documents giving different figures for the same region, indicator,
year, part of the year and kind (actual / forecast / plan). The answer shows both, each with its
citation and document title, says that they differ, and names the one that calls itself a
correction (更正/复核/最终核实…).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from bot.answer.draft import Citer
from bot.models import Conflict, ConflictFigure
from ingest.models import Fact, Indicator
from ingest.vocabulary import BOUND_QUALIFIERS, CORRECTION_RE

# a figure with a bound or an approximation ("突破500亿元", "6%左右") does not contradict an exact one
_LOOSE_QUALIFIERS = (*BOUND_QUALIFIERS, "左右", "约", "近")
STANCE_WORDS = {"actual": "实际", "forecast": "预计", "plan": "目标"}


def _decimals(text: str) -> int:
    number = "".join(ch for ch in text if ch.isdigit() or ch == ".")
    return len(number.split(".", 1)[1]) if "." in number else 0


def differ(a: Fact, b: Fact) -> bool:
    """Different figures, not the same one written with more or fewer decimals (557.7 vs 557.68)."""
    qa, qb = a.quantity, b.quantity
    if qa.base_value is None or qb.base_value is None:
        return False
    digits = min(_decimals(qa.text), _decimals(qb.text))
    scale = max(qa.scale, qb.scale)
    return round(qa.base_value / scale, digits) != round(qb.base_value / scale, digits)


def same_slot(a: Fact, b: Fact) -> bool:
    """Do two facts state the same figure: region, indicator, year, part, span, kind, measure and unit?"""
    if a.doc == b.doc or not a.region or a.region != b.region or a.year is None or a.year != b.year:
        return False
    if (a.part, a.span, a.stance, a.measure) != (b.part, b.span, b.stance, b.measure):
        return False
    if a.quantity.unit != b.quantity.unit or a.quantity.masked or b.quantity.masked:
        return False
    if any(q in f.quantity.qualifiers for f in (a, b) for q in _LOOSE_QUALIFIERS):
        return False
    if a.canonical or b.canonical:
        return a.canonical == b.canonical
    return a.subject == b.subject


def rivals(top: Fact, candidates: Iterable[Fact]) -> list[Fact]:
    """One fact per other document that states top's figure differently (first seen wins)."""
    found: dict[str, Fact] = {}
    for fact in candidates:
        if fact.doc not in found and same_slot(top, fact) and differ(top, fact):
            found[fact.doc] = fact
    return list(found.values())


def is_correction(fact: Fact, title: str) -> bool:
    return bool(CORRECTION_RE.search(title) or CORRECTION_RE.search(fact.quote))


def conflict_note(top: Fact, others: list[Fact], top_mark: str, citer: Citer, fetch, titles: dict[str, str],
                  region_name: str, figure_of) -> tuple[str, Conflict] | None:
    """The lines that show every disagreeing figure beside top's, and the Conflict record.
    `figure_of(fact)` is the report's clause with the figure; `fetch` gives a chunk's passage index."""
    figures = [ConflictFigure(figure=top.quantity.text, doc=top.doc, title=titles.get(top.doc, top.doc),
                              n=int(top_mark.strip("[]")), correction=is_correction(top, titles.get(top.doc, "")))]
    lines = []
    for fact in others:
        index = fetch(fact.chunk_id)
        if index is None:
            continue
        mark = citer.cite(index, fact.quote)
        title = titles.get(fact.doc, fact.doc)
        correction = is_correction(fact, title)
        figures.append(ConflictFigure(figure=fact.quantity.text, doc=fact.doc, title=title, n=int(mark.strip("[]")),
                                      correction=correction))
        said = "（该文件标明为更正或复核）" if correction else ""
        lines.append(f"《{title}》：{figure_of(fact)}{mark}{said}")
    if not lines:
        return None
    first = figures[0]
    head = (f"注意：各文件对{region_name}{top.year}年{top.subject}的{STANCE_WORDS.get(top.stance, '')}数字不一致——"
            f"《{first.title}》：{figure_of(top)}{top_mark}{'（该文件标明为更正或复核）' if first.correction else ''}；")
    conflict = Conflict(region=top.region, indicator=top.canonical or top.subject, year=top.year, kind=top.stance,
                        figures=figures)
    return head + "；".join(lines) + "。", conflict


def renumbered_conflicts(conflicts: list[Conflict], used: list[int]) -> list[Conflict]:
    """The conflicts whose figures all kept their citations through verification, with the answer's
    final marker numbers (verification renumbers markers 1.. in order of first use)."""
    mapping = {old: new for new, old in enumerate(used, start=1)}
    kept = []
    for conflict in conflicts:
        if all(f.n in mapping for f in conflict.figures):
            figures = [f.model_copy(update={"n": mapping[f.n]}) for f in conflict.figures]
            kept.append(conflict.model_copy(update={"figures": figures}))
    return kept


def conflict_remarks(chosen: Iterable[Fact | None], candidates: list[Fact], titles: dict[str, str]) -> list[str]:
    """Notes for a table cell whose figures other documents state differently."""
    return [f"⚠ 各文件数字不一致：《{titles.get(r.doc, r.doc)}》为{r.quantity.text}"
            for fact in chosen if fact is not None for r in rivals(fact, candidates)]


def record_conflicts(records: list[Indicator]) -> set[int]:
    """Positions of indicator records that another document's record for the same region, year and
    indicator contradicts (a different value or change in the same unit)."""
    slots: dict[tuple[str, int | None, str], list[int]] = {}
    for i, record in enumerate(records):
        if record.kind == "indicator" and record.region and record.year is not None:
            slots.setdefault((record.region, record.year, record.name), []).append(i)
    found: set[int] = set()
    for members in slots.values():
        for a in members:
            for b in members:
                ra, rb = records[a], records[b]
                if ra.doc == rb.doc:
                    continue
                values_differ = (ra.value is not None and rb.value is not None and ra.unit == rb.unit
                                 and not math.isclose(ra.value, rb.value, rel_tol=1e-3))
                growth_differ = (ra.growth_pct is not None and rb.growth_pct is not None
                                 and not math.isclose(ra.growth_pct, rb.growth_pct, abs_tol=0.05))
                if values_differ or growth_differ:
                    found.add(a)
    return found
