"""Document metadata (region through the division parser, year, kind, title) from header lines and the file name."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ingest.models import DocMeta
from ingest.regions import document_region, region_from_name

# a year that is not the start of a full date (dates in a page head are often publication dates)
_TITLE_YEAR = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:年(?!\s*\d{1,2}\s*月\s*\d{1,2}\s*日)|(?=政府工作报告|工作总结|工作报告))"
)
_DELIVERED = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*在[^，。]{0,30}?人民代表大会")

KINDS = ("政府工作报告", "工作总结", "目标完成情况通报", "other")


def header_lines(text: str, limit: int = 12, max_chars: int = 400) -> list[str]:
    """The first lines of a document, cut at max_chars (scraped pages can be one huge line)."""
    lines = [ln.strip()[:max_chars] for ln in text[: max_chars * 3].splitlines() if ln.strip()]
    return lines[:limit]


def detect_year(text: str, file_name: str = "") -> int | None:
    """The report's year: a year in its title line, else the date it was delivered ("——2026年1月26日在
    广东省第十四届人民代表大会…"), else a year in the file name, else the first year of its head."""
    lines = header_lines(text, 20)
    titled = [ln for ln in lines if re.search(r"报告|总结|通报|情况", ln)]
    for line in titled:
        match = _TITLE_YEAR.search(line)
        if match:
            return int(match.group(1))
    delivered = _DELIVERED.search("".join(lines))
    if delivered:
        return int(delivered.group(1))
    for line in [file_name, *lines]:
        match = _TITLE_YEAR.search(line)
        if match:
            return int(match.group(1))
    return None


def detect_kind(text: str, file_name: str = "") -> str:
    head = "".join(header_lines(text, 8)) + file_name
    progress = re.search(r"(?:完成|落实|进展)情况", head)
    if progress and "通报" in head:
        return "目标完成情况通报"
    if "总结" in head:
        return "工作总结"
    if progress and re.search(r"目标|任务|指标", head):
        return "目标完成情况通报"
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
    drops, such as a download-site banner, often carry the title); explicit overrides win.

    `file_name` is the document's name in the index (a path relative to the folder ingested, such as
    "2023/report.txt"): the whole of it keys an anonymous region, its last part is read for the year
    and kind."""
    base = PurePosixPath(file_name).name
    title = detect_title(text) or detect_title(raw_head)
    if region:
        place = region_from_name(region, file_name)
    else:
        place = document_region(text, file_name, title)
        if not place.name and raw_head:
            place = document_region(raw_head, file_name, title)
    if place.anonymous and not place.level:
        place = place.model_copy(update={"name": "", "key": ""})  # no region at all, not an anonymous one
    found_year = year if year is not None else (detect_year(text, base) or detect_year(raw_head, base))
    found_kind = kind or detect_kind(text, base)
    if not kind and found_kind == "other" and raw_head:  # an explicit --kind other stays other
        found_kind = detect_kind(raw_head, base)
    return DocMeta(
        doc=file_name,
        region=place.key,
        region_name=place.name,
        province=place.province,
        city=place.city,
        county=place.county,
        anonymous=place.anonymous,
        level=place.level,
        year=found_year,
        kind=found_kind,
        title=display_title(title, place.name, found_year, found_kind, base),
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


_TITLE_WORDS = re.compile(r"报告|总结|通报|情况|计划")
_NOT_A_TITLE = re.compile(r"^(?:各位代表|现在|下面是|[<>]|部\s*门)|记者|摄|\d{1,2}月\d{1,2}日")


def display_title(title: str, region_name: str, year: int | None, kind: str, doc: str) -> str:
    """What users see for a document: its own title line when it has a usable one (with the region
    put in front when the title does not name it), else region + year + kind, else the file name."""
    title = re.sub(r"\s+", "", title or "").strip("《》()（）")
    region = region_name or ""
    if title and len(title) <= 40 and _TITLE_WORDS.search(title) and not _NOT_A_TITLE.search(title):
        if region and region not in title and not title.startswith(("关于", "《")):
            return f"{region}{title}"
        return title if region in title or not region else f"{region}·{title}"
    kind_name = kind if kind != "other" else "报告"
    if region or year:
        return f"{region}{f'{year}年' if year else ''}{kind_name}"
    return re.sub(r"_[0-9a-f]{8,}(?=\.)", "", doc)
