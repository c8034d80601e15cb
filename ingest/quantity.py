"""The project's quantity model: figures with units found in report text, compared as quantities.

`find_quantities` reads every figure of a text (`557.7亿元`, `增长4.7%`, `下降0.5个百分点`, `全省第一`,
`***亿元`, `三项`, `5,200人`) into `Quantity` objects that keep their exact surface span, so callers can
quote and verify them; `quantity_supported` checks a stated figure against evidence as a quantity
(`1.15万户` is `11500户`), never as a substring (`200人` is not in `5,200人`).

Conventions:
- `value` is the magnitude as written (always >= 0, before scale); the sign lives in `negative`, set by a
  minus sign (`-6.2%`, `增长-100.0%`) or, for growth and points, by a decrease word (`下降3.1%`,
  `回落2个百分点`). `base_value` = ±value × scale, so `下降3.1%` and `-3.1%` are the same quantity.
  Amounts and counts are signed only by a minus sign: `减少5000人` keeps qualifier `减少` but is +5000.
- `unit` is the base unit without scale (`元`, `%`, `个百分点`, `人`, `吨`); `百分点` is stored as
  `个百分点`; ranks use unit `位` (for `第N位`, `第N名` and `全省第一` alike); ratio terms use `:`.
- Masked figures (`***亿元`, `XX%`, `x.x%`, `第XX位`) have `masked=True`, `value=None`.
- Not quantities: years (`2025年`, `2025年底`), dates (`3月15日`), plan names (`十四五`), ordinals
  (`第十四届`, `第一产业`), list markers (`1.`, `1、`, `（一）`), bare numbers without a unit, name
  masks (`XX县`), clock times (`09:00`).
"""

from __future__ import annotations

import functools
import math
import re
from typing import Literal

from pydantic import BaseModel, Field

from ingest.vocabulary import (
    AMOUNT_UNITS,
    APPROX_MARKERS,
    BASE_UNITS,
    CHANGE_WORDS,
    CLAUSE_SEPARATORS,
    CN_NUMERAL_IDIOMS,
    COUNT_UNITS,
    DECREASE_WORDS,
    DURATION_UNITS,
    LATIN_UNITS,
    LEVEL_MARKERS,
    LIST_SEPARATORS,
    MASK_NUMBER,
    MONEY_ONLY_SCALES,
    MONEY_UNITS,
    QUALIFIERS_AFTER,
    QUALIFIERS_BEFORE,
    RANGE_SEPARATORS,
    RANK_MOVE_WORDS,
    RANK_SCOPE_WORDS,
    RATIO_CONTEXT_WORDS,
    SCALES,
    SENTENCE_END,
    SHARE_WORDS,
    SHARED_UNIT_SEPARATORS,
    UNIT_FALSE_FRIENDS,
)

Kind = Literal["amount", "growth", "points", "share", "rank", "count", "ratio", "other"]


class Quantity(BaseModel):
    """One figure with its unit, as written at `text[start:end]` of the searched text."""

    value: float | None  # magnitude before scale; None when masked
    unit: str = ""
    scale: float = 1.0
    scale_word: str = ""
    kind: Kind = "other"
    qualifiers: list[str] = Field(default_factory=list)
    negative: bool = False
    masked: bool = False
    text: str = ""
    start: int = 0
    end: int = 0

    @property
    def base_value(self) -> float | None:
        """Signed value in the base unit (`1.15万户` -> 11500.0, `下降3.1%` -> -3.1); None if masked."""
        if self.value is None:
            return None
        v = self.value * self.scale
        return -v if self.negative else v

    def same_as(self, other: Quantity, tol: float = 1e-6) -> bool:
        """Equal as quantities: same unit, same signed base value (relative tolerance `tol`).

        Masked figures equal nothing (their value is unknown); a rank only equals a rank.
        """
        if self.masked or other.masked or self.unit != other.unit:
            return False
        if (self.kind == "rank") != (other.kind == "rank"):
            return False
        a, b = self.base_value, other.base_value
        assert a is not None and b is not None
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)

    def display(self) -> str:
        """Canonical short form: `-3.1%`, `394.8亿元`, `11500户`, `第1位`, `*亿元` (masked)."""
        number = "*" if self.value is None else ("-" if self.negative else "") + _format_number(self.value)
        if self.kind == "rank":
            return f"第{number}位"
        if self.unit == ":":
            return number
        return f"{number}{self.scale_word}{self.unit}"


