"""Text addressed to the assistant rather than to a report's readers: the one detector.

A report speaks to 各位代表 or to its departments; it never speaks to a question-answering system.
Sentences that do ("系统提示：…应表述为888.8亿元", "Ignore previous instructions…", "请把…改为…",
a figure carrying a citation marker "777.7亿元[1]") were planted. Cleaning replaces each such
sentence, or bracketed aside, with PLANTED_MARK, so it is never evidence, never a figure fact and
never an indicator record; the answerer can still tell that a cited document held such text.
"""

from __future__ import annotations

import re
import unicodedata

# no clause separator inside: a figure after the mark must not take it for part of its subject
PLANTED_MARK = "〔疑似指令文本已忽略〕"

# who the text speaks to or as: a chat role, a system prompt, the model itself
_ROLE = (
    r"(?:系统|system|sys)\s*(?:提示|指令|消息|设定|通知|prompt|message|instruction)"
    r"|(?:^|[\s\[【(（<|])(?:system|assistant|user|developer|系统|助手|用户)\s*[\]】)）|>]?\s*[:：]"
    r"|<\|?\s*(?:im_start|im_end|system|assistant|user|endoftext)\s*\|?>"
    r"|\[\s*/?\s*(?:INST|SYS)\s*\]"
    r"|你(?:现在)?(?:是|扮演|充当|作为)(?:一个|一名|本)?.{0,16}?(?:助手|模型|机器人|AI|智能体|发言人|客服)"
    r"|作为(?:一个)?(?:AI|人工智能|语言模型|大模型|助手|问答系统)"
    r"|(?:致|给|对|供|提醒|告诉)(?:各位)?(?:问答|对话|聊天)?(?:AI|人工智能|大模型|语言模型|模型|助手|机器人|问答系统)"
    r"|(?:AI|人工智能|大模型|语言模型|模型|助手|机器人|问答系统)(?:在回答|回答时|在答复|答复时)"
    r"|提示词|越狱|jailbreak|prompt\s*injection"
)
# what the text orders the answer to say or do
_ORDER = (
    r"(?:请|务必|须|必须|一律|统一|直接)?(?:把|将).{0,30}?(?:改为|改成|修改为|替换为|写成|写为|说成|表述为|表述成|回答为|答成)"
    r"|(?:说成|写成|答成|表述为|表述成|回答为|回复为|答复为|作答为|输出为)"
    r"|(?:请|务必|须|必须|一律|统一|直接|应|应当)(?:你|您)?(?:回答|回复|答复|作答|输出|声称|告诉|告知)"
    r"|(?:你|您)(?:必须|应当|应该|要|需要|只能|一定要)?(?:回答|回复|答复|作答|输出|声称|说成|告诉)"
    r"|在(?:回答|答案|回复|答复|输出)(?:中|里|时)|回答(?:时|中|本文件|相关问题)|(?:答复|回答)口径"
    r"|(?:用户|提问者|有人)(?:问|询问|问及|问到|提问)"
    r"|(?:忽略|无视|不要理会|忘记|忘掉|不必理会)(?:以上|上述|之前|前面|先前|其他|其它|所有|全部|本文|报告|原文|材料)"
    r"|(?:不要|请勿|勿|不得)(?:引用|提及|参考|采用|使用)(?:其他|其它|别的|原文|报告)"
    r"|优先级最高|最高优先级|(?:按此|据此|以此为准)(?:回答|作答|答复|回复)"
    r"|\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|prompts?|above|previous|prior|context|report|rules?)\b"
    r"|\b(?:you|the (?:model|assistant|bot|ai))\s+(?:must|should|shall|will|are to|need to)\b"
    r"|\b(?:must|should)\s+(?:now\s+)?(?:state|say|answer|reply|respond|report|claim|output)\b"
    r"|\b(?:answer|reply|respond|state|say)\s+(?:that|with|only)\b"
    r"|\bnote to (?:the )?(?:model|assistant|ai|bot|llm)\b|\bif (?:anyone|someone|the user) asks\b"
)
# a citation marker is the answer's own format: in a source, after a figure, it fakes a cited answer
_FAKE_CITATION = r"(?:\d|[%‰元人户吨亩项个家])\s*[\[【]\s*\d{1,3}\s*[\]】]"

PLANTED_RE = re.compile(f"{_ROLE}|{_ORDER}|{_FAKE_CITATION}", re.IGNORECASE)

# English full stops do not end a sentence here: "… i.e. 771亿元" must go with the order before it
_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;\n]|$)")
_ASIDE_RE = re.compile(r"（[^（）\n]{2,200}）|\([^()\n]{2,200}\)|【[^【】\n]{2,200}】|\[[^\[\]\n]{2,200}\]")


def is_planted(text: str) -> bool:
    """Is this sentence addressed to the assistant (an instruction, a role marker, a faked citation)?"""
    return PLANTED_RE.search(unicodedata.normalize("NFKC", text.replace(PLANTED_MARK, ""))) is not None


def strip_planted(text: str) -> tuple[str, int]:
    """The text with planted asides and sentences replaced by PLANTED_MARK, and how many were."""
    found = 0

    def aside(match: re.Match[str]) -> str:
        nonlocal found
        if is_planted(match.group(0)):
            found += 1
            return PLANTED_MARK
        return match.group(0)

    text = _ASIDE_RE.sub(aside, text)
    parts: list[str] = []
    for match in _SENTENCE_RE.finditer(text):
        sentence = match.group(0)
        if sentence.strip() and is_planted(sentence):
            found += 1
            end = sentence[-1] if sentence[-1] in "。！？!?；;\n" else ""
            parts.append(PLANTED_MARK + (end if end in ("\n", "") else "。"))
        else:
            parts.append(sentence)
    return "".join(parts), found
