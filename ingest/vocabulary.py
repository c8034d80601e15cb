"""Shared vocabulary of the report language: units, scales, masks, punctuation and signal words.

Constants only (tuples, dicts and precompiled regexes), no logic. This is the single home for word
lists that used to be scattered over `ingest/clean.py`, `ingest/indicators.py`, `bot/numbers.py`,
`bot/evidence.py`, `bot/query.py` and `bot/extractive.py`; `ingest/quantity.py` builds on it.

Every list is generic report language; none is fitted to one sentence.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------- scales and units

SCALES: dict[str, float] = {"万": 1e4, "亿": 1e8, "万亿": 1e12, "千万": 1e7, "千": 1e3}
"""Chinese scale words written between a number and its unit (`394.8亿元`, `1.15万户`).

`千`/`千万` are rare in reports and only read as scales before money (`5千元`, `1千万元`): elsewhere
`千` belongs to the unit (`千米`, `千瓦`, `千克`)."""
MONEY_ONLY_SCALES: tuple[str, ...] = ("千万", "千")

PERCENT_UNITS: tuple[str, ...] = ("%", "‰")
POINT_UNITS: tuple[str, ...] = ("个百分点", "百分点")
RATIO_UNITS: tuple[str, ...] = ("倍",)

MONEY_UNITS: tuple[str, ...] = ("元", "美元")
WEIGHT_UNITS: tuple[str, ...] = ("吨标准煤", "吨", "斤", "公斤", "千克")
AREA_UNITS: tuple[str, ...] = ("平方公里", "平方米", "立方米", "公顷", "亩")
LENGTH_UNITS: tuple[str, ...] = ("公里", "千米", "米", "km")
ENERGY_UNITS: tuple[str, ...] = ("千瓦时", "千瓦", "度", "kWh", "kW", "MW", "GW")
PEOPLE_UNITS: tuple[str, ...] = ("人次", "人", "户")
OTHER_AMOUNT_UNITS: tuple[str, ...] = ("标准箱", "标箱", "TEU", "微克/立方米")
AMOUNT_UNITS: tuple[str, ...] = (
    MONEY_UNITS + WEIGHT_UNITS + AREA_UNITS + LENGTH_UNITS + ENERGY_UNITS + PEOPLE_UNITS + OTHER_AMOUNT_UNITS
)
"""Base units of amounts: money, tonnage, area, length, energy, persons and households."""

COUNT_UNITS: tuple[str, ...] = (
    "个", "项", "家", "所", "座", "条", "处", "套", "台", "辆", "件", "位", "名", "次", "艘", "架", "批", "场",
    "间", "张", "栋", "宗", "笔", "例", "枚", "篇", "部", "份", "本", "盏", "床", "种", "类", "株", "棵", "头",
    "只", "岁", "列",
)
"""Counters (measure words) of things counted one by one."""

DURATION_UNITS: tuple[str, ...] = ("个月", "年", "天", "小时", "分钟")
"""Durations. `年` is a duration only for small numbers (`5年`); `2025年` is a year."""

BASE_UNITS: tuple[str, ...] = (
    PERCENT_UNITS + POINT_UNITS + RATIO_UNITS + AMOUNT_UNITS + COUNT_UNITS + DURATION_UNITS
)
"""Every unit without a scale word."""

LATIN_UNITS: tuple[str, ...] = ("kWh", "kW", "MW", "GW", "km", "TEU")
"""Units written in latin letters; they only count when no further latin letter follows (`5G` is no unit)."""

UNITS: tuple[str, ...] = (
    "个百分点", "百分点", "%", "‰", "倍",
    "万亿元", "亿元", "万元", "千元", "元", "亿美元", "万美元", "美元",
    "万吨标准煤", "吨标准煤", "万吨", "吨", "亿斤", "万斤", "斤", "公斤", "千克",
    "平方公里", "万平方米", "平方米", "万立方米", "立方米", "万亩", "亩", "公顷", "万公顷",
    "公里", "千米", "米", "km",
    "亿千瓦时", "万千瓦时", "千瓦时", "万千瓦", "千瓦", "kWh", "kW", "MW", "GW",
    "万人次", "人次", "万人", "人", "万户", "户",
    "万标箱", "标箱", "万标准箱", "标准箱", "TEU", "亿度", "万度", "度",
    "个月", "年", "天", "小时", "分钟",
) + COUNT_UNITS
"""Every unit word as written after a number, with the usual scaled forms (`亿元`, `万亩`, `万人次`).