# ---------------------------------------------------------------- lexical building blocks

_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        "％": "%", "＊": "*", "．": ".", "－": "-", "−": "-", "：": ":", "○": "〇",
    }
    | dict(zip("億萬兩個項條處場間張種類頭隻歲輛臺戶噸畝點長減漲佔蓋與",
                "亿万两个项条处场间张种类头只岁辆台户吨亩点长减涨占盖与", strict=True))
)
"""Character-for-character normalisation: offsets in the normalised text are offsets in the input.
Also maps the Traditional forms of number, unit and change characters, for text not yet cleaned."""

_HSPACE = "[ \t\u3000\u00a0]"
# "5,200" / "5，200" only with groups of exactly 3 digits; else the digits are read separately
_ARABIC = r"(?<![\d.A-Za-z])(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:，\d{3})+(?!\d)|\d+)(?:\.\d+)?"
_CN_DIGITS = "〇零一二两三四五六七八九"
_CN = rf"[{_CN_DIGITS}十百千万亿]+(?:点[{_CN_DIGITS}]+)?"
_SCALE_ALT = "万亿|千万(?=元|美元)|亿|万|千(?=元|美元)"


def _unit_alternation(units: tuple[str, ...]) -> str:
    parts = []
    for unit in sorted(set(units), key=len, reverse=True):
        # latin units must end the latin run: `5G` is no unit, `5GW` is
        parts.append(re.escape(unit) + ("(?![A-Za-z])" if unit in LATIN_UNITS else ""))
    return "|".join(parts)


_UNIT_ALT = _unit_alternation(BASE_UNITS)
_APPROX_ALT = "|".join(APPROX_MARKERS)
_POST_ALT = "|".join(QUALIFIERS_AFTER)

_FIGURE_RE = re.compile(
    r"(?P<pre>第|百分之)?"
    r"(?P<sign>-)?"
    rf"(?:(?P<arabic>{_ARABIC})|(?P<mask>{MASK_NUMBER})|(?P<cn>{_CN}))"
    rf"(?P<ratio>(?:{_HSPACE}*:{_HSPACE}*(?:{_ARABIC}|{MASK_NUMBER}))+)?"
    rf"{_HSPACE}*(?P<approx1>{_APPROX_ALT})?(?P<scale>{_SCALE_ALT})?(?P<approx2>{_APPROX_ALT})?"
    rf"{_HSPACE}*(?P<unit>{_UNIT_ALT})?"
    rf"(?P<post>{_POST_ALT})?"
)
_RATIO_TERM_RE = re.compile(rf"{_ARABIC}|{MASK_NUMBER}")
_UNIT_HEAD_RE = re.compile(rf"(?:{_APPROX_ALT})?(?:{_SCALE_ALT})?(?:{_APPROX_ALT})?(?P<unit>{_UNIT_ALT})")
_CHANGE_RE = re.compile("|".join(sorted(CHANGE_WORDS, key=len, reverse=True)))
_CLAUSE_CUT_RE = re.compile(rf"[{re.escape(CLAUSE_SEPARATORS)}\n]")
_LIST_ONLY_RE = re.compile(
    rf"(?:{'|'.join(map(re.escape, LIST_SEPARATORS + RANGE_SEPARATORS))}|分别|{_HSPACE})*"
)

_PERCENT = ("%", "‰")
_CONTEXT_WINDOW = 24  # chars before a figure searched for its change/share words


def _format_number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


