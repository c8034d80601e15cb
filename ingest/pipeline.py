"""Ingest files into an index: load -> clean -> meta -> chunk -> indicators -> embed -> store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.chunk import chunk_text
from ingest.clean import clean_text, to_simplified
from ingest.indicators import extract_indicators
from ingest.lexical import tokenize
from ingest.load import LoadError, iter_input_files, load_file
from ingest.meta import covered_years, detect_meta
from ingest.models import Chunk, DocMeta, FileError, IngestReport
from ingest.store import IndexStore

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
) -> IngestReport:
    """Ingest every file; a bad file becomes a per-file error and the rest go on."""
    overrides = overrides or Overrides()
    report = IngestReport()
    files = iter_input_files(paths)
    total = max(len(files), 1)
    known_hashes = {info.sha256: info.doc for info in store.list_docs()}
    for index, path in enumerate(files):
        def tell(fraction: float, message: str, _i: int = index) -> None:
            if progress:
                progress(min((_i + fraction) / total, 1.0), message)

        tell(0.0, f"{path.name}: reading")
        try:
            doc = prepare(path, overrides, chunk_min, chunk_max, overlap, max_bytes)
        except LoadError as exc:
            report.failed.append(FileError(path=str(path), error=str(exc)))
            log.warning("%s: %s", path, exc)
            continue
        except Exception as exc:  # a parser bug must not stop the batch
            log.exception("%s: unexpected error", path)
            report.failed.append(FileError(path=str(path), error=f"{type(exc).__name__}: {exc}"))
            continue
        state = store.doc_state(doc.meta.doc)
        if (state and state == (doc.sha256, "complete")) or (
            doc.sha256 in known_hashes and state is None
        ):
            report.skipped += 1
            tell(1.0, f"{path.name}: unchanged, skipped")
            continue
        try:
            vectors = []
            texts = [embedding_text(c) for c in doc.chunks]
            for start in range(0, len(texts), batch):
                vectors.append(store.embedder.passages(texts[start : start + batch]))
                tell(0.05 + 0.9 * min(start + batch, len(texts)) / len(texts), f"{path.name}: embedding")
            embeddings = np.concatenate(vectors) if vectors else np.zeros((0, store.embedder.dim))
            indicators = extract_indicators(doc.chunks)
            store.add_document(
                doc.meta, doc.sha256, doc.chars, doc.path, doc.chunks,
                [tokenize(lexical_text(c)) for c in doc.chunks], embeddings, indicators,
            )
        except Exception as exc:
            log.exception("%s: failed while indexing", path)
            report.failed.append(FileError(path=str(path), error=f"indexing failed: {exc}"))
            continue
        known_hashes[doc.sha256] = doc.meta.doc
        report.added += 1
        report.chunks += len(doc.chunks)
        report.indicators += len(indicators)
        tell(1.0, f"{path.name}: {len(doc.chunks)} chunks")
    if report.added:
        store.lexical()  # rebuild and cache the lexical index once per batch
    return report
