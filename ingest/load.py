"""Load report files (.txt .md .docx .pdf .html) into RawDoc, with clear per-file errors."""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import docx
import pypdf
from docx.table import Table
from lxml import etree

from ingest.models import IgnoredFile, RawDoc

SUPPORTED_EXTENSIONS: tuple[str, ...] = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_CHARS = 3_000_000
DEFAULT_MAX_PAGES = 2000
# word/document.xml may hold this many bytes per character of the limit (markup, run properties)
# before it is refused unread; a normal report needs 5-30 bytes of XML per character
_DOCX_XML_BYTES_PER_CHAR = 10
_DOCX_XML_MIN_BYTES = 16 * 1024 * 1024
_DOCX_OTHER_PARTS_BYTES = 256 * 1024 * 1024  # images and styles, all read into memory by python-docx
_W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HTML_FEED_CHARS = 1 << 20

_FORMATS = {".txt": "txt", ".md": "md", ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}
_BINARY_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"PK\x03\x04",  # zip, docx, xlsx
    b"%PDF-",
    b"\xd0\xcf\x11\xe0",  # OLE2: .doc, .xls
    b"\x1f\x8b",  # gzip
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x7fELF",
)
_PLAUSIBLE_SHARE = 0.97  # share of plausible characters a GB18030 decode must reach
_SAMPLE_CHARS = 65536


class LoadError(Exception):
    """A file cannot be loaded; str(error) is a short reason in English."""


def too_long(max_chars: int) -> LoadError:
    return LoadError(f"text too long: more than {max_chars:,} characters")


class _CharBudget:
    """Counts characters as an extractor produces them; raises LoadError past the limit."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.used = 0

    def take(self, text: str) -> str:
        self.used += len(text)
        if self.used > self.max_chars:
            raise too_long(self.max_chars)
        return text


# ---------------------------------------------------------------- text decoding


def _looks_binary(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM: text
        return False
    return data.startswith(_BINARY_MAGIC) or b"\x00" in data


def _is_plausible_char(ch: str) -> bool:
    o = ord(ch)
    if o < 0x80:
        return ch.isprintable() or ch in "\t\n\r\f"
    if 0x4E00 <= o <= 0x9FFF:
        # common Chinese characters: in GB2312 (Simplified) or Big5 (Traditional)
        for enc in ("gb2312", "big5"):
            try:
                ch.encode(enc)
                return True
            except UnicodeEncodeError:
                pass
        return False
    return (
        0x3000 <= o <= 0x303F  # CJK punctuation
        or 0xFF01 <= o <= 0xFF5E  # full-width forms
        or 0x2000 <= o <= 0x206F  # general punctuation
        or 0x00A0 <= o <= 0x024F  # Latin-1, Latin extended (pinyin)
        or 0x2150 <= o <= 0x22FF  # number forms, arrows, math
        or 0x2460 <= o <= 0x24FF  # enclosed numbers ①
        or 0x2500 <= o <= 0x25FF  # box drawing, geometric shapes
        or 0x0391 <= o <= 0x03C9  # Greek
        or o == 0xFEFF
    )


def _plausible_share(text: str) -> float:
    """Share of plausible characters in up to three windows of text (start, middle, end)."""
    if len(text) <= 3 * _SAMPLE_CHARS:
        sample = text
    else:
        mid = len(text) // 2
        sample = text[:_SAMPLE_CHARS] + text[mid : mid + _SAMPLE_CHARS] + text[-_SAMPLE_CHARS:]
    if not sample:
        return 1.0
    counts: dict[str, int] = {}
    for ch in sample:
        counts[ch] = counts.get(ch, 0) + 1
    good = sum(n for ch, n in counts.items() if _is_plausible_char(ch))
    return good / len(sample)


def decode_text(data: bytes) -> str:
    """Decode text bytes: UTF-16 with BOM, UTF-8 (BOM optional), else GB18030 (GBK, GB2312).

    Raises LoadError for binary data or bytes that decode to no plausible text.
    """
    if _looks_binary(data):
        raise LoadError("binary file, not text")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise LoadError("cannot decode text (invalid utf-16)") from e
        return _normalize_newlines(text.lstrip("\ufeff"))
    try:
        return _normalize_newlines(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        raise LoadError("cannot decode text (tried utf-8, gb18030)") from e
    if _plausible_share(text) < _PLAUSIBLE_SHARE:
        raise LoadError("cannot decode text (tried utf-8, gb18030)")
    return _normalize_newlines(text)


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- html


_HTML_SKIP = frozenset({"script", "style", "head", "noscript", "template", "svg", "title"})
_HTML_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot",
        "tr", "ul", "body", "html",
    }
)  # fmt: skip
_HTML_SPACE_RE = re.compile(r"[ \t\r\n\f]+")


class _TextExtractor(HTMLParser):
    """Collects visible text; block elements become line breaks, table cells are joined by ` | `."""

    def __init__(self, budget: _CharBudget) -> None:
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.parts: list[str] = []
        self._skip_depth = 0
        self._cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP:
            self._skip_depth += 1
        elif tag == "tr":
            self._cells_in_row = 0
            self.parts.append("\n")
        elif tag in ("td", "th"):
            if self._cells_in_row:
                self.parts.append(" | ")
            self._cells_in_row += 1
        elif tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _HTML_BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(self.budget.take(_HTML_SPACE_RE.sub(" ", data)))


def html_to_text(html: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Visible text of an HTML document, one block per line; LoadError past max_chars of text."""
    parser = _TextExtractor(_CharBudget(max_chars))
    for start in range(0, len(html), _HTML_FEED_CHARS):  # fed in slices: a long page fails early
        parser.feed(html[start : start + _HTML_FEED_CHARS])
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- docx and pdf


