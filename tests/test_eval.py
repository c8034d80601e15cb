"""Eval harness: metric functions on hand-made answers, the set validator, and one end-to-end run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.models import Answer, Citation, Verification
from eval.metrics import (
    EvalItem,
    citation_counts,
    covers,
    fact_present,
    judge,
    reports_masked,
    retrieval_recall,
    score_question,
    summarise,
)
from eval.validate import validate

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "eval" / "sets"
SAMPLES = ROOT / "data" / "samples"


def item(**extra) -> EvalItem:
    base = {"id": "t1", "question": "冠县2021年一般公共预算收入是多少？", "type": "lookup", "answer": "12.6亿元",
            "key_facts": ["12.6亿元"],
            "sources": [{"doc": "003_48dcd54b015efb98.txt", "quote": "一般公共預算收入12.6億元、增長7%"}]}
    base.update(extra)
    return EvalItem.model_validate(base)


def answer(text: str, abstained: bool = False, cites: int = 0, checked: int = 0, unsupported: int = 0) -> Answer:
    return Answer(
        question="q", answer=text, abstained=abstained,
        citations=[Citation(n=i + 1, doc="d", chunk_id=f"c{i}", quote="") for i in range(cites)],
        verification=Verification(checked=checked, unsupported=["1亿元"] * unsupported),
    )


# ---------------------------------------------------------------- comparison rules


def test_key_fact_present_after_normalising_width_units_and_script() -> None:
    assert fact_present("12.6亿元", "一般公共预算收入12.6億元[1]")
    assert fact_present("4.7%", "同比增长４．７％")
    assert fact_present("1.15万户", "净增市场主体11500户")
    assert fact_present("张志刚", "冠縣縣長 ?張志剛")


def test_key_fact_absent_and_no_partial_number_match() -> None:
    assert not fact_present("12.6亿元", "一般公共预算收入18.1亿元")
    assert not fact_present("3%", "增长13%")
    assert not fact_present("4枚", "斩获14枚金牌")


def test_quote_coverage_across_traditional_glosses_and_punctuation() -> None:
    chunk = "全年新增城镇就业6069人，城镇登记失业率2.36%；发放创业担保贷款1.25亿元"
    assert covers(chunk, "全年新增城鎮(zhèn)就業(yè)6069人")
    assert covers("优良天数256天，同比增加26天", "優(yōu)良天數(shù)256天,同比增加26天")
    assert not covers(chunk, "全年新增城镇就业6070人")


# ---------------------------------------------------------------- judging


def test_accuracy_requires_every_key_fact_and_no_abstention() -> None:
    it = item(key_facts=["12.6亿元", "7%"])
    assert judge(it, answer("12.6亿元，增长7%[1]"))[0]
    ok, found, _, why = judge(it, answer("12.6亿元[1]"))
    assert not ok and found == ["12.6亿元"] and "7%" in why
    assert not judge(it, answer("所提供的报告中未找到……", abstained=True))[0]


def test_abstention_counting() -> None:
    unanswerable = item(id="u", type="unanswerable", key_facts=[], sources=[])
    results = [
        score_question(unanswerable, answer("未找到", abstained=True), [], [], 10.0),
        score_question(unanswerable.model_copy(update={"id": "u2"}), answer("GDP 100亿元[1]", cites=1), [], ["x"], 10),
        score_question(item(), answer("未找到", abstained=True), [], [], 10.0),
        score_question(item(id="t2"), answer("12.6亿元[1]", cites=1), [], ["一般公共预算收入12.6亿元、增长7%"], 10),
    ]
    s = summarise(results)
    assert (s.correct_abstentions, s.unanswerable) == (1, 2)
    assert (s.false_abstentions, s.answerable) == (1, 2)
    assert s.accuracy == 0.5


def test_masked_detection() -> None:
    masked = item(type="masked_value", key_facts=[],
                  sources=[{"doc": "004_f986ac64be4ae395.txt", "quote": "实现财税收入***万元"}])
    good = answer("报告中该数值以“***”隐去，未公开具体数字。原文：“实现财税收入***万元”[1]", cites=1)
    assert reports_masked(good, ["实现财税收入***万元"]) and judge(masked, good)[0]
    assert not judge(masked, answer("财税收入为500万元[1]", cites=1))[0]
    assert not judge(masked, answer("报告中该数值隐去", abstained=True))[0]


def test_citation_precision_and_recall() -> None:
    it = item()
    cited = ["预计全县生产总值增长8%。一般公共预算收入12.6亿元、增长7%，税收占比75.1%。", "建设高标准农田7.5万亩"]
    n, good, quotes, covered = citation_counts(it, cited)
    assert (n, good, quotes, covered) == (2, 1, 1, 1)
    s = summarise([score_question(it, answer("12.6亿元[1][2]", cites=2, checked=2, unsupported=1), [], cited, 5)])
    assert s.citation_precision == 0.5 and s.citation_recall == 1.0
    assert s.grounding == 0.5 and s.final_grounding == 1.0


def test_retrieval_recall_at_k() -> None:
    it = item()
    texts = ["无关", "无关", "一般公共预算收入12.6亿元、增长7%，税收占比75.1%"]
    assert retrieval_recall(it, texts) == {"1": 0.0, "3": 1.0, "5": 1.0, "10": 1.0}
    assert retrieval_recall(item(sources=[]), texts)["5"] is None


# ---------------------------------------------------------------- validator


def test_validator_accepts_the_shipped_sets() -> None:
    for name in ("dev.jsonl", "seeds_heldout.jsonl"):
        assert validate(SETS / name, [SAMPLES]) == [], name


def test_heldout_set_shape() -> None:
    rows = [json.loads(line) for line in (SETS / "seeds_heldout.jsonl").read_text(encoding="utf-8").splitlines()]
    dev_questions = {json.loads(line)["question"] for line in (SETS / "dev.jsonl").read_text(encoding="utf-8").splitlines()}
    assert len(rows) >= 40
    assert {r["type"] for r in rows} >= {"lookup", "status", "compare", "followup", "list", "masked_value", "unanswerable"}
    assert not dev_questions & {r["question"] for r in rows}
    assert all(r.get("history") for r in rows if r["type"] == "followup")


def test_validator_reports_a_broken_line(tmp_path: Path) -> None:
    good = (SETS / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0]
    broken = json.loads(good)
    broken["id"] = "broken"
    broken["sources"][0]["quote"] = "地区生产总值999.9亿元"
    bad_set = tmp_path / "bad.jsonl"
    bad_set.write_text(good + "\n" + json.dumps(broken, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = validate(bad_set, [SAMPLES])
    assert len(problems) == 1 and "broken" in problems[0] and "999.9" in problems[0]
    run = subprocess.run([sys.executable, str(ROOT / "eval" / "validate.py"), str(bad_set), "--docs", str(SAMPLES)],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "999.9" in run.stderr


# ---------------------------------------------------------------- end to end


@pytest.mark.slow
def test_govqa_eval_end_to_end(seed_index_copy: Path, tmp_path: Path) -> None:
    """`govqa eval` on a 5-question slice of the dev set, with the naive baseline over one small report."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLES / "002_51f523802f205a70.txt", docs)
    out = tmp_path / "out"
    from bot.cli import main

    code = main(["eval", str(SETS / "dev.jsonl"), "--index", str(seed_index_copy), "--out", str(out),
                 "--limit", "5", "--baseline", "naive", "--docs", str(docs)])
    assert code == 0
    for name in ("metrics.json", "answers.jsonl", "answers_naive.jsonl", "report.md", "report.html",
                 "accuracy_by_type.png"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert {"set", "n", "llm", "embedder", "ours", "baselines"} <= metrics.keys()
    overall = metrics["ours"]["overall"]
    assert {"accuracy", "key_fact_recall", "recall_at", "citation_precision", "citation_recall", "grounding",
            "correct_abstentions", "false_abstentions", "masked_reported", "latency_p50_ms",
            "latency_p95_ms"} <= overall.keys()
    assert set(overall["recall_at"]) == {"1", "3", "5", "10"}
    assert metrics["n"] == 5 and "naive" in metrics["baselines"] and metrics["ours"]["per_type"]
    lines = (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and all("citations" in json.loads(line) for line in lines)
    assert "<script" not in (out / "report.html").read_text(encoding="utf-8")
