"""Indicator (target vs actual) extraction from cleaned chunks.

Rule-based and deterministic: every record's `quote` is an exact substring of its chunk's text,
and every figure in a record is written in that quote. Masked figures (`***`, `X%`) stay masked:
the value is None and `masked` is True.

Patterns covered (from the real reports):
- actuals: “地区生产总值557.7亿元，同比增长4.7%，…，增速全市第一” (value, unit, growth, rank);
- target then actual in one numbered item: “完成交通固定资产投资50亿元。全县2022年完成投资59亿元，
  完成年度目标任务的118%，超额完成年度目标任务。”; “分别完成年度目标任务的276%、175%”;
- tallies: “已完成170项，…；未完成事项5项，…（详见附件）”;
- group statements: “地区生产总值等5项经济指标未能实现预期目标”, “还未能如期达到经济发展目标”;
- “森林覆盖率达到61%，超过既定目标2个百分点” (exceeded), “超额完成生猪存栏、出栏任务”;
- plans: “主要预期目标是：生产总值增长6%左右，…”, “力争…突破XX亿元” (targets, status unknown).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from ingest.models import Chunk, Indicator, Status
from ingest.terms import INDICATOR_SYNONYMS, canonical_indicator

# ---------------------------------------------------------------- lexical patterns

_UNITS = (
    "个百分点", "万亿元", "亿元", "万元", "千元", "元", "亿美元", "万美元", "美元", "万人次", "人次", "万人", "人",
    "万户", "户", "万株", "株", "万亩", "亩", "平方公里", "万平方米", "平方米", "公里", "万吨", "吨", "亿斤", "万千瓦",
    "个", "项", "件", "家", "所", "座", "条", "处", "套", "天", "倍", "%", "‰",
)
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_MASK = r"(?:[*＊]+|(?<![A-Za-z0-9])[Xx]{1,4}(?![A-Za-z0-9]))"
_NUM = r"-?\d+(?:\.\d+)?"
FIGURE = re.compile(
    rf"(?<![\d.])(?P<num>{_NUM}|{_MASK})\s*(?P<approx>余|多)?(?P<unit>{_UNIT_ALT})(?P<qual>左右|以上)?"
)
_SENTENCE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]|$)")
_CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")
_ITEM = re.compile(r"^\s*\d{1,2}[．.](?!\d)")
_ACTUAL_START = re.compile(r"^(?:全县|全镇|全区|全市|全年|截至|截止|20\d\d年)")
_OWNER_PREFIX = re.compile(r"^\s*\d{1,2}[．.]\s*[^，。]{0,30}?牵头的")
_COMPARISON = re.compile(r"较全[市省国]|高于全|低于全|快于全|慢于全|平均增速|平均水平")
_RANK = re.compile(
    r"(?:增速|总量|增幅)?(?:列|位列|位居|居|跃居|排名)?(?:全国|全省|全市|全县|组内|同类县[（(]市、区[）)])"
    r"(?:第[一二三四五六七八九十\d*X]+(?:位|名)?|前列|首位)"
    r"(?:、组内第[一二三四五六七八九十\d]+)?"
)
_COMPLETION = re.compile(
    rf"(?:完成(?:了)?(?:年度|全年)?(?:目标)?(?:任务|计划|目标)的?|完成率|完成进度)\s*"
    rf"(?P<list>(?:{_NUM}|{_MASK})%(?:[、和](?:{_NUM}|{_MASK})%)*)"
)
_GROWTH_BEFORE = re.compile(r"(?:增长|增速|增幅|提高|提升|下降|回落|降低)(?:了|为|达|达到)?$")
_TARGET_SENTENCE = re.compile(r"预期目标(?:是|为)|力争|目标(?:是|为)|^计划|[，,]计划")
_FALLBACK_TARGET = re.compile(r"预期目标(?:是|为)|力争|目标(?:是|为)")
# what may stand between an indicator's name and its figure (“社会消费品零售总额完成394.3亿元”)
_NAME_GAP = re.compile(
    r"(?:全年|全县|当年|余额|总额|总量|完成|实现|达到|达|为|将|突破|增长|同比|提升至|提高到|提升到|提高至|分别|累计|预计|约|超|"
    r"共|在|了|比上年|较上年|年均|\s)*"
)
_FALLBACK_VERBS = re.compile(r"^(?:打造|安排|确保|启动|实施|推进|建设|开展|设立|提供|计划|争取|发放|拆除|帮助|对接)")
_EXCEEDED = re.compile(r"超额完成|超过既定目标|超出(?:年度)?目标|高于(?:年度)?目标")
_NOT_MET = re.compile(r"未能(?:如期|按期|全面)?(?:实现|达到|完成)|未完成|未达到|没有(?:如期)?(?:完成|达到|实现)|没能")
_NEGATIVE_STATEMENT = re.compile(
    r"(?:未能|没能|没有)(?:如期|按期|全面)?(?:实现|达到|完成)(?P<what>[^，,。；;]{0,12}?(?:目标|任务|指标))"
)
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_GROUP = re.compile(
    r"(?P<named>[^，,。；;]{2,40}?)等(?P<n>\d+|[一二两三四五六七八九十])(?:项|个)(?P<what>[^，,。；;]{0,8}?(?:指标|任务|事项))"
)
_EXCEEDED_TASK = re.compile(r"超额完成(?P<what>[^，,。；;]{2,16}?)(?:任务|目标)")
_TALLY_DONE = re.compile(r"已(?:全部)?完成(?P<n>\d+)(?:项|件)")
_TALLY_OPEN = re.compile(r"未完成(?:事项|任务)?(?P<n>\d+)(?:项|件)")
_TALLY_TOTAL = re.compile(r"(?P<n>\d+)(?:件|项)(?:事项|任务|目标任务)")
_ATTACHMENT = re.compile(r"[（(]?(?:详见|见)附件[^）)\n]{0,10}[）)]?")
_PLAN_SECTION = re.compile(r"目标任务|工作安排|重点工作|工作重点|今后|主要任务|工作打算|工作思路|工作要求")
_REVIEW_SECTION = re.compile(r"回顾|总结|完成情况|成效|过去")
_FALLBACK_STRIP_HEAD = re.compile(
    r"^(?:其中|全县|全镇|全区|全年|全市|20\d\d年|截至目前|当年|今年|每年|力争|确保|在|[Xx*\d]+年内?|完成|实现|达到|"
    r"新增|净增|累计|预计|共|建成|开展|列入|引进|招引|培育|新培育|出清)+"
)
_FALLBACK_STRIP_TAIL = re.compile(r"(?:达到|达|为|突破|超|完成|实现|增长|共计|总计|累计|分别|同比|不少于|增速|均)+$")
# indicators measured in money: a count (“招商引资XX条措施”, “规上工业企业**家”) is not their value
_MONEY_INDICATORS = {
    "地区生产总值", "社会消费品零售总额", "一般公共预算收入", "规上工业增加值", "全社会固定资产投资",
    "城乡居民人均可支配收入", "城镇居民人均可支配收入", "农村居民人均可支配收入", "第三产业增加值", "农业增加值",
    "进出口总额", "招商引资到位资金", "绿色信贷余额", "交通固定资产投资", "实际使用外资",
}
_CONTINUATION_WORDS = re.compile(
    r"^(?:其中|同比|比上年|较上年|增长|增速|增幅|下降|提高|提升|完成|实现|达到|达|总量|总额|占比|分别|了|为|约|共)+$"
)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_mask(text: str) -> bool:
    return bool(re.fullmatch(_MASK, text))


def _cn_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _CN_DIGITS.get(text)


def chunk_year(chunk: Chunk) -> int | None:
    """The year a chunk speaks about: its section's year (“2021年工作回顾”), else the report's."""
    if chunk.year_from and chunk.year_from == chunk.year_to:
        return chunk.year_from
    return chunk.year


def is_plan_section(section: str) -> bool:
    top = section.split(">")[0]
    return bool(_PLAN_SECTION.search(top)) and not _REVIEW_SECTION.search(top)


# ---------------------------------------------------------------- names

_ALIASES: list[tuple[str, str]] = sorted(
    [(alias, canon) for canon, aliases in INDICATOR_SYNONYMS.items() for alias in (canon, *aliases)],
    key=lambda pair: -len(pair[0]),
)


def find_name(text: str) -> tuple[str, str, int] | None:
    """The first indicator named in text: (canonical, as written, position); the longest alias wins."""
    best: tuple[int, int, str, str] | None = None
    for alias, canon in _ALIASES:
        pos = text.find(alias)
        if pos < 0:
            continue
        key = (pos, -len(alias))
        if best is None or key < best[:2]:
            best = (pos, -len(alias), canon, alias)
    if best is None:
        return None
    return best[2], best[3], best[0]


def fallback_name(text: str) -> str:
    """The noun phrase before a figure when no known indicator is named (“亿元以上项目”)."""
    text = _OWNER_PREFIX.sub("", text)
    text = re.sub(r"^[\s“”\"']+", "", text)
    previous = None
    while previous != text:
        previous = text
        text = _FALLBACK_STRIP_HEAD.sub("", text)
        text = _FALLBACK_STRIP_TAIL.sub("", text)
    text = text.strip(" ，,、；;：:“”\"'")
    if not 2 <= len(text) <= 14 or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9“”、]+", text):
        return ""
    if re.search(r"\d|[*Xx]{2,}", text) or _FALLBACK_VERBS.match(text):
        return ""
    return text


# ---------------------------------------------------------------- record drafts


@dataclass
class _Rec:
    name: str
    name_raw: str
    canonical: bool = True
    value: float | None = None
    unit: str = ""
    growth: float | None = None
    value_masked: bool = False
    growth_masked: bool = False
    target_text: str = ""
    target_value: float | None = None
    target_unit: str = ""
    target_masked: bool = False
    completion: float | None = None
    status: Status = "unknown"
    rank: list[str] = field(default_factory=list)
    kind: str = "indicator"
    count: int | None = None
    unnamed: int | None = None
    note: str = ""
    is_target: bool = False
    clause_text: str = ""

    def has_figure(self) -> bool:
        return self.value is not None or self.growth is not None or self.value_masked or self.growth_masked

    def has_content(self) -> bool:
        return (self.has_figure() or self.completion is not None or self.status != "unknown"
                or self.target_value is not None or self.target_masked or self.kind != "indicator")

    def to_target(self) -> None:
        """A planned figure: what was parsed as value/growth becomes the target."""
        if self.value is not None or self.value_masked:
            self.target_value, self.target_unit, self.target_masked = self.value, self.unit, self.value_masked
        elif self.growth is not None or self.growth_masked:
            self.target_value, self.target_unit, self.target_masked = self.growth, "%", self.growth_masked
        self.target_text = self.target_text or self.clause_text.strip("，,；;。 ")
        self.value = self.growth = None
        self.value_masked = self.growth_masked = False
        self.unit = ""
        self.is_target = True


def _status_of(sentence: str) -> Status:
    if _NOT_MET.search(sentence) and not re.search(r"未完成事项\d|未完成\d", sentence):
        return "not_met"
    if _EXCEEDED.search(sentence):
        return "exceeded"
    return "unknown"


def _assign_figure(rec: _Rec, piece: str, match: re.Match[str]) -> None:
    num, unit = match.group("num"), match.group("unit")
    before = piece[: match.start()]
    masked = _is_mask(num)
    value = None if masked else _number(num)
    if before.endswith("第") or re.search(r"年均(?:增长|增速)?\s*$", before) or "年均" in before[-8:]:
        return
    if "累计" in before or (rec.name in _MONEY_INDICATORS and unit != "%" and not unit.endswith("元")):
        return
    if unit == "%" and _GROWTH_BEFORE.search(before):
        if rec.growth is None and not rec.growth_masked:
            if value is not None and re.search(r"(?:下降|回落|降低)(?:了|为|达|达到)?$", before):
                value = -value
            rec.growth, rec.growth_masked = value, masked
    elif unit == "个百分点":
        return  # differences (“提高2个百分点”) are not values
    elif rec.value is None and not rec.value_masked:
        rec.value, rec.unit, rec.value_masked = value, unit, masked
    if match.group("qual") == "左右":
        rec.is_target = True


def _continues(piece: str, figure: re.Match[str]) -> bool:
    """A piece without a name whose figure continues the previous indicator (“同比增长4.7%”)."""
    before = piece[: figure.start()].strip(" ，,、；;")
    return not before or _CONTINUATION_WORDS.match(before) is not None


def _parse_sentence(sentence: str, allow_fallback: bool) -> list[_Rec]:
    """Records named in one sentence; a status word applies to the records of its own ；-segment."""
    recs: list[_Rec] = []
    owner = _OWNER_PREFIX.match(sentence)
    if owner:  # “县招商引资服务中心牵头的…”: the responsible unit is not an indicator
        sentence = " " * owner.end() + sentence[owner.end():]
    for segment in re.findall(r"[^；;]+[；;]?", sentence):
        recs.extend(_parse_segment(segment, allow_fallback, recs))
    return recs


def _parse_segment(segment: str, allow_fallback: bool, earlier: list[_Rec]) -> list[_Rec]:
    recs: list[_Rec] = []
    current: _Rec | None = None
    status = _status_of(segment)
    allow_fallback = allow_fallback or status != "unknown" or bool(_COMPLETION.search(segment))
    for clause_match in _CLAUSE.finditer(segment):
        clause = clause_match.group(0)
        rank = _RANK.search(clause)
        if rank and current is not None and rank.group(0) not in current.rank:
            current.rank.append(rank.group(0))
        if _COMPARISON.search(clause) or re.search(r"超过既定目标|前移\d+个位次", clause):
            continue
        completion = _COMPLETION.search(clause)
        if completion:
            values = [_number(v.rstrip("%")) for v in re.findall(rf"(?:{_NUM}|{_MASK})%", completion.group("list"))]
            open_recs = [r for r in (*earlier, *recs) if r.completion is None and r.kind == "indicator"]
            if len(values) > 1 and len(open_recs) >= len(values):
                for rec, value in zip(open_recs[-len(values):], values, strict=True):
                    rec.completion = value
            elif current is not None and current.completion is None:
                current.completion = values[0]
            elif current is None and allow_fallback:
                raw = fallback_name(clause[: completion.start()])
                if raw:
                    canon = canonical_indicator(raw)
                    current = _Rec(canon or raw, raw, canonical=bool(canon), completion=values[0])
                    recs.append(current)
            clause = clause[: completion.start()] + " " * (completion.end() - completion.start()) + clause[completion.end():]
        if rank:
            clause = clause.replace(rank.group(0), " " * len(rank.group(0)))
        pieces = [clause] if "分别" in clause else re.split(r"(?<=[^\d])、(?=[^\d])", clause)
        for piece in pieces:
            figures = list(FIGURE.finditer(piece))
            named = find_name(piece)
            if named is not None:
                canon, raw, pos = named
                after = pos + len(raw)
                # only figures right after the name belong to it (“设立*亿元产业引导基金” does not)
                figures = [f for f in figures if f.start() >= after
                           and _NAME_GAP.fullmatch(piece[after:f.start()]) is not None][:2]
                if current is not None and current.name == canon:
                    if current.has_figure() and figures:
                        continue  # a second figure for the same indicator (“全县市场主体突破10万户”)
                else:
                    current = _Rec(canon, raw)
                    recs.append(current)
            elif figures and allow_fallback and (current is None or current.has_figure()) \
                    and not _continues(piece, figures[0]):
                raw = fallback_name(piece[: figures[0].start()])
                if not raw:
                    continue
                canon = canonical_indicator(raw)
                current = _Rec(canon or raw, raw, canonical=bool(canon))
                recs.append(current)
            elif figures and not _continues(piece, figures[0]):
                current = None  # a figure of something else: what follows no longer continues the record
                continue
            if current is None:
                continue
            had_figure = current.has_figure()
            for match in figures:
                _assign_figure(current, piece, match)
            if current.has_figure() and not had_figure:
                start = piece.find(current.name_raw)
                current.clause_text = _OWNER_PREFIX.sub("", piece[max(start, 0):]).strip()
    if status != "unknown":
        for rec in recs:
            if rec.status == "unknown":
                rec.status = status
    return recs


def _group_records(sentence: str) -> list[_Rec]:
    """“地区生产总值等5项经济指标未能实现预期目标” → the named ones + a group record."""
    status = _status_of(sentence)
    if status == "unknown":
        return []
    out: list[_Rec] = []
    for match in _GROUP.finditer(sentence):
        named_text = re.split(r"[，,。；;]", match.group("named"))[-1]
        named_text = re.sub(r"^.*?(?:影响|以来|方面)", "", named_text)
        names = [n for n in re.split(r"[、和及]", named_text) if n]
        total = _cn_int(match.group("n"))
        for name in names:
            canon = canonical_indicator(name)
            out.append(_Rec(canon or name, name, canonical=bool(canon), status=status))
        what = match.group("what")
        out.append(_Rec(
            canonical_indicator(what) or what, match.group(0).strip(), canonical=False, status=status, kind="group",
            count=total, unnamed=(total - len(names)) if total is not None else None,
        ))
    if not out and status == "not_met":
        for match in _NEGATIVE_STATEMENT.finditer(sentence):
            what = match.group("what")
            if what in ("目标", "任务", "指标"):
                continue
            out.append(_Rec(what, what, canonical=False, status="not_met", kind="group"))
    for match in _EXCEEDED_TASK.finditer(sentence):
        what = match.group("what")
        if re.match(r"年度|全年|年度目标|既定", what) or FIGURE.search(what):
            continue
        canon = canonical_indicator(what)
        out.append(_Rec(canon or what, what, canonical=bool(canon), status="exceeded"))
    return out


def _tally_records(sentence: str, line: str) -> list[_Rec]:
    done, open_ = _TALLY_DONE.search(sentence), _TALLY_OPEN.search(sentence)
    if not done and not open_:
        return []
    total_match = _TALLY_TOTAL.search(line)
    total = int(total_match.group("n")) if total_match else None
    note = "详见附件" if _ATTACHMENT.search(line) else ""
    out = []
    if done:
        out.append(_Rec("已完成事项", done.group(0), canonical=False, value=float(done.group("n")), unit="项",
                        status="met", kind="tally", count=total, note=note))
    if open_:
        n = int(open_.group("n"))
        out.append(_Rec("未完成事项", open_.group(0), canonical=False, value=float(n), unit="项",
                        status="not_met", kind="tally", count=total, unnamed=n if note else None, note=note))
    return out


# ---------------------------------------------------------------- lines and items


@dataclass
class _Span:
    start: int
    end: int

    def text(self, source: str) -> str:
        return source[self.start:self.end]


def _sentences(text: str, offset: int) -> list[_Span]:
    spans = []
    for match in _SENTENCE.finditer(text):
        raw = match.group(0)
        lead = len(raw) - len(raw.lstrip())
        stripped = raw.strip()
        if len(stripped) >= 4:
            spans.append(_Span(offset + match.start() + lead, offset + match.start() + lead + len(stripped)))
    return spans


def _finish(rec: _Rec) -> None:
    if rec.is_target and rec.target_value is None and not rec.target_masked:
        rec.to_target()
    if rec.status == "unknown" and rec.completion is not None:
        rec.status = "exceeded" if rec.completion > 100 else "met" if rec.completion == 100 else "not_met"
    if (rec.status == "unknown" and rec.value is not None and rec.target_value is not None
            and rec.unit == rec.target_unit and rec.value >= rec.target_value):
        rec.status = "met"


def _merge_item(targets: list[_Rec], actuals: list[_Rec]) -> list[_Rec]:
    """Pair an item's planned figures with its achieved ones (by name, then by order)."""
    unmatched = [t for t in targets if t.target_value is not None or t.target_masked]
    out: list[_Rec] = []
    for actual in actuals:
        partner = next((t for t in unmatched if t.name == actual.name or t.name_raw == actual.name_raw), None)
        if partner is None and not actual.canonical and unmatched:
            partner = unmatched[0]
        if partner is not None:
            unmatched.remove(partner)
            if not actual.canonical and partner.canonical:
                actual.name, actual.canonical = partner.name, True
                actual.name_raw = partner.name_raw
            actual.target_text = partner.target_text
            actual.target_value, actual.target_unit = partner.target_value, partner.target_unit
            actual.target_masked = partner.target_masked
        out.append(actual)
    return out + unmatched