@functools.lru_cache(maxsize=4096)
def _cn_value(numeral: str) -> float | None:
    """Chinese numeral -> number via cn2an (`一千二百` -> 1200, `三点五` -> 3.5, `百` -> 100)."""
    import cn2an  # slow import, only needed when a Chinese numeral meets a unit

    if numeral[0] in "十百千":
        numeral = ("" if numeral[0] == "十" else "一") + numeral
    try:
        return float(cn2an.cn2an(numeral, "normal"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _arabic_value(number: str) -> float:
    return float(number.replace(",", "").replace("，", ""))


def _unit_is_word(t: str, unit: str, end: int) -> bool:
    """`三次产业`, `人民`: the unit character starts a longer word, so it is no unit."""
    followers = UNIT_FALSE_FRIENDS.get(unit)
    return bool(followers) and end < len(t) and t[end] in followers


def _kind_of_unit(unit: str) -> Kind:
    if unit in ("个百分点",):
        return "points"
    if unit in ("倍", ":"):
        return "ratio"
    if unit in AMOUNT_UNITS:
        return "amount"
    if unit in COUNT_UNITS or unit in DURATION_UNITS:
        return "count"
    return "other"


def _in_idiom(t: str, start: int, end: int) -> bool:
    lo = max(0, start - 4)
    window = t[lo : end + 4]
    for idiom in CN_NUMERAL_IDIOMS:
        i = window.find(idiom)
        while i >= 0:
            if lo + i < end and lo + i + len(idiom) > start:
                return True
            i = window.find(idiom, i + 1)
    return False


# ---------------------------------------------------------------- candidates


class _Cand:
    """A figure being read; `unit is None` marks a bare number that may still borrow a unit."""

    __slots__ = ("value", "unit", "scale_word", "kind", "quals", "sign", "masked", "start", "end")

    def __init__(self, value: float | None, unit: str | None, scale_word: str, start: int, end: int,
                 *, sign: bool = False, masked: bool = False, kind: Kind | None = None,
                 quals: list[str] | None = None) -> None:
        self.value, self.unit, self.scale_word = value, unit, scale_word
        self.kind: Kind | None = kind
        self.quals = quals or []
        self.sign, self.masked, self.start, self.end = sign, masked, start, end


def _sign_ok(t: str, pos: int, prev_end: int) -> bool:
    """A `-` is a minus sign unless it joins two figures (`5%-6%`, `2020-2025`)."""
    if pos == prev_end:
        return False
    if pos == 0:
        return True
    before = t[pos - 1]
    return not ((before.isascii() and before.isalnum()) or before in "%‰)")


def _rank_scope_before(t: str, pos: int) -> bool:
    before = t[max(0, pos - 12) : pos]
    return before.endswith(RANK_SCOPE_WORDS)


def _ratio_terms(t: str, m: re.Match[str], start: int) -> list[_Cand] | None:
    """`1.9:62.1:36` -> one `:` quantity per term; None for a clock time such as `09:00`."""
    span_end = m.end("ratio")
    terms = list(_RATIO_TERM_RE.finditer(t, start, span_end))
    texts = [x.group(0) for x in terms]
    context = t[max(0, start - 16) : start]
    clock = len(texts[0]) <= 2 and all(len(x) == 2 and x.isdigit() and int(x) < 60 for x in texts[1:])
    is_ratio = any(w in context for w in RATIO_CONTEXT_WORDS) or (
        not clock and (len(terms) >= 3 or any("." in x or not x[0].isdigit() for x in texts))
    )
    if not is_ratio:
        return None
    out = []
    for x in terms:
        masked = not x.group(0)[0].isdigit()
        value = None if masked else _arabic_value(x.group(0))
        out.append(_Cand(value, ":", "", x.start(), x.end(), masked=masked, kind="ratio", quals=["比例"]))
    return out


def _read(t: str, m: re.Match[str], prev_end: int) -> list[_Cand]:
    """Interpret one regex match; [] when it is no figure (year, ordinal, idiom, name mask...)."""
    num_group = "arabic" if m.group("arabic") else "mask" if m.group("mask") else "cn"
    num_start, num_end = m.span(num_group)
    pre = m.group("pre") or ""
    sign = bool(m.group("sign")) and _sign_ok(t, m.start("sign"), prev_end)
    start = m.start("pre") if pre else (m.start("sign") if sign else num_start)

    if m.group("ratio"):
        if pre or num_group == "cn":
            return []
        return _ratio_terms(t, m, num_start) or []

    unit = m.group("unit")
    scale_word = m.group("scale") or ""
    end = m.end()
    if unit and _unit_is_word(t, unit, m.end("unit")):
        unit, end = None, m.end("scale") if scale_word else num_end
    if scale_word in MONEY_ONLY_SCALES and unit not in MONEY_UNITS:
        return []
    quals = [q for q in (m.group("approx1"), m.group("approx2")) if q]
    if m.group("post") and unit:
        quals.append(m.group("post"))
    elif unit:
        end = m.end("unit")

    number = m.group(num_group)
    masked = num_group == "mask"
    if masked and num_start > 0 and t[num_start - 1].isascii() and t[num_start - 1].isalnum():
        return []  # 20**年, S***: part of a code or a partly masked number
    value: float | None = None

    if num_group == "cn":
        if num_start > 0 and t[num_start - 1] in "几数多好上":  # 几十家, 数百人: no exact figure
            return []
        if not number.strip("万亿"):
            return []  # 万人, 亿元 alone: a scale word is no number
        if not scale_word and (unit or pre == "百分之"):
            for word in ("万亿", "亿", "万"):  # 一千二百亿元 -> 一千二百 + 亿
                if number.endswith(word) and len(number) > len(word):
                    number, scale_word = number[: -len(word)], word
                    break
        if not any(c in number for c in "十百千万亿点") and len(number) > 1:
            if unit == "年":
                return []  # 二〇二五年
            num_start = num_end - (len(m.group("cn")) - len(number)) - 1  # 统一三项 -> 三项
            number = number[-1]
            if not pre:
                start = num_start
        if not (unit or pre):
            return []
        if number == "一" and not pre and unit in COUNT_UNITS:
            return []  # 一批重大项目, 一张蓝图: `一` + counter is an indefinite article
        if _in_idiom(t, num_start, end):
            return []
        value = _cn_value(number)
        if value is None:
            return []
    elif num_group == "arabic":
        value = _arabic_value(number)

    if pre == "百分之":
        if scale_word:
            return []
        return [_Cand(value, "%", "", start, num_end, sign=sign, masked=masked, quals=[])]

    if pre == "第":
        if unit in ("位", "名") and not scale_word:
            return [_Cand(value, "位", "", start, end, masked=masked, kind="rank", quals=quals)]
        if not unit and not scale_word and _rank_scope_before(t, start):
            return [_Cand(value, "位", "", start, num_end, masked=masked, kind="rank")]
        return []  # ordinal: 第十四届, 第一产业, 第3个

    if unit == "年":
        if masked:
            if len(number) >= 3:
                return []  # XXXX年 is a masked year
        elif scale_word or value is None or value > 30 or "." in number or len(number) > 2:
            return []  # 2025年, 100年: years and anniversaries are no figures
    if unit == "位" and t[max(0, start - 4) : start].endswith(RANK_MOVE_WORDS):
        return [_Cand(value, "位", "", start, end, masked=masked, kind="rank", quals=quals)]
    if unit == "百分点":
        unit = "个百分点"
    if unit is None:
        if scale_word and num_group == "arabic":  # 1.2万 on its own
            return [_Cand(value, "", scale_word, start, m.end("scale"), sign=sign, kind="other", quals=quals)]
        return [_Cand(value, None, "", start, num_end, sign=sign, masked=masked)]
    return [_Cand(value, unit, scale_word, start, end, sign=sign, masked=masked, quals=quals)]


def _candidates(t: str) -> list[_Cand]:
    out: list[_Cand] = []
    prev_end = -1
    for m in _FIGURE_RE.finditer(t):
        for cand in _read(t, m, prev_end):
            out.append(cand)
            prev_end = cand.end
    return out


# ---------------------------------------------------------------- lists and ranges


def _at_item_start(t: str, pos: int) -> bool:
    """`1、` at a line start or after a sentence end is a list marker, not a figure."""
    i = pos - 1
    while i >= 0 and t[i] in " \t\u3000":
        i -= 1
    return i < 0 or t[i] == "\n" or t[i] in SENTENCE_END


def _share_units(t: str, cands: list[_Cand]) -> None:
    """Ranges (`5—6%`, `5%-6%`) get qualifier 区间; bare list items borrow the unit (`3、5、7亿元`)."""
    for i in range(len(cands) - 1, 0, -1):
        cur, prev = cands[i], cands[i - 1]
        if cur.unit is None:
            continue
        gap = t[prev.end : cur.start].strip(" \t\u3000")
        if gap in RANGE_SEPARATORS and _is_range(t, prev, cur):
            if prev.unit is None:
                _borrow(prev, cur)
            if prev.unit == cur.unit:
                prev.quals.append("区间")
                cur.quals.append("区间")
            continue
        j = i
        while j > 0:
            item, gap = cands[j - 1], t[cands[j - 1].end : cands[j].start].strip(" \t\u3000")
            if item.unit is not None or gap not in SHARED_UNIT_SEPARATORS:
                break
            if gap == "、" and _at_item_start(t, item.start):
                break
            _borrow(item, cur)
            j -= 1


def _is_range(t: str, a: _Cand, b: _Cand) -> bool:
    if b.kind == "ratio" or a.kind == "ratio":
        return False
    if a.unit is not None and a.unit != b.unit:
        return False
    return t[max(0, a.start - 1) : a.start] not in ("从", "由")


def _borrow(item: _Cand, owner: _Cand) -> None:
    item.unit, item.scale_word, item.kind = owner.unit, owner.scale_word, owner.kind


# ---------------------------------------------------------------- context: kind, sign, qualifiers


def _last_change(prefix: str) -> tuple[str, bool] | None:
    """The last change word in prefix and whether it is a real change (`提高到65%` is a level)."""
    found = None
    for m in _CHANGE_RE.finditer(prefix):
        if m.group(0) == "增加" and prefix[m.end() : m.end() + 1] == "值":
            continue  # 增加值 (value added) is a noun
        rest = prefix[m.end() :].lstrip("了")
        found = (m.group(0), not rest.startswith(LEVEL_MARKERS))
    return found


def _clause_start(t: str, pos: int) -> int:
    lo = max(0, pos - _CONTEXT_WINDOW)
    cut = -1
    for m in _CLAUSE_CUT_RE.finditer(t, lo, pos):
        cut = m.end()
    return lo if cut < 0 else cut


def _apply_context(t: str, cands: list[_Cand]) -> None:
    prev: _Cand | None = None
    for c in cands:
        clause_lo = _clause_start(t, c.start)
        own_lo = max(clause_lo, prev.end) if prev and prev.end <= c.start else clause_lo
        own = t[own_lo : c.start]
        inherits = (
            prev is not None and prev.unit == c.unit and prev.end >= clause_lo - 1
            and _LIST_ONLY_RE.fullmatch(t[prev.end : c.start]) is not None
        )
        if inherits and prev is not None:
            _inherit(c, prev)
        else:
            _own_context(c, own, t[clause_lo : c.start])
        prev = c


def _inherit(c: _Cand, prev: _Cand) -> None:
    if c.kind is None:
        c.kind = prev.kind
    decrease = [q for q in prev.quals if q in DECREASE_WORDS]
    c.quals = decrease + c.quals
    if decrease and c.kind in ("growth", "points"):
        c.sign = True


def _own_context(c: _Cand, own: str, clause: str) -> None:
    change = _last_change(own)
    is_change = change is not None and change[1]
    decrease = is_change and change is not None and change[0] in DECREASE_WORDS
    if c.kind is None:
        if c.unit in _PERCENT:
            if is_change:
                c.kind = "growth"
            elif any(w in clause for w in SHARE_WORDS):
                c.kind = "share"
            else:
                c.kind = "ratio"
        else:
            c.kind = _kind_of_unit(c.unit or "")
    before = own.rstrip(" \t\u3000")
    lead = [w for w in QUALIFIERS_BEFORE if before.endswith(w)][:1]
    if decrease and change is not None:
        tail = before.removesuffix("了")
        signs_it = c.kind in ("growth", "points")
        if signs_it or any(tail.endswith(w) for w in DECREASE_WORDS):
            lead.insert(0, change[0])
        if signs_it:
            c.sign = True  # `下降-5%` is a writer's slip for a decrease, not an increase
    c.quals = lead + c.quals


# ---------------------------------------------------------------- public API


def find_quantities(text: str) -> list[Quantity]:
    """Every figure of text with its unit, in order of appearance (see the module doc for rules)."""
    t = text.translate(_WIDTH)
    cands = _candidates(t)
    _share_units(t, cands)
    cands = [c for c in cands if c.unit is not None]
    _apply_context(t, cands)
    out = []
    for c in cands:
        assert c.unit is not None and c.kind is not None
        out.append(
            Quantity(
                value=None if c.masked else c.value,
                unit=c.unit,
                scale=SCALES.get(c.scale_word, 1.0),
                scale_word=c.scale_word,
                kind=c.kind,
                qualifiers=list(dict.fromkeys(c.quals)),
                negative=c.sign,
                masked=c.masked,
                text=text[c.start : c.end],
                start=c.start,
                end=c.end,
            )
        )
    return out


_PARSE_RE = re.compile(
    rf"(?P<pct>百分之)?(?P<sign>-)?(?:(?P<arabic>\d{{1,3}}(?:[,，]\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)|(?P<cn>{_CN}))"
    rf"(?P<scale>万亿|千万|亿|万|千)?"
)


def parse_number(text: str) -> float | None:
    """A number written alone: `1.2万` -> 12000, `一千二百` -> 1200, `5,200` -> 5200, `-3.5` -> -3.5.

    None for masks, empty or non-numeric text. A `%` or `百分之` is dropped (`百分之五` -> 5).
    """
    t = re.sub(r"\s+", "", text.translate(_WIDTH)).rstrip("%‰")
    m = _PARSE_RE.fullmatch(t)
    if m is None:
        return None
    scale_word = m.group("scale") or ""
    if m.group("arabic"):
        value: float | None = _arabic_value(m.group("arabic"))
    else:
        numeral = m.group("cn")
        if not scale_word:
            for word in ("万亿", "亿", "万"):
                if numeral.endswith(word) and len(numeral) > len(word):
                    numeral, scale_word = numeral[: -len(word)], word
                    break
        value = _cn_value(numeral)
    if value is None:
        return None
    value *= SCALES.get(scale_word, 1.0)
    return -value if m.group("sign") else value


def _signed_explicitly(q: Quantity) -> bool:
    return q.negative or q.kind in ("growth", "points")


def quantity_supported(q: Quantity, evidence: str) -> bool:
    """Is q stated in the evidence as the same quantity (unit and scale-normalised value)?

    Sign-aware: `下降3.1%` in the evidence supports `-3.1%` and `下降3.1%` but not `增长3.1%`; a claim
    without a sign of its own (`3.1%` with no change word) is supported by either sign. A masked claim
    is supported by a masked evidence figure of the same unit and scale. Never a substring test.
    """
    for e in find_quantities(evidence):
        if e.unit != q.unit or (e.kind == "rank") != (q.kind == "rank"):
            continue
        if q.masked or e.masked:
            if q.masked and e.masked and q.scale == e.scale:
                return True
            continue
        assert q.value is not None and e.value is not None
        if not math.isclose(q.value * q.scale, e.value * e.scale, rel_tol=1e-9, abs_tol=1e-9):
            continue
        if q.negative == e.negative or not _signed_explicitly(q):
            return True
    return False


# ---------------------------------------------------------------- repairing split numbers

_BREAK_RE = re.compile(r"[ \t\u3000]*\r?\n[ \t\u3000]*")
_SPACE_BEFORE_UNIT_RE = re.compile(rf"(?<=[\d*]){_HSPACE}+(?={_UNIT_HEAD_RE.pattern})")
_LEFT_NUMBER_RE = re.compile(r"(?:\d[\d.]*|\*+)$")
_LEFT_PARTIAL_UNIT_RE = re.compile(r"(?:\d|\*)[ \t]*(?P<part>[\u4e00-\u9fff]{1,4})$")
_RIGHT_DIGITS_RE = re.compile(r"\d+(?:\.\d+)?")
_RIGHT_STARS_RE = re.compile(r"\*+")
_DATE_RE = re.compile(r"\d{1,2}(?:月|日|号)|\d{4}年")
_YEAR_LIKE_RE = re.compile(r"(?:19|20)\d\d")


def _unit_head(s: str) -> re.Match[str] | None:
    """A unit (with optional scale and 余/多) at the start of s that is not the start of a word."""
    m = _UNIT_HEAD_RE.match(s)
    if m is None or _unit_is_word(s, m.group("unit"), m.end()):
        return None
    return m


def _join_break(left_line: str, right: str) -> bool:
    """Should the line break between left_line (text before it on its line) and right be removed?"""
    if not left_line or not right:
        return False
    number = _LEFT_NUMBER_RE.search(left_line)
    if number is not None:
        run = number.group(0)
        if run.endswith("."):
            # `1.\n37倍`, `62.\n1:36`: a decimal point never ends a figure; dates (`12.\n3月`) excepted
            return right[:1].isdigit() and not _DATE_RE.match(right)
        if run[0] == "*":
            stars = _RIGHT_STARS_RE.match(right)  # `*\n*家`: one mask split over two lines
            return _unit_head(right[stars.end() :] if stars else right) is not None
        if left_line[: number.start()].endswith(("-", "/", ":")):
            return False  # a date, time or code ends the line: `2020-12-24\n2020年…`
        head = _unit_head(right)
        if head is not None:
            # `23\n亿元`: the unit moved to the next line; a line starting with 年 is a new year phrase
            return head.group("unit") != "年"
        digits = _RIGHT_DIGITS_RE.match(right)
        if digits is None or _YEAR_LIKE_RE.fullmatch(run):
            return False  # a year at a line end (`2025\n3月`) stays separate
        if "." in run and "." in digits.group(0):
            return False  # `557.7\n4.7%`: two numbers
        # `34\n0亿元`: digits continue only when the joined figure ends in a unit
        head = _unit_head(right[digits.end() :].lstrip(" \t\u3000"))
        return head is not None and head.group("unit") != "年"
    part = _LEFT_PARTIAL_UNIT_RE.search(left_line)
    if part is None:
        return False
    # `*亿\n元`, `2个百分\n点`: a unit split over two lines
    head = _unit_head(part.group("part") + right[:6])
    return head is not None and head.end() > len(part.group("part"))


def repair_split_numbers(text: str) -> str:
    """Join figures broken by whitespace or line breaks where the join is unambiguous.

    - `394.8 亿元` -> `394.8亿元`: spaces between a number and its unit;
    - `23\\n亿元` -> `23亿元`, `*亿\\n元` -> `*亿元`: the unit (or its end) moved to the next line;
    - `34\\n0亿元` -> `340亿元`: digits continue on the next line and end in a unit;
    - `1.\\n37倍` -> `1.37倍`, `62.\\n1:36` -> `62.1:36`: a decimal point at a line end;
    - `*\\n*家` -> `**家`: a mask run split over two lines.
    Never joined: a line ending in a year (`2025\\n3月`), a list marker before text (`1.\\n加快…`), a
    decimal point before a date (`12.\\n3月`), two decimals (`557.7\\n4.7%`), digits not ending in a unit,
    a blank line (paragraph break). Limit: a page-number line followed by a line that starts with a
    figure (`12\\n3个…`) would be joined; scraped reports rarely put page numbers on bare lines.
    """
    text = _SPACE_BEFORE_UNIT_RE.sub(
        lambda m: m.group(0) if _unit_head(text[m.end() : m.end() + 12]) is None else "", text
    )
    out: list[str] = []
    pos = 0
    for m in _BREAK_RE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _join_break(text[line_start : m.start()], text[m.end() : m.end() + 16]):
            out.append(text[pos : m.start()])
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)
