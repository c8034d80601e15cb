"""ingest.chunk on the cleaned seed reports (real clean + meta + chunk, no mocks)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from ingest.chunk import chunk_text, heading_level, split_sentences
from ingest.clean import clean_text, to_simplified
from ingest.load import load_file
from ingest.meta import covered_years, detect_meta
from ingest.models import Chunk, DocMeta

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
PREFIXES = ("000", "001", "002", "003", "004")
MIN, MAX, OVERLAP = 150, 500, 40
L1 = re.compile(r"^[一二三四五六七八九十]{1,3}、")


@cache
def cleaned(prefix: str) -> tuple[str, DocMeta, str]:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    raw = load_file(path)
    text = clean_text(raw.text)
    meta = detect_meta(text, raw.doc, raw_head=to_simplified(raw.text[:1500]))
    return text, meta, raw.sha256


def chunks_of(prefix: str) -> list[Chunk]:
    text, meta, sha = cleaned(prefix)
    return chunk_text(text, meta, sha, covered_years(meta), MIN, MAX, OVERLAP)


def top_sections(text: str) -> list[str]:
    """The cleaned text cut at top-level headings (一、 二、 …), newlines removed."""
    sections: list[list[str]] = [[]]
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        if L1.match(line):
            sections.append([])
        sections[-1].append(line)
    return ["".join(lines) for lines in sections if lines]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_sizes_within_bounds(prefix: str) -> None:
    chunks = chunks_of(prefix)
    text = cleaned(prefix)[0]
    assert chunks
    sizes = [len(c.text) for c in chunks]
    assert max(sizes) <= MAX + OVERLAP, sizes
    sections = top_sections(text)
    regular = []
    for chunk in chunks:
        flat = chunk.text.replace("\n", "")
        if len(chunk.text) < MIN:
            # only a whole short top-level section (or the preamble) may be smaller
            assert any(flat in s and len(s) < 2 * MIN for s in sections), (chunk.id, chunk.text)
        elif not any(flat == s for s in sections):
            regular.append(len(chunk.text))
    assert sum(MIN <= s <= MAX for s in regular) / max(len(regular), 1) >= 0.9, sizes


@pytest.mark.parametrize("prefix", PREFIXES)
def test_never_across_top_level_section(prefix: str) -> None:
    text = cleaned(prefix)[0]
    sections = top_sections(text)
    for chunk in chunks_of(prefix):
        flat = chunk.text.replace("\n", "")
        assert sum(flat in s for s in sections) >= 1, f"{chunk.id} spans two top-level sections"
        headings = [ln for ln in chunk.text.splitlines() if L1.match(ln.strip())]
        assert len(headings) <= 1
        if headings:
            assert chunk.section.startswith(headings[0][:2]), (chunk.section, headings)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_chunks_cover_the_text_in_order(prefix: str) -> None:
    """Nothing is lost: every sentence of the cleaned text is in some chunk."""
    text = cleaned(prefix)[0]
    flat = [c.text.replace("\n", "") for c in chunks_of(prefix)]
    for line in (ln.strip() for ln in text.splitlines()):
        for sentence in split_sentences(line):
            assert any(sentence[:MAX] in f for f in flat), sentence[:80]


def test_section_paths_on_002_items() -> None:
    chunks = chunks_of("002")
    item_chunks = [c for c in chunks if "牵头的" in c.text]
    assert len(item_chunks) >= 4
    for chunk in item_chunks:
        assert chunk.section.startswith("二、工作成效明显的13个事项"), chunk.section
    first_item = next(c for c in chunks if "1．县发展改革委牵头的地区生产总值557.7亿元" in c.text)
    assert first_item.section == "二、工作成效明显的13个事项"
    third = next(c for c in chunks if c.text.startswith("3．"))
    assert third.section == "二、工作成效明显的13个事项 > 3．"
    assert any(c.section == "一、总体情况" for c in chunks)
    assert any(c.section.startswith("三、下步工作要求") for c in chunks)
    # every labelled path starts with a real heading level 1
    for chunk in chunks:
        if chunk.section:
            assert heading_level(chunk.section.split(" > ")[0]) == 1


def test_ids_stable_and_ordinal() -> None:
    first = chunks_of("003")
    again = chunks_of("003")
    assert [c.id for c in first] == [c.id for c in again]
    assert [c.text for c in first] == [c.text for c in again]
    sha = cleaned("003")[2]
    for i, chunk in enumerate(first):
        assert chunk.ordinal == i
        assert chunk.id == f"{sha[:12]}-{i:04d}"
    assert len({c.id for c in first}) == len(first)
    # a different document hash gives different ids
    text, meta, _ = cleaned("003")
    other = chunk_text(text, meta, "f" * 64, covered_years(meta))
    assert not {c.id for c in other} & {c.id for c in first}


@pytest.mark.parametrize("prefix", ["000", "004"])
def test_masked_flag_on_masked_reports(prefix: str) -> None:
    chunks = chunks_of(prefix)
    starred = [c for c in chunks if "***" in c.text]
    assert starred, "the seed prints *** figures"
    assert all(c.masked for c in starred)


@pytest.mark.parametrize("prefix", ["002", "003"])
def test_no_masked_flag_on_clean_reports(prefix: str) -> None:
    chunks = chunks_of(prefix)
    assert not [c.id for c in chunks if c.masked]


def test_small_synthetic_report_structure() -> None:
    sentence = "全县完成地区生产总值100亿元，同比增长5%。"
    text = "\n".join(
        [
            "某县2022年工作总结",
            "一、经济运行",
            *([sentence * 6] * 4),
            "（一）工业",
            *([sentence * 5] * 4),
            "二、社会事业",
            "教育投入增加。",
        ]
    )
    meta = DocMeta(doc="x.txt", region="某县", level="县", year=2022, kind="工作总结")
    chunks = chunk_text(text, meta, "a" * 64)
    assert all(len(c.text) <= MAX + OVERLAP for c in chunks)
    last = chunks[-1]
    assert last.section == "二、社会事业" and "经济运行" not in last.text and "生产总值" not in last.text
    assert any(c.section == "一、经济运行 > （一）工业" for c in chunks)
    assert not any(c.masked for c in chunks)
    masked = chunk_text(text.replace("100亿元", "***亿元"), meta, "a" * 64)
    assert any(c.masked for c in masked)
