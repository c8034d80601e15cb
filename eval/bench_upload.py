"""Upload-to-answerable: how long after an official uploads a ~20k-character report the bot answers
a question from it, and how long until its vectors are complete.

    .venv/bin/python eval/bench_upload.py [--reports 浙江省,福建省,安徽省] [--out FILE]

Builds a seed index, then for each provincial report of ../shared/corpus: uploads it through the
UI's own upload handler (App.upload: the same code a browser upload runs), asks the first lookup
question of eval/sets/corpus.jsonl whose source is that report, and records the time from the
upload call to an answer that cites the report and states the expected figure, the `dense` state
of that answer, and the time until the background worker has attached every vector.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus" / "provinces-2026"
QUESTIONS = ROOT / "eval" / "sets" / "corpus.jsonl"


def question_for(doc: str) -> dict:
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["type"] == "lookup" and [s["doc"] for s in item.get("sources", [])] == [doc]:
            return item
    raise SystemExit(f"no lookup question for {doc} in {QUESTIONS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default="浙江省,福建省,安徽省")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from bot.service import QAService
    from bot.settings import Settings
    from bot.ui.handlers import App
    from bot.ui.startup import StartupState
    from ingest.pipeline import ingest_paths
    from ingest.store import open_store

    rows = []
    with tempfile.TemporaryDirectory(prefix="govqa-bench-upload-") as tmp:
        index = Path(tmp) / "index"
        settings = Settings(index_dir=index)
        store = open_store(settings)
        ingest_paths([ROOT / "data" / "samples"], store)
        service = QAService(settings, store)
        service.warm_up()
        app = App(service, settings, StartupState.already_ready())
        for region in args.reports.split(","):
            name = f"2026_{region}_政府工作报告.txt"
            source = CORPUS / name
            item = question_for(name)
            upload = Path(tmp) / "uploads" / name
            upload.parent.mkdir(exist_ok=True)
            upload.write_bytes(source.read_bytes())
            chars = len(source.read_text(encoding="utf-8"))
            start = time.perf_counter()
            app.upload([str(upload)], "", None, progress=lambda *a, **k: None)
            uploaded = time.perf_counter() - start
            answer = service.ask(item["question"])
            answerable = time.perf_counter() - start
            cited = name in {c.doc for c in answer.citations}
            correct = cited and all(fact in answer.answer for fact in item["key_facts"])
            service.vector_worker.wait_idle(timeout=1800)
            vectors = time.perf_counter() - start
            rows.append({"report": name, "chars": chars, "upload_s": uploaded, "answerable_s": answerable,
                         "dense": answer.dense, "correct": correct, "vectors_s": vectors,
                         "question": item["question"]})
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        store.close()

    lines = ["| report | chars | upload returns | answered (correct, cited) | answer's dense | all vectors |",
             "|---|---:|---:|---:|---|---:|"]
    for r in rows:
        lines.append(f"| {r['report']} | {r['chars']:,} | {r['upload_s']:.2f} s | {r['answerable_s']:.2f} s "
                     f"({'yes' if r['correct'] else 'NO'}) | {r['dense']} | {r['vectors_s']:.1f} s |")
    lines.append(f"\nmedian upload-to-answerable {statistics.median(r['answerable_s'] for r in rows):.2f} s; "
                 f"questions: {'; '.join(r['question'] for r in rows)}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(f"# Upload to answerable\n\n`python eval/bench_upload.py`\n\n{text}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
