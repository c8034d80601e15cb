"""Uploads in the 文档 tab: names that clash with indexed documents, the document each file becomes,
the result row shown for it, and removing the uploaded copies once they are ingested."""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

from gradio.utils import get_upload_folder

from bot.ui import messages as msg
from bot.ui.render import esc
from ingest.load import InputFile
from ingest.models import IngestReport

log = logging.getLogger(__name__)

REPLACE = "replace"
KEEP = "keep"


def name_clashes(paths: list[Path], existing: set[str]) -> list[Path]:
    """Uploaded files whose name is already a document in the index, or an earlier file's name."""
    seen = set(existing)
    clashes = []
    for path in paths:
        if path.name in seen:
            clashes.append(path)
        seen.add(path.name)
    return clashes


def free_name(name: str, taken: set[str]) -> str:
    """`report.txt` -> `report (2).txt`, the first such name not taken."""
    pure = PurePosixPath(name)
    n = 2
    while (candidate := f"{pure.stem} ({n}){pure.suffix}") in taken:
        n += 1
    return candidate


def upload_inputs(paths: list[Path], existing: set[str], keep_both: bool) -> list[tuple[Path, InputFile]]:
    """The document each uploaded file becomes: its name, or (keep both) a free name beside the
    existing document. The index records `upload:<name>` as its path: the copy is deleted."""
    taken = set(existing)
    out = []
    for path in paths:
        doc = free_name(path.name, taken) if keep_both and path.name in taken else path.name
        taken.add(doc)
        out.append((path, InputFile(path, doc, origin=f"upload:{path.name}")))
    return out


def outcome_row(name: str, doc: str, report: IngestReport) -> list[str]:
    """[文件, 结果, 说明] for one uploaded file."""
    if report.failed:
        return [name, "失败", "；".join(msg.ingest_reason(f.error) for f in report.failed)]
    counts = f"{report.chunks} 个段落，{report.indicators} 条指标"
    if report.replaced:
        return [name, "已替换", f"同名文档已换成新内容：{counts}"]
    if report.added:
        return [name, "已添加", f"另存为“{doc}”：{counts}" if doc != name else counts]
    return [name, "已跳过", "内容相同的文档已在索引中"]


def discard_uploads(paths: list[Path]) -> None:
    """Delete uploaded copies in gradio's upload folder (and their emptied folders); other paths are
    left alone."""
    root = Path(get_upload_folder()).resolve()
    for path in paths:
        try:
            resolved = path.resolve()
            if root not in resolved.parents:
                continue
            resolved.unlink(missing_ok=True)
            if resolved.parent != root and not any(resolved.parent.iterdir()):
                resolved.parent.rmdir()
        except OSError as exc:
            log.warning("could not delete uploaded copy %s: %s", path, exc)


RESULT_HEADERS = ["文件", "结果", "说明"]
OUTCOMES = ("已添加", "已替换", "已跳过", "失败")


def status_html(rows: list[list[str]], run: int, state: str) -> str:
    """The line under 导入 that says an upload has finished ("done") or waits for 替换/保留 ("asking"),
    with the counts. Its data-run changes with every upload: the page (and the tests) can tell that
    this upload, not an earlier one, is over."""
    if state == "asking":
        text = msg.UPLOAD_ASKING.format(n=len(rows))
    else:
        counts = [f"{label} {sum(r[1] == label for r in rows)}" for label in OUTCOMES]
        text = msg.UPLOAD_DONE.format(counts="，".join(counts))
    return f'<div class="upload-status" data-state="{state}" data-run="{run}">{esc(text)}</div>'
