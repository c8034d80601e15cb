"""The naive baseline: the LangChain recipe a newcomer would write, for side-by-side numbers.

RecursiveCharacterTextSplitter(500, 50) on the *uncleaned* loaded text, a langchain-chroma
`Chroma` store with dense search only (the same embedder object as ours), no metadata filters,
no history condensing; then the same extractive answerer and the same verification as ours.
The Chroma directory is cached across runs under a hash of the documents' content.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from pydantic import BaseModel, Field

from bot.analyse.question import analyse
from bot.answer.draft import Draft
from bot.answer.extractive import answer_extractive
from bot.models import Answer, Citation, Passage
from bot.verify.check import renumber, verify
from ingest.load import iter_input_files, load_file
from ingest.regions import Region
from ingest.store import IndexStore

log = logging.getLogger(__name__)

CHUNK_SIZE = 500
CHUNK_OVERLAP = 50
COLLECTION = "naive"


class NaiveChunk(BaseModel):
    id: str
    doc: str
    text: str


class NaiveRetrieval(BaseModel):
    passages: list[Passage]
    timings_ms: dict[str, float] = Field(default_factory=dict)


def split_documents(paths: list[Path]) -> list[NaiveChunk]:
    """Uncleaned text → RecursiveCharacterTextSplitter(500, 50) chunks with stable ids."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks: list[NaiveChunk] = []
    for path in paths:
        raw = load_file(path)
        for i, text in enumerate(splitter.split_text(raw.text)):
            chunks.append(NaiveChunk(id=f"naive-{raw.sha256[:12]}-{i}", doc=raw.doc, text=text))
    return chunks


def content_hash(paths: list[Path], embedder_spec: str) -> str:
    digest = hashlib.sha256(f"{embedder_spec}|{CHUNK_SIZE}|{CHUNK_OVERLAP}".encode())
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def to_answer(question: str, draft: Draft, passages: list[Passage], route: str, timings: dict[str, float]) -> Answer:
    """The same verification and citation numbering as our chain's verify stage."""
    start = time.perf_counter()
    evidence = {n: passages[index].text for n, (index, _q) in enumerate(draft.quotes, start=1)
                if 0 <= index < len(passages)}
    checked = verify(draft.text, evidence)
    citations = []
    for new_n, old_n in enumerate(checked.used, start=1):
        index, quote = draft.quotes[old_n - 1]
        p = passages[index]
        citations.append(Citation(n=new_n, doc=p.doc, chunk_id=p.chunk_id, quote=quote or p.text[:120]))
    text = renumber(checked.text, checked.used)
    abstained = draft.abstained or not text.strip()
    if not text.strip():
        text = "所提供的报告中未找到可以核实的答案。"
    timings["verify"] = round((time.perf_counter() - start) * 1000, 2)
    return Answer(question=question, answer=text, citations=citations, abstained=abstained, route=route,
                  llm="extractive", timings_ms=timings, verification=checked.verification, table=draft.table)


class NaiveBaseline:
    """Dense-only Chroma over naive chunks; answers with our extractive answerer."""

    def __init__(self, store: IndexStore, docs: Path | list[Path], persist_root: Path, top_k: int = 6) -> None:
        self.store = store
        self.top_k = top_k
        self.paths = iter_input_files(docs if isinstance(docs, list) else [docs]) if docs else []
        self.key = content_hash(self.paths, store.embedder_spec)
        self.persist_dir = Path(persist_root) / self.key
        self.chunks: dict[str, NaiveChunk] = {}
        self._vectorstore = None

    @classmethod
    def open_existing(cls, store: IndexStore, persist_dir: Path, top_k: int = 6) -> NaiveBaseline:
        """Attach to a naive Chroma directory built elsewhere (e.g. the benchmark's synthetic ones)."""
        baseline = cls(store, [], persist_dir, top_k)
        baseline.persist_dir = Path(persist_dir)
        baseline._open()
        return baseline

    def _open(self):
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        self._vectorstore = Chroma(
            collection_name=COLLECTION,
            embedding_function=self.store.embedder,
            persist_directory=str(self.persist_dir),
            client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
        )
        return self._vectorstore

    def build(self) -> NaiveBaseline:
        """Split, and embed into Chroma unless this exact content was embedded before."""
        chunks = split_documents(self.paths)
        self.chunks = {c.id: c for c in chunks}
        done = self.persist_dir / "complete"
        self._open()
        if not done.exists():
            log.info("naive baseline: embedding %d chunks into %s", len(chunks), self.persist_dir)
            batch = 64
            for start in range(0, len(chunks), batch):
                part = chunks[start : start + batch]
                self._vectorstore.add_texts([c.text for c in part], metadatas=[{"doc": c.doc} for c in part],
                                            ids=[c.id for c in part])
            done.write_text(str(len(chunks)))
        return self

    def known_regions(self) -> list[Region]:
        return self.store.region_index()

    def retrieve(self, question: str, k: int) -> NaiveRetrieval:
        start = time.perf_counter()
        hits = self._vectorstore.similarity_search_with_score(question, k=k)
        elapsed = round((time.perf_counter() - start) * 1000, 2)
        passages = [
            Passage(chunk_id=doc.id or "", doc=doc.metadata.get("doc", ""), text=doc.page_content, score=-score)
            for doc, score in hits
        ]
        return NaiveRetrieval(passages=passages, timings_ms={"retrieve": elapsed})

    def answer(self, question: str, retrieval: NaiveRetrieval, regions: list[Region] | None = None) -> Answer:
        timings = dict(retrieval.timings_ms)
        start = time.perf_counter()
        plan = analyse(question, regions if regions is not None else self.known_regions())
        passages = retrieval.passages[: self.top_k]
        draft = answer_extractive(plan, passages)
        timings["answer"] = round((time.perf_counter() - start) * 1000, 2)
        answer = to_answer(question, draft, passages, plan.route, timings)
        answer.timings_ms["total"] = round(sum(v for k, v in timings.items() if k != "total"), 2)
        return answer

    def ask(self, question: str, regions: list[Region] | None = None) -> Answer:
        return self.answer(question, self.retrieve(question, self.top_k), regions)

    def chunk_text(self, chunk_id: str) -> str:
        chunk = self.chunks.get(chunk_id)
        return chunk.text if chunk else ""
