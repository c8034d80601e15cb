"""What the UI says when a file cannot be imported or an eval question fails: Chinese, from the real
reasons ingest and eval.metrics give (bot.ui.messages maps them in one place)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.models import Answer
from bot.ui import messages as msg
from eval.metrics import EvalItem, judge
from ingest.load import LoadError, load_file
from ingest.pipeline import _with_hint

CJK = re.compile(r"[\u4e00-\u9fff]")


def reason_for(path: Path, **limits: int) -> str:
    with pytest.raises(LoadError) as caught:
        load_file(path, **limits)
    return _with_hint(str(caught.value))


@pytest.mark.parametrize(("name", "data", "limits", "expected"), [
    ("a.txt", b"\x00\x01\x02\x03" * 64, {}, "二进制文件，不是文本"),
    ("b.txt", b"  \n ", {}, "文件为空"),
    ("c.pdf", "不是 PDF".encode(), {}, "PDF 文件损坏：缺少 %PDF 文件头"),
    ("d.pdf", b"%PDF-1.4\n1 0 obj\n", {}, "PDF 文件损坏或不完整：缺少 %%EOF 结束标记"),
    ("e.docx", b"PK\x03\x04 not a zip", {}, "DOCX 文件损坏或无法读取"),
    ("f.exe", b"MZ", {}, "不支持的文件类型：.exe（只支持 .txt / .docx / .pdf）"),
    ("g.txt", "报告".encode() * 400_000, {"max_bytes": 1_000_000}, "文件过大：2.4 MB，超过上限 1 MB（可调大设置 GOVQA_MAX_FILE_MB）"),
    ("h.txt", "报告正文。".encode() * 100, {"max_chars": 100}, "文字过多：超过 100 个字符（可调大设置 GOVQA_MAX_DOC_CHARS）"),
])
def test_ingest_reasons_read_as_chinese(tmp_path: Path, name: str, data: bytes, limits: dict, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    reason = reason_for(path, **limits)
    assert reason.isascii()  # ingest's own words stay English (logs, CLI --json)
    assert msg.ingest_reason(reason) == expected


def test_unknown_reasons_and_errors_are_never_shown_in_english() -> None:
    assert msg.ingest_reason("KeyError: 'w:body'") == msg.FILE_UNREADABLE
    assert msg.problem_text(RuntimeError("database is locked")) == msg.UNKNOWN_PROBLEM

    class IndexProblem(Exception):
        zh = "索引 /x 是只读的"

    assert msg.problem_text(IndexProblem("read-only")) == "索引 /x 是只读的"
    assert msg.progress_step("a.txt: embedding") == "向量化"


def test_eval_reasons_read_as_chinese() -> None:
    def reason(kind: str, text: str, abstained: bool = False, facts: list[str] | None = None) -> str:
        item = EvalItem(id="q1", type=kind, question="问？", key_facts=facts or [])
        return msg.eval_reason(judge(item, Answer(question="问？", answer=text, abstained=abstained))[3])

    assert reason("lookup", "未找到", abstained=True, facts=["557.7亿元"]) == "错误拒答"
    assert reason("lookup", "GDP为500亿元", facts=["557.7亿元", "4.7%"]) == "缺少关键事实：557.7亿元、4.7%"
    assert reason("unanswerable", "是100亿元") == "对无答案问题作答"
    assert CJK.search(reason("masked_value", "财税收入为500万元"))
