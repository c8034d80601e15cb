"""The indicator synonym table: one place, used by tokenisation, retrieval, answering and extraction."""

from __future__ import annotations

import re

# canonical name -> names that mean exactly the same figure, as people ask and as reports write.
# Related but different figures are separate entries, never aliases: 财政总收入 vs 一般公共预算收入,
# 工业增加值 vs 规上工业增加值, 城镇调查失业率 vs 城镇登记失业率, 优良天数 vs 优良率 (DESIGN.md).
INDICATOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "地区生产总值": ("GDP", "gdp", "生产总值", "经济总量", "地区GDP", "国内生产总值", "地方生产总值", "经济增长",
               "经济增速"),
    "人均地区生产总值": ("人均GDP", "人均生产总值"),
    "社会消费品零售总额": ("社零", "社消零", "社零额", "社零总额", "消费品零售总额", "社会消费品零售额"),
    "一般公共预算收入": ("一般预算收入", "公共预算收入", "地方一般公共预算收入", "一般公共预算收入总额"),
    "财政总收入": ("财政收入总额",),
    "财政收入": ("地方财政收入",),
    "税收收入": ("税收",),
    "规上工业增加值": ("规模以上工业增加值", "规上工业"),
    "工业增加值": ("全部工业增加值",),
    "全社会固定资产投资": ("固定资产投资", "固投"),
    "居民人均可支配收入": ("全体居民人均可支配收入", "人均可支配收入", "城乡居民人均可支配收入"),
    "城镇居民人均可支配收入": ("城镇常住居民人均可支配收入",),
    "农村居民人均可支配收入": ("农村常住居民人均可支配收入", "农民人均可支配收入"),
    "第三产业增加值": ("三产增加值",),
    "第一产业增加值": ("一产增加值",),
    "进出口总额": ("外贸进出口", "进出口", "外贸进出口总额", "货物进出口总额", "货物贸易进出口"),
    "实际使用外资": ("实际利用外资", "实际使用外资金额"),
    "城镇新增就业": ("新增城镇就业", "城镇新增就业人数", "新增就业"),
    "城镇登记失业率": (),
    "城镇调查失业率": (),
    "居民消费价格": ("CPI", "居民消费价格涨幅", "居民消费价格指数"),
    "粮食总产量": ("粮食产量", "粮食总产"),
    "森林覆盖率": (),
    "空气质量优良天数": ("优良天数", "空气优良天数"),
    "空气质量优良天数比率": ("空气质量优良率", "优良天数比率", "优良天数比例", "空气优良天数比例"),
    "常住人口城镇化率": ("城镇化率",),
    "研发经费投入强度": ("研发投入强度", "R&D经费投入强度", "全社会研发投入强度"),
    "单位地区生产总值能耗": ("单位GDP能耗", "单位生产总值能耗"),
    "招商引资到位资金": ("到位资金",),
}

# figures that people confuse with each other: when one is asked and absent, the answer may name
# another of its group, as that other figure (never in its place)
RELATED_INDICATORS: tuple[frozenset[str], ...] = (
    frozenset({"一般公共预算收入", "财政总收入", "税收收入"}),
    frozenset({"规上工业增加值", "工业增加值"}),
    frozenset({"城镇登记失业率", "城镇调查失业率"}),
    frozenset({"空气质量优良天数", "空气质量优良天数比率"}),
    frozenset({"居民人均可支配收入", "城镇居民人均可支配收入", "农村居民人均可支配收入"}),
    frozenset({"地区生产总值", "人均地区生产总值"}),
)


# general words people ask with, answered by the specific figures reports give (named as such)
UMBRELLA_INDICATORS: dict[str, tuple[str, ...]] = {
    "财政收入": ("一般公共预算收入", "财政总收入"),
}


def related_indicators(canonical: str) -> tuple[str, ...]:
    """Other indicators of the groups `canonical` belongs to."""
    return tuple(sorted({other for group in RELATED_INDICATORS if canonical in group for other in group} - {canonical}))


