"""What a reader must know to set one cell's figure beside the others of its column: the basis it is
stated on (同口径, 自然口径, 可比口径), another definition (财政总收入 for 财政收入), a part of the
year, a bound ("突破500亿元") or a milestone ("迈上4000亿元台阶") instead of the exact figure."""

from __future__ import annotations

import re

from ingest.models import Fact
from ingest.periods import time_ref
from ingest.vocabulary import CLAUSE_SEPARATORS, QUALIFIERS_AFTER, QUALIFIERS_BEFORE

BASIS_RE = re.compile(r"同口径|自然口径|可比口径")
PART_LABELS = {"H1": "上半年", "H2": "下半年", "Q1": "一季度", "Q2": "二季度", "Q3": "三季度", "Q4": "四季度",
               "Q1-3": "前三季度", "M": "前几个月"}
# a threshold passed, written around the figure: "迈上6万亿元台阶", "跨过3万亿元", "突破…大关"
_MILESTONE_AFTER = re.compile(r"\s*(?:个|大)?(?:台阶|大关|关口)")
_MILESTONE_BEFORE = re.compile(r"(?:迈上|迈过|跨上|跨过|跨越|跃上|站上|登上)\s*$")
_OPEN_PAREN, _CLOSE_PAREN = "（(", "）)"
_SNIPPET_EDGES = CLAUSE_SEPARATORS + "、（）()"
_YEAR_WORD = re.compile(r"(?:19|20)\d{2}\s*年")


def figure_start(fact: Fact) -> int:
    """Where the fact's figure is written in its quote (-1 if it is not)."""
    q = fact.quantity
    return q.start if fact.quote[q.start:q.end] == q.text else fact.quote.find(q.text)


def figure_clause(fact: Fact) -> str:
    """The clause of the quote that states the figure: from its subject (and a lead-in clause with no
    figure of its own: "按可比口径计算，", "前三季度，") to the figure, with a parenthesis right after it
    ("增长1.7%（同口径增长2.5%以上）"). What is said there is said of this figure, not its neighbours."""
    quote = fact.quote
    start = figure_start(fact)
    if start < 0:
        return quote
    subject_at = quote.rfind(fact.subject, 0, start) if fact.subject else -1
    head = subject_at if subject_at >= 0 else start
    begin = max(quote.rfind(c, 0, head) for c in CLAUSE_SEPARATORS) + 1
    if begin > 0:
        before = max(quote.rfind(c, 0, begin - 1) for c in CLAUSE_SEPARATORS) + 1
        if not any(ch.isdigit() for ch in _YEAR_WORD.sub("", quote[before:begin])):
            begin = before
    end, depth = start + len(fact.quantity.text), 0
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
    """口径：… when a figure's clause states a basis (同口径, 自然口径, 可比口径), in the report's own
    words ("同口径增长2.5%以上", "按可比口径计算"): which figure is on which basis is the report's to say."""
    snippets: list[str] = []
    for match in BASIS_RE.finditer(clause):
        start = max(clause.rfind(c, 0, match.start()) for c in _SNIPPET_EDGES) + 1
        ends = [i for c in _SNIPPET_EDGES if (i := clause.find(c, match.end())) >= 0]
        snippet = clause[start:min(ends) if ends else len(clause)].strip()
        if snippet and snippet not in snippets:
            snippets.append(snippet)
    return f"口径：{'；'.join(snippets)}" if snippets else ""


def milestone_text(fact: Fact) -> str:
    """"迈上6万亿元台阶" → "6万亿元台阶", "跨过3万亿元" → "跨过3万亿元": the figure names a threshold
    passed, not the region's figure; "" otherwise."""
    start = figure_start(fact)
    if start < 0:
        return ""
    end = start + len(fact.quantity.text)
    after = _MILESTONE_AFTER.match(fact.quote, end)
    if after:
        return fact.quote[start:after.end()]
    before = _MILESTONE_BEFORE.search(fact.quote, 0, start)
    return fact.quote[before.start():end] if before else ""


def part_note(fact: Fact) -> str:
    """The part of the year the figure's own clause names ("前三季度"): a part named elsewhere in the
    sentence ("年末…从上半年5.5%降到5.3%") is another figure's."""
    if not fact.part:
        return ""
    part = time_ref(figure_clause(fact)).part
    return PART_LABELS.get(part, part) if part else ""


def fact_notes(fact: Fact, indicator: str, year: int) -> list[str]:
    """The notes of one fact in a cell of `indicator` (the indicator searched) and `year`."""
    notes: list[str] = []
    basis = basis_note(figure_clause(fact))
    if basis:
        notes.append(basis)
    if fact.canonical and fact.canonical != indicator:
        notes.append(f"报告指标为“{fact.canonical}”，与“{indicator}”口径不同")
    part = part_note(fact)
    if part:
        notes.append(part)
    if fact.year is None:
        notes.append(f"报告未写明该数字的年份，不一定是{year}年")
    q = fact.quantity
    if q.masked:
        notes.append(f"报告以“{q.text}”隐去具体数字")
    elif q.qualifiers:
        before = "".join(w for w in q.qualifiers if w in QUALIFIERS_BEFORE)
        after = "".join(w for w in q.qualifiers if w in QUALIFIERS_AFTER and not q.text.endswith(w))
        notes.append(f"报告写作“{before}{q.text}{after}”")
    elif milestone := milestone_text(fact):
        notes.append(f"报告仅写明“{milestone}”")
    return notes
