"""Which company, member or board a phrase names: exact first, then typos (rapidfuzz), never a guess.

Tiers, the first that finds anything wins: the exact name or identifier; the name without its legal suffix;
the leading words of a name ("Acme" names Acme Corp *and* Acme Dental); then fuzzy matching for typos
("fabrkam", "acmee corp", "globx") with a score cut-off (``FUZZY_CUTOFF``) and an ambiguity margin: every
candidate within ``AMBIGUITY_MARGIN`` points of the best is returned, so two close candidates come back
together and the resolver leaves the field empty with a warning naming both. "The X" also finds a company by
a later word of its name or its trade ("the winery" -> Coho Winery, "the law firm" -> Summit Legal LLP).

Indexes are built once per list of names (an MSP has 1,000+ companies) and cached, so a parse costs
dictionary look-ups and one rapidfuzz pass over the names (C++), not a regex per company. Pure Python.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from psa.schemas import PSABoard, PSACompany, PSAMember
from tickets.ai.words import TRADE_WORDS, core, norm, same_first_name, singular, squash

FUZZY_CUTOFF = 85.0  # rapidfuzz ratio (0-100) a typo must reach
AMBIGUITY_MARGIN = 4.0  # candidates within this many points of the best are all returned
MIN_FUZZY_LENGTH = 5  # shorter words are matched exactly or not at all ("acme", "kim", "ana")
# First words of company names too common to name a company on their own ("blue screen" is not Blue Yonder).
COMMON_WORDS = {"blue", "summit", "adventure", "umbrella", "riverside", "lakeshore", "pied", "stark", "north",
                "new", "the", "first", "global", "united", "general", "national", "american", "city", "data",
                "tech", "systems", "service", "services", "network", "support", "office", "home", "family",
                "south", "east", "west", "central", "pacific", "atlantic", "premier", "advanced", "best", "green",
                "red", "black", "white", "gold", "silver", "star", "sun", "smart", "quick", "total", "prime",
                "main", "metro", "coastal", "valley", "mountain", "river", "lake", "park", "bay", "health"}


@dataclass
class _Index:
    names: list[str]  # norm(name), per position
    by_name: dict[str, list[int]] = field(default_factory=dict)
    by_ident: dict[str, list[int]] = field(default_factory=dict)
    by_core: dict[str, list[int]] = field(default_factory=dict)  # core name, and squashed core name
    by_lead: dict[str, list[int]] = field(default_factory=dict)  # leading words of the core name
    by_word: dict[str, list[int]] = field(default_factory=dict)  # later words of the core name ("winery")
    idents: list[str] = field(default_factory=list)  # squashed identifiers, per position
    fuzzy_keys: list[str] = field(default_factory=list)
    fuzzy_owner: list[int] = field(default_factory=list)
    scan_keys: set[str] = field(default_factory=set)  # phrases that name a company anywhere in a prompt
    longest: int = 1  # the most words a scan key has


def _add(table: dict[str, list[int]], key: str, i: int) -> None:
    if key:
        bucket = table.setdefault(key, [])
        if i not in bucket:
            bucket.append(i)


@functools.lru_cache(maxsize=8)
def _company_index(key: tuple[tuple[str, str], ...]) -> _Index:
    index = _Index(names=[norm(name) for name, _ in key])
    for i, (name, identifier) in enumerate(key):
        n, c, ident = norm(name), core(name), squash(identifier)
        words = c.split()
        index.idents.append(ident)
        _add(index.by_name, n, i)
        _add(index.by_ident, ident, i)
        _add(index.by_core, c, i)
        _add(index.by_core, c.replace(" ", ""), i)
        for k in range(1, len(words) + 1):
            _add(index.by_lead, " ".join(words[:k]), i)
        for word in words[1:]:
            if len(word) >= 4:
                _add(index.by_word, singular(word), i)
        for fuzzy_key in {n, c, ident} | ({words[0]} if words and words[0] not in COMMON_WORDS else set()):
            if len(fuzzy_key) >= 4:
                index.fuzzy_keys.append(fuzzy_key)
                index.fuzzy_owner.append(i)
        index.scan_keys.update(k for k in (n, c, ident) if len(k) >= 3)
        if len(words) >= 2:
            index.scan_keys.add(" ".join(words[:2]))  # "blue yonder" names Blue Yonder Airlines
        if words and len(words[0]) >= 4 and words[0] not in COMMON_WORDS:
            index.scan_keys.add(words[0])  # "globex", "acme": distinctive first words
        index.longest = max(index.longest, len(n.split()))
    return index


def fuzzy_scores(queries: Sequence[str], keys: list[str], owners: list[int],
                 cutoff: float = FUZZY_CUTOFF) -> dict[int, float]:
    """Best rapidfuzz ratio per owner over all ``queries``, for owners at or above ``cutoff``."""
    scores: dict[int, float] = {}
    for query in dict.fromkeys(q for q in queries if len(q) >= MIN_FUZZY_LENGTH):
        for _, score, position in process.extract(query, keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None):
            owner = owners[position]
            scores[owner] = max(score, scores.get(owner, 0.0))
    return scores


def closest(scores: dict[int, float], margin: float = AMBIGUITY_MARGIN) -> list[int]:
    """The owners within ``margin`` of the best score, in their original order."""
    if not scores:
        return []
    best = max(scores.values())
    return sorted(owner for owner, score in scores.items() if score >= best - margin)


class CompanyNames:
    """The account's companies, indexed for matching (the index is cached per list of names)."""

    def __init__(self, companies: Sequence[PSACompany]):
        self.companies = list(companies)
        self._index = _company_index(tuple((c.name, c.identifier) for c in self.companies))

    def __bool__(self) -> bool:
        return bool(self.companies)

    @property
    def longest(self) -> int:
        return self._index.longest

    def _pick(self, positions: Sequence[int]) -> list[PSACompany]:
        return [self.companies[i] for i in sorted(set(positions))]

    def strict(self, phrase: str) -> list[PSACompany]:
        """Exact name or identifier; the name without legal suffix (when the phrase has one, "Acme Corporation");
        else every name the phrase is the core of, or leads ("Acme" -> Acme Corp and Acme Dental)."""
        ix = self._index
        n, c = norm(phrase), core(phrase)
        if not c:
            return []
        sq = c.replace(" ", "")
        found = ix.by_name.get(n) or ix.by_ident.get(squash(phrase))
        if found:
            return self._pick(found)
        if n != c:  # a suffix was written: the name it belongs to is meant
            found = ix.by_core.get(c) or ix.by_ident.get(sq) or ix.by_core.get(sq)
            if found:
                return self._pick(found)
        found = list(ix.by_core.get(c, ())) + list(ix.by_ident.get(sq, ())) + list(ix.by_core.get(sq, ()))
        found += ix.by_lead.get(c, ())
        if len(sq) >= 4:
            found += [i for i, ident in enumerate(ix.idents) if ident.startswith(sq)]
        return self._pick(found)

    def fuzzy(self, phrase: str) -> list[PSACompany]:
        """Names close to the phrase (typos), all of them when two are about as close."""
        n, c = norm(phrase), core(phrase)
        scores = fuzzy_scores([n, c, c.replace(" ", "")], self._index.fuzzy_keys, self._index.fuzzy_owner)
        return self._pick(closest(scores))

    def fuzzy_score(self, phrase: str) -> float:
        n, c = norm(phrase), core(phrase)
        scores = fuzzy_scores([n, c, c.replace(" ", "")], self._index.fuzzy_keys, self._index.fuzzy_owner)
        return max(scores.values(), default=0.0)

    def by_trade(self, phrase: str) -> list[PSACompany]:
        """"the winery" / "the law firm" / "the bank's": companies with that later word or trade in the name."""
        words = [singular(w) for w in core(phrase).split()]
        found: list[int] = []
        for word in words:
            for key in (word, *TRADE_WORDS.get(word, ())):
                found += self._index.by_word.get(singular(key), ())
                found += [i for i in self._index.by_lead.get(key, ()) if key not in COMMON_WORDS]
            if found:
                break
        return self._pick(found)

    def match(self, phrase: str, *, fuzzy: bool = True) -> list[PSACompany]:
        """The companies a phrase names: strict tiers, then (``fuzzy``) typos, then a trade word after "the"."""
        found = self.strict(phrase)
        if found or not fuzzy:
            return found
        found = self.fuzzy(phrase)
        if found:
            return found
        if re.match(r"\s*the\s", phrase, re.I):
            return self.by_trade(phrase)
        return []

    def names_a_company(self, phrase: str) -> bool:
        """Whether ``phrase`` (a run of words in a prompt) is a company name, identifier or distinctive word."""
        key = norm(phrase)
        return key in self._index.scan_keys or squash(phrase) in self._index.by_ident


