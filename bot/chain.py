"""The answer chain as LCEL: condense → route → retrieve → answer → verify.

Each stage is a small Runnable over a state dict; the extractive and LLM answerers share
retrieval and verification. The two LLM stages (condense, answer) fall back, through LCEL's
`with_fallbacks`, to their offline versions when the endpoint fails; the answer then says so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from bot.analyse.condense import condense as condense_rules
from bot.analyse.question import QueryPlan, analyse, find_regions
from bot.answer.conflicts import renumbered_conflicts
from bot.answer.draft import Draft
from bot.answer.evidence import sentences_of
from bot.answer.extractive import abstain, answer_extractive
from bot.answer.facts import (
    answer_compare_facts,
    answer_facts,
    answer_related,
    answer_targets,
    unknown_region,
)
from bot.answer.llm import ABSTAIN_MARKERS, FALLBACK_NOTICE, LLMBackend, LLMUnavailable
from bot.answer.ranking import answer_ranking, answer_trend
from bot.answer.status import answer_from_records
from bot.bounds import bound_history, too_long_message
from bot.models import Answer, Citation, Passage, Turn
from bot.retrieve.hybrid import HybridRetriever
from bot.verify.check import PLANTED_NOTE, renumber, verify
from bot.verify.numbers import numbers_with_units
from ingest.models import Chunk, Fact, Indicator
from ingest.planted import PLANTED_MARK, strip_planted
from ingest.regions import Region, display_name

State = dict[str, Any]
LLM_ERROR = "llm_error"  # state key: the LLMUnavailable that made a stage fall back
_MARKER = re.compile(r"\[(\d{1,3})\]")


def _run_timed(name: str, fn: Callable[[State], Any], state: State) -> Any:
    start = time.perf_counter()
    result = fn(state)
    state.setdefault("timings_ms", {})[name] = round((time.perf_counter() - start) * 1000, 2)
    return result


def timed(name: str, fn: Callable[[State], Any]) -> Runnable:
    return RunnableLambda(lambda state: _run_timed(name, fn, state)).with_config(run_name=name)


def stage(key: str, name: str, fn: Callable[[State], Any]) -> Runnable:
    """A chain stage that adds `key` to the state. Unlike RunnablePassthrough.assign it runs on the
    calling thread: no thread-pool hop per stage, and the embedder's OpenMP team is reused."""
    return RunnableLambda(lambda state: {**state, key: _run_timed(name, fn, state)}).with_config(run_name=name)


def offline_fallback(primary: Runnable, offline: Runnable) -> Runnable:
    """The offline stage when the LLM stage raises LLMUnavailable; the error is put in the state under
    LLM_ERROR (the fallback returns the whole state, so verification sees it). Other errors propagate."""
    return primary.with_fallbacks([offline], exceptions_to_handle=(LLMUnavailable,), exception_key=LLM_ERROR)


def passage_year_int(passage: Passage) -> int | None:
    """The year a passage speaks about: its section's year (“2021年工作回顾”), else the report's."""
    if passage.year_from == passage.year_to and passage.year_from:
        return passage.year_from
    return passage.year


def best_quote(passage_text: str, claim: str) -> str:
    """The passage sentence that best supports a claim (shares its figures, then its characters)."""
    sentences = [s.text for s in sentences_of([Passage(chunk_id="", doc="", text=passage_text)])] or [passage_text]
    claim_figures = set(numbers_with_units(claim))

    def overlap(sentence: str) -> tuple[int, int]:
        return (len(claim_figures & set(numbers_with_units(sentence))), len(set(sentence) & set(claim)))

    return max(sentences, key=overlap)


