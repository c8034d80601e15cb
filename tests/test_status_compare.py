"""Status and compare questions answered from indicator records (real seed index, extractive mode)."""

from __future__ import annotations

import re

from bot.verify.numbers import normalise


def ask(qa_service, question: str):
    answer = qa_service.ask(question)
    assert answer.verification.unsupported == [], answer.verification
    assert not answer.verification.bad_citations
    return answer


def block(text: str, region: str) -> str:
    """The part of a per-region answer about one region."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(region):
            rest = [line]
            for following in lines[i + 1:]:
                if not following.startswith("- "):
                    break
                rest.append(following)
            return "\n".join(rest)
    return ""


def test_not_met_per_region(qa_service) -> None:
    answer = ask(qa_service, "哪些指标未完成目标？")
    text = answer.answer
    assert answer.route == "status" and not answer.abstained
    yunyang = block(text, "云阳县")
    assert "5项" in yunyang and "附件" in yunyang
    assert "交通固定资产投资" not in yunyang  # no invented items
    mouxian = block(text, "某县")
    assert "地区生产总值" in mouxian and "5项" in mouxian
    assert "未能如期达到经济发展目标" in block(text, "某镇")
    assert "未说明" in block(text, "冠县")
    assert {c.doc[:3] for c in answer.citations} >= {"000", "002", "004"}


def test_not_met_yunyang_only_attachment(qa_service) -> None:
    answer = ask(qa_service, "云阳县哪些指标未完成目标？")
    assert "5项" in answer.answer and "附件" in answer.answer
    assert len(answer.citations) == 1 and answer.citations[0].doc.startswith("002")
    assert "未完成事项5项" in answer.citations[0].quote


def test_not_met_mouxian_names_gdp(qa_service) -> None:
    answer = ask(qa_service, "某县2022年哪些指标未完成目标？")
    assert "地区生产总值" in answer.answer and "5项" in answer.answer
    assert "地区生产总值等5项经济指标未能实现预期目标" in answer.citations[0].quote


def test_not_met_guanxian_reports_do_not_say(qa_service) -> None:
    answer = ask(qa_service, "冠县哪些指标未完成目标？")
    assert "未说明" in answer.answer and answer.abstained


def test_exceeded_list_with_citation_per_row(qa_service) -> None:
    answer = ask(qa_service, "云阳县2022年哪些事项超额完成了年度目标任务？")
    rows = [line for line in answer.answer.splitlines() if line.startswith("- ")]
    assert len(rows) >= 5 and all(re.search(r"\[\d+\]$", row) for row in rows)
    text = normalise(answer.answer)
    for fact in ("118%", "276%", "175%", "156%", "183%", "59亿元", "165.7亿元"):
        assert fact in text


def test_single_indicator_status(qa_service) -> None:
    answer = ask(qa_service, "云阳县2022年交通固定资产投资完成目标了吗？")
    text = normalise(answer.answer)
    assert "50亿元" in text and "59亿元" in text and "118%" in text and "超额" in text


def test_compare_gdp_growth_years_differ(qa_service) -> None:
    answer = ask(qa_service, "云阳县和冠县，哪个的地区生产总值增速更高？")
    assert answer.route == "compare" and answer.table
    cells = {row["地区"]: row for row in answer.table}
    assert cells["云阳县"]["数值"] == "4.7%" and cells["云阳县"]["年份"] == "2022"
    assert cells["冠县"]["数值"] == "8%" and cells["冠县"]["年份"] == "2021"
    assert all(re.fullmatch(r"\[\d+\]", row["出处"]) for row in answer.table)
    conclusion = next(line for line in answer.answer.splitlines() if line.startswith("结论"))
    assert "2021" in conclusion and "2022" in conclusion
    assert conclusion.index("冠县") < conclusion.index("云阳县")  # 8% is the higher figure


def test_compare_budget_revenue(qa_service) -> None:
    answer = ask(qa_service, "云阳县2022年和冠县2021年的一般公共预算收入分别是多少？")
    cells = {row["地区"]: row for row in answer.table or []}
    assert cells["云阳县"]["数值"] == "18.1亿元" and cells["冠县"]["数值"] == "12.6亿元"
    docs = {c.region: c for c in answer.citations}
    assert "18.1亿元" in docs["云阳县"].quote and "12.6亿元" in docs["冠县"].quote


def test_compare_region_without_figure(qa_service) -> None:
    answer = ask(qa_service, "云阳县和冠县的绿色信贷余额对比")
    cells = {row["地区"]: row for row in answer.table or []}
    assert cells["云阳县"]["数值"] == "13.94亿元"
    assert cells["冠县"]["数值"] == "报告未给出" and cells["冠县"]["出处"] == ""
