"""Ingest benchmark: the full pipeline against the bare embedder on exactly the same texts.

    python eval/bench_ingest.py [--docs DIR ...] [--out bench.json] [--index DIR]
    python eval/bench_ingest.py --docs DIR --compare workers=1,batch=16 workers=2,batch=16 [--rounds 3]

One trial, in one process: (1) the pipeline's first pass (`ingest_paths(defer_vectors=True)`: load,
clean, chunk, facts, records, tokens, SQLite) into a fresh index — from then on BM25 finds every
document; (2) the bare embedder on the first half of exactly the texts the second pass embeds
(`ingest.dense.embedding_text` of the stored chunks, same batch size); (3) the second pass
(`embed_pending`: embedding, Chroma, SQLite); (4) the bare embedder on the second half. The bare
halves bracket the embedding pass, so load drifting on a shared machine hits both alike. Time is
also split by stage (wall time inside each function, whichever thread runs it; nested stages are
included in their callers). No embedding cache is used.

--compare runs each configuration (Settings fields: workers = embed_workers, batch = embed_batch,
threads = embed_threads) in its own process, `--rounds` times, in alternating order, and reports
medians: the machine is shared, so only interleaved runs compare fairly.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402

_FIELDS = {"workers": "embed_workers", "batch": "embed_batch", "threads": "embed_threads"}


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_size_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / (1024 * 1024)


class StageTimer:
    """Wall time spent inside chosen functions, summed over calls and threads."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start
                    self.calls[label] = self.calls.get(label, 0) + 1

        setattr(owner, name, timed)
        self.seconds.setdefault(label, 0.0)  # report in the order the stages were declared
        self._undo.append(lambda: setattr(owner, name, original))

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()


def pipeline_stages() -> StageTimer:
    """Timers on the ingest stages (module attributes are looked up at call time, so wrapping the
    name a module calls through is enough)."""
    from ingest import dense, pipeline
    from ingest.store import IndexStore

    timer = StageTimer()
    for owner, name, label in (
        (pipeline, "prepare", "prepare (load, clean, meta, chunk)"),
        (pipeline, "facts_of_chunks", "facts"),
        (pipeline, "extract_indicators", "indicator records"),
        (pipeline, "tokenize", "tokenise (jieba)"),
        (IndexStore, "add_document", "SQLite: add document (lexical)"),
        (IndexStore, "lexical", "BM25 index build"),
        (IndexStore, "embed_passages", "embedder"),
        (dense, "embedding_text", "embedding text"),
        (IndexStore, "attach_vectors", "attach vectors (Chroma + SQLite)"),
        (IndexStore, "_chroma_upsert", "… of which Chroma upsert"),
    ):
        timer.wrap(owner, name, label)
    return timer


def lexically_found(index_dir: Path, store_settings: Settings) -> tuple[int, int]:
    """Hook for "time to lexical-searchable": a fresh reader of the index (another IndexStore, as a
    second process would open it) looks up each document's longest chunk with BM25 alone.
    Returns (documents whose top BM25 hit is one of their own chunks, documents)."""
    from ingest.lexical import tokenize
    from ingest.store import IndexStore

    reader = IndexStore(index_dir, store_settings.embedder)
    try:
        lexical, rows = reader.lexical()
        docs = reader.list_docs()
        found = 0
        for info in docs:
            chunk = max(reader.chunks_of(info.doc), key=lambda c: len(c.text))
            scores = lexical.scores(tokenize(chunk.text))
            found += int(rows.doc[int(scores.argmax())] == info.doc) if len(scores) else 0
        return found, len(docs)
    finally:
        reader.close()


