"""Pydantic models at the ingestion seams."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ingest.quantity import Quantity

Level = Literal["省", "市", "县", "区", "镇", "乡", "街道", ""]
LEVELS: tuple[str, ...] = ("省", "市", "县", "区", "镇", "乡", "街道", "")
Kind = Literal["政府工作报告", "工作总结", "目标完成情况通报", "other"]
Status = Literal["exceeded", "met", "not_met", "unknown"]


class RawDoc(BaseModel):
    """A file as loaded: its name, raw text and a content hash."""

    path: str
    doc: str  # file name (the pipeline names the document by its path relative to the folder given)
    text: str
    sha256: str
    fmt: str


class DocMeta(BaseModel):
    doc: str
    region: str = ""  # the index's region key (an anonymous region's key names its document)
    region_name: str = ""  # as shown to users ("上杭县", "某县")
    province: str = ""
    city: str = ""
    county: str = ""
    anonymous: bool = False
    level: str = ""
    year: int | None = None
    kind: str = "other"
    title: str = ""


class Chunk(BaseModel):
    id: str  # "<doc hash prefix>-<ordinal>"
    doc: str
    ordinal: int
    text: str
    section: str = ""
    region: str = ""
    level: str = ""
    year: int | None = None
    year_from: int = 0
    year_to: int = 9999
    kind: str = "other"
    masked: bool = False

    def chroma_metadata(self) -> dict[str, str | int | bool]:
        return {
            "doc": self.doc,
            "ordinal": self.ordinal,
            "section": self.section,
            "region": self.region,
            "level": self.level,
            "year": self.year or 0,
            "year_from": self.year_from,
            "year_to": self.year_to,
            "kind": self.kind,
            "masked": self.masked,
        }


Stance = Literal["actual", "forecast", "plan"]


class Fact(BaseModel):
    """One figure of a report: what it measures, when, and whether it is a result, forecast or plan."""

    doc: str
    chunk_id: str
    region: str = ""
    subject: str  # the report's own phrase ("全省生产总值")
    canonical: str = ""  # the synonym table's name for it, when it has one
    quantity: Quantity
    measure: str = ""  # the quantity's kind, or "completion" (完成年度计划的102%)
    year: int | None = None
    part: str = ""  # part of the year ("H1", "Q1-3"…), "" for the whole year
    span: str = ""  # multi-year word ("年均", "十四五"…) when the figure covers several years
    stance: Stance = "actual"
    status: Status = "unknown"
    quote: str  # the exact sentence of the chunk that states the figure
    quote_start: int = 0  # its offset in the chunk text


class Indicator(BaseModel):
    region: str = ""
    year: int | None = None
    name: str
    name_raw: str
    value: float | None = None
    unit: str = ""
    growth_pct: float | None = None
    target_text: str = ""
    target_value: float | None = None
    completion_pct: float | None = None
    status: Status = "unknown"
    rank_text: str = ""
    masked: bool = False
    doc: str
    chunk_id: str
    quote: str
    # "indicator": one named figure; "tally": counts of tasks done / not done ("已完成170项");
    # "group": a statement about several indicators, not all named ("地区生产总值等5项经济指标未能实现预期目标")
    kind: Literal["indicator", "tally", "group"] = "indicator"
    count: int | None = None  # tally: total tasks; group: how many indicators the statement covers
    unnamed: int | None = None  # group: how many of those the text does not name
    note: str = ""  # e.g. "详见附件" when the items are listed only in an attachment


class FileError(BaseModel):
    path: str
    error: str


class IgnoredFile(BaseModel):
    """A file inside a folder given to ingest that was passed over on purpose (hidden, unsupported)."""

    path: str
    reason: str


class IngestReport(BaseModel):
    added: int = 0
    replaced: int = 0  # documents already in the index whose content changed
    skipped: int = 0
    failed: list[FileError] = Field(default_factory=list)
    ignored: list[IgnoredFile] = Field(default_factory=list)
    chunks: int = 0
    indicators: int = 0
    # documents searchable lexically whose vectors are still to come (uploads embed in the background)
    vectors_pending: int = 0


class DocInfo(BaseModel):
    doc: str
    region: str
    level: str
    title: str = ""
    region_name: str = ""
    province: str = ""
    city: str = ""
    county: str = ""
    anonymous: bool = False
    path: str = ""
    year: int | None
    kind: str
    chars: int
    chunks: int
    masked_chunks: int
    sha256: str
