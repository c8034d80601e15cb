"""The gradio side of the UI: the Blocks layout and its event handlers (built by bot.ui.build_app)."""

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

from bot import ui_eval
from bot.answer.conflicts import record_conflicts
from bot.auth import make_auth
from bot.bounds import BUSY_MESSAGE
from bot.gate import Busy, Gate
from bot.models import Answer, Citation
from bot.service import QAService
from bot.settings import PROJECT_ROOT, Settings
from bot.table.select import LEVELS
from bot.ui import ALL, StartupState, _compare_question, _filters, _parse_history, _translate
from bot.ui_render import (
    CSS,
    HEAD,
    STATUS_LABELS,
    answer_markdown,
    citation_overview,
    compare_html,
    esc,
    md_escape,
    source_card,
    source_panel_empty,
)
from bot.ui_table import (
    ANY,
    AUTO_YEAR,
    CELL_HINT,
    CHART_BY_LABELS,
    TABLE_COLUMN_WIDTHS,
    TABLE_DATATYPES,
    TABLE_HEADERS,
    TARGET_COLUMN_WIDTHS,
    TARGET_HEADERS,
    TARGET_HINT,
    TableHandlers,
)
from bot.ui_upload import (
    KEEP,
    REPLACE,
    discard_uploads,
    name_clashes,
    outcome_row,
    upload_inputs,
)
from ingest.index_errors import IndexError_
from ingest.pipeline import Overrides, ingest_paths
from ingest.terms import INDICATOR_SYNONYMS

log = logging.getLogger(__name__)

DEV_SET = PROJECT_ROOT / "eval" / "sets" / "dev.jsonl"
DEV_SET_LABEL = "内置开发集（eval/sets/dev.jsonl）"
UPLOAD_SET_LABEL = "上传 JSONL 文件"
SUPPORTED_SUFFIXES = (".txt", ".docx", ".pdf")
EXAMPLES = ("哪些指标未完成目标？", "云阳县和冠县哪个GDP增速更高？", "冠县2021年新增城镇就业多少人？", "那冠县呢？")
DOC_HEADERS = ["文档", "地区", "级别", "年份", "类型", "字数", "段落数", "含隐去数字的段落", "SHA-256"]
FAILURE_HEADERS = ["编号", "类型", "问题", "期望要点", "系统回答", "原因"]
INDICATOR_HEADERS = ["地区", "年份", "指标", "数值", "增速(%)", "目标", "完成率(%)", "状态", "排名", "文档", "原文"]
QUEUED = "另一个导入正在进行，已排队等待…"

