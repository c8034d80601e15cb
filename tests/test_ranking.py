"""Rankings and series across the corpus: every figure cited and found in its quote, the ranking in
order, a follow-up asking one region's place agreeing with the ranking."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.verify.numbers import unsupported_figures
from tests.conftest import make_settings

# what the ranking counts itself (how many reports, a place in it): the figures it ranks come from quotes
_COMPUTED = re.compile(r"在已导入的\d+份\S*?报告中|排第\d+位|（\d+个地区的报告给出此项）|^\d+\. ")
_LINE = re.compile(r"^(\d+)\. (\S+) 增长(-?\d+(?:\.\d+)?)%.*\[(\d+)\]$")


@pytest.fixture(scope="module")
def corpus_service(corpus_index: Path):
    from bot.service import QAService

    return QAService(make_settings(corpus_index, llm_base_url=None))


def _grounded(answer) -> None:
    quotes = {c.n: c.quote for c in answer.citations}
    for line in answer.answer.splitlines():
        marks = [int(n) for n in re.findall(r"\[(\d+)\]", line)]
        if marks:
            stated = _COMPUTED.sub("", re.sub(r"\[\d+\]", "", line))
            assert not unsupported_figures(stated, "\n".join(quotes[n] for n in marks)), line


@pytest.mark.slow
def test_a_ranking_of_all_provinces_is_ordered_and_every_figure_cited(corpus_service) -> None:
    answer = corpus_service.ask("2025年各省地区生产总值增速排名")
    assert answer.route == "rank" and not answer.verification.unsupported
    assert "在已导入的31份省级报告中" in answer.answer
    rows = [m.groups() for line in answer.answer.splitlines() if (m := _LINE.match(line))]
    assert len(rows) >= 28, answer.answer
    growths = [float(g) for _, _, g, _ in rows]
    assert growths == sorted(growths, reverse=True)
    ranks = [int(r) for r, _, _, _ in rows]
    assert ranks[0] == 1 and all(b >= a for a, b in zip(ranks, ranks[1:], strict=False))
    _grounded(answer)

    place = {region: int(rank) for rank, region, _, _ in rows}
    region = rows[len(rows) // 2][1]
    short = region[:2]
    follow = corpus_service.ask(f"{short}排第几？", history=[{"role": "user", "content": "2025年各省地区生产总值增速排名"},
                                                          {"role": "assistant", "content": answer.answer}])
    assert f"排第{place[region]}位" in follow.answer, follow.answer
    _grounded(follow)


@pytest.mark.slow
def test_the_fastest_names_one_region_and_the_ones_without_the_figure(corpus_service) -> None:
    answer = corpus_service.ask("哪个省2025年一般公共预算收入增长最快？")
    assert answer.route == "rank" and "最高的是" in answer.answer
    assert "未找到此项数字的地区" in answer.answer  # not every provincial report states it
    _grounded(answer)


@pytest.mark.slow
def test_a_series_of_years_for_one_region(corpus_service) -> None:
    answer = corpus_service.ask("四川省近几年地区生产总值增速")
    years = re.findall(r"- (\d{4})年：增长", answer.answer)
    assert len(years) >= 2 and years == sorted(years), answer.answer
    _grounded(answer)
