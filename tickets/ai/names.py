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

import bisect
import contextlib
import functools
import gc
import re
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from psa.schemas import PSABoard, PSACompany, PSAMember
from tickets.ai.words import LEGAL_SUFFIXES, TRADE_WORDS, core, norm, same_first_name, singular, squash

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


_THE = re.compile(r"\s*the\s", re.I)


class _Table(dict):
    """Key -> positions, stored as one int while there is one (most keys name one company: a 2,000-company
    index then allocates a few hundred lists, not 15,000 - the first build in a process pays for its memory)."""

    def put(self, key: str, i: int) -> None:
        held = self.get(key)
        if held is None:
            self[key] = i
        elif isinstance(held, int):
            if held != i:
                self[key] = [held, i]
        elif held[-1] != i:
            held.append(i)

    def find(self, key: str) -> Sequence[int]:
        held = self.get(key)
        return () if held is None else (held,) if isinstance(held, int) else held


class _Index:
    """Look-up tables over one list of company names. The fuzzy keys and later words are built on first use
    (most prompts name a company exactly, or by a marker): the first parse of a 2,000-company account pays
    only for the exact tables."""

    def __init__(self, names: tuple[str, ...], identifiers: tuple[str, ...]):
        self.names = [norm(name) for name in names]  # norm(name), per position
        self.idents = [squash(identifier) for identifier in identifiers]  # squashed identifiers, per position
        self.cores: list[str] = []  # the name without legal suffixes, per position
        self.by_name = _Table()
        self.by_ident = _Table()
        self.by_core = _Table()  # core name, and squashed core name
        self.by_lead = _Table()  # leading words of the core name (the whole core is in by_core)
        self.scan_keys: set[str] = set()  # phrases that name a company anywhere in a prompt
        self.longest = 1  # the most words a name has
        suffixes, common, scan = LEGAL_SUFFIXES, COMMON_WORDS, self.scan_keys
        for i, (n, ident) in enumerate(zip(self.names, self.idents, strict=True)):
            all_words = n.split()
            words = [w for w in all_words if w not in suffixes] if suffixes.intersection(all_words) else all_words
            words = words or all_words
            c = n if words is all_words else " ".join(words)
            self.cores.append(c)
            self.by_name.put(n, i)
            self.by_ident.put(ident, i)
            self.by_core.put(c, i)
            if len(words) > 1:
                self.by_core.put(c.replace(" ", ""), i)
                lead = words[0]
                self.by_lead.put(lead, i)
                for word in words[1:-1]:
                    lead = f"{lead} {word}"
                    self.by_lead.put(lead, i)
                scan.add(f"{words[0]} {words[1]}" if len(words) > 2 else c)  # "blue yonder" -> Blue Yonder Airlines
            scan.add(n)
            scan.add(c)
            scan.add(ident)
            if len(words[0]) >= 4 and words[0] not in common:
                scan.add(words[0])  # "globex", "acme": distinctive first words
            if len(all_words) > self.longest:
                self.longest = len(all_words)
        self._sorted_idents = sorted(zip(self.idents, range(len(self.idents)), strict=True))

    def idents_starting(self, prefix: str) -> list[int]:
        """Positions whose squashed identifier starts with ``prefix`` (a binary search, not a scan)."""
        table = self._sorted_idents
        found = []
        for ident, i in table[bisect.bisect_left(table, (prefix, -1)):]:
            if not ident.startswith(prefix):
                break
            found.append(i)
        return found

    @functools.cached_property
    def fuzzy(self) -> tuple[list[str], list[int]]:
        """Keys for typos (name, core name, identifier, distinctive first word) and their positions."""
        with _collector_paused():
            return self._fuzzy()

    def _fuzzy(self) -> tuple[list[str], list[int]]:
        keys: list[str] = []
        owners: list[int] = []
        for i, (n, ident, c) in enumerate(zip(self.names, self.idents, self.cores, strict=True)):
            first = c.split(" ", 1)[0]
            for key in {n, c, ident} | ({first} if first not in COMMON_WORDS else set()):
                if len(key) >= 4:
                    keys.append(key)
                    owners.append(i)
        return keys, owners

    @functools.cached_property
    def by_word(self) -> _Table:
        """Later words of the core names ("winery", "bank"), singular."""
        with _collector_paused():
            return self._by_word()

    def _by_word(self) -> _Table:
        table = _Table()
        for i, c in enumerate(self.cores):
            for word in c.split()[1:]:
                if len(word) >= 4:
                    table.put(singular(word), i)
        return table


@functools.lru_cache(maxsize=32)  # one per list of names: the accounts a worker serves
def _company_index(names: tuple[str, ...], identifiers: tuple[str, ...]) -> _Index:
    with _collector_paused():
        return _Index(names, identifiers)


@contextlib.contextmanager
def _collector_paused():
    """Building an index allocates thousands of small lists; in a process holding all of Django each burst set
    off full garbage collections (a 2,000-company index took 170 ms instead of 10). Nothing built here is
    cyclic garbage, so the collector is paused while it builds."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


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
        # The cache key: two tuples of the strings (no per-company tuple: cheap for 2,000 companies)
        self._index = _company_index(tuple([c.name for c in self.companies]),
                                     tuple([c.identifier for c in self.companies]))

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
        found = ix.by_name.find(n) or ix.by_ident.find(squash(phrase))
        if found:
            return self._pick(found)
        if n != c:  # a suffix was written: the name it belongs to is meant
            found = ix.by_core.find(c) or ix.by_ident.find(sq) or ix.by_core.find(sq)
            if found:
                return self._pick(found)
        found = [*ix.by_core.find(c), *ix.by_ident.find(sq), *ix.by_core.find(sq), *ix.by_lead.find(c)]
        if len(sq) >= 4:
            found += ix.idents_starting(sq)
        return self._pick(found)

    def fuzzy(self, phrase: str) -> list[PSACompany]:
        """Names close to the phrase (typos), all of them when two are about as close."""
        n, c = norm(phrase), core(phrase)
        scores = fuzzy_scores([n, c, c.replace(" ", "")], *self._index.fuzzy)
        return self._pick(closest(scores))

    def by_trade(self, phrase: str) -> list[PSACompany]:
        """"the winery" / "the law firm" / "the bank's": companies with that later word or trade in the name."""
        words = [singular(w) for w in core(phrase).split()]
        found: list[int] = []
        for word in words:
            for key in (word, *TRADE_WORDS.get(word, ())):
                found += self._index.by_word.find(singular(key))
                found += [i for i in self._index.by_lead.find(key) if key not in COMMON_WORDS]
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
        if _THE.match(phrase):
            return self.by_trade(phrase)
        return []

    def names_a_company(self, phrase: str) -> bool:
        """Whether ``phrase`` (a run of words in a prompt) is a company name, identifier or distinctive word."""
        key = norm(phrase)
        return (len(key) >= 3 and key in self._index.scan_keys) or squash(phrase) in self._index.by_ident


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
