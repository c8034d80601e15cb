"""The index directory: SQLite manifest (source of truth) + Chroma (dense) + bm25s (lexical).

Crash safety: a document's chunks, embeddings and indicators are committed to SQLite in one
transaction with state 'pending' before Chroma is touched; only after the Chroma upsert returns
is the state set to 'complete'. Opening an index finishes whatever a killed process left:
pending documents are (re)written to Chroma from their stored embeddings, 'removing' ones are
deleted. Chroma and the lexical index are therefore derived state and can always be rebuilt
(`govqa doctor --repair`, ingest.doctor).

Many processes: every writer holds the index's write lock (ingest.index_lock) for its whole session,
and every write bumps the manifest's `generation`. A reader calls `refresh()` before each question: when
the generation moved, it drops its in-memory caches and reopens the embedded Chroma, whose in-memory
vector index would not see another process's writes. Opening an index checks what can be checked
cheaply (a file where the directory should be, a read-only or corrupt manifest, an emptied manifest
beside a full Chroma, Chroma counts, the embedder's name, dimension and fingerprint) and raises an
IndexError_ carrying a one-line Chinese message with a hint.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest import index_errors as errors
from ingest.index_errors import IndexError_
from ingest.index_lock import IndexLock, LockBusy, LockUnavailable
from ingest.lexical import LexicalIndex, add_words
from ingest.models import LEVELS, Chunk, DocInfo, DocMeta, Fact, Indicator
from ingest.regions import Region

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc TEXT PRIMARY KEY, sha256 TEXT NOT NULL, state TEXT NOT NULL,
    region TEXT, level TEXT, year INTEGER, kind TEXT, title TEXT,
    chars INTEGER, path TEXT, added_at REAL,
    region_name TEXT, province TEXT, city TEXT, county TEXT, anonymous INTEGER, dense_pending INTEGER
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc TEXT NOT NULL, ordinal INTEGER, text TEXT NOT NULL, section TEXT,
    region TEXT, level TEXT, year INTEGER, year_from INTEGER, year_to INTEGER, kind TEXT,
    masked INTEGER, tokens TEXT, embedding BLOB
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc);
CREATE TABLE IF NOT EXISTS indicators (
    rowid INTEGER PRIMARY KEY, doc TEXT NOT NULL, chunk_id TEXT, region TEXT, year INTEGER,
    name TEXT, status TEXT, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS indicators_doc ON indicators(doc);
CREATE TABLE IF NOT EXISTS facts (
    rowid INTEGER PRIMARY KEY, doc TEXT NOT NULL, chunk_id TEXT, region TEXT, year INTEGER,
    canonical TEXT, stance TEXT, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc);
"""
# dense_pending = 1: the document is searchable lexically and its vectors are still to come
_DOC_NEWER_COLUMNS = (("region_name", "TEXT"), ("province", "TEXT"), ("city", "TEXT"), ("county", "TEXT"),
                      ("anonymous", "INTEGER"), ("dense_pending", "INTEGER"))
# the lexical index, the row metadata and the vector cache are all read in this row order
INDEXED_ROWS = " FROM chunks c JOIN docs d ON d.doc=c.doc WHERE d.state='complete' ORDER BY c.doc, c.ordinal"
CHUNK_COLUMNS = "id, doc, ordinal, text, section, region, level, year, year_from, year_to, kind, masked"
MANIFEST = "manifest.sqlite3"
# the embedder's fingerprint: the passage vector of this text, recorded when the index is made
PROBE_TEXT = "嵌入指纹：2025年全县地区生产总值增长5.2%，城镇新增就业1.2万人。"
FINGERPRINT_MIN_COSINE = 0.99
# an index made before fingerprints is checked against one stored chunk: the text it was embedded
# from may have changed a little since (cleaning, context), so the bar is lower
LEGACY_MIN_COSINE = 0.9


@dataclass
class RowMeta:
    """Per-row filter arrays aligned with the lexical index (for masks without SQL). Regions and
    kinds are also integer-coded: comparing an int array is ~30× faster than an object array."""

    region: np.ndarray
    year_from: np.ndarray
    year_to: np.ndarray
    kind: np.ndarray
    doc: np.ndarray
    region_codes: np.ndarray
    region_index: dict[str, int]
    kind_codes: np.ndarray
    kind_index: dict[str, int]

    @classmethod
    def build(cls, region: list[str], year_from: list[int], year_to: list[int], kind: list[str], doc: list[str]) -> RowMeta:
        region_names, region_codes = np.unique(np.array(region, dtype=str), return_inverse=True)
        kind_names, kind_codes = np.unique(np.array(kind, dtype=str), return_inverse=True)
        return cls(
            region=np.array(region, dtype=object),
            year_from=np.array(year_from, dtype=np.int32),
            year_to=np.array(year_to, dtype=np.int32),
            kind=np.array(kind, dtype=object),
            doc=np.array(doc, dtype=object),
            region_codes=region_codes.astype(np.int32),
            region_index={str(name): i for i, name in enumerate(region_names)},
            kind_codes=kind_codes.astype(np.int32),
            kind_index={str(name): i for i, name in enumerate(kind_names)},
        )

    def mask(self, region: str | None, year: int | None, kind: str | None) -> np.ndarray:
        """Rows that pass the metadata filters (the same semantics as the Chroma where clause)."""
        mask = np.ones(len(self.region_codes), dtype=bool)
        if region:
            mask &= self.region_codes == self.region_index.get(region, -1)
        if year:
            mask &= (self.year_from <= year) & (self.year_to >= year)
        if kind:
            mask &= self.kind_codes == self.kind_index.get(kind, -1)
        return mask


