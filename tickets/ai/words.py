"""Vocabulary shared by the offline extractor and the resolver: priority words, board keywords,
and the name normalisation used for fuzzy matching. Pure Python."""

from __future__ import annotations

import re

# --- priority words -> rank (1 = most urgent); ranks map to PSA priorities by level/name --------

PRIORITY_WORDS: dict[str, int] = {
    "critical": 1, "emergency": 1, "sev1": 1, "p1": 1, "priority1": 1, "outage": 1,
    "urgent": 2, "high": 2, "asap": 2, "sev2": 2, "p2": 2, "priority2": 2,
    "medium": 3, "normal": 3, "moderate": 3, "sev3": 3, "p3": 3, "priority3": 3,
    "low": 4, "whenever": 4, "norush": 4, "noturgent": 4, "sev4": 4, "p4": 4, "priority4": 4,
}
# A rank's PSA priority is found by its level first (ConnectWise's priority "level"), then by name.
RANK_LEVELS: dict[int, tuple[str, ...]] = {
    1: ("critical", "emergency"),
    2: ("high", "urgent"),
    3: ("medium", "normal"),
    4: ("low",),
}


def priority_rank(word: str | None) -> int | None:
    """``"High priority"`` -> 2, ``"P1"`` -> 1, ``"sev 3"`` -> 3, ``"no rush"`` -> 4; unknown -> None."""
    if not word:
        return None
    text = word.lower().strip()
    text = re.sub(r"\b(?:priority|prio|pri|urgency|severity)\b", lambda m: "priority" if re.search(r"\d", text) else "", text)
    squashed = re.sub(r"[^a-z0-9]", "", text)
    if squashed in PRIORITY_WORDS:
        return PRIORITY_WORDS[squashed]
    digit = re.fullmatch(r"(?:p|sev|priority)?([1-4])", squashed)
    if digit:
        return int(digit.group(1))
    return None


# --- board keywords -> a stem that a board's name contains --------------------------------------

BOARD_KEYWORDS: dict[str, tuple[str, ...]] = {
    "network": ("network", "networking", "firewall", "switch", "switches", "vpn", "wifi", "wi-fi", "wireless",
                "router", "internet", "dns", "dhcp", "wan", "lan", "access point", "isp", "packet loss"),
    "project": ("project", "onboarding", "onboard", "new hire", "new starter", "new employee", "migration",
                "migrate", "rollout", "roll out"),
    "security": ("security", "phishing", "phish", "phished", "malware", "virus", "ransomware", "breach",
                 "compromised", "hacked", "suspicious login", "spoofed"),
    "service desk": ("service desk", "helpdesk", "help desk"),
}


def keyword_stem(word: str) -> str | None:
    """The board stem (``network``/``project``/``security``/``service desk``) a keyword points at."""
    text = norm(word)
    for stem, words in BOARD_KEYWORDS.items():
        if text == stem or any(text == norm(w) or text == norm(w) + "s" for w in words):
            return stem
    return None


# --- names ---------------------------------------------------------------------------------------

LEGAL_SUFFIXES = {"corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "co",
                  "company", "group", "gmbh", "pty", "the"}


def norm(text: str) -> str:
    """Lower case, ``&`` -> ``and``, punctuation dropped, whitespace collapsed."""
    text = text.lower().replace("&", " and ").replace("'s ", " ").replace("’s ", " ")
    text = re.sub(r"['’]s$", "", text)
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return " ".join(text.split())


def core(text: str) -> str:
    """A company name without legal suffixes: ``"Acme Corp."`` -> ``"acme"``."""
    words = [w for w in norm(text).split() if w not in LEGAL_SUFFIXES]
    return " ".join(words) or norm(text)


def squash(text: str) -> str:
    return norm(text).replace(" ", "")
