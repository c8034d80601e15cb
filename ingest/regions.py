"""Regions from jionlp's administrative-division dictionary: what a report is about, and which
places a question names.

* `document_region(text, file_name, title)` -> the `Region` a report is ABOUT, from its header
  ("在XX第N届人民代表大会", "我代表XX人民政府", title lines, "发布机构/来源"), its file name and
  body hints ("全县"/"我镇"...). Masked names ("某县", "XX镇", "*街道", "我代表县人民政府" with
  no name anywhere) give an anonymous region whose `key` is scoped to the document.
* `find_regions(question, indexed)` -> `RegionMatch`: indexed regions named (full names and short
  forms: "浙江", "上杭"), parent places of indexed regions ("龙岩市各县" -> scope 龙岩市), and real
  divisions with no indexed report ("白云县", "温州") as `unknown`.
* `parent_names(region)`, `within(region, scope)`, `region_from_name(name)`.

No hand-written place lists: provinces, cities and counties (with jionlp's short forms and its list
of renamed divisions) come from `jio.china_location_loader()`; towns and streets (镇/乡/街道), which
that loader leaves out, from the same dictionary file read at town depth, lazily. jieba decides the
few cases a dictionary cannot: whether a one-character name stands as a word ("冠县|城市" but
"新|县城"), and, for a report with no name in its header, which place words (ns) its body uses.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.clean import remove_pinyin_glosses, to_simplified
from ingest.jionlp_lib import jionlp
from ingest.models import Level

# ---------------------------------------------------------------- models


class Region(BaseModel):
    """A place a report is about, or a place a question names."""

    model_config = ConfigDict(frozen=True)

    name: str  # as the report writes it: "上杭县", "浙江省", "某县"
    level: Level = ""
    province: str = ""  # full jionlp names, "" when unknown
    city: str = ""
    county: str = ""
    town: str = ""  # "" or the town/street name
    anonymous: bool = False
    key: str = ""  # the index's region value: the name, or "某县#<doc>" for an anonymous report

    @model_validator(mode="before")
    @classmethod
    def _default_key(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("key"):
            return {**data, "key": data.get("name", "")}
        return data


class RegionMatch(BaseModel):
    """Places a question names, resolved against the indexed regions."""

    indexed: list[Region] = Field(default_factory=list)  # indexed regions named, in order of mention
    scopes: list[Region] = Field(default_factory=list)  # named places that contain indexed regions
    under: list[Region] = Field(default_factory=list)  # indexed regions within the scopes (index order)
    unknown: list[str] = Field(default_factory=list)  # real divisions named with no indexed report


# ---------------------------------------------------------------- the dictionary

_CJK = re.compile(r"[\u4e00-\u9fff]")
_DEPTH_LEVEL = {0: "省", 1: "市"}
# the word a report uses for itself ("全县", "我区", "本镇"), by the name's ending
_SELF_WORD_BY_SUFFIX = (
    ("自治区", "区"), ("自治州", "州"), ("自治县", "县"), ("自治旗", "旗"), ("特别行政区", "区"),
    ("街道", "街道"), ("地区", "区"), ("省", "省"), ("市", "市"), ("州", "州"), ("盟", "盟"),
    ("县", "县"), ("区", "区"), ("旗", "旗"), ("镇", "镇"), ("乡", "乡"),
)
_LEVEL_BY_SUFFIX = (
    ("自治区", "省"), ("特别行政区", "省"), ("自治州", "市"), ("自治县", "县"), ("自治旗", "县"),
    ("街道", "街道"), ("地区", "市"), ("省", "省"), ("州", "市"), ("盟", "市"), ("市", "市"),
    ("县", "县"), ("旗", "县"), ("区", "区"), ("镇", "镇"), ("乡", "乡"),
)


@dataclass(frozen=True, slots=True)
class Place:
    """One division of jionlp's dictionary (province, city or county level)."""

    name: str  # full name
    depth: int  # 0 province, 1 city, 2 county
    province: str
    city: str  # "" for a province; the municipality itself for its districts
    county: str  # "" above county level
    aliases: tuple[str, ...] = ()

    @property
    def level(self) -> str:
        if self.depth in _DEPTH_LEVEL:
            return _DEPTH_LEVEL[self.depth]
        return level_of(self.name) or "县"

    @property
    def self_word(self) -> str:
        """How the report names itself: 全省 / 全区 (自治区) / 全市 (直辖市) / 全县 / 全旗 ..."""
        if self.depth == 0 and not self.name.endswith(("省", "自治区", "特别行政区")):
            return "市"
        return self_word_of(self.name)


@dataclass(frozen=True, slots=True)
class Form:
    """A way of writing a place: its full name, a suffixed short form ("酉阳县"), or a bare stem."""

    place: Place
    short: bool  # a bare stem ("上杭"): needs a word boundary unless it names a province


@dataclass(slots=True)
class Gazetteer:
    places: list[Place] = field(default_factory=list)
    forms: dict[str, list[Form]] = field(default_factory=dict)
    longest: int = 0
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)  # first char -> form lengths, longest first
    by_name: dict[str, list[Place]] = field(default_factory=dict)


def level_of(name: str) -> str:
    for suffix, level in _LEVEL_BY_SUFFIX:
        if name.endswith(suffix) and len(name) > len(suffix):
            return level
    return ""


