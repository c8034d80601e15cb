"""Crash safety: a real `govqa ingest` killed with SIGKILL leaves an index where each document is
complete or absent (a complete document may still wait for its vectors: it is answerable lexically
and the next ingest attaches them); interrupted ingests and removals are finished when the index is
opened."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.store import IndexStore, open_store

TOPICS = ["茶叶种植", "港口物流", "乡村旅游", "光伏发电", "高山蔬菜", "数字经济"]
REGIONS = ["甲山县", "乙水区", "丙岭镇", "丁河县", "戊峰镇", "己湖区"]


def long_report(region: str, topic: str, paragraphs: int = 4) -> str:
    """About 700 characters: two chunks, about a second of embedding."""
    body = []
    for i in range(paragraphs):
        body.append(
            f"（{'一二三四五六七八九十'[i]}）{topic}第{i + 1}项重点工作。{region}围绕{topic}持续发力，"
            f"全年完成投资{10 + i}.5亿元，同比增长{5 + i}.2%，完成年度目标任务的{100 + i}%。"
            f"{topic}相关企业新增{20 + i}家，带动就业{300 + 10 * i}人，群众获得感持续增强，"
            "项目建设、要素保障、营商环境等方面取得新进展，为全年经济社会发展提供了有力支撑。"
        )
    return f"{region}人民政府2022年工作总结\n一、{topic}\n" + "\n".join(body) + "\n二、下步打算\n持续推进各项工作。"


def write_folder(folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    names = []
    for i, (region, topic) in enumerate(zip(REGIONS, TOPICS, strict=True)):
        name = f"{i:02d}_{region}.txt"
        (folder / name).write_text(long_report(region, topic), encoding="utf-8")
        names.append(name)
    return names


def states(index: Path, column: str = "state") -> dict[str, str]:
    db = index / "manifest.sqlite3"
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as con:
            return dict(con.execute(f"SELECT doc, {column} FROM docs").fetchall())
    except sqlite3.Error:
        return {}


def with_vectors(index: Path) -> int:
    return list(states(index, "COALESCE(dense_pending, 0)").values()).count(0)


def assert_consistent(store: IndexStore) -> list[str]:
    """Every listed doc is complete everywhere (in Chroma once its vectors are attached; before that
    Chroma may hold some of them, from an attach cut short); nothing else is anywhere. Returns the
    listed docs."""
    listed = store.list_docs()
    docs = [d.doc for d in listed]
    pending = store._db.execute("SELECT COUNT(*) FROM docs WHERE state != 'complete'").fetchone()[0]
    assert pending == 0, "recovery left unfinished documents"
    lexical, rows = store.lexical()
    waiting = {doc for doc, _ in store.pending_vectors()}
    for info in listed:
        chunk_ids = sorted(c.id for c in store.chunks_of(info.doc))
        assert len(chunk_ids) == info.chunks > 0
        in_chroma = sorted(store.collection.get(where={"doc": info.doc}, include=[])["ids"])
        if info.doc in waiting:
            assert set(in_chroma) <= set(chunk_ids)
        else:
            assert in_chroma == chunk_ids, f"{info.doc}: {len(in_chroma)} of {info.chunks} chunks in Chroma"
        in_bm25 = sorted(cid for cid, doc in zip(lexical.ids, rows.doc, strict=True) if doc == info.doc)
        assert in_bm25 == chunk_ids
    assert sum(d.chunks for d in listed) == store.chunk_count()
    if not waiting:
        assert store.collection.count() == store.chunk_count()
    assert set(rows.doc) <= set(docs)
    return docs


def spawn_ingest(folder: Path, index: Path, cwd: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVQA_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ingest", str(folder), "--json", "--index", str(index)],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def kill_when(proc: subprocess.Popen, index: Path, ready, timeout: float = 180) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = states(index)
        if ready(seen):
            break
        if proc.poll() is not None:
            pytest.fail("the ingest finished before it could be killed")
        time.sleep(0.01)
    else:
        proc.kill()
        pytest.fail("ingest made no progress")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return seen


def test_sigkill_after_a_complete_document(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    names = write_folder(folder)
    proc = spawn_ingest(folder, index, tmp_path)
    seen = kill_when(proc, index, lambda s: list(s.values()).count("complete") >= 1)
    assert len(seen) >= 1

    store = open_store(Settings(index_dir=index))
    docs = assert_consistent(store)
    assert set(docs) <= set(names)
    assert set(docs) >= {d for d, state in seen.items() if state == "complete"}
    store.close()

    rerun = spawn_ingest(folder, index, tmp_path)  # the next ingest completes the folder
    assert rerun.wait(timeout=300) == 0
    store = open_store(Settings(index_dir=index))
    assert assert_consistent(store) == names
    store.close()


def test_sigkill_while_vectors_are_attached(tmp_path: Path) -> None:
    """Kill once every document is answerable and some have their vectors: the rest wait, and the
    next ingest attaches them without adding anything."""
    folder, index = tmp_path / "docs", tmp_path / "index"
    names = write_folder(folder)
    proc = spawn_ingest(folder, index, tmp_path)
    kill_when(proc, index, lambda s: len(s) == len(names) and with_vectors(index) >= 2)

    store = open_store(Settings(index_dir=index))
    assert assert_consistent(store) == names
    waiting = len(store.pending_vectors())
    assert 0 < waiting <= len(names) - 2
    report = ingest_paths([folder], store)
    assert not report.failed
    assert (report.skipped, report.added, report.vectors_pending) == (len(names), 0, 0)
    assert assert_consistent(store) == names
    store.close()


@pytest.fixture(scope="module")
def three_docs_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    tmp = tmp_path_factory.mktemp("three-docs")
    folder, index = tmp / "docs", tmp / "index"
    names = write_folder(folder)[:3]
    for extra in sorted(folder.iterdir())[3:]:
        extra.unlink()
    store = open_store(Settings(index_dir=index))
    assert ingest_paths([folder], store).added == 3
    store.close()
    return index, names


@pytest.fixture
def three_docs(three_docs_index: tuple[Path, list[str]], tmp_path: Path) -> tuple[Path, list[str]]:
    """A private copy of a closed three-document index."""
    index, names = three_docs_index
    shutil.copytree(index, tmp_path / "index")
    return tmp_path / "index", names


def test_recovery_completes_a_pending_document(three_docs: tuple[Path, list[str]]) -> None:
    """A process died after the SQLite commit, with half of the document's chunks in Chroma."""
    index, names = three_docs
    store = open_store(Settings(index_dir=index))
    victim = names[1]
    ids = sorted(c.id for c in store.chunks_of(victim))
    assert len(ids) >= 2
    store.collection.delete(ids=ids[: len(ids) // 2 + 1])
    store._db.execute("UPDATE docs SET state='pending' WHERE doc=?", (victim,))
    assert victim not in [d.doc for d in store.list_docs()]  # a pending doc is not listed
    store.close()

    reopened = open_store(Settings(index_dir=index), with_embedder=False)  # recovery needs no embedder
    assert assert_consistent(reopened) == names
    reopened.close()


def test_recovery_finishes_an_interrupted_removal(three_docs: tuple[Path, list[str]]) -> None:
    """A process died in `remove` after marking the document, with its Chroma rows half deleted."""
    index, names = three_docs
    store = open_store(Settings(index_dir=index))
    victim = names[0]
    ids = sorted(c.id for c in store.chunks_of(victim))
    store.collection.delete(ids=ids[:1])
    store._db.execute("UPDATE docs SET state='removing' WHERE doc=?", (victim,))
    store.close()

    reopened = open_store(Settings(index_dir=index), with_embedder=False)
    assert assert_consistent(reopened) == names[1:]
    assert reopened.collection.get(where={"doc": victim}, include=[])["ids"] == []
    assert reopened.chunks_of(victim) == []
    reopened.close()


def test_recovery_survives_a_broken_lexical_cache(three_docs: tuple[Path, list[str]]) -> None:
    """A kill while the BM25 cache was being swapped leaves a half-written or missing directory."""
    index, names = three_docs
    (index / "bm25" / "ids.json").write_text("{not json")
    store = open_store(Settings(index_dir=index), with_embedder=False)
    assert assert_consistent(store) == names
    store.close()
    shutil.rmtree(index / "bm25")
    (index / "bm25.tmp").mkdir()
    store = open_store(Settings(index_dir=index), with_embedder=False)
    assert assert_consistent(store) == names
    store.close()
