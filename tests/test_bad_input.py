"""Bad input, each file one test: one real `govqa ingest --json` batch over good and bad files.

The batch must go on past every bad file with a clear per-file error, ingest the good ones and
leave an index that opens and answers searches.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from bot.settings import Settings
from ingest.lexical import tokenize
from ingest.store import open_store

ROOT = Path(__file__).resolve().parents[1]
GOOD_NAME = "云阳县 2022年 工作总结 (副本).txt"


def good_report(region: str, topic: str) -> str:
    return (
        f"{region}人民政府2022年工作总结\n一、主要成效\n"
        f"2022年，{region}大力发展{topic}，全年实现产值26.4亿元，同比增长9.1%，完成年度目标任务的112%。"
        "新增城镇就业2100人，城乡居民人均可支配收入稳步增长，重点民生实事全部办结。\n"
        f"二、下步工作\n持续壮大{topic}，推动产业链延链补链强链，确保2023年各项目标任务圆满完成。"
    )


def pdf_bytes(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def make_batch(folder: Path) -> dict[str, Path]:
    """Every case of the issue's bad-input list, plus two good files."""
    folder.mkdir(parents=True)
    files: dict[str, Path] = {}

    def put(key: str, name: str, data: bytes) -> None:
        files[key] = folder / name
        files[key].write_bytes(data)

    put("good_spaces_chinese", GOOD_NAME, good_report("云阳县", "柑橘产业").encode("utf-8"))
    put("good_gb18030", "gbk.txt", good_report("巫溪县", "中蜂养殖").encode("gb18030"))
    put("empty", "empty.txt", b"")
    put("whitespace", "blank.txt", b" \n\t\n  \n")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(256)
    put("png_as_txt", "picture.txt", png)
    put("byte_soup", "soup.txt", os.urandom(4096))
    rng = random.Random(3)
    put("high_byte_soup", "soup2.txt", bytes(rng.randrange(0x80, 0x100) for _ in range(4096)))  # no NUL bytes
    put("unsupported", "table.xlsx", b"PK\x03\x04 not really a spreadsheet")
    put("corrupt_docx", "broken.docx", b"this is not a zip archive at all")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("word/document.xml", "<w:document>unclosed")
    put("docx_without_package", "broken2.docx", archive.getvalue())
    full_pdf = pdf_bytes("Annual work report 2022: output grew 5 percent.")
    put("truncated_pdf", "cut.pdf", full_pdf[: len(full_pdf) // 2])
    files["huge"] = folder / "huge.txt"
    line = ("2022年全县地区生产总值同比增长5%，" * 20 + "\n").encode("utf-8")
    with files["huge"].open("wb") as out:
        for _ in range(30 * 1024 * 1024 // len(line) + 1):
            out.write(line)
    files["missing"] = folder / "does-not-exist.txt"
    return files


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("bad-input")
    files = make_batch(tmp / "in")
    index = tmp / "index"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVQA_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", *[str(p) for p in files.values()], "--json",
         "--index", str(index)],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=600,
    )
    report = json.loads(result.stdout)
    errors = {Path(f["path"]).name: f["error"] for f in report["failed"]}
    return {"files": files, "index": index, "result": result, "report": report, "errors": errors}


def error_of(batch: dict, key: str) -> str:
    name = batch["files"][key].name
    assert name in batch["errors"], f"{name} was not reported as failed: {batch['report']}"
    return batch["errors"][name]


def test_batch_exit_code_and_counts(batch: dict) -> None:
    assert batch["result"].returncode == 2, batch["result"].stderr
    assert batch["report"]["added"] == 2
    assert len(batch["report"]["failed"]) == len(batch["files"]) - 2
    assert "Traceback" not in batch["result"].stderr


def test_empty_file(batch: dict) -> None:
    assert "empty" in error_of(batch, "empty")
    assert "empty" in error_of(batch, "whitespace")


def test_png_renamed_txt(batch: dict) -> None:
    assert "binary" in error_of(batch, "png_as_txt")


def test_byte_soup(batch: dict) -> None:
    assert any(word in error_of(batch, "byte_soup") for word in ("binary", "decode"))
    assert "decode" in error_of(batch, "high_byte_soup")


def test_unsupported_extension(batch: dict) -> None:
    error = error_of(batch, "unsupported")
    assert "unsupported" in error and ".xlsx" in error


def test_corrupt_docx(batch: dict) -> None:
    assert "docx" in error_of(batch, "corrupt_docx")
    assert "docx" in error_of(batch, "docx_without_package")


def test_truncated_pdf(batch: dict) -> None:
    error = error_of(batch, "truncated_pdf")
    assert "pdf" in error and ("truncated" in error or "corrupt" in error)


def test_huge_file_refused_with_limit(batch: dict) -> None:
    error = error_of(batch, "huge")
    assert "too large" in error
    assert "10" in error and "MB" in error
    assert "GOVQA_MAX_FILE_MB" in error


def test_missing_path(batch: dict) -> None:
    assert "not found" in error_of(batch, "missing")


def test_name_with_spaces_and_chinese(batch: dict) -> None:
    assert GOOD_NAME not in batch["errors"]
    store = open_store(Settings(index_dir=batch["index"]), with_embedder=False)
    docs = {d.doc: d for d in store.list_docs()}
    store.close()
    assert set(docs) == {GOOD_NAME, "gbk.txt"}
    assert docs[GOOD_NAME].region == "云阳县" and docs[GOOD_NAME].chunks >= 1
    assert docs["gbk.txt"].region == "巫溪县"


def test_index_is_sound_after_the_batch(batch: dict) -> None:
    store = open_store(Settings(index_dir=batch["index"]))
    try:
        assert store.collection.count() == store.chunk_count() > 0
        hits = store.collection.query(query_embeddings=[store.embedder.query("中蜂养殖产值")], n_results=1)
        assert hits["metadatas"][0][0]["doc"] == "gbk.txt"
        lexical, rows = store.lexical()
        scores = lexical.scores(tokenize("柑橘产业"))
        assert rows.doc[int(np.argmax(scores))] == GOOD_NAME and scores.max() > 0
        assert store._db.execute("SELECT COUNT(*) FROM docs WHERE state != 'complete'").fetchone()[0] == 0
    finally:
        store.close()