def bench(doc_dirs: list[Path], index_dir: Path, settings: Settings, builder: Callable | None = None) -> dict:
    """One cold trial (see the module docstring). `builder(store, defer_vectors=True)` runs the first
    pass when the default (ingest_paths over doc_dirs) is not how the index is built."""
    from ingest.dense import embed_pending, embedding_text
    from ingest.embed import make_embedder
    from ingest.pipeline import ingest_paths
    from ingest.store import open_store

    store_settings = settings.model_copy(update={"index_dir": index_dir, "embed_cache": None})
    batch = settings.embed_batch
    timer = pipeline_stages()
    try:
        store = open_store(store_settings)
        load_start = time.perf_counter()
        _ = store.embedder  # model load and fingerprint: reported apart, as bench.py does
        model_load_s = time.perf_counter() - load_start

        start = time.perf_counter()
        if builder is None:
            report = ingest_paths(doc_dirs, store, None, settings.chunk_min, settings.chunk_max,
                                  settings.chunk_overlap, batch, defer_vectors=True, **settings.load_limits())
            failed = [f.model_dump() for f in report.failed]
        else:
            failed = [f.model_dump() for f in builder(store, defer_vectors=True)]
        lexical_s = time.perf_counter() - start
        found, docs = lexically_found(index_dir, store_settings)
        pending = store.pending_vectors()
        texts = [embedding_text(c) for doc, _ in pending for c in store.chunks_of(doc)]
        doc_chars = sum(d.chars for d in store.list_docs())

        bare = make_embedder(settings.embedder, settings.embed_base_url, settings.embed_api_key, batch,
                             settings.embed_threads, settings.omp_wait_policy, settings.embed_workers)
        bare.passages(texts[:1])  # warm-up: first-call allocations are not throughput
        half = len(texts) // 2

        def bare_run(part: list[str]) -> float:
            bare_start = time.perf_counter()
            for i in range(0, len(part), batch):
                bare.passages(part[i : i + batch])
            return time.perf_counter() - bare_start

        bare_first = bare_run(texts[:half])
        vectors_start = time.perf_counter()
        _, vector_failures = embed_pending(store, batch)
        vectors_s = time.perf_counter() - vectors_start
        bare_second = bare_run(texts[half:])
        chunks = store.chunk_count()
        store.close()
    finally:
        timer.restore()

    embedded_chars = sum(len(t) for t in texts)
    bare_s = bare_first + bare_second
    pipeline_s = lexical_s + vectors_s
    return {
        "docs": docs,
        "failed": failed + [{"path": d, "error": e} for d, e in vector_failures],
        "doc_chars": doc_chars,
        "embedded_chars": embedded_chars,
        "chunks": chunks,
        "model_load_s": round(model_load_s, 3),
        "lexical_s": round(lexical_s, 2),
        "lexical_found": found,
        "vectors_s": round(vectors_s, 2),
        "pipeline_s": round(pipeline_s, 2),
        "pipeline_doc_chars_per_s": round(doc_chars / pipeline_s, 1),
        "pipeline_chars_per_s": round(embedded_chars / pipeline_s, 1),
        "pipeline_chunks_per_s": round(chunks / pipeline_s, 2),
        "bare_embed_s": round(bare_s, 2),
        "bare_embed_s_halves": [round(bare_first, 2), round(bare_second, 2)],
        "bare_chars_per_s": round(embedded_chars / bare_s, 1),
        "pipeline_vs_bare": round(bare_s / pipeline_s, 3),
        "stages_s": {k: round(v, 2) for k, v in timer.seconds.items()},
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "index_mib": round(dir_size_mib(index_dir), 2),
        "embedder": settings.embedder,
        "batch": batch,
        "workers": getattr(bare, "passage_workers", 1),
        "threads": settings.embed_threads,
        "cpus": os.cpu_count(),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


def markdown(name: str, r: dict) -> str:
    rows = [
        ("documents / chunks", f"{r['docs']} / {r['chunks']}"),
        ("document chars / embedded chars", f"{r['doc_chars']:,} / {r['embedded_chars']:,}"),
        ("bare embedder (two halves)", f"{r['bare_embed_s']:.1f} s {r['bare_embed_s_halves']}, "
                                       f"{r['bare_chars_per_s']:,.0f} embedded chars/s"),
        ("full ingest, cold", f"{r['pipeline_s']:.1f} s: {r['pipeline_doc_chars_per_s']:,.0f} document chars/s, "
                              f"{r['pipeline_chars_per_s']:,.0f} embedded chars/s, {r['pipeline_chunks_per_s']:.2f} chunks/s"),
        ("ingest / bare throughput", f"{100 * r['pipeline_vs_bare']:.1f} %"),
        ("lexical-searchable after", f"{r['lexical_s']:.1f} s (BM25 finds {r['lexical_found']}/{r['docs']} "
                                     "documents by their longest chunk)"),
        ("model load (not in the above)", f"{r['model_load_s']:.2f} s"),
        ("peak RSS", f"{r['peak_rss_mib']:.0f} MiB"),
        ("index on disk", f"{r['index_mib']:.1f} MiB"),
        ("load average at end (1 min)", f"{r['load_avg_1m_at_end']}"),
    ]
    lines = [f"### {name} — `{r['embedder']}`, batch {r['batch']}, {r['workers']} passage worker(s), "
             f"{r['cpus']} CPUs", "", "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "| stage (wall s, nested stages inside their callers) | s |", "|---|---|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in r["stages_s"].items()]
    return "\n".join(lines)


def parse_config(text: str) -> dict[str, int]:
    """'workers=2,batch=16' -> Settings fields."""
    out: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        if key not in _FIELDS or not value.isdigit():
            raise argparse.ArgumentTypeError(f"{part!r}: use {', '.join(_FIELDS)}=N")
        out[_FIELDS[key]] = int(value)
    return out


def trial(doc_dirs: list[Path], config: str) -> dict:
    """One cold trial in a fresh process (the engine's thread layout is fixed when it loads)."""
    with tempfile.TemporaryDirectory(prefix="govqa-bench-ingest-") as tmp:
        out = Path(tmp) / "result.json"
        args = [sys.executable, str(Path(__file__).resolve()), "--trial", config, "--out", str(out),
                "--index", str(Path(tmp) / "index")]
        for d in doc_dirs:
            args += ["--docs", str(d)]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text(encoding="utf-8"))


