"""Vocabulary shared by the offline extractor and the resolver: priority words (several languages), board
keywords, nicknames, and the name normalisation used for matching. Pure Python, no reference data."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# --- priority words ------------------------------------------------------------------------------
# A rank (1 = most urgent .. 4 = least) is mapped to the account's priority by the priority's level, then its
# name, then its position in the account's ``sort`` order; a number (P2, sev 2, prio 2, level 2) by the name
# ("Priority 2 - ..."), then the position. So any account's priority names work.

RANK_WORDS: dict[int, tuple[str, ...]] = {
    1: ("critical", "crit", "emergency", "blocker", "top", "highest", "critico", "critica", "kritisch", "critique",
        "urgentisimo", "urgentissime", "outage"),
    2: ("urgent", "urgente", "dringend", "eilig", "asap", "high", "hi", "alta", "alto", "hoch", "hohe", "hoher",
        "haute", "eleve", "elevee"),
    3: ("medium", "med", "normal", "moderate", "media", "medio", "mittel", "mittlere", "moyenne", "moyen", "normale",
        "standard"),
    4: ("low", "lo", "baja", "bajo", "niedrig", "niedrige", "basse", "faible", "baixa", "baixo", "lowest", "whenever",
        "minor"),
}
# Phrases that say "not urgent" (rank 4) in the languages engineers write in.
NOT_URGENT = ("no rush", "no hurry", "not urgent", "not a rush", "not time sensitive", "whenever", "when you can",
              "pas presse", "pas urgent", "sin prisa", "no urgente", "no es urgente", "nicht dringend",
              "nicht eilig", "keine eile", "sem pressa", "nao urgente", "sem urgencia",
              "not a priority", "not priority", "not high priority", "not top priority", "not important",
              "low on the list")
_NOT_URGENT_RE = re.compile(r"\b(?:" + "|".join(map(re.escape, NOT_URGENT)) + r")\b")
INTENSIFIERS = ("very", "super", "really", "extremely", "ultra", "muy", "tres", "sehr", "muito", "mega")
SOFTENERS = ("ish", "kinda", "kind of", "sort of", "somewhat", "fairly")
# A rank's PSA priority by ConnectWise's priority "level".
RANK_LEVELS: dict[int, tuple[str, ...]] = {
    1: ("critical", "emergency"),
    2: ("high", "urgent"),
    3: ("medium", "normal"),
    4: ("low",),
}
_WORD_RANK = {word: rank for rank, words in RANK_WORDS.items() for word in words}


@dataclass(frozen=True)
class PriorityReading:
    """What a priority word says: a ``rank`` (1-4), a ``number`` (P2 -> 2), or an extreme (``first``/``last``)."""

    rank: int | None = None
    number: int | None = None
    extreme: str | None = None  # "first" (P0, top, highest) or "last" (lowest)


def fold(text: str) -> str:
    """Lower case without accents: ``"Pas pressé"`` -> ``"pas presse"``."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch)).replace("ß", "ss")


_NOT_ALNUM_WORD = re.compile(r"[^a-z0-9]+")
_NUMBERED = re.compile(r"\b(?:p|sev|severity|prio|priority|pri|lvl|level|prioridad|priorite|prioridade|prioritat|"
                       r"nivel|niveau|stufe)\s*([0-9])\b")
_DIGIT = re.compile(r"([0-9])")
_GLUED = re.compile(r"(hi|lo|high|low)(prio|pri|priority)\b")
_ISH = re.compile(r"\bish\b|[a-z]ish\b")


def read_priority(word: str | None) -> PriorityReading | None:
    """``"High priority"`` -> rank 2, ``"P1"``/``"sev 1"``/``"prio1"`` -> number 1, ``"muy urgente"`` -> rank 1,
    ``"critical-ish"`` -> rank 2, ``"no rush"`` -> rank 4, ``"lowest"`` -> last; unknown -> None."""
    if not word:
        return None
    text = " ".join(_NOT_ALNUM_WORD.sub(" ", fold(word)).split())
    number = _NUMBERED.search(text) or _DIGIT.fullmatch(text)
    if number:
        n = int(number.group(1))
        return PriorityReading(extreme="first") if n == 0 else PriorityReading(number=n)
    if _NOT_URGENT_RE.search(text):
        return PriorityReading(rank=4)
    words = _GLUED.sub(r"\1 \2", text).split()
    words = [part for w in words for part in ((w[:-3], "ish") if w.endswith("ish") and w[:-3] in _WORD_RANK else (w,))]
    if any(w in ("lowest", "least") for w in words):
        return PriorityReading(extreme="last")
    if any(w in ("highest", "top") for w in words):
        return PriorityReading(extreme="first")
    ranks = [_WORD_RANK[w] for w in words if w in _WORD_RANK]
    if not ranks:
        return None
    rank = min(ranks)
    if any(w in INTENSIFIERS for w in words):
        rank = max(1, rank - 1)
    if any(w in SOFTENERS for w in words) or _ISH.search(text):
        rank = min(4, rank + 1)
    return PriorityReading(rank=rank)


def priority_rank(word: str | None) -> int | None:
    """The rank (1-4) a priority word names, a number counting as its rank: ``"P1"`` -> 1, ``"no rush"`` -> 4."""
    reading = read_priority(word)
    if reading is None:
        return None
    if reading.extreme:
        return 1 if reading.extreme == "first" else 4
    return reading.rank if reading.rank is not None else min(reading.number or 4, 4)


# --- board keywords -> a stem that a board's name contains --------------------------------------

