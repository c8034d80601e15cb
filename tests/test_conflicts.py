"""Documents that disagree: both figures shown, each cited with its document's title."""

from __future__ import annotations

from pathlib import Path

from bot.answer.conflicts import differ, rivals, same_slot
from bot.service import QAService
from ingest.facts import facts_of_chunks
from ingest.models import Chunk
from ingest.pipeline import ingest_paths
from ingest.store import open_store
from tests.conftest import make_settings

# a follow-up notice in common report style that gives another GDP figure for 云阳县 2022
CORRECTION = """云阳县统计局关于2022年主要经济指标数据的更正通报
经最终核实，2022年云阳县地区生产总值612.3亿元，同比增长4.9%。全县社会消费品零售总额394.3亿元。
"""


def _facts(text: str, doc: str, region: str = "云阳县") -> list:
    chunk = Chunk(id=f"{doc}-0001", doc=doc, ordinal=1, text=text, section="", region=region, year=2022,
                  year_from=2022, year_to=2022, kind="通报")
    return facts_of_chunks([chunk])


def _by_value(facts: list, text: str):
    return next(f for f in facts if f.quantity.text == text)


def test_a_figure_stated_differently_in_another_document_is_a_rival() -> None:
    first = _facts("全县地区生产总值557.7亿元，同比增长4.7%。", "a.txt")
    second = _facts("全县地区生产总值612.3亿元，同比增长4.9%。", "b.txt")
    gdp_a, gdp_b = _by_value(first, "557.7亿元"), _by_value(second, "612.3亿元")
    assert same_slot(gdp_a, gdp_b) and differ(gdp_a, gdp_b)
    assert rivals(gdp_a, second) == [gdp_b] or _by_value(second, "612.3亿元") in rivals(gdp_a, second)


def test_the_same_figure_with_other_decimals_or_another_region_or_year_is_no_conflict() -> None:
    gdp = _by_value(_facts("全县地区生产总值557.7亿元。", "a.txt"), "557.7亿元")
    rounded = _by_value(_facts("全县地区生产总值557.68亿元。", "b.txt"), "557.68亿元")
    elsewhere = _by_value(_facts("全县地区生产总值612.3亿元。", "c.txt", region="冠县"), "612.3亿元")
    same_doc = _by_value(_facts("全县地区生产总值612.3亿元。", "a.txt"), "612.3亿元")
    bound = _by_value(_facts("全县地区生产总值突破600亿元。", "d.txt"), "600亿元")
    assert not differ(gdp, rounded)
    assert not same_slot(gdp, elsewhere) and not same_slot(gdp, same_doc) and not same_slot(gdp, bound)


def test_an_answer_shows_both_figures_with_titles_and_which_calls_itself_a_correction(
        seed_index_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "yunyang-correction.txt").write_text(CORRECTION, encoding="utf-8")
    settings = make_settings(seed_index_copy)
    store = open_store(settings)
    report = ingest_paths([folder], store, None)
    assert report.added == 1 and not report.failed
    service = QAService(settings, store=store)

    answer = service.ask("云阳县2022年地区生产总值是多少？")
    assert "557.7亿元" in answer.answer and "612.3亿元" in answer.answer and "不一致" in answer.answer
    assert len(answer.conflicts) == 1
    figures = {f.figure: f for f in answer.conflicts[0].figures}
    assert set(figures) == {"557.7亿元", "612.3亿元"}
    assert figures["612.3亿元"].correction and not figures["557.7亿元"].correction
    cited = {c.n: c for c in answer.citations}
    for figure in figures.values():
        assert cited[figure.n].doc == figure.doc and figure.title and figure.title in answer.answer
    assert answer.verification.unsupported == []

    # a figure both documents give alike is no conflict
    same = service.ask("云阳县2022年社会消费品零售总额是多少？")
    assert "394.3亿元" in same.answer and not same.conflicts and "不一致" not in same.answer
    store.close()


def test_indicator_records_of_two_documents_that_disagree_are_marked() -> None:
    from bot.answer.conflicts import record_conflicts
    from ingest.models import Indicator

    def record(doc: str, value: float, region: str = "云阳县") -> Indicator:
        return Indicator(region=region, year=2022, name="地区生产总值", name_raw="地区生产总值", value=value, unit="亿元",
                         doc=doc, chunk_id=f"{doc}-1", quote="…")

    records = [record("a.txt", 557.7), record("b.txt", 612.3), record("c.txt", 557.7, region="冠县"),
               record("d.txt", 557.7)]
    assert record_conflicts(records) == {0, 1, 3}
    assert record_conflicts([record("a.txt", 557.7), record("d.txt", 557.7)]) == set()
