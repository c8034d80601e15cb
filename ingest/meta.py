"""Document metadata (region, level, year, kind) from title/header lines and the file name."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.models import DocMeta

_REGION_SUFFIXES = "省|自治区|市|自治州|州|盟|县|区|旗|镇|乡|街道"
# "云阳县人民政府", "冠县政府", "某镇政府", "XX县人民政府"
_NAME_CHARS = r"[\u4e00-\u9fffXx*]"
_REGION_BEFORE_GOV = re.compile(rf"({_NAME_CHARS}{{1,8}}?(?:{_REGION_SUFFIXES}))(?:人民)?政府")
_REGION_IN_SPEECH = re.compile(rf"在([\u4e00-\u9fff]{{1,6}}?(?:{_REGION_SUFFIXES}))第[\u4e00-\u9fff]+届")
# a file named "南川区2021年政府工作报告.txt" or "冠县_政府工作报告.docx"
_REGION_IN_FILE_NAME = re.compile(rf"^([\u4e00-\u9fff]{{1,8}}?(?:{_REGION_SUFFIXES}))(?=\d|人民|政府|[_\-\s（(])")
# a title line "测试县2023年工作总结" / "南川区 2021年政府工作报告"
_REGION_BEFORE_YEAR = re.compile(rf"(?m)^({_NAME_CHARS}{{1,8}}?(?:{_REGION_SUFFIXES}))\s*(?=(?:19|20)\d{{2}}\s*年)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
_GENERIC_PREFIXES = ("本", "全", "我", "该", "各", "市委", "县委", "向", "代表", "届")
_LEVEL_BY_SUFFIX = {
    "省": "省", "自治区": "省", "市": "市", "自治州": "市", "州": "市", "盟": "市",
    "县": "县", "旗": "县", "区": "区", "镇": "镇", "乡": "乡", "街道": "街道",
}

KINDS = ("政府工作报告", "工作总结", "目标完成情况通报", "other")


def header_lines(text: str, limit: int = 12, max_chars: int = 400) -> list[str]:
    """The first lines of a document, cut at max_chars (scraped pages can be one huge line)."""
    lines = [ln.strip()[:max_chars] for ln in text[: max_chars * 3].splitlines() if ln.strip()]
    return lines[:limit]


def detect_region(text: str, file_name: str = "") -> str:
    head = "\n".join(header_lines(text)) + "\n" + file_name
    for pattern in (_REGION_BEFORE_GOV, _REGION_IN_SPEECH, _REGION_BEFORE_YEAR):
        for match in pattern.finditer(head):
            name = match.group(1)
            if name.startswith(_GENERIC_PREFIXES) or len(name) < 2 or re.search(r"[年月日以共来]", name):
                continue
            return name.replace("x", "X")
    named = _REGION_IN_FILE_NAME.match(Path(file_name).stem) if file_name else None
    if named and not named.group(1).startswith(_GENERIC_PREFIXES):
        return named.group(1)
    # An unnamed county/town ("我代表县人民政府…"): the report masks its own name.
    body = text[:3000]
    for level in ("县", "区", "镇", "市"):
        if f"{level}人民政府" in body or f"全{level}" in body:
            return f"XX{level}"
    return ""


def level_of(region: str) -> str:
    for suffix, level in sorted(_LEVEL_BY_SUFFIX.items(), key=lambda kv: -len(kv[0])):
        if region.endswith(suffix):
            return level
    return ""


def detect_year(text: str, file_name: str = "") -> int | None:
    lines = header_lines(text)
    titled = [ln for ln in lines if re.search(r"报告|总结|通报|情况", ln)]
    for line in titled + lines + [file_name]:
        match = _YEAR.search(line)
        if match:
            return int(match.group(1))
    return None


def detect_kind(text: str, file_name: str = "") -> str:
    head = "".join(header_lines(text, 8)) + file_name
    if "通报" in head and ("完成情况" in head or "目标" in head):
        return "目标完成情况通报"
    if "总结" in head:
        return "工作总结"
    if "政府工作报告" in head.replace(" ", ""):
        return "政府工作报告"
    if "各位代表" in text[:2000]:
        return "政府工作报告"
    return "other"


def detect_title(text: str) -> str:
    for line in header_lines(text):
        if re.search(r"报告|总结|通报", line) and len(line) <= 60:
            return line
    lines = header_lines(text, 1)
    return lines[0][:60] if lines else ""


def detect_meta(
    text: str,
    file_name: str,
    region: str | None = None,
    year: int | None = None,
    kind: str | None = None,
    raw_head: str = "",
) -> DocMeta:
    """Metadata from the cleaned text, falling back to the raw head (scrape lines that cleaning
    drops, such as a download-site banner, often carry the title); explicit overrides win."""
    found_region = region or detect_region(text, file_name) or detect_region(raw_head, file_name)
    found_year = year if year is not None else (detect_year(text, file_name) or detect_year(raw_head, file_name))
    found_kind = kind or detect_kind(text, file_name)
    if not kind and found_kind == "other" and raw_head:  # an explicit --kind other stays other
        found_kind = detect_kind(raw_head, file_name)
    return DocMeta(
        doc=file_name,
        region=found_region,
        level=level_of(found_region),
        year=found_year,
        kind=found_kind,
        title=detect_title(text) or detect_title(raw_head),
    )


def covered_years(meta: DocMeta) -> tuple[int, int]:
    """Years a document speaks about: a 政府工作报告 of year Y reviews Y-1 and plans Y."""
    if meta.year is None:
        return (0, 9999)
    if meta.kind == "政府工作报告":
        return (meta.year - 1, meta.year)
    if meta.kind == "工作总结":
        return (meta.year, meta.year + 1)
    return (meta.year, meta.year)
