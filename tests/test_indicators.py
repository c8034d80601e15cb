"""Indicator extraction on the real seed reports (real index), the CLI listing, and the LLM wiring."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from ingest.indicators import ExtractedIndicator, ExtractedIndicators, extract_indicators, extract_with_llm
from ingest.models import Chunk, Indicator
from tests.conftest import SAMPLES, make_settings
from tests.test_ingest_cli import govqa

YUNYANG = "002_51f523802f205a70.txt"
MOUXIAN = "000_54b9b05ca15cab88.txt"
MOUZHEN = "004_f986ac64be4ae395.txt"


@pytest.fixture(scope="module")
def store(seed_index: Path):
    from ingest.store import open_store

    opened = open_store(make_settings(seed_index), with_embedder=False)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def records(store) -> list[Indicator]:
    return store.indicators()


def by_name(records: list[Indicator], doc: str, name: str) -> Indicator:
    found = [r for r in records if r.doc == doc and name in (r.name, r.name_raw) and r.kind == "indicator"]
    assert found, f"no {name} record in {doc}"
    return found[0]


def test_every_quote_is_an_exact_substring_of_its_chunk(store, records: list[Indicator]) -> None:
    chunks = store.chunks_by_ids(sorted({r.chunk_id for r in records}))
    assert records
    for record in records:
        assert record.quote in chunks[record.chunk_id].text, record
        assert record.region and record.year


def records_of(text: str, kind: str = "目标完成情况通报", section: str = "二、工作完成情况") -> list[Indicator]:
    chunk = Chunk(id="t-0001", doc="t.txt", ordinal=1, text=text, section=section, region="某县#t.txt", year=2023,
                  year_from=2023, year_to=2023, kind=kind)
    return extract_indicators([chunk])


def test_a_task_then_its_result_is_target_actual_and_status() -> None:
    records = records_of("3．实施新型工业化行动，新增规上工业企业40家。全年新增规上工业企业46家，超额完成年度目标任务。")
    (record,) = [r for r in records if r.name_raw == "新增规上工业企业"]
    assert (record.target_value, record.value, record.unit, record.status) == (40, 46, "家", "exceeded")
    assert "40家" in record.target_text and "46家" in record.quote


def test_completion_rates_judge_the_status() -> None:
    (met,) = [r for r in records_of("全年城镇新增就业6100人，完成年度计划的102%。") if r.kind == "indicator"]
    assert met.name == "城镇新增就业" and met.completion_pct == 102 and met.status == "exceeded"
    (short,) = [r for r in records_of("粮食播种面积82万亩，为年度目标的96%。") if r.kind == "indicator"]
    assert short.completion_pct == 96 and short.status == "not_met"


def test_a_result_against_a_lower_is_better_target() -> None:
    text = "城镇调查失业率控制在5.5%以内。全年城镇调查失业率为5.2%。"
    (record,) = [r for r in records_of(text) if r.name == "城镇调查失业率"]
    assert record.target_value == 5.5 and record.value == 5.2 and record.status == "met"


def test_statements_about_several_indicators_and_tallies() -> None:
    records = records_of("受市场需求偏弱影响，地区生产总值等4项指标未能实现预期目标。全年52项任务中已完成47项，未完成5项（详见附件）。")
    group = next(r for r in records if r.kind == "group")
    assert group.count == 4 and group.unnamed == 3 and group.status == "not_met"
    assert any(r.name == "地区生产总值" and r.status == "not_met" for r in records)
    tallies = {r.name: r for r in records if r.kind == "tally"}
    assert tallies["已完成事项"].value == 47 and tallies["未完成事项"].value == 5
    assert tallies["未完成事项"].note == "详见附件" and tallies["未完成事项"].count == 52


def test_masked_values_stay_masked_in_records() -> None:
    (record,) = [r for r in records_of("一般公共预算收入完成**亿元，同比增长*%。", kind="工作总结") if r.kind == "indicator"]
    assert record.masked and record.value is None and record.growth_pct is None


def test_yunyang_notice_records_on_the_seed_index(records: list[Indicator]) -> None:
    """The real notice: a target and its result per item, none invented."""
    yunyang = [r for r in records if r.doc == YUNYANG and r.kind == "indicator"]
    gdp = by_name(records, YUNYANG, "地区生产总值")
    assert gdp.value == 557.7 and gdp.growth_pct == 4.7 and gdp.year == 2022
    forest = by_name(records, YUNYANG, "森林覆盖率")
    assert (forest.target_value, forest.value, forest.status) == (59, 61, "exceeded")
    assert all(r.status in ("exceeded", "met") for r in yunyang if r.completion_pct and r.completion_pct > 100)


def test_overlap_duplicates_removed() -> None:
    from ingest.pipeline import Overrides, prepare

    doc = prepare(SAMPLES / YUNYANG, Overrides(), 150, 500, 40, 10 * 1024 * 1024)
    doubled = extract_indicators(doc.chunks + doc.chunks)
    assert len(doubled) == len(extract_indicators(doc.chunks))


def test_cli_indicators_json_and_csv(seed_index: Path, tmp_path: Path) -> None:
    result = govqa("indicators", "--index", str(seed_index), "--region", "云阳县", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["region"] for r in rows} == {"云阳县"}
    assert any(r["completion_pct"] == 118 and r["status"] == "exceeded" for r in rows)
    result = govqa("indicators", "--index", str(seed_index), "--status", "not_met", "--csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert table and {r["status"] for r in table} == {"not_met"}
    assert {"某县", "云阳县"} <= {r["region"] for r in table}


def test_cli_ingest_reports_indicators(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLES / YUNYANG, docs / YUNYANG)
    result = govqa("ingest", str(docs), "--index", str(tmp_path / "index"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 1 and report["indicators"] > 0


# ---------------------------------------------------------------- LLM extractor wiring (scripted model)


class ScriptedExtractor(BaseChatModel):
    """Returns scripted structured outputs, one per chunk; tests wiring and dropping only."""

    replies: list[Any] = []

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # pragma: no cover - unused
        raise NotImplementedError

    def with_structured_output(self, schema, **kwargs) -> Runnable:  # type: ignore[override]
        assert schema is ExtractedIndicators
        replies = iter(self.replies)
        return RunnableLambda(lambda _prompt: next(replies))


def test_llm_records_need_an_exact_quote() -> None:
    text = "9．县交通局牵头的完成交通固定资产投资50亿元。全县2022年完成投资59亿元，完成年度目标任务的118%，超额完成年度目标任务。"
    chunk = Chunk(id="c-1", doc="d.txt", ordinal=0, text=text, region="云阳县", year=2022, year_from=2022, year_to=2022)
    good = ExtractedIndicator(name="交通投资", value=59, unit="亿元", completion_pct=118, status="exceeded",
                              quote="全县2022年完成投资59亿元，完成年度目标任务的118%，超额完成年度目标任务。")
    invented_quote = ExtractedIndicator(name="交通投资", value=99, unit="亿元", quote="全县完成投资99亿元。")
    invented_figure = ExtractedIndicator(name="交通投资", value=99, unit="亿元",
                                         quote="全县2022年完成投资59亿元，完成年度目标任务的118%，超额完成年度目标任务。")
    model = ScriptedExtractor(replies=[ExtractedIndicators(records=[good, invented_quote, invented_figure])])
    found = extract_with_llm([chunk], model)
    assert len(found) == 1
    # a name the synonym table does not know stays the report's own (never widened to 全社会固定资产投资)
    assert found[0].name == "交通投资" and found[0].value == 59 and found[0].chunk_id == "c-1"
    assert found[0].quote in text
    merged = extract_indicators([chunk], chat_model=ScriptedExtractor(
        replies=[ExtractedIndicators(records=[good, invented_quote])]))
    assert all(r.quote in text for r in merged)
    assert not any(r.value == 99 for r in merged)