def self_word_of(name: str) -> str:
    for suffix, word in _SELF_WORD_BY_SUFFIX:
        if name.endswith(suffix):
            return word
    return ""


def _suffix_of(name: str) -> str:
    for suffix, _ in _SELF_WORD_BY_SUFFIX:
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    return ""


def _jio():  # noqa: ANN202 - the jionlp module
    return jionlp()


@functools.cache
def gazetteer() -> Gazetteer:
    """jionlp's provinces, cities and counties with every written form; built once per process."""
    jio = _jio()
    tree = jio.china_location_loader()
    gaz = Gazetteer()
    forms: dict[str, list[Form]] = defaultdict(list)

    def add(form: str, place: Place, short: bool) -> None:
        if len(form) < 2 or any(f.place == place for f in forms[form]):
            return
        forms[form].append(Form(place, short))

    def add_place(place: Place) -> None:
        gaz.places.append(place)
        gaz.by_name.setdefault(place.name, []).append(place)
        if place.depth == 2 and place.name.endswith("区") and len(place.name) == 2:
            return  # 城区, 郊区, 矿区, 东区: ordinary words, named only through an index's own regions
        add(place.name, place, short=False)
        suffix = _suffix_of(place.name)
        for alias in place.aliases:
            if not alias or alias == place.name:
                continue
            stem = alias
            if suffix == "自治州" and alias.endswith("州"):  # jionlp writes 自治州 short as "楚雄州", "海南州"
                add(alias, place, short=False)
                stem = alias[:-1]  # "海南" for 海南藏族自治州 (a province stem wins over it)
            elif suffix in ("自治州", "自治县", "自治旗"):
                add(alias + suffix[-1], place, short=False)  # "酉阳县" for 酉阳土家族苗族自治县
            elif suffix == "自治区":
                add(alias + suffix, place, short=False)  # "宁夏自治区"
            add(stem, place, short=True)

    for prov, pv in tree.items():
        if prov.startswith("_"):
            continue
        province = Place(prov, 0, prov, "", "", (pv["_alias"],))
        add_place(province)
        for city, cv in pv.items():
            if city.startswith("_"):
                continue
            # a municipality (上海市/上海市, 香港特别行政区/香港) is its own city; "省直辖行政区划" is none
            same = city == prov or cv["_alias"] == [pv["_alias"]]
            if not same and "直辖" not in city:
                add_place(Place(city, 1, prov, city, "", tuple(cv["_alias"])))
            parent_city = prov if same else "" if "直辖" in city else city
            for county, kv in cv.items():
                if county.startswith("_"):
                    continue
                add_place(Place(county, 2, prov, parent_city, county, (kv["_alias"],)))

    # Renamed or abolished divisions ("富阳市" -> 富阳区, "襄樊市" -> 襄阳市) keep finding the new one.
    for change in jio.china_location_change_loader():
        old_prov, old_city, old_county = change["old_loc"]
        new_prov, new_city, new_county = change["new_loc"]
        old_name = old_county[0] or old_city[0]
        new_name = new_county or new_city
        targets = [p for p in gaz.by_name.get(new_name or "", []) if p.province == new_prov]
        if old_name and len(targets) == 1 and old_name not in gaz.by_name:
            forms[old_name].append(Form(targets[0], short=False))
    gaz.forms = {k: v for k, v in forms.items() if v}
    gaz.longest = max(len(k) for k in gaz.forms)
    gaz.lengths = _lengths(gaz.forms)
    return gaz


def _lengths(forms: Iterable[str]) -> dict[str, tuple[int, ...]]:
    by_first: dict[str, set[int]] = defaultdict(set)
    for form in forms:
        by_first[form[0]].add(len(form))
    return {ch: tuple(sorted(lens, reverse=True)) for ch, lens in by_first.items()}


_MERGED: dict[int, tuple[dict[str, list[Form]], dict[str, tuple[int, ...]]]] = {}


def _merged_lengths(extra: dict[str, list[Form]]) -> dict[str, tuple[int, ...]]:
    """The dictionary's form lengths merged with an index's own forms (kept while that table lives)."""
    cached = _MERGED.get(id(extra))
    if cached is not None and cached[0] is extra:
        return cached[1]
    base, own = gazetteer().lengths, _lengths(extra)
    merged = {ch: tuple(sorted(set(base.get(ch, ())) | set(own.get(ch, ())), reverse=True))
              for ch in set(base) | set(own)}
    if len(_MERGED) > 32:
        _MERGED.clear()
    _MERGED[id(extra)] = (extra, merged)
    return merged


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    province: str
    city: str
    county: str


@functools.cache
def towns() -> dict[str, tuple[Town, ...]]:
    """Town-level names (镇/乡/街道) of jionlp's dictionary file, with their county; built lazily."""
    jio = _jio()
    path = os.path.join(os.path.dirname(jio.__file__), "dictionary", "china_location.txt")
    found: dict[str, list[Town]] = defaultdict(list)
    prov = city = county = ""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            depth = len(line) - len(line.lstrip("\t"))
            if depth >= 4:
                continue
            name = line.strip().split("\t")[0]
            if depth == 0:
                prov = name
            elif depth == 1:
                city = prov if name == prov or "直辖" in name else name
            elif depth == 2:
                county = name
            elif name.endswith(("镇", "乡", "街道")) and len(name) - len(_suffix_of(name)) >= 2:
                found[name].append(Town(name, prov, city, county))
    return {k: tuple(v) for k, v in found.items()}


