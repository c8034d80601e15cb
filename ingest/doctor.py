"""`govqa doctor`: check that the index's stores agree, and restore the derived ones from the manifest.

The manifest (SQLite) is the source of truth: it keeps every chunk's text, metadata and embedding, and
the facts and indicator records. Chroma and the lexical (BM25) cache derive from it, so `--repair`
rebuilds them without embedding anything again. A corrupt manifest, chunks without a stored vector and
an embedder that is not the index's own cannot be repaired here; the report says what to do instead.
"""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest import index_errors as errors
from ingest.index_errors import IndexError_
from ingest.lexical import LexicalIndex
from ingest.store import CHUNK_COLUMNS, INDEXED_ROWS, IndexStore, _chunk_from_row

log = logging.getLogger(__name__)

PAGE = 5000  # ids per Chroma get/delete call
SHOWN_DOCS = 3  # documents named in one report line


@dataclass
class Problem:
    code: str
    message: str  # one Chinese line
    repairable: bool


@dataclass
class Report:
    index: str
    stats: dict[str, object] = field(default_factory=dict)
    per_doc: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def problem(self, code: str, message: str, repairable: bool) -> None:
        self.problems.append(Problem(code, message, repairable))

    def to_json(self) -> dict:
        return {
            "index": self.index, "healthy": self.healthy, "repaired": self.repaired,
            "problems": [{"code": p.code, "message": p.message, "repairable": p.repairable} for p in self.problems],
            "notes": self.notes, "stats": self.stats, "docs": self.per_doc,
        }

    def text(self) -> str:
        lines = [f"索引 {self.index}：" + _stats_line(self.stats) if self.stats else f"索引 {self.index}"]
        lines += [f"✓ 已修复：{line}" for line in self.repaired]
        lines += [f"✗ {p.message}{'〔可修复〕' if p.repairable else ''}" for p in self.problems]
        lines += [f"· {note}" for note in self.notes]
        if self.healthy:
            lines.append("结论：索引完好" + ("（已修复）" if self.repaired else ""))
        elif all(p.repairable for p in self.problems):
            lines.append(f"结论：{len(self.problems)} 个问题，均可修复：运行 govqa doctor --repair（从清单恢复，无需重新嵌入）")
        else:
            fixable = sum(p.repairable for p in self.problems)
            lines.append(f"结论：{len(self.problems)} 个问题，其中 {len(self.problems) - fixable} 个无法自动修复，见上")
        return "\n".join(lines)


def _stats_line(stats: dict[str, object]) -> str:
    parts = [f"文档 {stats.get('docs', 0)}", f"段落 {stats.get('chunks', 0)}"]
    if "vectors" in stats:
        parts.append(f"向量 {stats['vectors']}")
    if "lexical_rows" in stats:
        parts.append(f"词法 {stats['lexical_rows']} 行")
    parts += [f"事实 {stats.get('facts', 0)}", f"指标 {stats.get('indicators', 0)}", f"第 {stats.get('generation', 0)} 代"]
    if stats.get("embedder"):
        fingerprint = "已记录指纹" if stats.get("fingerprint") else "未记录指纹"
        parts.append(f"嵌入模型 {stats['embedder']}（{stats.get('dim') or '?'} 维，{fingerprint}）")
    return " · ".join(parts)


def _named(docs: list[str] | Counter) -> str:
    names = list(docs)
    shown = "、".join(names[:SHOWN_DOCS])
    return shown + (f" 等 {len(names)} 个" if len(names) > SHOWN_DOCS else "")


# ---- what the stores hold ----------------------------------------------------------------------
def chroma_ids(store: IndexStore) -> set[str]:
    ids: set[str] = set()
    offset = 0
    while True:
        page = store.collection.get(include=[], limit=PAGE, offset=offset)["ids"]
        ids.update(page)
        if len(page) < PAGE:
            return ids
        offset += PAGE


def _complete_ids(store: IndexStore) -> dict[str, str]:
    return dict(store.query("SELECT c.id, c.doc FROM chunks c JOIN docs d ON d.doc=c.doc WHERE d.state='complete'"
                            " AND c.embedding IS NOT NULL"))


