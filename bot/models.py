"""Pydantic models at the answering seams."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Route = Literal["lookup", "status", "compare", "list", "summary", "rank"]


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Passage(BaseModel):
    """A retrieved chunk with its fused score."""

    chunk_id: str
    doc: str
    text: str
    section: str = ""
    region: str = ""
    year: int | None = None
    year_from: int = 0
    year_to: int = 9999
    kind: str = ""
    masked: bool = False
    score: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None


class Citation(BaseModel):
    n: int
    doc: str
    title: str = ""  # the document as users know it ("云阳县·关于2022年政府工作报告目标任务")
    region: str = ""
    year: int | None = None
    section: str = ""
    chunk_id: str
    quote: str


class Verification(BaseModel):
    checked: int = 0
    unsupported: list[str] = Field(default_factory=list)
    bad_citations: list[int] = Field(default_factory=list)


class ConflictFigure(BaseModel):
    """One document's figure where documents disagree."""

    figure: str
    doc: str
    title: str = ""
    n: int  # its citation marker in the answer
    correction: bool = False  # the document or the sentence calls itself a correction


class Conflict(BaseModel):
    """Documents giving different figures for one region, indicator, year and kind."""

    region: str
    indicator: str
    year: int | None = None
    kind: str  # actual | forecast | plan
    figures: list[ConflictFigure]


class Answer(BaseModel):
    id: str | None = None
    question: str
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    abstained: bool = False
    route: Route = "lookup"
    llm: str = "extractive"
    timings_ms: dict[str, float] = Field(default_factory=dict)
    verification: Verification = Field(default_factory=Verification)
    condensed_question: str | None = None
    table: list[dict[str, str]] | None = None
    # figures the answer counted over the index rather than read from a passage (a ranking's "31份",
    # "第5位"); every other figure is in a cited passage
    computed: list[str] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    # set when the LLM endpoint failed and the answer is the offline one (llm is then "extractive"):
    # why ("timeout" | "unreachable" | "unauthorized" | "rejected" | "error") and the notice shown atop the answer
    fallback: str | None = None
    notice: str | None = None
    # "partial" while some documents are searchable lexically only (their vectors are being computed)
    dense: Literal["full", "partial"] = "full"

    def to_json_dict(self) -> dict:
        data = self.model_dump(exclude_none=True)
        if self.id is None:
            data.pop("id", None)
        if not self.conflicts:
            data.pop("conflicts", None)
        return data
