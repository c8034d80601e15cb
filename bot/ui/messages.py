"""Every message the UI shows a user, in Chinese, in one place. Handlers and renderers take their
text from here; reasons that come from elsewhere in English (ingest failures, eval failure codes)
are mapped to Chinese here too."""

from __future__ import annotations

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
