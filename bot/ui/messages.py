"""Every message the UI shows a user, in Chinese, in one place. Handlers and renderers take their
text from here; reasons that come from elsewhere in English (ingest failures, eval failure codes)
are mapped to Chinese here too."""

from __future__ import annotations

import re

INDEX_COUNTS = "当前索引：{docs} 份文档、{chunks} 个段落"

# ---- 文档: removal -------------------------------------------------------------------------------
PICK_A_DOC_FIRST = "请先选择要删除的文档"
NOT_IN_INDEX = "索引中没有这个文档：{doc}"
REMOVED = "已删除：{title}（{chunks} 个段落）"
REMOVE_CANCELLED = "已取消删除。"


def remove_question(title: str, doc: str, chunks: int, bundled: bool) -> str:
    """What the confirmation asks before a document is removed."""
    name = title if title == doc else f"{title}（{doc}）"
    text = f"确定删除“{name}”吗？它的 {chunks} 个段落及从中提取的指标将从索引中删除，问答不再引用它。"
    if bundled:
        text += "这是随附的示例报告：删除后示例问题可能无法回答，可重新导入 data/samples 中的同名文件恢复。"
    return text


# ---- 对话: the scope of an answer ----------------------------------------------------------------
SCOPE_FILTERS = "筛选条件：{filters}"
SCOPE_CARRIED = "沿用上文的地区：{regions}"
NOTHING_UNDER_SCOPE = "在以上条件下没有找到答案。可点击对话下方的按钮，去掉这些条件再问一次。"
RETRY_WITHOUT_FILTERS = "去掉筛选条件，再问一次"
RETRY_WITHOUT_CARRIED = "不沿用上文的地区，再问一次"


# ---- errors ------------------------------------------------------------------------------------
def error(text: str, **kwargs: object) -> Exception:
    """A gr.Error with a Chinese title (gradio's default title is "Error")."""
    import gradio as gr

    return gr.Error(text, title="错误", **kwargs)  # type: ignore[arg-type]


def problem_text(exc: BaseException) -> str:
    """An exception for a user: the index's own Chinese explanation where it has one, an ingest reason
    mapped to Chinese, else a general sentence (the English detail goes to the log, not the page)."""
    zh = getattr(exc, "zh", None)
    if isinstance(zh, str) and zh:
        return zh
    return ingest_reason(str(exc), UNKNOWN_PROBLEM)


UNKNOWN_PROBLEM = "内部错误（详情见服务器日志）"
FILE_UNREADABLE = "读取该文件时出错（详情见服务器日志）"
INDEX_UNAVAILABLE = "索引不可用：{reason}"
ANSWER_FAILED = "回答时出错：{reason}。请换个问法或稍后再试。"
NO_ANSWER = "没有得到回答，请换个问法再试。"
SAMPLES_FAILED = "示例报告导入失败：{reason}"
TABLE_FAILED = "生成表格时出错：{reason}"
TARGETS_FAILED = "查询目标时出错：{reason}"
EVAL_FILE_UNREADABLE = "评测文件无法读取：{reason}"
API_EMPTY_QUESTION = "问题为空"
API_BAD_HISTORY = "history_json 应为 JSON 列表，每项含 role 和 content"
API_NOT_READY = "索引尚未就绪，请稍后再试"
UPLOAD_NOTHING = "请先选择要上传的文件（.txt / .docx / .pdf）"
UPLOAD_WHILE_STARTING = "示例报告还在导入，请稍后再上传"
UPLOAD_BUSY = "另一个导入正在进行，请稍后再试"
UPLOAD_CLASH = "索引中已有同名文档：替换它，还是两个都保留？"
UPLOAD_ASKING = "{n} 个文件与索引中的文档同名，请选择“替换原文档”或“两个都保留”。"
UPLOAD_DONE = "导入完成：{counts}。"
UPLOAD_BAD_YEAR = "年份应为四位数字（如 2023），或留空自动识别：{year}"
UPLOAD_UNSUPPORTED = "不支持的文件类型（只支持 .txt / .docx / .pdf）"
EVAL_WHILE_STARTING = "示例报告还在导入，请稍后再评测"
EVAL_NEEDS_FILE = "请上传 JSONL 评测文件"