# ---------------------------------------------------------------- scanning text for places

_DIGITS = "0123456789０１２３４５６７８９"
# what may follow a bare stem ("上杭2019年", "江苏和浙江", "温州呢", "龙岩各县", "浙江GDP")
_STEM_FOLLOWERS = frozenset(_DIGITS + "年和与及跟同比、，,的呢吗么省市县区州旗盟各今去 \t\r\n\u3000？?！!。；;：:）)》」”\"'|/")


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    surface: str
    forms: tuple[Form, ...]

    @property
    def places(self) -> tuple[Place, ...]:
        return tuple(f.place for f in self.forms)

    @property
    def short(self) -> bool:
        return all(f.short for f in self.forms)


def _right_ok(text: str, end: int) -> bool:
    if end >= len(text):
        return True
    ch = text[end]
    return ch in _STEM_FOLLOWERS or ("a" <= ch.lower() <= "z")


def _form_ok(text: str, start: int, end: int, form: Form) -> bool:
    """Word-boundary rules: province stems always match; other stems and one-character names
    ("新县", "寿县") must stand as words ("平安建设", "新县城" name nothing)."""
    if form.short:
        if form.place.depth == 0:
            return True
        return _right_ok(text, end)
    if end - start - len(_suffix_of(text[start:end])) <= 1:  # one-character stem: 新县, 冠县, 郏县
        return _is_word(text, start, end)
    return True


@functools.cache
def _jieba():  # noqa: ANN202 - a tokenizer of our own, initialised once, quietly
    """Not jieba's default tokenizer: the lexical index adds indexed region names to that one's
    dictionary, which would make any indexed name a word here ("新县城" -> 新县/城)."""
    import jieba

    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def _is_word(text: str, start: int, end: int, margin: int = 8) -> bool:
    """Whether text[start:end] is a word of its sentence: "冠县城市" -> 冠县|城市 yes, "新县城" ->
    新|县城 no. Segments only a small window around the name."""
    lo = max(0, start - margin)
    pos = lo
    tokens = _jieba().lcut(text[lo : end + margin], HMM=False)
    for i, token in enumerate(tokens):
        if pos == start:
            if pos + len(token) == end:
                return True
            # "冠|县政府", "新|县人民政府": the suffix went into an office word, the name still stands
            after = tokens[i + 1] if i + 1 < len(tokens) else ""
            return len(token) == 1 and bool(_OFFICE_AFTER_SUFFIX.fullmatch(after))
        if pos > start:
            return False
        pos += len(token)
    return False


_OFFICE_AFTER_SUFFIX = re.compile(r"[县区市旗](?:人民政府|政府|委|人大|政协|长|人大常委会)")


def scan(text: str, extra: dict[str, list[Form]] | None = None) -> list[Mention]:
    """Places named in text, left to right; the longest written form wins at each position.
    `extra` adds written forms (an index's own region names) that win over the dictionary's."""
    gaz = gazetteer()
    tables = [gaz.forms] if not extra else [extra, gaz.forms]
    lengths = gaz.lengths if not extra else _merged_lengths(extra)
    found: list[Mention] = []
    i, n = 0, len(text)
    while i < n:
        best: Mention | None = None
        for length in lengths.get(text[i], ()):
            end = i + length
            if end > n:
                continue
            surface = text[i:end]
            for table in tables:
                forms = tuple(f for f in table.get(surface, ()) if _form_ok(text, i, end, f))
                if forms:
                    best = Mention(i, end, surface, forms)
                    break
            if best:
                break
        if best is None:
            i += 1
            continue
        found.append(best)
        i = best.end
    return found


# ---------------------------------------------------------------- document_region

_NUM = r"[〇一二三四五六七八九十百零两\d]"
_ANON_MARK = r"(?:某|[Xx×Ｘｘ]{1,4}|[*＊]{1,4}|[○〇□△]{1,3})"
_ANON = re.compile(rf"{_ANON_MARK}\s?(街道|县|区|市|镇|乡|旗)(?![域场级民内外直属辖贤村城镇情长])")
# a masked name in running text ("XX发展进程中", "**的影响力", "新建XX开放大学"), not a masked figure
_NAME_MASK = re.compile(r"(?:[Xx×Ｘｘ]{2,4}|[*＊]{2,4})(?=[\u4e00-\u9fff])(?![亿万千百十元个家项人户亩吨年月日号位次倍台辆所座条套件名天余多批期届平米克度])")
_TOWN = re.compile(r"([\u4e00-\u9fff]{2,5}?)(街道|镇|乡)")
_GENERIC_START = tuple("全我本该各每此其这那上下乡镇城市县区省")
_SELF_REF = re.compile(r"(?:全|我|本)(街道|县|市|区|省|镇|乡|州|旗|盟)")
_NAMELESS_GOV = re.compile(rf"(?:代表|在|\d年)\s*(?:{_NUM}+届)?\s*(街道|自治区|县|市|区|省|镇|乡|州|旗)\s*(?:人民政府|政府|办事处|{_NUM}+届|第)")

