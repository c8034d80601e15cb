"""The Gradio app (`govqa chat`): 对话, 对比, 指标, 文档, 评测 tabs and an `ask` API.

Modules: launch (start the server), startup (first-start sample ingest / warm-up state), app (the
Blocks layout, one builder per tab), handlers (the event handlers, class App), render (escaping and
HTML), inputs (parsing the form fields), table (对比 and targets), upload, eval_tab, messages.
Importing this package does not import gradio: launch() starts loading the index first.
"""

from __future__ import annotations

from bot.ui.launch import launch

__all__ = ["launch"]
