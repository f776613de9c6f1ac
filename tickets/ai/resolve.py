"""Resolution: extracted words -> IDs from the account's PSA reference data. Pure Python.

IDs come only from here, never from an engine, so a hallucinated or injected ID cannot reach the
form. Ambiguous or unknown names leave the field empty, list it in ``missing_fields`` and add a
warning that names the candidates. Nothing is guessed silently: no default status, board or
priority is filled in unless the prompt asked for it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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


@dataclass
class ParseReference:
    """The account's PSA reference data, as plain lists (so resolution needs no Django and no PSA)."""

    companies: Sequence[PSACompany] = ()
    boards: Sequence[PSABoard] = ()
    statuses_by_board: Mapping[int, Sequence[PSAStatus]] = field(default_factory=dict)
    priorities: Sequence[PSAPriority] = ()
    members: Sequence[PSAMember] = ()
    me_member_id: int | None = None  # the user's member mapping, if any


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


def match_companies(phrase: str, companies: Sequence[PSACompany]) -> list[PSACompany]:
    """Exact name/identifier, then name without legal suffix, then leading words, then fuzzy."""
    n, c = norm(phrase), core(phrase)
    if not c:
        return []
    sq = squash(c)
    tiers = [
        lambda co: n == norm(co.name) or squash(phrase) == squash(co.identifier),
        lambda co: c == core(co.name) or sq == squash(co.identifier) or sq == squash(core(co.name)),
        lambda co: core(co.name).split()[: len(c.split())] == c.split()
        or (len(sq) >= 4 and squash(co.identifier).startswith(sq)),
    ]
    found = [co for co in companies if tiers[0](co)]
    if found:
        return found
    found = [co for co in companies if tiers[1](co)]
    if found and n != c:
        return found  # "Acme Corporation" -> Acme Corp: the suffix was written, so the name is meant
    # "Acme" names Acme Corp *and* Acme Dental: a bare name also matches every name it starts
    found += [co for co in companies if tiers[2](co) and co not in found]
    if found:
        return found
    options: list[tuple[str, object]] = []
    for co in companies:
        options += [(core(co.name), co), (squash(co.identifier), co)]
    found = _best_fuzzy(c, options)
    found += [co for co in _best_fuzzy(sq, options) if co not in found]
    return found


def match_members(ref: str, members: Sequence[PSAMember]) -> list[PSAMember]:
    """Identifier, full name, first name, last name, then fuzzy; a trailing word that matches
    nothing is dropped ("Ana today" -> "Ana")."""
    key = norm(ref.lstrip("@"))
    if not key:
        return []
    tiers = [
        lambda m: key == norm(m.identifier) or key == norm(m.name),
        lambda m: key == norm(m.name).split()[0],
        lambda m: len(norm(m.name).split()) > 1 and key == norm(m.name).split()[-1],
    ]
    for tier in tiers:
        found = [m for m in members if tier(m)]
        if found:
            return found
    options: list[tuple[str, object]] = []
    for m in members:
        options += [(norm(m.name), m), (norm(m.identifier), m), (norm(m.name).split()[0], m)]
    found = _best_fuzzy(key, options)
    if not found and len(key.split()) > 1:
        return match_members(key.split()[0], members)
    return found


def match_boards(hint: str, boards: Sequence[PSABoard]) -> list[PSABoard]:
    """Board name (exact, contained, fuzzy), else a keyword's stem ("vpn" -> network) contained in a name."""
    key = norm(hint)
    if not key:
        return []
    exact = [b for b in boards if norm(b.name) == key]
    if exact:
        return exact
    stem = keyword_stem(key)
    if stem:
        by_stem = [b for b in boards if stem in norm(b.name)]
        if by_stem:
            return by_stem
    contained = [b for b in boards if key in norm(b.name) or norm(b.name) in key]
    if contained:
        return contained
    words = [b for b in boards if key.split()[0] == norm(b.name).split()[0] and len(key.split()[0]) >= 3]
    if words:
        return words
    return _best_fuzzy(key, [(norm(b.name), b) for b in boards])


