"""The UI's event handlers around one QAService (class App); the layout that wires them is bot.ui.app."""

from __future__ import annotations

import csv
import logging
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import gradio as gr
import pandas as pd

from bot.answer.conflicts import record_conflicts
from bot.bounds import BUSY_MESSAGE
from bot.gate import Busy, Gate
from bot.models import Answer, Citation
from bot.service import QAService
from bot.settings import PROJECT_ROOT, Settings
from bot.ui import conversation, eval_tab
from bot.ui import indicators as indicator_view
from bot.ui import messages as msg
from bot.ui.documents import DOC_HEADERS, doc_label, doc_row, is_bundled, kind_choice, region_choice
from bot.ui.inputs import ALL, compare_question, parse_filters, parse_history, parse_year
from bot.ui.render import (
    STATUS_LABELS,
    answer_markdown,
    carried_regions,
    citation_overview,
    compare_html,
    esc,
    md_escape,
    source_card,
    source_panel_empty,
)
from bot.ui.startup import StartupState
from bot.ui.table import TableHandlers
from bot.ui.upload import (
    KEEP,
    REPLACE,
    RESULT_HEADERS,
    discard_uploads,
    name_clashes,
    outcome_row,
    status_html,
    upload_inputs,
)
from ingest.index_errors import IndexError_
from ingest.models import Indicator
from ingest.pipeline import Overrides, ingest_paths
from ingest.regions import display_name

log = logging.getLogger(__name__)

DEV_SET = PROJECT_ROOT / "eval" / "sets" / "dev.jsonl"
DEV_SET_LABEL = "内置开发集（eval/sets/dev.jsonl）"
UPLOAD_SET_LABEL = "上传 JSONL 文件"
SUPPORTED_SUFFIXES = (".txt", ".docx", ".pdf")
FAILURE_HEADERS = ["编号", "类型", "问题", "期望要点", "系统回答", "原因"]
QUEUED = "另一个导入正在进行，已排队等待…"

def note_html(text: str) -> str:
    return f'<div class="src-empty">{esc(text)}</div>'


