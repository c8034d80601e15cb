"""Ingest files into an index: load -> clean -> meta -> chunk -> indicators -> embed -> store."""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.chunk import chunk_text
from ingest.clean import clean_text, to_simplified
from ingest.embed import EmbedderError
from ingest.facts import facts_of_chunks
from ingest.indicators import extract_indicators
from ingest.lexical import tokenize
from ingest.load import LoadError, iter_input_files, load_file
from ingest.meta import covered_years, detect_meta
from ingest.models import Chunk, DocMeta, FileError, IngestReport
from ingest.store import IndexError_, IndexStore

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]  # (fraction done 0..1, message)


@dataclass
class Overrides:
    region: str | None = None
    year: int | None = None
    kind: str | None = None


@dataclass
class PreparedDoc:
    meta: DocMeta
    sha256: str
    chars: int
    path: str
    chunks: list[Chunk]


def embedding_text(chunk: Chunk) -> str:
    """What the dense model sees: the chunk with its region/year/kind/section as context."""
    year = f"{chunk.year}年" if chunk.year else ""
    return f"{chunk.region}{year}{chunk.kind}｜{chunk.section}\n{chunk.text}"


def lexical_text(chunk: Chunk) -> str:
    return f"{chunk.region} {chunk.section}\n{chunk.text}"


def prepare(path: Path, overrides: Overrides, chunk_min: int, chunk_max: int, overlap: int,
            max_bytes: int) -> PreparedDoc:
    raw = load_file(path, max_bytes=max_bytes)
    text = clean_text(raw.text)
    if not text.strip():
        raise LoadError("no text left after cleaning")
    raw_head = to_simplified(raw.text[:1500])
    meta = detect_meta(text, raw.doc, overrides.region, overrides.year, overrides.kind, raw_head)
    chunks = chunk_text(text, meta, raw.sha256, covered_years(meta), chunk_min, chunk_max, overlap)
    if not chunks:
        raise LoadError("no chunks produced")
    return PreparedDoc(meta, raw.sha256, len(text), str(path), chunks)


def _embed(store: IndexStore, doc: PreparedDoc, batch: int, tell: Callable[[float, str], None]) -> np.ndarray:
    texts = [embedding_text(c) for c in doc.chunks]
    vectors = []
    for start in range(0, len(texts), batch):
        vectors.append(store.embed_passages(texts[start : start + batch]))
        tell(0.05 + 0.9 * min(start + batch, len(texts)) / len(texts), f"{Path(doc.path).name}: embedding")
    return np.concatenate(vectors) if vectors else np.zeros((0, store.embedder.dim), dtype=np.float32)


def _write(store: IndexStore, doc: PreparedDoc, embeddings: np.ndarray, chat_model: Any = None) -> int:
    """Tokenise, extract indicators and facts, and commit one document (runs on the writer thread)."""
    facts = facts_of_chunks(doc.chunks)
    indicators = extract_indicators(doc.chunks, chat_model=chat_model, facts=facts)
    store.add_document(
        doc.meta, doc.sha256, doc.chars, doc.path, doc.chunks,
        [tokenize(lexical_text(c)) for c in doc.chunks], embeddings, indicators, facts,
    )
    return len(indicators)


def _warm_up(store: IndexStore) -> None:
    """Open Chroma and load the jieba dictionary while the first document is being embedded."""
    _ = store.collection
    tokenize("预热")


def _in_write_session(ingest):
    """Hold the index's write lock for the whole batch: a second writer (another `govqa ingest`, an
    upload) waits for it and then finds the documents this one added."""

    @functools.wraps(ingest)
    def locked(paths: list[Path], store: IndexStore, *args, **kwargs) -> IngestReport:
        with store.writing():
            return ingest(paths, store, *args, **kwargs)

    return locked


@_in_write_session
def ingest_paths(
    paths: list[Path],
    store: IndexStore,
    overrides: Overrides | None = None,
    chunk_min: int = 150,
    chunk_max: int = 500,
    overlap: int = 40,
    batch: int = 16,
    max_bytes: int = 10 * 1024 * 1024,
    progress: Progress | None = None,
    chat_model: Any = None,
) -> IngestReport:
    """Ingest every file; a bad file becomes a per-file error and the rest go on.
    With a chat model, the LLM indicator extractor adds (quote-checked) records.

    The embedder (C code that releases the GIL and uses both cores) runs on this thread; the
    rest of a document's indexing (tokenising, indicators, SQLite, Chroma) runs on one writer
    thread, in file order, overlapped with embedding the next document. At most two documents'
    vectors wait for the writer. Each document is still committed crash-safely on its own.
    """
    overrides = overrides or Overrides()
    report = IngestReport()
    files = iter_input_files(paths)
    total = max(len(files), 1)
    # this process is the only writer during the batch: a snapshot of the manifest is enough
    states = store.doc_states()
    known_hashes = {sha: doc for doc, (sha, state) in states.items() if state == "complete"}
    failures: list[tuple[int, FileError]] = []
    queued: deque[tuple[int, PreparedDoc, Future[int]]] = deque()

    def settle(item: tuple[int, PreparedDoc, Future[int]]) -> None:
        index, doc, future = item
        try:
            report.indicators += future.result()
        except Exception as exc:
            log.error("%s: failed while indexing: %s", doc.path, exc, exc_info=exc)
            failures.append((index, FileError(path=doc.path, error=f"indexing failed: {exc}")))
            return
        report.added += 1
        report.chunks += len(doc.chunks)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="govqa-writer") as writer:
        warm = None
        for index, path in enumerate(files):
            def tell(fraction: float, message: str, _i: int = index) -> None:
                if progress:
                    progress(min((_i + fraction) / total, 1.0), message)

            tell(0.0, f"{path.name}: reading")
            try:
                doc = prepare(path, overrides, chunk_min, chunk_max, overlap, max_bytes)
            except LoadError as exc:
                error = str(exc)
                if error.startswith("file too large"):
                    error += "; raise GOVQA_MAX_FILE_MB to allow it"
                failures.append((index, FileError(path=str(path), error=error)))
                log.warning("%s: %s", path, exc)
                continue
            except Exception as exc:  # a parser bug must not stop the batch
                log.exception("%s: unexpected error", path)
                failures.append((index, FileError(path=str(path), error=f"{type(exc).__name__}: {exc}")))
                continue
            state = states.get(doc.meta.doc)
            if state == (doc.sha256, "complete") or (doc.sha256 in known_hashes and state is None):
                report.skipped += 1
                tell(1.0, f"{path.name}: unchanged, skipped")
                continue
            if warm is None:
                warm = writer.submit(_warm_up, store)
            try:
                embeddings = _embed(store, doc, batch, tell)
            except (EmbedderError, IndexError_):
                raise  # a configuration problem, not this file's: stop the batch with a clear error
            except Exception as exc:
                log.exception("%s: embedding failed", path)
                failures.append((index, FileError(path=str(path), error=f"embedding failed: {exc}")))
                continue
            while len(queued) >= 2:
                settle(queued.popleft())
            queued.append((index, doc, writer.submit(_write, store, doc, embeddings, chat_model)))
            states[doc.meta.doc] = (doc.sha256, "complete")
            known_hashes[doc.sha256] = doc.meta.doc
            tell(1.0, f"{path.name}: {len(doc.chunks)} chunks")
        while queued:
            settle(queued.popleft())
        if warm is not None and warm.exception() is not None:
            log.warning("warm-up failed: %s", warm.exception())
    report.failed = [error for _, error in sorted(failures, key=lambda pair: pair[0])]
    if report.added:
        store.lexical()  # rebuild and cache the lexical index once per batch
    return report
