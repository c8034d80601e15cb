"""Eval runs for the UI's 评测 tab.

Scores with the eval harness (eval.metrics.score_question / summarise, eval.run.retrieval_list) on
the UI's own QAService, so the numbers match `govqa eval`; if the harness cannot be imported, a
minimal built-in scorer: an answer is correct when every key fact (normalised) is in it; questions
of type `unanswerable` are correct when the service abstains; `masked_value` ones when the answer
says the figure is masked. The result is always reduced to the same three tables for display.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.ui import messages as msg
from bot.verify.numbers import normalise

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
TYPE_LABELS: dict[str, str] = {
    "lookup": "数字查询", "status": "目标完成情况", "compare": "对比", "followup": "追问", "list": "列举",
    "summary": "概述", "masked_value": "隐去数字", "unanswerable": "无法回答",
}
ACCURACY = "准确率（%）"  # per question type, in percent as everywhere in the tab
PER_TYPE_HEADERS = ["类型", "题数", "正确", ACCURACY]
MASK_WORDS = ("隐去", "隐藏", "被隐", "未公开", "***", "**", "XX", "xx")


@dataclass
class EvalOutcome:
    metrics: list[list[object]]  # [指标, 数值]
    per_type: list[dict[str, object]]  # {类型, 题数, 正确, 准确率（%）}
    failures: list[list[object]]  # [编号, 类型, 问题, 期望要点, 系统回答, 原因]
    total: int = 0
    source: str = "内置评分"
    extra: dict[str, object] = field(default_factory=dict)


def type_label(kind: str) -> str:
    return TYPE_LABELS.get(kind, kind)


def load_items(path: Path) -> list[dict]:
    """Eval items from a JSONL file; raises ValueError with the line number on bad lines."""
    items: list[dict] = []
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"第 {line_no} 行不是合法的 JSON：{exc.msg}") from exc
        if not isinstance(item, dict) or not str(item.get("question", "")).strip():
            raise ValueError(f"第 {line_no} 行缺少 question 字段")
        item.setdefault("id", f"L{line_no}")
        item.setdefault("type", "lookup")
        item.setdefault("key_facts", [])
        items.append(item)
    if not items:
        raise ValueError("文件中没有评测题目")
    return items


def judge(item: dict, answer_text: str, abstained: bool) -> tuple[bool, str]:
    """(correct, why not: eval.metrics' English reason, shown through messages.eval_reason)."""
    kind = item.get("type", "lookup")
    text = normalise(answer_text)
    if kind == "unanswerable":
        return abstained, "" if abstained else "answered an unanswerable question"
    if kind == "masked_value":
        ok = any(w in answer_text for w in MASK_WORDS)
        return ok, "" if ok else ("abstained on a masked figure" if abstained else "masked figure not reported")
    if abstained:
        return False, "false abstention"
    missing = [str(f) for f in item.get("key_facts") or [] if normalise(str(f)) not in text]
    return not missing, f"missing key facts: {', '.join(missing)}" if missing else ""


def builtin_run(service, items: list[dict], progress: Progress | None = None) -> EvalOutcome:
    per_type: dict[str, list[int]] = {}
    failures: list[list[object]] = []
    latencies: list[float] = []
    correct = 0
    abstained_count = 0
    for index, item in enumerate(items):
        if progress:
            progress(index / len(items), f"{item['id']}: {item['question'][:20]}")
        start = time.perf_counter()
        try:
            answer = service.ask(item["question"], item.get("history") or [])
            text, abstained = answer.answer, answer.abstained
        except Exception as exc:  # one bad question must not stop the run
            log.exception("eval item %s failed", item.get("id"))
            text, abstained = f"出错：{msg.problem_text(exc)}", False
        latencies.append((time.perf_counter() - start) * 1000)
        ok, reason = judge(item, text, abstained)
        abstained_count += int(abstained)
        correct += int(ok)
        bucket = per_type.setdefault(item["type"], [0, 0])
        bucket[0] += 1
        bucket[1] += int(ok)
        if not ok:
            failures.append([item["id"], type_label(item["type"]), item["question"], "、".join(item.get("key_facts") or [])
                             or ("应拒答" if item["type"] == "unanswerable" else "—"), text, msg.eval_reason(reason)])
    if progress:
        progress(1.0, "完成")
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else 0.0
    total = len(items)
    metrics: list[list[object]] = [
        ["题目数", total],
        ["准确率", f"{correct / total:.1%}" if total else "—"],
        ["正确", correct],
        ["拒答数", abstained_count],
        ["平均耗时（毫秒）", round(sum(latencies) / total, 1) if total else 0],
        ["P95 耗时（毫秒）", round(p95, 1)],
    ]
    rows = [{"类型": type_label(k), "题数": v[0], "正确": v[1], ACCURACY: percent(v[1] / v[0]) if v[0] else 0.0}
            for k, v in sorted(per_type.items())]
    return EvalOutcome(metrics, rows, failures, total)


def percent(fraction: float) -> float:
    return round(fraction * 100, 1)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def harness_run(service, items: list[dict], progress: Progress | None = None) -> EvalOutcome:
    """Score with the eval harness (eval.metrics / eval.run): the same numbers as `govqa eval`."""
    from eval.metrics import EvalItem, score_question, summarise, summarise_by_type
    from eval.run import chunk_texts, retrieval_list

    results = []
    for index, raw in enumerate(items):
        item = EvalItem.model_validate(raw)
        if progress:
            progress(index / len(items), f"{item.id}: {item.question[:20]}")
        start = time.perf_counter()
        answer = service.ask(item.question, [t.model_dump() for t in item.history])
        latency = (time.perf_counter() - start) * 1000
        retrieved = retrieval_list(service, item)
        texts = chunk_texts(service.store, [c.chunk_id for c in answer.citations])
        results.append(score_question(item, answer, [(p.chunk_id, p.text) for p in retrieved],
                                      [texts.get(c.chunk_id, "") for c in answer.citations], latency))
    if progress:
        progress(1.0, "完成")
    overall = summarise(results)
    metrics: list[list[object]] = [
        ["题目数", overall.n],
        ["准确率", _pct(overall.accuracy)],
        ["要点召回率", _pct(overall.key_fact_recall)],
        ["检索召回率@5", _pct(overall.recall_at.get("5"))],
        ["引用精确率", _pct(overall.citation_precision)],
        ["引用命中率", _pct(overall.citation_hit)],
        ["引用召回率", _pct(overall.citation_recall)],
        ["数字有据率", _pct(overall.final_grounding)],
        ["正确拒答", f"{overall.correct_abstentions}/{overall.unanswerable}"],
        ["误拒答率", _pct(overall.false_abstention_rate)],
        ["识别出隐去数字", f"{overall.masked_reported}/{overall.masked}"],
        ["P50 耗时（毫秒）", _ms(overall.latency_p50_ms)],
        ["P95 耗时（毫秒）", _ms(overall.latency_p95_ms)],
    ]
    per_type = [{"类型": type_label(t), "题数": s.n, "正确": round((s.accuracy or 0.0) * s.n), ACCURACY: percent(s.accuracy or 0.0)}
                for t, s in summarise_by_type(results).items()]
    failures = [[r.id, type_label(r.type), r.question, "、".join(r.key_facts) or ("应拒答" if r.type == "unanswerable" else "—"),
                 r.answer, msg.eval_reason(r.failure)] for r in results if not r.accurate]
    return EvalOutcome(metrics, per_type, failures, len(items), source="评测框架（eval.metrics）")


def run(service, items: list[dict], progress: Progress | None = None) -> EvalOutcome:
    """The eval harness when it is importable, else the built-in scorer."""
    try:
        import eval.metrics  # noqa: F401
        import eval.run  # noqa: F401
    except Exception as exc:  # missing or broken harness: the tab still works
        log.warning("eval harness unavailable (%s); using the built-in scorer", exc)
        return builtin_run(service, items, progress)
    return harness_run(service, items, progress)