class App:
    """Event handlers around one QAService (kept in a class so the tests can reach them)."""

    def __init__(self, service: QAService, settings: Settings, startup: StartupState) -> None:
        self.service = service
        self.settings = settings
        self.startup = startup
        self.ingest_lock = threading.Lock()
        self.gate = Gate(settings.concurrency, settings.max_waiting, settings.max_wait_s)
        self.tmp = Path(tempfile.mkdtemp(prefix="govqa-ui-"))
        self.table = TableHandlers(service, startup, self.tmp)

    # ---- index lookups ----
    def choices(self) -> tuple[list[str], list[str], list[str]]:
        store = self.service.store
        return [ALL, *store.regions()], [ALL, *(str(y) for y in store.years())], [ALL, *store.kinds()]

    def filter_updates(self) -> tuple[dict, ...]:
        """New choices for: the chat filters, the 指标 region, the document picker, then the table's
        regions, scope and years and the targets' year."""
        regions, years, kinds = self.choices()
        docs = [d.doc for d in self.service.store.list_docs()]
        return (
            gr.update(choices=regions), gr.update(choices=years), gr.update(choices=kinds),
            gr.update(choices=regions), gr.update(choices=docs, value=None), *self.table.choice_updates(),
        )

    def docs_table(self) -> pd.DataFrame:
        rows = [[d.doc, d.region, d.level, d.year or "", d.kind, d.chars, d.chunks, d.masked_chunks, d.sha256[:12]]
                for d in self.service.store.list_docs()]
        return pd.DataFrame(rows, columns=DOC_HEADERS)

    # ---- chat ----
    def _wait_ready(self, display: list[dict]) -> Iterator[list[dict]]:
        while not self.startup.ready.wait(1.0):
            pct = int(self.startup.fraction * 100)
            display[-1]["content"] = f"示例报告还在导入（{pct}%），导入完成后会自动回答，请稍候…"
            yield display

    def respond(self, message: str, display: list[dict], turns: list[dict], answers: list[dict],
                region: str, year: str, kind: str) -> Iterator[tuple]:
        question = (message or "").strip()
        if not question:
            yield gr.update(), display, turns, answers, gr.update()
            return
        display = [*display, {"role": "user", "content": md_escape(question)},
                   {"role": "assistant", "content": "正在检索并核对来源…"}]
        yield "", display, turns, answers, gr.update()
        for waiting in self._wait_ready(display):
            yield "", waiting, turns, answers, gr.update()
        if self.startup.error:
            display[-1]["content"] = md_escape(f"索引不可用：{self.startup.error}")
            yield "", display, turns, answers, gr.update()
            return
        r, y, k = _filters(region, year, kind)
        answer: Answer | None = None
        try:
            with self.gate.slot():
                for part in self.service.ask_stream(question, turns, r, y, k):
                    if isinstance(part, Answer):
                        answer = part
                    else:
                        display[-1]["content"] = md_escape(part)
                        yield "", display, turns, answers, gr.update()
        except Busy:
            display[-1]["content"] = BUSY_MESSAGE
            yield "", display, turns, answers, gr.update()
            return
        except Exception as exc:
            log.exception("answering failed")
            display[-1]["content"] = md_escape(f"回答时出错：{exc}")
            yield "", display, turns, answers, gr.update()
            return
        if answer is None:
            display[-1]["content"] = "没有得到回答，请换个问法再试。"
            yield "", display, turns, answers, gr.update()
            return
        answer_no = len(answers)
        answers = [*answers, answer.to_json_dict()]
        turns = [*turns, {"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
        display[-1]["content"] = answer_markdown(answer, answer_no)
        yield "", display, turns, answers, citation_overview(answer, answer_no)

    def show_source(self, key: str, answers: list[dict]) -> str:
        try:
            answer_no, n = (int(p) for p in (key or "").strip().split("-", 1))
            answer = Answer.model_validate(answers[answer_no])
        except (ValueError, IndexError):
            return source_panel_empty()
        citation: Citation | None = next((c for c in answer.citations if c.n == n), None)
        if citation is None:
            return source_panel_empty()
        chunk = self.service.store.chunks_by_ids([citation.chunk_id]).get(citation.chunk_id)
        return source_card(citation, chunk) + citation_overview(answer, answer_no)

    # ---- compare ----
    def compare(self, regions: list[str] | None, indicator: str | None, year: str | None, question: str) -> str:
        """A compare question answered as text and a small cited table (the question typed, else one made
        from the regions and the first indicator picked above)."""
        question = (question or "").strip()
        regions = [r for r in (regions or []) if r and r != ALL]
        if not question:
            if len(regions) < 2 or not indicator:
                return '<div class="src-empty">请输入对比问题，或在上方选择至少两个地区和一个指标。</div>'
            question = _compare_question(regions, indicator, year)
        if not self.startup.ready.is_set():
            return '<div class="src-empty">示例报告还在导入，请稍后再试。</div>'
        _, y, _ = _filters(None, year)
        try:
            with self.gate.slot():
                answer = self.service.ask(question, [], None, y)
        except Busy:
            return f'<div class="src-empty">{BUSY_MESSAGE}</div>'

        ids = [c.chunk_id for c in answer.citations]
        chunks = self.service.store.chunks_by_ids(ids)
        return f'<div class="src-title">问题：{esc(question)}</div>' + compare_html(answer, chunks)

    # ---- indicators ----
    def indicators(self, region: str | None, status_label: str | None) -> tuple[pd.DataFrame, str, dict]:
        r, _, _ = _filters(region, None)
        status = next((k for k, v in STATUS_LABELS.items() if v == status_label), None)
        records = self.service.store.indicators(r, None, status)
        disputed = record_conflicts(records)
        rows = [[
            i.region, i.year or "", i.name,
            ("***（隐去）" if i.masked else (f"{i.value:g}{i.unit}" if i.value is not None else ""))
            + (" ⚠各文件不一致" if n in disputed else ""),
            "" if i.growth_pct is None else f"{i.growth_pct:g}", i.target_text,
            "" if i.completion_pct is None else f"{i.completion_pct:g}",
            STATUS_LABELS.get(i.status, i.status), i.rank_text, i.doc, i.quote,
        ] for n, i in enumerate(records)]
        frame = pd.DataFrame(rows, columns=INDICATOR_HEADERS)
        path = self.tmp / f"指标-{uuid.uuid4().hex[:8]}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(INDICATOR_HEADERS)
            writer.writerows(rows)
        note = "" if rows else '<div class="src-empty">暂无指标记录</div>'
        return frame, note, gr.update(value=str(path))

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
                raise gr.Error("另一个导入正在进行，请稍后再试")
        try:
            with ExitStack() as session:
                try:
                    session.enter_context(self.service.store.writing(wait_s, queued))
                except IndexError_ as exc:
                    raise gr.Error(exc.zh) from exc
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
            raise gr.Error("请先选择要上传的文件（.txt / .docx / .pdf）")
        if not self.startup.ready.is_set():
            raise gr.Error("示例报告还在导入，请稍后再上传")
        existing = {d.doc for d in self.service.store.list_docs()}
        clashes = name_clashes(paths, existing)
        if clashes and choice is None:
            rows = [[p.name, "待确认", "索引中已有同名文档：替换它，还是两个都保留？"] for p in clashes]
            frame = pd.DataFrame(rows, columns=["文件", "结果", "说明"])
            return (frame, self.docs_table(), *self.filter_updates(), gr.update(), gr.update(visible=True))
        overrides = Overrides(region=(region or "").strip() or None, year=int(year) if year else None)
        results: list[list[str]] = []
        s = self.settings
        with self.write_session(lambda message: progress(0.0, desc=message)):
            existing = {d.doc for d in self.service.store.list_docs()}
            inputs = upload_inputs(paths, existing, keep_both=choice == KEEP)
            for index, (path, item) in enumerate(inputs):
                def tell(fraction: float, message: str, _i: int = index, _name: str = path.name) -> None:
                    progress((_i + fraction) / len(inputs), desc=f"{_name}：{_translate(message)}")

                tell(0.0, "reading")
                if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    results.append([path.name, "失败", "不支持的文件类型（只支持 .txt / .docx / .pdf）"])
                    continue
                try:
                    # searchable at once by BM25 and facts; the vectors follow in the background
                    report = ingest_paths([item], self.service.store, overrides, s.chunk_min, s.chunk_max,
                                          s.chunk_overlap, s.embed_batch, progress=tell, defer_vectors=True,
                                          **s.load_limits())
                except Exception as exc:
                    log.exception("upload ingest failed for %s", path)
                    results.append([path.name, "失败", exc.zh if isinstance(exc, IndexError_) else str(exc)])
                    continue
                results.append(outcome_row(path.name, item.doc, report))
        self.service.complete_vectors()
        discard_uploads(paths)  # the index keeps the text; the uploaded copies are not needed again
        progress(1.0, desc="完成")
        frame = pd.DataFrame(results, columns=["文件", "结果", "说明"])
        return (frame, self.docs_table(), *self.filter_updates(), gr.update(value=None), gr.update(visible=False))

    def remove(self, doc: str | None) -> tuple:
        if not doc:
            raise gr.Error("请先选择要删除的文档")
        with self.write_session():
            removed = self.service.store.remove_document(doc)
        message = f"已删除：{doc}" if removed else f"索引中没有这个文档：{doc}"
        return (f'<div class="src-empty">{esc(message)}</div>', self.docs_table(), *self.filter_updates())

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
            raise gr.Error("示例报告还在导入，请稍后再评测")
        path = DEV_SET if choice == DEV_SET_LABEL else (Path(file) if file else None)
        if path is None:
            raise gr.Error("请上传 JSONL 评测文件")
        try:
            items = ui_eval.load_items(path)
        except (OSError, ValueError) as exc:
            raise gr.Error(f"评测文件无法读取：{exc}") from exc
        if limit and int(limit) > 0:
            items = items[: int(limit)]
        progress(0.0, desc="开始评测")
        outcome = ui_eval.run(self.service, items, lambda f, m: progress(f, desc=f"评测中：{m}"))
        metrics = pd.DataFrame([[str(k), str(v)] for k, v in outcome.metrics], columns=["指标", "数值"])
        per_type = pd.DataFrame(outcome.per_type, columns=["类型", "题数", "正确", "准确率"])
        failures = pd.DataFrame(outcome.failures, columns=FAILURE_HEADERS)
        summary = f"已评测 {outcome.total} 题（{esc(path.name)}，评分：{esc(outcome.source)}），未通过 {len(outcome.failures)} 题。"
        return f'<div class="src-title">{summary}</div>', metrics, per_type, per_type, failures

    # ---- API ----
    def api_ask(self, question: str, history_json: str = "[]", region: str = "", year: str = "") -> dict:
        """Answer one question; history_json is a JSON list of {role, content}; returns the Answer JSON."""
        if not (question or "").strip():
            raise gr.Error("question is empty")
        try:
            history = _parse_history(history_json)
        except (ValueError, KeyError, TypeError) as exc:
            raise gr.Error(f"bad history_json: {exc}") from exc
        if not self.startup.ready.wait(600):
            raise gr.Error("index not ready")
        r, y, _ = _filters(region, year)
        try:
            with self.gate.slot():
                return self.service.ask(question.strip(), history, r, y).to_json_dict()
        except Busy:
            raise gr.Error(BUSY_MESSAGE, print_exception=False) from None


# ---- layout ----------------------------------------------------------------------------------
def build_app(service: QAService, settings: Settings, startup: StartupState | None = None) -> gr.Blocks:
    startup = startup or StartupState.already_ready()
    app = App(service, settings, startup)
    undocumented = {"api_visibility": "undocumented"}

    with gr.Blocks(title="政府报告问答") as demo:
        gr.Markdown("## 政府报告问答 · 每个答案都附原文出处")
        status = gr.HTML(startup.html(), elem_id="startup-status")
        timer = gr.Timer(1.0, active=not startup.ready.is_set())
        with gr.Tabs():
            with gr.Tab("对话", id="chat-tab"):
                with gr.Row():
                    region_dd = gr.Dropdown([ALL], value=ALL, label="地区", scale=1, elem_id="filter-region")
                    year_dd = gr.Dropdown([ALL], value=ALL, label="年份", scale=1, elem_id="filter-year")
                    kind_dd = gr.Dropdown([ALL], value=ALL, label="文档类型", scale=1, elem_id="filter-kind")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label="对话", elem_id="chat", height=520, sanitize_html=True, render_markdown=True,
                            allow_tags=False, latex_delimiters=[], feedback_options=None, buttons=["copy"],
                            placeholder="请输入问题，例如：云阳县2022年地区生产总值是多少？",
                        )
                        with gr.Row():
                            msg = gr.Textbox(placeholder="输入问题，回车发送", show_label=False, scale=5,
                                             elem_id="question")
                            send = gr.Button("发送", variant="primary", scale=1, elem_id="send")
                        with gr.Row():
                            example_buttons = [gr.Button(q, size="sm", elem_classes=["example-q"]) for q in EXAMPLES]
                        clear = gr.Button("清空对话", size="sm", elem_id="clear")
                    with gr.Column(scale=2):
                        gr.Markdown("#### 来源原文")
                        source = gr.HTML(source_panel_empty(), elem_id="source-panel")
                turns = gr.State([])
                answers = gr.State([])
                cite_key = gr.Textbox(visible="hidden", elem_id="cite-key")
                cite_go = gr.Button("查看来源", visible="hidden", elem_id="cite-go")

            with gr.Tab("对比", id="compare-tab"):
                with gr.Row():
                    cmp_regions = gr.Dropdown([], multiselect=True, filterable=True, allow_custom_value=True,
                                              label="地区（可多选，可搜索）", scale=3, elem_id="cmp-regions")
                    cmp_level = gr.Dropdown([ANY, *LEVELS], value=ANY, label="层级（该层级的全部地区）", scale=1,
                                            elem_id="cmp-level")
                    cmp_within = gr.Dropdown([ANY], value=ANY, filterable=True, allow_custom_value=True,
                                             label="范围（在…之内）", scale=1, elem_id="cmp-within")
                with gr.Row():
                    cmp_indicators = gr.Dropdown(list(INDICATOR_SYNONYMS), value=["地区生产总值"], multiselect=True,
                                                 filterable=True, allow_custom_value=True,
                                                 label="指标（可多选，可搜索或输入）", scale=3, elem_id="cmp-indicators")
                    cmp_years = gr.Dropdown([], multiselect=True, allow_custom_value=True, scale=2,
                                            label="年份（可多选，或输入 2023-2025；留空为最近一年）", elem_id="cmp-years")
                cmp_go = gr.Button("生成对比表", variant="primary", elem_id="cmp-go")
                cmp_msg = gr.HTML('<div class="src-empty">选择地区（或层级、范围）和指标，生成每格都带原文出处的对比表。</div>',
                                  elem_id="cmp-msg")
                cmp_state = gr.State({})
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2):
                        cmp_table = gr.Dataframe(headers=TABLE_HEADERS, datatype=TABLE_DATATYPES, interactive=False,
                                                 wrap=True, max_height=560, column_widths=TABLE_COLUMN_WIDTHS,
                                                 label="对比表（表头 ⋮ 排序，点击一行查看出处）", show_search="search",
                                                 elem_id="cmp-table")
                        with gr.Row():
                            cmp_csv = gr.DownloadButton("下载 CSV", size="sm", interactive=False, elem_id="cmp-csv")
                            cmp_xlsx = gr.DownloadButton("下载 Excel", size="sm", interactive=False, elem_id="cmp-xlsx")
                        cmp_cell = gr.HTML(CELL_HINT, elem_id="cmp-cell")
                    with gr.Column(scale=1):
                        with gr.Row():
                            cmp_chart_indicator = gr.Dropdown([], label="图表指标", elem_id="cmp-chart-indicator")
                            cmp_chart_year = gr.Dropdown([], label="图表年份（柱状图）", elem_id="cmp-chart-year")
                            cmp_chart_by = gr.Radio(list(CHART_BY_LABELS), value="增速", label="图表数值",
                                                    elem_id="cmp-chart-by")
                        cmp_chart = gr.Plot(label="图表", show_label=False, format="png", elem_id="cmp-chart")
                with gr.Accordion("全部出处（每格的文档与原文）", open=False):
                    cmp_sources = gr.HTML("", elem_id="cmp-sources")
                gr.Markdown("#### 或直接提问对比")
                with gr.Row():
                    cmp_question = gr.Textbox(label="对比问题（用问答方式回答，附引文）", scale=5,
                                              placeholder="例如：云阳县和冠县哪个GDP增速更高？", elem_id="cmp-question")
                    cmp_ask = gr.Button("提问", scale=1, elem_id="cmp-ask")
                cmp_out = gr.HTML("", elem_id="cmp-out")

            with gr.Tab("指标", id="indicator-tab"), gr.Tabs():
                with gr.Tab("指标记录", id="indicator-records"):
                    with gr.Row():
                        ind_region = gr.Dropdown([ALL], value=ALL, label="地区")
                        ind_status = gr.Dropdown([ALL, *STATUS_LABELS.values()], value=ALL, label="完成状态")
                        ind_refresh = gr.Button("刷新", scale=0)
                    ind_note = gr.HTML("")
                    ind_table = gr.Dataframe(headers=INDICATOR_HEADERS, interactive=False, wrap=True,
                                             label="指标记录", elem_id="indicator-table")
                    ind_csv = gr.DownloadButton("下载 CSV", size="sm")
                with gr.Tab("各地区目标完成情况", id="targets-tab"):
                    with gr.Row():
                        tgt_indicator = gr.Dropdown(list(INDICATOR_SYNONYMS), value="地区生产总值",
                                                    filterable=True, allow_custom_value=True, label="指标",
                                                    elem_id="tgt-indicator")
                        tgt_year = gr.Dropdown([AUTO_YEAR], value=AUTO_YEAR, allow_custom_value=True,
                                               label="年份（自动：目标与实际都有的地区最多的年份）", elem_id="tgt-year")
                        tgt_level = gr.Dropdown([ANY, *LEVELS], value=ANY, label="层级", elem_id="tgt-level")
                        tgt_go = gr.Button("查看", variant="primary", scale=0, elem_id="tgt-go")
                    tgt_note = gr.HTML('<div class="src-empty">选择指标和年份，查看各地区的目标、实际与完成状态。</div>',
                                       elem_id="tgt-note")
                    tgt_state = gr.State([])
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=3):
                            tgt_table = gr.Dataframe(headers=TARGET_HEADERS, interactive=False, wrap=True,
                                                     max_height=560, column_widths=TARGET_COLUMN_WIDTHS,
                                                     label="目标与实际（点击一行查看出处）",
                                                     elem_id="tgt-table")
                            tgt_csv = gr.DownloadButton("下载 CSV", size="sm", elem_id="tgt-csv")
                        with gr.Column(scale=2):
                            tgt_detail = gr.HTML(TARGET_HINT, elem_id="tgt-detail")

            with gr.Tab("文档", id="docs-tab"):
                docs_table = gr.Dataframe(headers=DOC_HEADERS, interactive=False, wrap=True, label="已索引的文档",
                                          elem_id="docs-table")
                with gr.Row(equal_height=False):
                    with gr.Column():
                        files = gr.File(file_count="multiple", file_types=list(SUPPORTED_SUFFIXES),
                                        label="上传报告（.txt / .docx / .pdf）", elem_id="upload")
                        with gr.Row():
                            up_region = gr.Textbox(label="地区（可选，留空自动识别）", elem_id="upload-region")
                            up_year = gr.Number(label="年份（可选）", precision=0, value=None)
                        up_go = gr.Button("导入", variant="primary", elem_id="upload-go")
                        with gr.Row(visible=False, elem_id="upload-clash") as up_clash:
                            gr.Markdown("索引中已有同名文档，请选择：")
                            up_replace = gr.Button("替换原文档", size="sm", elem_id="upload-replace")
                            up_keep = gr.Button("两个都保留", size="sm", elem_id="upload-keep")
                        up_result = gr.Dataframe(headers=["文件", "结果", "说明"], interactive=False, wrap=True,
                                                 label="导入结果", elem_id="upload-result")
                    with gr.Column():
                        doc_pick = gr.Dropdown([], label="选择文档", elem_id="doc-pick")
                        with gr.Row():
                            rm_go = gr.Button("删除该文档", variant="stop", size="sm", elem_id="remove-go")
                        rm_out = gr.HTML("")
                        doc_preview = gr.HTML('<div class="src-empty">选择一个文档查看它的段落。</div>',
                                              elem_id="doc-preview")

            with gr.Tab("评测", id="eval-tab"):
                with gr.Row():
                    ev_choice = gr.Radio([DEV_SET_LABEL, UPLOAD_SET_LABEL], value=DEV_SET_LABEL, label="评测集")
                    ev_file = gr.File(file_types=[".jsonl"], label="评测文件（JSONL）", type="filepath")
                    ev_limit = gr.Number(value=0, precision=0, label="只评测前 N 题（0 = 全部）", elem_id="eval-limit")
                ev_go = gr.Button("运行评测", variant="primary", elem_id="eval-go")
                ev_summary = gr.HTML("", elem_id="eval-summary")
                with gr.Row(equal_height=False):
                    ev_metrics = gr.Dataframe(headers=["指标", "数值"], interactive=False, label="总体指标",
                                              elem_id="eval-metrics")
                    # starting from an empty DataFrame would keep the plot empty after updates (gradio 6)
                    ev_plot = gr.BarPlot(None, x="类型", y="准确率",
                                         y_lim=[0, 1], title="各题型准确率", label="各题型准确率", elem_id="eval-plot")
                ev_types = gr.Dataframe(headers=["类型", "题数", "正确", "准确率"], interactive=False,
                                        label="各题型结果")
                ev_failures = gr.Dataframe(headers=FAILURE_HEADERS, interactive=False,
                                           wrap=True, label="未通过的题目", elem_id="eval-failures")

        gr.api(app.api_ask, api_name="ask", concurrency_limit=None)  # the gate limits questions (bot.gate)

        # ---- wiring ----
        filter_outputs = [region_dd, year_dd, kind_dd, ind_region, doc_pick, cmp_regions, cmp_within, cmp_years,
                          tgt_year]
        chat_inputs = [msg, chatbot, turns, answers, region_dd, year_dd, kind_dd]
        chat_outputs = [msg, chatbot, turns, answers, source]
        asking = {"concurrency_limit": None, **undocumented}  # the gate limits questions (bot.gate)
        msg.submit(app.respond, chat_inputs, chat_outputs, **asking)
        send.click(app.respond, chat_inputs, chat_outputs, **asking)
        for button, question in zip(example_buttons, EXAMPLES, strict=True):
            button.click(lambda q=question: q, None, msg, queue=False, **undocumented).then(
                app.respond, chat_inputs, chat_outputs, **asking)
        clear.click(lambda: ("", [], [], [], source_panel_empty()), None, chat_outputs, queue=False, **undocumented)
        chatbot.clear(lambda: ("", [], [], [], source_panel_empty()), None, chat_outputs, queue=False, **undocumented)
        cite_go.click(app.show_source, [cite_key, answers], source, **undocumented)

        tables = app.table
        cmp_go.click(tables.build, [cmp_regions, cmp_level, cmp_within, cmp_indicators, cmp_years, cmp_chart_by],
                     [cmp_msg, cmp_table, cmp_chart, cmp_csv, cmp_xlsx, cmp_state, cmp_chart_indicator,
                      cmp_chart_year, cmp_cell, cmp_sources], **undocumented)
        for control in (cmp_chart_indicator, cmp_chart_year, cmp_chart_by):
            control.input(tables.redraw, [cmp_state, cmp_chart_indicator, cmp_chart_year, cmp_chart_by], cmp_chart,
                          **undocumented)
        cmp_table.select(tables.select_cell, cmp_state, cmp_cell, **undocumented)

        def ask_compare(regions: list[str] | None, indicators: list[str] | None, years: list[str] | None,
                        question: str) -> str:
            first = next(iter(indicators or []), None)
            year = next(iter(years or []), None) if len(years or []) == 1 else None
            return app.compare(regions, first, year, question)

        cmp_question.submit(ask_compare, [cmp_regions, cmp_indicators, cmp_years, cmp_question], cmp_out,
                            **asking)
        cmp_ask.click(ask_compare, [cmp_regions, cmp_indicators, cmp_years, cmp_question], cmp_out, **asking)
        tgt_outputs = [tgt_note, tgt_table, tgt_state, tgt_csv, tgt_detail]
        tgt_go.click(tables.targets, [tgt_indicator, tgt_year, tgt_level], tgt_outputs, **undocumented)
        tgt_indicator.input(tables.target_year_update, tgt_indicator, tgt_year, **undocumented)
        tgt_table.select(tables.select_target, tgt_state, tgt_detail, **undocumented)
        ind_inputs = [ind_region, ind_status]
        ind_outputs = [ind_table, ind_note, ind_csv]
        for trigger in (ind_refresh.click, ind_region.change, ind_status.change):
            trigger(app.indicators, ind_inputs, ind_outputs, **undocumented)
        upload_inputs = [files, up_region, up_year]
        upload_outputs = [up_result, docs_table, *filter_outputs, files, up_clash]
        for button, handler in ((up_go, app.upload), (up_replace, app.upload_replace), (up_keep, app.upload_keep)):
            button.click(handler, upload_inputs, upload_outputs, concurrency_limit=1, concurrency_id="upload",
                         **undocumented)
        rm_go.click(app.remove, doc_pick, [rm_out, docs_table, *filter_outputs], concurrency_limit=1,
                    **undocumented)
        doc_pick.change(app.preview, doc_pick, doc_preview, **undocumented)
        ev_go.click(app.run_eval, [ev_choice, ev_file, ev_limit],
                    [ev_summary, ev_metrics, ev_plot, ev_types, ev_failures], concurrency_limit=1, **undocumented)

        def refresh_all() -> tuple:
            return (startup.html(), gr.Timer(active=not startup.ready.is_set()), *app.filter_updates(),
                    app.docs_table(), *app.indicators(None, None))

        all_outputs = [status, timer, *filter_outputs, docs_table, *ind_outputs]
        demo.load(refresh_all, None, all_outputs, show_progress="hidden", **undocumented)

        def tick() -> tuple:
            if not startup.ready.is_set():
                return (startup.html(), gr.Timer(active=True), *(gr.update() for _ in all_outputs[2:]))
            return refresh_all()

        timer.tick(tick, None, all_outputs, queue=False, show_progress="hidden", **undocumented)
    demo.govqa_app = app  # for tests and embedding
    return demo


def theme() -> gr.themes.Base:
    """System fonts only: the default Google fonts cannot be fetched offline."""
    fonts = ["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"]
    return gr.themes.Soft(font=fonts, font_mono=["ui-monospace", "monospace"])


def launch_kwargs(settings: Settings) -> dict:
    kwargs: dict = {
        "css": CSS, "head": HEAD, "theme": theme(), "footer_links": ["api", "settings"], "show_error": True,
        "max_file_size": f"{settings.max_file_mb}mb",
    }
    if settings.auth_file:
        kwargs["auth"] = make_auth(Path(settings.auth_file), settings.login_max_failures, settings.login_lockout_s)
        kwargs["auth_message"] = "请输入用户名和密码登录"
    return kwargs


