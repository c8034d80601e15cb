"""The fast retrieval paths give the same results as the slow ones they replace: exact filtered
dense search vs Chroma's where-filtered search, integer-coded filter masks vs Chroma's where
semantics, and the alias-table region finder vs a plain scan over every known region."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.analyse.question import resolve_regions
from bot.retrieve.hybrid import HybridRetriever, chroma_where, exact_top_ids
from ingest.regions import region_from_name
from ingest.store import IndexStore, open_store
from tests.conftest import make_settings

FILTERS = [("云阳县", None, None), ("冠县", 2021, None), (None, 2022, None), (None, None, "政府工作报告"),
           ("某县", 2022, "工作总结"), ("某县", 2022, "年度工作总结"), ("不存在县", None, None)]


@pytest.fixture(scope="module")
def seed_store(seed_index: Path):
    store = open_store(make_settings(seed_index))
    yield store
    store.close()


def chroma_ids(store: IndexStore, vector: np.ndarray, where: dict | None, n: int) -> list[str]:
    result = store.collection.query(query_embeddings=[vector.tolist()], n_results=n, where=where)
    return result["ids"][0]


@pytest.mark.parametrize("region,year,kind", FILTERS)
def test_row_mask_selects_what_the_chroma_where_clause_selects(seed_store, region, year, kind):
    lexical, rows = seed_store.lexical()
    where = chroma_where(region, year, kind)
    got = seed_store.collection.get(where=where, include=[])["ids"] if where else seed_store.collection.get(include=[])["ids"]
    mask = rows.mask(region, year, kind)
    assert sorted(np.asarray(lexical.ids)[mask].tolist()) == sorted(got)


@pytest.mark.parametrize("region,year,kind", FILTERS)
def test_exact_filtered_search_ranks_like_chroma(seed_store, region, year, kind):
    question = "地区生产总值增长多少"
    vector = seed_store.embedder.query(question)
    lexical, rows = seed_store.lexical()
    matrix = seed_store.vectors()
    assert matrix is not None and matrix.shape == (len(lexical.ids), seed_store.embedder.dim)
    allowed = rows.mask(region, year, kind)
    exact = exact_top_ids(matrix, vector, allowed, lexical.ids, 5)
    where = chroma_where(region, year, kind)
    expected = chroma_ids(seed_store, vector, where, 5) if allowed.any() else []
    assert exact == expected


def test_exact_search_scores_every_row_or_a_gathered_subset_alike():
    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(400, 16)).astype(np.float32)
    vector = rng.normal(size=16).astype(np.float32)
    ids = [f"c{i}" for i in range(400)]
    few = np.zeros(400, dtype=bool)
    few[[3, 50, 77, 300]] = True  # gathered (small subset)
    many = np.ones(400, dtype=bool)
    many[::7] = False  # scored in full, then masked
    for allowed in (few, many):
        rows = np.flatnonzero(allowed)
        order = rows[np.argsort(-(matrix[rows] @ vector))]
        assert exact_top_ids(matrix, vector, allowed, ids, 10) == [ids[i] for i in order[:10]]


def test_retrieval_without_the_vector_cache_uses_chroma_and_agrees(seed_index: Path, qa_service):
    from bot.analyse.question import analyse

    store = open_store(make_settings(seed_index, vector_cache_mb=0))
    try:
        assert store.vectors() is None
        plan = analyse("冠县2021年地区生产总值增长多少", store.region_index())
        without_cache = HybridRetriever(store).retrieve(plan, k=6).passages
        with_cache = qa_service.retriever.retrieve(plan, k=6).passages
        assert without_cache and all(p.region == "冠县" for p in without_cache)
        assert [p.chunk_id for p in without_cache] == [p.chunk_id for p in with_cache]
    finally:
        store.close()


def test_vector_cache_follows_writes(seed_index_copy: Path):
    store = open_store(make_settings(seed_index_copy))
    try:
        before = store.vectors()
        assert before is not None
        doc = store.list_docs()[0].doc
        assert store.remove_document(doc)
        after = store.vectors()
        assert after is not None and len(after) == len(store.lexical()[0].ids) < len(before)
    finally:
        store.close()


KNOWN = [region_from_name(n) for n in ("云阳县", "冠县", "浙江省", "上杭县", "昌硕街道")] + [
    region_from_name("某县", "a.txt"), region_from_name("某县", "b.txt")]


@pytest.mark.parametrize(("text", "keys", "unknown"), [
    ("云阳县和冠县哪个GDP增速更高", ["云阳县", "冠县"], []),
    ("那云阳呢", ["云阳县"], []),
    ("浙江2025年GDP增长多少", ["浙江省"], []),  # a short form; the province's own report answers for it
    ("龙岩市各县GDP增速", ["上杭县"], []),  # a city with no report reaches the counties under it
    ("白云县2022年地区生产总值", [], ["白云县"]),  # never another county's figures
    ("平安建设做了哪些工作", [], []),  # a region stem inside an ordinary word is no region
    ("某县2022年未完成的指标", ["某县#a.txt", "某县#b.txt"], []),  # anonymous documents stay apart
])
def test_question_regions_through_the_division_parser(text: str, keys: list[str], unknown: list[str]) -> None:
    assert resolve_regions(text, KNOWN) == (keys, unknown)


@pytest.mark.parametrize("region,year,kind", [(None, 2022, None), (None, 2021, None), ("冠县", None, None)])
def test_dense_plan_returns_the_exact_top_rows_whichever_path_it_takes(qa_service, region, year, kind):
    """A filter most rows pass goes through Chroma's unfiltered HNSW, oversampled and masked; a
    selective one through the exact scan. Both must give the filtered top rows, in order."""
    store = qa_service.store
    lexical, rows = store.lexical()
    allowed = rows.mask(region, year, kind)
    assert 0 < allowed.sum() < len(allowed)
    vector = store.embedder.query("一般公共预算收入增长多少")
    got = qa_service.retriever._dense(vector, chroma_where(region, year, kind), allowed, 10)
    assert got == exact_top_ids(store.vectors(), vector, allowed, lexical.ids, 10)
    assert all(allowed[store.row_index()[cid]] for cid in got)


def test_dense_search_with_nothing_passing_the_filters_finds_nothing(qa_service):
    store = qa_service.store
    nothing = np.zeros(len(store.lexical()[0].ids), dtype=bool)
    vector = store.embedder.query("地区生产总值")
    assert qa_service.retriever._dense(vector, chroma_where("不存在县", None, None), nothing, 10) == []


@pytest.mark.parametrize(("text", "level"), [
    ("2024年团拜会上通报的那个区，农村居民收入增长多少？", "区"),  # described, not named: only 区 reports answer
    ("那市场主体呢？", ""),  # not a region at all
    ("云阳县2022年地区生产总值是多少", ""),  # named: no description needed
])
def test_a_region_described_by_its_level(text: str, level: str) -> None:
    from bot.analyse.question import analyse

    assert analyse(text, KNOWN).described_level == level