_AFTER_SPEECH = re.compile(rf"\s*(?:第\s*)?{_NUM}+\s*届")
_AFTER_GOV = re.compile(r"\s*(?:人民政府|政府|街道办事处|办事处)")
_AFTER_LEADER = re.compile(r"\s*(?:人民政府)?\s*(?:代?(?:省|市|县|区|州|旗|盟|镇|乡)长|代?主席|州长|盟长|旗长)")
_AFTER_TITLE = re.compile(
    r"\s*(?:(?:19|20)\d{2}\s*年?\s*(?:度|上半年|下半年|全年)?)?\s*(?:人民政府|政府)?\s*"
    r"(?:工作报告|工作总结|政府工作报告|年度工作|《政府工作报告》|国民经济和社会发展|民生实事|经济运行)"
)
# a department of the region issuing a notice in the header ("云阳县统计局关于2022年…通报")
_AFTER_DEPARTMENT = re.compile(
    r"\s*(?:人民政府)?(?:统计局|财政局|审计局|商务局|发展和改革(?:委员会|局)|发改委|发改局|督查办|督察办公室|"
    r"(?:人民)?政府办公室|政府办)(?=[^\n]{0,30}(?:\n[^\n]{0,30})?(?:关于|(?:19|20)\d{2}\s*年|通报|报告|公告|总结))"
)
_AFTER_YEAR_TITLE = re.compile(r"\s*(?:19|20)\d{2}\s*年[^\n]{0,30}?(?:报告|总结|通报|公示|计划|情况)")
_BEFORE_YEAR = re.compile(r"(?:19|20)\d{2}\s*年(?:度)?\s*$")
_BEFORE_SOURCE = re.compile(r"(?:发布机构|信息来源|来源|发文机关|发布单位|发布者)\s*[:：|]?\s*$")
_BEFORE_REPRESENT = re.compile(r"代表\s*$")
_BEFORE_AT = re.compile(r"在\s*$")
_BEFORE_PAREN = re.compile(r"[(（]\s*$")

STRONG = 5.0  # a named candidate needs at least one header context this strong


def _context_weight(text: str, start: int, end: int) -> float:
    after = text[end : end + 40]
    before = text[max(0, start - 12) : start]
    if _AFTER_SPEECH.match(after):
        return 10.0 if _BEFORE_AT.search(before) else 8.0
    if _AFTER_GOV.match(after):
        return 10.0 if _BEFORE_REPRESENT.search(before) else 6.0
    if _BEFORE_PAREN.search(before) and after[:1] in ")）":
        return 1.0  # "(河北省)2017年蠡县…": a parent tag, not the subject
    if _AFTER_LEADER.match(after) or _AFTER_TITLE.match(after):
        return 6.0
    if _AFTER_DEPARTMENT.match(after):
        return 6.0
    if _AFTER_YEAR_TITLE.match(after) or (_BEFORE_YEAR.search(before) and re.match(r"\s*(?:人民)?政府", after)):
        return 6.0
    if _BEFORE_SOURCE.search(before):
        return 5.0
    return 1.0


@dataclass(slots=True)
class _Candidate:
    name: str  # as written
    places: tuple[Place, ...] = ()
    towns: tuple[Town, ...] = ()
    parent: Place | None = None  # a division written right before a town ("安吉县昌硕街道")
    self_word: str = ""
    best: float = 0.0
    strong: int = 0
    body: int = 0
    first: int = 1 << 30

    def score(self) -> float:
        return self.best + 0.5 * min(max(self.strong - 1, 0), 4) + 0.25 * min(self.body, 12)


def _head(text: str, limit: int = 2500) -> str:
    return text[:limit]


def _self_levels(text: str) -> Counter[str]:
    """How often the report names itself by level: 全县/我县/本县, "我代表县人民政府", "在县十四届人大"."""
    counts: Counter[str] = Counter(m.group(1) for m in _SELF_REF.finditer(text))
    for m in _NAMELESS_GOV.finditer(text[:6000]):
        word = "区" if m.group(1) == "自治区" else m.group(1)
        counts[word] += 5
    return counts


def _doc_key(name: str, file_name: str, text: str) -> str:
    doc = file_name or hashlib.sha1(text[:4000].encode("utf-8")).hexdigest()[:12]
    return f"{name}#{doc}"


def _anonymous(level_word: str, file_name: str, text: str) -> Region:
    word = level_word or ""
    level = _LEVEL_FROM_WORD.get(word, "")
    name = f"某{word}" if word else "某地"
    return Region(name=name, level=level, anonymous=True, key=_doc_key(name, file_name, text))  # type: ignore[arg-type]


_LEVEL_FROM_WORD = {"省": "省", "市": "市", "州": "市", "盟": "市", "县": "县", "旗": "县", "区": "区",
                    "镇": "镇", "乡": "乡", "街道": "街道"}


def _choose_place(places: Sequence[Place], text_mentions: Counter[str]) -> Place | None:
    """One of several divisions sharing a name (鼓楼区 ×5): the one whose parents the text names."""
    if len(places) == 1:
        return places[0]
    scored = sorted(((text_mentions[p.province] + text_mentions[p.city], p) for p in places),
                    key=lambda sp: -sp[0])
    if scored[0][0] > scored[1][0]:
        return scored[0][1]
    return None


