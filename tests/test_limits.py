"""Bounded work: per-file text and page limits counted while extracting, the question-length limit, a
bounded conversation, and a burst of API calls against a real server that ends answered or told
"系统繁忙，请稍后再试" — never an error."""

from __future__ import annotations

import collections
import io
import json
import shutil
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import httpx
import pytest

from bot.bounds import BUSY_MESSAGE, bound_history
from bot.gate import Busy, Gate
from bot.models import Turn
from ingest.load import LoadError, load_file
from tests.test_ingest_cli import govqa, small_report
from tests.ui_helpers import Server

QUESTION = "云阳县2022年地区生产总值是多少？"


def docx_with_text(chars: int, per_paragraph: int = 2000) -> bytes:
    """A real .docx (python-docx's template) whose body is `chars` characters of text, written straight
    into word/document.xml: 17 million characters pack into a zip of some 200 KB."""
    template = io.BytesIO()
    docx.Document().save(template)
    source = zipfile.ZipFile(io.BytesIO(template.getvalue()))
    head, tail = source.read("word/document.xml").decode("utf-8").split("<w:body>", 1)
    paragraph = "<w:p><w:r><w:t>" + "地区生产总值增长" * (per_paragraph // 8) + "</w:t></w:r></w:p>"
    body = paragraph * max(1, chars // per_paragraph)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = (head + "<w:body>" + body + tail).encode("utf-8")
            package.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def pdf_pages(count: int, words: int = 12) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for n in range(count):
        page.drawString(72, 720, f"Page {n + 1}: " + "output grew five percent " * words)
        page.showPage()
    page.save()
    return buffer.getvalue()


def load_error(path: Path, **limits: int) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path, **limits)
    return str(info.value)


# ---- per-file limits -------------------------------------------------------------------------------
def test_docx_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(docx_with_text(17_000_000))
    with zipfile.ZipFile(bomb) as package:
        assert package.getinfo("word/document.xml").file_size > 50_000_000
    assert bomb.stat().st_size < 1_000_000
    start = time.perf_counter()
    error = load_error(bomb)
    print(f"\n[limits] {bomb.stat().st_size / 1e3:.0f} KB docx bomb refused in {time.perf_counter() - start:.3f} s")
    assert error.startswith("text too long: word/document.xml unpacks to 5") and "MB" in error


def test_docx_text_counted_while_streaming(tmp_path: Path) -> None:
    path = tmp_path / "long.docx"
    path.write_bytes(docx_with_text(30_000))
    assert load_error(path, max_chars=20_000) == "text too long: more than 20,000 characters"
    assert len(load_file(path).text) >= 30_000  # the default limit lets it in


def test_pdf_page_and_text_limits(tmp_path: Path) -> None:
    path = tmp_path / "three.pdf"
    path.write_bytes(pdf_pages(3))
    assert load_error(path, max_pages=2) == "too many pages: 3 (limit 2)"
    assert load_error(path, max_chars=400).startswith("text too long: more than 400 characters")
    assert load_file(path, max_pages=3).text.count("Page") == 3


def test_html_and_text_limits(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body>" + "<p>地区生产总值增长5%</p>" * 3000 + "</body></html>", encoding="utf-8")
    assert load_error(page, max_chars=10_000) == "text too long: more than 10,000 characters"
    plain = tmp_path / "plain.txt"
    plain.write_text("地区生产总值增长5%。" * 2000, encoding="utf-8")
    assert load_error(plain, max_chars=10_000) == "text too long: more than 10,000 characters"
    assert len(load_file(plain).text) == 22_000


def test_limits_in_a_cli_batch_fail_per_file_and_the_rest_go_in(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bomb.docx").write_bytes(docx_with_text(17_000_000))
    (folder / "long.docx").write_bytes(docx_with_text(30_000))
    (folder / "three.pdf").write_bytes(pdf_pages(3))
    (folder / "good.txt").write_text(small_report("东河县", "光伏发电"), encoding="utf-8")
    start = time.perf_counter()
    result = govqa("ingest", str(folder), "--json", "--index", str(tmp_path / "index"), cwd=tmp_path,
                   GOVQA_MAX_DOC_CHARS="20000", GOVQA_MAX_PAGES="2")
    print(f"\n[limits] batch with a docx bomb: {time.perf_counter() - start:.1f} s (process start, model load and "
          "one good file included)")
    assert result.returncode == 2, result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 1
    errors = {Path(f["path"]).name: f["error"] for f in report["failed"]}
    assert set(errors) == {"bomb.docx", "long.docx", "three.pdf"}
    assert "word/document.xml unpacks to" in errors["bomb.docx"] and "GOVQA_MAX_DOC_CHARS" in errors["bomb.docx"]
    assert errors["long.docx"] == "text too long: more than 20,000 characters; raise GOVQA_MAX_DOC_CHARS to allow it"
    assert errors["three.pdf"] == "too many pages: 3 (limit 2); raise GOVQA_MAX_PAGES to allow it"
    assert "Traceback" not in result.stderr


# ---- questions -------------------------------------------------------------------------------------
def test_long_question_is_answered_with_a_request_to_shorten(qa_service) -> None:
    long = QUESTION * 7000  # 119,000 characters
    answer = qa_service.ask(long)
    assert answer.answer == f"问题过长（{len(long)}字），请控制在500字以内。"
    assert answer.abstained and not answer.citations
    assert len(answer.question) <= 501
    streamed = list(qa_service.ask_stream(long))
    assert [a.answer for a in streamed] == [answer.answer]
    at_limit = QUESTION + "，" * (500 - len(QUESTION))  # 500 characters: answered
    assert "557.7" in qa_service.ask(at_limit).answer
    assert "问题过长（501字）" in qa_service.ask(at_limit + "？").answer


def test_long_question_in_the_cli(seed_index_copy: Path, tmp_path: Path) -> None:
    result = govqa("ask", QUESTION * 100, "--json", "--index", str(seed_index_copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answer"] == f"问题过长（{len(QUESTION) * 100}字），请控制在500字以内。"


def test_history_keeps_the_latest_turns_each_cut() -> None:
    history = [Turn(role="user" if n % 2 == 0 else "assistant", content=f"{n}:" + "长" * 50_000) for n in range(400)]
    kept = bound_history(history, 6, 2000)
    assert [t.content.split(":")[0] for t in kept] == [str(n) for n in range(394, 400)]
    assert all(len(t.content) == 2000 for t in kept)
    assert bound_history(history[:2], 6, 2000) == [Turn(role=t.role, content=t.content[:2000]) for t in history[:2]]


def test_follow_up_after_a_long_conversation(qa_service) -> None:
    filler = [Turn(role=role, content="无关的内容。" * 5000) for _ in range(100) for role in ("user", "assistant")]
    recent = [Turn(role="user", content="云阳县2022年一般公共预算收入是多少？"),
              Turn(role="assistant", content="云阳县2022年一般公共预算收入18.1亿元。[1]")]
    answer = qa_service.ask("那冠县呢？", [*filler, *recent])
    assert "冠县" in answer.answer and answer.citations
    assert all(c.region == "冠县" for c in answer.citations)


# ---- the answering gate ----------------------------------------------------------------------------
def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_gate_lets_one_answer_one_wait_and_refuses_the_rest() -> None:
    gate = Gate(active=1, waiting=1, wait_s=30)
    entered: list[str] = []

    def waiter() -> None:
        with gate.slot():
            entered.append("waiter")

    with gate.slot():
        thread = threading.Thread(target=waiter)
        thread.start()
        wait_until(lambda: gate.load() == (1, 1))
        with pytest.raises(Busy), gate.slot():  # a third question: refused at once
            entered.append("third")
        assert entered == []
    thread.join(10)
    assert entered == ["waiter"] and gate.load() == (0, 0)


def test_gate_refuses_a_question_that_waited_too_long() -> None:
    gate = Gate(active=1, waiting=4, wait_s=0.05)
    with gate.slot(), pytest.raises(Busy), gate.slot():
        pass
    assert gate.load() == (0, 0)
    with gate.slot():  # the slot is free again
        assert gate.load() == (1, 0)


# ---- a burst against a real server -----------------------------------------------------------------
def ask_over_rest(http: httpx.Client, url: str, question: str) -> tuple[str, str]:
    """One call of gradio's REST API (POST, then the event's SSE stream): (outcome, text)."""
    response = http.post(f"{url}gradio_api/call/ask", json={"data": [question, "[]", "", ""]})
    if response.status_code != 200:
        return f"http {response.status_code}", response.text[:200]
    event = response.json()["event_id"]
    kind = ""
    with http.stream("GET", f"{url}gradio_api/call/ask/{event}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                kind = line.removeprefix("event:").strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                data = json.loads(line.removeprefix("data:"))
                if kind == "complete":
                    return "answered", data[0]["answer"]
                message = data.get("error", "") if isinstance(data, dict) else str(data)
                return ("busy" if message == BUSY_MESSAGE else "error"), str(message)
    return "no result", kind


@pytest.fixture(scope="module")
def tight_server(seed_index: Path, tmp_path_factory: pytest.TempPathFactory):
    """A server that answers one question at a time and lets two wait."""
    index = tmp_path_factory.mktemp("burst-index") / "index"
    shutil.copytree(seed_index, index)
    server = Server(index, env={"GOVQA_CONCURRENCY": "1", "GOVQA_MAX_WAITING": "2"})
    try:
        server.wait_for("ready to answer", 180)
        yield server
    finally:
        server.stop()


def test_burst_of_300_calls_is_answered_or_told_busy(tight_server: Server) -> None:
    calls = 300
    with httpx.Client(timeout=300, limits=httpx.Limits(max_connections=calls)) as http:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=calls) as pool:
            outcomes = list(pool.map(lambda _: ask_over_rest(http, tight_server.url, QUESTION), range(calls)))
        wall = time.perf_counter() - start
    counts = collections.Counter(kind for kind, _ in outcomes)
    print(f"\n[burst] {calls} concurrent REST calls, 1 answering + 2 waiting: {dict(counts)} in {wall:.1f} s")
    unexplained = [(kind, text) for kind, text in outcomes if kind not in ("answered", "busy")]
    assert unexplained == []
    assert all("557.7" in text for kind, text in outcomes if kind == "answered")
    assert counts["answered"] > 0 and counts["busy"] > 0
    assert not any("Traceback" in line for line in tight_server.lines)


def test_long_question_over_the_api(tight_server: Server) -> None:
    from gradio_client import Client

    answer = Client(tight_server.url, verbose=False).predict(QUESTION * 1000, "[]", "", "", api_name="/ask")
    assert answer["answer"] == f"问题过长（{len(QUESTION) * 1000}字），请控制在500字以内。"
