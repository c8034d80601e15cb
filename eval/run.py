"""`govqa eval SET.jsonl`: run an eval set through our service (and optionally the naive baseline),
score every answer, and write metrics.json, answers.jsonl, report.md, report.html and a PNG."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from pydantic import BaseModel, Field
from tqdm import tqdm

from bot.models import Answer, Passage, Turn
from bot.service import QAService
from bot.settings import Settings
from eval.metrics import (
    EvalItem,
    QuestionResult,
    Summary,
    load_set,
    score_question,
    summarise,
    summarise_by_type,
)
from ingest.store import IndexStore

log = logging.getLogger(__name__)
RETRIEVAL_K = 10


class SystemMetrics(BaseModel):
    name: str
    overall: Summary
    per_type: dict[str, Summary]


class EvalRun(BaseModel):
    """What metrics.json holds."""

    set: str
    n: int
    llm: str
    embedder: str
    index: str
    docs: int
    chunks: int
    top_k: int
    retrieval_k: int = RETRIEVAL_K
    ours: SystemMetrics
    baselines: dict[str, SystemMetrics] = Field(default_factory=dict)
    elapsed_s: float = 0.0


class SystemOutput(BaseModel):
    results: list[QuestionResult]
    answers: list[dict]


# ---------------------------------------------------------------- our system


def ensure_index(service: QAService, docs: Path) -> None:
    """Ingest the reports the set refers to when the index is empty."""
    if service.store.list_docs():
        return
    from ingest.pipeline import ingest_paths

    settings = service.settings
    print(f"index {settings.index_dir} is empty: ingesting {docs}", file=sys.stderr)
    bar = tqdm(total=1000, desc="ingest", unit="‰", file=sys.stderr)

    def progress(fraction: float, message: str) -> None:
        bar.n = int(fraction * 1000)
        bar.set_postfix_str(message[:40], refresh=True)

    report = ingest_paths([docs], service.store, None, settings.chunk_min, settings.chunk_max,
                          settings.chunk_overlap, settings.embed_batch, progress=progress, **settings.load_limits())
    bar.close()
    if report.failed:
        log.warning("ingest failures: %s", report.failed)


def retrieval_list(service: QAService, item: EvalItem, k: int = RETRIEVAL_K) -> list[Passage]:
    """The chain's own condense → route stages, then the retriever at k, ranked by fused score."""
    chain = service.chain
    state = {"question": item.question, "history": [Turn(role=t.role, content=t.content) for t in item.history],
             "region": None, "year": None, "kind": None, "timings_ms": {}}
    state["condensed"] = chain._condense(state)
    plan = chain._route(state)
    passages = service.retriever.retrieve(plan, k=k).passages
    if not passages and plan.years and not plan.explicit_filters and plan.route == "compare":
        passages = service.retriever.retrieve(plan.model_copy(update={"years": []}), k=k).passages
    # per-region lists are concatenated by the retriever; rank them by fused score for recall@k
    return sorted(passages, key=lambda p: -p.score)[:k]


def chunk_texts(store: IndexStore, ids: list[str]) -> dict[str, str]:
    return {cid: c.text for cid, c in store.chunks_by_ids(list(dict.fromkeys(ids))).items()}


def answer_record(item: EvalItem, answer: Answer, result: QuestionResult) -> dict:
    record = answer.to_json_dict()
    record.update(id=item.id, type=item.type, expected=item.answer, key_facts=item.key_facts,
                  accurate=result.accurate, failure=result.failure, latency_ms=result.latency_ms,
                  retrieved=result.retrieved, recall_at=result.recall_at)
    if item.history:
        record["history"] = [t.model_dump() for t in item.history]
    return record


def run_ours(service: QAService, items: list[EvalItem]) -> SystemOutput:
    results: list[QuestionResult] = []
    answers: list[dict] = []
    for item in tqdm(items, desc="eval ours", unit="q", file=sys.stderr):
        start = time.perf_counter()
        answer = service.ask(item.question, [t.model_dump() for t in item.history])
        latency = (time.perf_counter() - start) * 1000
        retrieved = retrieval_list(service, item)
        texts = chunk_texts(service.store, [c.chunk_id for c in answer.citations])
        result = score_question(item, answer, [(p.chunk_id, p.text) for p in retrieved],
                                [texts.get(c.chunk_id, "") for c in answer.citations], latency)
        results.append(result)
        answers.append(answer_record(item, answer, result))
    return SystemOutput(results=results, answers=answers)