def _stored(store: IndexStore, ids: list[str], dim: int | None):
    """Chunks and their stored vectors for ids; those without a usable vector are left out."""
    chunks, vectors = [], []
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        part = ids[start : start + 900]
        rows = store.query(f"SELECT {CHUNK_COLUMNS}, embedding FROM chunks WHERE id IN ({','.join('?' * len(part))})",
                           part)
        for row in rows:
            blob = row[-1]
            if blob is None or (dim and len(blob) != dim * 4):
                continue
            chunks.append(_chunk_from_row(row[:-1]))
            vectors.append(np.frombuffer(blob, dtype=np.float32))
    return chunks, (np.stack(vectors) if vectors else np.zeros((0, dim or 1), dtype=np.float32))


def sync_chroma(store: IndexStore) -> tuple[int, int]:
    """Make Chroma hold exactly the chunks of the complete documents, from their stored vectors (no
    embedding): returns (vectors restored, orphan vectors dropped). Call inside a write session."""
    complete = _complete_ids(store)
    present = chroma_ids(store)
    orphans = sorted(present - complete.keys())
    for start in range(0, len(orphans), PAGE):
        store.collection.delete(ids=orphans[start : start + PAGE])
    missing = sorted(complete.keys() - present)
    chunks, vectors = _stored(store, missing, store.dim())
    if chunks:
        store._chroma_upsert(chunks, vectors)
    log.info("chroma sync for %s: %d restored, %d orphans dropped", store.dir, len(chunks), len(orphans))
    return len(chunks), len(orphans)


# ---- checks ------------------------------------------------------------------------------------
def _check_manifest(store: IndexStore, report: Report) -> bool:
    result = [row[0] for row in store.query("PRAGMA quick_check")]
    if result != ["ok"]:
        report.problem("manifest_corrupt", f"索引清单已损坏（{result[0] if result else '无结果'}）：清单是唯一真源，无法修复；"
                       "请把原文件重新导入到一个新的 --index 目录", False)
        return False
    return True


def _check_rows(store: IndexStore, report: Report, writer_active: bool) -> None:
    docs = store.query("SELECT doc, state FROM docs")
    states = Counter(state for _, state in docs)
    unfinished = [doc for doc, state in docs if state != "complete"]
    report.stats.update(docs=states.get("complete", 0), chunks=store.chunk_count(),
                        facts=store.query("SELECT COUNT(*) FROM facts")[0][0],
                        indicators=store.query("SELECT COUNT(*) FROM indicators")[0][0],
                        generation=store.generation)
    if unfinished and writer_active:
        report.notes.append(f"另一个进程正在写入（{_named(unfinished)} 未完成），检查结果可能随之变化")
    elif unfinished:
        report.problem("unfinished", f"{len(unfinished)} 个文档的写入被中断（{_named(unfinished)}）", True)
    orphan_chunks = store.query("SELECT COUNT(*) FROM chunks WHERE doc NOT IN (SELECT doc FROM docs)")[0][0]
    orphan_records = sum(
        store.query(f"SELECT COUNT(*) FROM {table} WHERE doc NOT IN (SELECT doc FROM docs)"
                    f" OR (chunk_id IS NOT NULL AND chunk_id != '' AND chunk_id NOT IN (SELECT id FROM chunks))")[0][0]
        for table in ("facts", "indicators")
    )
    if orphan_chunks or orphan_records:
        report.problem("manifest_orphans", f"清单里有 {orphan_chunks} 个段落、{orphan_records} 条事实或指标记录"
                       "不属于任何文档或段落", True)
    bad = store.query("SELECT c.doc, COUNT(*) FROM chunks c JOIN docs d ON d.doc=c.doc WHERE d.state='complete'"
                      " AND COALESCE(d.dense_pending, 0) = 0"  # pending vectors are on their way (ingest.dense)
                      " AND (c.embedding IS NULL OR length(c.embedding) != ?) GROUP BY c.doc", ((store.dim() or 0) * 4,))
    if bad:
        report.problem("vectors_missing_in_manifest",
                       f"{sum(n for _, n in bad)} 个段落在清单中没有可用的向量（{_named([d for d, _ in bad])}），"
                       "无法不经嵌入恢复：请用 govqa remove 删除后重新导入这些文档", False)
    for doc, chunks, facts, indicators in store.query(
        "SELECT d.doc, (SELECT COUNT(*) FROM chunks c WHERE c.doc=d.doc), (SELECT COUNT(*) FROM facts f WHERE f.doc=d.doc),"
        " (SELECT COUNT(*) FROM indicators i WHERE i.doc=d.doc) FROM docs d WHERE d.state='complete' ORDER BY d.doc"
    ):
        report.per_doc[doc] = {"chunks": chunks, "vectors": 0, "facts": facts, "indicators": indicators}


