"""Eval reports: report.md, report.html (escaped) and accuracy_by_type.png (ASCII labels only,
so a missing CJK font cannot turn the chart into tofu)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from eval.metrics import QuestionResult, Summary

if TYPE_CHECKING:
    from eval.run import EvalRun

Row = list[str]
TYPE_ORDER = ("lookup", "status", "compare", "followup", "list", "rank", "masked_value", "unanswerable")


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def metric_rows(s: Summary) -> list[tuple[str, str]]:
    return [
        ("questions", str(s.n)),
        ("answer accuracy", pct(s.accuracy)),
        ("key-fact recall", pct(s.key_fact_recall)),
        *[(f"retrieval recall@{k}", pct(v)) for k, v in s.recall_at.items()],
        ("citation precision", pct(s.citation_precision)),
        ("citation hit", pct(s.citation_hit)),
        ("citation recall", pct(s.citation_recall)),
        ("grounding (verified figures)", pct(s.grounding)),
        ("grounding (final answer figures)", pct(s.final_grounding)),
        ("correct abstentions (unanswerable)", f"{s.correct_abstentions}/{s.unanswerable}"),
        ("false abstentions (answerable)", f"{s.false_abstentions}/{s.answerable}"),
        ("masked reported as masked", f"{s.masked_reported}/{s.masked}"),
        ("latency p50 (ms)", ms(s.latency_p50_ms)),
        ("latency p95 (ms)", ms(s.latency_p95_ms)),
    ]


def overall_table(run: EvalRun) -> tuple[Row, list[Row]]:
    systems = {"ours": run.ours.overall, **{k: v.overall for k, v in run.baselines.items()}}
    columns = {name: dict(metric_rows(s)) for name, s in systems.items()}
    header = ["metric", *systems]
    rows = [[label, *[columns[name][label] for name in systems]] for label, _ in metric_rows(run.ours.overall)]
    return header, rows


def ordered_types(types: set[str]) -> list[str]:
    return [t for t in TYPE_ORDER if t in types] + sorted(types - set(TYPE_ORDER))


def per_type_table(run: EvalRun) -> tuple[Row, list[Row]]:
    """Per type, ours vs each baseline: accuracy, key-fact recall, recall@5, citation precision."""
    names = ["ours", *run.baselines]
    per = {"ours": run.ours.per_type, **{k: v.per_type for k, v in run.baselines.items()}}
    header = ["type", "n"]
    for label in ("accuracy", "key-fact recall", "recall@5", "citation precision"):
        header += [f"{label} ({n})" for n in names]
    rows: list[Row] = []
    for t in ordered_types(set(run.ours.per_type)):
        row = [t, str(run.ours.per_type[t].n)]
        for getter in (lambda s: s.accuracy, lambda s: s.key_fact_recall, lambda s: s.recall_at.get("5"),
                       lambda s: s.citation_precision):
            row += [pct(getter(per[n][t])) if t in per[n] else "–" for n in names]
        rows.append(row)
    return header, rows


def ours_detail_table(run: EvalRun) -> tuple[Row, list[Row]]:
    header = ["type", "n", "accuracy", "recall@1", "recall@3", "recall@5", "recall@10", "cit. precision",
              "cit. hit", "cit. recall", "grounding", "abstentions ok", "false abst.", "masked ok", "p50 ms", "p95 ms"]
    rows: list[Row] = []
    items = [(t, run.ours.per_type[t]) for t in ordered_types(set(run.ours.per_type))] + [("all", run.ours.overall)]
    for t, s in items:
        rows.append([t, str(s.n), pct(s.accuracy), *[pct(s.recall_at.get(k)) for k in ("1", "3", "5", "10")],
                     pct(s.citation_precision), pct(s.citation_hit), pct(s.citation_recall), pct(s.grounding),
                     f"{s.correct_abstentions}/{s.unanswerable}", f"{s.false_abstentions}/{s.answerable}",
                     f"{s.masked_reported}/{s.masked}", ms(s.latency_p50_ms), ms(s.latency_p95_ms)])
    return header, rows


def failure_rows(results: list[QuestionResult]) -> tuple[Row, list[Row]]:
    header = ["id", "type", "question", "expected", "got", "why"]
    rows = [[r.id, r.type, r.question, r.expected, r.answer, r.failure] for r in results if not r.accurate]
    return header, rows


# ---------------------------------------------------------------- markdown


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def md_table(header: Row, rows: list[Row]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def sections(run: EvalRun, results: dict[str, list[QuestionResult]]) -> list[tuple[str, Row, list[Row]]]:
    out = [("Overall" + (" — ours vs " + ", ".join(run.baselines) if run.baselines else ""), *overall_table(run)),
           ("Per question type" + (" — ours vs " + ", ".join(run.baselines) if run.baselines else ""),
            *per_type_table(run)),
           ("Ours in detail", *ours_detail_table(run))]
    for name, res in results.items():
        header, rows = failure_rows(res)
        out.append((f"Failed questions ({name}): {len(rows)} of {len(res)}", header, rows))
    return out


def header_lines(run: EvalRun) -> list[str]:
    return [
        f"set: `{run.set}` — {run.n} questions; index `{run.index}` ({run.docs} documents, {run.chunks} chunks)",
        f"answerer: {run.llm}; embedder: {run.embedder}; top_k {run.top_k}; recall@k over the top "
        f"{run.retrieval_k} retrieved chunks; run time {run.elapsed_s} s",
    ]


def render_markdown(run: EvalRun, results: dict[str, list[QuestionResult]]) -> str:
    parts = ["# govqa eval report", "", *[f"- {line}" for line in header_lines(run)], ""]
    for title, header, rows in sections(run, results):
        parts += [f"## {title}", "", md_table(header, rows) if rows else "_none_", ""]
    parts += ["![accuracy per type](accuracy_by_type.png)", ""]
    return "\n".join(parts)


# ---------------------------------------------------------------- html


def html_table(header: Row, rows: list[Row]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = ("body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}th{background:#f3f3f3}")


def render_html(run: EvalRun, results: dict[str, list[QuestionResult]]) -> str:
    parts = ["<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>govqa eval report</title>",
             f"<style>{_CSS}</style></head><body><h1>govqa eval report</h1><ul>"]
    parts += [f"<li>{html.escape(line.replace('`', ''))}</li>" for line in header_lines(run)]
    parts.append("</ul>")
    for title, header, rows in sections(run, results):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        parts.append(html_table(header, rows) if rows else "<p><em>none</em></p>")
    parts.append("<img src='accuracy_by_type.png' alt='accuracy per type'></body></html>")
    return "".join(parts)


# ---------------------------------------------------------------- chart


def plot_accuracy(run: EvalRun, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = ordered_types(set(run.ours.per_type))
    systems = {"ours": run.ours.per_type, **{k: v.per_type for k, v in run.baselines.items()}}
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(types) + 2), 4))
    for i, (name, per) in enumerate(systems.items()):
        values = [100 * (per[t].accuracy or 0.0) if t in per else 0.0 for t in types]
        xs = [x + (i - (len(systems) - 1) / 2) * width for x in range(len(types))]
        bars = ax.bar(xs, values, width, label=name)
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(range(len(types)), types, rotation=20)
    ax.set_ylim(0, 110)
    ax.set_ylabel("answer accuracy (%)")
    ax.set_title(f"Accuracy per question type ({Path(run.set).name}, n={run.n})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(run: EvalRun, results: dict[str, list[QuestionResult]], out: Path) -> None:
    (out / "report.md").write_text(render_markdown(run, results), encoding="utf-8")
    (out / "report.html").write_text(render_html(run, results), encoding="utf-8")
    plot_accuracy(run, out / "accuracy_by_type.png")
