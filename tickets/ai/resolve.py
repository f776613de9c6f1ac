"""Resolution: extracted words -> IDs from the account's PSA reference data. Pure Python.

IDs come only from here, never from an engine, so a hallucinated or injected ID cannot reach the
form. Ambiguous or unknown names leave the field empty, list it in ``missing_fields`` and add a
warning that names the candidates. Nothing is guessed silently: no default status, board or
priority is filled in unless the prompt asked for it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from psa.schemas import (
    SUMMARY_MAX,
    AiParseResponse,
    PSABoard,
    PSACompany,
    PSAMember,
    PSAPriority,
    PSAStatus,
)
from tickets.ai.extract import Extraction
from tickets.ai.words import RANK_LEVELS, core, keyword_stem, norm, priority_rank, squash

REQUIRED_FIELDS = ("summary", "company_id", "board_id", "status_id", "priority_id")
FUZZY_CUTOFF = 0.82
NO_MAPPING_WARNING = "You have no PSA member mapping; map yourself on the integrations page"
NO_COMPANY_WARNING = "Could not determine company from context"
NO_BOARD_WARNING = "Could not determine board from context"
NO_SUMMARY_WARNING = "Could not determine a summary"

T = TypeVar("T")


class ReferenceData(Protocol):
    """What the resolver reads: the request's ``psa.reference.Reference`` in the product (each part is
    read only when the prompt needs it: priorities for a priority word, members for a name), or a
    ``ParseReference`` of plain lists in tests and tools."""

    companies: Sequence[PSACompany]
    boards: Sequence[PSABoard]
    statuses_by_board: Mapping[int, Sequence[PSAStatus]]
    priorities: Sequence[PSAPriority]
    members: Sequence[PSAMember]


@dataclass
class ParseReference:
    """Reference data as plain lists (resolution with no Django and no PSA: tests, tools)."""

    companies: Sequence[PSACompany] = ()
    boards: Sequence[PSABoard] = ()
    statuses_by_board: Mapping[int, Sequence[PSAStatus]] = field(default_factory=dict)
    priorities: Sequence[PSAPriority] = ()
    members: Sequence[PSAMember] = ()


def _candidates(kind: str, phrase: str, names: list[str]) -> str:
    shown = ", ".join(names[:6])
    if len(names) > 6:
        shown += f" and {len(names) - 6} more"
    return f'{kind} "{phrase}" matches {len(names)} {_plural(kind)}: {shown}'


def _plural(kind: str) -> str:
    return {"Company": "companies", "Board": "boards", "Member": "members", "Status": "statuses",
            "Priority": "priorities"}[kind]


def _best_fuzzy(key: str, options: list[tuple[str, object]]) -> list:
    """Options whose key is close to ``key`` (difflib), keeping only those near the best score."""
    scored = []
    matcher = difflib.SequenceMatcher(None, "", key)  # seq2 (the key) is analysed once
    for option_key, item in options:
        if not option_key:
            continue
        matcher.set_seq1(option_key)
        if matcher.real_quick_ratio() < FUZZY_CUTOFF or matcher.quick_ratio() < FUZZY_CUTOFF:
            continue
        ratio = matcher.ratio()
        if ratio >= FUZZY_CUTOFF:
            scored.append((ratio, item))
    if not scored:
        return []
    best = max(r for r, _ in scored)
    out = []
    for ratio, item in scored:
        if ratio >= best - 0.04 and item not in out:
            out.append(item)
    return out


# --- matching ------------------------------------------------------------------------------------

Test = Callable[[T], bool]


def match_names(items: Sequence[T], tiers: Sequence[Test | tuple[Test, ...]], *, fuzzy: Sequence[str] = (),
                keys: Callable[[T], Sequence[str]] = lambda item: ()) -> list[T]:
    """The one matcher for reference names: the items the first fruitful tier finds, else fuzzy matches.

    A tier is a test, or several whose finds add up (the first test's, then the next's not already found).
    When no tier finds anything, the items whose ``keys`` are close (difflib) to one of the ``fuzzy`` words.
    """
    for tier in tiers:
        first, *more = tier if isinstance(tier, tuple) else (tier,)
        found = [item for item in items if first(item)]
        for test in more:
            found += [item for item in items if test(item) and item not in found]
        if found:
            return found
    options = [(key, item) for item in items for key in keys(item)]
    found = []
    for word in fuzzy:
        found += [item for item in _best_fuzzy(word, options) if item not in found]
    return found


def match_companies(phrase: str, companies: Sequence[PSACompany]) -> list[PSACompany]:
    """Exact name/identifier, then name without legal suffix, then leading words, then fuzzy."""
    n, c = norm(phrase), core(phrase)
    if not c:
        return []
    sq = squash(c)

    def exact(co):
        return n == norm(co.name) or squash(phrase) == squash(co.identifier)

    def without_suffix(co):
        return c == core(co.name) or sq == squash(co.identifier) or sq == squash(core(co.name))

    def leading_words(co):
        return core(co.name).split()[: len(c.split())] == c.split() or (
            len(sq) >= 4 and squash(co.identifier).startswith(sq))

    return match_names(companies, [
        exact,
        # "Acme Corporation" -> Acme Corp: the suffix was written, so the name is meant
        lambda co: n != c and without_suffix(co),
        # "Acme" names Acme Corp *and* Acme Dental: a bare name also matches every name it starts
        (without_suffix, leading_words),
    ], fuzzy=[c, sq], keys=lambda co: [core(co.name), squash(co.identifier)])


def match_members(ref: str, members: Sequence[PSAMember]) -> list[PSAMember]:
    """Identifier, full name, first name, last name, then fuzzy; a trailing word that matches
    nothing is dropped ("Ana today" -> "Ana")."""
    key = norm(ref.lstrip("@"))
    if not key:
        return []
    found = match_names(members, [
        lambda m: key == norm(m.identifier) or key == norm(m.name),
        lambda m: key == norm(m.name).split()[0],
        lambda m: len(norm(m.name).split()) > 1 and key == norm(m.name).split()[-1],
    ], fuzzy=[key], keys=lambda m: [norm(m.name), norm(m.identifier), norm(m.name).split()[0]])
    if not found and len(key.split()) > 1:
        return match_members(key.split()[0], members)
    return found


def match_boards(hint: str, boards: Sequence[PSABoard]) -> list[PSABoard]:
    """Board name (exact, contained, fuzzy), else a keyword's stem ("vpn" -> network) contained in a name."""
    key = norm(hint)
    if not key:
        return []
    stem = keyword_stem(key)
    first = key.split()[0]
    return match_names(boards, [
        lambda b: norm(b.name) == key,
        lambda b: bool(stem) and stem in norm(b.name),
        lambda b: key in norm(b.name) or norm(b.name) in key,
        lambda b: first == norm(b.name).split()[0] and len(first) >= 3,
    ], fuzzy=[key], keys=lambda b: [norm(b.name)])


