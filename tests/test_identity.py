"""Document identity: a document is its path inside the folder ingested plus its content hash.
Same-named files in two folders are two documents, a changed file is `replaced`, passed-over files
are listed under `ignored`, and an upload with a taken name asks before it replaces anything."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from bot.settings import Settings
from ingest.store import open_store
from tests.test_ingest_cli import govqa, small_report


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """reports/a/report.txt and reports/b/report.txt (two counties), an image, and a hidden folder."""
    root = tmp_path / "reports"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / ".git").mkdir()
    (root / "a" / "report.txt").write_text(small_report("上杭县", "光伏发电"), encoding="utf-8")
    (root / "b" / "report.txt").write_text(small_report("长汀县", "高山蔬菜"), encoding="utf-8")
    (root / "b" / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    return root


def ingest_json(*paths: Path, index: Path, cwd: Path) -> tuple[int, dict]:
    result = govqa("ingest", *map(str, paths), "--json", "--index", str(index), cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def docs_json(index: Path, cwd: Path) -> dict[str, dict]:
    result = govqa("docs", "--json", "--index", str(index), cwd=cwd)
    assert result.returncode == 0, result.stderr
    return {d["doc"]: d for d in json.loads(result.stdout)}


def test_same_name_in_two_folders_then_a_change_is_replaced(reports: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    code, report = ingest_json(reports, index=index, cwd=tmp_path)
    assert code == 0
    assert (report["added"], report["replaced"], report["skipped"], report["failed"]) == (2, 0, 0, [])
    assert report["ignored"] == [{"path": str(reports / ".git"), "reason": "hidden folder"},
                                 {"path": str(reports / "b" / "scan.png"), "reason": "unsupported file type: .png"}]
    docs = docs_json(index, tmp_path)
    assert set(docs) == {"a/report.txt", "b/report.txt"}
    assert docs["a/report.txt"]["region"] == "上杭县" and docs["b/report.txt"]["region"] == "长汀县"
    assert docs["a/report.txt"]["path"] == str((reports / "a" / "report.txt").resolve())
    assert docs["b/report.txt"]["path"] == str((reports / "b" / "report.txt").resolve())
    old_sha = docs["a/report.txt"]["sha256"]

    (reports / "a" / "report.txt").write_text(small_report("上杭县", "风力发电"), encoding="utf-8")
    code, again = ingest_json(reports, index=index, cwd=tmp_path)
    assert code == 0
    assert (again["added"], again["replaced"], again["skipped"]) == (0, 1, 1)
    docs = docs_json(index, tmp_path)
    assert set(docs) == {"a/report.txt", "b/report.txt"} and docs["a/report.txt"]["sha256"] != old_sha

    store = open_store(Settings(index_dir=index), with_embedder=False)
    try:
        texts = " ".join(c.text for c in store.chunks_of("a/report.txt"))
        assert "风力发电" in texts and "光伏发电" not in texts
        assert "高山蔬菜" in " ".join(c.text for c in store.chunks_of("b/report.txt"))
    finally:
        store.close()


def test_each_of_two_same_named_documents_answers_for_its_own_county(reports: Path, tmp_path: Path) -> None:
    from bot.service import QAService

    index = tmp_path / "index"
    ingest_json(reports, index=index, cwd=tmp_path)
    service = QAService(Settings(index_dir=index, llm_base_url=None))
    try:
        east = service.ask("上杭县2022年地区生产总值是多少？")
        west = service.ask("长汀县2022年地区生产总值是多少？")
    finally:
        service.store.close()
    assert "88.6" in east.answer and {c.doc for c in east.citations} == {"a/report.txt"}
    assert "88.6" in west.answer and {c.doc for c in west.citations} == {"b/report.txt"}


def test_two_files_given_directly_with_one_name(reports: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first, second = reports / "a" / "report.txt", reports / "b" / "report.txt"
    code, report = ingest_json(first, second, index=index, cwd=tmp_path)
    assert code == 2 and report["added"] == 1
    (failure,) = report["failed"]
    assert failure["path"] == str(second)
    assert "same document name 'report.txt'" in failure["error"] and str(first) in failure["error"]
    assert set(docs_json(index, tmp_path)) == {"report.txt"}


# ---- uploads in the 文档 tab (the App's handlers over a real index) -------------------------------------
@pytest.fixture
def app(seed_index_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    from bot.service import QAService
    from bot.ui.handlers import App
    from bot.ui.startup import StartupState

    settings = Settings(index_dir=seed_index_copy, llm_base_url=None)
    service = QAService(settings)
    yield App(service, settings, StartupState.already_ready())
    service.store.close()


def uploaded(tmp_path: Path, name: str, text: str) -> str:
    """A file where gradio puts an upload: <GRADIO_TEMP_DIR>/<hash>/<name>."""
    path = tmp_path / "gradio" / uuid.uuid4().hex / name
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def no_progress(*_args, **_kwargs) -> None:
    return None


def rows(result: tuple) -> list[list[str]]:
    return result[0].values.tolist()


def test_upload_with_a_taken_name_asks_then_keeps_both_or_replaces(app, tmp_path: Path) -> None:
    name = "002_51f523802f205a70.txt"  # a seed report's name
    store = app.service.store
    before = {d.doc: d.sha256 for d in store.list_docs()}

    first = uploaded(tmp_path, name, small_report("上杭县", "光伏发电"))
    asked = app.upload([first], "", None, no_progress)
    assert rows(asked) == [[name, "待确认", "索引中已有同名文档：替换它，还是两个都保留？"]]
    assert asked[-1]["visible"] is True  # the 替换原文档 / 两个都保留 buttons
    assert {d.doc: d.sha256 for d in store.list_docs()} == before  # nothing ingested yet
    assert Path(first).exists()  # the file is still needed for the answer

    kept = app.upload_keep([first], "", None, no_progress)
    ((file, outcome, note),) = rows(kept)
    assert (file, outcome) == (name, "已添加") and "002_51f523802f205a70 (2).txt" in note
    docs = {d.doc: d for d in store.list_docs()}
    assert docs[name].sha256 == before[name]  # the old document is untouched
    assert docs["002_51f523802f205a70 (2).txt"].region == "上杭县"
    assert docs["002_51f523802f205a70 (2).txt"].path == f"upload:{name}"
    assert not Path(first).exists() and not Path(first).parent.exists()  # the uploaded copy is gone
    assert kept[-1]["visible"] is False and kept[-2]["value"] is None  # buttons hidden, file list cleared

    second = uploaded(tmp_path, name, small_report("长汀县", "高山蔬菜"))
    replaced = app.upload_replace([second], "", None, no_progress)
    assert rows(replaced)[0][:2] == [name, "已替换"]
    docs = {d.doc: d for d in store.list_docs()}
    assert docs[name].region == "长汀县" and len(docs) == len(before) + 1
    assert not Path(second).exists()

    fresh = uploaded(tmp_path, "新报告.txt", small_report("连城县", "数字经济"))
    added = app.upload([fresh], "", None, no_progress)  # a new name: no question
    assert rows(added)[0][:2] == ["新报告.txt", "已添加"] and not Path(fresh).exists()
