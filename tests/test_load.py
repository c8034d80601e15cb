"""ingest.load on real files written to tmp_path (no mocks)."""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

import docx
import pytest

from ingest.load import LoadError, iter_input_files, load_file

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SEED_002 = SAMPLES / "002_51f523802f205a70.txt"
SEED_003 = SAMPLES / "003_48dcd54b015efb98.txt"

PNG_1X1 = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with a Helvetica text layer, written by hand (ASCII text only)."""
    ops = ["BT", "/F1 14 Tf", "72 720 Td", "18 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = zlib.compress("\n".join(ops).encode("ascii"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def empty_page_pdf() -> bytes:
    """A valid PDF whose page draws nothing: no text layer."""
    return minimal_pdf([])


def load_error(path: Path, **kwargs: int) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------- text files


def test_utf8_txt_loads_with_hash_and_name(tmp_path: Path) -> None:
    data = SEED_002.read_bytes()
    path = tmp_path / "report.txt"
    path.write_bytes(data)
    doc = load_file(path)
    assert doc.doc == "report.txt"
    assert doc.path == str(path)
    assert doc.fmt == "txt"
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert "地区生产总值557.7亿元" in doc.text


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes("\ufeff# 冠县政府工作报告\n一、总体情况\n".encode())
    doc = load_file(path)
    assert doc.fmt == "md"
    assert doc.text.startswith("# 冠县政府工作报告")


def test_gbk_encoded_chinese_is_decoded(tmp_path: Path) -> None:
    text = SEED_002.read_text(encoding="utf-8")
    path = tmp_path / "gbk.txt"
    path.write_bytes(text.encode("gbk"))
    doc = load_file(path)
    assert doc.text == text
    assert "云阳县人民政府督察办公室" in doc.text


def test_gb2312_short_text_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "gb2312.txt"
    path.write_bytes("关于2022年政府工作报告目标任务\r\n完成情况的通报\r\n".encode("gb2312"))
    assert load_file(path).text == "关于2022年政府工作报告目标任务\n完成情况的通报\n"


def test_empty_and_blank_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b" \n\t\r\n")
    assert load_error(empty) == "empty file"
    assert load_error(blank) == "empty file"


def test_png_renamed_txt_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "picture.txt"
    path.write_bytes(PNG_1X1)
    assert load_error(path) == "binary file, not text"


def test_random_bytes_are_rejected(tmp_path: Path) -> None:
    for i in range(20):
        path = tmp_path / f"soup{i}.txt"
        path.write_bytes(os.urandom(4096))
        assert load_error(path) in ("binary file, not text", "cannot decode text (tried utf-8, gb18030)")


def test_random_bytes_without_nul_are_not_decoded(tmp_path: Path) -> None:
    for i in range(20):
        soup = os.urandom(4096).replace(b"\x00", b"\x01")
        path = tmp_path / f"soup{i}.txt"
        path.write_bytes(soup)
        assert load_error(path) == "cannot decode text (tried utf-8, gb18030)"


def test_big5_bytes_misread_as_gb18030_are_rejected(tmp_path: Path) -> None:
    # Traditional text in Big5 decodes "successfully" as GB18030 into rare characters.
    text = SEED_003.read_text(encoding="utf-8")
    data = text.encode("big5", errors="ignore")
    path = tmp_path / "big5.txt"
    path.write_bytes(data)
    with pytest.raises(LoadError):
        load_file(path)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.xyz"
    path.write_text("hello", encoding="utf-8")
    assert load_error(path) == "unsupported file type: .xyz (supported: .txt .md .docx .pdf .html)"


def test_missing_path() -> None:
    assert load_error(Path("/nonexistent/dir/report.txt")) == "file not found"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    assert load_error(tmp_path) == "not a regular file"


def test_file_name_with_spaces_and_chinese(tmp_path: Path) -> None:
    path = tmp_path / "冠县 2022年 政府工作报告.txt"
    path.write_bytes(SEED_003.read_bytes())
    doc = load_file(path)
    assert doc.doc == "冠县 2022年 政府工作报告.txt"
    assert "冠縣縣長" in doc.text


def test_max_bytes_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(SEED_002.read_bytes())
    assert load_error(path, max_bytes=1000).startswith("file too large")


def test_thirty_megabyte_text_loads(tmp_path: Path) -> None:
    seed = SEED_003.read_bytes()
    path = tmp_path / "huge.txt"
    path.write_bytes(seed * (30 * 1024 * 1024 // len(seed) + 1))
    assert path.stat().st_size > 30 * 1024 * 1024
    doc = load_file(path, max_chars=50_000_000)  # decoding copes with 30 MB when the text limit allows it
    assert doc.text.count("掃一掃在手機打開當前頁面") == 30 * 1024 * 1024 // len(seed) + 1


def test_thirty_megabyte_gbk_text_loads(tmp_path: Path) -> None:
    seed = SEED_002.read_text(encoding="utf-8").encode("gb18030")
    path = tmp_path / "huge_gbk.txt"
    path.write_bytes(seed * (30 * 1024 * 1024 // len(seed) + 1))
    doc = load_file(path, max_chars=50_000_000)
    assert doc.text.startswith(" 云阳县人民政府督查办")
    with pytest.raises(LoadError, match="text too long: more than 3,000,000 characters"):
        load_file(path)  # the default text limit


# ---------------------------------------------------------------- html


def test_html_visible_text_only(tmp_path: Path) -> None:
    html = """<!DOCTYPE html><html><head><title>页面标题</title>
    <style>body { color: red; }</style><script>var secret = "不要出现";</script></head>
    <body><div class="nav">首页</div><h1>冠县2022年政府工作报告</h1>
    <p>一、过去五年工作回顾</p><p>生产总值年均增长4.5%，<b>一般公共预算</b>收入增长1.8%。</p>
    <table><tr><td>指标</td><td>目标</td></tr><tr><td>GDP</td><td>6%</td></tr></table>
    <script type="text/javascript">document.write("SCRIPT_TEXT")</script>
    <!-- a comment --><p>专此报告。&amp;&nbsp;完</p></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    doc = load_file(path)
    assert doc.fmt == "html"
    lines = doc.text.split("\n")
    assert "冠县2022年政府工作报告" in lines
    assert "一、过去五年工作回顾" in lines
    assert "生产总值年均增长4.5%，一般公共预算收入增长1.8%。" in lines
    assert "指标 | 目标" in lines and "GDP | 6%" in lines
    assert "专此报告。&\u00a0完" in lines
    for hidden in ("不要出现", "SCRIPT_TEXT", "color: red", "页面标题", "a comment"):
        assert hidden not in doc.text