def _records_of_line(text: str, start: int, end: int, plan: bool) -> list[tuple[_Rec, _Span]]:
    line = text[start:end]
    spans = _sentences(line, start)
    out: list[tuple[_Rec, _Span]] = []
    if _ITEM.match(line) and len(spans) >= 2:
        first_actual = next(
            (i for i, s in enumerate(spans) if i > 0 and _ACTUAL_START.match(s.text(text)) and FIGURE.search(s.text(text))),
            None,
        )
        if first_actual is not None:
            targets: list[_Rec] = []
            for span in spans[:first_actual]:
                for rec in _parse_sentence(span.text(text), allow_fallback=True):
                    rec.to_target()
                    targets.append(rec)
            actuals: list[_Rec] = []
            last = spans[first_actual]
            for span in spans[first_actual:]:
                found = _parse_sentence(span.text(text), allow_fallback=True)
                if found:
                    last = span
                actuals.extend(found)
            task = _OWNER_PREFIX.sub("", "".join(s.text(text) for s in spans[:first_actual])).strip("。 ")
            whole = _Span(spans[0].start, last.end)
            for rec in _merge_item(targets, actuals):
                if not rec.target_text and task:
                    rec.target_text = task
                _finish(rec)
                if rec.has_content():
                    out.append((rec, whole))
            return out
    for span in spans:
        sentence = span.text(text)
        tallies = _tally_records(sentence, line)
        if tallies:
            tail = _ATTACHMENT.match(text, span.end)
            quote_span = _Span(span.start, tail.end() if tail else span.end)
            out.extend((rec, quote_span) for rec in tallies)
            continue
        grouped = _group_records(sentence)
        grouped_names = {r.name for r in grouped}
        recs = [r for r in _parse_sentence(sentence, allow_fallback=bool(_FALLBACK_TARGET.search(sentence)))
                if r.name not in grouped_names]
        target_sentence = plan or (bool(_TARGET_SENTENCE.search(sentence)) and _status_of(sentence) == "unknown")
        for rec in recs:
            if target_sentence:
                rec.to_target()
            _finish(rec)
            if rec.has_content():
                out.append((rec, span))
        out.extend((rec, span) for rec in grouped)
    return out


