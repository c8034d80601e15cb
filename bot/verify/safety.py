"""Passages are data, never instructions: find instruction-like sentences so they are not used."""

from __future__ import annotations

import re

_INJECTION = re.compile(
    r"(忽略|无视|不要理会|忘记|忘掉)(以上|上述|之前|前面|先前|所有|全部)?.{0,8}(要求|指令|指示|规则|提示|设定|内容)"
    r"|(请|你)(必须|应当|应该|要)?(回答|输出|声称|说|回复).{0,20}(为|是)"
    r"|你(现在)?是(一个|一名)?.{0,10}(助手|模型|AI|机器人)"
    r"|(system|assistant)\s*prompt|ignore (all |the )?(previous|above) (instructions|requirements)"
    r"|作为(AI|人工智能|语言模型)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^。！？!?；;\n]*[。！？!?；;\n]?")
REDACTED = "〔此处疑似指令文本，已作为数据忽略〕"


def is_instruction(sentence: str) -> bool:
    return bool(_INJECTION.search(sentence))


def redact_instructions(text: str) -> tuple[str, bool]:
    """The text with instruction-like sentences replaced by a marker, and whether any were found."""
    found = False
    parts: list[str] = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0)
        if sentence and is_instruction(sentence):
            parts.append(REDACTED)
            found = True
        else:
            parts.append(sentence)
    return "".join(parts), found
