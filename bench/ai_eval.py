"""The AI parse's eval figures: how many fields the offline engine gets right, and how many it fills in wrongly.

    .venv/bin/python -m bench.ai_eval [--failures] [--category NAME] [--json FILE]

Runs every prompt of ``tests/tickets/ai_eval_prompts.py`` (the first table of clean sentences and the new
table of prompts typed the way engineers type) through the offline engine and the resolver against literal
reference data - no Django, no PSA, no network - and scores six fields per prompt: company, board, priority,
assignee, status and summary.

- **right**: the field holds the expected value; ``None`` expected and left empty is right too.
- **confidently wrong**: the field is *filled* with something other than the expected value (including filled
  when it should have been left empty). A field left empty that should have been filled is wrong but not
  confidently wrong: the modal highlights it and the engineer fills it in; a wrong value may go unnoticed.
- The summary is right when it holds every ``has`` phrase, no ``lacks`` word, fits in 100 characters and does
  not stop mid-clause (on "and", "the", "to", ...); the first table's rows must match exactly.

The bar (``tests/tickets/test_ai_eval.py``): at least 97% of fields right and at most 0.5% confidently wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from psa.schemas import SUMMARY_MAX, AiParseResponse  # noqa: E402
from tests.tickets.ai_eval_prompts import CASES, CLEAN, ME, REFERENCES, Case  # noqa: E402
from tickets.ai.extract import extract_offline  # noqa: E402
from tickets.ai.resolve import ParseReference, resolve  # noqa: E402

FIELDS = ("company", "board", "priority", "assignee", "status", "summary")
RIGHT_BAR = 97.0  # % of fields right, at least
WRONG_BAR = 0.5  # % of fields confidently wrong, at most
# A summary that ends on one of these was cut mid-clause.
# ("on", "in", "to" are left out: "won't turn on", "can't log in" end a clause.)
DANGLING = {"a", "an", "and", "because", "but", "by", "for", "from", "its", "of", "or", "so", "that", "the", "their",
            "which", "with"}

Parse = Callable[[str, ParseReference], AiParseResponse]


def offline_parse(prompt: str, reference: ParseReference) -> AiParseResponse:
    """What ``parse_ticket_prompt`` does with the offline engine, minus the tenant: extract, then resolve."""
    return resolve(extract_offline(prompt, reference.companies, reference.boards), reference, me_member_id=ME)


@dataclass
class Field:
    name: str
    expected: str | None
    got: str | None
    right: bool

    @property
    def confidently_wrong(self) -> bool:
        return not self.right and self.got is not None


@dataclass
class Scored:
    case: Case
    fields: list[Field]
    warnings: list[str]


@dataclass
class Tally:
    prompts: int = 0
    fields: int = 0
    right: int = 0
    confidently_wrong: int = 0

    def add(self, scored: Scored) -> None:
        self.prompts += 1
        self.fields += len(scored.fields)
        self.right += sum(f.right for f in scored.fields)
        self.confidently_wrong += sum(f.confidently_wrong for f in scored.fields)

    @property
    def right_pct(self) -> float:
        return 100.0 * self.right / self.fields if self.fields else 0.0

    @property
    def wrong_pct(self) -> float:
        return 100.0 * self.confidently_wrong / self.fields if self.fields else 0.0


@dataclass
class Report:
    scored: list[Scored]
    total: Tally = field(default_factory=Tally)
    by_category: dict[str, Tally] = field(default_factory=dict)
    by_field: dict[str, Tally] = field(default_factory=dict)
    new_table: Tally = field(default_factory=Tally)  # the prompts added for issue 15 (all but the first table)

    @property
    def meets_bar(self) -> bool:
        return self.total.right_pct >= RIGHT_BAR and self.total.wrong_pct <= WRONG_BAR

    def misses(self) -> list[tuple[Scored, Field]]:
        return [(s, f) for s in self.scored for f in s.fields if not f.right]


# --- scoring -------------------------------------------------------------------------------------


def _name(items, item_id) -> str | None:
    if item_id is None:
        return None
    return next((item.name for item in items if item.id == item_id), f"<unknown id {item_id}>")


def _member(reference: ParseReference, member_id: int | None) -> str | None:
    if member_id is None:
        return None
    return next((m.identifier for m in reference.members if m.id == member_id), f"<unknown id {member_id}>")


def _expected_member_id(reference: ParseReference, assignee: str | None) -> int | None:
    if assignee is None:
        return None
    if assignee == "me":
        return ME
    return next(m.id for m in reference.members if m.identifier == assignee)


def _summary_right(case: Case, summary: str | None) -> bool:
    if summary is None:
        return False
    if case.summary_is is not None:
        return summary == case.summary_is
    flat = " ".join(summary.split()).casefold()
    if any(" ".join(phrase.split()).casefold() not in flat for phrase in case.has):
        return False
    if any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", summary, re.I) for word in case.lacks):
        return False
    last = re.findall(r"\w+", flat)[-1:] or [""]
    return len(summary) <= SUMMARY_MAX and last[0] not in DANGLING


def _summary_expected(case: Case) -> str:
    if case.summary_is is not None:
        return case.summary_is
    parts = [f"has {list(case.has)}"] if case.has else []
    parts += [f"lacks {list(case.lacks)}"] if case.lacks else []
    return "a summary" + (" that " + " and ".join(parts) if parts else "")


def score_case(case: Case, parse: Parse = offline_parse) -> Scored:
    reference = REFERENCES[case.reference]()
    result = parse(case.prompt, reference)
    statuses = [s for group in reference.statuses_by_board.values() for s in group]
    status_expected = next((s.id for s in reference.statuses_by_board.get(
        next((b.id for b in reference.boards if b.name == case.board), -1), ()) if s.name == case.status), None)
    member_expected = _expected_member_id(reference, case.assignee)
    fields = [
        Field("company", case.company, _name(reference.companies, result.company_id),
              result.company_id == next((c.id for c in reference.companies if c.name == case.company), None)),
        Field("board", case.board, _name(reference.boards, result.board_id),
              result.board_id == next((b.id for b in reference.boards if b.name == case.board), None)),
        Field("priority", case.priority, _name(reference.priorities, result.priority_id),
              result.priority_id == next((p.id for p in reference.priorities if p.name == case.priority), None)),
        Field("assignee", case.assignee, _member(reference, result.assigned_member_id),
              result.assigned_member_id == member_expected),
        Field("status", case.status, _name(statuses, result.status_id), result.status_id == status_expected),
        Field("summary", _summary_expected(case), result.summary, _summary_right(case, result.summary)),
    ]
    return Scored(case, fields, list(result.warnings))


def evaluate(cases: Iterable[Case] = CASES, parse: Parse = offline_parse) -> Report:
    report = Report([score_case(case, parse) for case in cases])
    for scored in report.scored:
        report.total.add(scored)
        report.by_category.setdefault(scored.case.category, Tally()).add(scored)
        if scored.case.category != CLEAN:
            report.new_table.add(scored)
        for f in scored.fields:
            tally = report.by_field.setdefault(f.name, Tally())
            tally.fields += 1
            tally.right += f.right
            tally.confidently_wrong += f.confidently_wrong
    return report


# --- printing ------------------------------------------------------------------------------------


def _row(label: str, t: Tally, prompts: bool = True) -> str:
    count = f"{t.prompts:>8}" if prompts else " " * 8
    return (f"{label:<26}{count}{t.fields:>8}{t.right:>8}{t.right_pct:>9.1f}%"
            f"{t.confidently_wrong:>9}{t.wrong_pct:>10.2f}%")


def render(report: Report, *, failures: bool = False) -> str:
    header = f"{'category':<26}{'prompts':>8}{'fields':>8}{'right':>8}{'right %':>10}{'c.wrong':>9}{'c.wrong %':>11}"
    lines = [header, "-" * len(header)]
    lines += [_row(name, tally) for name, tally in report.by_category.items()]
    lines += ["-" * len(header), _row("new table only", report.new_table), _row("all", report.total), ""]
    lines += [f"{'field':<26}{'':>8}{'fields':>8}{'right':>8}{'right %':>10}{'c.wrong':>9}{'c.wrong %':>11}"]
    lines += [_row(name, tally, prompts=False) for name, tally in report.by_field.items()]
    verdict = "meets" if report.meets_bar else "does NOT meet"
    lines += ["", f"{report.total.right_pct:.1f}% of {report.total.fields} fields right, "
                  f"{report.total.confidently_wrong} confidently wrong ({report.total.wrong_pct:.2f}%): "
                  f"{verdict} the bar (>= {RIGHT_BAR:g}% right, <= {WRONG_BAR:g}% confidently wrong)"]
    if failures:
        lines += ["", "Wrong fields (! = confidently wrong):"]
        for scored, f in report.misses():
            mark = "!" if f.confidently_wrong else " "
            prompt = " ".join(scored.case.prompt.split())
            lines.append(f"{mark} [{scored.case.category}] {prompt[:90]}")
            lines.append(f"      {f.name}: expected {f.expected!r}, got {f.got!r}")
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", action="store_true", help="list every wrong field")
    parser.add_argument("--category", help="only the prompts of this category")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cases = [c for c in CASES if args.category in (None, c.category)]
    report = evaluate(cases)
    print(render(report, failures=args.failures))
    if args.json:
        args.json.write_text(json.dumps({
            "total": asdict(report.total), "by_category": {k: asdict(v) for k, v in report.by_category.items()},
            "by_field": {k: asdict(v) for k, v in report.by_field.items()}, "new_table": asdict(report.new_table),
        }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