def _to_indicator(rec: _Rec, chunk: Chunk, quote: str) -> Indicator:
    masked = rec.value_masked or rec.growth_masked or rec.target_masked
    return Indicator(
        region=chunk.region, year=chunk_year(chunk), name=rec.name, name_raw=rec.name_raw,
        value=rec.value, unit=rec.unit or (rec.target_unit if rec.value is None else ""), growth_pct=rec.growth,
        target_text=rec.target_text, target_value=rec.target_value, completion_pct=rec.completion,
        status=rec.status, rank_text="、".join(rec.rank), masked=masked, doc=chunk.doc, chunk_id=chunk.id,
        quote=quote, kind=rec.kind, count=rec.count, unnamed=rec.unnamed, note=rec.note,  # type: ignore[arg-type]
    )


def extract_from_chunk(chunk: Chunk) -> list[Indicator]:
    text = chunk.text
    plan = is_plan_section(chunk.section)
    out: list[Indicator] = []
    for line in re.finditer(r"[^\n]+", text):
        for rec, span in _records_of_line(text, line.start(), line.end(), plan):
            out.append(_to_indicator(rec, chunk, span.text(text)))
    return out


def dedupe(records: Iterable[Indicator]) -> list[Indicator]:
    """Records repeated by chunk overlap (same doc, name, quote, kind) are kept once."""
    seen: set[tuple[str, str, str, str, str]] = set()
    out: list[Indicator] = []
    for rec in records:
        key = (rec.doc, rec.name, rec.name_raw, rec.quote, rec.kind)
        if key not in seen:
            seen.add(key)
            out.append(rec)
    return out