def _check_chroma(store: IndexStore, report: Report) -> str | None:
    """Chroma against the manifest; returns "unusable" when it must be rebuilt from scratch."""
    if store.read_only and not store.chroma_url:
        report.notes.append("索引目录只读：向量库需要写权限才能打开，未检查向量库")
        return None
    try:
        present = chroma_ids(store)
    except IndexError_ as exc:
        report.problem("chroma_unreadable", f"向量库无法打开（{exc.zh.split('（', 1)[-1].split('）')[0]}）：--repair 会从清单重建",
                       True)
        return "unusable"
    except Exception as exc:  # noqa: BLE001 - a broken Chroma raises anything
        report.problem("chroma_unreadable", f"向量库无法读取（{str(exc).splitlines()[0][:160]}）：--repair 会从清单重建", True)
        return "unusable"
    report.stats["vectors"] = len(present)
    complete = _complete_ids(store)
    pending = {cid for (cid,) in store.query(
        "SELECT c.id FROM chunks c JOIN docs d ON d.doc=c.doc WHERE d.state != 'complete'")}
    for cid in present:
        if cid in complete:
            report.per_doc[complete[cid]]["vectors"] += 1
    missing = Counter(sorted(complete[cid] for cid in complete.keys() - present))
    orphans = present - complete.keys() - pending
    if not complete and orphans:
        report.problem("manifest_emptied", f"清单中没有文档，但向量库有 {len(orphans)} 条向量（清单可能被截断或替换）："
                       "--repair 会删除这些孤立向量，之后请重新导入原文件", True)
        return None
    if missing:
        detail = "，".join(f"{doc} 缺 {n}/{report.per_doc[doc]['chunks']}" for doc, n in list(missing.items())[:SHOWN_DOCS])
        more = f" 等 {len(missing)} 个文档" if len(missing) > SHOWN_DOCS else ""
        report.problem("chroma_missing", f"向量库缺少 {sum(missing.values())} 条向量（{detail}{more}）", True)
    if orphans:
        report.problem("chroma_orphans", f"向量库有 {len(orphans)} 条孤立向量（清单中没有对应段落）", True)
    probe = next((cid for cid in sorted(complete.keys() & present)), None)
    if probe is not None:
        chunks, vectors = _stored(store, [probe], store.dim())
        if chunks:
            try:
                hit = store.collection.query(query_embeddings=[vectors[0].tolist()], n_results=1, include=["distances"])
                distance = hit["distances"][0][0] if hit["distances"] and hit["distances"][0] else None
            except Exception as exc:  # noqa: BLE001 - a damaged HNSW index raises anything
                report.problem("chroma_query", f"向量库能打开但无法检索（{str(exc).splitlines()[0][:160]}）：向量索引文件可能已损坏",
                               True)
                return "unusable"
            if distance is None or distance > 1e-3:
                report.problem("chroma_query", "向量库检索不到已存的向量（向量索引文件可能已损坏）", True)
                return "unusable"
    return None


def _check_lexical(store: IndexStore, report: Report) -> None:
    ids = [cid for (cid,) in store.query("SELECT c.id" + INDEXED_ROWS)]
    directory = store.dir / "bm25"
    if not (directory / "ids.json").exists():
        report.notes.append("词法索引缓存不存在：下次查询时自动建立")
        return
    try:
        cached = LexicalIndex.load(directory, store.generation)
    except Exception as exc:  # noqa: BLE001 - bm25s files damaged in any way
        report.problem("lexical_unreadable", f"词法索引缓存无法读取（{str(exc).splitlines()[0][:120]}）", True)
        return
    if cached is None:
        report.notes.append("词法索引缓存属于更早的一代：下次查询时自动重建")
    elif cached.ids != ids:
        report.problem("lexical_mismatch", f"词法索引有 {len(cached.ids)} 行，与清单的 {len(ids)} 个段落不一致", True)
    else:
        report.stats["lexical_rows"] = len(ids)


