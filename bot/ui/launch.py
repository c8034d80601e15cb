"""`govqa chat`: open the index and start the background work first (the first-start sample ingest on
an empty index, else the warm-up), and only then import gradio and build the app (bot.ui.app), so
the slow gradio import overlaps with loading the embedder. The UI shows the ingest progress; the chat
waits for it."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read when gradio is imported

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from bot.ui.startup import StartupState, ingest_samples, warm_up

if TYPE_CHECKING:
    import gradio as gr

# events gradio holds before refusing with its own English "busy" (HTTP 503): far above what the gate
# lets wait, so that questions past the gate's limits are refused by the gate, in Chinese (bot.gate)
QUEUE_MAX_SIZE = 1024


def theme() -> gr.themes.Base:
    """System fonts only: the default Google fonts cannot be fetched offline."""
    import gradio as gr

    fonts = ["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"]
    return gr.themes.Soft(font=fonts, font_mono=["ui-monospace", "monospace"])


def launch_kwargs(settings: Settings) -> dict:
    from bot.auth import make_auth
    from bot.ui.render import CSS, HEAD

    kwargs: dict = {
        "css": CSS, "head": HEAD, "theme": theme(), "footer_links": ["api", "settings"], "show_error": True,
        "max_file_size": f"{settings.max_file_mb}mb",
    }
    if settings.auth_file:
        kwargs["auth"] = make_auth(Path(settings.auth_file), settings.login_max_failures, settings.login_lockout_s)
        kwargs["auth_message"] = "请输入用户名和密码登录"
    return kwargs


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
    from bot.ui.app import build_app  # imports gradio, while the worker runs

    demo = build_app(service, settings, startup)
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