BOARD_KEYWORDS: dict[str, tuple[str, ...]] = {
    # Security first: an incident is the security team's even when it also mentions the network.
    "security": ("security incident", "phishing", "phish", "phished", "malware", "virus", "antivirus", "anti-virus",
                 "ransomware", "ransom note", "breach", "compromised", "hacked", "suspicious login",
                 "suspicious logins", "suspicious sign-in", "suspicious sign-ins", "suspicious activity", "spoofed",
                 "trojan", "keylogger", "brute force", "credential stuffing", "data leak", "account takeover",
                 "ddos", "denial of service", "intrusion", "exploit", "exploited", "cyber attack", "cyberattack",
                 "unauthorized access", "unauthorised access", "suspicious link", "suspicious email",
                 "suspicious e-mail", "stolen password", "leaked password", "mfa fatigue", "cryptolocker"),
    "network": ("network", "networking", "firewall", "switch", "switches", "vpn", "wifi", "wi-fi", "wireless",
                "router", "internet", "dns", "dhcp", "wan", "lan", "access point", "isp", "packet loss"),
    "project": ("project", "onboarding", "onboard", "new hire", "new starter", "new employee", "migration",
                "migrate", "rollout", "roll out"),
    "service desk": ("service desk", "helpdesk", "help desk"),
}
# "network drive" is a mapped drive, not the network team's work.
NOT_NETWORK_AFTER = ("drive", "drives", "share", "shares", "printer", "printers", "folder", "folders", "path",
                     "location", "card", "adapter", "cable")


def keyword_stem(word: str) -> str | None:
    """The board stem (``security``/``network``/``project``/``service desk``) a keyword points at."""
    return _KEYWORD_STEMS.get(norm(word))


# --- people --------------------------------------------------------------------------------------

# Common short forms of first names, both ways ("dave" finds David, "david" finds a member called Dave).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "dave": ("david",), "davey": ("david",), "mike": ("michael",), "mick": ("michael",), "mikey": ("michael",),
    "kat": ("kate", "katherine", "kathryn"), "katie": ("kate", "katherine"), "kathy": ("katherine", "kathryn"),
    "jon": ("john", "jonathan"), "johnny": ("john",), "jack": ("john",), "sam": ("samuel", "samantha"),
    "sammy": ("samuel", "samantha"), "em": ("emma", "emily"), "emmy": ("emma", "emily"), "liz": ("elizabeth",),
    "beth": ("elizabeth",), "bob": ("robert",), "rob": ("robert",), "bill": ("william",), "will": ("william",),
    "jim": ("james",), "jimmy": ("james",), "tom": ("thomas",), "tony": ("anthony",), "chris": ("christopher",),
    "matt": ("matthew",), "dan": ("daniel",), "danny": ("daniel",), "steve": ("steven", "stephen"),
    "alex": ("alexander", "alexandra"), "nick": ("nicholas",), "ben": ("benjamin",), "joe": ("joseph",),
    "rick": ("richard",), "dick": ("richard",), "andy": ("andrew",), "drew": ("andrew",), "pat": ("patrick",),
    "jen": ("jennifer",), "jenny": ("jennifer",), "vicky": ("victoria",), "becky": ("rebecca",),
    "ed": ("edward",), "ted": ("edward",), "greg": ("gregory",), "fred": ("frederick",), "nate": ("nathan",),
    "ray": ("raymond",), "rajesh": ("raj",), "pete": ("peter",), "sue": ("susan",), "meg": ("megan", "margaret"),
    "maggie": ("margaret",), "laurie": ("laura",), "lori": ("laura",), "anna": ("ana",), "annie": ("ana", "anna"),
}


def same_first_name(typed: str, first: str) -> bool:
    """``typed`` names someone whose first name is ``first`` (equal, or a known short form either way)."""
    return typed == first or first in NICKNAMES.get(typed, ()) or typed in NICKNAMES.get(first, ())


# --- companies -----------------------------------------------------------------------------------

# What engineers call a client by its trade: "the law firm" -> a name with "legal" in it.
TRADE_WORDS: dict[str, tuple[str, ...]] = {
    "law": ("legal", "law"), "lawyers": ("legal", "law"), "attorneys": ("legal", "law"), "legal": ("legal",),
    "dentist": ("dental",), "dentists": ("dental",), "dental": ("dental",), "airline": ("airlines", "airline"),
    "bank": ("bank",), "winery": ("winery",), "hospital": ("health", "hospital"), "clinic": ("clinic", "health"),
    "doctors": ("practice", "medical"), "surgery": ("practice", "surgery"),
}

LEGAL_SUFFIXES = {"corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "co",
                  "company", "group", "gmbh", "pty", "the", "ag", "sa", "bv", "srl"}


_POSSESSIVE_END = re.compile(r"['’]s$")
_NOT_ALNUM = re.compile(r"[^a-z0-9 ]+")


@functools.lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """Lower case, accents dropped, ``&`` -> ``and``, punctuation dropped, whitespace collapsed."""
    if text.isascii() and text.replace(" ", "").isalnum():  # most names: nothing to drop
        return " ".join(text.lower().split())
    text = fold(text).replace("&", " and ").replace("'s ", " ").replace("’s ", " ")
    text = _POSSESSIVE_END.sub("", text)
    text = _NOT_ALNUM.sub(" ", text)
    return " ".join(text.split())


def core(text: str) -> str:
    """A company name without legal suffixes: ``"Acme Corp."`` -> ``"acme"``."""
    words = [w for w in norm(text).split() if w not in LEGAL_SUFFIXES]
    return " ".join(words) or norm(text)


def squash(text: str) -> str:
    return norm(text).replace(" ", "")


def singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


_KEYWORD_STEMS = {key: stem for stem, words in reversed(BOARD_KEYWORDS.items())
                  for w in (stem, *words) for key in (norm(w), norm(w) + "s")}
