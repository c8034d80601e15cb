"""Verification for both answerers: citations must exist, and every figure must be in a cited passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import Verification
from bot.verify.numbers import unsupported_figures
from ingest.quantity import find_quantities

_MARKER = re.compile(r"\[(\d{1,3})\]")
# a segment ends after a run of citation markers, or at a line break
_SEGMENT = re.compile(r"[^\n]*?(?:\[\d{1,3}\])+[）)」”’]?|[^\n]+")
UNSUPPORTED_NOTE = "（注：回答中有无法在所引原文中核实的内容，已删除。）"
PLANTED_NOTE = "（注：所引文件中有疑似向问答系统下达指令的文字，已作为数据忽略，未用作依据。）"


@dataclass
class Verified:
    text: str
    used: list[int]  # original passage numbers cited, in order of first use (1-based)
    verification: Verification


def segments(text: str) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        pieces = [m.group(0) for m in _SEGMENT.finditer(line) if m.group(0)]
        out.extend(pieces or [""])
        out.append("\n")
    return out[:-1] if out else out


def verify(text: str, passage_texts: dict[int, str], computed: list[str] | None = None) -> Verified:
    """Drop unknown [n] markers and segments whose figures are not in their cited passages. `computed`
    are figures the answerer counted over the index (a ranking's "31份", "第6位"): those, and only
    those, need no passage."""
    counted = "\n".join(computed or [])
    report = Verification()
    kept: list[str] = []
    removed = 0
    for segment in segments(text):
        if segment == "\n":
            kept.append(segment)
            continue
        markers = [int(n) for n in _MARKER.findall(segment)]
        bad = [n for n in markers if n not in passage_texts]
        for n in bad:
            if n not in report.bad_citations:
                report.bad_citations.append(n)
            segment = segment.replace(f"[{n}]", "")
        good = [n for n in markers if n in passage_texts]
        evidence = "\n".join([*(passage_texts[n] for n in good), counted])
        plain = _MARKER.sub("", segment)
        report.checked += sum(1 for q in find_quantities(plain) if not q.masked and q.kind != "other")
        unsupported = unsupported_figures(plain, evidence)
        if unsupported:
            report.unsupported.extend(unsupported)
            removed += 1
            continue
        kept.append(segment)
    body = "".join(kept)
    body = re.sub(r"\n{2,}", "\n", body).strip()
    if removed:
        body = (body + "\n" if body else "") + UNSUPPORTED_NOTE
    used: list[int] = []
    for n in (int(x) for x in _MARKER.findall(body)):
        if n not in used:
            used.append(n)
    return Verified(body, used, report)


def renumber(text: str, used: list[int]) -> str:
    """Markers renumbered 1..len(used) in order of first use."""
    mapping = {old: new for new, old in enumerate(used, start=1)}
    return _MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)