def extract_indicators(chunks: list[Chunk], chat_model: Any = None) -> list[Indicator]:
    """Rule-based records for every chunk; with a chat model, LLM-extracted records are added
    (only those whose quote is an exact substring of their chunk)."""
    records = [rec for chunk in chunks for rec in extract_from_chunk(chunk)]
    if chat_model is not None:
        records.extend(extract_with_llm(chunks, chat_model))
    return dedupe(records)


# ---------------------------------------------------------------- optional LLM extractor


class ExtractedIndicator(BaseModel):
    """One record as the model returns it."""

    name: str = Field(description="指标名称，按原文")
    value: float | None = Field(default=None, description="实际数值；原文隐去（*、X）时为空")
    unit: str = ""
    growth_pct: float | None = None
    target_text: str = ""
    target_value: float | None = None
    completion_pct: float | None = None
    status: Status = "unknown"
    rank_text: str = ""
    masked: bool = False
    quote: str = Field(description="包含该指标的原文句子，一字不差")


class ExtractedIndicators(BaseModel):
    records: list[ExtractedIndicator] = Field(default_factory=list)


def _extract_prompt(chunk: Chunk) -> str:
    from pathlib import Path

    template = (Path(__file__).resolve().parent.parent / "prompts" / "extract.txt").read_text(encoding="utf-8")
    return (template.replace("{region}", chunk.region or "未知").replace("{year}", str(chunk_year(chunk) or "未知"))
            .replace("{text}", chunk.text))


