"""Pure parsing of the UI's form fields and API arguments."""

from __future__ import annotations

import json

ALL = "全部"


def parse_filters(region: str | None, year: str | int | None,
                  kind: str | None = None) -> tuple[str | None, int | None, str | None]:
    """(region, year, kind) from the filter dropdowns; 全部 or empty is no filter."""
    region = None if region in (None, "", ALL) else str(region)
    kind = None if kind in (None, "", ALL) else str(kind)
    year_value: int | None = None
    if year not in (None, "", ALL):
        try:
            year_value = int(str(year).strip().rstrip("年"))
        except ValueError:
            year_value = None
    return region, year_value, kind


def parse_history(history_json: str | list | None) -> list[dict]:
    """The `ask` API's history: a JSON list of {role, content}."""
    if history_json in (None, ""):
        return []
    data = json.loads(history_json) if isinstance(history_json, str) else history_json
    if not isinstance(data, list):
        raise ValueError("history must be a JSON list")
    return [{"role": t["role"], "content": str(t["content"])} for t in data if isinstance(t, dict)]


def compare_question(regions: list[str], indicator: str | None, year: str | None) -> str:
    year_text = "" if year in (None, "", ALL) else f"{year}年"
    names = regions[:-1]
    joined = ("、".join(names) + "和" + regions[-1]) if names else regions[-1]
    return f"{joined}{year_text}的{indicator}分别是多少？"


def parse_year(value: str | float | None) -> int | None:
    """The upload's year field: empty is None (detected from the report), else a year such as 2023 or
    "2023年"; ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        value = int(value) if value.is_integer() else str(value)
    text = str(value).strip().rstrip("年")
    if not (text.isdigit() and len(text) == 4 and 1900 <= int(text) <= 2100):
        raise ValueError(f"not a year: {value!r}")
    return int(text)