def _chunk_from_row(row: sqlite3.Row | tuple) -> Chunk:
    (cid, doc, ordinal, text, section, region, level, year, year_from, year_to, kind, masked) = row
    return Chunk(
        id=cid, doc=doc, ordinal=ordinal, text=text, section=section or "", region=region or "",
        level=level or "", year=year, year_from=year_from, year_to=year_to, kind=kind or "other",
        masked=bool(masked),
    )


class _LazyEmbeddings(Embeddings):
    """LangChain Embeddings that load the store's embedder on first use (not when Chroma opens)."""

    def __init__(self, store: IndexStore) -> None:
        self._store = store

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._store.embedder.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._store.embedder.embed_query(text)


def _write_session(method):
    """Run a store method inside a write session (ingest.index_lock): every writer holds the lock."""

    @functools.wraps(method)
    def in_session(self: IndexStore, *args, **kwargs):
        with self.writing():
            return method(self, *args, **kwargs)

    return in_session


class IndexStore:
    def __init__(
        self,
        index_dir: Path,
        embedder_spec: str,
        chroma_url: str | None = None,
        collection: str = "govqa",
        embedder_factory: Callable[[], object] | None = None,
        vector_cache_mb: int = 512,
        embed_cache: Path | None = None,
        write_wait_s: float = 30.0,
        strict: bool = True,
    ) -> None:
        """Open (or create) an index. With strict=False (govqa doctor) the problems that doctor reports
        (an emptied manifest, Chroma out of step, another embedder) do not raise, and nothing is recovered."""
        self.dir = Path(index_dir)
        self.embed_cache_path = embed_cache
        self._embed_cache = None
        self.embedder_spec = embedder_spec
        self.chroma_url = chroma_url
        self.collection_name = collection
        self._embedder_factory = embedder_factory
        self._embedder = None
        self.strict = strict
        self.write_wait_s = write_wait_s
        self._lock = threading.RLock()
        self.closed = False
        self._write_lock = IndexLock(self.dir)
        self.notes: list[str] = []  # what this store repaired on its own, in Chinese, for the CLI to show
        self.manifest_path = self.dir / MANIFEST
        self._open_dir()
        self.read_only = not self._writable()
        self._seen_generation = 0
        self._db = self._open_manifest()
        self._client = None
        self._retired_client = None
        self._chroma_variant = 0
        self._collection = None
        self._vectorstore = None
        self._lexical: LexicalIndex | None = None
        self._row_meta: RowMeta | None = None
        self.vector_cache_mb = vector_cache_mb
        self._vectors: np.ndarray | None = None
        self._dense_rows: np.ndarray | None = None
        self._vectors_loaded = False
        self._row_index: tuple[LexicalIndex, dict[str, int]] | None = None
        if strict:
            try:
                self._check_not_emptied()
                self.recover()
            except IndexError_:
                self.close()
                raise
        self._seen_generation = self.generation

    # ---- opening --------------------------------------------------------------------------
    def _open_dir(self) -> None:
        if self.dir.exists() and not self.dir.is_dir():
            raise errors.path_is_file(self.dir)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError as exc:  # a parent is a file
            raise errors.path_is_file(Path(exc.filename or self.dir)) from exc
        except PermissionError as exc:
            raise errors.read_only(self.dir, exc.strerror or "") from exc

    def _writable(self) -> bool:
        if not os.access(self.dir, os.W_OK):
            return False
        return not self.manifest_path.exists() or os.access(self.manifest_path, os.W_OK)

    def _open_manifest(self) -> sqlite3.Connection:
        """Connect, create or migrate the schema and check the embedder's name. Retried until
        write_wait_s while SQLite reports the file busy: SQLite skips its busy handler in some
        races (two processes making one fresh manifest, a snapshot gone stale), and a process
        that opens an index another one is writing must wait, not fail."""
        deadline = time.monotonic() + max(self.write_wait_s, 1.0)
        delay = 0.05
        while True:
            self._db = self._connect()
            try:
                if not self.read_only:
                    self._db.executescript(SCHEMA)
                    self._migrate()
                self._check_embedder()
                return self._db
            except sqlite3.Error as exc:
                self._db.close()
                if not (errors.is_busy(exc) and time.monotonic() < deadline):
                    raise errors.from_sqlite(self.manifest_path, exc) from exc
                log.info("manifest %s busy at open (%s): retrying", self.manifest_path, exc)
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _connect(self) -> sqlite3.Connection:
        """The manifest, checked first: a header that is not SQLite's or declares more pages than the
        file has; then SQLite's own quick check when the header looked wrong (a checkpoint in another
        process can make a sound file look short for an instant)."""
        path = self.manifest_path
        suspect = errors.sqlite_header_problem(path)
        if self.read_only:
            if not path.exists():
                raise errors.read_only(self.dir, "no manifest and the directory cannot be written")
            # a read-only directory cannot hold the WAL's shared-memory file; nobody can write here anyway
            db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        else:
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        try:
            if suspect:
                result = db.execute("PRAGMA quick_check(1)").fetchone()
                if not result or result[0] != "ok":
                    raise errors.manifest_corrupt(path, suspect)
            if not self.read_only:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            db.close()
            if errors.is_busy(exc):
                raise  # _open_manifest retries
            raise errors.from_sqlite(path, exc) from exc
        except IndexError_:
            db.close()
            raise
        return db

    def _check_not_emptied(self) -> None:
        """A manifest without documents beside a local Chroma that still holds vectors was truncated or
        replaced: opening it as an empty index would hide the orphans and accept new ingests over them."""
        if self.chroma_url or not (self.dir / "chroma" / "chroma.sqlite3").exists():
            return
        if self._db.execute("SELECT 1 FROM docs LIMIT 1").fetchone() is not None:
            return
        vectors = self._chroma_count()
        if vectors:
            raise errors.manifest_emptied(self.manifest_path, vectors)

    def _migrate(self) -> None:
        """Add the columns newer versions keep per document to an index made by an older one."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(docs)")}
        for column, sql_type in _DOC_NEWER_COLUMNS:
            if column not in have:
                self._db.execute(f"ALTER TABLE docs ADD COLUMN {column} {sql_type}")

    # ---- embedder -------------------------------------------------------------------------
    def _meta_get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _meta_set(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def recorded_embedder(self) -> str | None:
        return self._meta_get("embedder")

    def _check_embedder(self) -> None:
        recorded = self.recorded_embedder()
        if recorded is None:
            if not self.read_only:
                self._meta_set("embedder", self.embedder_spec)
        elif recorded != self.embedder_spec and self.strict:
            raise errors.embedder_renamed(self.dir, recorded, self.embedder_spec)

    @property
    def embedder(self):
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    if self._embedder_factory is None:
                        raise IndexError_("no embedder configured for this store")
                    embedder = self._embedder_factory()
                    problem = self.embedder_problem(embedder)
                    if problem is not None and self.strict:
                        raise problem
                    self._embedder = embedder
        return self._embedder

    def _probe(self, embedder) -> np.ndarray:
        return np.asarray(embedder.passages([PROBE_TEXT]), dtype=np.float32).reshape(-1)

    def embedder_problem(self, embedder, record: bool = True) -> IndexError_ | None:
        """Whether this embedder is the one the index was built with: its name, its dimension and its
        fingerprint (the vector of PROBE_TEXT, cosine >= FINGERPRINT_MIN_COSINE). An index without a
        fingerprint (made before them) is checked against its first stored chunk and then gets one
        (unless record is False)."""
        recorded = self.recorded_embedder()
        if recorded is not None and recorded != self.embedder_spec:
            return errors.embedder_renamed(self.dir, recorded, self.embedder_spec)
        dim = self._meta_get("dim")
        if dim is not None and int(dim) != embedder.dim:
            return errors.embedder_dimension(self.dir, int(dim), embedder.dim)
        probe = self._probe(embedder)
        stored = self._meta_get("embedder_probe")
        if stored is not None:
            cosine = _cosine(probe, np.asarray(json.loads(stored), dtype=np.float32))
            if cosine < FINGERPRINT_MIN_COSINE:
                return errors.embedder_changed(self.dir, self.embedder_spec, cosine, FINGERPRINT_MIN_COSINE)
            return None
        legacy = self._legacy_fingerprint_cosine(embedder)
        if legacy is not None and legacy < LEGACY_MIN_COSINE:
            return errors.embedder_changed(self.dir, self.embedder_spec, legacy, LEGACY_MIN_COSINE)
        if record:
            self._record_fingerprint(embedder.dim, probe)
        return None

    def _legacy_fingerprint_cosine(self, embedder) -> float | None:
        row = self._db.execute(
            f"SELECT {CHUNK_COLUMNS}, embedding FROM chunks WHERE embedding IS NOT NULL ORDER BY doc, ordinal LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        from ingest.dense import embedding_text  # ingest.dense imports this module

        stored = np.frombuffer(row[-1], dtype=np.float32)
        fresh = np.asarray(embedder.passages([embedding_text(_chunk_from_row(row[:-1]))]), dtype=np.float32)
        return _cosine(fresh.reshape(-1), stored) if fresh.size == stored.size else 0.0

    def _record_fingerprint(self, dim: int, probe: np.ndarray) -> None:
        """Record the fingerprint if no other process is writing (a reader does not wait for that)."""
        if self.read_only:
            return
        with self._write_lock.if_free() as held:
            if held:
                with self._lock:
                    self._meta_set("dim", str(dim))
                    self._meta_set("embedder_probe", json.dumps([round(float(x), 6) for x in probe]))

    def dim(self) -> int | None:
        """The recorded vector dimension (else that of the first stored vector)."""
        recorded = self._meta_get("dim")
        if recorded is not None:
            return int(recorded)
        row = self._db.execute("SELECT length(embedding) FROM chunks WHERE embedding IS NOT NULL LIMIT 1").fetchone()
        return row[0] // 4 if row else None

    def has_fingerprint(self) -> bool:
        return self._meta_get("embedder_probe") is not None

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Passage vectors, through the on-disk embedding cache when one is configured."""
        if self.embed_cache_path is None:
            return self.embedder.passages(texts)
        if self._embed_cache is None:
            from ingest.embed import EmbeddingCache

            self._embed_cache = EmbeddingCache(Path(self.embed_cache_path), self.embedder_spec)
        return self._embed_cache.passages(self.embedder, texts)

    @property
    def generation(self) -> int:
        return int(self._meta_get("generation") or 0)

    def _bump_generation(self) -> None:
        generation = self.generation + 1
        self._meta_set("generation", str(generation))
        # this process's own Chroma already holds its own writes: only other processes' writes call for a reopen
        self._seen_generation = generation

    # ---- many processes -------------------------------------------------------------------
    def refresh(self) -> bool:
        """Notice writes by other processes (call before each question): when the manifest's generation
        moved, drop the in-memory lexical index, row metadata and vector cache, and reopen the embedded
        Chroma. Facts, titles and regions are cached per generation and follow by themselves."""
        generation = self.generation
        if generation == self._seen_generation:
            return False
        with self._lock:
            if generation == self._seen_generation:
                return False
            log.info("index %s changed (generation %d -> %d): reloading", self.dir, self._seen_generation, generation)
            self._lexical = None
            self._row_meta = None
            self._row_index = None
            self._vectors = None
            self._vectors_loaded = False
            if self._client is not None and not self.chroma_url:
                self._reopen_chroma()
            self._seen_generation = generation
            return True

    @contextmanager
    def writing(self, wait_s: float | None = None, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the index's write lock for a write session (re-entrant); wait at most wait_s (default
        write_wait_s) for another process's session to end, calling on_wait once if it has to wait.
        A new session starts from the current state of the index and repairs Chroma from the manifest
        when their counts disagree (the stored vectors make that cheap)."""
        if self.read_only:
            raise errors.read_only(self.dir)
        try:
            self._write_lock.acquire(self.write_wait_s if wait_s is None else wait_s, on_wait)
        except LockBusy as exc:
            raise errors.index_busy(self.dir) from exc
        except LockUnavailable as exc:
            raise errors.read_only(self.dir, str(exc)) from exc
        try:
            if self._write_lock.depth == 1 and self.strict:
                self.refresh()
                self.recover()
                _ = self.collection
            yield
        finally:
            self._write_lock.release()

    def writer_active(self) -> bool:
        """Whether another process (or another session of this store) holds the write lock now."""
        if self.read_only or self._write_lock.held:
            return self._write_lock.held
        try:
            self._write_lock.acquire(0)
        except LockBusy:
            return True
        except LockUnavailable:
            return False
        self._write_lock.release()
        return False

    def bump_generation(self) -> None:
        """Tell running readers to reload (after a repair)."""
        with self._transaction():
            self._bump_generation()

    def query(self, sql: str, args: tuple | list = ()) -> list[tuple]:
        """Rows of a read-only SQL query on the manifest (for govqa doctor)."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def delete_manifest_orphans(self) -> int:
        """Delete chunks, facts and indicator records that belong to no document or chunk."""
        removed = 0
        with self._transaction():
            removed += self._db.execute("DELETE FROM chunks WHERE doc NOT IN (SELECT doc FROM docs)").rowcount
            for table in ("facts", "indicators"):
                removed += self._db.execute(
                    f"DELETE FROM {table} WHERE doc NOT IN (SELECT doc FROM docs)"
                    " OR (chunk_id IS NOT NULL AND chunk_id != '' AND chunk_id NOT IN (SELECT id FROM chunks))"
                ).rowcount
        return removed

    # ---- chroma ---------------------------------------------------------------------------
    def _chroma_path(self) -> str:
        # chromadb keeps one system per path string in a process; the second spelling of the same path
        # gives a reopened store a fresh system while queries may still run on the retired one
        return str(self.dir / "chroma") + ("/." if self._chroma_variant else "")

    def _chroma_client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False)
        if self.chroma_url:
            url = urlparse(self.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
        return chromadb.PersistentClient(path=self._chroma_path(), settings=settings)

    def _reopen_chroma(self) -> None:
        """Retire the current client (closed at the next reopen, when no query can still be using it)."""
        if self._retired_client is not None:
            _close_client(self._retired_client)
        self._retired_client = self._client
        self._client = self._collection = self._vectorstore = None
        self._chroma_variant ^= 1

    def _discard_chroma(self) -> None:
        """Close every client and forget chromadb's cached system for our paths: a system whose start
        failed stays in chromadb's cache and would fail every later client of that path."""
        for client in (self._client, self._retired_client):
            if client is not None:
                _close_client(client)
        self._client = self._retired_client = self._collection = self._vectorstore = None
        if not self.chroma_url:
            _forget_chroma_systems([str(self.dir / "chroma"), str(self.dir / "chroma") + "/."])

    def reset_chroma(self) -> None:
        """Drop the Chroma collection (the local store's directory) so that it can be rebuilt from the
        manifest (govqa doctor --repair)."""
        import shutil

        with self._lock:
            if self.chroma_url:
                try:
                    (self._client or self._chroma_client()).delete_collection(self.collection_name)
                except Exception as exc:  # no such collection
                    log.info("delete collection %s: %s", self.collection_name, exc)
                self._collection = self._vectorstore = None
                return
            self._discard_chroma()
            shutil.rmtree(self.dir / "chroma", ignore_errors=True)

    def _open_vectorstore(self):
        from langchain_chroma import Chroma

        self._client = self._chroma_client()
        return Chroma(
            client=self._client,
            collection_name=self.collection_name,
            embedding_function=_LazyEmbeddings(self) if self._embedder_factory is not None else None,
            collection_metadata={"hnsw:space": "cosine"},
        )

    @property
    def vectorstore(self):
        """The langchain-chroma vector store over our collection (our embedder, cosine space)."""
        if self._vectorstore is None:
            self._ensure_vectorstore(check=self.strict)
        return self._vectorstore

    def _ensure_vectorstore(self, check: bool) -> None:
        with self._lock:
            if self._vectorstore is not None:
                return
            try:
                vectorstore = self._open_vectorstore()
                vectorstore._collection.count()
            except Exception as exc:  # chromadb raises its own, Rust and SQLite errors
                self._discard_chroma()
                if self.read_only:
                    raise errors.read_only(self.dir, "Chroma needs write access to open",
                                           "向量库 Chroma 需要写权限才能打开") from exc
                raise errors.chroma_unreadable(self.dir, _short(exc), self.chroma_url) from exc
            self._vectorstore = vectorstore
            self._collection = vectorstore._collection
            if check:
                try:
                    self._check_vectors()
                except IndexError_:
                    self._discard_chroma()  # check again at the next use
                    raise

    @property
    def collection(self):
        if self._collection is None:
            _ = self.vectorstore
        return self._collection

    def _chroma_count(self) -> int:
        """Chroma's count, without comparing it with the manifest's."""
        self._ensure_vectorstore(check=False)
        return self._collection.count()

    def _chunk_counts(self) -> tuple[int, int]:
        """(chunks of complete documents with their vectors, all chunk rows): Chroma's count must lie
        between the two while a writer is at work (or vectors are pending), and equal both otherwise."""
        complete = self._db.execute(
            "SELECT COUNT(*) FROM chunks c JOIN docs d ON d.doc=c.doc WHERE d.state='complete'"
            " AND c.embedding IS NOT NULL"
        ).fetchone()[0]
        return complete, self.chunk_count()

    def _check_vectors(self) -> None:
        """Compare Chroma's count with the manifest's when Chroma is opened. No other writer may be at
        work meanwhile, so this takes the write lock if it is free and skips the check if it is not (that
        writer runs the same check). In a write session a mismatch is repaired from the stored vectors;
        a reader raises, pointing to `govqa doctor --repair`."""
        if self.read_only:
            complete, total = self._chunk_counts()
            count = self._collection.count()
            if not complete <= count <= total:
                raise errors.chroma_mismatch(self.dir, count, complete)
            return
        writer = self._write_lock.held
        with self._write_lock.if_free() as held:
            if not held:
                return
            complete, total = self._chunk_counts()
            count = self._collection.count()
            if complete <= count <= total:
                return
            if not writer:
                raise errors.chroma_mismatch(self.dir, count, complete)
            log.info("Chroma holds %d vectors for %d chunks: restoring it from the manifest", count, complete)
            from ingest.doctor import sync_chroma  # doctor builds on the store

            restored, dropped = sync_chroma(self)
            self.notes.append(f"向量库与清单不一致（向量 {count} 条，段落 {complete} 条），已从清单恢复："
                              f"补回 {restored} 条，删除孤立 {dropped} 条")

    def _chroma_upsert(self, chunks: list[Chunk], embeddings: np.ndarray, batch: int = 2000) -> None:
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=embeddings[start : start + batch],
                documents=[c.text for c in part],
                metadatas=[c.chroma_metadata() for c in part],
            )

    def _chroma_delete_doc(self, doc: str) -> None:
        self.collection.delete(where={"doc": doc})

    # ---- recovery -------------------------------------------------------------------------
    def recover(self) -> None:
        """Finish what a killed process left: complete pending docs, finish removals. Only when no
        other process holds the write lock: a live writer's pending documents are its own business."""
        if self.read_only:
            if self._db.execute("SELECT 1 FROM docs WHERE state != 'complete' LIMIT 1").fetchone():
                log.warning("index %s is read-only: interrupted writes cannot be finished", self.dir)
            return
        if self._db.execute("SELECT 1 FROM docs WHERE state != 'complete' LIMIT 1").fetchone() is None:
            return
        with self._write_lock.if_free() as held, self._lock:
            if not held:
                return
            states = self._db.execute("SELECT doc, state FROM docs WHERE state != 'complete'").fetchall()
            if not states:
                return
            for doc, state in states:
                if state == "removing":
                    log.warning("finishing interrupted removal of %s", doc)
                    self._chroma_delete_doc(doc)
                    self._delete_rows(doc)
                else:
                    log.warning("completing interrupted ingest of %s", doc)
                    chunks, vectors = self._stored_chunks_with_vectors(doc)
                    self._chroma_delete_doc(doc)
                    self._chroma_upsert(chunks, vectors)
                    self._db.execute("UPDATE docs SET state='complete' WHERE doc=?", (doc,))
            self._bump_generation()

    def _stored_chunks_with_vectors(self, doc: str) -> tuple[list[Chunk], np.ndarray]:
        rows = self._db.execute(
            f"SELECT {CHUNK_COLUMNS}, embedding FROM chunks WHERE doc=? ORDER BY ordinal", (doc,)
        ).fetchall()
        chunks = [_chunk_from_row(r[:-1]) for r in rows]
        vectors = np.stack([np.frombuffer(r[-1], dtype=np.float32) for r in rows]) if rows else np.zeros((0, 1))
        return chunks, vectors

    # ---- writes ---------------------------------------------------------------------------
    @contextmanager
    def _transaction(self):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def doc_states(self) -> dict[str, tuple[str, str]]:
        """doc -> (sha256, state) for every document in the manifest."""
        with self._lock:
            rows = self._db.execute("SELECT doc, sha256, state FROM docs").fetchall()
        return {doc: (sha, state) for doc, sha, state in rows}

    def doc_state(self, doc: str) -> tuple[str, str] | None:
        row = self._db.execute("SELECT sha256, state FROM docs WHERE doc=?", (doc,)).fetchone()
        return (row[0], row[1]) if row else None

    @_write_session
    def add_document(
        self,
        meta: DocMeta,
        sha256: str,
        chars: int,
        path: str,
        chunks: list[Chunk],
        token_lists: list[list[str]],
        embeddings: np.ndarray | None,
        indicators: Iterable[Indicator] = (),
        facts: Iterable[Fact] = (),
    ) -> None:
        """Replace any older version of meta.doc with this one, crash-safely. Without embeddings the
        document is searchable lexically at once (one transaction) and its vectors are pending:
        attach_vectors adds them later."""
        if self.doc_state(meta.doc) is not None:
            self.remove_document(meta.doc)
        lexical_only = embeddings is None
        blobs = ([None] * len(chunks) if lexical_only
                 else [np.asarray(vec, dtype=np.float32).tobytes() for vec in embeddings])
        with self._transaction():
            self._db.execute(
                "INSERT INTO docs(doc, sha256, state, region, level, year, kind, title, chars, path, added_at,"
                " region_name, province, city, county, anonymous, dense_pending)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (meta.doc, sha256, "complete" if lexical_only else "pending", meta.region, meta.level, meta.year,
                 meta.kind, meta.title, chars, path, time.time(), meta.region_name, meta.province, meta.city,
                 meta.county, int(meta.anonymous), int(lexical_only)),
            )
            self._db.executemany(
                f"INSERT INTO chunks({CHUNK_COLUMNS}, tokens, embedding) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.id, c.doc, c.ordinal, c.text, c.section, c.region, c.level, c.year, c.year_from,
                        c.year_to, c.kind, int(c.masked), " ".join(toks), blob,
                    )
                    for c, toks, blob in zip(chunks, token_lists, blobs, strict=True)
                ],
            )
            self._db.executemany(
                "INSERT INTO indicators(doc, chunk_id, region, year, name, status, record) VALUES (?,?,?,?,?,?,?)",
                [(i.doc, i.chunk_id, i.region, i.year, i.name, i.status, i.model_dump_json()) for i in indicators],
            )
            self._db.executemany(
                "INSERT INTO facts(doc, chunk_id, region, year, canonical, stance, record) VALUES (?,?,?,?,?,?,?)",
                [(f.doc, f.chunk_id, f.region, f.year, f.canonical, f.stance, f.model_dump_json()) for f in facts],
            )
            if lexical_only:
                self._bump_generation()
        with self._lock:
            if not lexical_only:
                self._chroma_upsert(chunks, np.asarray(embeddings, dtype=np.float32))
                with self._transaction():
                    self._db.execute("UPDATE docs SET state='complete' WHERE doc=?", (meta.doc,))
                    self._bump_generation()
            self._forget_caches()

    def _forget_caches(self) -> None:
        self._lexical = None
        self._vectors_loaded = False
        self._vectors = None

    @_write_session
    def attach_vectors(self, doc: str, sha256: str, embeddings: np.ndarray) -> bool:
        """Give a lexical-only document its vectors: Chroma first, then the manifest in one transaction
        (a crash between the two leaves the document pending, and the next attach upserts again).
        False, changing nothing, when the document was removed or replaced meanwhile."""
        with self._lock:
            row = self._db.execute("SELECT sha256, state, dense_pending FROM docs WHERE doc=?", (doc,)).fetchone()
            if row is None or row[0] != sha256 or row[1] != "complete" or not row[2]:
                return False
            chunks = self.chunks_of(doc)
            vectors = np.asarray(embeddings, dtype=np.float32)
            if len(vectors) != len(chunks):
                raise ValueError(f"{doc}: {len(vectors)} vectors for {len(chunks)} chunks")
            self._chroma_upsert(chunks, vectors)
            with self._transaction():
                self._db.executemany("UPDATE chunks SET embedding=? WHERE id=?",
                                     [(vec.tobytes(), c.id) for c, vec in zip(chunks, vectors, strict=True)])
                self._db.execute("UPDATE docs SET dense_pending=0 WHERE doc=?", (doc,))
                self._bump_generation()
            self._vectors_loaded = False
            self._vectors = None
            return True

    def pending_vectors(self) -> list[tuple[str, str]]:
        """(doc, sha256) of the documents searchable lexically whose vectors are still to come."""
        with self._lock:
            try:
                return self._db.execute(
                    "SELECT doc, sha256 FROM docs WHERE state='complete' AND dense_pending=1 ORDER BY added_at, doc"
                ).fetchall()
            except sqlite3.OperationalError:  # a read-only index made before lexical-first ingest
                return []

    def _delete_rows(self, doc: str) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM chunks WHERE doc=?", (doc,))
            self._db.execute("DELETE FROM indicators WHERE doc=?", (doc,))
            self._db.execute("DELETE FROM facts WHERE doc=?", (doc,))
            self._db.execute("DELETE FROM docs WHERE doc=?", (doc,))
            self._bump_generation()

    @_write_session
    def remove_document(self, doc: str) -> bool:
        with self._lock:
            if self.doc_state(doc) is None:
                return False
            self._db.execute("UPDATE docs SET state='removing' WHERE doc=?", (doc,))
            self._chroma_delete_doc(doc)
            self._delete_rows(doc)
            self._forget_caches()
            return True

    # ---- reads ----------------------------------------------------------------------------
    def list_docs(self) -> list[DocInfo]:
        rows = self._db.execute(
            "SELECT d.doc, d.region, d.level, d.year, d.kind, d.chars, d.sha256,"
            " COUNT(c.id), COALESCE(SUM(c.masked), 0), d.title, d.region_name, d.province, d.city, d.county,"
            " d.anonymous, d.path"
            " FROM docs d LEFT JOIN chunks c ON c.doc = d.doc WHERE d.state='complete'"
            " GROUP BY d.doc ORDER BY d.doc"
        ).fetchall()
        return [
            DocInfo(doc=r[0], region=r[1] or "", level=r[2] or "", year=r[3], kind=r[4] or "other",
                    chars=r[5] or 0, sha256=r[6], chunks=r[7], masked_chunks=r[8], title=r[9] or "",
                    region_name=r[10] or r[1] or "", province=r[11] or "", city=r[12] or "", county=r[13] or "",
                    anonymous=bool(r[14]), path=r[15] or "")
            for r in rows
        ]

    def _docs_by_name(self) -> dict[str, DocInfo]:
        """The complete documents by name, per manifest generation."""
        generation = self.generation
        cached = getattr(self, "_docs_cache", None)
        if cached is None or cached[0] != generation:
            cached = (generation, {d.doc: d for d in self.list_docs()})
            self._docs_cache = cached
        return cached[1]

    def doc_titles(self) -> dict[str, str]:
        """Document -> display title."""
        return {name: d.title or name for name, d in self._docs_by_name().items()}

    def doc_years(self) -> dict[str, int | None]:
        """Document -> the year of the report (its title or delivery year)."""
        return {name: d.year for name, d in self._docs_by_name().items()}

    def region_index(self) -> list[Region]:
        """The regions of the complete documents, with their place in the division hierarchy."""
        generation = self.generation
        cached = getattr(self, "_region_index", None)
        if cached is not None and cached[0] == generation:
            return cached[1]
        seen: dict[str, Region] = {}
        for info in self.list_docs():
            if info.region and info.region not in seen:
                seen[info.region] = Region(
                    name=info.region_name or info.region, level=info.level if info.level in LEVELS else "",
                    province=info.province, city=info.city, county=info.county, anonymous=info.anonymous,
                    key=info.region,
                )
        regions = list(seen.values())
        self._region_index = (generation, regions)
        return regions

    def chunks_by_ids(self, ids: list[str]) -> dict[str, Chunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._lock:
            rows = self._db.execute(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE id IN ({marks})", ids).fetchall()
        return {r[0]: _chunk_from_row(r) for r in rows}

    def chunks_of(self, doc: str) -> list[Chunk]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE doc=? ORDER BY ordinal", (doc,)
            ).fetchall()
        return [_chunk_from_row(r) for r in rows]

    def regions(self) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT region FROM docs WHERE state='complete' AND region != ''")
        return sorted(r[0] for r in rows)

    def years(self) -> list[int]:
        rows = self._db.execute("SELECT DISTINCT year FROM docs WHERE state='complete' AND year IS NOT NULL")
        return sorted(r[0] for r in rows)

    def kinds(self) -> list[str]:
        return sorted(r[0] for r in self._db.execute("SELECT DISTINCT kind FROM docs WHERE state='complete'"))

    def chunk_total(self) -> int:
        """Chunks of complete documents, cached per manifest generation (a cheap emptiness check)."""
        generation = self.generation
        cached = getattr(self, "_chunk_total", None)
        if cached is None or cached[0] != generation:
            count = self._db.execute(
                "SELECT COUNT(*) FROM chunks c JOIN docs d ON d.doc=c.doc WHERE d.state='complete'"
            ).fetchone()[0]
            self._chunk_total = (generation, count)
            return count
        return cached[1]

    def chunk_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def facts(self) -> list[Fact]:
        """Every figure fact of the complete documents, loaded once per manifest generation."""
        generation = self.generation
        cached = getattr(self, "_facts", None)
        if cached is not None and cached[0] == generation:
            return cached[1]
        with self._lock:
            rows = self._db.execute(
                "SELECT f.record FROM facts f JOIN docs d ON d.doc=f.doc WHERE d.state='complete' ORDER BY f.rowid"
            ).fetchall()
        facts = [Fact.model_validate_json(r[0]) for r in rows]
        self._facts = (generation, facts)
        return facts

    def indicators(self, region: str | None = None, year: int | None = None, status: str | None = None) -> list[Indicator]:
        sql = "SELECT i.record FROM indicators i JOIN docs d ON d.doc=i.doc WHERE d.state='complete'"
        args: list[object] = []
        for column, value in (("i.region", region), ("i.year", year), ("i.status", status)):
            if value not in (None, ""):
                sql += f" AND {column}=?"
                args.append(value)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY i.doc, i.rowid", args).fetchall()
        return [Indicator.model_validate_json(r[0]) for r in rows]

    # ---- lexical --------------------------------------------------------------------------
    def lexical(self) -> tuple[LexicalIndex, RowMeta]:
        """The bm25s index (cached on disk per generation) and its per-row filter arrays."""
        with self._lock:
            if self._lexical is not None and self._row_meta is not None:
                return self._lexical, self._row_meta
            generation = self.generation
            rows = self._db.execute(
                "SELECT c.id, c.region, c.year_from, c.year_to, c.kind, c.doc, c.tokens" + INDEXED_ROWS
            ).fetchall()
            ids = [r[0] for r in rows]
            try:
                cached = LexicalIndex.load(self.dir / "bm25", generation)
            except Exception as exc:  # bm25s files damaged in a way its loader does not expect
                log.warning("lexical index cache unreadable (%s); rebuilding", exc)
                cached = None
            if cached is None or cached.ids != ids:
                cached = LexicalIndex.build(ids, [r[6].split(" ") if r[6] else [] for r in rows])
                try:
                    if not self.read_only:
                        cached.save(self.dir / "bm25", generation)
                except OSError as exc:
                    log.warning("could not cache lexical index: %s", exc)
            self._row_meta = RowMeta.build(
                region=[r[1] or "" for r in rows],
                year_from=[r[2] for r in rows],
                year_to=[r[3] for r in rows],
                kind=[r[4] or "" for r in rows],
                doc=[r[5] for r in rows],
            )
            add_words(self.regions())
            self._lexical = cached
            return cached, self._row_meta

    def row_index(self) -> dict[str, int]:
        """chunk id → its row in the lexical index, the row metadata and the vector cache."""
        with self._lock:
            lexical, _ = self.lexical()
            if self._row_index is None or self._row_index[0] is not lexical:
                self._row_index = (lexical, {cid: i for i, cid in enumerate(lexical.ids)})
            return self._row_index[1]

    def vectors(self) -> np.ndarray | None:
        """The embeddings of the lexical index's rows, in its order, for exact filtered search; None when
        they would exceed GOVQA_VECTOR_CACHE_MB (then Chroma answers filtered searches too)."""
        with self._lock:
            lexical, _ = self.lexical()
            if self._vectors_loaded:
                return self._vectors
            self._vectors_loaded = True
            self._vectors = None
            first = self._db.execute("SELECT embedding FROM chunks WHERE embedding IS NOT NULL LIMIT 1").fetchone()
            if not lexical.ids or first is None:
                return None
            dim = len(first[0]) // 4
            needed_mb = len(lexical.ids) * dim * 4 / 2**20
            if needed_mb > self.vector_cache_mb:
                log.info("vector cache off: %.0f MB > GOVQA_VECTOR_CACHE_MB=%d", needed_mb, self.vector_cache_mb)
                return None
            rows = self._db.execute("SELECT c.id, c.embedding" + INDEXED_ROWS)
            matrix = np.zeros((len(lexical.ids), dim), dtype=np.float32)
            dense = np.ones(len(lexical.ids), dtype=bool)
            count = 0
            for cid, blob in rows:
                if count >= len(lexical.ids) or cid != lexical.ids[count]:
                    break
                if blob is None:  # a document whose vectors are pending: BM25 finds it meanwhile
                    dense[count] = False
                elif len(blob) != dim * 4:
                    break
                else:
                    matrix[count] = np.frombuffer(blob, dtype=np.float32)
                count += 1
            if count != len(lexical.ids):
                log.warning("vector cache off: stored rows do not line up with the lexical index")
                return None
            self._vectors = matrix
            self._dense_rows = dense
            return matrix

    def dense_rows(self) -> np.ndarray | None:
        """Which rows of the vector cache hold a vector (None when the cache is off)."""
        with self._lock:
            return self._dense_rows if self.vectors() is not None else None

    def close(self) -> None:
        """Close SQLite and release the Chroma client: the embedded Chroma caches one system per path
        in the process, with an in-memory vector index that would not see another process's writes."""
        with self._lock:
            self.closed = True
            self._db.close()
            for client in (self._client, self._retired_client):
                if client is not None:
                    _close_client(client)
            self._client = self._retired_client = self._collection = self._vectorstore = None


def _forget_chroma_systems(paths: list[str]) -> None:
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        for path in paths:
            if path not in SharedSystemClient._identifier_to_refcount:
                SharedSystemClient._identifier_to_system.pop(path, None)
    except (ImportError, AttributeError) as exc:  # another chromadb: reopening may then fail until restart
        log.debug("cannot reset chromadb's system cache: %s", exc)


def _close_client(client) -> None:
    try:
        client.close()
    except Exception as exc:  # an HTTP client or an older chromadb without close()
        log.debug("chroma client close: %s", exc)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return 0.0
    return float(a @ b / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))


def _short(exc: BaseException) -> str:
    """The first line of an exception, for a one-line message."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def open_store(settings, with_embedder: bool = True, strict: bool = True) -> IndexStore:
    """The store for a Settings object; the embedder is created lazily on first use."""
    from ingest.embed import make_embedder

    def factory():
        return make_embedder(settings.embedder, settings.embed_base_url, settings.embed_api_key, settings.embed_batch,
                             settings.embed_threads, settings.omp_wait_policy, settings.embed_workers)

    return IndexStore(
        settings.index_dir,
        settings.embedder,
        chroma_url=settings.chroma_url,
        collection=settings.collection,
        embedder_factory=factory if with_embedder else None,
        vector_cache_mb=settings.vector_cache_mb,
        embed_cache=settings.embed_cache,
        write_wait_s=settings.write_lock_wait_s,
        strict=strict,
    )

