"""Warm `ask` latency on the seeds while other processes keep the CPU busy.

    .venv/bin/python eval/bench_contention.py [--policies passive,active] [--rounds 2] [--out FILE]

Builds one seed index, then for each OpenMP wait policy of the embedder and each condition (quiet,
one busy core, every core busy) starts that many busy-loop processes and, in a fresh worker process
(the policy is read when the engine starts), warms the service up and times every question of
eval/sets/dev.jsonl `rounds` times. Reports p50/p95/max per cell as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def busy_loop() -> None:
    while True:
        pass


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def worker(index: str, rounds: int) -> None:
    from bot.service import QAService
    from bot.settings import load_settings

    questions = [json.loads(line)["question"]
                 for line in (ROOT / "eval" / "sets" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line]
    service = QAService(load_settings(index_dir=Path(index), llm_base_url=None))
    service.warm_up()
    times: list[float] = []
    for _ in range(rounds):
        for question in questions:
            start = time.perf_counter()
            service.ask(question)
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps(times))


def build_index(index: Path) -> None:
    from bot.settings import load_settings
    from ingest.pipeline import ingest_paths
    from ingest.store import open_store

    store = open_store(load_settings(index_dir=index))
    ingest_paths([ROOT / "data" / "samples"], store)
    store.close()


def measure(index: Path, policy: str, busy: int, rounds: int) -> list[float]:
    hogs = [multiprocessing.Process(target=busy_loop, daemon=True) for _ in range(busy)]
    for hog in hogs:
        hog.start()
    try:
        env = dict(os.environ, GOVQA_OMP_WAIT_POLICY=policy, OMP_WAIT_POLICY=policy.upper())
        out = subprocess.run([sys.executable, __file__, "--worker", str(index), "--rounds", str(rounds)],
                             env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        for hog in hogs:
            hog.terminate()
            hog.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--policies", default="passive,active")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.rounds)
        return 0
    cores = os.cpu_count() or 2
    with tempfile.TemporaryDirectory(prefix="govqa-contention-") as work:
        index = Path(work) / "index"
        build_index(index)
        lines = [f"Warm `ask` over the {Path('eval/sets/dev.jsonl')} questions ×{args.rounds}, seed index, "
                 f"{cores} cores; busy = busy-loop processes beside it. ms.", "",
                 "| OMP wait policy | condition | p50 | p95 | max |", "|---|---|---|---|---|"]
        for policy in args.policies.split(","):
            for busy, label in ((0, "quiet"), (1, "one core busy"), (cores, "all cores busy")):
                times = measure(index, policy, busy, args.rounds)
                row = (f"| {policy} | {label} | {statistics.median(times):.1f} | {quantile(times, 0.95):.1f} "
                       f"| {max(times):.1f} |")
                print(row, flush=True)
                lines.append(row)
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