class App:
    """Event handlers around one QAService (kept in a class so the tests can reach them)."""

    def __init__(self, service: QAService, settings: Settings, startup: StartupState) -> None:
        self.service = service
        self.settings = settings
        self.startup = startup
        self.ingest_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self.upload_runs = 0  # numbers the uploads' completion signals (upload.status_html)
        self.gate = Gate(settings.concurrency, settings.max_waiting, settings.max_wait_s)
        self.tmp = Path(tempfile.mkdtemp(prefix="govqa-ui-"))
        self.table = TableHandlers(service, startup, self.tmp)

    # ---- index lookups ----
    def choices(self) -> tuple[list, list, list]:
        """The chat filters' choices: regions (labelled), years, kinds (labelled)."""
        store = self.service.store
        titles = store.doc_titles()
        return ([ALL, *(region_choice(r, titles) for r in store.regions())], [ALL, *(str(y) for y in store.years())],
                [ALL, *(kind_choice(k) for k in store.kinds())])

    def filter_updates(self) -> tuple[dict, ...]:
        """New choices for: the chat filters, the 指标 region, the document picker, then the table's
        regions, scope and years and the targets' year."""
        regions, years, kinds = self.choices()
        docs = [(doc_label(d), d.doc) for d in self.service.store.list_docs()]
        return (
            gr.update(choices=regions), gr.update(choices=years), gr.update(choices=kinds),
            gr.update(choices=regions), gr.update(choices=docs, value=None), *self.table.choice_updates(),
        )

    def banner(self) -> str:
        """The banner above the tabs: the start-up progress, then what the index holds (refreshed after
        every upload and removal)."""
        if not self.startup.ready.is_set() or self.startup.error:
            return self.startup.html()
        docs = self.service.store.list_docs()
        counts = msg.INDEX_COUNTS.format(docs=len(docs), chunks=sum(d.chunks for d in docs))
        return self.startup.html() + f'<div class="ingest-status done" id="index-counts">{esc(counts)}</div>'

    def docs_table(self) -> pd.DataFrame:
        return pd.DataFrame([doc_row(d) for d in self.service.store.list_docs()], columns=DOC_HEADERS)

    # ---- chat ----
    def _wait_ready(self, display: list[dict]) -> Iterator[list[dict]]:
        while not self.startup.ready.wait(1.0):
            pct = int(self.startup.fraction * 100)
            display[-1]["content"] = f"示例报告还在导入（{pct}%），导入完成后会自动回答，请稍候…"
            yield display

    def respond(self, message: str, display: list[dict], exchanges: list[dict], region: str, year: str, kind: str,
                conversation_id: str | None, saved: dict | None) -> Iterator[tuple]:
        """Answer a question in the chat. Yields (question box, chat, exchanges, source panel, conversation
        id, saved conversations, history list, retry button, retry state); the last yield saves the
        conversation in the browser."""
        yield from self._answer(message, display, exchanges, parse_filters(region, year, kind),
                                conversation.turns_of(exchanges), conversation_id, saved)

    def retry_unscoped(self, retry: dict | None, display: list[dict], exchanges: list[dict],
                       conversation_id: str | None, saved: dict | None) -> Iterator[tuple]:
        """The button under an answer that found nothing under filters or a carried-over region: the
        same question without the filters, and, when a region was carried over, without the history.
        The answer that found nothing is left out of the history: it names the region it was limited to,
        which the question would carry over again."""
        retry = retry or {}
        history = [] if retry.get("carried") else conversation.turns_of(exchanges[:-1])
        yield from self._answer(str(retry.get("question", "")), display, exchanges, (None, None, None), history,
                                conversation_id, saved)

    def _answer(self, message: str, display: list[dict], exchanges: list[dict],
                filters: tuple[str | None, int | None, str | None], history: list[dict],
                conversation_id: str | None, saved: dict | None) -> Iterator[tuple]:
        question = (message or "").strip()
        keep = gr.update()
        hide_retry = (gr.update(visible=False), None)
        if not question:
            yield keep, display, exchanges, keep, conversation_id, keep, keep, *hide_retry
            return

        def show(text: str) -> tuple:
            display[-1]["content"] = text
            return "", display, exchanges, keep, conversation_id, keep, keep, *hide_retry

        display = [*display, {"role": "user", "content": md_escape(question)},
                   {"role": "assistant", "content": "正在检索并核对来源…"}]
        yield show(display[-1]["content"])
        for _ in self._wait_ready(display):
            yield show(display[-1]["content"])
        if self.startup.error:
            yield show(md_escape(msg.INDEX_UNAVAILABLE.format(reason=self.startup.error)))
            return
        r, y, k = filters
        answer: Answer | None = None
        try:
            with self.gate.slot():
                for part in self.service.ask_stream(question, history, r, y, k):
                    if isinstance(part, Answer):
                        answer = part
                    else:
                        yield show(md_escape(part))
        except Busy:
            yield show(BUSY_MESSAGE)
            return
        except Exception as exc:
            log.exception("answering failed")
            yield show(md_escape(msg.ANSWER_FAILED.format(reason=msg.problem_text(exc))))
            return
        if answer is None:
            yield show(msg.NO_ANSWER)
            return
        scope = conversation.Scope(region=r, region_label=display_name(r) if r else None, year=y, kind=k,
                                   carried=carried_regions(answer.answer))
        answer_no = len(exchanges)
        exchanges = [*exchanges, conversation.exchange(question, answer, scope)]
        display[-1]["content"] = answer_markdown(answer, answer_no, scope)
        conversation_id, saved = conversation.save(saved, conversation_id, exchanges)
        retry = hide_retry
        if answer.abstained and (scope.has_filters or scope.carried):
            label = msg.RETRY_WITHOUT_CARRIED if scope.carried else msg.RETRY_WITHOUT_FILTERS
            retry = (gr.update(visible=True, value=label), {"question": question, "carried": bool(scope.carried)})
        yield ("", display, exchanges, citation_overview(answer, answer_no), conversation_id, saved,
               gr.update(choices=conversation.history_choices(saved), value=conversation_id), *retry)

    def show_source(self, key: str, exchanges: list[dict]) -> str:
        try:
            answer_no, n = (int(p) for p in (key or "").strip().split("-", 1))
            answer = conversation.exchanges_of(exchanges)[answer_no].parsed()
        except (ValueError, IndexError):
            return source_panel_empty()
        citation: Citation | None = next((c for c in answer.citations if c.n == n), None)
        if citation is None:
            return source_panel_empty()
        chunk = self.service.store.chunks_by_ids([citation.chunk_id]).get(citation.chunk_id)
        return source_card(citation, chunk) + citation_overview(answer, answer_no)

    # ---- conversations kept in the browser ----
    def _opened(self, found: conversation.Conversation | None, saved: dict | None) -> tuple:
        """(chat, exchanges, conversation id, source panel, history list, retry button) showing one saved
        conversation."""
        items = [e.model_dump() for e in found.exchanges] if found else []
        last = found.exchanges[-1].parsed() if found and found.exchanges else None
        source = citation_overview(last, len(items) - 1) if last else source_panel_empty()
        return (conversation.display_of(items), items, found.id if found else None, source,
                gr.update(choices=conversation.history_choices(saved), value=found.id if found else None),
                gr.update(visible=False))

    def restore(self, saved: dict | None) -> tuple:
        """On page load: the conversation that was open, and the list of saved ones."""
        return self._opened(conversation.current(saved), saved)

    def reopen(self, conversation_id: str | None, saved: dict | None) -> tuple:
        """A click in 历史对话: that conversation, now the current one. (…, saved conversations)"""
        found = conversation.find(saved, conversation_id)
        saved = conversation.with_current(saved, found.id if found else None)
        return (*self._opened(found, saved), saved)

    def new_conversation(self, saved: dict | None) -> tuple:
        """新对话: an empty chat; the one before stays in 历史对话. (question box, …, saved conversations)"""
        saved = conversation.with_current(saved, None)
        return ("", *self._opened(None, saved), saved)

    def forget_conversation(self, conversation_id: str | None, saved: dict | None) -> tuple:
        """The chat's own clear button: the conversation is deleted from 历史对话 too."""
        saved = conversation.forget(saved, conversation_id)
        return ("", *self._opened(None, saved), saved)

    # ---- compare ----
    def ask_compare(self, regions: list[str] | None, indicators: list[str] | None, years: list[str] | None,
                    question: str) -> str:
        """The 对比 tab's question box: the first indicator picked, the year when exactly one is picked."""
        first = next(iter(indicators or []), None)
        year = next(iter(years or []), None) if len(years or []) == 1 else None
        return self.compare(regions, first, year, question)

    def compare(self, regions: list[str] | None, indicator: str | None, year: str | None, question: str) -> str:
        """A compare question answered as text and a small cited table (the question typed, else one made
        from the regions and the first indicator picked above)."""
        question = (question or "").strip()
        regions = [r for r in (regions or []) if r and r != ALL]
        if not question:
            if len(regions) < 2 or not indicator:
                return '<div class="src-empty">请输入对比问题，或在上方选择至少两个地区和一个指标。</div>'
            question = compare_question(regions, indicator, year)
        if not self.startup.ready.is_set():
            return '<div class="src-empty">示例报告还在导入，请稍后再试。</div>'
        _, y, _ = parse_filters(None, year)
        try:
            with self.gate.slot():
                answer = self.service.ask(question, [], None, y)
        except Busy:
            return f'<div class="src-empty">{BUSY_MESSAGE}</div>'

        ids = [c.chunk_id for c in answer.citations]
        chunks = self.service.store.chunks_by_ids(ids)
        return f'<div class="src-title">问题：{esc(question)}</div>' + compare_html(answer, chunks)

    # ---- indicators ----
    def indicators(self, region: str | None, status_label: str | None) -> tuple:
        """(table, note, CSV file, the records shown, source panel)."""
        r, _, _ = parse_filters(region, None)
        status = next((k for k, v in STATUS_LABELS.items() if v == status_label), None)
        records = self.service.store.indicators(r, None, status)
        disputed = record_conflicts(records)
        titles = self.service.store.doc_titles()
        order = indicator_view.ordered(records)
        shown = [records[i] for i in order]
        rows = [indicator_view.table_row(records[i], titles.get(records[i].doc, records[i].doc), i in disputed)
                for i in order]
        path = self.tmp / f"指标-{uuid.uuid4().hex[:8]}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(indicator_view.CSV_HEADERS)
            writer.writerows(indicator_view.csv_row(records[i], titles.get(records[i].doc, records[i].doc),
                                                    i in disputed) for i in order)
        note = "" if rows else '<div class="src-empty">暂无指标记录</div>'
        return (pd.DataFrame(rows, columns=indicator_view.HEADERS), note, gr.update(value=str(path)),
                [r.model_dump() for r in shown], indicator_view.HINT)

    def indicator_source(self, records: list[dict] | None, evt: gr.SelectData) -> str:
        """A click on a row of 指标记录: its quote inside its passage."""
        index = getattr(evt, "index", None)
        row = index[0] if isinstance(index, (list, tuple)) and index else index
        if not isinstance(row, int) or not 0 <= row < len(records or []):
            return indicator_view.HINT
        record = Indicator.model_validate(records[row])
        chunk = self.service.store.chunks_by_ids([record.chunk_id]).get(record.chunk_id)
        title = self.service.store.doc_titles().get(record.doc, record.doc)
        return indicator_view.source_html(record, title, chunk)

    # ---- documents ----
    @contextmanager
    def write_session(self, tell: Callable[[str], None] | None = None) -> Iterator[None]:
        """One UI write at a time, holding the index's write lock. While another upload or another
        process (a CLI ingest) writes, tell the user that this one is queued; questions are answered
        meanwhile (readers take no lock)."""
        wait_s = self.settings.ui_write_lock_wait_s

        def queued() -> None:
            if tell is not None:
                tell(QUEUED)

        if not self.ingest_lock.acquire(blocking=False):
            queued()
            if not self.ingest_lock.acquire(timeout=wait_s):
                raise msg.error(msg.UPLOAD_BUSY)
        try:
            with ExitStack() as session:
                try:
                    session.enter_context(self.service.store.writing(wait_s, queued))
                except IndexError_ as exc:
                    raise msg.error(exc.zh) from exc
                yield
        finally:
            self.ingest_lock.release()

    def upload(self, files: list[str] | None, region: str, year: str | float | None,
               progress: gr.Progress = gr.Progress()) -> tuple:
        """导入: ingest the chosen files, or, when a name is already in the index, ask what to do."""
        return self._upload(files, region, year, None, progress)

    def upload_replace(self, files: list[str] | None, region: str, year: str | float | None,
                       progress: gr.Progress = gr.Progress()) -> tuple:
        return self._upload(files, region, year, REPLACE, progress)

    def upload_keep(self, files: list[str] | None, region: str, year: str | float | None,
                    progress: gr.Progress = gr.Progress()) -> tuple:
        return self._upload(files, region, year, KEEP, progress)

    def _upload(self, files: list[str] | None, region: str, year: str | float | None, choice: str | None,
                progress: gr.Progress) -> tuple:
        paths = [Path(f if isinstance(f, str) else getattr(f, "name", str(f))) for f in (files or [])]
        if not paths:
            raise msg.error(msg.UPLOAD_NOTHING)
        if not self.startup.ready.is_set():
            raise msg.error(msg.UPLOAD_WHILE_STARTING)
        existing = {d.doc for d in self.service.store.list_docs()}
        clashes = name_clashes(paths, existing)
        if clashes and choice is None:
            rows = [[p.name, "待确认", msg.UPLOAD_CLASH] for p in clashes]
            return (pd.DataFrame(rows, columns=RESULT_HEADERS), self.docs_table(), self.banner(),
                    status_html(rows, self._next_upload_run(), "asking"), *self.filter_updates(), gr.update(),
                    gr.update(visible=True))
        try:
            year_value = parse_year(year)
        except ValueError:
            raise msg.error(msg.UPLOAD_BAD_YEAR.format(year=year)) from None
        overrides = Overrides(region=(region or "").strip() or None, year=year_value)
        results: list[list[str]] = []
        s = self.settings
        with self.write_session(lambda message: progress(0.0, desc=message)):
            existing = {d.doc for d in self.service.store.list_docs()}
            inputs = upload_inputs(paths, existing, keep_both=choice == KEEP)
            for index, (path, item) in enumerate(inputs):
                def tell(fraction: float, message: str, _i: int = index, _name: str = path.name) -> None:
                    progress((_i + fraction) / len(inputs), desc=f"{_name}：{msg.progress_step(message)}")

                tell(0.0, "reading")
                if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    results.append([path.name, "失败", msg.UPLOAD_UNSUPPORTED])
                    continue
                try:
                    # searchable at once by BM25 and facts; the vectors follow in the background
                    report = ingest_paths([item], self.service.store, overrides, s.chunk_min, s.chunk_max,
                                          s.chunk_overlap, s.embed_batch, progress=tell, defer_vectors=True,
                                          **s.load_limits())
                except Exception as exc:
                    log.exception("upload ingest failed for %s", path)
                    results.append([path.name, "失败", msg.problem_text(exc)])
                    continue
                results.append(outcome_row(path.name, item.doc, report))
        self.service.complete_vectors()
        discard_uploads(paths)  # the index keeps the text; the uploaded copies are not needed again
        progress(1.0, desc="完成")
        return (pd.DataFrame(results, columns=RESULT_HEADERS), self.docs_table(), self.banner(),
                status_html(results, self._next_upload_run(), "done"), *self.filter_updates(), gr.update(value=None),
                gr.update(visible=False))

    def _next_upload_run(self) -> int:
        with self._run_lock:
            self.upload_runs += 1
            return self.upload_runs

    def ask_remove(self, doc: str | None) -> tuple[str, dict, str | None]:
        """删除该文档: name the document and what goes, and show 确认删除 / 取消. (message, the
        confirmation row, the document waiting for confirmation)"""
        if not doc:
            raise msg.error(msg.PICK_A_DOC_FIRST)
        info = next((d for d in self.service.store.list_docs() if d.doc == doc), None)
        if info is None:
            return note_html(msg.NOT_IN_INDEX.format(doc=doc)), gr.update(visible=False), None
        question = msg.remove_question(info.title or info.doc, info.doc, info.chunks,
                                       is_bundled(info, self.settings.samples_dir))
        return f'<div class="confirm-remove" id="remove-question">{esc(question)}</div>', gr.update(visible=True), doc

    def cancel_remove(self) -> tuple[str, dict, None]:
        return note_html(msg.REMOVE_CANCELLED), gr.update(visible=False), None

    def remove(self, doc: str | None) -> tuple:
        """确认删除: remove the document asked about. (message, documents table, the pickers…, the
        confirmation row, the pending document)"""
        if not doc:
            raise msg.error(msg.PICK_A_DOC_FIRST)
        info = next((d for d in self.service.store.list_docs() if d.doc == doc), None)
        with self.write_session():
            removed = self.service.store.remove_document(doc)
        if removed and info is not None:
            message = msg.REMOVED.format(title=info.title or info.doc, chunks=info.chunks)
        else:
            message = msg.NOT_IN_INDEX.format(doc=doc)
        return (note_html(message), self.docs_table(), self.banner(), *self.filter_updates(), gr.update(visible=False), None)

    def preview(self, doc: str | None) -> str:
        if not doc:
            return '<div class="src-empty">选择一个文档查看它的段落。</div>'
        chunks = self.service.store.chunks_of(doc)
        if not chunks:
            return '<div class="src-empty">这个文档没有段落。</div>'
        shown = chunks[:30]
        cards = "".join(
            f'<div class="src-card"><div class="src-meta">第 {c.ordinal + 1} 段'
            f'{" · " + esc(c.section) if c.section else ""}{" · 含隐去数字" if c.masked else ""}</div>'
            f'<div class="src-text">{esc(c.text)}</div></div>'
            for c in shown
        )
        more = f'<div class="src-note">仅显示前 {len(shown)} 段，共 {len(chunks)} 段。</div>' if len(chunks) > 30 else ""
        return f'<div id="doc-preview-body">{cards}{more}</div>'

    # ---- eval ----
    def run_eval(self, choice: str, file: str | None, limit: float | None,
                 progress: gr.Progress = gr.Progress()) -> tuple:
        if not self.startup.ready.is_set():
            raise msg.error(msg.EVAL_WHILE_STARTING)
        path = DEV_SET if choice == DEV_SET_LABEL else (Path(file) if file else None)
        if path is None:
            raise msg.error(msg.EVAL_NEEDS_FILE)
        try:
            items = eval_tab.load_items(path)
        except (OSError, ValueError) as exc:
            raise msg.error(msg.EVAL_FILE_UNREADABLE.format(reason=exc if isinstance(exc, ValueError) else msg.problem_text(exc))) from exc
        if limit and int(limit) > 0:
            items = items[: int(limit)]
        progress(0.0, desc="开始评测")
        outcome = eval_tab.run(self.service, items, lambda f, m: progress(f, desc=f"评测中：{m}"))
        metrics = pd.DataFrame([[str(k), str(v)] for k, v in outcome.metrics], columns=["指标", "数值"])
        per_type = pd.DataFrame(outcome.per_type, columns=eval_tab.PER_TYPE_HEADERS)
        failures = pd.DataFrame(outcome.failures, columns=FAILURE_HEADERS)
        summary = f"已评测 {outcome.total} 题（{esc(path.name)}，评分：{esc(outcome.source)}），未通过 {len(outcome.failures)} 题。"
        return f'<div class="src-title">{summary}</div>', metrics, per_type, per_type, failures

    # ---- API ----
    def api_ask(self, question: str, history_json: str = "[]", region: str = "", year: str = "") -> dict:
        """Answer one question; history_json is a JSON list of {role, content}; returns the Answer JSON."""
        if not (question or "").strip():
            raise msg.error(msg.API_EMPTY_QUESTION)
        try:
            history = parse_history(history_json)
        except (ValueError, KeyError, TypeError) as exc:
            raise msg.error(msg.API_BAD_HISTORY) from exc
        if not self.startup.ready.wait(600):
            raise msg.error(msg.API_NOT_READY)
        r, y, _ = parse_filters(region, year)
        try:
            with self.gate.slot():
                return self.service.ask(question.strip(), history, r, y).to_json_dict()
        except Busy:
            raise msg.error(BUSY_MESSAGE, print_exception=False) from None
