"""The answering service: one store, one retriever, one chain — loaded once, shared by CLI/UI/eval."""

from __future__ import annotations

from collections.abc import Iterator

from threadpoolctl import threadpool_limits

from bot.analyse.question import QueryPlan
from bot.answer.llm import LLMBackend
from bot.chain import AnswerChain
from bot.models import Answer, Turn
from bot.retrieve.hybrid import HybridRetriever
from bot.settings import Settings
from ingest.dense import VectorWorker
from ingest.models import Indicator
from ingest.quantity import find_quantities
from ingest.regions import Region
from ingest.regions import warm_up as warm_up_regions
from ingest.store import IndexStore, open_store


class QAService:
    def __init__(self, settings: Settings, store: IndexStore | None = None, chat_model=None) -> None:
        self.settings = settings
        # numpy's OpenBLAS threads spin after every call and, on a 2-core machine, stall the embedder's
        # OpenMP team (query embeddings went from 20 to 130 ms); the vector scans do fine on one thread
        threadpool_limits(limits=1, user_api="blas")
        self.store = store or open_store(settings)
        self.retriever = HybridRetriever(self.store, settings.retrieve_k, settings.rrf_k)
        self.vector_worker = VectorWorker(self.store, settings.embed_batch)
        llm = LLMBackend(settings, chat_model) if (settings.llm_enabled or chat_model is not None) else None
        self.chain = AnswerChain(self.retriever, self.known_regions, settings.top_k, llm,
                                 records=self.indicator_records, chunk_lookup=self.store.chunks_by_ids,
                                 facts=self.store.facts, today=settings.today, titles=self.store.doc_titles,
                                 doc_years=self.store.doc_years, max_question_chars=settings.max_question_chars,
                                 max_history_turns=settings.max_history_turns,
                                 max_turn_chars=settings.max_turn_chars)

    def known_regions(self) -> list[Region]:
        return self.store.region_index()

    def indicator_records(self, plan: QueryPlan) -> list[Indicator]:
        """The indicator records of the regions a question names (all regions when it names none)."""
        records = ([r for region in plan.regions for r in self.store.indicators(region=region)] if plan.regions
                   else self.store.indicators())
        if plan.report_docs:
            in_reports = set(plan.report_docs)
            records = [r for r in records if r.doc in in_reports]
        return records

    def warm_up(self) -> None:
        """Load the embedder, the lexical index, the vector cache and Chroma before the first question."""
        self.store.embedder.query("预热")
        self.store.lexical()
        self.store.vectors()
        self.store.row_index()
        self.store.facts()
        # the division parser (with its towns), the time parser, cn2an and jieba load on first use
        warm_up_regions()
        find_quantities("两千万元")
        self.chain._route({"condensed": "浙江省去年地区生产总值增长多少", "region": None, "year": None, "kind": None})
        self.store.collection.count()

    @staticmethod
    def _turns(history: list[dict] | list[Turn] | None) -> list[Turn]:
        return [t if isinstance(t, Turn) else Turn.model_validate(t) for t in (history or [])]

    def ask(self, question: str, history: list[dict] | list[Turn] | None = None, region: str | None = None,
            year: int | None = None, kind: str | None = None) -> Answer:
        self.store.refresh()  # another process may have ingested or removed documents since the last question
        answer = self.chain.invoke(question, self._turns(history), region or None, year or None, kind or None)
        return self._with_dense_state(answer)

    def ask_stream(self, question: str, history: list[dict] | list[Turn] | None = None, region: str | None = None,
                   year: int | None = None, kind: str | None = None) -> Iterator[str | Answer]:
        self.store.refresh()
        for part in self.chain.stream(question, self._turns(history), region or None, year or None, kind or None):
            yield self._with_dense_state(part) if isinstance(part, Answer) else part

    def _with_dense_state(self, answer: Answer) -> Answer:
        answer.dense = "partial" if self.store.pending_vectors() else "full"
        return answer

    def complete_vectors(self) -> None:
        """Embed, in the background, the documents that are searchable lexically only (uploads, and
        those a killed process left pending)."""
        if self.store.pending_vectors():
            self.vector_worker.kick()