`ingest.quantity` parses `<scale><base unit>` generically, so a scaled form missing here is still
understood; the list is for other modules that match unit words directly.
"""

UNIT_FALSE_FRIENDS: dict[str, str] = {
    "次": "产性会全",  # 三次产业, 一次性, 人大三次会议, 十届三次全会 (a session number)
    "个": "人体性别",  # 个人, 个体, 个性, 个别
    "人": "民均才",  # 人民, 人均, 人才
    "家": "庭乡",  # 家庭, 家乡
    "条": "例龙件",  # 条例, 一条龙, 条件
    "元": "旦素",  # 元旦, 元素
    "天": "然津下地",  # 天然气, 天津, 天下, 天地
    "年": "代级",  # 80年代, 3年级
    "批": "准复",  # 批准, 批复
    "所": "有以",  # 所有, 所以
    "部": "门署分",  # 部门, 部署, 部分
    "种": "植养",  # 种植, 种养
    "头": "部",  # 头部
    "米": "粮",  # 米粮
    "度": "假过",  # 度假, 度过
    "列": "入车为",  # 列入, 列车, 列为
    "名": "词单称额字录",  # 名词, 名单, 名称, 名额
}
"""Characters that, right after a unit character, make a word instead (`三次产业` is not `3次`)."""

CN_NUMERAL_IDIOMS: tuple[str, ...] = (
    "千家万户", "万家灯火", "千村万户", "千方百计", "千军万马", "万人空巷", "百家争鸣", "一家一户", "一户一策",
    "一企一策", "一村一品", "一人一档", "一事一议", "一条龙", "一把手", "一揽子", "一站式", "一次性", "三次产业",
    "一二三产业", "一二三次产业", "十年磨一剑", "百年大计", "百年未有", "两个确立", "两个维护", "两个毫不动摇",
    "两个大局", "两个结合", "四个意识", "四个自信", "四个全面", "三个代表", "五篇大文章",
)
"""Fixed phrases whose Chinese numerals are no figures (`千家万户` is not `1000家`)."""

# ---------------------------------------------------------------- masked figures

_X = r"(?<![A-Za-z0-9])(?:X+|x+)(?![A-Za-z0-9])"
_MASK_UNITS = (
    "亿|万|千|百|元|个|家|位|名|项|人|户|次|条|所|座|处|枚|亩|年|月|日|天|倍|公里|平方|米|吨|辆|套|间|"
    "栋|台|件|批|场|届|种|笔|层|张|本|头|部|篇|份|小时|点|岁|床|宗|例|起|轮|千瓦|兆瓦|立方|公斤|成"
)
_MASK_BEFORE_WORDS = ("第", "增长", "下降", "达", "超", "约", "近", "累计", "年均", "排名", "位列", "占比")
MASK_RE = re.compile(
    r"[*＊]+"
    + rf"|{_X}(?=\s?(?:[%％‰]|[:：.．][Xx0-9]|(?:余|多)?(?:{_MASK_UNITS})))"
    + "|(?:"
    + "|".join(f"(?<={w})" for w in _MASK_BEFORE_WORDS)
    + rf"){_X}"
    + rf"|(?<=[Xx0-9][:：]){_X}"
)
"""Masked-figure tokens: any run of `*`, and `X`/`XX`/`xx` used as a number (`X%`, `XX亿元`, `XXXX年`,
`第XX位`, `X:X:X`). X runs glued to latin letters or digits (`Gxxxxx`, `XL`, `221X1`) and name
masks (`XX县`, `XX江`) are not figures and are not matched. `x.x%` yields two tokens `x`, `x`.
(Moved from `ingest.clean.MASK_RE`; same semantics.)"""

MASK_NUMBER = r"(?:[*＊]+(?:[.．][*＊]+)?|(?<![A-Za-z0-9])(?:X+|x+)(?:[.．](?:X+|x+))?(?![A-Za-z0-9]))"
"""One masked number as a whole (`***`, `XX`, `x.x`, `**.*`), for use inside a larger pattern.
Whether it is a figure depends on what follows (a unit, `%`) or precedes (`第`)."""

# ---------------------------------------------------------------- punctuation

SENTENCE_END: str = "。！？!?；;"
"""Characters that end a sentence (a `；` ends a sentence-like segment in report lists)."""
SENTENCE_END_RE = re.compile(r"[。！？!?；;]")
SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
"""A sentence: text up to and including its end character; line breaks also end sentences."""

CLAUSE_SEPARATORS: str = "，,；;：:。！？!?"
"""Characters between clauses. `、` is not one: it separates list items inside a clause."""
CLAUSE_SEPARATOR_RE = re.compile(r"[，,；;：:。！？!?]")

LIST_SEPARATORS: tuple[str, ...] = ("、", "和", "及", "与", "，", ",")
"""Between items of a list sharing one context (`分别增长7%、8%和9%`)."""
SHARED_UNIT_SEPARATORS: tuple[str, ...] = ("、", "和", "及", "与")
"""Between bare numbers that share the unit of the last one (`3、5、7亿元`); commas are too ambiguous."""
RANGE_SEPARATORS: tuple[str, ...] = ("—", "–", "-", "~", "～", "至", "到")
"""Between the two ends of a range (`5%—6%`, `5.5%-6%`, `5至6亿元`)."""

# ---------------------------------------------------------------- words around a figure

INCREASE_WORDS: tuple[str, ...] = (
    "增长", "增速", "增幅", "涨幅", "提高", "提升", "上涨", "上升", "增加", "回升",
)
DECREASE_WORDS: tuple[str, ...] = ("下降", "降幅", "回落", "降低", "减少", "下滑", "下跌", "缩减")
"""A following `%` or `个百分点` is a decrease: `下降3.1%` is -3.1 %."""
COMPARISON_WORDS: tuple[str, ...] = ("同比", "环比", "比上年", "较上年", "比去年", "较去年")
"""Directly before a `%` they make it a growth rate without saying its direction (`同比分别-6.2%`)."""
CHANGE_WORDS: tuple[str, ...] = INCREASE_WORDS + DECREASE_WORDS + COMPARISON_WORDS
LEVEL_MARKERS: tuple[str, ...] = ("到", "至")
"""After a change word they make the figure a level, not a change: `提高到65%`, `下降至3%`."""
SHARE_WORDS: tuple[str, ...] = ("占比", "比重", "比例", "覆盖率", "占", "率")
"""Before a `%`: the figure is a share or rate (`城镇化率达到61%`, `占GDP比重3%`)."""
RANK_SCOPE_WORDS: tuple[str, ...] = (
    "全国", "全省", "全市", "全县", "全区", "全州", "全盟", "组内", "同类县（市、区）", "同类县(市、区)",
    "排名", "位列", "位居", "跃居", "居", "列", "排",
)
"""Before `第N` without `位/名`: the ordinal is a ranking (`增速全市第一`, `位列全县第**`)."""
RANK_MOVE_WORDS: tuple[str, ...] = ("跃升至", "上升至", "上升到", "提升至", "提升到", "升至", "降至", "跃居")
"""Before a bare `N位`: the figure is a rank (`从第XX位跃升至XX位`)."""
RATIO_CONTEXT_WORDS: tuple[str, ...] = ("比", "结构", "调整为", "优化为")
"""Before `a:b`: a ratio, not a clock time (`三次产业比重由1.9:62.1:36调整为…`)."""

QUALIFIERS_BEFORE: tuple[str, ...] = (
    "不低于", "不少于", "不超过", "不高于", "超过", "突破", "接近", "将近", "约", "近", "逾", "超",
)
"""Approximation/bound words written before a figure (longest first where they overlap)."""
QUALIFIERS_AFTER: tuple[str, ...] = ("以上", "以下", "以内", "左右")
APPROX_MARKERS: tuple[str, ...] = ("余", "多")
"""Written between the number and the unit: `3000余万元`, `1.2万余人`, `100多亿元`."""

# ---------------------------------------------------------------- status, plan, forecast, actual

EXCEEDED_WORDS: tuple[str, ...] = (
    "超额完成", "超过既定目标", "超出年度目标", "超出目标", "高于年度目标", "高于目标", "提前完成",
)
MET_WORDS: tuple[str, ...] = (
    "完成年度目标任务", "完成全年任务", "完成年度目标", "实现预期目标", "达到预期目标", "如期完成", "全面完成",
    "圆满完成", "顺利完成", "完成目标任务",
)
NOT_MET_WORDS: tuple[str, ...] = (
    "未能实现", "未能达到", "未能完成", "未能如期", "未完成", "未达到", "未实现", "没有完成", "没有达到",
    "没有实现", "没能", "尚未", "还未", "滞后", "差距",
)
"""Status words. Check NOT_MET before MET: `未完成` contains `完成`."""

PLAN_WORDS: tuple[str, ...] = (
    "预期目标", "目标", "力争", "左右", "计划", "确保", "争取", "打算", "安排", "以上",
)
"""Words of targets and plans. `以上`/`左右` only mark a target together with another plan word."""
FORECAST_WORDS: tuple[str, ...] = ("预计", "预估", "初步预计", "初步测算", "有望")
"""Estimates of the current year: not yet actuals, not targets."""
ACTUAL_WORDS: tuple[str, ...] = ("实现", "完成", "达到", "同比", "比上年", "较上年", "实际")
"""Words of achieved results."""
MULTI_YEAR_RE = re.compile(
    r"年均|累计|(?<![\d.])[5五]年(?:来|间|内|中)|(?:过去|近|这)[5五]年|历年|"
    r"[“\"]?十[三四五]五[”\"]?(?:时期|期间|以来|规划期|末)|到20[3-5][05]年"
)
"""Words of figures that cover several years, not one report year: 年均, 累计, 五年来, “十四五”时期,
到2030年. The bare name of a plan period ("十四五收官之年", "十四五规划") is not one, and a digit
word never matches inside a year (`2025年` holds no `5年`)."""

PLAN_SECTION_WORDS: tuple[str, ...] = (
    "预期目标", "目标任务", "工作安排", "工作打算", "重点任务", "主要任务", "工作重点", "重点工作", "今后", "下步",
    "下一步", "工作思路", "展望", "总体要求",
)
"""Headings of sections that set out plans (`三、2026年工作安排`)."""
REVIEW_SECTION_WORDS: tuple[str, ...] = ("回顾", "总结", "完成情况", "成效", "过去", "进展")
"""Headings of sections that review results; they win over plan words (`2025年重点工作完成情况`)."""
STRONG_PLAN_RE = re.compile(
    r"预期目标|力争|目标(?:是|为)|打算|计划(?:完成|实现|新增|建设|投资|开工|达到|安排|培育|引进|改造|新建)"
)
"""Words that make a figure a plan wherever they stand before it. `计划` alone is often a noun
(`科技计划项目`), and `争取`/`确保` also narrate results in a review (`争取中央资金…`): those mark a plan
only inside a plan section."""
COMPLETION_RE = re.compile(
    r"(?:完成|为|达到|占|实现)了?(?:年度|全年|年|全年度|年初)?(?:目标|计划|预算|任务|目标任务|预期)(?:任务)?的?\s*$"
)
"""Text right before a percentage that makes it a completion rate: `完成年度计划的102%`, `为预算的101.5%`."""

BOUND_QUALIFIERS: tuple[str, ...] = ("突破", "超过", "超", "逾", "以上", "不低于", "不少于", "接近", "近")
"""Qualifiers of a threshold ("突破2万元", "稳定在1300亿斤以上"): when a sentence also gives the exact
figure ("达到20793元"), the exact one answers a lookup."""
BASELINE_BEFORE_RE = re.compile(r"(?:从|由)(?:(?:19|20)\d{2}\s*年(?:末|底)?的?)?\s*$")
"""Text right before a figure that makes it a starting value: "由7484元提高到12760元"."""


def is_plan_heading(section: str) -> bool:
    """A section heading that sets out plans (`三、2026年工作安排`) and does not review results."""
    return any(w in section for w in PLAN_SECTION_WORDS) and not any(w in section for w in REVIEW_SECTION_WORDS)


def stated_status(text: str) -> str:
    """The status a text states in words: "not_met", "exceeded" or "unknown" (NOT_MET words first:
    `未完成` contains `完成`)."""
    if any(w in text for w in NOT_MET_WORDS):
        return "not_met"
    if any(w in text for w in EXCEEDED_WORDS):
        return "exceeded"
    return "unknown"


# ---------------------------------------------------------------- problems a report admits
# every work report has a paragraph admitting its shortcomings ("我们也清醒认识到…困难和挑战",
# "成绩固然可喜，问题也不容忽视。一是…"); a question about problems asks for that paragraph
PROBLEM_QUESTION_RE = re.compile(r"问题|困难|挑战|短板|不足|差距|风险|薄弱")
PROBLEM_CUE_RE = re.compile(
    r"清醒(?:地)?(?:看到|认识到)|(?:问题|困难)(?:也|仍)?不容忽视|"
    r"(?:困难|问题|挑战|矛盾|短板)(?:和|与|、)(?:困难|问题|挑战|不足|矛盾|短板|弱项)|"
    r"存在(?:的)?(?:一些|不少)?(?:突出)?(?:问题|不足)"
)


# ---------------------------------------------------------------- documents that correct others
# a notice that corrects an earlier figure says so in its title or beside the figure
CORRECTION_RE = re.compile(r"更正|勘误|修正|订正|复核|核实后|最终核实|核定|修订后?的?数据|补充通报|以此为准")
