"""The 文档 tab's view of indexed documents: their labels in pickers, the table row, and what the
removal confirmation says (pure functions over DocInfo)."""

from __future__ import annotations

from pathlib import Path

from ingest.models import DocInfo

DOC_HEADERS = ["标题", "文件", "地区", "级别", "年份", "类型", "字数", "段落数", "含隐去数字的段落", "SHA-256"]


def doc_label(info: DocInfo) -> str:
    """The document's title, with the file name where it differs: titles may repeat, names do not."""
    title = info.title.strip()
    return f"{title} · {info.doc}" if title and title != info.doc else info.doc


def doc_row(info: DocInfo) -> list[object]:
    return [info.title or info.doc, info.doc, info.region_name or info.region, info.level, info.year or "",
            KIND_LABELS.get(info.kind, info.kind), info.chars, info.chunks, info.masked_chunks, info.sha256[:12]]


def is_bundled(info: DocInfo, samples_dir: Path) -> bool:
    """Whether the document is one of the bundled sample reports (ingested from samples_dir)."""
    if not info.path or info.path.startswith("upload:"):
        return False
    try:
        return Path(samples_dir).resolve() in Path(info.path).resolve().parents
    except OSError:
        return False


KIND_LABELS = {"other": "其他"}


def region_choice(key: str, titles: dict[str, str]) -> tuple[str, str]:
    """(label, region key) for a region filter: an anonymous region ("某县#a.txt") is named with the
    title of the document it stands for."""
    name, _, doc = key.partition("#")
    return (f"{name}（{titles.get(doc, doc)}）" if doc else name), key


def kind_choice(kind: str) -> tuple[str, str]:
    return KIND_LABELS.get(kind, kind), kind
