"""The Gradio UI: a real `govqa chat` server over a copy of the seed index, driven by headless Chromium
(Playwright) and by gradio_client. No mocks."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.models import Answer, Citation
from bot.ui.inputs import compare_question, parse_filters, parse_history
from bot.ui.render import answer_markdown, highlight, md_escape
from tests.ui_helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, Server

DOCS = ROOT / "docs"
XSS_DOC = (
    "测试县2023年工作总结\n\n一、主要成效\n"
    "测试县2023年地区生产总值123.4亿元，同比增长5.5%。<script>window.__xss=1</script>\n"
    '<img src=x onerror="window.__xss=2">全年新增城镇就业1234人。\n'
)
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (make browser)")


# ---- pure rendering -----------------------------------------------------------------------------
def test_md_escape_renders_markup_as_text() -> None:
    text = md_escape('<script>alert(1)</script> ***亿元 [x](javascript:y) <img src=x onerror="z">')
    assert re.search(r"(?<!\\)[<>\[\]*]", text) is None  # every markup character is escaped
    assert "\\<script\\>" in text and "\\*\\*\\*亿元" in text and "\\[x\\]\\(javascript" in text


def test_answer_markdown_links_only_known_markers() -> None:
    cite = Citation(n=1, doc="a<b>.txt", chunk_id="c-1", quote="q")
    answer = Answer(question="q", answer="数值557.7亿元[1]，另见[7]。", citations=[cite])
    md = answer_markdown(answer, 3)
    assert "[\\[1\\]](#cite-3-1)" in md
    assert "\\[7\\]" in md and "#cite-3-7" not in md
    assert "a\\<b\\>\\.txt" in md


def test_highlight_escapes_and_marks_quote() -> None:
    html, found = highlight("前文<b>557.7亿元</b>。后文", "<b>557.7亿元</b>")
    assert found and html == "前文<mark>&lt;b&gt;557.7亿元&lt;/b&gt;</mark>。后文"
    html, found = highlight("增长４.７％，位居第一", "增长4.7%")  # full-width digits in the chunk
    assert found and "<mark>增长４.７％</mark>" in html


def test_saved_conversations_are_bounded_and_rebuild_the_chat() -> None:
    from bot.ui import conversation as conv

    cite = Citation(n=1, doc="a.txt", title="甲县2022年政府工作报告", chunk_id="c-1", quote="q")
    answer = Answer(question="q", answer="（沿用上文的地区：甲县）增长5%[1]。", citations=[cite])
    scope = conv.Scope(carried=["甲县"])
    items = [conv.exchange("甲县GDP增速？", answer, scope)]
    assert "timings_ms" not in items[0]["answer"]
    saved: dict | None = None
    ids = []
    for _ in range(conv.MAX_CONVERSATIONS + 3):
        new_id, saved = conv.save(saved, None, items)
        ids.append(new_id)
    assert [c.id for c in conv.saved_list(saved)] == ids[::-1][: conv.MAX_CONVERSATIONS]  # newest first
    assert conv.current(saved).id == ids[-1]
    label, first = conv.history_choices(saved)[0]
    assert first == ids[-1] and label.startswith("甲县GDP增速？（") and "1 问" in label
    assert ids[-1] not in [c.id for c in conv.saved_list(conv.forget(saved, ids[-1]))]
    shown = conv.display_of(items)
    assert shown[0] == {"role": "user", "content": "甲县GDP增速？"}
    assert shown[1]["content"].startswith("> 沿用上文的地区：甲县") and "（沿用上文" not in shown[1]["content"]
    assert "[\\[1\\]](#cite-0-1)" in shown[1]["content"]
    assert conv.turns_of(items)[1] == {"role": "assistant", "content": answer.answer}
    assert conv.saved_list({"conversations": [{"id": 1}], "current": None}) == []  # foreign data is ignored


def test_a_source_line_names_each_document_once() -> None:
    cites = [Citation(n=n, doc="a.txt", title="冠县2022年政府工作报告", chunk_id=f"c-{n}", quote="q") for n in (1, 2, 3)]
    cites.append(Citation(n=4, doc="b.txt", title="云阳县通报", section="一、成效", chunk_id="c-4", quote="q"))
    md = answer_markdown(Answer(question="q", answer="x[1][2][3][4]", citations=cites), 0)
    sources = md.split("来源：", 1)[1]
    assert sources.count("冠县2022年政府工作报告") == 1 and sources.count("云阳县通报 · 一、成效") == 1
    assert all(f"(#cite-0-{n})" in sources for n in (1, 2, 3, 4))


def test_indicator_rows_order_and_year_field() -> None:
    from bot.ui.indicators import ordered, table_row
    from bot.ui.inputs import parse_year
    from ingest.models import Indicator

    def record(name: str, **fields: object) -> Indicator:
        return Indicator(region="某县#a.txt", year=2022, name=name, name_raw=name, doc="a.txt", chunk_id="c", quote="q",
                         **fields)

    records = [record("税收", masked=True), record("GDP", value=10.0, unit="亿元"), record("投资"),
               record("就业", masked=True, status="met"), record("收入", growth_pct=5.0)]
    assert [records[i].name for i in ordered(records)] == ["GDP", "就业", "收入", "税收", "投资"]
    assert table_row(records[0], "某县2022年工作总结", False)[:4] == ["某县", 2022, "税收", "***（隐去）"]
    assert table_row(records[4], "t", True)[3:5] == [" ⚠各文件不一致", "5%"]
    assert [parse_year(v) for v in ("", None, " 2023 ", "2023年", 2023.0)] == [None, None, 2023, 2023, 2023]
    for bad in ("0", "23", "明年", "2023.5"):
        with pytest.raises(ValueError):
            parse_year(bad)


def test_helpers_parse_inputs() -> None:
    assert parse_filters("全部", "2022", "全部") == (None, 2022, None)
    assert parse_filters("冠县", "", None) == ("冠县", None, None)
    assert parse_history('[{"role": "user", "content": "x"}]') == [{"role": "user", "content": "x"}]
    assert compare_question(["云阳县", "冠县", "某县"], "地区生产总值", "全部") == "云阳县、冠县和某县的地区生产总值分别是多少？"


def test_table_tab_helpers() -> None:
    from bot.table.models import Cell, TableError
    from bot.ui.table import chart_figure, table_frame, table_request, ui_message

    assert ui_message("请指定地区（--regions）、级别（--level）或上级地区（--within）。") == "请指定地区、级别或上级地区。"
    assert ui_message("所选地区的报告没有写明数字的年份，请用 --years 指定年份。").endswith("请在“年份”中指定年份。")
    request = table_request(["冠县"], "不限", "", ["GDP"], ["2025", "2022-2023"])
    assert (request.regions, request.level, request.within, request.years) == (["冠县"], None, None, [2025, 2022, 2023])
    for args, error in [((["冠县"], None, None, [], []), "请至少选择一个指标"),
                        (([], None, "不限", ["GDP"], []), "请选择地区"),
                        ((["冠县"], "国", None, ["GDP"], []), "层级应为"),
                        ((["冠县"], None, None, ["GDP"], ["明年"]), "无法识别的年份：明年")]:
        with pytest.raises(TableError, match=error):
            table_request(*args)

    cells = [Cell(region="甲市", indicator="地区生产总值", year=2025, value=1.2, unit="万亿元", growth=5.0, kind="actual",
                  quote="q"),
             Cell(region="乙市", indicator="地区生产总值", year=2025, value=9800.0, unit="亿元", kind="actual", quote="q"),
             Cell(region="丙市", indicator="地区生产总值", year=2025, note="未找到")]
    styled = table_frame(cells)
    assert list(styled.data["数值"][:2]) == [1.2e12, 9.8e11]  # sorts by the amount, 万亿元 above 亿元
    shown = styled.to_html()
    assert "1.2" in shown and "9800" in shown and "未找到" in shown
    state = {"cells": [c.model_dump() for c in cells], "regions": ["甲市", "乙市", "丙市"], "years": [2025],
             "indicators": ["地区生产总值"]}
    assert chart_figure(state, None, None, "增速")[0] is not None  # several regions: bars
    assert chart_figure(state, None, None, "数值")[0] is not None
    one = {**state, "regions": ["甲市"], "cells": state["cells"][:1]}
    figure, note = chart_figure(one, None, None, "增速")  # one region, one year: no chart, and why
    assert figure is None and "折线图" in note


# ---- the running app ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    index = tmp_path_factory.mktemp("ui-index") / "index"
    shutil.copytree(seed_index, index)
    srv = Server(index)
    try:
        up = srv.wait_for("UI up at", 120)
        ready = srv.wait_for("ready to answer", 120)
        print(f"\n[ui] existing index: UI up after {up:.1f} s, ready after {ready:.1f} s (process start included)")
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def client(server: Server):
    from gradio_client import Client

    return Client(server.url, verbose=False)


def test_api_ask(client) -> None:
    result = client.predict("云阳县2022年地区生产总值是多少？", "[]", "", "", api_name="/ask")
    assert "557.7" in result["answer"] and result["citations"][0]["n"] == 1
    history = json.dumps([{"role": "user", "content": "云阳县2022年一般公共预算收入是多少？"},
                          {"role": "assistant", "content": "云阳县2022年一般公共预算收入18.1亿元。[1]"}],
                         ensure_ascii=False)
    follow = client.predict("那冠县呢？", history, "", "", api_name="/ask")
    assert "冠县" in follow["answer"] and all(c["region"] == "冠县" for c in follow["citations"])
    filtered = client.predict("地区生产总值是多少？", "[]", "云阳县", "2022", api_name="/ask")
    assert all(c["region"] == "云阳县" for c in filtered["citations"])


def test_api_concurrent_20(server: Server) -> None:
    from gradio_client import Client

    question = "云阳县2022年地区生产总值是多少？"
    # one Client per caller, as README advises: gradio_client 2.7 shared across threads sometimes
    # cancels its own event stream (a CancelledError raised in the client, not by the server)
    clients = [Client(server.url, verbose=False) for _ in range(20)]

    def call(n: int) -> tuple[float, dict]:
        start = time.perf_counter()
        result = clients[n].predict(question, "[]", "", "", api_name="/ask")
        return time.perf_counter() - start, result

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(call, range(20)))
    wall = time.perf_counter() - wall
    latencies = sorted(seconds for seconds, _ in outcomes)
    assert all("557.7" in result["answer"] for _, result in outcomes)
    p95 = latencies[math.ceil(0.95 * len(latencies)) - 1]
    rss = server.rss_mib()
    print(f"\n[ui] 20 concurrent ask calls: all ok, wall {wall:.2f} s, p50 {latencies[9]:.2f} s, "
          f"p95 {p95:.2f} s, max {latencies[-1]:.2f} s; server RSS {rss:.0f} MiB")
    assert rss < 1536


# ---- browser --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server: Server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(server.url)
    tab.wait_for_selector("#question textarea")
    yield tab
    context.close()


def ask(page, question: str) -> None:
    count = page.locator('#chat [data-testid="bot"]').count()
    page.fill("#question textarea", question)
    page.click("#send")
    wait_answer(page, count)


def wait_answer(page, before: int) -> None:
    """Wait until a new assistant message with its final text (not the placeholder) is there."""
    page.wait_for_function(
        """(before) => {
            const bots = document.querySelectorAll('#chat [data-testid="bot"]');
            if (bots.length === 0) return false;
            const last = bots[bots.length - 1].innerText;
            return bots.length > before
                && last.length > 0 && !last.includes('正在检索') && !last.includes('还在导入');
        }""",
        arg=before,
    )


def last_bot_text(page) -> str:
    return page.locator('#chat [data-testid="bot"]').last.inner_text()


def screenshot_path(name: str) -> Path:
    """README screenshots are written by `make screenshots` only: `make test` leaves the tree clean."""
    path = (DOCS if os.environ.get("GOVQA_SCREENSHOTS") else Path(tempfile.gettempdir())) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def screenshot(page, name: str, full_page: bool = False) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=full_page)


@needs_browser
def test_chat_cited_answer_source_panel_and_follow_up(page) -> None:
    ask(page, "云阳县2022年地区生产总值是多少？")
    text = last_bot_text(page)
    assert "557.7" in text and "[1]" in text
    # the source line names the document by its title, once
    assert text.split("来源：", 1)[1].count("云阳县·关于2022年政府工作报告目标任务") == 1
    assert "002_51f523802f205a70" not in text
    assert page.locator("#source-panel mark").count() == 0  # the passage only opens on a click
    scrolled = page.evaluate("[window.scrollY, document.querySelector('#chat').getBoundingClientRect().top]")
    page.locator('#chat a[href="#cite-0-1"]').first.click()
    page.wait_for_selector("#source-panel mark")
    # the page stays where it was: the chat does not move away
    assert page.evaluate("[window.scrollY, document.querySelector('#chat').getBoundingClientRect().top]") == scrolled
    assert "#cite" not in page.url
    panel = page.inner_text("#source-panel")
    assert "557.7" in page.inner_text("#source-panel mark")
    # the source panel names the document by its title, not its file name
    assert "云阳县·关于2022年政府工作报告目标任务" in panel and "2022" in panel
    assert "二、工作成效明显的13个事项" in panel

    before = page.locator('#chat [data-testid="bot"]').count()
    page.get_by_role("button", name="那冠县呢？").click()
    wait_answer(page, before)
    follow = last_bot_text(page)
    assert "冠县" in follow and "[1]" in follow
    page.locator('#chat a[href="#cite-1-1"]').first.click()
    page.wait_for_selector("#source-panel .src-card mark")
    assert "冠县2022年政府工作报告" in page.inner_text("#source-panel .src-card")
    DOCS.mkdir(exist_ok=True)
    screenshot(page, "screenshot-chat.png")

    page.click("#clear")
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")
    assert page.locator("#source-panel mark").count() == 0


@needs_browser
def test_a_reload_keeps_the_conversation_and_past_ones_reopen(page) -> None:
    ask(page, "云阳县2022年地区生产总值是多少？")
    ask(page, "那冠县呢？")
    page.reload()
    page.wait_for_selector("#question textarea")
    # the conversation is back after the reload, with working citations
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 2")
    assert "557.7" in page.locator('#chat [data-testid="bot"]').first.inner_text()
    assert "冠县" in last_bot_text(page)
    page.locator('#chat a[href="#cite-0-1"]').first.click()
    page.wait_for_selector("#source-panel .src-card mark")
    assert "557.7" in page.inner_text("#source-panel mark")

    # a new conversation; the first one is listed under 历史对话 and reopens, also after another reload
    page.click("#clear")
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")
    ask(page, "冠县2021年新增城镇就业多少人？")
    page.reload()
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 1")
    assert "新增城镇就业" in page.locator('#chat [data-testid="user"]').first.inner_text()
    labels = page.locator("#history label").all_inner_texts()
    assert len(labels) == 2 and "冠县2021年新增城镇就业" in labels[0] and "云阳县2022年地区生产总值" in labels[1]
    page.locator("#history label").nth(1).click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 2")
    assert "557.7" in page.locator('#chat [data-testid="bot"]').first.inner_text()
    # a follow-up continues the reopened conversation: its history goes with the question
    ask(page, "一般公共预算收入呢？")
    assert "冠县" in last_bot_text(page)


@needs_browser
def test_filters_are_filled_from_the_index(page) -> None:
    page.locator("#filter-region input").click()
    options = page.get_by_role("option").all_inner_texts()
    assert {"全部", "云阳县", "冠县"} <= {o.replace("✓", "").strip() for o in options}
    page.get_by_role("option", name="冠县").click()
    ask(page, "新增城镇就业多少人？")
    text = last_bot_text(page)
    assert "冠县" in text and "筛选条件：地区 冠县" in text  # the active filter, above the answer
    assert page.locator("#retry-unscoped").is_hidden()  # it found something: nothing to offer


@needs_browser
def test_an_answer_that_finds_nothing_under_a_filter_says_so_and_asks_again_without_it(page) -> None:
    pick(page, "filter-region", "冠县")
    ask(page, "森林覆盖率是多少？")  # only 云阳县's report gives it
    text = last_bot_text(page)
    assert "筛选条件：地区 冠县" in text and "在以上条件下没有找到答案" in text
    assert text.index("筛选条件") < text.index("未找到")  # above the answer
    retry = page.locator("#retry-unscoped")
    retry.wait_for(state="visible")
    assert "去掉筛选条件" in retry.inner_text()
    before = page.locator('#chat [data-testid="bot"]').count()
    retry.click()
    wait_answer(page, before)
    again = last_bot_text(page)
    assert "森林覆盖率" in again and "[1]" in again and "筛选条件" not in again
    assert page.locator('#chat [data-testid="user"]').last.inner_text().strip() == "森林覆盖率是多少？"
    assert page.input_value("#filter-region input") == "全部"
    retry.wait_for(state="hidden")

    # a region carried over from the previous question: named above the answer, and dropped on request
    ask(page, "冠县2021年新增城镇就业多少人？")
    ask(page, "森林覆盖率是多少？")
    text = last_bot_text(page)
    assert "沿用上文的地区：冠县" in text and "在以上条件下没有找到答案" in text
    retry.wait_for(state="visible")
    assert "不沿用上文的地区" in retry.inner_text()
    before = page.locator('#chat [data-testid="bot"]').count()
    retry.click()
    wait_answer(page, before)
    again = last_bot_text(page)
    assert "云阳县" in again and "沿用上文" not in again and "[1]" in again


@needs_browser
def test_compare_question_box(page) -> None:
    page.get_by_role("tab", name="对比").click()
    page.fill("#cmp-question textarea", compare_question(["云阳县", "冠县"], "地区生产总值", "全部"))
    page.click("#cmp-ask")
    page.wait_for_selector("#cmp-out table")
    table = page.inner_text("#cmp-out table")
    assert "云阳县" in table and "冠县" in table and "557.7" in table
    assert "[1]" in table and "[2]" in table  # a citation per cell
    assert "生产总值" not in table.replace("地区生产总值", "")  # one name per indicator
    assert page.locator("#cmp-out mark").count() >= 2


# ---- the 对比 table and the targets across regions ----------------------------------------------
def pick(page, box: str, option: str) -> None:
    """Choose an option of a dropdown by its shown name."""
    page.locator(f"#{box} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def type_value(page, box: str, text: str) -> None:
    """Type a value of one's own into a dropdown that allows it (Enter adds it)."""
    field = page.locator(f"#{box} input")
    field.click()
    field.fill(text)
    field.press("Enter")


