"""The Gradio app: 对话 (chat with clickable citations), 对比, 指标, 文档, 评测 tabs and an `ask` API.

`launch()` opens the index and starts the background work first (the first-start sample ingest on an
empty index, else the warm-up), and only then imports gradio and builds the app (bot.ui_app), so the
slow gradio import overlaps with loading the embedder. The UI shows the ingest progress; the chat
waits for it.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read when gradio is imported

import json
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from bot.ui_render import progress_html

if TYPE_CHECKING:
    import gradio as gr

    from bot.service import QAService

log = logging.getLogger(__name__)
ALL = "全部"
# events gradio holds before refusing with its own English "busy" (HTTP 503): far above what the gate
# lets wait, so that questions past the gate's limits are refused by the gate, in Chinese (bot.gate)
QUEUE_MAX_SIZE = 1024


# ---- startup state ---------------------------------------------------------------------------
class StartupState:
    """Progress of the first-start sample ingest (or of the warm-up); `ready` is set when the chat may answer."""

    def __init__(self) -> None:
        self.fraction = 0.0
        self.message = "正在准备…"
        self.error: str | None = None
        self.ingesting = False
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._printed = -1

    @classmethod
    def already_ready(cls) -> StartupState:
        state = cls()
        state.finish("")
        return state

    def update(self, fraction: float, message: str) -> None:
        with self._lock:
            self.fraction, self.message = fraction, message
            step = int(fraction * 20)  # console: every 5 %
            if step != self._printed:
                self._printed = step
                print(f"[govqa] ingesting samples: {fraction:6.1%}  {message}", flush=True)

    def finish(self, message: str) -> None:
        with self._lock:
            self.fraction, self.message = 1.0, message
        self.ready.set()

    def fail(self, error: str) -> None:
        with self._lock:
            self.error = error
        self.ready.set()

    def html(self) -> str:
        with self._lock:
            if self.error:
                return progress_html(self.fraction, self.message, error=self.error)
            if self.ready.is_set():
                return progress_html(1.0, self.message, done=True) if self.message else ""
            if not self.ingesting:
                return '<div class="ingest-status running">正在加载模型和索引…</div>'
            name, _, step = self.message.rpartition(": ")
            if step == "reading" and self.fraction == 0.0:
                step = "加载嵌入模型"
            return progress_html(self.fraction, f"{name}：{_translate(step)}" if name else _translate(step))


def ingest_samples(service: QAService, settings: Settings, state: StartupState) -> None:
    """First start on an empty index: ingest settings.samples_dir, then warm up."""
    start = time.perf_counter()
    from ingest.pipeline import Overrides, ingest_paths

    state.ingesting = True
    try:
        report = ingest_paths(
            [Path(settings.samples_dir)], service.store, Overrides(), settings.chunk_min, settings.chunk_max,
            settings.chunk_overlap, settings.embed_batch, progress=state.update, **settings.load_limits(),
        )
        service.warm_up()
    except Exception as exc:
        log.exception("sample ingest failed")
        print(f"[govqa] sample ingest failed: {exc}", flush=True)
        state.fail(str(exc))
        return
    seconds = time.perf_counter() - start
    print(f"[govqa] samples ingested in {seconds:.1f} s: added {report.added}, chunks {report.chunks}, "
          f"failed {len(report.failed)}", flush=True)
    state.finish(f"示例报告已导入：{report.added} 份文档、{report.chunks} 个段落（用时 {seconds:.0f} 秒），可以提问了。")


def warm_up(service: QAService, state: StartupState) -> None:
    start = time.perf_counter()
    try:
        service.warm_up()
        service.complete_vectors()  # documents a killed process left without vectors
    except Exception as exc:
        log.exception("warm-up failed")
        state.fail(str(exc))
        return
    print(f"[govqa] index warmed up in {time.perf_counter() - start:.1f} s", flush=True)
    state.finish("")


# ---- small helpers ---------------------------------------------------------------------------
def _filters(region: str | None, year: str | int | None, kind: str | None = None) -> tuple[str | None, int | None, str | None]:
    region = None if region in (None, "", ALL) else str(region)
    kind = None if kind in (None, "", ALL) else str(kind)
    year_value: int | None = None
    if year not in (None, "", ALL):
        try:
            year_value = int(str(year).strip().rstrip("年"))
        except ValueError:
            year_value = None
    return region, year_value, kind


def _parse_history(history_json: str | list | None) -> list[dict]:
    if history_json in (None, ""):
        return []
    data = json.loads(history_json) if isinstance(history_json, str) else history_json
    if not isinstance(data, list):
        raise ValueError("history must be a JSON list")
    return [{"role": t["role"], "content": str(t["content"])} for t in data if isinstance(t, dict)]


def _compare_question(regions: list[str], indicator: str | None, year: str | None) -> str:
    year_text = "" if year in (None, "", ALL) else f"{year}年"
    names = regions[:-1]
    joined = ("、".join(names) + "和" + regions[-1]) if names else regions[-1]
    return f"{joined}{year_text}的{indicator}分别是多少？"


_MESSAGES = {"reading": "读取中", "embedding": "向量化", "unchanged, skipped": "内容未变，跳过", " chunks": " 个段落"}


def _translate(message: str) -> str:
    """Pipeline progress messages ('x.txt: embedding') in Chinese for the progress bar."""
    text = message.split(": ", 1)[-1]
    for english, chinese in _MESSAGES.items():
        text = text.replace(english, chinese)
    return text


def build_app(service: QAService, settings: Settings, startup: StartupState | None = None) -> gr.Blocks:
    """The Blocks app over one QAService (see bot.ui_app)."""
    from bot.ui_app import build_app as build

    return build(service, settings, startup)


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Start the app; on an empty index ingest the samples in the background while the UI is already up."""
    start = time.perf_counter()
    from bot.service import QAService

    service = QAService(settings)
    startup = StartupState()
    empty = not service.store.list_docs()
    samples = Path(settings.samples_dir)
    if empty and samples.is_dir():
        print(f"[govqa] empty index at {settings.index_dir}: ingesting {samples} in the background", flush=True)
        worker = threading.Thread(target=ingest_samples, args=(service, settings, startup), daemon=True)
    else:
        if empty:
            print(f"[govqa] empty index and no samples at {samples}: upload reports in the 文档 tab", flush=True)
        worker = threading.Thread(target=warm_up, args=(service, startup), daemon=True)
    worker.start()
    from bot.ui_app import build_app as build  # imports gradio, while the worker runs
    from bot.ui_app import launch_kwargs

    demo = build(service, settings, startup)
    # other events (tables, uploads) run settings.concurrency at a time; questions bypass this limit
    # and are limited by App.gate, which refuses in Chinese
    demo.queue(default_concurrency_limit=settings.concurrency, max_size=QUEUE_MAX_SIZE)
    demo.launch(server_name=host, server_port=port, prevent_thread_lock=True, **launch_kwargs(settings))
    print(f"[govqa] UI up at http://{host}:{port} after {time.perf_counter() - start:.1f} s", flush=True)
    startup.ready.wait()
    print(f"[govqa] ready to answer after {time.perf_counter() - start:.1f} s", flush=True)
    try:
        demo.block_thread()
    finally:
        service.store.close()