# topics people ask about, and the words reports use for them (matching only, not indicators)
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "大气": ("空气", "PM2.5", "PM10", "优良天数", "蓝天", "扬尘", "大气"),
    "空气": ("空气", "PM2.5", "PM10", "优良天数", "蓝天", "大气"),
    "水污染": ("水质", "污水", "河长制", "河湖", "碧水", "断面"),
    "生态": ("生态", "环保", "污染", "绿化", "森林", "蓝天", "碧水", "净土"),
    "环境": ("环保", "污染", "生态", "蓝天", "碧水", "净土", "人居环境"),
    "就业": ("就业", "失业率", "创业"),
    "增速": ("增长", "增速", "增幅"),
    "增幅": ("增长", "增速", "增幅"),
    "治理": ("治理", "整治", "治污", "改善"),
    "成效": ("成效", "改善", "提升", "列全市", "位居"),
    "成就": ("成效", "改善", "提升", "位居"),
    "称号": ("称号", "获评", "荣获", "命名", "之乡", "之都"),
    "荣誉": ("获评", "荣获", "称号", "入选", "授予", "示范县", "先进"),
    # a report admits its problems in one paragraph ("我们也清醒认识到…困难和挑战", "问题也不容忽视")
    "问题": ("问题", "不足", "短板", "困难", "差距", "挑战", "清醒", "忽视"),
    "困难": ("困难", "问题", "挑战", "不足", "短板", "清醒", "忽视"),
    "挑战": ("挑战", "困难", "问题", "不足", "短板", "清醒"),
    "不足": ("不足", "问题", "短板", "差距"),
    "招商": ("招商", "签约", "引进", "到位资金"),
    "教育": ("教育", "学校", "教师", "幼儿园", "教学楼", "高考", "课后服务", "学位", "校舍"),
    "医疗": ("医疗", "医院", "卫生院", "医保", "诊疗", "医共体"),
    "卫生": ("卫生", "医院", "卫生院", "医疗", "疫苗"),
    "养老": ("养老", "敬老院", "老年", "养老服务"),
    "住房": ("住房", "棚户区", "老旧小区", "安置", "保障房"),
    "道路": ("道路", "公路", "交通", "通车", "路网", "桥"),
    "交通": ("交通", "公路", "道路", "通车", "高速", "铁路"),
    "基础设施": ("基础设施", "公路", "供电", "变电站", "管网", "泵站", "供水", "5G基站"),
}

# aliases longest first so "规模以上工业增加值" wins over "工业增加值"
_ALIAS_TO_CANONICAL: list[tuple[str, str]] = sorted(
    [(alias, canon) for canon, aliases in INDICATOR_SYNONYMS.items() for alias in (canon, *aliases)],
    key=lambda pair: -len(pair[0]),
)


def all_terms() -> list[str]:
    """Every canonical name and alias (for the word segmenter's dictionary)."""
    return [alias for alias, _ in _ALIAS_TO_CANONICAL]


# what may stand before an indicator's name without narrowing it: the scope of the whole region
# a region's own name may lead ("2022年云阳县地区生产总值"); a zone inside it may not ("经开区地区生产总值")
_PLACE_NAME = r"[\u4e00-\u9fff]{1,7}?(?:省|市|县|区|镇|乡|州|盟|旗|街道)"
_ZONE = re.compile(r"(?:开发|园|新|工业|功能|景|城|市|社|片|库|山|矿|高新|经开|保税|示范|产业|集聚|地)区|[城都]市|[城乡集]镇")
_SCOPE_WORD = r"(?:全|本|我)(?:省|市|县|区|镇|乡|州|盟|旗|街道|社会|年)?|全年|当年|年末|年底"
_SCOPE_WORD_RE = re.compile(_SCOPE_WORD)
_SCOPE_PREFIX = re.compile(rf"(?:(?:19|20)\d{{2}}年)?(?:{_PLACE_NAME}){{0,3}}(?:{_SCOPE_WORD})?")


# subjects that name an indicator only when they are the whole subject ("经济增长5%左右" is GDP growth;
# "数字经济" is not), so they are not aliases for questions
WHOLE_SUBJECT_ALIASES: dict[str, str] = {"经济": "地区生产总值"}


