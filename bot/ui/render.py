"""Pure rendering helpers for the Gradio UI: escaping, citation links, highlighted passages, tables.

Everything that comes from a report (passages, quotes, file names) is escaped here before it reaches
the browser: chat messages are Markdown with every ASCII punctuation character backslash-escaped,
HTML panels use html.escape. Only the markup built in this module is live.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.models import Answer, Citation
from bot.ui import messages as msg
from bot.verify.numbers import normalise
from ingest.models import Chunk
from ingest.terms import canonical_indicator

if TYPE_CHECKING:
    from bot.ui.conversation import Scope

CITE_PREFIX = "#cite-"
_MARKER = re.compile(r"\[(\d{1,3})\]")
_MD_PUNCT = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")

STATUS_LABELS: dict[str, str] = {
    "met": "已完成",
    "exceeded": "超额完成",
    "not_met": "未完成",
    "unknown": "未知",
}


def esc(value: object) -> str:
    """HTML-escape any value for an HTML panel."""
    return html.escape("" if value is None else str(value), quote=True)


def md_escape(text: str) -> str:
    """Markdown that renders text literally: every ASCII punctuation character is backslash-escaped
    (CommonMark allows it for all of them), so `<script>`, `***亿元` or `[x](y)` show as typed."""
    escaped = _MD_PUNCT.sub(r"\\\1", text)
    # keep "- " bullets at line starts as real list items (their content stays escaped)
    return re.sub(r"(?m)^(\s*)\\- ", r"\1- ", escaped)


def cite_href(answer_no: int, n: int) -> str:
    return f"{CITE_PREFIX}{answer_no}-{n}"


def _cite_links(answer: Answer, answer_no: int) -> str:
    """来源: each document once, after the [n] links of its passages (with the section when one passage)."""
    by_doc: dict[str, list[Citation]] = {}
    for c in answer.citations:
        by_doc.setdefault(c.doc, []).append(c)
    groups = []
    for cites in by_doc.values():
        first = cites[0]
        marks = " ".join(f"[\\[{c.n}\\]]({cite_href(answer_no, c.n)})" for c in cites)
        section = f" · {md_escape(first.section)}" if len(cites) == 1 and first.section else ""
        groups.append(f"{marks} {md_escape(first.title or first.doc)}{section}")
    return "；".join(groups)


def scope_markdown(scope: Scope | None, abstained: bool) -> str:
    """The filters and the carried-over region of an answer, as a quote block above it; when nothing
    was found under them, says so (the retry button below the chat asks without them)."""
    if scope is None:
        return ""
    lines = []
    filters = scope_filters(scope)
    if filters:
        lines.append(msg.SCOPE_FILTERS.format(filters=filters))
    if scope.carried:
        lines.append(msg.SCOPE_CARRIED.format(regions="、".join(scope.carried)))
    if not lines:
        return ""
    if abstained:
        lines.append(msg.NOTHING_UNDER_SCOPE)
    return "".join(f"> {md_escape(line)}\n>\n" for line in lines).rstrip(">\n") + "\n\n"


def scope_filters(scope: Scope) -> str:
    """"地区 冠县 · 年份 2021年 · 类型 政府工作报告" for the filters set, else ""."""
    parts = []
    if scope.region:
        parts.append(f"地区 {scope.region_label or scope.region}")
    if scope.year is not None:
        parts.append(f"年份 {scope.year}年")
    if scope.kind:
        parts.append(f"类型 {scope.kind}")
    return " · ".join(parts)


def answer_markdown(answer: Answer, answer_no: int, scope: Scope | None = None) -> str:
    """The chat message for an answer: the scope it was found under (when given: it replaces the
    chain's own note in the text), then the escaped text whose [n] markers are links to the source
    panel, then the sources, one line part per document."""
    body = strip_scope_notes(answer.answer) if scope is not None else answer.answer
    known = {c.n for c in answer.citations}
    parts: list[str] = []
    last = 0
    for match in _MARKER.finditer(body):
        parts.append(md_escape(body[last : match.start()]))
        n = int(match.group(1))
        if n in known:
            parts.append(f"[\\[{n}\\]]({cite_href(answer_no, n)})")
        else:
            parts.append(md_escape(match.group(0)))
        last = match.end()
    parts.append(md_escape(body[last:]))
    text = scope_markdown(scope, answer.abstained) + "".join(parts)
    if answer.citations:
        text += f"\n\n来源：{_cite_links(answer, answer_no)}"
    return text


# the notes bot.chain puts before an answer's text about its scope (see AnswerChain._scope_note)
_CHAIN_FILTER_NOTE = re.compile(r"^在筛选条件“[^”\n]*”下：", re.M)
_CHAIN_CARRIED_NOTE = re.compile(r"^（沿用上文的地区：([^）\n]*)）", re.M)


def carried_regions(text: str) -> list[str]:
    """The regions the chain says it carried over from the conversation."""
    match = _CHAIN_CARRIED_NOTE.search(text)
    return [r for r in match.group(1).split("、") if r] if match else []


def strip_scope_notes(text: str) -> str:
    return _CHAIN_CARRIED_NOTE.sub("", _CHAIN_FILTER_NOTE.sub("", text))


def _where(c: Citation | Chunk) -> str:
    year = f"{c.year}年" if c.year else "年份不详"
    return f"{c.region or '地区不详'} · {year}"


def _quote_span(text: str, quote: str) -> tuple[int, int] | None:
    """Where the quote sits in the chunk text (exact, else ignoring width/space differences)."""
    if not quote:
        return None
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    # map normalised positions back to the original text
    norm_chars: list[str] = []
    index_map: list[int] = []
    for i, ch in enumerate(text):
        for out in normalise(ch):
            norm_chars.append(out)
            index_map.append(i)
    target = normalise(quote)
    found = "".join(norm_chars).find(target) if target else -1
    if found < 0:
        return None
    return index_map[found], index_map[found + len(target) - 1] + 1


def highlight(text: str, quote: str) -> tuple[str, bool]:
    """Escaped text with the quote wrapped in <mark>; whether it was found."""
    span = _quote_span(text, quote)
    if span is None:
        return esc(text), False
    start, end = span
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}", True


def source_card(citation: Citation, chunk: Chunk | None) -> str:
    """One cited passage: document, region, year, section, the passage with the quote highlighted."""
    section = citation.section or (chunk.section if chunk else "")
    head = (
        f'<div class="src-head"><span class="src-n">[{citation.n}]</span> '
        f'<span class="src-doc">{esc(citation.title or citation.doc)}</span></div>'
        f'<div class="src-meta">{esc(_where(citation))}'
        f'{" · " + esc(section) if section else ""}</div>'
    )
    if chunk is None:
        body = f'<div class="src-text"><mark>{esc(citation.quote)}</mark></div>' \
               '<div class="src-note">原文段落已不在索引中（文档可能已被删除），仅显示引文。</div>'
    else:
        marked, found = highlight(chunk.text, citation.quote)
        body = f'<div class="src-text">{marked}</div>'
        if not found:
            body += f'<div class="src-note">引文：<mark>{esc(citation.quote)}</mark></div>'
        if chunk.masked:
            body += '<div class="src-note">注意：本段含被隐去的数字（如 *** 或 XX）。</div>'
    return f'<div class="src-card">{head}{body}</div>'


def source_panel_empty() -> str:
    return '<div class="src-empty">点击回答中的 [n] 角标，在这里查看引用的原文段落。</div>'


def citation_overview(answer: Answer, answer_no: int) -> str:
    """After an answer: the list of its citations, each a link that opens the full passage."""
    if not answer.citations:
        note = "本回答没有引用来源。" if not answer.abstained else "报告中未找到依据，未给出数字。"
        return f'<div class="src-empty">{note}</div>'
    items = "".join(
        f'<li><a href="{cite_href(answer_no, c.n)}">[{c.n}]</a> {esc(c.title or c.doc)}'
        f' <span class="src-meta">{esc(_where(c))}{" · " + esc(c.section) if c.section else ""}</span>'
        f'<div class="src-quote">{esc(c.quote)}</div></li>'
        for c in answer.citations
    )
    return f'<div class="src-list"><div class="src-title">本回答的来源（点击查看原文）</div><ol>{items}</ol></div>'


def table_html(headers: list[str], rows: Iterable[Iterable[object]], empty: str = "暂无数据") -> str:
    rows = [list(r) for r in rows]
    if not rows:
        return f'<div class="src-empty">{esc(empty)}</div>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="govqa-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


_KEY_COLUMNS = ("地区", "年份", "指标")
_MISSING = ("", "—", "-", "报告未给出", "未找到", "未提及")


def cited_column(row: dict[str, str], value_keys: list[str]) -> int | None:
    """The column of a comparison row its citation marks go on: the first figure the row has (数值
    before 增速 …), never a missing cell."""
    for i, key in enumerate(value_keys):
        if key not in _KEY_COLUMNS and str(row.get(key, "")).strip() not in _MISSING:
            return i
    return None


def table_indicator(name: str) -> str:
    """One name per indicator in a comparison ("生产总值", "2022年地区生产总值" -> 地区生产总值)."""
    bare = re.sub(r"^\d{4}年", "", name.strip())
    return canonical_indicator(bare) or bare


def compare_html(answer: Answer, chunks: dict[str, Chunk]) -> str:
    """The comparison result: a table with a citation per cell (or the answer text), then the sources."""
    by_n = {c.n: c for c in answer.citations}
    parts: list[str] = []
    if answer.table:
        headers = list(answer.table[0].keys())
        value_keys = [h for h in headers if h != "出处"]
        rows = []
        for row in answer.table:
            ns = [int(n) for n in _MARKER.findall(row.get("出处", ""))]
            marks = "".join(f'<sup class="cell-cite">[{n}]</sup>' for n in ns)
            cite = "<br>".join(
                f'[{n}] {esc(by_n[n].title or by_n[n].doc)}'
                f'<span class="src-meta"> · {esc(by_n[n].section or _where(by_n[n]))}</span>'
                if n in by_n else esc(f"[{n}]")
                for n in ns
            ) or "—"
            shown = {**row, "指标": table_indicator(row["指标"])} if "指标" in row else row
            cells = [esc(shown.get(k, "")) for k in value_keys]
            target = cited_column(row, value_keys)
            if target is not None:
                cells[target] += marks
            rows.append(cells + [cite])
        parts.append(table_html(value_keys + ["出处"], rows))
    else:
        parts.append(f'<div class="cmp-text">{esc(answer.answer)}</div>')
    if answer.table:
        parts.append(f'<div class="cmp-text">{esc(answer.answer)}</div>')
    if answer.citations:
        parts.append("".join(source_card(c, chunks.get(c.chunk_id)) for c in answer.citations))
    return "".join(parts)


def progress_html(fraction: float, message: str, done: bool = False, error: str | None = None) -> str:
    if error:
        return f'<div class="ingest-status error">示例报告导入失败：{esc(error)}</div>'
    if done:
        return f'<div class="ingest-status done">{esc(message)}</div>'
    pct = max(0, min(100, int(round(fraction * 100))))
    return (
        f'<div class="ingest-status running">首次启动：正在导入示例报告 {pct}%'
        f' <progress max="100" value="{pct}"></progress> <span class="src-meta">{esc(message)}</span>'
        "<br>导入完成后即可提问。</div>"
    )


CSS = """
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  margin-bottom: 10px; background: var(--background-fill-secondary); }
.src-head { font-weight: 600; }
.src-n { color: var(--color-accent); }
.src-meta { color: var(--body-text-color-subdued); font-size: 0.9em; }
.src-text { margin-top: 6px; line-height: 1.7; white-space: pre-wrap; }
.src-text mark, .src-note mark { background: #ffe58f; padding: 0 2px; }
.src-note { margin-top: 6px; font-size: 0.9em; color: var(--body-text-color-subdued); }
.src-empty { color: var(--body-text-color-subdued); padding: 8px; }
.src-title { font-weight: 600; margin-bottom: 4px; }
.src-list ol { padding-left: 1.2em; }
.src-list li { margin-bottom: 8px; }
.src-quote { font-size: 0.9em; color: var(--body-text-color-subdued); }
.govqa-table { border-collapse: collapse; width: 100%; margin: 8px 0; }
.govqa-table th, .govqa-table td { border: 1px solid var(--border-color-primary); padding: 6px 8px;
  vertical-align: top; text-align: left; }
.cell-src { font-size: 0.85em; color: var(--body-text-color-subdued); margin-top: 4px; }
.cmp-text { white-space: pre-wrap; margin: 8px 0; }
.ingest-status { padding: 6px 10px; border-radius: 6px; }
.ingest-status.running { background: #fff7e6; }
.ingest-status.done { background: #f6ffed; }
.ingest-status.error { background: #fff1f0; }
.ingest-status progress { width: 200px; vertical-align: middle; }
#chat a[href^="#cite-"] { text-decoration: none; font-weight: 600; }
.upload-status { padding: 4px 2px; color: var(--body-text-color-subdued); }
.confirm-remove { padding: 8px 10px; border-radius: 6px; background: #fff7e6; border: 1px solid #ffd591; }
.table-error { padding: 8px 10px; border-radius: 6px; background: #fff1f0; color: #a8071a; }
"""

# A click on any "#cite-<answer>-<n>" link (in the chat or in the source list) opens that passage:
# the key goes into a hidden textbox and a hidden button fires the server-side handler.
HEAD = """
<script>
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest('a[href*="#cite-"]') : null;
  if (!link) { return; }
  event.preventDefault();
  event.stopPropagation();
  var key = link.getAttribute("href").split("#cite-")[1];
  var box = document.querySelector("#cite-key textarea, #cite-key input");
  var button = document.querySelector("#cite-go");
  if (!box || !button) { return; }
  var setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(box), "value").set;
  setter.call(box, key);
  box.dispatchEvent(new Event("input", { bubbles: true }));
  setTimeout(function () { button.click(); }, 30);
}, true);
// gradio 6 titles its toasts with the English message type ("Error"), not with gr.Error's title:
// put the Chinese word in its place
var TOAST_TITLES = {Error: "错误", Warning: "注意", Info: "提示", Success: "完成"};
new MutationObserver(function () {
  document.querySelectorAll(".toast-title").forEach(function (title) {
    var text = title.firstChild;
    var zh = text && text.nodeType === 3 ? TOAST_TITLES[text.nodeValue.trim()] : null;
    if (zh) { text.nodeValue = zh + " "; }
  });
}).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
</script>
"""