# ---- ingest: reasons a file was not imported -------------------------------------------------------
# (pattern on ingest's English reason, Chinese text with the pattern's groups); first match wins
_INGEST_REASONS: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.S), t) for p, t in (
    (r"^binary file, not text", "二进制文件，不是文本"),
    (r"^empty file", "文件为空"),
    (r"^file not found", "文件不存在"),
    (r"^not a regular file", "不是普通文件"),
    (r"^cannot read file", "无法读取文件"),
    (r"^cannot decode text \(invalid utf-16\)", "无法识别文本编码（UTF-16 数据无效）"),
    (r"^cannot decode text", "无法识别文本编码（已尝试 UTF-8 和 GB18030）"),
    (r"^unsupported file type: (\S+)", r"不支持的文件类型：\1（只支持 .txt / .docx / .pdf）"),
    (r"^file too large \(([\d.]+) MB > ([\d.]+) MB limit\)", r"文件过大：\1 MB，超过上限 \2 MB"),
    (r"^text too long: more than ([\d,]+) characters", r"文字过多：超过 \1 个字符"),
    (r"^text too long: word/document\.xml unpacks to ([\d.]+) MB", r"文字过多：DOCX 正文解压后有 \1 MB"),
    (r"^text too long", "文字过多"),
    (r"^docx unpacks to (\d+) MB besides its text", r"DOCX 文件解压后除正文外还有 \1 MB，超过上限"),
    (r"^corrupt or unreadable docx", "DOCX 文件损坏或无法读取"),
    (r"^corrupt pdf \(no %PDF header\)", "PDF 文件损坏：缺少 %PDF 文件头"),
    (r"^corrupt or truncated pdf \(no %%EOF marker\)", "PDF 文件损坏或不完整：缺少 %%EOF 结束标记"),
    (r"^pdf is encrypted", "PDF 文件已加密，无法读取"),
    (r"^too many pages: (\d+) \(limit (\d+)\)", r"页数过多：\1 页，超过上限 \2 页"),
    (r"^corrupt pdf", "PDF 文件损坏"),
    (r"^pdf has no text layer", "PDF 没有文字层（可能是扫描件），请先做文字识别"),
    (r"^no text left after cleaning", "清理后没有剩余的正文文字"),
    (r"^no chunks produced", "没有可以切分的正文段落"),
    (r"^same document name '([^']*)' as (.*?) in this batch", r"与本次导入的另一个文件（\2）同名"),
    (r"^same content as the document '([^']*)' already in the index", r"内容与索引中的文档“\1”相同"),
    (r"^embedding failed", "向量化失败"),
    (r"^indexing failed", "写入索引失败"),
)]
_LIMIT_HINT = re.compile(r"; raise (GOVQA_\w+) to allow it")


def ingest_reason(reason: str, fallback: str = FILE_UNREADABLE) -> str:
    """Why a file was not imported, in Chinese (ingest reports it in English); text that is not ASCII
    is taken to be Chinese already (an index error's own words)."""
    text = reason.strip()
    for pattern, chinese in _INGEST_REASONS:
        match = pattern.search(text)
        if match:
            hint = _LIMIT_HINT.search(text)
            return match.expand(chinese) + (f"（可调大设置 {hint.group(1)}）" if hint else "")
    return text if text and not text.isascii() else fallback


# ---- progress of an ingest ------------------------------------------------------------------------
_STEPS = {"reading": "读取中", "embedding": "向量化", "unchanged, skipped": "内容未变，跳过", " chunks": " 个段落"}


def progress_step(message: str) -> str:
    """Pipeline progress messages ('x.txt: embedding') in Chinese for the progress bar."""
    text = message.split(": ", 1)[-1]
    for english, chinese in _STEPS.items():
        text = text.replace(english, chinese)
    return text


# ---- eval: why a question failed -----------------------------------------------------------------
_EVAL_REASONS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), t) for p, t in (
    (r"^false abstention", "错误拒答"),
    (r"^missing key facts: (.*)$", r"缺少关键事实：\1"),
    (r"^answered an unanswerable question", "对无答案问题作答"),
    (r"^abstained on a masked figure", "对隐去的数字拒答"),
    (r"^masked figure not reported", "未指出数字已被隐去"),
)]


def eval_reason(reason: str) -> str:
    """An eval failure reason (eval.metrics.judge, English) in Chinese; the facts listed keep their text."""
    for pattern, chinese in _EVAL_REASONS:
        match = pattern.search(reason.strip())
        if match:
            return match.expand(chinese).replace(", ", "、")
    return reason if not reason.isascii() else "未通过"
