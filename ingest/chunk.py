"""Structure-aware chunking: sections 一、/（一）/1．, sentence-end splits, small overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.clean import is_masked
from ingest.models import Chunk, DocMeta

CN_NUM = "一二三四五六七八九十"
_L1 = re.compile(rf"^[{CN_NUM}]{{1,3}}、")
_L2 = re.compile(rf"^[（(][{CN_NUM}]{{1,3}}[）)]")
_L3 = re.compile(r"^\d{1,2}[．.、](?!\d)")
_SENTENCE_END = re.compile(r"(?<=[。；！？!?;])")
_HEADING_CUT = re.compile(r"[。；！？!?，,:：]")
_YEAR_IN_SECTION = re.compile(r"((?:19|20)\d{2})年")



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


def _sentence_units(text: str, max_chars: int) -> list[str]:
    """A paragraph as sentences, over-long run-on sentences cut at commas (else hard) to max_chars."""
    units: list[str] = []
    for sentence in split_sentences(text):
        while len(sentence) > max_chars:
            cut = max(sentence.rfind("，", 0, max_chars), sentence.rfind(",", 0, max_chars))
            cut = cut + 1 if cut > max_chars // 3 else max_chars
            units.append(sentence[:cut])
            sentence = sentence[cut:]
        if sentence:
            units.append(sentence)
    return units


def _chunk_year(path: tuple[str, ...], default: tuple[int, int]) -> tuple[int, int]:
    for label in reversed(path):
        years = [int(y) for y in _YEAR_IN_SECTION.findall(label)]
        if len(years) == 1:
            return (years[0], years[0])
    return default


@dataclass
class _Unit:
    text: str
    path: tuple[str, ...]
    starts_block: bool  # first sentence of a (sub)section heading line
    new_line: bool  # first sentence of a paragraph


def chunk_text(
    text: str,
    meta: DocMeta,
    doc_hash: str,
    years: tuple[int, int] = (0, 9999),
    min_chars: int = 150,
    max_chars: int = 500,
    overlap: int = 40,
) -> list[Chunk]:
    """Chunks that never cross a top-level section, each with its section path.

    Sentences are packed greedily up to max_chars including the overlap (the previous chunk's
    last sentence, at most `overlap` characters, same top-level section only); a (sub)section
    heading starts a new chunk once the current one has min_chars.
    """
    groups: list[list[_Unit]] = []
    last_top = -1
    for para in _paragraphs(text):
        if para.top != last_top:
            groups.append([])
            last_top = para.top
        for i, sentence in enumerate(_sentence_units(para.text, max_chars)):
            groups[-1].append(_Unit(sentence, para.path, para.starts_block and i == 0, i == 0))

    chunks: list[Chunk] = []
    for group in groups:
        bodies: list[tuple[str, list[_Unit]]] = []  # (overlap tail, units)
        tail, current = "", []
        for unit in group:
            size = len(tail) + _size(current)
            too_long = size + (1 if unit.new_line else 0) + len(unit.text) > max_chars
            new_block = unit.starts_block and size >= min_chars
            if current and (too_long or new_block):
                bodies.append((tail, current))
                tail = _tail(_render(current), overlap)
                current = []
            if not current and len(tail) + len(unit.text) > max_chars:
                tail = ""
            current.append(unit)
        if current:
            bodies.append((tail, current))
        _absorb_remnant(bodies, min_chars, max_chars, overlap)

        for tail, units in bodies:
            # the overlap sentence ends its own paragraph when the chunk starts a new one
            joint = "\n" if tail and units[0].new_line else ""
            chunk_body = f"{tail}{joint}{_render(units)}"
            path = units[0].path
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
                    masked=is_masked(chunk_body),
                )
            )
    return chunks


def _render(units: list[_Unit]) -> str:
    return "".join(("\n" if u.new_line and i else "") + u.text for i, u in enumerate(units))


def _size(units: list[_Unit]) -> int:
    return sum(len(u.text) + (1 if u.new_line and i else 0) for i, u in enumerate(units))


def _absorb_remnant(bodies: list[tuple[str, list[_Unit]]], min_chars: int, max_chars: int, overlap: int) -> None:
    """A short last chunk of a section joins the previous one if it fits, else borrows sentences."""
    if len(bodies) < 2:
        return
    (prev_tail, prev), (_, last) = bodies[-2], bodies[-1]
    if _size(last) >= min_chars:
        return
    if len(prev_tail) + _size(prev + last) <= max_chars:
        bodies[-2:] = [(prev_tail, prev + last)]
        return
    prev, last = list(prev), list(last)
    while len(prev) > 1 and _size(last) < min_chars:
        moved = prev[-1]
        if len(prev_tail) + _size(prev[:-1]) < min_chars or _size([moved, *last]) > max_chars - overlap:
            break
        prev.pop()
        last.insert(0, moved)
    tail = _tail(_render(prev), overlap)
    if len(tail) + _size(last) > max_chars:
        tail = ""
    bodies[-2:] = [(prev_tail, prev), (tail, last)]


def _tail(body: str, overlap: int) -> str:
    """The last sentence of a chunk when it fits in `overlap` characters (repeated as overlap)."""
    if overlap <= 0:
        return ""
    sentences = split_sentences(body.rsplit("\n", 1)[-1])
    last = sentences[-1] if sentences else ""
    return last if 0 < len(last) <= overlap and last.endswith(("。", "；", "！", "？")) else ""