# ---------------------------------------------------------------- baseline


def run_naive(service: QAService, items: list[EvalItem], docs: Path) -> SystemOutput:
    from eval.baseline import NaiveBaseline

    naive = NaiveBaseline(service.store, docs, Path(service.settings.index_dir) / "naive-chroma",
                          service.settings.top_k).build()
    regions = service.known_regions()
    results: list[QuestionResult] = []
    answers: list[dict] = []
    for item in tqdm(items, desc="eval naive", unit="q", file=sys.stderr):
        start = time.perf_counter()
        retrieval = naive.retrieve(item.question, max(RETRIEVAL_K, naive.top_k))
        answer = naive.answer(item.question, retrieval, regions)
        latency = (time.perf_counter() - start) * 1000
        result = score_question(item, answer, [(p.chunk_id, p.text) for p in retrieval.passages],
                                [naive.chunk_text(c.chunk_id) for c in answer.citations], latency)
        results.append(result)
        answers.append(answer_record(item, answer, result))
    return SystemOutput(results=results, answers=answers)


# ---------------------------------------------------------------- driver


def system_metrics(name: str, output: SystemOutput) -> SystemMetrics:
    return SystemMetrics(name=name, overall=summarise(output.results), per_type=summarise_by_type(output.results))


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_eval(settings: Settings, set_path: Path, out: Path, docs: Path, baseline: str | None = None,
             limit: int | None = None) -> EvalRun:
    start = time.perf_counter()
    items = load_set(set_path, limit)
    service = QAService(settings)
    ensure_index(service, docs)
    service.warm_up()
    ours = run_ours(service, items)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "answers.jsonl", ours.answers)
    write_jsonl(out / "results.jsonl", [r.model_dump() for r in ours.results])
    baselines: dict[str, SystemMetrics] = {}
    outputs = {"ours": ours}
    if baseline == "naive":
        naive = run_naive(service, items, docs)
        write_jsonl(out / "answers_naive.jsonl", naive.answers)
        baselines["naive"] = system_metrics("naive", naive)
        outputs["naive"] = naive
    docs_info = service.store.list_docs()
    run = EvalRun(
        set=str(set_path), n=len(items), llm=service.chain.llm.name if service.chain.llm else "extractive",
        embedder=settings.embedder, index=str(settings.index_dir), docs=len(docs_info),
        chunks=sum(d.chunks for d in docs_info), top_k=settings.top_k, ours=system_metrics("ours", ours),
        baselines=baselines, elapsed_s=round(time.perf_counter() - start, 1),
    )
    (out / "metrics.json").write_text(run.model_dump_json(indent=2), encoding="utf-8")
    from eval.report import write_reports

    write_reports(run, {name: o.results for name, o in outputs.items()}, out)
    service.store.close()
    return run


def run_eval_cli(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point wired in bot.cli (`govqa eval`)."""
    docs = Path(args.docs) if getattr(args, "docs", None) else settings.samples_dir
    out = Path(getattr(args, "out", None) or "eval-out")
    run = run_eval(settings, Path(args.set), out, docs, getattr(args, "baseline", None), getattr(args, "limit", None))
    o = run.ours.overall
    line = (f"{run.n} questions: accuracy {o.accuracy:.1%}, recall@5 {o.recall_at['5'] or 0:.1%}, "
            f"citation precision {o.citation_precision or 0:.1%}, citation hit {o.citation_hit or 0:.1%}, p95 {o.latency_p95_ms} ms")
    if "naive" in run.baselines:
        line += f" | naive accuracy {run.baselines['naive'].overall.accuracy:.1%}"
    print(line)
    print(f"wrote {out}/metrics.json, answers.jsonl, report.md, report.html, accuracy_by_type.png")
    return 0