def build_table(page, expect: str) -> str:
    """Click 生成对比表 and wait until the message above the table says `expect`; the message."""
    page.click("#cmp-go")
    page.wait_for_function("(t) => document.querySelector('#cmp-msg').innerText.includes(t)", arg=expect)
    return page.inner_text("#cmp-msg")


def table_rows(page, table: str = "#cmp-table") -> list[str]:
    rows = page.locator(f"{table} [role=row]")
    return [rows.nth(i).inner_text().replace("\n", " | ") for i in range(1, rows.count())]


def click_row(page, text: str, table: str = "#cmp-table") -> None:
    page.locator(f"{table} [role=row]", has_text=text).first.locator("[role=gridcell]").first.click()


def sort_by(page, column: int, order: str = "降序排序") -> None:
    header = page.locator("#cmp-table th").nth(column)
    header.hover()
    header.locator("button.cell-menu-button").click()
    page.get_by_role("menuitem", name=order).click()


def chart_src(page) -> str:
    page.wait_for_selector("#cmp-chart img")
    return page.locator("#cmp-chart img").get_attribute("src") or ""


@needs_browser
def test_compare_table_chart_sources_and_exports(page, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    page.get_by_role("tab", name="对比").click()
    pick(page, "cmp-level", "县")  # every county of the index: 云阳县, 冠县 and the two anonymous 某县
    pick(page, "cmp-indicators", "一般公共预算收入")
    message = build_table(page, "共 8 格")
    assert "4 个地区 × 2 个指标 × 1 个年份" in message and "4个县级地区" in message
    rows = table_rows(page)
    assert len(rows) == 8
    yunyang = next(r for r in rows if r.startswith("云阳县 | 地区生产总值"))
    assert "2022 | 557.7 | 亿元 | 4.7% | 实际" in yunyang and "云阳县·关于2022年政府工作报告目标任务" in yunyang
    assert any("未找到" in r for r in rows)  # the 2021 report of 某县 gives no 2022 figure
    assert any("（隐去）" in r for r in rows)  # the masked figures of the other 某县
    assert chart_src(page).startswith("data:image/png")  # a bar chart of the four counties

    # a click on a row shows its quote, highlighted inside its passage, with the document's title
    click_row(page, "云阳县")
    page.wait_for_selector("#cell-source-body mark")
    assert "557.7亿元" in page.inner_text("#cmp-cell mark")
    assert "云阳县·关于2022年政府工作报告目标任务" in page.inner_text("#cmp-cell")

    # sorted by growth, highest first; a click still opens the row clicked
    sort_by(page, 5)
    page.wait_for_function("document.querySelectorAll('#cmp-table [role=row]')[1].innerText.includes('冠县')")
    assert table_rows(page)[0].startswith("冠县") and "6%" in table_rows(page)[0]
    click_row(page, "冠县")
    page.wait_for_function("document.querySelector('#cmp-cell').innerText.includes('冠县 · ')")
    assert "主要预期目标" in page.inner_text("#cmp-cell mark")

    # the exports: every cell with its document and quote
    with page.expect_download() as csv_download:
        page.click("#cmp-csv")
    csv_path = tmp_path / "table.csv"
    csv_download.value.save_as(csv_path)
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert len(records) == 8
    yunyang_csv = next(r for r in records if r["地区"] == "云阳县" and r["指标"] == "地区生产总值")
    assert yunyang_csv["数值"] == "557.7" and "557.7亿元" in yunyang_csv["原文"]
    assert yunyang_csv["标题"] == "云阳县·关于2022年政府工作报告目标任务"
    with page.expect_download() as xlsx_download:
        page.click("#cmp-xlsx")
    xlsx_path = tmp_path / "table.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    sheet = load_workbook(xlsx_path).active
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    assert len(values) == 9 and "原文" in header and "文档" in header
    assert any(row[header.index("数值")] == 557.7 and "557.7亿元" in row[header.index("原文")] for row in values[1:])


@needs_browser
def test_compare_table_line_chart_and_errors(page) -> None:
    page.get_by_role("tab", name="对比").click()
    # one region over several years: a line chart
    pick(page, "cmp-regions", "冠县")
    type_value(page, "cmp-years", "2020-2022")
    message = build_table(page, "共 3 格")
    assert "1 个地区 × 1 个指标 × 3 个年份" in message
    rows = table_rows(page)
    assert [r.split(" | ")[2] for r in rows] == ["2020", "2021", "2022"]
    assert "未找到" in rows[0] and "8%" in rows[1] and "预计" in rows[1] and "目标" in rows[2]
    first_chart = chart_src(page)
    assert first_chart.startswith("data:image/png")

    # errors read as Chinese messages in the tab, never a traceback
    type_value(page, "cmp-regions", "火星县")
    message = build_table(page, "未找到该地区的报告")
    assert "火星县" in message and "Traceback" not in message
    assert page.locator("#cmp-chart img").count() == 0
    page.locator("#cmp-regions .remove-all").click()
    type_value(page, "cmp-indicators", "幸福指数")
    pick(page, "cmp-level", "县")
    assert "无法识别的指标：幸福指数" in build_table(page, "无法识别的指标")
    page.locator("#cmp-indicators .remove-all").click()
    assert "请至少选择一个指标" in build_table(page, "请至少选择一个指标")
    type_value(page, "cmp-indicators", "GDP")
    type_value(page, "cmp-years", "明年")
    assert "无法识别的年份：明年" in build_table(page, "无法识别的年份")


@needs_browser
def test_targets_across_regions(page) -> None:
    page.get_by_role("tab", name="指标").click()
    page.get_by_role("tab", name="各地区目标完成情况").click()
    pick(page, "tgt-indicator", "森林覆盖率")
    page.click("#tgt-go")
    page.wait_for_selector("#target-summary")
    summary = page.inner_text("#tgt-note")
    assert "2022年“森林覆盖率”" in summary and "超额完成 1 个" in summary
    row = next(r for r in table_rows(page, "#tgt-table") if r.startswith("云阳县"))
    assert "森林覆盖率达到59%" in row and "森林覆盖率达到61%" in row and "超额完成" in row and "报告写明" in row
    click_row(page, "云阳县", "#tgt-table")
    page.wait_for_selector("#target-source-body mark")
    marks = page.locator("#tgt-detail mark").all_inner_texts()
    assert any("59%" in m for m in marks) and any("超额完成年度目标任务" in m for m in marks)
    assert "目标：云阳县·关于2022年政府工作报告目标任务" in page.inner_text("#tgt-detail")


@pytest.fixture(scope="module")
def corpus_page(browser, corpus_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A page on a server over the 31 provincial reports (and the samples)."""
    index = tmp_path_factory.mktemp("ui-corpus") / "index"
    shutil.copytree(corpus_index, index)
    srv = Server(index)
    try:
        srv.wait_for("ready to answer", 180)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        tab.goto(srv.url)
        tab.wait_for_selector("#question textarea")
        yield tab
        context.close()
    finally:
        srv.stop()


@needs_browser
def test_compare_table_of_the_provinces(corpus_page) -> None:
    page = corpus_page
    page.get_by_role("tab", name="对比").click()
    pick(page, "cmp-level", "省")
    pick(page, "cmp-years", "2025")
    message = build_table(page, "共 31 格")
    assert "31个省级地区" in message
    assert chart_src(page).startswith("data:image/png")
    sort_by(page, 5)
    page.wait_for_function("document.querySelectorAll('#cmp-table [role=row]')[1].innerText.includes('西藏')")
    top = table_rows(page)[0]
    assert top.startswith("西藏自治区") and "7%" in top
    click_row(page, "西藏自治区")
    page.wait_for_selector("#cell-source-body mark")
    assert "7%" in page.inner_text("#cmp-cell mark")
    page.mouse.move(0, 0)
    screenshot(page, "screenshots/table.png", full_page=True)
    page.locator("#cmp-chart").screenshot(path=str(screenshot_path("screenshots/chart.png")))


@needs_browser
@pytest.mark.parametrize("width", [1280, 1440])
def test_indicators_tab_fits_the_page(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.get_by_role("tab", name="指标").click()
    page.wait_for_function("document.querySelectorAll('#indicator-table [role=row]').length > 2")
    rows = table_rows(page, "#indicator-table")
    assert "***（隐去）" not in rows[0]  # masked-only rows come last (see test_indicator_rows_order)
    # every column, the document's title included, is in view without scrolling sideways
    table = page.locator("#indicator-table").bounding_box()
    for name in ("指标", "数值", "完成率", "文档"):
        header = page.locator("#indicator-table th", has_text=name).first.bounding_box()
        assert header["x"] >= table["x"] and header["x"] + header["width"] <= table["x"] + table["width"] + 1, name
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert any("云阳县·关于2022年政府工作报告目标任务" in r for r in rows)
    # the quote opens per row, inside its passage
    click_row(page, "云阳县", "#indicator-table")
    page.wait_for_selector("#indicator-source-body mark")
    assert "云阳县·关于2022年政府工作报告目标任务" in page.inner_text("#indicator-detail")
    if width == 1440:
        page.mouse.move(0, 0)
        screenshot(page, "screenshots/indicators.png", full_page=True)


@needs_browser
def test_eval_tab_runs_the_dev_set(page) -> None:
    page.get_by_role("tab", name="评测").click()
    page.click("#eval-go")
    page.wait_for_function("document.querySelector('#eval-summary').innerText.includes('已评测')", timeout=600_000)
    summary = page.inner_text("#eval-summary")
    assert "已评测 30 题" in summary
    metrics = table_rows(page, "#eval-metrics")
    accuracy = next(r for r in metrics if r.startswith("准确率"))
    assert accuracy.endswith("%")  # in percent, as the per-type table and the chart
    assert "准确率（%）" in page.inner_text("#eval-types")
    per_type = [float(r.split(" | ")[3]) for r in table_rows(page, "#eval-types")]
    assert per_type and all(0 <= v <= 100 for v in per_type) and any(v > 1 for v in per_type)
    page.wait_for_selector("#eval-plot canvas, #eval-plot svg")  # the chart is drawn
    screenshot(page, "screenshot-eval.png", full_page=True)


def choose_files(page, *paths: Path) -> None:
    """Put files in the upload box and wait until it lists them (it shows a name's stem and extension
    apart)."""
    page.set_input_files("#upload input[type=file]", [str(p) for p in paths])
    page.wait_for_function("(stems) => stems.every(s => document.querySelector('#upload').innerText.includes(s))",
                           arg=[p.stem for p in paths])


UPLOAD_DEADLINE_MS = 600_000  # the UI's own write-lock wait (GOVQA_UI_WRITE_LOCK_WAIT_S): a deadline, not a pause


def run_upload(page, button: str = "#upload-go") -> str:
    """Click an upload button and wait for the app's own signal that this upload is over (a new
    #upload-status run); its state: "done", or "asking" (a name clash)."""
    before = page.evaluate("document.querySelector('#upload-status [data-run]')?.dataset.run ?? ''")
    page.click(button)
    page.wait_for_function(
        "(before) => { const s = document.querySelector('#upload-status [data-run]');"
        " return s !== null && s.dataset.run !== before; }", arg=before, timeout=UPLOAD_DEADLINE_MS)
    return page.get_attribute("#upload-status [data-run]", "data-state") or ""


def pick_document(page, name: str) -> None:
    """Choose a document in 选择文档 by its file name (the option reads "title · name")."""
    page.locator("#doc-pick input").click()
    page.get_by_role("option", name=re.compile(re.escape(name) + "$")).click()


def remove_document(page, name: str) -> str:
    """Remove a document through its confirmation; the confirmation's text."""
    pick_document(page, name)
    page.click("#remove-go")
    page.wait_for_selector("#remove-yes", state="visible")
    question = page.inner_text("#remove-question")
    page.click("#remove-yes")
    page.wait_for_function("(n) => !document.querySelector('#docs-table').innerText.includes(n)", arg=name)
    page.wait_for_selector("#remove-yes", state="hidden")
    return question


@needs_browser
def test_removing_a_document_asks_first(page) -> None:
    page.get_by_role("tab", name="文档").click()
    page.wait_for_function("document.querySelector('#docs-table').innerText.includes('002_51f523802f205a70.txt')")
    assert page.locator("#remove-yes").is_hidden()
    pick_document(page, "002_51f523802f205a70.txt")
    page.click("#remove-go")
    page.wait_for_selector("#remove-yes", state="visible")
    question = page.inner_text("#remove-question")
    # names the document by its title, says how many passages go, and that it is a bundled sample
    assert "云阳县·关于2022年政府工作报告目标任务" in question and "10 个段落" in question
    assert "示例报告" in question
    page.click("#remove-no")
    page.wait_for_selector("#remove-yes", state="hidden")
    assert "已取消删除" in page.inner_text("#remove-out")
    assert "002_51f523802f205a70.txt" in page.inner_text("#docs-table")  # nothing removed


@needs_browser
def test_upload_is_listed_rendered_as_text_and_removable(page, tmp_path: Path) -> None:
    doc = tmp_path / "xss_test_report.txt"
    doc.write_text(XSS_DOC, encoding="utf-8")
    page.get_by_role("tab", name="文档").click()
    assert page.input_value("#upload-year textarea, #upload-year input") == ""  # no year unless one is typed
    page.wait_for_function("document.querySelector('#index-counts').innerText.includes('5 份文档')")
    choose_files(page, doc)
    page.fill("#upload-region textarea, #upload-region input", "测试县")  # the region override
    assert run_upload(page) == "done"
    assert "已添加 1" in page.inner_text("#upload-status")
    assert "xss_test_report.txt | 已添加" in " ".join(table_rows(page, "#upload-result"))
    assert "xss_test_report.txt" in page.inner_text("#docs-table") and "测试县" in page.inner_text("#docs-table")
    assert "当前索引：6 份文档" in page.inner_text("#index-counts")  # the banner follows the index

    pick_document(page, "xss_test_report.txt")
    page.wait_for_selector("#doc-preview-body")
    preview = page.inner_text("#doc-preview")
    assert "<script>window.__xss=1</script>" in preview and 'onerror="window.__xss=2"' in preview
    assert page.evaluate("typeof window.__xss") == "undefined"

    page.get_by_role("tab", name="对话").click()
    ask(page, "测试县2023年地区生产总值是多少？")
    assert "123.4" in last_bot_text(page)
    page.locator('#chat a[href="#cite-0-1"]').first.click()
    page.wait_for_selector("#source-panel mark")
    assert "<script>window.__xss=1</script>" in page.inner_text("#source-panel")
    assert page.evaluate("typeof window.__xss") == "undefined"

    page.get_by_role("tab", name="文档").click()
    question = remove_document(page, "xss_test_report.txt")
    assert "测试县2023年工作总结" in question and "示例报告" not in question
    assert "已删除：测试县2023年工作总结" in page.inner_text("#remove-out")
    assert "当前索引：5 份文档" in page.inner_text("#index-counts")
    assert "002_51f523802f205a70.txt" in page.inner_text("#docs-table")


@needs_browser
def test_a_bad_upload_says_why_in_chinese(page, tmp_path: Path) -> None:
    page.get_by_role("tab", name="文档").click()
    page.click("#upload-go")  # nothing chosen: a Chinese error, titled in Chinese
    toast = page.locator(".toast-body", has_text="请先选择要上传的文件")
    toast.wait_for()
    assert "错误" in toast.inner_text() and "Error" not in toast.inner_text()

    binary = tmp_path / "broken_binary.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    pdf = tmp_path / "broken_report.pdf"
    pdf.write_bytes("这不是 PDF 文件".encode())
    choose_files(page, binary, pdf)
    assert run_upload(page) == "done"
    assert "失败 2" in page.inner_text("#upload-status")
    rows = table_rows(page, "#upload-result")
    assert any(r.startswith("broken_binary.txt | 失败 | 二进制文件，不是文本") for r in rows), rows
    assert any(r.startswith("broken_report.pdf | 失败 | PDF 文件损坏：缺少 %PDF 文件头") for r in rows), rows
    assert "broken_binary" not in page.inner_text("#docs-table")


@needs_browser
def test_upload_of_a_taken_name_asks_to_replace_or_keep_both(page, tmp_path: Path) -> None:
    def upload(text: str) -> str:
        doc = tmp_path / "clash_report.txt"
        doc.write_text(text, encoding="utf-8")
        choose_files(page, doc)
        return run_upload(page)

    def results() -> str:
        return " ".join(table_rows(page, "#upload-result"))

    page.get_by_role("tab", name="文档").click()
    assert upload(XSS_DOC) == "done" and "clash_report.txt | 已添加" in results()
    assert upload(XSS_DOC.replace("123.4", "234.5")) == "asking" and "待确认" in results()
    page.wait_for_selector("#upload-keep", state="visible")
    assert run_upload(page, "#upload-keep") == "done" and "clash_report (2).txt" in results()
    assert "clash_report (2).txt" in page.inner_text("#docs-table")
    page.wait_for_selector("#upload-keep", state="hidden")
    assert upload(XSS_DOC.replace("123.4", "345.6")) == "asking"
    assert run_upload(page, "#upload-replace") == "done" and "已替换" in results()
    for name in ("clash_report.txt", "clash_report (2).txt"):  # leave the shared index as it was
        remove_document(page, name)

