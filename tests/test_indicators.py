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


# the 13 notable items of the 云阳县 notice: (name, value, unit, growth, target, completion, status)
YUNYANG_ITEMS = [
    ("地区生产总值", 557.7, "亿元", 4.7, None, None, "unknown"),
    ("全社会固定资产投资", None, "", 17.7, None, None, "unknown"),
    ("农业增加值", 74.3, "亿元", 6.3, None, None, "unknown"),
    ("居民人均可支配收入", 27572, "元", 11.7, None, None, "unknown"),
    ("一般公共预算收入", 18.1, "亿元", 0.3, None, None, "unknown"),
    ("第三产业增加值", 262.7, "亿元", 2.6, None, None, "unknown"),
    ("社会消费品零售总额", 394.3, "亿元", 3, None, None, "unknown"),
    ("规上工业增加值", None, "", 4.7, None, None, "unknown"),
    ("交通固定资产投资", 59, "亿元", None, 50, 118, "exceeded"),
    ("市场主体", 1.15, "万户", None, 1, None, "met"),
    ("招商引资到位资金", 165.7, "亿元", None, 60, 276, "exceeded"),
    ("亿元以上项目", 35, "个", None, 20, 175, "exceeded"),
    ("绿色信贷余额", 13.94, "亿元", 19.2, None, None, "unknown"),
    ("义务植树", 312, "万株", None, 200, 156, "exceeded"),
    ("营造林", 36.59, "万亩", None, 20, 183, "exceeded"),
    ("森林覆盖率", 61, "%", None, 59, None, "exceeded"),
]


@pytest.mark.parametrize(("name", "value", "unit", "growth", "target", "completion", "status"), YUNYANG_ITEMS)
def test_yunyang_notable_items(records: list[Indicator], name: str, value: float | None, unit: str,
                               growth: float | None, target: float | None, completion: float | None,
                               status: str) -> None:
    record = by_name(records, YUNYANG, name)
    assert record.region == "云阳县" and record.year == 2022
    assert record.value == value
    if value is not None:
        assert record.unit == unit
    assert record.growth_pct == growth
    assert record.target_value == target
    assert record.completion_pct == completion
    assert record.status == status
    assert not record.masked


def test_yunyang_items_cover_all_thirteen(records: list[Indicator]) -> None:
    items = {r.quote.split("．")[0] for r in records if r.doc == YUNYANG and r.kind == "indicator"}
    assert items == {str(n) for n in range(1, 14)}


def test_yunyang_rank_and_growth_not_confused_with_city_average(records: list[Indicator]) -> None:
    gdp = by_name(records, YUNYANG, "地区生产总值")
    assert gdp.growth_pct == 4.7  # not the city average 2.6%
    assert "全市第一" in gdp.rank_text


def test_yunyang_tally_and_attachment(records: list[Indicator]) -> None:
    tallies = {r.name: r for r in records if r.doc == YUNYANG and r.kind == "tally"}
    assert tallies["已完成事项"].value == 170 and tallies["已完成事项"].status == "met"
    open_items = tallies["未完成事项"]
    assert open_items.value == 5 and open_items.status == "not_met"
    assert "附件" in open_items.note and "（详见附件）" in open_items.quote


def test_mouxian_not_met_statement(records: list[Indicator]) -> None:
    group = [r for r in records if r.doc == MOUXIAN and r.kind == "group"]
    assert len(group) == 1
    assert group[0].status == "not_met" and group[0].count == 5 and group[0].unnamed == 4
    assert "地区生产总值等5项经济指标未能实现预期目标" in group[0].quote
    named = [r for r in records if r.doc == MOUXIAN and r.quote == group[0].quote and r.kind == "indicator"]
    assert [r.name for r in named] == ["地区生产总值"] and named[0].status == "not_met"


def test_masked_values_stay_masked(records: list[Indicator]) -> None:
    revenue = by_name(records, MOUZHEN, "财税收入")
    assert revenue.name_raw == "财税收入" and revenue.masked and revenue.value is None
    assert "***万元" in revenue.quote
    gdp = [r for r in records if r.doc == MOUXIAN and r.name == "地区生产总值" and r.masked]
    assert gdp and all(r.value is None and r.growth_pct is None for r in gdp)


def test_plan_targets_have_unknown_status(records: list[Indicator]) -> None:
    targets = [r for r in records if r.region == "冠县" and r.year == 2022 and r.target_text]
    gdp = next(r for r in targets if r.name == "地区生产总值")
    assert gdp.target_value == 6 and gdp.value is None and gdp.status == "unknown"
    assert "增长6%左右" in gdp.target_text


def test_mouzhen_unnamed_shortfall(records: list[Indicator]) -> None:
    group = [r for r in records if r.doc == MOUZHEN and r.kind == "group"]
    assert group and group[0].status == "not_met" and group[0].count is None
    assert "未能如期达到经济发展目标" in group[0].quote


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
    assert any(r["name"] == "交通固定资产投资" and r["completion_pct"] == 118 for r in rows)
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
