"""Ingest files into an index: load -> clean -> meta -> chunk -> facts, indicators, tokens -> store
(searchable lexically) -> embed -> attach vectors (ingest.dense)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.chunk import chunk_text
from ingest.clean import clean_text, to_simplified
from ingest.dense import embed_pending
from ingest.dense import embedding_text as embedding_text
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


def _write_lexical(store: IndexStore, doc: PreparedDoc, chat_model: Any = None) -> int:
    """Tokenise, extract facts and indicators, and commit one document without vectors: from here on
    BM25 and the figure facts find it."""
    facts = facts_of_chunks(doc.chunks)
    indicators = extract_indicators(doc.chunks, chat_model=chat_model, facts=facts)
    store.add_document(
        doc.meta, doc.sha256, doc.chars, doc.path, doc.chunks,
        [tokenize(lexical_text(c)) for c in doc.chunks], None, indicators, facts,
    )
    return len(indicators)


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
    defer_vectors: bool = False,
) -> IngestReport:
    """Ingest every file; a bad file becomes a per-file error and the rest go on.
    With a chat model, the LLM indicator extractor adds (quote-checked) records.

    A document is named by its path relative to the folder given (a file given directly: by its
    name, or by the InputFile's doc). The same name with new content replaces the old version
    (counted as `replaced`); content already indexed under another name is skipped.

    Two passes: every document is first committed without vectors (searchable by BM25 and its
    facts as soon as it is written), then the pending documents are embedded and their vectors
    attached (ingest.dense; this also completes documents a killed process left pending). With
    defer_vectors the second pass is left to the caller (the UI's background VectorWorker), and
    `vectors_pending` says how many documents wait for it.
    """
    overrides = overrides or Overrides()
    files, ignored = collect_inputs(list(paths))
    report = IngestReport(ignored=ignored)
    total = max(len(files), 1)
    lexical_share = 1.0 if defer_vectors else 0.25  # of the progress bar; embedding takes the rest
    # this process is the only writer during the batch: a snapshot of the manifest is enough
    states = store.doc_states()
    known_hashes = {sha: doc for doc, (sha, state) in states.items() if state == "complete"}
    claimed: dict[str, InputFile] = {}  # document name -> the file of this batch that has it
    failures: list[tuple[int, FileError]] = []
    paths_of: dict[str, tuple[int, str]] = {}  # document name -> (file index, path) for vector failures

    def fail(index: int, item: InputFile, error: str) -> None:
        failures.append((index, FileError(path=str(item.path), error=error)))

    for index, item in enumerate(files):
        path = item.path

        def tell(fraction: float, message: str, _i: int = index) -> None:
            if progress:
                progress(min((_i + fraction) / total, 1.0) * lexical_share, message)

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
        tell(0.5, f"{path.name}: indexing")
        try:
            report.indicators += _write_lexical(store, doc, chat_model)
        except IndexError_:
            raise  # the index itself is unusable: stop the batch with a clear error
        except Exception as exc:
            log.error("%s: failed while indexing: %s", doc.path, exc, exc_info=exc)
            fail(index, item, f"indexing failed: {exc}")
            continue
        if state is not None:
            report.replaced += 1
            if known_hashes.get(state[0]) == item.doc:
                del known_hashes[state[0]]  # the old content leaves the index with its version
        else:
            report.added += 1
        report.chunks += len(doc.chunks)
        states[item.doc] = (doc.sha256, "complete")
        known_hashes[doc.sha256] = item.doc
        paths_of[item.doc] = (index, str(path))
        tell(1.0, f"{path.name}: {len(doc.chunks)} chunks")
    if report.added or report.replaced:
        store.lexical()  # rebuild and cache the lexical index once per batch: the documents are answerable now
    if not defer_vectors:
        def tell_vectors(fraction: float, message: str) -> None:
            if progress:
                progress(lexical_share + (1 - lexical_share) * fraction, message)

        names = {doc: Path(source).name for doc, (_, source) in paths_of.items()}
        _, vector_failures = embed_pending(store, batch, tell_vectors, names)
        for doc, error in vector_failures:
            index, source = paths_of.get(doc, (len(files), doc))
            failures.append((index, FileError(path=source, error=error)))
    report.vectors_pending = len(store.pending_vectors())
    report.failed = [error for _, error in sorted(failures, key=lambda pair: pair[0])]
    return report