def canonical_indicator(text: str) -> str | None:
    """The canonical indicator a subject phrase names: an alias at its end, since a Chinese noun phrase
    ends in its head, with nothing before it but the scope ("全省生产总值" is 地区生产总值;
    "单位地区生产总值能耗", "…占地区生产总值比重" and "交通固定资产投资" are not)."""
    if text in WHOLE_SUBJECT_ALIASES:
        return WHOLE_SUBJECT_ALIASES[text]
    for alias, canon in _ALIAS_TO_CANONICAL:
        if text.endswith(alias):
            prefix = text[: len(text) - len(alias)]
            return canon if not prefix or (_SCOPE_PREFIX.fullmatch(prefix) and not _ZONE.search(prefix)) else None
    return None


# what may follow an indicator's name in a question when the name is the thing asked about (not a
# modifier of a longer noun, as in "单位地区生产总值二氧化碳排放")
_ASKED_FOLLOWER = re.compile(
    r"(?:$|[\s，。？?！!、,;；:：“”\"（）()]|和|与|及|或|增|降|下降|是|为|多少|几|的|呢|吗|目标|预期|计划|完成|总量|总额|规模|实现|达到|"
    r"达|有|排|位|情况|数据|年|同比|比|较|分别|各|占|在|怎么|如何|能|突破|超|预计|首次|连续|居|列|哪|谁|更|最|高|低|快|慢|"
    r"大|小|走势|变化|对比|相比|方面|累计|合计|总计|年均|\d)"
)


_PERIOD_TAIL = re.compile(r"(?:期间|时期|以来|年间|年来|全年|今年|去年|各地|各省|各县|各市|分别|比较|对比)$")
_ASKED_PRECEDER = set("年的和与及、，,。？?！!：:；; “”\"（）()") | set("省市县区镇乡州旗盟") | set("那问看查说中里")


def _asked_start(text: str, start: int) -> bool:
    """An indicator's name in a question starts a word: after a region, a year, 的 or punctuation
    ("云阳县2022年交通固定资产投资" names 交通固定资产投资, not 全社会固定资产投资)."""
    if start == 0 or text[start - 1] in _ASKED_PRECEDER or text[start - 1].isdigit() or text[start - 1].isascii():
        return True
    before = text[max(0, start - 4):start]
    if _SCOPE_WORD_RE.search(before) or _PERIOD_TAIL.search(before):
        return True
    from ingest.regions import gazetteer  # a region's short form ("广东城镇新增就业")

    forms = gazetteer().forms
    return any(before[-n:] in forms for n in (2, 3, 4) if len(before) >= n)


def indicator_alias_in(text: str) -> str | None:
    """The longest indicator name or alias written in text, as written."""
    for alias, _ in _ALIAS_TO_CANONICAL:
        if alias in text:
            return alias
    return None


def indicators_in(text: str) -> list[str]:
    """All canonical indicators named in text, in order of first mention, no overlaps."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for alias, canon in _ALIAS_TO_CANONICAL:
        for match in re.finditer(re.escape(alias), text):
            span = (match.start(), match.end())
            if any(s < span[1] and span[0] < e for s, e in taken):
                continue
            if not _ASKED_FOLLOWER.match(text, span[1]) or not _asked_start(text, span[0]):
                taken.append(span)  # part of a longer name: no shorter alias inside it either
                continue
            taken.append(span)
            found.append((span[0], canon))
    seen: list[str] = []
    for _, canon in sorted(found):
        if canon not in seen:
            seen.append(canon)
    return seen


def surface_forms(canonical: str) -> tuple[str, ...]:
    """The canonical name and its aliases, as they may appear in a report."""
    return (canonical, *INDICATOR_SYNONYMS.get(canonical, ()))


def expand_query(text: str) -> str:
    """Append the report-side names of every indicator and topic the question names."""
    extra: list[str] = []
    for canon in indicators_in(text):
        for form in surface_forms(canon):
            if form not in text and not form.isascii():
                extra.append(form)
    for topic, variants in TOPIC_WORDS.items():
        if topic in text:
            extra.extend(v for v in variants if v not in text and v not in extra)
    return f"{text} {' '.join(extra)}" if extra else text


def topic_variants(word: str) -> tuple[str, ...]:
    """Report-side words for a question word (its own form first)."""
    for key, variants in TOPIC_WORDS.items():
        if key in word:
            return (word, *variants)
    return (word,)


def canonical_additions(text: str) -> str:
    """The question plus the canonical names of indicators it names by an alias (short: for embedding)."""
    extra = [canon for canon in indicators_in(text) if canon not in text]
    return f"{text} {' '.join(extra)}" if extra else text