# --- members -------------------------------------------------------------------------------------


def match_members(ref: str, members: Sequence[PSAMember]) -> list[PSAMember]:
    """Identifier, full name, first name (or its short form: "dave" -> David), last name, then typos; a
    trailing word that matches nothing is dropped ("Ana today" -> "Ana")."""
    key = norm(ref.lstrip("@"))
    if not key:
        return []
    names = [norm(m.name).split() or [""] for m in members]
    tiers = [
        lambda i: key == norm(members[i].identifier) or key == " ".join(names[i]),
        lambda i: same_first_name(key, names[i][0]),
        lambda i: len(names[i]) > 1 and key == names[i][-1],
        # "ana g" / "ana garcia-lopez": the first name and the start of the last
        lambda i: len(key.split()) > 1 and len(names[i]) > 1 and same_first_name(key.split()[0], names[i][0])
        and names[i][-1].startswith(key.split()[-1]),
    ]
    for tier in tiers:
        found = [members[i] for i in range(len(members)) if tier(i)]
        if found:
            return found
    keys, owners = [], []
    for i, m in enumerate(members):
        for k in (norm(m.identifier), " ".join(names[i]), names[i][0]):
            keys.append(k)
            owners.append(i)
    found = [members[i] for i in closest(fuzzy_scores([key], keys, owners))]
    if not found and len(key.split()) > 1:
        return match_members(key.split()[0], members)
    return found


