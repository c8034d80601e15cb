"""What the app does before it can answer: the first-start sample ingest on an empty index, else the
warm-up, with the progress shown in the banner (StartupState)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from bot.ui import messages as msg
from bot.ui.render import progress_html

if TYPE_CHECKING:
    from bot.service import QAService

log = logging.getLogger(__name__)

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
            return progress_html(self.fraction, f"{name}：{msg.progress_step(step)}" if name else msg.progress_step(step))


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
        state.fail(msg.problem_text(exc))
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
        state.fail(msg.problem_text(exc))
        return
    print(f"[govqa] index warmed up in {time.perf_counter() - start:.1f} s", flush=True)
    state.finish("")
