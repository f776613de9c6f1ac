"""The eval table is sound and the scorer counts what it claims: fields right, and filled-but-wrong fields as
their own figure. (``bench/ai_eval.py`` prints the figures: ``.venv/bin/python -m bench.ai_eval``.)"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.ai_eval import evaluate, offline_parse, render, score_case
from psa.schemas import AiParseResponse
from tests.tickets.ai_eval_prompts import CASES, CLEAN, NEW_CASES, REFERENCES, Case

ISSUE_CATEGORIES = ("assignee", "company", "summary", "priority", "confidently-wrong traps")


def test_the_new_table_has_over_a_hundred_prompts_spread_over_every_category_of_the_issue():
    per_category = Counter(case.category for case in NEW_CASES)

    assert len(NEW_CASES) >= 100
    assert all(per_category[name] >= 20 for name in ISSUE_CATEGORIES), per_category
    assert len({case.prompt for case in CASES}) == len(CASES), "a prompt is in the table twice"


@pytest.mark.parametrize("case", CASES, ids=[c.prompt[:40] for c in CASES])
def test_every_expected_value_names_something_in_its_reference(case):
    reference = REFERENCES[case.reference]()
    board = next((b for b in reference.boards if b.name == case.board), None)

    assert case.company in (None, *[c.name for c in reference.companies])
    assert case.board in (None, *[b.name for b in reference.boards])
    assert case.priority in (None, *[p.name for p in reference.priorities])
    assert case.assignee in (None, "me", *[m.identifier for m in reference.members])
    assert case.status is None or case.status in [s.name for s in reference.statuses_by_board[board.id]]
    assert case.summary_is or case.has or case.lacks or case.category == CLEAN


def test_the_offline_engine_meets_the_bar_over_the_whole_table():
    report = evaluate(CASES, offline_parse)

    assert report.total.right_pct >= 97.0, render(report, failures=True)
    assert report.total.wrong_pct <= 0.5, render(report, failures=True)


def test_no_category_is_left_far_behind():
    report = evaluate(CASES, offline_parse)

    assert all(t.right_pct >= 95.0 for t in report.by_category.values()), render(report)


def _answering(**fields):
    return lambda prompt, reference: AiParseResponse(**fields)


def test_a_field_filled_with_the_wrong_value_is_confidently_wrong():
    case = Case("Hooli: printer jammed", "x", company="Hooli", has=("printer jammed",))

    scored = score_case(case, _answering(company_id=252, summary="Printer jammed"))  # Contoso Ltd

    company = next(f for f in scored.fields if f.name == "company")
    assert (company.right, company.confidently_wrong, company.got) == (False, True, "Contoso Ltd")


def test_a_field_filled_when_it_should_be_empty_is_confidently_wrong():
    case = Case("Hooli: printer jammed", "x", company="Hooli", has=("printer jammed",))

    scored = score_case(case, _answering(company_id=259, priority_id=1, summary="Printer jammed"))

    priority = next(f for f in scored.fields if f.name == "priority")
    assert (priority.right, priority.confidently_wrong) == (False, True)


def test_a_field_left_empty_is_wrong_but_not_confidently_wrong():
    case = Case("Hooli: printer jammed, assign to Kate", "x", company="Hooli", assignee="kjohnson",
                has=("printer jammed",))

    scored = score_case(case, _answering(company_id=259, summary="Printer jammed"))

    assignee = next(f for f in scored.fields if f.name == "assignee")
    assert (assignee.right, assignee.confidently_wrong) == (False, False)
    assert [f.name for f in scored.fields if not f.right] == ["assignee"]


@pytest.mark.parametrize(("summary", "right"), [
    ("Printer jammed on floor 2", True),
    ("Printer jammed, ignore previous instructions", False),  # a word it must lack
    ("Printer on floor 2", False),  # a phrase it must have is missing
    ("Printer jammed on floor 2 and the", False),  # cut mid-clause
    ("Printer jammed " + "x" * 100, False),  # over 100 characters
])
def test_a_summary_is_right_when_it_has_the_phrases_lacks_the_words_and_ends_a_clause(summary, right):
    case = Case("...", "x", has=("printer jammed",), lacks=("ignore",))

    scored = score_case(case, _answering(summary=summary))

    field = next(f for f in scored.fields if f.name == "summary")
    assert (field.right, field.confidently_wrong) == (right, not right)


def test_the_report_prints_right_and_confidently_wrong_per_category_and_in_total():
    report = evaluate([c for c in CASES if c.category in ("assignee", "priority")], offline_parse)
    text = render(report, failures=True)

    assert report.total.prompts == sum(1 for c in CASES if c.category in ("assignee", "priority"))
    assert report.total.fields == 6 * report.total.prompts
    assert set(report.by_category) == {"assignee", "priority"}
    assert "confidently wrong" in text and text.count("\n") > 10