def member_word(word: str, members: Sequence[PSAMember]) -> bool:
    """Whether a single word is a member's identifier or first name (or its short form)."""
    key = norm(word)
    return bool(key) and any(key == norm(m.identifier) or same_first_name(key, (norm(m.name).split() or [""])[0])
                             for m in members)


# --- boards --------------------------------------------------------------------------------------


def board_abbreviates(typed: str, name: str) -> bool:
    """Typed words that abbreviate or misspell a board's name, in order: "netwrk ops" -> Network Operations,
    "projcts" -> Projects."""
    words, target = norm(typed).split(), norm(name).split()
    if not words or len(words) > len(target):
        return False
    position = 0
    for word in words:
        while position < len(target):
            candidate = target[position]
            position += 1
            if (len(word) >= 3 and candidate.startswith(word)) or (
                    len(word) >= 4 and fuzz.ratio(word, candidate) >= 80):
                break
        else:
            return False
    return True


def boards_named(typed: str, boards: Sequence[PSABoard]) -> list[PSABoard]:
    return [b for b in boards if board_abbreviates(typed, b.name)]


__all__ = ["AMBIGUITY_MARGIN", "COMMON_WORDS", "CompanyNames", "FUZZY_CUTOFF", "boards_named", "closest",
           "fuzzy_scores", "match_members", "member_word"]
