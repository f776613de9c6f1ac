"""Resolution: extracted words -> IDs from the account's PSA reference data. Pure Python.

IDs come only from here, never from an engine, so a hallucinated or injected ID cannot reach the
form. Ambiguous or unknown names leave the field empty, list it in ``missing_fields`` and add a
warning that names the candidates. Nothing is guessed silently: no default status, board or
priority is filled in unless the prompt asked for it.
"""

from __future__ import annotations

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
from tickets.ai import names
from tickets.ai.extract import Extraction
from tickets.ai.names import CompanyNames, closest, fuzzy_scores
from tickets.ai.words import RANK_LEVELS, RANK_WORDS, keyword_stem, norm, read_priority

REQUIRED_FIELDS = ("summary", "company_id", "board_id", "status_id", "priority_id")
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


def _candidates(kind: str, phrase: str, found: list[str]) -> str:
    shown = ", ".join(found[:6])
    if len(found) > 6:
        shown += f" and {len(found) - 6} more"
    return f'{kind} "{phrase}" matches {len(found)} {_plural(kind)}: {shown}'


def _plural(kind: str) -> str:
    return {"Company": "companies", "Board": "boards", "Member": "members", "Status": "statuses",
            "Priority": "priorities"}[kind]


# --- matching ------------------------------------------------------------------------------------

Test = Callable[[T], bool]


def match_names(items: Sequence[T], tiers: Sequence[Test | tuple[Test, ...]], *, fuzzy: Sequence[str] = (),
                keys: Callable[[T], Sequence[str]] = lambda item: ()) -> list[T]:
    """The one matcher for short reference lists (boards, statuses, priorities): the items the first fruitful
    tier finds, else the items whose ``keys`` are close (rapidfuzz, ``names.FUZZY_CUTOFF``, all of those within
    ``names.AMBIGUITY_MARGIN`` of the best) to one of the ``fuzzy`` words.

    A tier is a test, or several whose finds add up (the first test's, then the next's not already found).
    """
    for tier in tiers:
        first, *more = tier if isinstance(tier, tuple) else (tier,)
        found = [item for item in items if first(item)]
        for test in more:
            found += [item for item in items if test(item) and item not in found]
        if found:
            return found
    keyed = [(key, i) for i, item in enumerate(items) for key in keys(item) if key]
    if not keyed or not fuzzy:
        return []
    scores = fuzzy_scores(list(fuzzy), [k for k, _ in keyed], [i for _, i in keyed])
    return [items[i] for i in closest(scores)]


def match_companies(phrase: str, companies: Sequence[PSACompany]) -> list[PSACompany]:
    """Exact name/identifier, then name without legal suffix, then leading words, then typos (rapidfuzz, with
    an ambiguity margin), then "the <trade>" ("the winery")."""
    return CompanyNames(companies).match(phrase)


def match_members(ref: str, members: Sequence[PSAMember]) -> list[PSAMember]:
    """Identifier, full name, first name (or its short form), last name, then typos; a trailing word that
    matches nothing is dropped ("Ana today" -> "Ana")."""
    return names.match_members(ref, members)


def match_boards(hint: str, boards: Sequence[PSABoard]) -> list[PSABoard]:
    """Board name (exact, abbreviated or misspelt: "netwrk ops"), else a keyword's stem ("vpn" -> network)
    contained in a name, else typos. A security keyword never falls back to another board."""
    key = norm(hint)
    if not key:
        return []
    stem = keyword_stem(key)
    first = key.split()[0]
    found = match_names(boards, [
        lambda b: norm(b.name) == key,
        lambda b: bool(stem) and stem in norm(b.name),
    ])
    if found or stem == "security":
        return found
    return match_names(boards, [
        lambda b: key in norm(b.name) or norm(b.name) in key,
        lambda b: names.board_abbreviates(key, b.name),
        lambda b: first == norm(b.name).split()[0] and len(first) >= 3,
    ], fuzzy=[key], keys=lambda b: [norm(b.name)])


def _sorted_priorities(priorities: Sequence[PSAPriority]) -> list[PSAPriority] | None:
    """The priorities, most urgent first by ``sort``; ``None`` when the sort order says nothing (ties)."""
    if len({p.sort for p in priorities}) != len(priorities):
        return None
    return sorted(priorities, key=lambda p: (p.sort, p.id))


def match_priorities(word: str, priorities: Sequence[PSAPriority]) -> list[PSAPriority]:
    """A priority's exact name; else what the word says (``tickets.ai.words.read_priority``) mapped onto this
    account: a rank by the priority's level, then a rank word in its name, then its place in the ``sort``
    order; a number ("P2", "sev 2", "prio 2") by "Priority 2" in a name, then the place in the ``sort``
    order; "lowest"/"P0" the last/first. Otherwise the word against the names (typos too)."""
    key = norm(word)
    exact = [p for p in priorities if norm(p.name) == key]
    if exact:
        return exact
    reading = read_priority(word)
    if reading is None:
        return match_names(priorities, [lambda p: bool(key) and key in norm(p.name)],
                           fuzzy=[key], keys=lambda p: [norm(p.name)])
    ordered = _sorted_priorities(priorities)
    if reading.extreme:
        return ([] if not ordered else [ordered[0] if reading.extreme == "first" else ordered[-1]])
    if reading.number is not None:
        n = reading.number
        named = [p for p in priorities
                 if re.search(rf"\b(?:priority|prio|p|sev(?:erity)?|level)\s*-?\s*{n}\b", p.name, re.I)]
        if named:
            return named
        if ordered:
            return [ordered[n - 1]] if 1 <= n <= len(ordered) else []
        rank = min(n, 4)  # no sort order to count on: "P2" as a rank, by level or name
    else:
        rank = reading.rank
    found = match_names(priorities, [
        lambda p: bool(p.level) and p.level.lower() in RANK_LEVELS[rank],
        lambda p: re.search(rf"\b(?:priority\s*|p){rank}\b", p.name, re.I) is not None,
        lambda p: any(w in RANK_WORDS[rank] for w in norm(p.name).split()),
    ])
    if found:
        return found
    return [ordered[rank - 1]] if ordered and len(ordered) >= 4 else []


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


def _without_last_word(text: str | None, word: str) -> str | None:
    """``text`` without a trailing ``word`` (and "pls"), when it ends with it: the assignee is not the summary."""
    if not text:
        return text
    cut = re.sub(rf"[\s,;:\-–—]*\b{re.escape(word)}\b(?:\s+(?:pls|please|plz|thx|thanks))?[\s.!]*$", "", text,
                 flags=re.I)
    return cut or text


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
    elif "assignee" in extraction.rejected:
        missing_extra.append("assigned_member_id")  # someone was named, but not anyone we could trust
    elif getattr(extraction, "maybe_assignee", None):
        # a bare last word ("... not working mchen"): the assignee only when it is exactly an identifier
        key = norm(extraction.maybe_assignee)
        found = [m for m in reference.members if norm(m.identifier) == key]
        if len(found) == 1:
            out.assigned_member_id = found[0].id
            out.summary = _without_last_word(out.summary, extraction.maybe_assignee)
            out.description = _without_last_word(out.description, extraction.maybe_assignee)

    out.missing_fields = [f for f in REQUIRED_FIELDS if getattr(out, f) is None] + missing_extra
    out.warnings = list(dict.fromkeys(warnings))
    return out


__all__ = ["ParseReference", "resolve", "match_names", "match_companies", "match_members", "match_boards", "match_priorities",
           "match_statuses", "REQUIRED_FIELDS", "NO_MAPPING_WARNING"]
