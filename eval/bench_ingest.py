"""Ingest benchmark: the full pipeline against the bare embedder on exactly the same texts.

    python eval/bench_ingest.py [--docs DIR ...] [--out bench.json] [--index DIR]

In one process: (1) load, clean and chunk every document as the pipeline does and embed exactly
the texts it embeds (`ingest.pipeline.embedding_text`, same batch size) with the bare embedder;
(2) run `ingest_paths` into a fresh index (model load, jieba, BM25, Chroma and SQLite writes
included). Prints a markdown table; --out writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from ingest.embed import make_embedder  # noqa: E402
from ingest.load import LoadError, iter_input_files  # noqa: E402
from ingest.pipeline import Overrides, embedding_text, ingest_paths, prepare  # noqa: E402
from ingest.store import open_store  # noqa: E402


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_size_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / (1024 * 1024)


def bench(doc_dirs: list[Path], index_dir: Path, settings: Settings, bracket: bool = True) -> dict:
    files = iter_input_files(doc_dirs)
    max_bytes = settings.max_file_mb * 1024 * 1024
    started = time.perf_counter()
    prepared = []
    for path in files:
        try:
            prepared.append(prepare(path, Overrides(), settings.chunk_min, settings.chunk_max,
                                    settings.chunk_overlap, max_bytes))
        except LoadError:
            continue
    prepare_s = time.perf_counter() - started
    texts = [embedding_text(c) for doc in prepared for c in doc.chunks]
    embedded_chars = sum(len(t) for t in texts)
    doc_chars = sum(doc.chars for doc in prepared)

    load_start = time.perf_counter()
    embedder = make_embedder(settings.embedder, settings.embed_base_url, settings.embed_api_key, settings.embed_batch)
    model_load_s = time.perf_counter() - load_start
    embedder.passages(texts[:1])  # warm-up: first-call allocations are not throughput

    def bare_run() -> float:
        bare_start = time.perf_counter()
        for start in range(0, len(texts), settings.embed_batch):
            embedder.passages(texts[start : start + settings.embed_batch])
        return time.perf_counter() - bare_start

    bare_before = bare_run()
    rss_after_bare = peak_rss_mib()

    store_settings = settings.model_copy(update={"index_dir": index_dir})
    pipe_start = time.perf_counter()
    store = open_store(store_settings)
    report = ingest_paths(doc_dirs, store, None, settings.chunk_min, settings.chunk_max, settings.chunk_overlap,
                          settings.embed_batch, max_bytes)
    store.close()
    pipeline_s = time.perf_counter() - pipe_start
    # the bare run again after the pipeline: on a shared machine the load drifts, and the mean of
    # a run before and one after brackets the pipeline run fairly
    bare_after = bare_run() if bracket else bare_before
    bare_s = (bare_before + bare_after) / 2

    per_doc = {doc.meta.doc: len(doc.chunks) for doc in prepared}
    return {
        "docs": len(prepared),
        "failed": [f.model_dump() for f in report.failed],
        "doc_chars": doc_chars,
        "embedded_chars": embedded_chars,
        "chunks": len(texts),
        "chunks_ingested": report.chunks,
        "chunks_per_doc": per_doc,
        "prepare_s": round(prepare_s, 3),
        "model_load_s": round(model_load_s, 3),
        "bare_embed_s": round(bare_s, 3),
        "bare_embed_s_runs": [round(bare_before, 3), round(bare_after, 3)],
        "bare_chars_per_s": round(embedded_chars / bare_s, 1),
        "pipeline_s": round(pipeline_s, 3),
        "pipeline_chars_per_s": round(embedded_chars / pipeline_s, 1),
        "pipeline_doc_chars_per_s": round(doc_chars / pipeline_s, 1),
        "pipeline_chunks_per_s": round(report.chunks / pipeline_s, 2),
        "pipeline_vs_bare": round(bare_s / pipeline_s, 3),
        "peak_rss_mib_after_bare": round(rss_after_bare, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "index_mib": round(dir_size_mib(index_dir), 2),
        "embedder": settings.embedder,
        "batch": settings.embed_batch,
        "cpus": os.cpu_count(),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


def markdown(name: str, r: dict) -> str:
    rows = [
        ("documents / chunks", f"{r['docs']} / {r['chunks']}"),
        ("document chars / embedded chars", f"{r['doc_chars']:,} / {r['embedded_chars']:,}"),
        ("bare embedder (mean of runs)", f"{r['bare_embed_s']:.1f} s {r['bare_embed_s_runs']}, "
                                         f"{r['bare_chars_per_s']:,.0f} chars/s"),
        ("full ingest (`ingest_paths`)", f"{r['pipeline_s']:.1f} s, {r['pipeline_chars_per_s']:,.0f} chars/s, "
                                        f"{r['pipeline_chunks_per_s']:.2f} chunks/s"),
        ("ingest / bare throughput", f"{100 * r['pipeline_vs_bare']:.1f} %"),
        ("model load (not in bare)", f"{r['model_load_s']:.2f} s"),
        ("peak RSS", f"{r['peak_rss_mib']:.0f} MiB"),
        ("index on disk", f"{r['index_mib']:.1f} MiB"),
        ("load average at end (1 min)", f"{r['load_avg_1m_at_end']}"),
    ]
    lines = [f"### {name} — embedder `{r['embedder']}`, batch {r['batch']}, {r['cpus']} CPUs", "",
             "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", action="append", type=Path,
                        help="folder or file of reports (repeatable; default data/samples)")
    parser.add_argument("--out", type=Path, help="write the numbers as JSON here")
    parser.add_argument("--index", type=Path, help="index directory to build (default: a temp dir, removed)")
    parser.add_argument("--no-bracket", action="store_true",
                        help="measure the bare embedder only before the pipeline (not before and after)")
    args = parser.parse_args(argv)

    doc_dirs = args.docs or [ROOT / "data" / "samples"]
    settings = Settings()
    index_dir = args.index or Path(tempfile.mkdtemp(prefix="govqa-bench-"))
    if args.index and args.index.exists():
        parser.error(f"{args.index} exists; give a new directory")
    try:
        result = bench(doc_dirs, index_dir, settings, bracket=not args.no_bracket)
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
