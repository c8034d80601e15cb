"""Text cleaning for scraped government reports: pure str -> str functions.

`clean_text` runs the steps in order: boilerplate, page markers, Traditional -> Simplified,
pinyin glosses, `%o` scrape typo, character width, inline headings, whitespace.
Masked figures (`***`, `X%`, `XX亿元` ...) are never altered by any step.
"""

from __future__ import annotations

import functools
import re
import statistics

import opencc

from ingest.quantity import repair_split_numbers
from ingest.vocabulary import MASK_RE

# ---------------------------------------------------------------- Traditional -> Simplified


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese to Simplified (OpenCC t2s); Simplified text is unchanged."""
    return _t2s().convert(text) if text else text


# ---------------------------------------------------------------- pinyin glosses

_TONE_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# "(syllable)" where the syllable is lowercase latin letters (and ü) with at least one tone-marked
# vowel: `現(xiàn)在` -> `現在`. Usually after a CJK character, but 003 also has one after mojibake
# (`髽I(yè)`), so the preceding character is not checked. Real parentheticals never match.
_GLOSS_RE = re.compile(rf"[(（][a-zü]{{0,6}}[{_TONE_VOWELS}][a-zü{_TONE_VOWELS}]{{0,6}}[)）]")


def remove_pinyin_glosses(text: str) -> str:
    """Remove scrape-inserted pinyin glosses such as `發(fā)展` -> `發展`."""
    return _GLOSS_RE.sub("", text)


# ---------------------------------------------------------------- page markers

_PAGE_MARKER_RE = re.compile(r"^[ \t\u3000]*([0-9０-９]{1,4})、")
_SENTENCE_END = tuple("。！？!?；;：:…”』」）)")
_MIN_PAGE_LINE = 150  # median length of the lines of a run of page markers


def _marker_number(line: str) -> int | None:
    m = _PAGE_MARKER_RE.match(line)
    if m is None:
        return None
    return int(m.group(1).translate(_FULLWIDTH_DIGITS))


def _marker_runs(lines: list[str]) -> list[list[int]]:
    """Runs of line indexes whose markers read 1, 2, 3, ... (blank lines may sit in between)."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        n = _marker_number(line)
        if n is not None and n == len(current) + 1:
            current.append(i)
            continue
        if len(current) >= 2:
            runs.append(current)
        current = [i] if n == 1 else []
    if len(current) >= 2:
        runs.append(current)
    return runs


def _is_page_run(lines: list[str], run: list[int]) -> bool:
    """Evidence that a numbered run is scraped page text, not a real list.

    Pages are long lines and a page break usually falls mid-sentence; real list items are short
    or end with sentence punctuation.
    """
    lengths = [len(lines[i].strip()) for i in run]
    if statistics.median(lengths) < _MIN_PAGE_LINE:
        return False
    mid_sentence = sum(1 for i in run[:-1] if not lines[i].rstrip().endswith(_SENTENCE_END))
    return mid_sentence * 2 >= len(run) - 1


def repair_page_markers(text: str) -> str:
    """Remove `N、` page-number markers of scraped pages and join the pages back together.

    `…会议确\n2、定的目标任务…` -> `…会议确定的目标任务…`. Only runs of consecutive numbers
    1, 2, 3, ... on long lines that mostly break mid-sentence are treated as pages.
    """
    lines = text.split("\n")
    page_runs = [run for run in _marker_runs(lines) if _is_page_run(lines, run)]
    if not page_runs:
        return text
    first_of_run = {run[0] for run in page_runs}
    members = {i for run in page_runs for i in run}
    inside = {i for run in page_runs for i in range(run[0], run[-1] + 1)}
    out: list[str] = []
    for i, line in enumerate(lines):
        if i not in members:
            if i not in inside:  # blank lines between pages are dropped
                out.append(line)
            continue
        page = _PAGE_MARKER_RE.sub("", line, count=1).strip()
        if i in first_of_run:
            out.append(page)
        else:
            out[-1] += page
    return "\n".join(out)


# ---------------------------------------------------------------- boilerplate

