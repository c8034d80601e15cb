"""Numbers with units: finding them in text and normalising them for comparison."""

from __future__ import annotations

import re
import unicodedata

UNITS = (
    "个百分点", "百分点", "平方公里", "平方米", "万平方米", "万千瓦", "千瓦时", "千瓦", "万吨", "吨",
    "万亿元", "亿元", "万元", "千元", "元", "亿美元", "万美元", "美元",
    "万人次", "人次", "万人", "人", "万户", "户", "万株", "株", "万亩", "亩", "公顷", "公里", "千米", "米",
    "个", "项", "家", "件", "所", "座", "条", "处", "套", "辆", "台", "间", "张", "批", "场", "次",
    "天", "年", "倍", "位", "名", "km", "%", "‰",
)
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
# 557.7亿元 | 4.7% | 1.15万户 | 6069人 | 12,345元 ; also "第1位"-style ranks are not values
NUMBER_WITH_UNIT = re.compile(rf"(?<![\d.])((?:(?<=[^\s\d])-)?\d[\d,]*(?:\.\d+)?)\s*(?:余|多)?\s*({_UNIT_ALT})")
PLAIN_NUMBER = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?")
YEAR_LIKE = re.compile(r"^(19|20)\d{2}$")


def normalise(text: str) -> str:
    """Full-width to ASCII, no thousands separators, no spaces — for substring checks."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return re.sub(r"\s+", "", text)


def numbers_with_units(text: str) -> list[str]:
    """Each figure with its unit, normalised ('557.7亿元', '4.7%'); years ('2022年') excluded."""
    found: list[str] = []
    # keep spaces here: a list bullet "- 12个" is not the negative number "-12个"
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", unicodedata.normalize("NFKC", text))
    for match in NUMBER_WITH_UNIT.finditer(plain):
        value, unit = match.group(1).replace(",", ""), match.group(2)
        if unit == "年" and YEAR_LIKE.match(value):
            continue
        if unit == "年" and len(value) <= 2 and int(float(value)) <= 30:
            found.append(value + unit)  # "5年" durations are figures too
            continue
        if unit == "年":
            continue
        found.append(value + unit)
    return found


def figure_supported(figure: str, evidence: str) -> bool:
    """Is a normalised figure ('12.6亿元') stated in the evidence text?"""
    evidence = normalise(evidence)
    if figure in evidence:
        return True
    match = re.match(r"(-?[\d.]+)(.*)", figure)
    if not match:
        return False
    value, unit = match.groups()
    # "增长7%、8%" style lists share one unit: accept the value followed by a separator then the unit
    pattern = rf"(?<![\d.]){re.escape(value)}(?![\d.])[^\d。；]{{0,12}}?{re.escape(unit)}" if unit else re.escape(value)
    return re.search(pattern, evidence) is not None


def has_figure(text: str) -> bool:
    return bool(numbers_with_units(text))
