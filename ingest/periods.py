"""Time: which year (or part of a year, or span of years) a question or a figure speaks about.

Years come from jionlp's time parser, relative to a base date (today for a question, the report's
own date for its text), so "去年", "今年上半年" and "2025年" are read the same way everywhere, and a
number is a year only when the parser says it is one ("突破2000亿元" holds no year).
"""

from __future__ import annotations

import logging
import re
import time
from datetime import date
from functools import lru_cache

from pydantic import BaseModel, Field

from ingest.jionlp_lib import jionlp
from ingest.vocabulary import MULTI_YEAR_RE

# parts of a year, as reports and questions name them
_PARTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"上半年|1\s*[-—～~至到]\s*6\s*月|一至六月"), "H1"),
    (re.compile(r"下半年"), "H2"),
    (re.compile(r"前三季度|1\s*[-—～~至到]\s*9\s*月|一至九月"), "Q1-3"),
    (re.compile(r"一季度|第一季度|1\s*[-—～~至到]\s*3\s*月|一至三月"), "Q1"),
    (re.compile(r"二季度|第二季度"), "Q2"),
    (re.compile(r"三季度|第三季度"), "Q3"),
    (re.compile(r"四季度|第四季度"), "Q4"),
    (re.compile(r"(?<![\d.])1\s*[-—～~至到]\s*(1[01]|[2-8])\s*月"), "M"),
)
_COMPARED = "比较与同于从由至到"
_RELATIVE_YEAR = re.compile(r"今年|去年|前年|明年|上年|本年|过去一年|近[一二三四五六七八九十两\d]+年")
_YEAR_TOKEN = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?=\s*年)")


class TimeRef(BaseModel):
    """The time a text refers to: years named or implied, a part of a year, a multi-year span."""

    years: list[int] = Field(default_factory=list)
    part: str = ""  # "", "H1", "H2", "Q1", "Q1-3", "M" (1–N月)
    span: str = ""  # the multi-year word ("十四五", "年均", "累计", "五年") when one is used
    relative: bool = False  # named by 去年/今年/前年…, not by a number

    @property
    def year(self) -> int | None:
        return self.years[0] if len(self.years) == 1 else None


class _QuietJionlp(logging.Filter):
    """jionlp's time parser logs a traceback on the root logger for every string it cannot read
    (and then returns no time): those are expected here, not errors of ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "jionlp" not in record.pathname


logging.getLogger().addFilter(_QuietJionlp())


def _epoch(base: date) -> float:
    return time.mktime((base.year, base.month, base.day, 12, 0, 0, 0, 0, -1))


@lru_cache(maxsize=4096)
def _extract(text: str, base: date) -> tuple[tuple[str, int, int, int], ...]:
    """(surface, first year, last year, end offset) of each time expression jionlp finds."""
    jio = jionlp()
    found: list[tuple[str, int, int, int]] = []
    try:
        entities = jio.ner.extract_time(text, time_base=_epoch(base), with_parsing=True)
    except Exception:  # jionlp raises on some odd strings; a text with no readable time has none
        return ()
    for entity in entities:
        detail = entity.get("detail") or {}
        span = detail.get("time")
        if not isinstance(span, list) or len(span) != 2 or not isinstance(span[0], str):
            continue
        if not (span[0][:4].isdigit() and span[1][:4].isdigit()):
            continue  # open-ended spans ("至今", "以来" end at 'inf')
        first, last = int(span[0][:4]), int(span[1][:4])
        surface = entity.get("text", "")
        # only a written year or a word relative to the base year names years: "全年", "1-9" (a month
        # range read as a date) and "10" do not
        if not (_YEAR_TOKEN.search(surface) or _RELATIVE_YEAR.search(surface)):
            continue
        offset = entity.get("offset") or [0, len(text)]
        found.append((surface, first, last, int(offset[1])))
    return tuple(found)


_WHOLE_YEAR = re.compile(r"全年|年末|年底")


def _nearest_part(text: str, limit: int) -> str:
    """The part of the year written last before `limit`; "全年" after it ("针对三季度…，全年增长4.9%")
    returns to the whole year. Longer names win at one place (前三季度 over 三季度)."""
    best: tuple[int, int, str] = (-1, 0, "")
    for pattern, name in _PARTS:
        for match in pattern.finditer(text, 0, limit):
            best = max(best, (match.end(), match.end() - match.start(), name))
    if not best[2] or _WHOLE_YEAR.search(text, best[0], limit):
        return ""
    return best[2]


def time_ref(text: str, base: date | None = None, before: int | None = None) -> TimeRef:
    """Years, part of year and span that a question (base = today) or report text (base = its date)
    names; with `before`, only what is written before that offset (the time a figure there is for)."""
    base = base or date.today()
    years: list[int] = []
    relative = False
    limit = len(text) if before is None else before
    for surface, first, last, end in _extract(text, base):
        if end > limit:
            continue
        start = end - len(surface)
        if start > 0 and text[start - 1] in _COMPARED:
            continue  # "比上年", "较2024年", "从2020年": a point of comparison, not the time spoken of
        if _YEAR_TOKEN.search(surface) or surface[:1] in _COMPARED:
            continue  # written years are read below, each where it stands
        relative = True
        if last - first > 10:
            continue  # "近年来" and similar: no definite years
        for year in range(first, last + 1):
            if year not in years:
                years.append(year)
    # a four-digit number before 年 is a year, unless it is a point of comparison ("比2024年")
    for match in _YEAR_TOKEN.finditer(text, 0, limit):
        if match.start() > 0 and text[match.start() - 1] in _COMPARED:
            continue
        year = int(match.group(1))
        if year not in years:
            years.append(year)
    part = _nearest_part(text, limit)
    span_match = MULTI_YEAR_RE.search(text, 0, limit)
    return TimeRef(years=years, part=part, span=span_match.group(0) if span_match else "", relative=relative)
