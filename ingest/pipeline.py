"""Ingest files into an index: load -> clean -> meta -> chunk -> indicators -> embed -> store."""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Callable, Sequence
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
from ingest.load import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_PAGES,
    InputFile,
    LoadError,
    collect_inputs,
    load_file,
)
from ingest.meta import covered_years, detect_meta
from ingest.models import Chunk, DocMeta, FileError, IngestReport
from ingest.planted import strip_planted
from ingest.store import IndexError_, IndexStore

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]  # (fraction done 0..1, message)
# a load error's start -> the setting that raises that limit
_LIMIT_HINTS = (("file too large", "GOVQA_MAX_FILE_MB"), ("text too long", "GOVQA_MAX_DOC_CHARS"),
                ("too many pages", "GOVQA_MAX_PAGES"))


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


def prepare(source: Path | InputFile, overrides: Overrides, chunk_min: int, chunk_max: int, overlap: int,
            max_bytes: int, max_chars: int = DEFAULT_MAX_CHARS, max_pages: int = DEFAULT_MAX_PAGES) -> PreparedDoc:
    """Load, clean, describe and chunk one file (a bare path is named by its file name)."""
    item = source if isinstance(source, InputFile) else InputFile(Path(source), Path(source).name)
    raw = load_file(item.path, max_bytes=max_bytes, max_chars=max_chars, max_pages=max_pages)
    # text addressed to the assistant is data, never evidence: it goes before chunks, facts and records
    text = strip_planted(clean_text(raw.text))[0]
    if not text.strip():
        raise LoadError("no text left after cleaning")
    raw_head = to_simplified(raw.text[:1500])
    meta = detect_meta(text, item.doc, overrides.region, overrides.year, overrides.kind, raw_head)
    chunks = chunk_text(text, meta, raw.sha256, covered_years(meta), chunk_min, chunk_max, overlap)
    if not chunks:
        raise LoadError("no chunks produced")
    return PreparedDoc(meta, raw.sha256, len(text), item.source, chunks)


def _with_hint(error: str) -> str:
    for start, setting in _LIMIT_HINTS:
        if error.startswith(start):
            return f"{error}; raise {setting} to allow it"
    return error


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
    paths: Sequence[Path | InputFile],
    store: IndexStore,
    overrides: Overrides | None = None,
    chunk_min: int = 150,
    chunk_max: int = 500,
    overlap: int = 40,
    batch: int = 16,
    max_bytes: int = 10 * 1024 * 1024,
    progress: Progress | None = None,
    chat_model: Any = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> IngestReport:
    """Ingest every file; a bad file becomes a per-file error and the rest go on.
    With a chat model, the LLM indicator extractor adds (quote-checked) records.

    A document is named by its path relative to the folder given (a file given directly: by its
    name, or by the InputFile's doc). The same name with new content replaces the old version
    (counted as `replaced`); content already indexed under another name is skipped.

    The embedder (C code that releases the GIL and uses both cores) runs on this thread; the
    rest of a document's indexing (tokenising, indicators, SQLite, Chroma) runs on one writer
    thread, in file order, overlapped with embedding the next document. At most two documents'
    vectors wait for the writer. Each document is still committed crash-safely on its own.
    """
    overrides = overrides or Overrides()
    files, ignored = collect_inputs(list(paths))
    report = IngestReport(ignored=ignored)
    total = max(len(files), 1)
    # this process is the only writer during the batch: a snapshot of the manifest is enough
    states = store.doc_states()
    known_hashes = {sha: doc for doc, (sha, state) in states.items() if state == "complete"}
    claimed: dict[str, InputFile] = {}  # document name -> the file of this batch that has it
    failures: list[tuple[int, FileError]] = []
    queued: deque[tuple[int, PreparedDoc, bool, Future[int]]] = deque()

    def settle(item: tuple[int, PreparedDoc, bool, Future[int]]) -> None:
        index, doc, replacing, future = item
        try:
            report.indicators += future.result()
        except Exception as exc:
            log.error("%s: failed while indexing: %s", doc.path, exc, exc_info=exc)
            failures.append((index, FileError(path=doc.path, error=f"indexing failed: {exc}")))
            return
        if replacing:
            report.replaced += 1
        else:
            report.added += 1
        report.chunks += len(doc.chunks)

    def fail(index: int, item: InputFile, error: str) -> None:
        failures.append((index, FileError(path=str(item.path), error=error)))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="govqa-writer") as writer:
        warm = None
        for index, item in enumerate(files):
            path = item.path

            def tell(fraction: float, message: str, _i: int = index) -> None:
                if progress:
                    progress(min((_i + fraction) / total, 1.0), message)

            first = claimed.setdefault(item.doc, item)
            if first is not item:
                fail(index, item, f"same document name '{item.doc}' as {first.path} in this batch; "
                                  "ingest the folder that holds both to keep them apart")
                continue
            tell(0.0, f"{path.name}: reading")
            try:
                doc = prepare(item, overrides, chunk_min, chunk_max, overlap, max_bytes, max_chars, max_pages)
            except LoadError as exc:
                fail(index, item, _with_hint(str(exc)))
                log.warning("%s: %s", path, exc)
                continue
            except Exception as exc:  # a parser bug must not stop the batch
                log.exception("%s: unexpected error", path)
                fail(index, item, f"{type(exc).__name__}: {exc}")
                continue
            state = states.get(item.doc)
            twin = known_hashes.get(doc.sha256)
            if state == (doc.sha256, "complete") or (twin is not None and state is None):
                report.skipped += 1
                tell(1.0, f"{path.name}: unchanged, skipped")
                continue
            if twin is not None and twin != item.doc:
                # chunk ids derive from the content: one content, one document
                fail(index, item, f"same content as the document '{twin}' already in the index")
                continue
            if warm is None:
                warm = writer.submit(_warm_up, store)
            try:
                embeddings = _embed(store, doc, batch, tell)
            except (EmbedderError, IndexError_):
                raise  # a configuration problem, not this file's: stop the batch with a clear error
            except Exception as exc:
                log.exception("%s: embedding failed", path)
                fail(index, item, f"embedding failed: {exc}")
                continue
            while len(queued) >= 2:
                settle(queued.popleft())
            replacing = state is not None
            queued.append((index, doc, replacing, writer.submit(_write, store, doc, embeddings, chat_model)))
            if state is not None and known_hashes.get(state[0]) == item.doc:
                del known_hashes[state[0]]  # the old content leaves the index with its version
            states[item.doc] = (doc.sha256, "complete")
            known_hashes[doc.sha256] = item.doc
            tell(1.0, f"{path.name}: {len(doc.chunks)} chunks")
        while queued:
            settle(queued.popleft())
        if warm is not None and warm.exception() is not None:
            log.warning("warm-up failed: %s", warm.exception())
    report.failed = [error for _, error in sorted(failures, key=lambda pair: pair[0])]
    if report.added or report.replaced:
        store.lexical()  # rebuild and cache the lexical index once per batch
    return report
