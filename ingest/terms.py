"""The indicator synonym table: one place, used by tokenisation, retrieval, answering and extraction."""

from __future__ import annotations

import re

# canonical name -> aliases as people ask and as reports write
INDICATOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "地区生产总值": ("GDP", "gdp", "生产总值", "国内生产总值", "经济总量", "地区GDP"),
    "社会消费品零售总额": ("社零", "社消零", "社零额", "消费品零售总额", "社会消费品零售额"),
    "一般公共预算收入": ("财政收入", "地方财政收入", "公共预算收入", "一般预算收入", "财税收入"),
    "规上工业增加值": ("规模以上工业增加值", "规上工业", "工业增加值"),
    "全社会固定资产投资": ("固定资产投资", "固投", "投资总额"),
    "城乡居民人均可支配收入": ("人均可支配收入", "居民收入", "可支配收入", "居民人均可支配收入"),
    "城镇居民人均可支配收入": ("城镇常住居民人均可支配收入", "城镇居民收入"),
    "农村居民人均可支配收入": ("农村常住居民人均可支配收入", "农民人均可支配收入", "农民收入"),
    "第三产业增加值": ("服务业增加值", "三产增加值"),
    "农业增加值": ("农林牧渔业增加值", "第一产业增加值"),
    "进出口总额": ("外贸进出口", "进出口", "外贸总额"),
    "招商引资到位资金": ("招商引资", "到位资金"),
    "新增城镇就业": ("城镇新增就业", "新增就业"),
    "城镇登记失业率": ("失业率", "城镇调查失业率"),
    "森林覆盖率": ("森林覆盖",),
    "空气质量优良天数": ("优良天数", "空气优良天数", "空气质量优良率"),
    "绿色信贷余额": ("绿色信贷",),
    "市场主体": ("净增市场主体", "新增市场主体"),
    "交通固定资产投资": ("交通投资",),
    "营造林": ("造林", "植树造林"),
    "义务植树": ("植树",),
    "实际使用外资": ("使用外资", "利用外资"),
}

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
    "问题": ("问题", "不足", "短板", "困难", "差距", "挑战"),
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


def canonical_indicator(text: str) -> str | None:
    """The canonical indicator named in text (the longest alias found), or None."""
    for alias, canon in _ALIAS_TO_CANONICAL:
        if alias in text:
            return canon
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
