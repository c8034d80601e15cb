"""Rule-based follow-up resolution (extractive mode): carry entities over from the conversation."""

from __future__ import annotations

import re
from datetime import date

from bot.analyse.question import across_level, find_regions, find_years, region_aliases
from bot.models import Turn
from ingest.regions import Region
from ingest.terms import indicators_in, surface_forms

_CN_ORDINALS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
_ORDINAL_REF = re.compile(r"第\s*([一二三四五六七八九十]|\d{1,2})\s*(项|条|个|点|件|类)")
_CONTINUATION = ("其中", "这", "该", "那", "它", "上述", "此", "另外", "还有", "同期", "同年")
_LIST_ITEM = re.compile(r"^\s*(?:[-•·*]|\d{1,2}[．.、)]|（\d{1,2}）|[一二三四五六七八九十][、．])\s*(.+)$")
_CITATION = re.compile(r"\[\d+\]")
_RANK_OF = re.compile(r"排第几|排名第几|第几名|第几位|排在第几|排名如何|排名怎么样")


def _ordinal(token: str) -> int:
    return int(token) if token.isdigit() else _CN_ORDINALS.get(token, 0)


def list_items(answer: str) -> list[str]:
    """The items of a previous answer: bullet/numbered lines, else a 、/；-separated enumeration."""
    lines = [m.group(1) for line in answer.splitlines() if (m := _LIST_ITEM.match(line))]
    if len(lines) >= 2:
        return [_CITATION.sub("", item).strip(" 。；;") for item in lines]
    body = _CITATION.sub("", answer)
    body = re.sub(r"^.*?(包括|有|是|为|：|:)", "", body.split("。")[0], count=1)
    parts = [p.strip(" 。；;等") for p in re.split(r"[、；;，,]", body) if p.strip(" 。；;等")]
    return parts if len(parts) >= 2 else []


def _last(history: list[Turn], role: str) -> str:
    for turn in reversed(history):
        if turn.role == role:
            return turn.content
    return ""


def _replace_regions(text: str, old: list[str], new: list[str], names: dict[str, str]) -> str:
    for index, region in enumerate(old):
        replacement = names.get(new[min(index, len(new) - 1)], new[min(index, len(new) - 1)])
        for alias in sorted(region_aliases(names.get(region, region)), key=len, reverse=True):
            if alias in text:
                text = text.replace(alias, replacement, 1)
                break
    return text


_MEASURE_WORDS = ("增速", "增幅", "增长率", "增长", "总量", "总额", "目标", "完成率", "排名", "占比", "比重", "同比")


def _replace_indicator(text: str, old: str, new: str) -> str:
    for form in sorted(surface_forms(old), key=len, reverse=True):
        if form in text:
            return text.replace(form, new, 1)
    return text


def _replace_modified(base: str, subject: str) -> str:
    """“乡镇民生实事呢？” after “…县级民生实事完成了多少项”: the phrase that shares the subject's head
    noun gets the new modifier."""
    for length in range(len(subject) - 1, 1, -1):
        head = subject[-length:]
        at = base.find(head)
        modifier = len(subject) - length
        if at >= modifier and re.fullmatch(r"[\u4e00-\u9fff]+", base[at - modifier : at] or "x"):
            return base[: at - modifier] + subject + base[at + length :]
    return base


def _bare_subject(core: str, regions: list[str], names: dict[str, str]) -> str:
    """What an elliptic follow-up names besides regions and years (“棉花”, “增速”), or ""."""
    for region in regions:
        for alias in region_aliases(names.get(region, region)):
            core = core.replace(alias, "")
    core = re.sub(r"(?:19|20)\d{2}\s*年|同期|的", "", core).strip(" ，,")
    return core if len(core) >= 2 else ""


def _is_elliptic(question: str) -> bool:
    """“那冠县呢？” / “2021年呢” / “GDP呢”: a short question that leans on the previous one."""
    core = question.strip(" ？?。")
    return core.endswith("呢") and len(core) <= 16


def condense(question: str, history: list[Turn], known_regions: list[Region], today: date | None = None) -> str:
    """A standalone question; unchanged when there is no history to lean on."""
    if not history:
        return question
    names = {r.key: r.name for r in known_regions}
    last_question = _last(history, "user")
    last_answer = _last(history, "assistant")
    q_regions = find_regions(question, known_regions)
    q_years = find_years(question, today)
    prev_regions = find_regions(last_question, known_regions) or find_regions(last_answer, known_regions)
    prev_years = find_years(last_question, today)

    ordinal = _ORDINAL_REF.search(question)
    if ordinal and last_answer:
        items = list_items(last_answer)
        position = _ordinal(ordinal.group(1))
        if 0 < position <= len(items):
            question = question.replace(ordinal.group(0), f"“{items[position - 1]}”")

    if _RANK_OF.search(question) and q_regions and last_question and across_level(last_question):
        # "浙江排第几？" after a ranking: the same ranking, asked for that region's place
        names_asked = "、".join(names.get(r, r) for r in q_regions)
        return f"{last_question.rstrip('？?。 ')}，{names_asked}排第几？"

    if _is_elliptic(question) and last_question:
        core = question.strip(" ？?。").removesuffix("呢").removeprefix("那").removeprefix("那么").strip()
        base = last_question
        if q_regions:
            base = (_replace_regions(base, prev_regions, q_regions, names) if prev_regions
                    else f"{names.get(q_regions[0], q_regions[0])}{base}")
        if q_years:
            base = re.sub(r"(?<!\d)(?:19|20)\d{2}(?=\s*年)", str(q_years[0]), base, count=1) \
                if prev_years else f"{q_years[0]}年{base}"
        new_indicators = indicators_in(core)
        old_indicators = indicators_in(base)
        subject = _bare_subject(core, q_regions, names)
        if new_indicators and old_indicators and new_indicators[0] != old_indicators[0]:
            base = _replace_indicator(base, old_indicators[0], new_indicators[0])
        elif subject and subject.startswith(_MEASURE_WORDS):
            # “增速呢？”: the same subject, another measure
            base = re.sub(r"(?:是多少|有多少|多少|是什么)?[？?。]*$", "", base) + f"{subject}是多少？"
        elif subject and not new_indicators and old_indicators:
            # “棉花呢？”: another subject, the same question
            base = _replace_indicator(base, old_indicators[0], subject)
        elif subject and not new_indicators:
            base = _replace_modified(base, subject)
        return base

    prefix = ""
    if not q_regions and prev_regions:
        prefix += "和".join(dict.fromkeys(names.get(r, r) for r in prev_regions))
    continues = question.startswith(_CONTINUATION) or not q_regions
    if not q_years and prev_years and continues:
        prefix += f"{prev_years[0]}年"
    if prefix:
        question = prefix + re.sub(rf"^({'|'.join(_CONTINUATION)})", "", question)
    return question