def match_priorities(word: str, priorities: Sequence[PSAPriority]) -> list[PSAPriority]:
    """A priority word's rank, mapped by the PSA priority's level, then its name ("Priority 2 ...");
    otherwise the word against the priorities' names."""
    rank = priority_rank(word)
    if rank is not None:
        levels = RANK_LEVELS[rank]
        return match_names(priorities, [
            lambda p: bool(p.level) and p.level.lower() in levels,
            lambda p: re.search(rf"\b(?:priority\s*|p){rank}\b", p.name, re.I) is not None,
            lambda p: any(level in norm(p.name).split() for level in levels),
        ])
    key = norm(word)
    return match_names(priorities, [lambda p: bool(key) and (key == norm(p.name) or key in norm(p.name))],
                       fuzzy=[key], keys=lambda p: [norm(p.name)])


def match_statuses(word: str, statuses: Sequence[PSAStatus]) -> list[PSAStatus]:
    key = norm(word)
    return match_names([s for s in statuses if not s.inactive], [
        lambda s: norm(s.name) == key,
        lambda s: norm(s.name).startswith(key),
    ], fuzzy=[key], keys=lambda s: [norm(s.name)])


def _pick(kind: str, phrase: str, found: Sequence, warnings: list[str], no_match: str | None = None) -> int | None:
    """The id of the one item found; otherwise a warning (the candidates, or that nothing matches) and None."""
    if len(found) == 1:
        return found[0].id
    if found:
        warnings.append(_candidates(kind, phrase, [item.name for item in found]))
    else:
        warnings.append(no_match or f'No {kind.lower()} matches "{phrase}"')
    return None


