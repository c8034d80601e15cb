"""Answering rules on short sentences in common report style (written for these tests, not taken from
the samples or the corpus): what is asked, which facts answer, how follow-ups and anonymous places read."""

from __future__ import annotations

from bot.analyse.condense import condense
from bot.analyse.question import analyse
from bot.answer.extractive import answer_list
from bot.answer.facts import answer_facts, measure_asks
from bot.models import Passage, Turn
from ingest.facts import facts_of_chunk
from ingest.models import Chunk
from ingest.regions import region_from_name


def _chunk(text: str, region: str = "某县#a.txt", section: str = "一、2024年工作回顾") -> Chunk:
    return Chunk(id="a.txt-0001", doc="a.txt", ordinal=1, text=text, section=section, region=region, year=2025,
                 year_from=2024, year_to=2024, kind="政府工作报告")


def _passage(chunk: Chunk) -> Passage:
    return Passage(chunk_id=chunk.id, doc=chunk.doc, text=chunk.text, section=chunk.section, region=chunk.region,
                   year=chunk.year, year_from=chunk.year_from, year_to=chunk.year_to, kind=chunk.kind)


def test_a_figure_that_sizes_the_noun_after_it_is_not_the_subjects_figure() -> None:
    found = facts_of_chunk(_chunk("年营业收入超10亿元的企业增至8家，实现了地区生产总值增长6%的预期目标。"))
    figures = {f.quantity.text for f in found}
    assert not any("10亿元" in text for text in figures), figures
    assert any(f.quantity.value == 8 for f in found)
    assert any(f.quantity.value == 6 and f.canonical == "地区生产总值" for f in found)


def test_a_rate_asked_with_how_much_is_one_ask() -> None:
    known = [region_from_name("平安县")]
    assert measure_asks(analyse("平安县2024年GDP增速是多少？", known)) == [("growth", "points")]
    both = measure_asks(analyse("平安县2024年地区生产总值是多少，增长多少？", known))
    assert both == [("amount", "count"), ("growth", "points")]
    assert measure_asks(analyse("平安县2025年地区生产总值增长预期目标是多少？", known)) == [("growth", "points")]


def test_an_amount_is_given_with_the_change_its_sentence_states() -> None:
    chunk = _chunk("全年完成地区生产总值42.5亿元，一般公共预算收入1.8亿元，同比分别增长4.1%、-12.6%。")
    known = [region_from_name("XX县", "a.txt")]
    plan = analyse("某县2024年一般公共预算收入多少？", known)
    draft = answer_facts(plan, facts_of_chunk(chunk), lambda cid: 0 if cid == chunk.id else None)
    assert draft is not None
    assert "1.8亿元" in draft.text and "-12.6%" in draft.text and "4.1%" not in draft.text, draft.text


def test_a_province_before_an_anonymous_town_only_locates_it() -> None:
    known = [region_from_name("山东省"), region_from_name("XX镇", "a.txt"), region_from_name("XX镇", "b.txt")]
    plan = analyse("那篇山东x镇的报告里，2021年全镇地区生产总值预计多少？", known)
    assert plan.regions == ["某镇#a.txt", "某镇#b.txt"]
    assert plan.route == "lookup"
    compare = analyse("山东省和某镇2021年地区生产总值分别是多少？", [region_from_name("山东省"), region_from_name("XX县", "a.txt")])
    assert "山东省" in compare.regions  # a county is not located by the province here: both are asked


def test_a_follow_up_changes_the_modifier_of_the_subject() -> None:
    known = [region_from_name("平安县")]
    history = [Turn(role="user", content="平安县2024年县级民生实事完成了多少项？"),
               Turn(role="assistant", content="平安县2024年县级民生实事已完成20项。")]
    assert condense("乡镇民生实事呢？", history, known) == "平安县2024年乡镇民生实事完成了多少项？"


def test_problems_are_quoted_from_the_paragraph_that_admits_them() -> None:
    text = ("全年经济运行总体平稳。\n"
            "在肯定成绩的同时，我们也清醒认识到，发展中还存在一些困难和问题。一是产业结构偏重，新兴产业规模偏小。"
            "二是县域财政收支矛盾突出。三是公共服务短板仍然较多。我们将采取有力措施，认真加以解决。")
    chunk = _chunk(text)
    known = [region_from_name("XX县", "a.txt")]
    draft = answer_list(analyse("某县政府工作报告指出存在哪些主要问题？", known), [_passage(chunk)])
    assert "产业结构偏重" in draft.text and "财政收支矛盾突出" in draft.text and "公共服务短板" in draft.text
    assert "全年经济运行总体平稳" not in draft.text
    assert all(quote in text for _, quote in draft.quotes)


def test_a_year_that_names_the_report_is_not_the_period_asked() -> None:
    known = [region_from_name("平安县")]
    named = analyse("平安县2025年政府工作报告指出还面临哪些困难和挑战？", known)
    assert named.report_year == 2025 and named.years == []
    both = analyse("平安县2025年政府工作报告里，2025年地区生产总值增长目标是多少？", known)
    assert both.report_year == 2025 and both.years == [2025]
    period = analyse("平安县2024年地区生产总值是多少？", known)
    assert period.report_year is None and period.years == [2024]


def test_words_that_identify_a_report_are_not_the_figures_name() -> None:
    from bot.analyse.question import asked_part, document_description

    question = "提到“乡村夜经济”的那篇XX镇2023年工作总结里，全镇农民人均可支配收入是多少？"
    assert "乡村夜经济" in document_description(question)
    assert asked_part(question) == "全镇农民人均可支配收入是多少？"
    clause = "与某某农机公司签约的那个XX镇，2023年财政收入是多少？"
    assert "农机公司" in document_description(clause)
    assert document_description("平安县2024年地区生产总值是多少？") == ""
    assert asked_part("平安县（本县）2024年地区生产总值是多少？") == "平安县 2024年地区生产总值是多少？"