def test_htm_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_bytes("<html><body><p>云阳县人民政府</p><br>督查办</body></html>".encode("gbk"))
    assert load_file(path).text == "云阳县人民政府\n督查办"


def test_html_with_only_script_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><head><script>x = 1</script></head><body> </body></html>", encoding="utf-8")
    assert load_error(path) == "empty file"


# ---------------------------------------------------------------- docx


def test_real_docx_paragraphs_and_table_in_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("云阳县2022年政府工作报告目标任务完成情况")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "指标"
    table.cell(0, 1).text = "完成值"
    table.cell(1, 0).text = "地区生产总值"
    table.cell(1, 1).text = "557.7亿元"
    document.add_paragraph("专此通报。")
    path = tmp_path / "通报 2022.docx"
    document.save(str(path))
    doc = load_file(path)
    assert doc.fmt == "docx"
    assert doc.doc == "通报 2022.docx"
    assert doc.text.split("\n") == [
        "云阳县2022年政府工作报告目标任务完成情况",
        "指标 | 完成值",
        "地区生产总值 | 557.7亿元",
        "专此通报。",
    ]
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(os.urandom(2048))
    assert load_error(path).startswith("corrupt or unreadable docx (")


def test_docx_that_is_a_zip_without_document(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "notword.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    assert load_error(path).startswith("corrupt or unreadable docx (")


def test_empty_docx(tmp_path: Path) -> None:
    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    assert load_error(path) == "empty file"


# ---------------------------------------------------------------- pdf


def test_pdf_text_layer_loads(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(minimal_pdf(["Government Work Report 2022", "GDP grew 4.7% (target 6%)"]))
    doc = load_file(path)
    assert doc.fmt == "pdf"
    assert "Government Work Report 2022" in doc.text
    assert "GDP grew 4.7% (target 6%)" in doc.text


def test_truncated_pdf(tmp_path: Path) -> None:
    data = minimal_pdf(["Government Work Report 2022"])
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in load_error(path)


def test_corrupt_pdf_with_valid_ends(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.4\n" + os.urandom(3000).replace(b"%%EOF", b"") + b"\n%%EOF\n")
    message = load_error(path)
    assert message.startswith("corrupt pdf") or message == "pdf has no text layer (scanned?)"


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(empty_page_pdf())
    assert load_error(path) == "pdf has no text layer (scanned?)"


def test_text_file_renamed_pdf(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(SEED_002.read_bytes())
    assert load_error(path) == "corrupt pdf (no %PDF header)"


# ---------------------------------------------------------------- iter_input_files


def test_iter_input_files(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    (root / "b" / "nested").mkdir(parents=True)
    (root / ".git").mkdir()
    for name in ("z.txt", "a.docx", "b/nested/c.pdf", "b/d.HTML", ".hidden.txt", ".git/e.txt", "photo.png"):
        (root / name).write_bytes(b"x")
    single = tmp_path / "single.xyz"
    single.write_bytes(b"x")
    missing = tmp_path / "missing.txt"
    result = iter_input_files([root, single, missing, root / "z.txt"])
    assert result == [
        root / "a.docx",
        root / "b" / "d.HTML",
        root / "b" / "nested" / "c.pdf",
        root / "z.txt",
        single,
        missing,
    ]


def test_iter_input_files_on_samples_then_load_all() -> None:
    files = iter_input_files([SAMPLES])
    assert [p.name[:3] for p in files] == ["000", "001", "002", "003", "004"]
    docs = [load_file(p) for p in files]
    assert all(d.fmt == "txt" and d.text.strip() for d in docs)