def docx_to_text(data: bytes, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Paragraphs and tables of a .docx in document order; table rows as `cell | cell`.

    Bounded before python-docx reads the package into memory: the unpacked sizes of the zip
    members are checked, then the body's text is counted in one streaming pass."""
    _check_docx_package(data, max_chars)
    budget = _CharBudget(max_chars)
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(budget.take(row) for row in _table_rows(block))
            else:
                lines.append(budget.take(block.text))
    except LoadError:
        raise
    except Exception as e:  # python-docx raises many kinds on broken packages
        raise LoadError(f"corrupt or unreadable docx ({_reason(e)})") from e
    return _normalize_newlines("\n".join(lines))


def _check_docx_package(data: bytes, max_chars: int) -> None:
    """Refuse a docx whose body would unpack or extract past the limits (a "docx bomb")."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
        body = package.getinfo("word/document.xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise LoadError(f"corrupt or unreadable docx ({_reason(e)})") from e
    xml_limit = max(_DOCX_XML_MIN_BYTES, _DOCX_XML_BYTES_PER_CHAR * max_chars)
    if body.file_size > xml_limit:
        raise LoadError(f"text too long: word/document.xml unpacks to {body.file_size / 1e6:.1f} MB "
                        f"(limit {xml_limit / 1e6:.0f} MB for {max_chars:,} characters)")
    others = sum(m.file_size for m in members) - body.file_size
    if others > _DOCX_OTHER_PARTS_BYTES:
        raise LoadError(f"docx unpacks to {others / 1e6:.0f} MB besides its text "
                        f"(limit {_DOCX_OTHER_PARTS_BYTES / 1e6:.0f} MB)")
    if body.file_size <= max_chars:
        return  # fewer bytes than the limit: cannot hold more characters
    budget = _CharBudget(max_chars)
    try:
        with package.open(body) as stream:
            for _, element in etree.iterparse(stream, events=("end",), tag=f"{_W_NS}p",
                                              resolve_entities=False, no_network=True, huge_tree=True):
                budget.take("".join(element.itertext(f"{_W_NS}t")))
                element.clear()
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
    except LoadError:
        raise
    except Exception as e:  # malformed XML: python-docx reports it below with its own reason
        if not isinstance(e, etree.XMLSyntaxError):
            raise LoadError(f"corrupt or unreadable docx ({_reason(e)})") from e


def _table_rows(table: Table) -> list[str]:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a horizontally merged cell repeats
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        rows.append(" | ".join(cells))
    return rows


def pdf_to_text(data: bytes, max_chars: int = DEFAULT_MAX_CHARS, max_pages: int = DEFAULT_MAX_PAGES) -> str:
    """The text layer of a PDF, pages joined by newlines; LoadError past max_pages or max_chars."""
    if b"%PDF-" not in data[:1024]:
        raise LoadError("corrupt pdf (no %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise LoadError("corrupt or truncated pdf (no %%EOF marker)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("pdf is encrypted")
        count = len(reader.pages)
        if count > max_pages:
            raise LoadError(f"too many pages: {count} (limit {max_pages})")
        budget = _CharBudget(max_chars)
        pages = [budget.take(page.extract_text() or "") for page in reader.pages]
    except LoadError:
        raise
    except Exception as e:  # pypdf raises many kinds on broken files
        raise LoadError(f"corrupt pdf ({_reason(e)})") from e
    text = _normalize_newlines("\n".join(pages))
    if not text.strip():
        raise LoadError("pdf has no text layer (scanned?)")
    return text


def _reason(e: Exception) -> str:
    message = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {message}"[:200] if message else type(e).__name__


# ---------------------------------------------------------------- entry points


@dataclass(frozen=True)
class Limits:
    """What one file may cost: bytes on disk, characters extracted, PDF pages."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_chars: int = DEFAULT_MAX_CHARS
    max_pages: int = DEFAULT_MAX_PAGES


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, max_chars: int = DEFAULT_MAX_CHARS,
              max_pages: int = DEFAULT_MAX_PAGES) -> RawDoc:
    """Load one file into a RawDoc; raises LoadError with a short English reason.

    Text is counted while it is extracted: a file past max_chars (or a PDF past max_pages) fails
    without being extracted in full."""
    path = Path(path)
    if not path.exists():
        raise LoadError("file not found")
    if not path.is_file():
        raise LoadError("not a regular file")
    ext = path.suffix.lower()
    if ext not in _FORMATS:
        shown = ext or "(no extension)"
        raise LoadError(f"unsupported file type: {shown} (supported: .txt .md .docx .pdf .html)")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(f"file too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB limit)")
        data = path.read_bytes()
    except OSError as e:
        raise LoadError(f"cannot read file ({e.strerror or e})") from e
    if not data.strip():
        raise LoadError("empty file")
    fmt = _FORMATS[ext]
    if fmt in ("txt", "md"):
        text = decode_text(data)
        if len(text) > max_chars:  # decoding is bounded by max_bytes already
            raise too_long(max_chars)
    elif fmt == "html":
        text = html_to_text(decode_text(data), max_chars)
    elif fmt == "docx":
        text = docx_to_text(data, max_chars)
    else:
        text = pdf_to_text(data, max_chars, max_pages)
    if not text.strip():
        raise LoadError("empty file")
    return RawDoc(path=str(path), doc=path.name, text=text, sha256=hashlib.sha256(data).hexdigest(), fmt=fmt)


