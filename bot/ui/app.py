"""The Blocks layout: one builder per tab, each laying out its components and wiring its own events
to the handlers (bot.ui.handlers.App); build_app puts the tabs together and wires what crosses tabs
(the pickers every upload or removal refreshes, the start-up banner)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from bot.service import QAService
from bot.settings import Settings
from bot.table.select import LEVELS
from bot.ui import indicators as indicator_view
from bot.ui.documents import DOC_HEADERS
from bot.ui.eval_tab import ACCURACY, PER_TYPE_HEADERS
from bot.ui.handlers import (
    DEV_SET_LABEL,
    FAILURE_HEADERS,
    SUPPORTED_SUFFIXES,
    UPLOAD_SET_LABEL,
    App,
)
from bot.ui.inputs import ALL
from bot.ui.render import STATUS_LABELS, source_panel_empty
from bot.ui.startup import StartupState
from bot.ui.table import (
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
)
from bot.ui.upload import RESULT_HEADERS
from ingest.terms import INDICATOR_SYNONYMS

EXAMPLES = ("哪些指标未完成目标？", "云阳县和冠县哪个GDP增速更高？", "冠县2021年新增城镇就业多少人？", "那冠县呢？")
# events the page's own controls use: not part of the documented API (only `ask` is)
UNDOCUMENTED = {"api_visibility": "undocumented"}
# questions bypass gradio's concurrency limit: the gate limits them and refuses in Chinese (bot.gate)
ASKING = {"concurrency_limit": None, **UNDOCUMENTED}


@dataclass
class ChatTab:
    region: gr.Dropdown
    year: gr.Dropdown
    kind: gr.Dropdown
    saved: gr.BrowserState
    opened: list[gr.components.Component]  # what restoring a conversation sets (App._opened)


@dataclass
class CompareTab:
    regions: gr.Dropdown
    within: gr.Dropdown
    years: gr.Dropdown


@dataclass
class IndicatorTab:
    region: gr.Dropdown
    target_year: gr.Dropdown
    outputs: list[gr.components.Component]  # table, note, CSV, records shown, source panel


@dataclass
class DocsTab:
    table: gr.Dataframe
    pick: gr.Dropdown
    upload_buttons: list[tuple[gr.Button, object]]
    upload_inputs: list[gr.components.Component]
    upload_result: gr.Dataframe
    upload_status: gr.HTML  # the app's signal that an upload is over (upload.status_html)
    upload_after: list[gr.components.Component]  # outputs after the pickers: the file box, the clash buttons
    remove_yes: gr.Button
    remove_out: gr.HTML
    remove_ask: gr.Row
    remove_pending: gr.State


def browser_storage(settings: Settings) -> tuple[str, str]:
    """(localStorage key, secret) for the saved conversations, fixed per index directory: conversations
    over another index would cite passages that are not there. Gradio gives the secret to the page, so
    it hides nothing from that browser; being stable, it keeps the conversations over a server restart."""
    digest = hashlib.sha256(f"govqa:{Path(settings.index_dir).resolve()}".encode()).hexdigest()
    return f"govqa-conversations-{digest[:12]}", digest[12:44]


def chat_tab(app: App, settings: Settings) -> ChatTab:
    key, secret = browser_storage(settings)
    saved = gr.BrowserState({"current": None, "conversations": []}, storage_key=key, secret=secret)
    with gr.Row():
        region = gr.Dropdown([ALL], value=ALL, label="地区", scale=1, elem_id="filter-region")
        year = gr.Dropdown([ALL], value=ALL, label="年份", scale=1, elem_id="filter-year")
        kind = gr.Dropdown([ALL], value=ALL, label="文档类型", scale=1, elem_id="filter-kind")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=180):
            new_chat = gr.Button("新对话", size="sm", variant="primary", elem_id="clear")
            history = gr.Radio([], label="历史对话（点击重新打开）", elem_id="history")
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="对话", elem_id="chat", height=520, sanitize_html=True, render_markdown=True,
                allow_tags=False, latex_delimiters=[], feedback_options=None, buttons=["copy"],
                placeholder="请输入问题，例如：云阳县2022年地区生产总值是多少？",
            )
            with gr.Row():
                msg = gr.Textbox(placeholder="输入问题，回车发送", show_label=False, scale=5, elem_id="question")
                send = gr.Button("发送", variant="primary", scale=1, elem_id="send")
            retry = gr.Button(visible=False, size="sm", variant="secondary", elem_id="retry-unscoped")
            with gr.Row():
                example_buttons = [gr.Button(q, size="sm", elem_classes=["example-q"]) for q in EXAMPLES]
        with gr.Column(scale=2):
            gr.Markdown("#### 来源原文")
            source = gr.HTML(source_panel_empty(), elem_id="source-panel")
    exchanges = gr.State([])
    conversation_id = gr.State(None)
    retry_state = gr.State(None)  # the question to ask again without its filters (App.retry_unscoped)
    cite_key = gr.Textbox(visible="hidden", elem_id="cite-key")
    cite_go = gr.Button("查看来源", visible="hidden", elem_id="cite-go")

    inputs = [msg, chatbot, exchanges, region, year, kind, conversation_id, saved]
    outputs = [msg, chatbot, exchanges, source, conversation_id, saved, history, retry, retry_state]
    msg.submit(app.respond, inputs, outputs, **ASKING)
    send.click(app.respond, inputs, outputs, **ASKING)
    # the filters go back to 全部 first, so that what is shown is what the question is asked under
    retry.click(lambda: (ALL, ALL, ALL), None, [region, year, kind], queue=False, **UNDOCUMENTED).then(
        app.retry_unscoped, [retry_state, chatbot, exchanges, conversation_id, saved], outputs, **ASKING)
    for button, question in zip(example_buttons, EXAMPLES, strict=True):
        button.click(lambda q=question: q, None, msg, queue=False, **UNDOCUMENTED).then(
            app.respond, inputs, outputs, **ASKING)
    opened = [chatbot, exchanges, conversation_id, source, history, retry]
    new_chat.click(app.new_conversation, saved, [msg, *opened, saved], queue=False, **UNDOCUMENTED)
    chatbot.clear(app.forget_conversation, [conversation_id, saved], [msg, *opened, saved], queue=False,
                  **UNDOCUMENTED)
    history.input(app.reopen, [history, saved], [*opened, saved], queue=False, **UNDOCUMENTED)
    cite_go.click(app.show_source, [cite_key, exchanges], source, **UNDOCUMENTED)
    return ChatTab(region, year, kind, saved, opened)


def compare_tab(app: App) -> CompareTab:
    tables = app.table
    with gr.Row():
        regions = gr.Dropdown([], multiselect=True, filterable=True, allow_custom_value=True,
                              label="地区（可多选，可搜索）", scale=3, elem_id="cmp-regions")
        level = gr.Dropdown([ANY, *LEVELS], value=ANY, label="层级（该层级的全部地区）", scale=1, elem_id="cmp-level")
        within = gr.Dropdown([ANY], value=ANY, filterable=True, allow_custom_value=True, label="范围（在…之内）",
                             scale=1, elem_id="cmp-within")
    with gr.Row():
        indicators = gr.Dropdown(list(INDICATOR_SYNONYMS), value=["地区生产总值"], multiselect=True, filterable=True,
                                 allow_custom_value=True, label="指标（可多选，可搜索或输入）", scale=3,
                                 elem_id="cmp-indicators")
        years = gr.Dropdown([], multiselect=True, allow_custom_value=True, scale=2,
                            label="年份（可多选，或输入 2023-2025；留空为最近一年）", elem_id="cmp-years")
    go = gr.Button("生成对比表", variant="primary", elem_id="cmp-go")
    message = gr.HTML('<div class="src-empty">选择地区（或层级、范围）和指标，生成每格都带原文出处的对比表。</div>',
                      elem_id="cmp-msg")
    state = gr.State({})
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            table = gr.Dataframe(headers=TABLE_HEADERS, datatype=TABLE_DATATYPES, interactive=False, wrap=True,
                                 max_height=560, column_widths=TABLE_COLUMN_WIDTHS,
                                 label="对比表（表头 ⋮ 排序，点击一行查看出处）", show_search="search",
                                 elem_id="cmp-table")
            with gr.Row():
                csv_file = gr.DownloadButton("下载 CSV", size="sm", interactive=False, elem_id="cmp-csv")
                xlsx_file = gr.DownloadButton("下载 Excel", size="sm", interactive=False, elem_id="cmp-xlsx")
            cell = gr.HTML(CELL_HINT, elem_id="cmp-cell")
        with gr.Column(scale=1):
            with gr.Row():
                chart_indicator = gr.Dropdown([], label="图表指标", elem_id="cmp-chart-indicator")
                chart_year = gr.Dropdown([], label="图表年份（柱状图）", elem_id="cmp-chart-year")
                chart_by = gr.Radio(list(CHART_BY_LABELS), value="增速", label="图表数值", elem_id="cmp-chart-by")
            chart = gr.Plot(label="图表", show_label=False, format="png", elem_id="cmp-chart")
    with gr.Accordion("全部出处（每格的文档与原文）", open=False):
        sources = gr.HTML("", elem_id="cmp-sources")
    gr.Markdown("#### 或直接提问对比")
    with gr.Row():
        question = gr.Textbox(label="对比问题（用问答方式回答，附引文）", scale=5,
                              placeholder="例如：云阳县和冠县哪个GDP增速更高？", elem_id="cmp-question")
        ask = gr.Button("提问", scale=1, elem_id="cmp-ask")
    out = gr.HTML("", elem_id="cmp-out")

    go.click(tables.build, [regions, level, within, indicators, years, chart_by],
             [message, table, chart, csv_file, xlsx_file, state, chart_indicator, chart_year, cell, sources],
             **UNDOCUMENTED)
    for control in (chart_indicator, chart_year, chart_by):
        control.input(tables.redraw, [state, chart_indicator, chart_year, chart_by], chart, **UNDOCUMENTED)
    table.select(tables.select_cell, state, cell, **UNDOCUMENTED)
    question.submit(app.ask_compare, [regions, indicators, years, question], out, **ASKING)
    ask.click(app.ask_compare, [regions, indicators, years, question], out, **ASKING)
    return CompareTab(regions, within, years)


def indicator_tab(app: App) -> IndicatorTab:
    tables = app.table
    with gr.Tabs():
        with gr.Tab("指标记录", id="indicator-records"):
            with gr.Row():
                region = gr.Dropdown([ALL], value=ALL, label="地区")
                status = gr.Dropdown([ALL, *STATUS_LABELS.values()], value=ALL, label="完成状态")
                refresh = gr.Button("刷新", scale=0)
            note = gr.HTML("")
            records = gr.State([])
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    table = gr.Dataframe(headers=indicator_view.HEADERS, interactive=False, wrap=True,
                                         max_height=560, column_widths=indicator_view.COLUMN_WIDTHS,
                                         label="指标记录（点击一行查看原文；CSV 含原文）", elem_id="indicator-table")
                    csv_file = gr.DownloadButton("下载 CSV", size="sm", elem_id="indicator-csv")
                with gr.Column(scale=2):
                    detail = gr.HTML(indicator_view.HINT, elem_id="indicator-detail")
        with gr.Tab("各地区目标完成情况", id="targets-tab"):
            with gr.Row():
                indicator = gr.Dropdown(list(INDICATOR_SYNONYMS), value="地区生产总值", filterable=True,
                                        allow_custom_value=True, label="指标", elem_id="tgt-indicator")
                year = gr.Dropdown([AUTO_YEAR], value=AUTO_YEAR, allow_custom_value=True,
                                   label="年份（自动：目标与实际都有的地区最多的年份）", elem_id="tgt-year")
                level = gr.Dropdown([ANY, *LEVELS], value=ANY, label="层级", elem_id="tgt-level")
                go = gr.Button("查看", variant="primary", scale=0, elem_id="tgt-go")
            tgt_note = gr.HTML('<div class="src-empty">选择指标和年份，查看各地区的目标、实际与完成状态。</div>',
                               elem_id="tgt-note")
            tgt_state = gr.State([])
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    tgt_table = gr.Dataframe(headers=TARGET_HEADERS, interactive=False, wrap=True, max_height=560,
                                             column_widths=TARGET_COLUMN_WIDTHS, label="目标与实际（点击一行查看出处）",
                                             elem_id="tgt-table")
                    tgt_csv = gr.DownloadButton("下载 CSV", size="sm", elem_id="tgt-csv")
                with gr.Column(scale=2):
                    tgt_detail = gr.HTML(TARGET_HINT, elem_id="tgt-detail")

    go.click(tables.targets, [indicator, year, level], [tgt_note, tgt_table, tgt_state, tgt_csv, tgt_detail],
             **UNDOCUMENTED)
    indicator.input(tables.target_year_update, indicator, year, **UNDOCUMENTED)
    tgt_table.select(tables.select_target, tgt_state, tgt_detail, **UNDOCUMENTED)
    outputs = [table, note, csv_file, records, detail]
    for trigger in (refresh.click, region.change, status.change):
        trigger(app.indicators, [region, status], outputs, **UNDOCUMENTED)
    table.select(app.indicator_source, records, detail, **UNDOCUMENTED)
    return IndicatorTab(region, year, outputs)


def docs_tab(app: App) -> DocsTab:
    table = gr.Dataframe(headers=DOC_HEADERS, interactive=False, wrap=True, label="已索引的文档", elem_id="docs-table")
    with gr.Row(equal_height=False):
        with gr.Column():
            files = gr.File(file_count="multiple", file_types=list(SUPPORTED_SUFFIXES),
                            label="上传报告（.txt / .docx / .pdf）", elem_id="upload")
            with gr.Row():
                region = gr.Textbox(label="地区（可选，留空自动识别）", elem_id="upload-region")
                # a Textbox: gr.Number shows 0 when empty, and 0 is not "no year"
                year = gr.Textbox(label="年份（可选，留空自动识别）", placeholder="例如 2023", elem_id="upload-year")
            go = gr.Button("导入", variant="primary", elem_id="upload-go")
            with gr.Row(visible=False, elem_id="upload-clash") as clash:
                gr.Markdown("索引中已有同名文档，请选择：")
                replace = gr.Button("替换原文档", size="sm", elem_id="upload-replace")
                keep = gr.Button("两个都保留", size="sm", elem_id="upload-keep")
            upload_status = gr.HTML("", elem_id="upload-status")
            result = gr.Dataframe(headers=RESULT_HEADERS, interactive=False, wrap=True, label="导入结果",
                                  elem_id="upload-result")
        with gr.Column():
            pick = gr.Dropdown([], label="选择文档", elem_id="doc-pick")
            with gr.Row():
                remove = gr.Button("删除该文档", variant="stop", size="sm", elem_id="remove-go")
            remove_out = gr.HTML("", elem_id="remove-out")
            with gr.Row(visible=False, elem_id="remove-ask") as remove_ask:
                remove_yes = gr.Button("确认删除", variant="stop", size="sm", elem_id="remove-yes")
                remove_no = gr.Button("取消", size="sm", elem_id="remove-no")
            remove_pending = gr.State(None)
            preview = gr.HTML('<div class="src-empty">选择一个文档查看它的段落。</div>', elem_id="doc-preview")
    # removing asks first: 删除该文档 names the document and what goes; only 确认删除 removes it
    remove.click(app.ask_remove, pick, [remove_out, remove_ask, remove_pending], **UNDOCUMENTED)
    remove_no.click(app.cancel_remove, None, [remove_out, remove_ask, remove_pending], **UNDOCUMENTED)
    pick.change(app.preview, pick, preview, **UNDOCUMENTED)
    pick.input(lambda: ("", gr.update(visible=False), None), None, [remove_out, remove_ask, remove_pending],
                queue=False, **UNDOCUMENTED)
    return DocsTab(table, pick, [(go, app.upload), (replace, app.upload_replace), (keep, app.upload_keep)],
                   [files, region, year], result, upload_status, [files, clash], remove_yes, remove_out, remove_ask, remove_pending)


def eval_tab(app: App) -> None:
    with gr.Row():
        choice = gr.Radio([DEV_SET_LABEL, UPLOAD_SET_LABEL], value=DEV_SET_LABEL, label="评测集")
        file = gr.File(file_types=[".jsonl"], label="评测文件（JSONL）", type="filepath")
        limit = gr.Number(value=0, precision=0, label="只评测前 N 题（0 = 全部）", elem_id="eval-limit")
    go = gr.Button("运行评测", variant="primary", elem_id="eval-go")
    summary = gr.HTML("", elem_id="eval-summary")
    with gr.Row(equal_height=False):
        metrics = gr.Dataframe(headers=["指标", "数值"], interactive=False, label="总体指标", elem_id="eval-metrics")
        # starting from an empty DataFrame would keep the plot empty after updates (gradio 6)
        plot = gr.BarPlot(None, x="类型", y=ACCURACY, y_lim=[0, 100], title="各题型准确率（%）", label="各题型准确率",
                          elem_id="eval-plot")
    per_type = gr.Dataframe(headers=PER_TYPE_HEADERS, interactive=False, label="各题型结果", elem_id="eval-types")
    failures = gr.Dataframe(headers=FAILURE_HEADERS, interactive=False, wrap=True, label="未通过的题目",
                            elem_id="eval-failures")
    go.click(app.run_eval, [choice, file, limit], [summary, metrics, plot, per_type, failures], concurrency_limit=1,
             **UNDOCUMENTED)


def build_app(service: QAService, settings: Settings, startup: StartupState | None = None) -> gr.Blocks:
    """The Blocks app over one QAService."""
    startup = startup or StartupState.already_ready()
    app = App(service, settings, startup)

    with gr.Blocks(title="政府报告问答") as demo:
        gr.Markdown("## 政府报告问答 · 每个答案都附原文出处")
        status = gr.HTML(app.banner(), elem_id="startup-status")
        timer = gr.Timer(1.0, active=not startup.ready.is_set())
        with gr.Tabs():
            with gr.Tab("对话", id="chat-tab"):
                chat = chat_tab(app, settings)
            with gr.Tab("对比", id="compare-tab"):
                compare = compare_tab(app)
            with gr.Tab("指标", id="indicator-tab"):
                indicators = indicator_tab(app)
            with gr.Tab("文档", id="docs-tab"):
                docs = docs_tab(app)
            with gr.Tab("评测", id="eval-tab"):
                eval_tab(app)

        gr.api(app.api_ask, api_name="ask", concurrency_limit=None)  # the gate limits questions (bot.gate)

        # the pickers an upload or a removal refreshes, in the order of App.filter_updates
        pickers = [chat.region, chat.year, chat.kind, indicators.region, docs.pick, compare.regions, compare.within,
                   compare.years, indicators.target_year]
        uploaded = [docs.upload_result, docs.table, status, docs.upload_status, *pickers, *docs.upload_after]
        for button, handler in docs.upload_buttons:
            button.click(handler, docs.upload_inputs, uploaded, concurrency_limit=1, concurrency_id="upload",
                         **UNDOCUMENTED)
        docs.remove_yes.click(app.remove, docs.remove_pending,
                              [docs.remove_out, docs.table, status, *pickers, docs.remove_ask, docs.remove_pending],
                              concurrency_limit=1, **UNDOCUMENTED)

        def refresh_all() -> tuple:
            return (app.banner(), gr.Timer(active=not startup.ready.is_set()), *app.filter_updates(),
                    app.docs_table(), *app.indicators(None, None))

        all_outputs = [status, timer, *pickers, docs.table, *indicators.outputs]
        demo.load(refresh_all, None, all_outputs, show_progress="hidden", **UNDOCUMENTED)
        demo.load(app.restore, chat.saved, chat.opened, queue=False, show_progress="hidden", **UNDOCUMENTED)

        def tick() -> tuple:
            if not startup.ready.is_set():
                return (app.banner(), gr.Timer(active=True), *(gr.update() for _ in all_outputs[2:]))
            return refresh_all()

        timer.tick(tick, None, all_outputs, queue=False, show_progress="hidden", **UNDOCUMENTED)
    demo.govqa_app = app  # for tests and embedding
    return demo