_BOILERPLATE_RES: tuple[re.Pattern[str], ...] = (
    # docx-sharing sites: 《X.docx》由会员分享,可在线阅读,更多相关《…》请在课桌文档上搜索。
    re.compile(r"^.*由会[员員]分享.*可在[线線]阅[读讀].*$"),
    # 扫一扫在手机打开当前页面 (simplified and traditional)
    re.compile(r"^[扫掃]一[扫掃]在手[机機]打[开開][当當]前[页頁]面$"),
    # lines of only ? marks (encoding damage of NBSP-only lines); blank lines are left alone
    re.compile(r"^[?？][?？\s\u00a0\u3000]*$"),
    # related-article links at the end of a news page: 图文解读:…
    re.compile(r"^[图圖]文解[读讀][:：]"),
    # page tools
    re.compile(r"^[【\[]?(打印本[页頁]|[关關][闭閉]窗口|[关關][闭閉]|打印|返回[顶頂]部)[】\]]?$"),
    re.compile(r"^[【\[]?字[体體][:：]?\s*[【\[]?大[】\]]?\s*[【\[]?中[】\]]?\s*[【\[]?小[】\]]?[】\]]?$"),
    re.compile(r"^分享到[:：]?.{0,40}$"),
)


def _is_boilerplate(line: str) -> bool:
    stripped = line.strip()
    return any(rx.match(stripped) for rx in _BOILERPLATE_RES)


def drop_boilerplate(text: str) -> str:
    """Drop site-chrome lines (share banners, QR prompts, `?`-only lines, page tools)."""
    return "\n".join(line for line in text.split("\n") if not _is_boilerplate(line))


# ---------------------------------------------------------------- character width

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_WIDTH_TABLE = str.maketrans(
    {
        **{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        "％": "%",
    }
)
_FW_MINUS_RE = re.compile(r"－(?=[0-9])")
_FW_POINT_RE = re.compile(r"(?<=[0-9])．(?=[0-9])")


def normalize_width(text: str) -> str:
    """Full-width digits/letters -> ASCII, `％` -> `%`, `－5` -> `-5`, `1．5` -> `1.5`.

    Chinese punctuation (，。（）、：；) and `1．` list markers are kept.
    """
    text = text.translate(_WIDTH_TABLE)
    text = _FW_MINUS_RE.sub("-", text)
    return _FW_POINT_RE.sub(".", text)


_PERCENT_O_RE = re.compile(r"(?<=%)o(?=[\u4e00-\u9fff])")


def fix_percent_o(text: str) -> str:
    """Scrape typo `增长X%o五年来` -> `增长X%。五年来` (a latin `o` for `。` after a percent sign)."""
    return _PERCENT_O_RE.sub("。", text)


# ---------------------------------------------------------------- inline headings

_CN_NUM = "一二三四五六七八九十"
_INLINE_HEADING_RE = re.compile(
    rf"(?<=[。！？；!?;:：])[ \t\u3000]*"
    rf"(?=[{_CN_NUM}]+、(?![{_CN_NUM}]+、)|[（(][{_CN_NUM}]+[）)])"
)


def split_inline_headings(text: str) -> str:
    """Put `一、…` / `（一）…` headings glued after a sentence end on their own line.

    Only after sentence-end punctuation (。！？；:); `一是`, `第一、` and `一、二、三产业` stay.
    """
    return _INLINE_HEADING_RE.sub("\n", text)


# ---------------------------------------------------------------- whitespace

_HSPACE_RUN_RE = re.compile(r"[ \t\u00a0\u3000]{2,}")
_STRAY_QMARK_RE = re.compile(r"(?<=[\u4e00-\u9fff])[ \u00a0\u3000]\?(?=[\u4e00-\u9fff])")


def normalize_whitespace(text: str) -> str:
    """Strip lines, drop empty lines, collapse runs of spaces, fix `县长 ?张志刚` -> `县长 张志刚`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _STRAY_QMARK_RE.sub(" ", text)
    lines = (_HSPACE_RUN_RE.sub(" ", line.strip()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- all steps


def clean_text(text: str) -> str:
    """All cleaning steps in order; masks (`***`, `X%`, `XX亿元`) are kept verbatim."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = drop_boilerplate(text)
    text = repair_page_markers(text)
    text = to_simplified(text)
    text = remove_pinyin_glosses(text)
    text = normalize_width(text)
    text = fix_percent_o(text)
    text = split_inline_headings(text)
    return repair_split_numbers(normalize_whitespace(text))


# ---------------------------------------------------------------- masked figures

def find_masks(text: str) -> list[str]:
    """The masked-figure tokens in text, in order (e.g. `['***', '*', 'XX']`)."""
    return [m.group(0) for m in MASK_RE.finditer(text)]


def is_masked(text: str) -> bool:
    """True if the text contains at least one masked figure."""
    return MASK_RE.search(text) is not None