def match_priorities(word: str, priorities: Sequence[PSAPriority]) -> list[PSAPriority]:
    """A priority word's rank, mapped by the PSA priority's level, then its name ("Priority 2 ...");
    otherwise the word against the priorities' names."""
    rank = priority_rank(word)
    if rank is not None:
        levels = RANK_LEVELS[rank]
        found = [p for p in priorities if p.level and p.level.lower() in levels]
        if not found:
            found = [p for p in priorities if re.search(rf"\b(?:priority\s*|p){rank}\b", p.name, re.I)]
        if not found:
            found = [p for p in priorities if any(level in norm(p.name).split() for level in levels)]
        return found
    key = norm(word)
    found = [p for p in priorities if key and (key == norm(p.name) or key in norm(p.name))]
    return found or _best_fuzzy(key, [(norm(p.name), p) for p in priorities])


def match_statuses(word: str, statuses: Sequence[PSAStatus]) -> list[PSAStatus]:
    key = norm(word)
    statuses = [s for s in statuses if not s.inactive]
    exact = [s for s in statuses if norm(s.name) == key]
    if exact:
        return exact
    prefix = [s for s in statuses if norm(s.name).startswith(key)]
    return prefix or _best_fuzzy(key, [(norm(s.name), s) for s in statuses])


# --- resolve -------------------------------------------------------------------------------------


def resolve(extraction: Extraction, reference: ParseReference) -> AiParseResponse:
    """Turn extracted words into the ``AiParseResponse`` the modal merges into its draft."""
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

    # company
    if extraction.company_name:
        found = match_companies(extraction.company_name, reference.companies)
        if len(found) == 1:
            out.company_id = found[0].id
        elif found:
            warnings.append(_candidates("Company", extraction.company_name, [c.name for c in found]))
        else:
            warnings.append(f'No company matches "{extraction.company_name}"')
    else:
        warnings.append(NO_COMPANY_WARNING)

    # board: a hint may hold several keywords ("onboarding, vpn"); they must agree on one board
    if extraction.board_hint:
        parts = [p.strip() for p in re.split(r"[,;/]", extraction.board_hint) if p.strip()]
        found_boards: list[PSABoard] = []
        unknown = []
        for part in parts:
            matches = match_boards(part, reference.boards)
            if not matches:
                unknown.append(part)
            found_boards += [b for b in matches if b not in found_boards]
        if len(found_boards) == 1:
            out.board_id = found_boards[0].id
        elif found_boards:
            warnings.append(_candidates("Board", extraction.board_hint, [b.name for b in found_boards]))
        else:
            warnings.append(f'No board matches "{extraction.board_hint}"')
    else:
        warnings.append(NO_BOARD_WARNING)

    # priority
    if extraction.priority_word:
        found = match_priorities(extraction.priority_word, reference.priorities)
        if len(found) == 1:
            out.priority_id = found[0].id
        elif found:
            warnings.append(_candidates("Priority", extraction.priority_word, [p.name for p in found]))
        else:
            warnings.append(f'No priority matches "{extraction.priority_word}"')

    # status: only when the prompt names one, and only within the chosen board
    if extraction.status_word:
        if out.board_id is None:
            warnings.append(f'Status "{extraction.status_word}" needs a board; choose the board first')
        else:
            board_name = next(b.name for b in reference.boards if b.id == out.board_id)
            found = match_statuses(extraction.status_word, reference.statuses_by_board.get(out.board_id, ()))
            if len(found) == 1:
                out.status_id = found[0].id
            elif found:
                warnings.append(_candidates("Status", extraction.status_word, [s.name for s in found]))
            else:
                warnings.append(f'No status on {board_name} matches "{extraction.status_word}"')

    # assignee: "me" is the user's member mapping; a missing mapping is a warning, not an error
    ref = (extraction.assignee_ref or "").strip()
    if ref:
        if norm(ref) in ("me", "myself", "mine", "i"):
            if reference.me_member_id is not None:
                out.assigned_member_id = reference.me_member_id
            else:
                warnings.append(NO_MAPPING_WARNING)
                missing_extra.append("assigned_member_id")
        else:
            found = match_members(ref, reference.members)
            if len(found) == 1:
                out.assigned_member_id = found[0].id
            else:
                missing_extra.append("assigned_member_id")
                if found:
                    warnings.append(_candidates("Member", ref, [m.name for m in found]))
                else:
                    warnings.append(f'No member matches "{ref}"')

    out.missing_fields = [f for f in REQUIRED_FIELDS if getattr(out, f) is None] + missing_extra
    out.warnings = list(dict.fromkeys(warnings))
    return out


__all__ = ["ParseReference", "resolve", "match_companies", "match_members", "match_boards", "match_priorities",
           "match_statuses", "REQUIRED_FIELDS", "NO_MAPPING_WARNING"]
