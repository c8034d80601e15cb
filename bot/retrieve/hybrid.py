"""Hybrid retrieval: dense (Chroma via langchain-chroma; exact scan for filtered searches) + BM25
(jieba/bm25s), fused by RRF, with region/year/kind filters; a question naming several regions is
retrieved per region."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from bot.analyse.question import QueryPlan
from bot.models import Passage
from ingest.lexical import tokenize
from ingest.store import IndexStore
from ingest.terms import canonical_additions, expand_query


@dataclass
class Retrieval:
    passages: list[Passage]
    timings_ms: dict[str, float] = field(default_factory=dict)


def chroma_where(region: str | None, year: int | None, kind: str | None,
                 docs: list[str] | None = None) -> dict | None:
    clauses: list[dict] = []
    if docs:
        clauses.append({"doc": {"$in": docs}})
    if region:
        clauses.append({"region": region})
    if year:
        clauses.append({"year_from": {"$lte": year}})
        clauses.append({"year_to": {"$gte": year}})
    if kind:
        clauses.append({"kind": kind})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def rrf(rankings: list[list[str]], k: int) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (k + rank + 1)
    return fused


def exact_top_ids(matrix: np.ndarray, vector: np.ndarray, allowed: np.ndarray, ids: list[str], n: int) -> list[str]:
    """The n allowed rows with the highest dot product (vectors are unit length: cosine order)."""
    rows = np.flatnonzero(allowed)
    if rows.size == 0:
        return []
    # gathering rows copies them: for a small subset that is cheaper than scoring every row
    scores = matrix[rows] @ vector if rows.size * 8 < len(matrix) else (matrix @ vector)[rows]
    if rows.size > n:
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
    else:
        top = np.argsort(-scores, kind="stable")
    return [ids[i] for i in rows[top]]


class HybridRetriever:
    def __init__(self, store: IndexStore, candidates: int = 30, rrf_k: int = 60, cache_size: int = 1024) -> None:
        self.store = store
        self.candidates = candidates
        self.rrf_k = rrf_k
        # repeated questions (examples, eval reruns, concurrent identical calls) skip the embedder's lock
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    def query_vector(self, text: str) -> np.ndarray:
        with self._cache_lock:
            if text in self._vectors:
                self._vectors.move_to_end(text)
                return self._vectors[text]
        vector = self.store.embedder.query(text)
        with self._cache_lock:
            self._vectors[text] = vector
            while len(self._vectors) > self._cache_size:
                self._vectors.popitem(last=False)
        return vector

    def _timed(self, timings: dict[str, float], key: str, start: float) -> None:
        timings[key] = timings.get(key, 0.0) + (time.perf_counter() - start) * 1000

    def _chroma(self, vector: np.ndarray, where: dict | None, n: int) -> list[str]:
        """Ids only, from the collection behind the langchain-chroma store: its similarity search also
        fetches every hit's text and metadata into Documents (7 ms median, 55 ms p95 at 100k chunks),
        and the passages are read from the manifest anyway."""
        result = self.store.collection.query(query_embeddings=[vector.tolist()], n_results=n, where=where, include=[])
        return list(result["ids"][0]) if result["ids"] else []

    def _dense(self, vector: np.ndarray, where: dict | None, allowed: np.ndarray, n: int) -> list[str]:
        """The search plan follows the filter's selectivity, as vector databases do (Qdrant's
        full_scan_threshold, Weaviate's flatSearchCutoff). Chroma's own metadata pre-filter costs
        15 ms for a region and 300–450 ms for a year range at 100k chunks, so when the vectors are
        cached a filter is served by: an exact scan of the few rows that pass; Chroma's unfiltered
        HNSW, oversampled and masked, when most rows pass; else an exact scan of every row, masked."""
        total = self.store.chunk_total()
        if total == 0:
            return []
        matrix = self.store.vectors() if where is not None else None
        if matrix is None or len(matrix) != len(allowed):
            return self._chroma(vector, where, n)
        ids = self.store.lexical()[0].ids
        dense_rows = self.store.dense_rows()
        if dense_rows is not None and len(dense_rows) == len(allowed):
            allowed = allowed & dense_rows  # rows whose vectors are pending are found by BM25 alone
        passing = int(allowed.sum())
        if passing == 0:
            return []
        if passing * 2 >= len(allowed):
            wanted = min(len(allowed), int(np.ceil(n * len(allowed) / passing * 2)))
            row_of = self.store.row_index()
            kept = [cid for cid in self._chroma(vector, None, wanted)
                    if (row := row_of.get(cid)) is not None and allowed[row]]
            if len(kept) >= min(n, passing):
                return kept[:n]
        return exact_top_ids(matrix, vector, allowed, ids, n)

    def _described_doc(self, plan: QueryPlan) -> str | None:
        """The one report a question identifies by its content ("提到“徐沛经济圈”的那篇…"): the document of
        the chunk that matches the describing words best, among the regions asked (years aside: the
        description names the report, whatever period its figures cover)."""
        if not plan.described_doc:
            return None
        lexical, rows = self.store.lexical()
        if not lexical.ids:
            return None
        scores = lexical.scores(tokenize(plan.described_doc))
        allowed = (np.logical_or.reduce([rows.mask(r, None, None) for r in plan.regions]) if plan.regions
                   else np.ones(len(scores), dtype=bool))
        scores = np.where(allowed, scores, 0.0)
        best = int(np.argmax(scores)) if scores.size else 0
        return str(rows.doc[best]) if scores.size and scores[best] > 0 else None

    def _filter_mask(self, region: str | None, year: int | None, kind: str | None) -> np.ndarray:
        """Rows of the index that pass the metadata filters (from the in-memory row metadata)."""
        _, rows = self.store.lexical()
        return rows.mask(region, year, kind)

    def _lexical(self, tokens: list[str], allowed: np.ndarray, n: int) -> list[str]:
        lexical, _ = self.store.lexical()
        if not lexical.ids:
            return []
        scores = lexical.scores(tokens)
        candidates = np.flatnonzero((scores > 0) & allowed)
        if candidates.size == 0:
            return []
        top = candidates[np.argsort(-scores[candidates], kind="stable")[:n]]
        return [lexical.ids[i] for i in top]

    def retrieve(self, plan: QueryPlan, k: int = 8) -> Retrieval:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        # the dense model gets the question (plus canonical indicator names); BM25 gets every alias
        vector = self.query_vector(canonical_additions(plan.question))
        self._timed(timings, "embed_query", start)
        start = time.perf_counter()
        tokens = tokenize(expand_query(plan.question))
        self._timed(timings, "tokenize", start)

        described = self._described_doc(plan)
        regions: list[str | None] = list(plan.regions) or [None]
        per_region_k = k if len(regions) == 1 else max(4, k // len(regions) + 2)
        chosen: list[tuple[str, float]] = []
        for region in regions:
            year = plan.year_for(region)
            start = time.perf_counter()
            allowed = self._filter_mask(region, year, plan.kind)
            docs = [described] if described else plan.report_docs
            if docs:
                allowed = allowed & np.isin(self.store.lexical()[1].doc, docs)
            self._timed(timings, "filter", start)
            if not allowed.any():
                continue  # nothing passes the filters (e.g. a year no report covers): Chroma would scan for nothing
            start = time.perf_counter()
            dense = self._dense(vector, chroma_where(region, year, plan.kind, docs), allowed, self.candidates)
            self._timed(timings, "dense", start)
            start = time.perf_counter()
            lexical = self._lexical(tokens, allowed, self.candidates)
            self._timed(timings, "bm25", start)
            start = time.perf_counter()
            fused = rrf([dense, lexical], self.rrf_k)
            # equal fused scores: the passage the words of the question rank higher wins (names, figures)
            lexical_rank = {cid: rank for rank, cid in enumerate(lexical)}
            ranked = sorted(fused.items(), key=lambda kv: (-kv[1], lexical_rank.get(kv[0], len(lexical))))
            ranked = ranked[:per_region_k]
            chosen.extend(ranked)
            self._timed(timings, "fusion", start)

        start = time.perf_counter()
        chunks = self.store.chunks_by_ids([cid for cid, _ in chosen])
        passages = [
            Passage(
                chunk_id=cid, doc=c.doc, text=c.text, section=c.section, region=c.region,
                year=c.year, year_from=c.year_from, year_to=c.year_to, kind=c.kind, masked=c.masked,
                score=score,
            )
            for cid, score in chosen
            if (c := chunks.get(cid)) is not None
        ]
        self._timed(timings, "fetch", start)
        return Retrieval(passages, timings)