def _check_embedder(store: IndexStore, report: Report, embedder) -> None:
    report.stats.update(embedder=store.recorded_embedder() or store.embedder_spec, dim=store.dim(),
                        fingerprint=store.has_fingerprint())
    recorded = store.recorded_embedder()
    if recorded is not None and recorded != store.embedder_spec:
        report.problem("embedder_mismatch", errors.embedder_renamed(store.dir, recorded, store.embedder_spec).zh, False)
        return
    if embedder is None:
        return
    problem = store.embedder_problem(embedder, record=False)
    if problem is not None:
        report.problem("embedder_mismatch", problem.zh, False)
    elif not store.has_fingerprint() and store.chunk_count():
        report.notes.append("索引没有记录嵌入指纹（旧版本建立；已用一个存储段落核对一致）：--repair 会补记")


def diagnose(store: IndexStore, embedder=None) -> tuple[Report, str | None]:
    report = Report(index=str(store.dir))
    if not _check_manifest(store, report):
        return report, None
    writer_active = store.writer_active()
    _check_rows(store, report, writer_active)
    chroma_state = _check_chroma(store, report)
    _check_lexical(store, report)
    _check_embedder(store, report, embedder)
    if store.read_only:
        report.notes.append("索引目录只读：只能检查，不能修复（--repair 需要写权限）")
    return report, chroma_state


# ---- repair ------------------------------------------------------------------------------------
def repair(store: IndexStore, report: Report, chroma_state: str | None, embedder, wait_s: float) -> list[str]:
    """Restore the derived stores from the manifest (inside a write session); returns what was done."""
    done: list[str] = []
    with store.writing(wait_s):
        if chroma_state == "unusable":
            store.reset_chroma()
            done.append("向量库无法使用，已清空，将从清单重建")
        unfinished = store.query("SELECT COUNT(*) FROM docs WHERE state != 'complete'")[0][0]
        if unfinished:
            store.recover()
            done.append(f"完成了 {unfinished} 个被中断的写入")
        removed = store.delete_manifest_orphans()
        if removed:
            done.append(f"清单：删除了 {removed} 条不属于任何文档或段落的记录")
        restored, dropped = sync_chroma(store)
        if restored or dropped:
            done.append(f"向量库：从清单补回 {restored} 条向量，删除孤立向量 {dropped} 条（未重新嵌入）")
        shutil.rmtree(store.dir / "bm25", ignore_errors=True)
        store.bump_generation()  # running readers reload at their next question
        rows = len(store.lexical()[0].ids)
        if any(p.code.startswith("lexical") for p in report.problems):
            done.append(f"词法索引：已重建（{rows} 行）")
        if embedder is not None and not store.has_fingerprint() and store.embedder_problem(embedder) is None:
            done.append("补记了嵌入模型指纹")
    return done


def run(settings, repair_it: bool = False, load_embedder: bool = True) -> Report:
    """Check the index of settings (and repair it when asked); never raises for a broken index."""
    from ingest.store import open_store

    index = Path(settings.index_dir)
    if not index.exists():
        report = Report(index=str(index))
        report.problem("no_index", f"索引目录 {index} 不存在：先用 govqa ingest 建立索引", False)
        return report
    try:
        store = open_store(settings, with_embedder=False, strict=False)
    except IndexError_ as exc:
        report = Report(index=str(index))
        report.problem(exc.code, exc.zh, False)
        return report
    try:
        embedder, embedder_note = _load_embedder(settings) if load_embedder else (None, None)
        report, chroma_state = diagnose(store, embedder)
        if embedder_note:
            report.notes.append(embedder_note)
        if repair_it and (any(p.repairable for p in report.problems) or _needs_upkeep(report)):
            try:
                done = repair(store, report, chroma_state, embedder, settings.write_lock_wait_s)
            except IndexError_ as exc:
                report.problem(exc.code, exc.zh, False)
                return report
            report, _ = diagnose(store, embedder)
            report.repaired = done
            if embedder_note:
                report.notes.append(embedder_note)
        return report
    finally:
        store.close()


def _load_embedder(settings):
    from ingest.embed import EmbedderError, make_embedder

    try:
        return make_embedder(settings.embedder, settings.embed_base_url, settings.embed_api_key,
                             settings.embed_batch), None
    except EmbedderError as exc:
        return None, f"无法加载嵌入模型 {settings.embedder}（{exc}）：未核对嵌入指纹"


def _needs_upkeep(report: Report) -> bool:
    """Notes that --repair also takes care of (a stale lexical cache, a missing fingerprint)."""
    return any("--repair" in note or "词法索引" in note for note in report.notes)