class AnswerChain:
    def __init__(
        self,
        retriever: HybridRetriever,
        known_regions: Callable[[], list[Region]],
        top_k: int = 6,
        llm: LLMBackend | None = None,
        records: Callable[[QueryPlan], list[Indicator]] | None = None,
        chunk_lookup: Callable[[list[str]], dict[str, Chunk]] | None = None,
        facts: Callable[[], list[Fact]] | None = None,
        today: date | None = None,
        titles: Callable[[], dict[str, str]] | None = None,
        doc_years: Callable[[], dict[str, int | None]] | None = None,
        max_question_chars: int = 500,
        max_history_turns: int = 6,
        max_turn_chars: int = 2000,
    ) -> None:
        self.max_question_chars = max_question_chars
        self.max_history_turns = max_history_turns
        self.max_turn_chars = max_turn_chars
        self.titles = titles
        self.doc_years = doc_years
        self.retriever = retriever
        self.known_regions = known_regions
        self.facts = facts
        self.today = today
        self.top_k = top_k
        self.llm = llm
        # indicator records (status/compare answers) and the chunks they quote
        self.records = records
        self.chunk_lookup = chunk_lookup
        condense, answer = stage("condensed", "condense", self._condense), stage("draft", "answer", self._answer)
        if llm is not None:
            condense = offline_fallback(condense, stage("condensed", "condense_offline", self._condense_offline))
            answer = offline_fallback(answer, stage("draft", "answer_offline", self._answer_without_llm))
        self.runnable: Runnable = (
            condense
            | stage("plan", "route", self._route)
            | stage("passages", "retrieve", self._retrieve)
            | answer
            | timed("verify", self._verify)
        )

    # ---- stages ---------------------------------------------------------------------------
    def _condense(self, state: State) -> str:
        history: list[Turn] = state.get("history") or []
        if self.llm is not None and history:
            return self.llm.condense(state["question"], history)
        return self._condense_offline(state)

    def _condense_offline(self, state: State) -> str:
        return condense_rules(state["question"], state.get("history") or [], self.known_regions(), self.today)

    def _route(self, state: State) -> QueryPlan:
        plan = analyse(state["condensed"], self.known_regions(), state.get("region"), state.get("year"),
                       state.get("kind"), self.today)
        if plan.years and not state.get("year") and state["condensed"] != state.get("question", state["condensed"]):
            asked = analyse(state["question"], self.known_regions(), today=self.today)
            plan.years_carried = not asked.years
        if plan.report_year is not None:
            docs = [d for d, y in (self.doc_years() if self.doc_years else {}).items() if y == plan.report_year]
            if docs:
                plan.report_docs = docs
            else:  # no report of that year: the year is read as the period asked about
                plan.years = sorted({*plan.years, plan.report_year})
        return plan

    def _retrieve(self, state: State) -> list[Passage]:
        plan: QueryPlan = state["plan"]
        result = self.retriever.retrieve(plan, k=self.top_k)
        if not result.passages and plan.years and not plan.explicit_filters and plan.route == "compare":
            result = self.retriever.retrieve(plan.model_copy(update={"years": []}), k=self.top_k)
        timings = state.setdefault("timings_ms", {})
        for key, value in result.timings_ms.items():
            timings[f"retrieve.{key}"] = round(timings.get(f"retrieve.{key}", 0.0) + value, 2)
        return result.passages

    def _answer(self, state: State) -> Draft:
        return self._draft(state, self.llm)

    def _answer_without_llm(self, state: State) -> Draft:
        return self._draft(state, None)

    def _draft(self, state: State, llm: LLMBackend | None) -> Draft:
        plan: QueryPlan = state["plan"]
        passages: list[Passage] = state["passages"]
        if plan.unknown_regions and not plan.regions:
            return unknown_region(plan, self.known_regions())
        if plan.route == "rank" and self.facts is not None:
            # a ranking is built from the facts of every region of the level, in either mode
            draft = answer_ranking(plan, self.facts(), self.known_regions(), self.titles() if self.titles else {},
                                   self._fetcher(passages))
            if draft is not None:
                return draft
        if plan.route == "lookup" and len(plan.regions) == 1 and self.facts is not None:
            draft = answer_trend(plan, self.facts(), self._fetcher(passages))
            if draft is not None:
                return draft
        if llm is None:
            return self._answer_offline(plan, passages)
        if not passages:
            return answer_extractive(plan, passages)
        text = "".join(llm.stream_answer(plan.question, passages, plan.route))
        return self.llm_draft(text, passages)

    def _titles(self) -> dict[str, str]:
        return self.titles() if self.titles else {}

    def _fetcher(self, passages: list[Passage]) -> Callable[[str], int | None]:
        """Index of a chunk's passage; a chunk that was not retrieved is appended (verification sees it)."""
        def fetch(chunk_id: str) -> int | None:
            for index, passage in enumerate(passages):
                if passage.chunk_id == chunk_id:
                    return index
            chunk = (self.chunk_lookup([chunk_id]) if self.chunk_lookup else {}).get(chunk_id)
            if chunk is None:
                return None
            passages.append(Passage(
                chunk_id=chunk.id, doc=chunk.doc, text=chunk.text, section=chunk.section, region=chunk.region,
                year=chunk.year, year_from=chunk.year_from, year_to=chunk.year_to, kind=chunk.kind, masked=chunk.masked,
            ))
            return len(passages) - 1
        return fetch

    def _facts_for(self, plan: QueryPlan, passages: list[Passage]) -> list[Fact]:
        """The facts that may answer: of the regions asked, else of the retrieved passages."""
        if self.facts is None:
            return []
        facts = self.facts()
        if plan.described_doc and passages:  # retrieval kept to the one report the question describes
            in_reports = {p.doc for p in passages}
            facts = [f for f in facts if f.doc in in_reports]
        elif plan.report_docs:
            in_reports = set(plan.report_docs)
            facts = [f for f in facts if f.doc in in_reports]
        if plan.regions:
            wanted = set(plan.regions)
            return [f for f in facts if f.region in wanted]
        chunk_ids = {p.chunk_id for p in passages}
        found = [f for f in facts if f.chunk_id in chunk_ids]
        if plan.described_level:
            # "那个区…" names no region but says which kind: never another kind's figures
            level = {r.key: r.level for r in self.known_regions()}
            found = [f for f in found if level.get(f.region) == plan.described_level]
        return found

    def _answer_offline(self, plan: QueryPlan, passages: list[Passage]) -> Draft:
        """One answerer per route: figures from facts, status from records, lists from passages."""
        quotes_a_passage = bool(re.search(r"“[^”]{6,}”", plan.question))  # "“…增长10%左右”具体是什么"
        if plan.route in ("lookup", "compare") and self.facts is not None and not quotes_a_passage:
            facts = self._facts_for(plan, passages)
            fetch = self._fetcher(passages)
            if plan.route == "compare" and len(plan.regions) >= 2:
                draft = answer_compare_facts(plan, facts, fetch, self._titles())
            else:
                draft = answer_facts(plan, facts, fetch, self._titles()) or answer_related(plan, facts, fetch)
                if draft is None and plan.years_carried:
                    # the year came from the conversation: another year of this region, said to be so
                    draft = answer_facts(plan.model_copy(update={"years": []}), facts, fetch, self._titles())
                    if draft is not None:
                        draft.text = f"（报告中没有{plan.years[0]}年的这项数据，以下是报告给出的年份）\n{draft.text}"
            if draft is not None:
                return draft
            if plan.indicators:
                return abstain(plan)
        if plan.route == "list" and "目标" in plan.question and plan.regions and self.facts is not None:
            draft = answer_targets(plan, self._facts_for(plan, passages), self._fetcher(passages))
            if draft is not None:
                return draft
        if plan.route == "status":
            draft = self._answer_records(plan, passages)
            if draft is not None:
                return draft
            if self.facts is not None:
                draft = answer_facts(plan, self._facts_for(plan, passages), self._fetcher(passages), self._titles())
                if draft is not None:
                    return draft
        return answer_extractive(plan, passages)

    # ---- indicator records (status / compare) ----------------------------------------------
    def _answer_records(self, plan: QueryPlan, passages: list[Passage]) -> Draft | None:
        """Answer from indicator records; a record's chunk that was not retrieved is appended to
        `passages` (in place, so verification sees it) only when the records answer."""
        if self.records is None or plan.route not in ("status", "compare", "lookup"):
            return None
        records = self.records(plan)
        if not records:
            return None
        extended = list(passages)
        draft = answer_from_records(plan, records, self._fetcher(extended))
        if draft is not None:
            passages.extend(extended[len(passages):])
        return draft

    @staticmethod
    def llm_draft(text: str, passages: list[Passage]) -> Draft:
        """LLM text → Draft: markers refer to the numbered passages given to the model."""
        quotes: list[tuple[int, str]] = []
        for n in range(1, len(passages) + 1):
            claims = " ".join(seg for seg in re.split(r"\n", text) if f"[{n}]" in seg)
            quotes.append((n - 1, best_quote(passages[n - 1].text, claims) if claims else ""))
        abstained = not _MARKER.search(text) and any(m in text for m in ABSTAIN_MARKERS)
        return Draft(text=text.strip(), quotes=quotes, abstained=abstained)

    def _verify(self, state: State) -> Answer:
        draft: Draft = state["draft"]
        passages: list[Passage] = state["passages"]
        plan: QueryPlan = state["plan"]
        # verify against what the answerer was allowed to use: instruction-like sentences are not evidence
        evidence = {n: strip_planted(passages[index].text)[0]
                    for n, (index, _quote) in enumerate(draft.quotes, start=1) if 0 <= index < len(passages)}
        checked = verify(draft.text, evidence, draft.computed)
        citations = []
        for new_n, old_n in enumerate(checked.used, start=1):
            index, quote = draft.quotes[old_n - 1]
            passage = passages[index]
            citations.append(Citation(
                n=new_n, doc=passage.doc, title=self._titles().get(passage.doc, ""),
                region=display_name(passage.region), year=passage_year_int(passage),
                section=passage.section, chunk_id=passage.chunk_id, quote=quote or passage.text[:120],
            ))
        text = renumber(checked.text, checked.used)
        abstained = draft.abstained or not text.strip()
        if not text.strip():
            text = "所提供的报告中未找到可以核实的答案。"
        text = self._scope_note(state, plan, abstained) + text
        cited_docs = {c.doc for c in citations}
        if any(PLANTED_MARK in p.text for p in passages if p.doc in cited_docs):  # ingest left the mark
            text += "\n" + PLANTED_NOTE
        failure: LLMUnavailable | None = state.get(LLM_ERROR)
        if failure is not None:
            text = f"（{FALLBACK_NOTICE}）\n{text}"
        timings = dict(state.get("timings_ms", {}))
        return Answer(
            question=state["question"],
            answer=text,
            citations=citations,
            abstained=abstained,
            route=plan.route,
            llm=self.llm.name if self.llm is not None and failure is None else "extractive",
            fallback=failure.reason if failure is not None else None,
            notice=FALLBACK_NOTICE if failure is not None else None,
            timings_ms=timings,
            verification=checked.verification,
            condensed_question=state["condensed"] if state["condensed"] != state["question"] else None,
            table=draft.table,
            computed=draft.computed,
            conflicts=renumbered_conflicts(draft.conflicts, checked.used),
        )

    def _scope_note(self, state: State, plan: QueryPlan, abstained: bool) -> str:
        """Say what narrowed the search: filters set in the UI or CLI when they left nothing, and a
        region carried over from the conversation (never inherited silently)."""
        filters = [f"{label}={value}" for label, value in (
            ("地区", state.get("region")), ("年份", state.get("year")), ("类型", state.get("kind"))) if value]
        if filters and abstained:
            return f"在筛选条件“{'、'.join(filters)}”下："
        if state.get("history") and plan.regions and not state.get("region"):
            asked = set(find_regions(state["question"], self.known_regions()))
            carried = [plan.region_name(r) for r in plan.regions if r not in asked]
            if carried and not asked:
                return f"（沿用上文的地区：{'、'.join(dict.fromkeys(carried))}）"
        return ""

    # ---- entry points ---------------------------------------------------------------------
    def _refusal(self, question: str) -> Answer | None:
        """A question too long to answer gets a request to shorten it, before any work is done."""
        message = too_long_message(question, self.max_question_chars)
        if message is None:
            return None
        return Answer(question=question[: self.max_question_chars] + "…", answer=message, abstained=True,
                      llm=self.llm.name if self.llm is not None else "extractive", timings_ms={"total": 0.0})

    def _start(self, question: str, history: list[Turn] | None, region: str | None, year: int | None,
               kind: str | None) -> State:
        return {"question": question, "region": region, "year": year, "kind": kind, "timings_ms": {},
                "history": bound_history(history or [], self.max_history_turns, self.max_turn_chars)}

    def invoke(self, question: str, history: list[Turn] | None = None, region: str | None = None,
               year: int | None = None, kind: str | None = None) -> Answer:
        refusal = self._refusal(question)
        if refusal is not None:
            return refusal
        start = time.perf_counter()
        state = self._start(question, history, region, year, kind)
        answer: Answer = self.runnable.invoke(state)
        answer.timings_ms["total"] = round((time.perf_counter() - start) * 1000, 2)
        return answer

    def stream(self, question: str, history: list[Turn] | None = None, region: str | None = None,
               year: int | None = None, kind: str | None = None) -> Iterator[str | Answer]:
        """Yields partial answer text while the LLM writes, then the verified Answer."""
        if self.llm is None:
            yield self.invoke(question, history, region, year, kind)
            return
        refusal = self._refusal(question)
        if refusal is not None:
            yield refusal
            return
        start = time.perf_counter()
        state = self._start(question, history, region, year, kind)
        try:
            state["condensed"] = self._condense(state)
        except LLMUnavailable as exc:
            state[LLM_ERROR] = exc
            state["condensed"] = self._condense_offline(state)
        state["plan"] = self._route(state)
        state["passages"] = self._retrieve(state)
        if not state["passages"]:
            state["draft"] = answer_extractive(state["plan"], [])
        else:
            text = ""
            try:
                for token in self.llm.stream_answer(state["plan"].question, state["passages"], state["plan"].route):
                    text += token
                    yield text
                state["draft"] = self.llm_draft(text, state["passages"])
            except LLMUnavailable as exc:  # possibly half-way through: the offline answer replaces the tokens
                state[LLM_ERROR] = exc
                state["draft"] = self._answer_without_llm(state)
        answer = self._verify(state)
        answer.timings_ms["total"] = round((time.perf_counter() - start) * 1000, 2)
        yield answer