@dataclass(frozen=True)
class InputFile:
    """One file to ingest and the document it becomes.

    `doc` is the document's identity in the index: the path relative to the folder given (with
    `/`), or the name of a file given directly. `origin` is what the index records as its path."""

    path: Path
    doc: str
    origin: str = ""

    @property
    def source(self) -> str:
        return self.origin or str(self.path)


def _walk(root: Path) -> tuple[list[Path], list[IgnoredFile]]:
    """Supported files under root (sorted), and what was passed over with the reason."""
    found: list[Path] = []
    ignored: list[IgnoredFile] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in list(dirs):
            if name.startswith("."):
                ignored.append(IgnoredFile(path=str(here / name), reason="hidden folder"))
                dirs.remove(name)
            elif (here / name).is_symlink():
                ignored.append(IgnoredFile(path=str(here / name), reason="link to a folder (not followed)"))
        for name in files:
            path = here / name
            ext = path.suffix.lower()
            if name.startswith("."):
                ignored.append(IgnoredFile(path=str(path), reason="hidden file"))
            elif ext not in _FORMATS:
                ignored.append(IgnoredFile(path=str(path), reason=f"unsupported file type: {ext or '(no extension)'}"))
            elif not path.is_file():
                ignored.append(IgnoredFile(path=str(path), reason="not a regular file"))
            else:
                found.append(path)
    return sorted(found), sorted(ignored, key=lambda item: Path(item.path))


def collect_inputs(paths: list[Path | InputFile]) -> tuple[list[InputFile], list[IgnoredFile]]:
    """Expand folders recursively into InputFiles named by their path relative to the folder;
    hidden and unsupported files inside folders are returned as ignored, with the reason.

    Files given explicitly are kept as given, even unsupported or missing ones, so that they get
    a per-file error from load_file. The same file twice is kept once, first occurrence wins."""
    out: list[InputFile] = []
    ignored: list[IgnoredFile] = []
    seen: set[Path] = set()
    for raw in paths:
        if isinstance(raw, InputFile):
            found = [raw]
        elif Path(raw).is_dir():
            root = Path(raw)
            files, passed_over = _walk(root)
            ignored.extend(passed_over)
            found = [InputFile(p, p.relative_to(root).as_posix(), str(p.resolve())) for p in files]
        else:
            path = Path(raw)
            found = [InputFile(path, path.name, str(path.resolve()) if path.exists() else "")]
        for item in found:
            if item.path not in seen:
                seen.add(item.path)
                out.append(item)
    return out, ignored


def iter_input_files(paths: list[Path]) -> list[Path]:
    """The files collect_inputs would ingest, in order."""
    return [item.path for item in collect_inputs(list(paths))[0]]
