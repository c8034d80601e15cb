"""Structure-aware chunking: sections 一、/（一）/1．, sentence-end splits, small overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.models import Chunk, DocMeta

CN_NUM = "一二三四五六七八九十"
_L1 = re.compile(rf"^[{CN_NUM}]{{1,3}}、")
_L2 = re.compile(rf"^[（(][{CN_NUM}]{{1,3}}[）)]")
_L3 = re.compile(r"^\d{1,2}[．.、](?!\d)")
_SENTENCE_END = re.compile(r"(?<=[。；！？!?;])")
_HEADING_CUT = re.compile(r"[。；！？，,:：]")
_YEAR_IN_SECTION = re.compile(r"((?:19|20)\d{2})年")

MASK_PATTERN = re.compile(r"\*+|(?<![A-Za-z])[Xx]{1,6}(?![A-Za-z])")


def heading_level(line: str) -> int:
    if _L1.match(line):
        return 1
    if _L2.match(line):
        return 2
    if _L3.match(line):
        return 3
    return 0


def heading_label(line: str, level: int) -> str:
    """Short section label: the heading up to its first clause end (max 30 chars)."""
    if level == 3:
        return line[: _L3.match(line).end()]  # type: ignore[union-attr]
    cut = _HEADING_CUT.search(line)
    label = line[: cut.start()] if cut else line
    return label[:30]


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s]


@dataclass
class _Paragraph:
    text: str
    path: tuple[str, ...]
    top: int  # index of the top-level section
    starts_block: bool  # begins a (sub)section


def _paragraphs(text: str) -> list[_Paragraph]:
    path: list[str] = []
    top = 0
    out: list[_Paragraph] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        level = heading_level(line)
        if level:
            if level == 1:
                top += 1
            path = path[: level - 1]
            while len(path) < level - 1:
                path.append("")
            path.append(heading_label(line, level))
        out.append(_Paragraph(line, tuple(p for p in path if p), top, bool(level)))
    return out


def _pieces(paragraph: _Paragraph, max_chars: int) -> list[str]:
    """A paragraph split into pieces of at most max_chars, cut at sentence ends."""
    if len(paragraph.text) <= max_chars:
        return [paragraph.text]
    pieces: list[str] = []
    current = ""
    for sentence in split_sentences(paragraph.text):
        while len(sentence) > max_chars:  # a run-on "sentence": cut at commas, then hard
            cut = max(sentence.rfind("，", 0, max_chars), sentence.rfind(",", 0, max_chars))
            cut = cut + 1 if cut > max_chars // 3 else max_chars
            head, sentence = sentence[:cut], sentence[cut:]
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if len(current) + len(sentence) > max_chars and current:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return pieces


def _chunk_year(path: tuple[str, ...], default: tuple[int, int]) -> tuple[int, int]:
    for label in reversed(path):
        years = [int(y) for y in _YEAR_IN_SECTION.findall(label)]
        if len(years) == 1:
            return (years[0], years[0])
    return default


def chunk_text(
    text: str,
    meta: DocMeta,
    doc_hash: str,
    years: tuple[int, int] = (0, 9999),
    min_chars: int = 150,
    max_chars: int = 500,
    overlap: int = 40,
) -> list[Chunk]:
    """Chunks that never cross a top-level section, each with its section path."""
    groups: list[list[tuple[str, tuple[str, ...], bool]]] = []
    last_top = -1
    for para in _paragraphs(text):
        if para.top != last_top:
            groups.append([])
            last_top = para.top
        for i, piece in enumerate(_pieces(para, max_chars)):
            groups[-1].append((piece, para.path, para.starts_block and i == 0))

    chunks: list[Chunk] = []
    for group in groups:
        bodies: list[tuple[str, tuple[str, ...]]] = []
        current, current_path = "", ()
        for piece, path, starts_block in group:
            too_long = len(current) + len(piece) + 1 > max_chars
            new_block = starts_block and len(current) >= min_chars
            if current and (too_long or new_block):
                bodies.append((current, current_path))
                current, current_path = "", ()
            if not current:
                current_path = path
            current = f"{current}\n{piece}" if current else piece
        if current:
            if bodies and len(current) < min_chars // 2 and len(bodies[-1][0]) + len(current) <= max_chars + min_chars:
                prev, prev_path = bodies.pop()
                current, current_path = f"{prev}\n{current}", prev_path
            bodies.append((current, current_path))

        previous_tail = ""
        for body, path in bodies:
            chunk_body = f"{previous_tail}{body}" if previous_tail else body
            first_year, last_year = _chunk_year(path, years)
            chunks.append(
                Chunk(
                    id=f"{doc_hash[:12]}-{len(chunks):04d}",
                    doc=meta.doc,
                    ordinal=len(chunks),
                    text=chunk_body,
                    section=" > ".join(path),
                    region=meta.region,
                    level=meta.level,
                    year=meta.year,
                    year_from=first_year,
                    year_to=last_year,
                    kind=meta.kind,
                    masked=bool(MASK_PATTERN.search(chunk_body)),
                )
            )
            previous_tail = _tail(body, overlap)
    return chunks


def _tail(body: str, overlap: int) -> str:
    """The last sentence of a chunk when it is short enough to repeat as overlap."""
    if overlap <= 0:
        return ""
    sentences = split_sentences(body.rsplit("\n", 1)[-1])
    last = sentences[-1] if sentences else ""
    return last if 0 < len(last) <= overlap * 2 and last.endswith(("。", "；", "！", "？")) else ""