def document_region(text: str, file_name: str = "", title: str = "") -> Region:
    """The region a report is about (see the module docstring)."""
    text = to_simplified(remove_pinyin_glosses(text or ""))  # "章貢區(qū)第五屆" -> "章贡区第五届"
    base = to_simplified(PurePath(file_name).name) if file_name else ""
    stem = PurePath(base).stem if base else ""
    title = to_simplified(title or "")
    head_text = (title + "\n" if title else "") + _head(text)
    body_mentions = scan(text[:60000])
    # how often each place (by full name) is named anywhere, for body weight and parent disambiguation
    named_counts: Counter[str] = Counter()
    for m in body_mentions:
        for p in m.places:
            named_counts[p.name] += 1
    self_levels = _self_levels(text)

    candidates: dict[str, _Candidate] = {}

    def candidate_for(m: Mention) -> _Candidate:
        places = m.places
        key = "|".join(sorted(p.name for p in places))
        if key not in candidates:
            full = {p.name for p in places}
            name = m.surface if not m.short else (places[0].name if len(full) == 1 else m.surface)
            candidates[key] = _Candidate(name=name, places=places, self_word=places[0].self_word)
        return candidates[key]

    def credit(c: _Candidate, weight: float, pos: int) -> None:
        c.best = max(c.best, weight)
        if weight >= STRONG:
            c.strong += 1
        c.first = min(c.first, pos)

    head_mentions = scan(head_text)
    for m in head_mentions:
        credit(candidate_for(m), _context_weight(head_text, m.start, m.end), m.start)
    if stem:
        for m in scan(stem):
            credit(candidate_for(m), 6.0, 10_000 + m.start)
    for m in body_mentions:
        key = "|".join(sorted(p.name for p in m.places))
        if key in candidates:
            candidates[key].body += 1

    # towns and streets: named in a strong header context ("昌硕街道2022年工作总结", "发布机构 | 东柳街道")
    town_index = None
    before_town = {m.end: m.places[0] for m in head_mentions if len(m.places) == 1}
    anchors = {0} | {m.end for m in head_mentions}
    for start in sorted(anchors | {i + 1 for i, ch in enumerate(head_text) if not _CJK.match(ch)}):
        match = _TOWN.match(head_text, start)
        if not match or match.group(1).startswith(_GENERIC_START) or re.search(r"[年的和与及等]", match.group(1)):
            continue
        name = match.group(0)
        weight = _context_weight(head_text, match.start(), match.end())
        after = head_text[match.end() : match.end() + 10]
        if re.match(r"\s*(?:党工委|党委|人大|\d{4}\s*年)", after):
            weight = max(weight, 6.0)
        if weight < STRONG:
            continue
        if town_index is None:
            town_index = towns()
        parent = before_town.get(start)
        known = tuple(t for t in town_index.get(name, ()) if parent is None or parent.name in (t.county, t.city))
        if not known and weight < 6.0:
            continue
        c = candidates.setdefault("town:" + name, _Candidate(name=name, towns=known, self_word=self_word_of(name),
                                                              parent=parent))
        credit(c, weight, match.start())
    for c in candidates.values():
        if c.towns:
            c.body = text.count(c.name)

    # anonymous markers: "某县人民政府", "XX镇2023年政府工作报告", "在xx镇第十七届", "*街道认真…"
    dominant = self_levels.most_common(1)[0] if self_levels else ("", 0)
    anon_best, anon_word = 0.0, ""

    def mask_level(word: str, weight: float) -> str:
        # a mask in passing whose level the report never uses for itself ("XX市场" aside, "受XX市表彰")
        # says the report is masked, not what it is: then the level comes from 全县/我县
        if weight < STRONG and dominant[1] >= 3 and self_levels[word] == 0:
            return dominant[0]
        return word

    for match in _ANON.finditer(head_text):
        weight = max(_context_weight(head_text, match.start(), match.end()), 4.0)
        if weight > anon_best:
            anon_best, anon_word = weight, mask_level(match.group(1), weight)
    if not anon_word:
        for match in _ANON.finditer(text[:20000]):
            anon_best, anon_word = 3.0, mask_level(match.group(1), 3.0)
            break

    def total(c: _Candidate) -> float:
        score = c.score()
        if c.self_word and dominant[1] >= 3:
            if c.self_word == dominant[0] or self_levels[c.self_word] >= dominant[1] / 2:
                score += 2.0
            elif self_levels[c.self_word] == 0:
                score -= 4.0
        return score

    ranked = sorted(candidates.values(), key=lambda c: (-total(c), c.first))
    best = ranked[0] if ranked else None
    if best is not None and best.best >= STRONG and total(best) > anon_best:
        return _named(best, named_counts)

    if anon_word:
        return _anonymous(anon_word, base, text)
    # No strong header context and no mask: the one place of the report's own level that the body
    # names as a place word ("赤峰国际陆港…" in a report that says 我代表市人民政府).
    if dominant[1] >= 3 and not _NAME_MASK.search(text[:20000]):
        found = _body_place(text, dominant[0])
        if found is not None:
            written, place = found
            return Region(name=written if written != place.aliases[0] else place.name, level=place.level,  # type: ignore[arg-type]
                          province=place.province, city=place.city, county=place.county)
    return _anonymous(dominant[0], base, text)