def extract_with_llm(chunks: list[Chunk], chat_model: Any) -> list[Indicator]:
    """Records from a chat model's structured output; a record whose quote is not an exact substring
    of its chunk's text is dropped, and so is any figure not written in its quote."""
    structured = chat_model.with_structured_output(ExtractedIndicators)
    out: list[Indicator] = []
    for chunk in chunks:
        try:
            result = structured.invoke(_extract_prompt(chunk))
        except Exception:  # one bad reply must not stop ingestion
            continue
        if isinstance(result, dict):
            result = ExtractedIndicators.model_validate(result)
        for item in getattr(result, "records", []) or []:
            quote = item.quote.strip()
            if not quote or quote not in chunk.text or not _figures_in_quote(item, quote):
                continue
            masked = item.masked or bool(re.search(_MASK, quote)) and item.value is None
            out.append(Indicator(
                region=chunk.region, year=chunk_year(chunk), name=canonical_indicator(item.name) or item.name,
                name_raw=item.name, value=None if masked else item.value, unit=item.unit,
                growth_pct=item.growth_pct, target_text=item.target_text, target_value=item.target_value,
                completion_pct=item.completion_pct, status=item.status, rank_text=item.rank_text,
                masked=masked, doc=chunk.doc, chunk_id=chunk.id, quote=quote,
            ))
    return out


def _figures_in_quote(item: ExtractedIndicator, quote: str) -> bool:
    """Every number the model reports must be written in its quote."""
    for value in (item.value, item.growth_pct, item.target_value, item.completion_pct):
        if value is None:
            continue
        text = f"{value:g}"
        if not re.search(rf"(?<![\d.]){re.escape(text)}(?![\d])", quote):
            return False
    return True
