"""Dense vectors for documents already searchable lexically: ingest writes each document's chunks,
tokens, facts and records first (answerable by BM25 and facts within seconds), then embeds.

`embed_pending` runs on the caller's thread (the end of `govqa ingest`); `VectorWorker` runs it in
the background of a long-lived process (`govqa chat`: uploads, and documents a killed process left
without vectors). Both attach a document's vectors in one step (IndexStore.attach_vectors), so a
SIGKILL leaves it pending, never half-attached in the manifest.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from ingest.embed import EmbedderError
from ingest.index_errors import IndexError_
from ingest.models import Chunk
from ingest.store import IndexStore

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]  # (fraction done 0..1, message)


def embedding_text(chunk: Chunk) -> str:
    """What the dense model sees: the chunk with its region/year/kind as context. The section path is
    left out: it cost 5.6% of the corpus's tokens and no recall (corpus set recall@5 91.5% with it,
    92.5% without; without any context line 87.8%). BM25 still reads the section (lexical_text)."""
    year = f"{chunk.year}年" if chunk.year else ""
    return f"{chunk.region}{year}{chunk.kind}\n{chunk.text}"


def embed_chunks(store: IndexStore, chunks: list[Chunk], batch: int,
                 tell: Callable[[float], None] | None = None) -> np.ndarray:
    """Passage vectors of chunks, batch by batch (tell gets the fraction done after each batch)."""
    texts = [embedding_text(c) for c in chunks]
    vectors = []
    for start in range(0, len(texts), batch):
        vectors.append(store.embed_passages(texts[start : start + batch]))
        if tell is not None:
            tell(min(start + batch, len(texts)) / len(texts))
    return np.concatenate(vectors) if vectors else np.zeros((0, store.embedder.dim), dtype=np.float32)


def embed_pending(store: IndexStore, batch: int, progress: Progress | None = None,
                  names: dict[str, str] | None = None) -> tuple[int, list[tuple[str, str]]]:
    """Embed and attach every pending document, in the order they were added. Embedding runs on this
    thread; attaching (Chroma, SQLite) on a writer thread, overlapped with the next document.
    Returns (documents completed, [(doc, error)] for those that failed and stay lexical-only).
    A configuration problem (EmbedderError, IndexError_) stops the run and propagates."""
    pending = store.pending_vectors()
    total = max(len(pending), 1)
    done, failed = 0, []
    queued: deque[tuple[str, Future[bool]]] = deque()

    def settle(item: tuple[str, Future[bool]]) -> None:
        nonlocal done
        doc, future = item
        try:
            done += int(future.result())
        except Exception as exc:
            log.error("%s: attaching vectors failed: %s", doc, exc, exc_info=exc)
            failed.append((doc, f"attaching vectors failed: {exc}"))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="govqa-vectors") as writer:
        for index, (doc, sha256) in enumerate(pending):
            label = (names or {}).get(doc, doc)

            def tell(fraction: float, _i: int = index, _label: str = label) -> None:
                if progress is not None:
                    progress(min((_i + fraction) / total, 1.0), f"{_label}: embedding")

            chunks = store.chunks_of(doc)
            try:
                vectors = embed_chunks(store, chunks, batch, tell)
            except (EmbedderError, IndexError_):
                raise
            except Exception as exc:
                log.exception("%s: embedding failed", doc)
                failed.append((doc, f"embedding failed: {exc}"))
                continue
            while len(queued) >= 2:
                settle(queued.popleft())
            queued.append((doc, writer.submit(store.attach_vectors, doc, sha256, vectors)))
        while queued:
            settle(queued.popleft())
    return done, failed


class VectorWorker:
    """Embeds pending documents on a daemon thread of a long-lived process. Each document is embedded
    outside the write lock (questions and uploads go on) and attached inside a short write session;
    when another process holds the lock, the worker tries again later."""

    def __init__(self, store: IndexStore, batch: int, retry_s: float = 5.0) -> None:
        self.store = store
        # small batches: a question's embedding waits for at most one batch of the engine (~0.5 s)
        self.batch = max(1, min(batch, 2))
        self.retry_s = retry_s
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def kick(self) -> None:
        """Look for pending documents now (after an upload, or at start)."""
        with self._start_lock:
            self._idle.clear()
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="govqa-vector-worker", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Whether every pending document got its vectors (or failed) within timeout seconds."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self.store.closed:  # the service shut down; pending documents wait for the next start
                self._idle.set()
                return
            try:
                retry = self._complete_all()
            except Exception:  # the worker must outlive any one failure; the document stays lexical-only
                log.exception("background embedding failed")
                retry = True
            if retry:
                self._wake.wait(self.retry_s)
                self._wake.set()
                continue
            with self._start_lock:
                if not self._wake.is_set():
                    self._idle.set()

    def _complete_all(self) -> bool:
        """Attach vectors to every pending document; True when some must be tried again later."""
        for doc, sha256 in self.store.pending_vectors():
            if self.store.closed:
                return False
            vectors = embed_chunks(self.store, self.store.chunks_of(doc), self.batch)
            try:
                with self.store.writing(wait_s=0):
                    self.store.attach_vectors(doc, sha256, vectors)
            except IndexError_ as exc:
                if exc.code != "busy":
                    raise
                log.info("index busy: vectors of %s wait for the other writer", doc)
                return True
        return False
