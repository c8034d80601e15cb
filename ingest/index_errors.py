"""Everything that can make an index unusable, as one error type: an English message for logs and a
one-line Chinese message with a hint for the people who run the CLI and the UI."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"


class IndexError_(RuntimeError):
    """An index that cannot be used as asked. str() is English (logs); `zh` is what users see."""

    def __init__(self, message: str, zh: str | None = None, code: str = "index") -> None:
        super().__init__(message)
        self.zh = zh or message
        self.code = code


def index_busy(index_dir: Path) -> IndexError_:
    return IndexError_(
        f"another process is writing to index {index_dir}; try again later",
        f"另一个导入正在进行（索引 {index_dir}），请稍后再试",
        "busy",
    )


def path_is_file(index_dir: Path) -> IndexError_:
    return IndexError_(
        f"index path {index_dir} is a file, not a directory",
        f"索引路径 {index_dir} 是一个文件，不是目录；请用 --index 指定一个目录，或把这个文件移走",
        "path_is_file",
    )


def read_only(index_dir: Path, detail: str = "", zh_detail: str | None = None) -> IndexError_:
    why = f"（{zh_detail or detail}）" if (zh_detail or detail) else ""
    return IndexError_(
        f"index {index_dir} is read-only{': ' + detail if detail else ''}",
        f"索引 {index_dir} 是只读的，无法写入{why}；请检查目录权限，或用 --index 指定一个可写的目录",
        "read_only",
    )


def manifest_corrupt(manifest: Path, detail: str) -> IndexError_:
    return IndexError_(
        f"index manifest {manifest} is corrupt: {detail}",
        f"索引清单 {manifest} 已损坏（{detail}）；清单是索引的唯一真源，无法自动修复："
        "请运行 govqa doctor 查看，再把原文件重新导入到一个新的 --index 目录",
        "manifest_corrupt",
    )


def manifest_emptied(manifest: Path, vectors: int) -> IndexError_:
    return IndexError_(
        f"index manifest {manifest} is empty but Chroma still holds {vectors} vectors (truncated or replaced manifest)",
        f"索引清单 {manifest} 为空，但向量库仍有 {vectors} 条向量（清单可能被截断或替换）；"
        "请运行 govqa doctor 查看，govqa doctor --repair 会清除这些孤立向量，之后请重新导入原文件",
        "manifest_emptied",
    )


def chroma_unreadable(index_dir: Path, detail: str, url: str | None = None) -> IndexError_:
    if url:
        return IndexError_(
            f"Chroma server {url} cannot be used: {detail}",
            f"向量库服务 {url} 无法使用（{detail}）；请检查 Chroma 服务与 GOVQA_CHROMA_URL",
            "chroma_unreadable",
        )
    return IndexError_(
        f"Chroma store {index_dir / 'chroma'} cannot be opened: {detail}; run govqa doctor --repair",
        f"向量库 {index_dir / 'chroma'} 无法打开（{detail}）；请运行 govqa doctor --repair 从清单重建（无需重新嵌入）",
        "chroma_unreadable",
    )


def chroma_mismatch(index_dir: Path, vectors: int, chunks: int) -> IndexError_:
    return IndexError_(
        f"Chroma holds {vectors} vectors but the manifest of {index_dir} has {chunks} chunks; run govqa doctor --repair",
        f"向量库与清单不一致（向量 {vectors} 条，清单段落 {chunks} 条，索引 {index_dir}）；"
        "请运行 govqa doctor --repair 从清单恢复（无需重新嵌入）",
        "chroma_mismatch",
    )


def embedder_renamed(index_dir: Path, recorded: str, spec: str) -> IndexError_:
    return IndexError_(
        f"index {index_dir} was built with embedder '{recorded}', but GOVQA_EMBEDDER is '{spec}': "
        "use the same embedder, or another --index directory",
        f"索引 {index_dir} 是用嵌入模型 {recorded} 建立的，当前 GOVQA_EMBEDDER 是 {spec}；"
        "请改回原来的模型，或用 --index 换一个新目录重新导入",
        "embedder_mismatch",
    )


def embedder_dimension(index_dir: Path, recorded: int, dim: int) -> IndexError_:
    return IndexError_(
        f"index {index_dir} has dimension {recorded} but the embedder gives {dim}",
        f"索引 {index_dir} 的向量维度是 {recorded}，当前嵌入模型的维度是 {dim}；"
        "请改回原来的模型，或用 --index 换一个新目录重新导入",
        "embedder_mismatch",
    )


def embedder_changed(index_dir: Path, spec: str, cosine: float, threshold: float) -> IndexError_:
    return IndexError_(
        f"embedder '{spec}' does not match the one index {index_dir} was built with "
        f"(probe cosine {cosine:.3f} < {threshold}): the model behind the name changed",
        f"嵌入模型 {spec} 与建索引时的模型不一致（探针向量余弦相似度 {cosine:.3f}，应不低于 {threshold}），"
        "同名模型可能已被替换；请恢复原来的模型，或用 --index 换一个新目录重新导入",
        "embedder_mismatch",
    )


def is_busy(exc: sqlite3.Error) -> bool:
    """SQLite's "database is locked" / SQLITE_BUSY: another connection holds the file for now."""
    text = str(exc)
    return "locked" in text or "busy" in text


def from_sqlite(manifest: Path, exc: sqlite3.Error) -> IndexError_:
    """The index error an SQLite failure on the manifest stands for."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return read_only(manifest.parent, text)
    if is_busy(exc):
        return index_busy(manifest.parent)
    return manifest_corrupt(manifest, text)


def sqlite_header_problem(path: Path) -> str | None:
    """What is wrong with an SQLite file's header, read without opening it: not SQLite at all, or
    shorter than the page count its header declares (a file cut short). None for a missing or empty
    file (SQLite makes a new database of those) and for a sound header."""
    try:
        size = path.stat().st_size
        if size == 0:
            return None
        with path.open("rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "file is not a database"
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    change_counter, pages = struct.unpack(">II", header[24:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    # the header's page count is only authoritative when it was written with the current change counter
    if pages and change_counter == valid_for and size < pages * page_size:
        return f"file is {size} bytes, its header declares {pages * page_size}: the file was cut short"
    return None
