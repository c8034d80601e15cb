"""GOVQA_CHROMA_URL: the same store against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.settings import Settings
from ingest.lexical import tokenize
from ingest.pipeline import ingest_paths
from ingest.store import open_store

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def heartbeat(port: int) -> bool:
    for path in ("/api/v2/heartbeat", "/api/v1/heartbeat"):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            continue
    return False


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    executable = str(CHROMA) if CHROMA.exists() else shutil.which("chroma")
    if not executable:
        pytest.fail("the chroma CLI (chromadb package) is not installed")
    port = free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [executable, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not heartbeat(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma server did not start: {(tmp_path / 'chroma.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_ingest_search_remove_on_a_chroma_server(tmp_path: Path, chroma_server: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.txt").write_text(
        "甲山县人民政府2022年工作总结\n一、茶叶产业\n全县茶叶种植面积达到12万亩，茶叶产值8.8亿元，同比增长7%。"
        "新建标准化茶园3000亩，培育茶叶龙头企业5家，带动茶农增收。", encoding="utf-8")
    (docs / "port.txt").write_text(
        "乙水区人民政府2022年工作总结\n一、港口物流\n港口货物吞吐量3200万吨，集装箱吞吐量增长15%，"
        "新开通国际航线2条，物流园区建设加快推进。", encoding="utf-8")
    monkeypatch.setenv("GOVQA_CHROMA_URL", chroma_server)
    settings = Settings(index_dir=tmp_path / "index")
    assert settings.chroma_url == chroma_server

    store = open_store(settings)
    report = ingest_paths([docs], store)
    assert report.added == 2 and not report.failed
    assert not (tmp_path / "index" / "chroma").exists(), "the embedded store must not be used"
    assert store.collection.count() == store.chunk_count() == report.chunks

    query = store.embedder.query("茶叶种植面积和产值")
    hits = store.collection.query(query_embeddings=[query], n_results=1)
    assert hits["metadatas"][0][0]["doc"] == "tea.txt"
    via_langchain = store.vectorstore.similarity_search("港口集装箱吞吐量", k=1)
    assert via_langchain[0].metadata["doc"] == "port.txt"

    assert store.remove_document("tea.txt")
    assert store.collection.get(where={"doc": "tea.txt"}, include=[])["ids"] == []
    assert store.collection.count() == store.chunk_count()
    hits = store.collection.query(query_embeddings=[query], n_results=5)
    assert {m["doc"] for m in hits["metadatas"][0]} == {"port.txt"}
    lexical, rows = store.lexical()
    assert set(rows.doc) == {"port.txt"}
    assert float(np.max(lexical.scores(tokenize("港口物流")))) > 0
    store.close()

    # a second client (another process in real life) sees the server's state
    again = open_store(Settings(index_dir=tmp_path / "index"), with_embedder=False)
    assert [d.doc for d in again.list_docs()] == ["port.txt"]
    assert again.collection.count() == again.chunk_count()
    again.close()
