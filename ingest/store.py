"""The index directory: SQLite manifest (source of truth) + Chroma (dense) + bm25s (lexical).

Crash safety: a document's chunks, embeddings and indicators are committed to SQLite in one
transaction with state 'pending' before Chroma is touched; only after the Chroma upsert returns
is the state set to 'complete'. Opening an index finishes whatever a killed process left:
pending documents are (re)written to Chroma from their stored embeddings, 'removing' ones are
deleted. Chroma and the lexical index are therefore derived state and can always be rebuilt.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from langchain_core.embeddings import Embeddings

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
    region_name TEXT, province TEXT, city TEXT, county TEXT, anonymous INTEGER
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
_DOC_REGION_COLUMNS = (("region_name", "TEXT"), ("province", "TEXT"), ("city", "TEXT"), ("county", "TEXT"),
                       ("anonymous", "INTEGER"))
# the lexical index, the row metadata and the vector cache are all read in this row order
INDEXED_ROWS = " FROM chunks c JOIN docs d ON d.doc=c.doc WHERE d.state='complete' ORDER BY c.doc, c.ordinal"
CHUNK_COLUMNS = "id, doc, ordinal, text, section, region, level, year, year_from, year_to, kind, masked"


class IndexError_(RuntimeError):
    """An index that cannot be used as asked (wrong embedder, unreadable store)."""


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
    ) -> None:
        self.dir = Path(index_dir)
        self.embed_cache_path = embed_cache
        self._embed_cache = None
        self.dir.mkdir(parents=True, exist_ok=True)
        self.embedder_spec = embedder_spec
        self.chroma_url = chroma_url
        self.collection_name = collection
        self._embedder_factory = embedder_factory
        self._embedder = None
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.dir / "manifest.sqlite3", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._migrate()
        self._check_embedder()
        self._client = None
        self._collection = None
        self._vectorstore = None
        self._lexical: LexicalIndex | None = None
        self._row_meta: RowMeta | None = None
        self.vector_cache_mb = vector_cache_mb
        self._vectors: np.ndarray | None = None
        self._vectors_loaded = False
        self._row_index: tuple[LexicalIndex, dict[str, int]] | None = None
        self.recover()

    def _migrate(self) -> None:
        """Add the columns newer versions keep per document to an index made by an older one."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(docs)")}
        for column, sql_type in _DOC_REGION_COLUMNS:
            if column not in have:
                self._db.execute(f"ALTER TABLE docs ADD COLUMN {column} {sql_type}")

    # ---- embedder -------------------------------------------------------------------------
    def _meta_get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _meta_set(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def _check_embedder(self) -> None:
        recorded = self._meta_get("embedder")
        if recorded is None:
            self._meta_set("embedder", self.embedder_spec)
        elif recorded != self.embedder_spec:
            raise IndexError_(
                f"index {self.dir} was built with embedder '{recorded}', but GOVQA_EMBEDDER is "
                f"'{self.embedder_spec}': use the same embedder, or another --index directory"
            )

    @property
    def embedder(self):
        if self._embedder is None:
            if self._embedder_factory is None:
                raise IndexError_("no embedder configured for this store")
            self._embedder = self._embedder_factory()
            dim = self._meta_get("dim")
            if dim is None:
                self._meta_set("dim", str(self._embedder.dim))
            elif int(dim) != self._embedder.dim:
                raise IndexError_(f"index dimension {dim} != embedder dimension {self._embedder.dim}")
        return self._embedder

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
        self._meta_set("generation", str(self.generation + 1))

    # ---- chroma ---------------------------------------------------------------------------
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
        return chromadb.PersistentClient(path=str(self.dir / "chroma"), settings=settings)

    @property
    def vectorstore(self):
        """The langchain-chroma vector store over our collection (our embedder, cosine space)."""
        if self._vectorstore is None:
            from langchain_chroma import Chroma

            self._client = self._chroma_client()
            self._vectorstore = Chroma(
                client=self._client,
                collection_name=self.collection_name,
                embedding_function=_LazyEmbeddings(self) if self._embedder_factory is not None else None,
                collection_metadata={"hnsw:space": "cosine"},
            )
            self._collection = self._vectorstore._collection
        return self._vectorstore

    @property
    def collection(self):
        if self._collection is None:
            _ = self.vectorstore
        return self._collection

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
        """Finish what a killed process left: complete pending docs, finish removals."""
        with self._lock:
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

    def add_document(
        self,
        meta: DocMeta,
        sha256: str,
        chars: int,
        path: str,
        chunks: list[Chunk],
        token_lists: list[list[str]],
        embeddings: np.ndarray,
        indicators: Iterable[Indicator] = (),
        facts: Iterable[Fact] = (),
    ) -> None:
        """Replace any older version of meta.doc with this one, crash-safely."""
        if self.doc_state(meta.doc) is not None:
            self.remove_document(meta.doc)
        with self._transaction():
            self._db.execute(
                "INSERT INTO docs(doc, sha256, state, region, level, year, kind, title, chars, path, added_at,"
                " region_name, province, city, county, anonymous)"
                " VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (meta.doc, sha256, meta.region, meta.level, meta.year, meta.kind, meta.title, chars, path, time.time(),
                 meta.region_name, meta.province, meta.city, meta.county, int(meta.anonymous)),
            )
            self._db.executemany(
                f"INSERT INTO chunks({CHUNK_COLUMNS}, tokens, embedding) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.id, c.doc, c.ordinal, c.text, c.section, c.region, c.level, c.year, c.year_from,
                        c.year_to, c.kind, int(c.masked), " ".join(toks),
                        np.asarray(vec, dtype=np.float32).tobytes(),
                    )
                    for c, toks, vec in zip(chunks, token_lists, embeddings, strict=True)
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
        with self._lock:
            self._chroma_upsert(chunks, np.asarray(embeddings, dtype=np.float32))
            with self._transaction():
                self._db.execute("UPDATE docs SET state='complete' WHERE doc=?", (meta.doc,))
                self._bump_generation()
            self._lexical = None
            self._vectors_loaded = False
            self._vectors = None

    def _delete_rows(self, doc: str) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM chunks WHERE doc=?", (doc,))
            self._db.execute("DELETE FROM indicators WHERE doc=?", (doc,))
            self._db.execute("DELETE FROM facts WHERE doc=?", (doc,))
            self._db.execute("DELETE FROM docs WHERE doc=?", (doc,))
            self._bump_generation()

    def remove_document(self, doc: str) -> bool:
        with self._lock:
            if self.doc_state(doc) is None:
                return False
            self._db.execute("UPDATE docs SET state='removing' WHERE doc=?", (doc,))
            self._chroma_delete_doc(doc)
            self._delete_rows(doc)
            self._lexical = None
            self._vectors_loaded = False
            self._vectors = None
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
            cached = LexicalIndex.load(self.dir / "bm25", generation)
            if cached is None or cached.ids != ids:
                cached = LexicalIndex.build(ids, [r[6].split(" ") if r[6] else [] for r in rows])
                try:
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
            first = self._db.execute("SELECT embedding FROM chunks LIMIT 1").fetchone()
            if not lexical.ids or first is None or first[0] is None:
                return None
            dim = len(first[0]) // 4
            needed_mb = len(lexical.ids) * dim * 4 / 2**20
            if needed_mb > self.vector_cache_mb:
                log.info("vector cache off: %.0f MB > GOVQA_VECTOR_CACHE_MB=%d", needed_mb, self.vector_cache_mb)
                return None
            rows = self._db.execute("SELECT c.id, c.embedding" + INDEXED_ROWS)
            matrix = np.empty((len(lexical.ids), dim), dtype=np.float32)
            count = 0
            for cid, blob in rows:
                if count >= len(lexical.ids) or cid != lexical.ids[count] or blob is None or len(blob) != dim * 4:
                    break
                matrix[count] = np.frombuffer(blob, dtype=np.float32)
                count += 1
            if count != len(lexical.ids):
                log.warning("vector cache off: stored rows do not line up with the lexical index")
                return None
            self._vectors = matrix
            return matrix

    def close(self) -> None:
        """Close SQLite and release the Chroma client: the embedded Chroma caches one system per path
        in the process, with an in-memory vector index that would not see another process's writes."""
        with self._lock:
            self._db.close()
            if self._client is not None:
                try:
                    self._client.close()
                except Exception as exc:  # an HTTP client or an older chromadb without close()
                    log.debug("chroma client close: %s", exc)
                self._client = self._collection = self._vectorstore = None


def open_store(settings, with_embedder: bool = True) -> IndexStore:
    """The store for a Settings object; the embedder is created lazily on first use."""
    from ingest.embed import make_embedder

    def factory():
        return make_embedder(settings.embedder, settings.embed_base_url, settings.embed_api_key, settings.embed_batch)

    return IndexStore(
        settings.index_dir,
        settings.embedder,
        chroma_url=settings.chroma_url,
        collection=settings.collection,
        embedder_factory=factory if with_embedder else None,
        vector_cache_mb=settings.vector_cache_mb,
        embed_cache=settings.embed_cache,
    )