def compare(doc_dirs: list[Path], configs: list[str], rounds: int) -> str:
    results: dict[str, list[dict]] = {c: [] for c in configs}
    for r in range(rounds):
        for config in configs if r % 2 == 0 else configs[::-1]:
            result = trial(doc_dirs, config)
            results[config].append(result)
            print(f"[round {r + 1}] {config}: {result['pipeline_doc_chars_per_s']:,.0f} doc chars/s, bare "
                  f"{result['bare_chars_per_s']:,.0f} embedded chars/s, load {result['load_avg_1m_at_end']}",
                  file=sys.stderr, flush=True)
    first = results[configs[0]][0]
    lines = [f"{first['docs']} documents, {first['doc_chars']:,} document chars, {first['chunks']} chunks; "
             f"{rounds} rounds, alternating order; medians (min–max).", "",
             "| configuration | embedded chars | ingest s | ingest doc chars/s | ingest embedded chars/s | "
             "bare embedder chars/s | ingest / bare | lexical-searchable s | load avg |",
             "|---|---|---|---|---|---|---|---|---|"]

    def cell(values: list[float], fmt: str = ",.0f") -> str:
        return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"

    for config, runs in results.items():
        lines.append(
            f"| {config} | {runs[0]['embedded_chars']:,} | {cell([x['pipeline_s'] for x in runs], '.1f')} | "
            f"{cell([x['pipeline_doc_chars_per_s'] for x in runs])} | {cell([x['pipeline_chars_per_s'] for x in runs])} | "
            f"{cell([x['bare_chars_per_s'] for x in runs])} | {cell([100 * x['pipeline_vs_bare'] for x in runs], '.0f')} % | "
            f"{cell([x['lexical_s'] for x in runs], '.1f')} | {cell([x['load_avg_1m_at_end'] for x in runs], '.1f')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", action="append", type=Path,
                        help="folder or file of reports (repeatable; default data/samples)")
    parser.add_argument("--out", type=Path, help="write the numbers as JSON here")
    parser.add_argument("--index", type=Path, help="index directory to build (default: a temp dir, removed)")
    parser.add_argument("--compare", nargs="+", metavar="CONFIG", type=str,
                        help="configurations to run interleaved, e.g. workers=1,batch=16 workers=2,batch=16")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trial", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    doc_dirs = args.docs or [ROOT / "data" / "samples"]
    if args.compare:
        for config in args.compare:
            parse_config(config)
        text = compare(doc_dirs, args.compare, args.rounds)
        print(text)
        if args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
        return 0
    settings = Settings(**parse_config(args.trial or ""))
    index_dir = args.index or Path(tempfile.mkdtemp(prefix="govqa-bench-"))
    if args.index and args.index.exists():
        parser.error(f"{args.index} exists; give a new directory")
    try:
        result = bench(doc_dirs, index_dir, settings)
    finally:
        if not args.index:
            shutil.rmtree(index_dir, ignore_errors=True)
    result["inputs"] = [str(d) for d in doc_dirs]
    print(markdown(", ".join(d.name for d in doc_dirs), result))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