# --- resolve -------------------------------------------------------------------------------------


def resolve(extraction: Extraction, reference: ReferenceData, me_member_id: int | None = None) -> AiParseResponse:
    """Turn extracted words into the ``AiParseResponse`` the modal merges into its draft.

    ``me_member_id``: the user's own PSA member (their member mapping), for "assign to me".
    """
    out = AiParseResponse()
    warnings: list[str] = list(extraction.notes)
    missing_extra: list[str] = []

    summary = " ".join((extraction.summary or "").split())
    if len(summary) > SUMMARY_MAX:
        summary = summary[:SUMMARY_MAX].rsplit(" ", 1)[0] if " " in summary[:SUMMARY_MAX] else summary[:SUMMARY_MAX]
    out.summary = summary or None
    if out.summary is None:
        warnings.append(NO_SUMMARY_WARNING)
    description = (extraction.description or "").strip()
    out.description = description or None

    if extraction.company_name:
        found = match_companies(extraction.company_name, reference.companies)
        out.company_id = _pick("Company", extraction.company_name, found, warnings)
    else:
        warnings.append(NO_COMPANY_WARNING)

    # board: a hint may hold several keywords ("onboarding, vpn"); they must agree on one board
    if extraction.board_hint:
        found = []
        for part in filter(None, (p.strip() for p in re.split(r"[,;/]", extraction.board_hint))):
            found += [b for b in match_boards(part, reference.boards) if b not in found]
        out.board_id = _pick("Board", extraction.board_hint, found, warnings)
    else:
        warnings.append(NO_BOARD_WARNING)

    if extraction.priority_word:
        found = match_priorities(extraction.priority_word, reference.priorities)
        out.priority_id = _pick("Priority", extraction.priority_word, found, warnings)

    # status: only when the prompt names one, and only within the chosen board
    if extraction.status_word:
        if out.board_id is None:
            warnings.append(f'Status "{extraction.status_word}" needs a board; choose the board first')
        else:
            board_name = next(b.name for b in reference.boards if b.id == out.board_id)
            found = match_statuses(extraction.status_word, reference.statuses_by_board.get(out.board_id, ()))
            out.status_id = _pick("Status", extraction.status_word, found, warnings,
                                  f'No status on {board_name} matches "{extraction.status_word}"')

    # assignee: "me" is the user's member mapping; a missing mapping is a warning, not an error
    ref = (extraction.assignee_ref or "").strip()
    if ref:
        if norm(ref) in ("me", "myself", "mine", "i"):
            if me_member_id is not None:
                out.assigned_member_id = me_member_id
            else:
                warnings.append(NO_MAPPING_WARNING)
        else:
            out.assigned_member_id = _pick("Member", ref, match_members(ref, reference.members), warnings)
        if out.assigned_member_id is None:
            missing_extra.append("assigned_member_id")

    out.missing_fields = [f for f in REQUIRED_FIELDS if getattr(out, f) is None] + missing_extra
    out.warnings = list(dict.fromkeys(warnings))
    return out


__all__ = ["ParseReference", "resolve", "match_names", "match_companies", "match_members", "match_boards", "match_priorities",
           "match_statuses", "REQUIRED_FIELDS", "NO_MAPPING_WARNING"]