def _body_place(text: str, self_word: str, limit: int = 20000) -> tuple[str, Place] | None:
    """The place of a given level the body names most, if it clearly dominates. Place words come
    from jieba's part-of-speech tags (ns), so a stem inside an ordinary word ("乡村振兴") is no place."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    gaz = gazetteer()
    direct: Counter[Place] = Counter()
    credit: Counter[Place] = Counter()
    written: dict[Place, str] = {}
    for token in jieba.posseg.cut(text[:limit]):
        if not token.flag.startswith("ns") or len(token.word) < 2:
            continue
        named: set[Place] = set()
        children: set[Place] = set()
        for form in gaz.forms.get(token.word, ()):
            if form.place.self_word == self_word:
                named.add(form.place)
                written.setdefault(form.place, token.word)
            else:  # a district of the city a report is about ("红山" for 赤峰市) speaks for it a little
                children.update(p for p in _parents(form.place) if p.self_word == self_word)
        direct.update(named)
        credit.update(children - named)
    score = {p: direct[p] + 0.5 * credit[p] for p in direct | credit}
    ranked = sorted(score, key=lambda p: -score[p])
    if not ranked or direct[ranked[0]] < 2:
        return None
    if len(ranked) == 1 or score[ranked[0]] >= 2 * score[ranked[1]]:
        return written[ranked[0]], ranked[0]
    return None


def _parents(place: Place) -> list[Place]:
    gaz = gazetteer()
    found: list[Place] = []
    for name, depth in ((place.city, 1), (place.province, 0)):
        if name and depth < place.depth:
            found.extend(p for p in gaz.by_name.get(name, ()) if p.depth == depth and p.province == place.province)
    return found


def _named(c: _Candidate, named_counts: Counter[str]) -> Region:
    if c.places:
        place = _choose_place(c.places, named_counts)
        level = c.places[0].level
        if place is None:
            return Region(name=c.name, level=level, county=c.places[0].county)  # type: ignore[arg-type]
        return Region(name=c.name, level=place.level, province=place.province, city=place.city,  # type: ignore[arg-type]
                      county=place.county)
    town = _choose_town(c.towns, named_counts)
    level = level_of(c.name)
    if town is None:
        p = c.parent
        if p is None:
            return Region(name=c.name, level=level, town=c.name)  # type: ignore[arg-type]
        return Region(name=c.name, level=level, province=p.province, city=p.city, county=p.county,  # type: ignore[arg-type]
                      town=c.name)
    return Region(name=c.name, level=level, province=town.province, city=town.city, county=town.county,  # type: ignore[arg-type]
                  town=c.name)


def _choose_town(options: Sequence[Town], named_counts: Counter[str]) -> Town | None:
    if not options:
        return None
    if len(options) == 1:
        return options[0]
    scored = sorted(((named_counts[t.county] * 3 + named_counts[t.city] * 2 + named_counts[t.province], i)
                     for i, t in enumerate(options)), reverse=True)
    if scored[0][0] > scored[1][0]:
        return options[scored[0][1]]
    return None


# ---------------------------------------------------------------- relations


def _chain(region: Region) -> list[str]:
    """Own and parent names, most specific first, without repeats (重庆市 is province and city)."""
    names: list[str] = []
    for name in (region.town, region.county, region.city, region.province):
        if name and name not in names:
            names.append(name)
    return names


def parent_names(region: Region) -> list[str]:
    """The places containing a region, nearest first: 上杭县 -> ["龙岩市", "福建省"]."""
    own = region.town or region.county or region.city or region.province or region.name
    return [n for n in _chain(region) if n != own and n != region.name]


def within(region: Region, scope: Region) -> bool:
    """True when scope strictly contains region (上杭县 within 龙岩市 within 福建省)."""
    if region.key == scope.key or scope.anonymous or region.anonymous:
        return False
    if scope.town:
        return False
    if scope.county:
        return bool(region.town) and region.county == scope.county and _compatible(region, scope)
    if scope.city and scope.city != scope.province:
        return region.city == scope.city and bool(region.county or region.town) and _compatible(region, scope)
    if scope.province:
        return region.province == scope.province and bool(region.city or region.county or region.town) and (
            region.level != "省"
        )
    return False


def _compatible(a: Region, b: Region) -> bool:
    return not (a.province and b.province and a.province != b.province)


def _same_place(region: Region, place: Place) -> bool:
    if region.town or region.anonymous:
        return False
    if place.depth == 2:
        return region.county == place.county and (not region.city or not place.city or region.city == place.city) and (
            not region.province or region.province == place.province)
    if place.depth == 1:
        return not region.county and region.city == place.city and (
            not region.province or region.province == place.province)
    return region.level == "省" and region.province == place.province


def _place_region(place: Place) -> Region:
    return Region(name=place.name, level=place.level, province=place.province, city=place.city,  # type: ignore[arg-type]
                  county=place.county)


_ANON_NAME = re.compile(rf"(?:{_ANON_MARK}|XX|xx)\s?(街道|县|区|市|镇|乡|旗)")


def region_from_name(name: str, doc: str = "") -> Region:
    """A Region for a bare name, e.g. one stored in an index or given as an override: "上杭县",
    "浙江", "酉阳县", "安吉县昌硕街道", "XX县" (anonymous; key "某县#<doc>" when doc is given)."""
    name = to_simplified(name.strip())
    anon = _ANON_NAME.fullmatch(name)
    if anon:
        word = anon.group(1)
        normal = f"某{word}"
        return Region(name=normal, level=_LEVEL_FROM_WORD.get(word, ""), anonymous=True,  # type: ignore[arg-type]
                      key=f"{normal}#{doc}" if doc else normal)
    mentions = scan(name)
    parents = {p.name for m in mentions for p in m.places}
    last = mentions[-1] if mentions else None
    if last is not None and last.end == len(name):
        options = [p for p in last.places if p.province in parents or p.city in parents] or list(last.places)
        if len(options) > 1:  # 鼓楼区 with no parent written: the name and level, parents unknown
            first = options[0]
            return Region(name=last.surface, level=first.level, county=first.county)  # type: ignore[arg-type]
        place = options[0]
        return Region(name=last.surface if not last.short else place.name, level=place.level,  # type: ignore[arg-type]
                      province=place.province, city=place.city, county=place.county)
    level = level_of(name)
    if level not in ("镇", "乡", "街道"):
        return Region(name=name, level=level)  # type: ignore[arg-type]
    parent = last.places[0] if last is not None and len(last.places) == 1 else None
    town = name[last.end :] if last is not None else name
    options = [t for t in towns().get(town, ()) if parent is None or parent.name in (t.county, t.city)]
    if len(options) == 1:
        t = options[0]
        return Region(name=town, level=level, province=t.province, city=t.city, county=t.county, town=town)  # type: ignore[arg-type]
    if parent is not None:
        return Region(name=town, level=level, province=parent.province, city=parent.city,  # type: ignore[arg-type]
                      county=parent.county, town=town)
    return Region(name=town, level=level, town=town)  # type: ignore[arg-type]


# ---------------------------------------------------------------- find_regions (questions)


@dataclass(slots=True)
class _Index:
    regions: tuple[Region, ...]
    forms: dict[str, list[Form]]  # written forms of indexed regions the dictionary lacks (towns)
    by_form: dict[str, list[Region]]
    named: list[Region]
    anonymous_by_level: dict[str, list[Region]]
    by_own_name: dict[str, list[Region]]  # named regions by their own division name (county/city/province)
    below: dict[tuple[int, str], list[Region]]  # (depth, division name) -> indexed regions strictly inside


_REGION_SENTINEL = Place("", -1, "", "", "")


_INDEXES: dict[tuple[int, ...], _Index] = {}


def _index_for(indexed: Sequence[Region]) -> _Index:
    """The alias tables of an indexed set, built once. Keyed by the regions' identities: cheap to
    compute per question, and safe because the cached index keeps those (frozen) regions alive."""
    key = tuple(map(id, indexed))
    found = _INDEXES.get(key)
    if found is None:
        if len(_INDEXES) >= 16:
            _INDEXES.pop(next(iter(_INDEXES)))
        found = _INDEXES[key] = _index(tuple(indexed))
    return found


def _index(regions: tuple[Region, ...]) -> _Index:
    by_form: dict[str, list[Region]] = defaultdict(list)
    anonymous: dict[str, list[Region]] = defaultdict(list)
    named: list[Region] = []
    for region in regions:
        if region.anonymous:
            anonymous[region.level].append(region)
            continue
        named.append(region)
        by_form[region.name].append(region)
        suffix = _suffix_of(region.name)
        stem = region.name[: -len(suffix)] if suffix else ""
        if len(stem) >= 2 and region.level in ("镇", "乡", "街道"):
            by_form["~" + stem].append(region)  # a town's stem: boundary rules like a county stem
    forms: dict[str, list[Form]] = {}
    for written in by_form:
        surface = written.lstrip("~")
        forms.setdefault(surface, []).append(Form(_REGION_SENTINEL, short=written.startswith("~")))
    by_own: dict[str, list[Region]] = defaultdict(list)
    below: dict[tuple[int, str], list[Region]] = defaultdict(list)
    for region in named:
        if not region.town:
            by_own[region.county or region.city or region.province].append(region)
        for depth, name in ((2, region.county), (1, region.city), (0, region.province)):
            if name:
                scope = Region(name=name, level="省" if depth == 0 else "市" if depth == 1 else "县",
                               province=region.province, city=region.city if depth >= 1 else "",
                               county=region.county if depth == 2 else "")
                if within(region, scope):
                    below[(depth, name)].append(region)
    return _Index(regions, forms, dict(by_form), named, dict(anonymous), dict(by_own), dict(below))


_TOWN_LEFT = frozenset("和与及跟同、那在")
_ANON_IN_QUESTION = re.compile(rf"(?:{_ANON_MARK}|某个|某一)\s?(街道|县|区|市|镇|乡|旗)")


def find_regions(text: str, indexed: Sequence[Region]) -> RegionMatch:
    """Places a question names, resolved against the indexed regions (see the module docstring)."""
    idx = _index_for(indexed)
    gaz = gazetteer()
    out = RegionMatch()
    seen: set[str] = set()

    def add(bucket: list, item: Region | str, key: str) -> None:  # type: ignore[type-arg]
        if key not in seen:
            seen.add(key)
            bucket.append(item)

    mentions = scan(text, idx.forms)
    events: list[tuple[int, str, object]] = [(m.start, "place", m) for m in mentions]
    events += [(m.start(), "anonymous", m.group(1)) for m in _ANON_IN_QUESTION.finditer(text)]
    events += [(pos, "town", name) for pos, name in _towns_named(text, mentions, idx)]
    for _pos, kind, item in sorted(events, key=lambda e: e[0]):
        if kind == "anonymous":
            for region in idx.anonymous_by_level.get(_LEVEL_FROM_WORD.get(str(item), ""), []):
                add(out.indexed, region, "i:" + region.key)
            continue
        if kind == "town":
            add(out.unknown, str(item), "u:" + str(item))
            continue
        mention = item
        assert isinstance(mention, Mention)
        direct = _direct_regions(mention, idx)
        for region in direct:
            add(out.indexed, region, "i:" + region.key)
        places = [p for p in mention.places if p is not _REGION_SENTINEL]
        places += [f.place for f in gaz.forms.get(mention.surface, ()) if f.place not in places]
        resolved = bool(direct)
        for depth in sorted({p.depth for p in places}):
            at_depth = [p for p in places if p.depth == depth]
            equal = [r for p in at_depth for r in idx.by_own_name.get(p.name, ()) if _same_place(r, p)]
            scopes = [_place_region(p) for p in at_depth if (p.depth, p.name) in idx.below]
            scopes = [sc for sc in scopes if any(within(r, sc) for r in idx.below[(_depth(sc), _own(sc))])]
            for region in equal:
                add(out.indexed, region, "i:" + region.key)
            for scope in scopes:
                add(out.scopes, scope, "s:" + scope.key)
            if equal or scopes:
                resolved = True
                break
        if not resolved:
            surface = mention.surface
            if mention.short and mention.end < len(text) and text[mention.end] in "省市县区州旗盟":
                surface += text[mention.end]  # "白云县": the stem of 白云区 written with another suffix
            add(out.unknown, surface, "u:" + surface)

    if out.scopes:
        taken = {r.key for r in out.indexed}
        order = {id(r): i for i, r in enumerate(idx.named)} if len(out.scopes) > 1 else None
        inside = [r for sc in out.scopes for r in idx.below[(_depth(sc), _own(sc))] if within(r, sc)]
        for region in sorted(inside, key=lambda r: order[id(r)]) if order else inside:
            if region.key not in taken:
                taken.add(region.key)
                out.under.append(region)
    return out


def _towns_named(text: str, mentions: list[Mention], idx: _Index) -> list[tuple[int, str]]:
    """Towns named in full that no report covers ("城关镇2022年"), where a word can start."""
    if not any(suffix in text for suffix in ("镇", "乡", "街道")):
        return []
    known = {r.name for r in idx.named}
    covered = [(m.start, m.end) for m in mentions]
    starts = {0} | {e for _, e in covered} | {i + 1 for i, ch in enumerate(text) if not _CJK.match(ch) or ch in _TOWN_LEFT}
    town_index = towns()
    found: list[tuple[int, str]] = []
    for b in sorted(starts):
        if any(s0 <= b < e0 for s0, e0 in covered):
            continue
        for length in range(min(7, len(text) - b), 2, -1):
            name = text[b : b + length]
            if name in town_index:
                if name not in known and not _ANON_IN_QUESTION.fullmatch(name):
                    found.append((b, name))
                break
    return found


def _depth(region: Region) -> int:
    return 2 if region.county else 1 if region.city and region.city != region.province else 0


def _own(region: Region) -> str:
    return region.county or (region.city if region.city and region.city != region.province else region.province)


def _direct_regions(mention: Mention, idx: _Index) -> list[Region]:
    """Indexed regions written exactly as in the question (towns, renamed divisions)."""
    found: list[Region] = []
    for form in mention.forms:
        if form.place is not _REGION_SENTINEL:
            continue
        key = ("~" if form.short else "") + mention.surface
        found.extend(idx.by_form.get(key, []))
    return found


def display_name(key: str) -> str:
    """The name shown for an index region key ("某县#a.txt" -> "某县")."""
    return key.split("#", 1)[0]


@functools.lru_cache(maxsize=65536)
def written_forms(name: str) -> tuple[str, ...]:
    """Ways a text may write a region: its name and the short forms jionlp knows ("宁夏回族自治区" ->
    "宁夏", "宁夏自治区"), longest first. An anonymous name also has its masked spellings (某县, XX县)."""
    forms = {name}
    anon = _ANON_NAME.fullmatch(name)
    if anon:
        word = anon.group(1)
        forms.update({f"某{word}", f"XX{word}", f"xx{word}", f"X{word}", f"*{word}"})
    else:
        for form, entries in gazetteer().forms.items():
            if any(entry.place.name == name for entry in entries if entry.place is not _REGION_SENTINEL):
                forms.add(form)
    return tuple(sorted(forms, key=len, reverse=True))


def warm_up() -> None:
    """Load the gazetteer, the towns and the word-boundary tokenizer (~0.5 s each) before a first question."""
    gazetteer()
    towns()
    _jieba()
