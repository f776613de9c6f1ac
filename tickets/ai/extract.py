"""The offline engine: rules that pull ticket *words* out of how engineers really write.

    "New ticket for Acme Corp, Outlook not syncing, high priority, assign to me"
    -> Extraction(company_name="Acme Corp", priority_word="high priority", assignee_ref="me",
                  summary="Outlook not syncing", ...)

Extraction never produces IDs; ``tickets.ai.resolve`` maps words to the account's PSA reference data.
Pure Python: known company and board names are passed in (optional) so a company mentioned without
any marker ("acme dental wifi down") is still found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from psa.schemas import SUMMARY_MAX, PSABoard, PSACompany
from tickets.ai.words import BOARD_KEYWORDS, PRIORITY_WORDS, core, keyword_stem, norm, squash

# Words that look like a "Company:" prefix but are not companies.
_NOT_COMPANY = {"urgent", "fyi", "note", "re", "fw", "fwd", "ticket", "new ticket", "status", "priority", "board",
                "summary", "issue", "problem", "update", "todo", "asap", "critical", "emergency", "high", "low",
                "medium", "normal", "assign", "assignee", "description", "details", "user", "request", "help"}
# First words of company names too common to identify a company on their own ("blue screen" is not Blue Yonder).
_COMMON_WORDS = {"blue", "summit", "adventure", "umbrella", "riverside", "lakeshore", "pied", "stark", "north",
                 "new", "the", "first", "global", "united", "general", "national", "american", "city", "data",
                 "tech", "systems", "service", "services", "network", "support", "office", "home", "family"}
_STOP_AFTER_NAME = {"please", "pls", "and", "asap", "today", "tomorrow", "tonight", "for", "to", "on", "when", "thanks",
                    "thx", "now", "priority", "high", "low", "urgent", "critical", "medium", "normal", "by", "it",
                    "this", "with", "in", "at", "the", "since", "because", "so", "but"}
_END = r"(?=\s*(?:[,;:.!?\n(]|\s[-–—]\s|$))"  # end of a clause


@dataclass
class Extraction:
    """Words found in a prompt (never IDs). ``notes`` carries engine warnings (e.g. a fallback)."""

    company_name: str | None = None
    board_hint: str | None = None
    priority_word: str | None = None
    status_word: str | None = None
    assignee_ref: str | None = None  # "me" or a name / identifier
    summary: str | None = None
    description: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class _Span:
    start: int
    end: int

    def overlaps(self, other: _Span) -> bool:
        return self.start < other.end and other.start < self.end


# --- company -------------------------------------------------------------------------------------


class CompanyIndex:
    """Known companies keyed by normalised name, identifier and leading words of the name, so that
    scanning a prompt costs dictionary lookups, not a regex per company."""

    def __init__(self, companies: Sequence[PSACompany]):
        self.by_name: dict[str, list[PSACompany]] = {}
        self.by_ident: dict[str, list[PSACompany]] = {}
        self.by_lead: dict[str, list[PSACompany]] = {}  # leading words of the name without legal suffix
        self.full: set[str] = set()  # whole names, names without suffix, identifiers
        self.first: set[str] = set()  # distinctive first words ("globex", "acme")
        for company in companies:
            name, words = norm(company.name), core(company.name).split()
            ident = squash(company.identifier)
            self.by_name.setdefault(name, []).append(company)
            self.by_ident.setdefault(ident, []).append(company)
            for n in range(1, len(words) + 1):
                self.by_lead.setdefault(" ".join(words[:n]), []).append(company)
            self.full.update({name, " ".join(words), ident})
            if words and len(words[0]) >= 4 and words[0] not in _COMMON_WORDS:
                self.first.add(words[0])

    def __bool__(self) -> bool:
        return bool(self.by_name)

    def strict(self, phrase: str) -> list[PSACompany]:
        """Companies a phrase names without fuzziness: name, identifier, or the leading words of a name."""
        c = core(phrase)
        if not c:
            return []
        return (self.by_name.get(norm(phrase)) or self.by_ident.get(squash(phrase)) or self.by_lead.get(c)
                or self.by_ident.get(c.replace(" ", "")) or [])

    def scan(self, text: str) -> tuple[int, int] | None:
        """The longest (then earliest) company name, identifier or distinctive first word in ``text``."""
        tokens = [(m.start(), m.end()) for m in re.finditer(r"(?<!@)[\w&]+(?:[.\-][\w&]+)*", text)]
        best = None
        for i in range(len(tokens)):
            for n in range(min(5, len(tokens) - i), 0, -1):
                start, end = tokens[i][0], tokens[i + n - 1][1]
                key = norm(text[start:end])
                if key in self.full or (n == 1 and key in self.first) or squash(key) in self.by_ident:
                    if best is None or (end - start) > (best[1] - best[0]):
                        best = (start, end)
                    break
        return best


def _trim_company(text: str, start: int, end: int, companies: CompanyIndex, *, fuzzy: bool) -> tuple[int, int] | None:
    """Shrink a captured phrase to the longest leading run of words that names a company.

    Without known companies, or when nothing matches and ``fuzzy`` is allowed, the whole phrase
    is kept (it resolves later, possibly to "no company matches")."""
    phrase = text[start:end]
    lead = re.match(r"\s*(?:for\s+)?(?:the\s+)?", phrase, re.I)
    start += lead.end()
    phrase = text[start:end]
    if not phrase.strip():
        return None
    if not companies:
        return start, end
    words = list(re.finditer(r"\S+", phrase))
    for n in range(min(len(words), 6), 0, -1):
        cut = start + words[n - 1].end()
        candidate = text[start:cut]
        candidate_core = core(candidate)
        if n == 1 and (candidate_core in _COMMON_WORDS or len(candidate_core) < 3):
            continue
        if companies.strict(candidate):
            return start, cut
    if fuzzy and len(words) <= 4:
        return start, end  # an unknown company the engineer named explicitly: resolution says so
    return None


def _not_a_company(phrase: str, boards: Sequence[PSABoard]) -> bool:
    key = norm(phrase)
    return key in _NOT_COMPANY or key in {norm(b.name) for b in boards} or keyword_stem(key) is not None


def _find_company(text: str, companies: CompanyIndex, boards: Sequence[PSABoard] = ()) -> tuple[str, _Span] | None:
    """The company phrase and the span to strip from the summary (marker included)."""
    explicit = [
        # "New ticket for Acme Corp, ..." / "Ticket for Contoso: ..."
        (r"^\s*(?:(?:please\s+)?(?:create|open|log|raise|make|add)\s+(?:an?\s+)?)?(?:new\s+)?ticket\s+for\s+"
         r"(?P<c>[^,:;.!?\n]+?)" + _END, True),
        # "client: Initech" / "customer = Hooli"
        (r"\b(?:client|company|customer|account)\s*[:=]\s*(?P<c>[^,;.!?\n]+?)" + _END, True),
        # "@ Globex" / "@Globex"
        (r"@\s*(?P<c>[^,;:.!?\n]+?)" + _END, True),
        # "Contoso: VPN down" (a short prefix before a colon)
        (r"^\s*(?P<c>[A-Za-z0-9][\w&'.\- ]{1,40}?)\s*:\s+", True),
    ]
    for pattern, fuzzy in explicit:
        m = re.search(pattern, text, re.I)
        if not m:
            continue
        if _not_a_company(m.group("c"), boards):
            continue
        trimmed = _trim_company(text, m.start("c"), m.end("c"), companies, fuzzy=fuzzy)
        if trimmed is None:
            continue
        c_start, c_end = trimmed
        if _not_a_company(text[c_start:c_end], boards):
            continue
        # Strip the marker with the name; a prefix "X:" strips the colon too.
        span_end = c_end
        if pattern.startswith(r"^\s*(?P<c>"):
            span_end = m.end()
        return text[c_start:c_end].strip(), _Span(m.start(), span_end)
    # Possessives ("Hooli's CEO"), "for X", "at X": only when X names a known company.
    if companies:
        for pattern in (r"(?P<c>\b[A-Za-z0-9][\w&.\-]*(?:\s+[A-Za-z0-9][\w&.\-]*){0,3}?)['’]s\b",
                        r"\b(?:for|at|from|with)\s+(?=(?P<c>[^,;:.!?\n]+))"):  # lookahead: overlapping tries
            for m in re.finditer(pattern, text, re.I):
                if "'" in pattern:
                    # try the shortest-to-longest tails of the words before "'s"
                    words = list(re.finditer(r"\S+", m.group("c")))
                    for i in range(len(words)):
                        c_start = m.start("c") + words[i].start()
                        candidate = text[c_start:m.end("c")]
                        if core(candidate) in _COMMON_WORDS:
                            continue
                        if companies.strict(candidate):
                            return candidate, _Span(c_start, m.end())
                    continue
                trimmed = _trim_company(text, m.start("c"), m.end("c"), companies, fuzzy=False)
                if trimmed:
                    c_start, c_end = trimmed
                    return text[c_start:c_end].strip(), _Span(m.start(), c_end)
        # No marker at all: the longest company name or identifier mentioned anywhere.
        found = companies.scan(text)
        if found:
            marker = re.search(r"(?:\b(?:for|at|from|with)\s+|@\s*)$", text[: found[0]], re.I)
            return text[found[0]:found[1]], _Span(marker.start() if marker else found[0], found[1])
    return None


# --- priority, board, status, assignee -----------------------------------------------------------

_PRIO_ADJ = r"critical|emergency|urgent|high|medium|normal|moderate|low"
_PRIORITY_PATTERNS = [
    r"\b(?P<w>(?:" + _PRIO_ADJ + r"))[\s-]+(?:priority|prio|pri|urgency)\b",
    r"\b(?:priority|prio|urgency)\s*(?:[:=]|is|of)?\s*(?P<w>(?:" + _PRIO_ADJ + r")|[1-4])\b",
    r"\b(?P<w>p[1-4]|sev(?:erity)?\s*-?\s*[1-4])\b",
    r"\b(?P<w>not\s+urgent|no\s+rush|whenever|asap|urgent|emergency|critical)\b",
    r"(?:^|[,;:(]\s*|\s[-–—]\s*)(?P<w>high|medium|normal|low)\s*(?=[,;.!)\n]|$)",
]


def _find_priority(text: str) -> tuple[str, _Span] | None:
    hits = []
    for pattern in _PRIORITY_PATTERNS:
        for m in re.finditer(pattern, text, re.I):
            word = " ".join(m.group("w").split())
            if pattern.startswith(r"\b(?:priority"):
                word = m.group(0)
            start = m.start("w") if pattern.startswith("(?:^") else m.start()
            hits.append((start, -(m.end() - start), word, _Span(start, m.end())))
    if not hits:
        return None
    hits.sort(key=lambda h: (h[0], h[1]))
    _, _, word, span = hits[0]
    return word, span


def _find_board(text: str, boards: Sequence[PSABoard]) -> tuple[str | None, list[_Span]]:
    """A board named explicitly wins; otherwise board keywords (several families -> all of them,
    so resolution can say the hint is ambiguous instead of guessing)."""
    explicit = [r"\bboard\s*[:=]\s*(?P<b>[^,;.!?\n]+?)" + _END,
                r"\b(?:on|to|in|into)\s+(?:the\s+)?(?P<b>[A-Za-z]\w*(?:\s+[A-Za-z]\w*){0,2}?)\s+board\b"]
    for pattern in explicit:
        m = re.search(pattern, text, re.I)
        if m:
            return m.group("b").strip(), [_Span(m.start(), m.end())]
    for board in boards:
        name = r"\s+".join(map(re.escape, board.name.split()))
        m = re.match(r"\s*" + name + r"\s*(?::|\s[-–—])\s*", text, re.I)  # "Service Desk: ..." prefix
        if m:
            return board.name, [_Span(m.start(), m.end())]
        m = re.search(r"(?<!\w)" + name + r"(?!\w)", text, re.I)
        if m:
            return board.name, []
    found: list[tuple[int, str, str]] = []
    for stem, words in BOARD_KEYWORDS.items():
        for word in words:
            pattern = r"(?<![\w-])" + r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", word))) + r"(?:s|es|ed|ing)?(?![\w-])"
            m = re.search(pattern, text, re.I)
            if m:
                found.append((m.start(), stem, word))
    if not found:
        return None, []
    found.sort()
    seen: dict[str, str] = {}
    for _, stem, word in found:
        seen.setdefault(stem, word.lower())
    return ", ".join(seen.values()), []


_STATUS_WORDS = r"new|in\s+progress|waiting\s+on\s+client|waiting|scheduled|escalated|resolved|closed|on\s+hold"


def _find_status(text: str) -> tuple[str, _Span] | None:
    patterns = [r"\bstatus\s*(?:[:=]|is|to|of|as)?\s*(?P<s>[A-Za-z][\w ]{0,30}?)" + _END,
                r"\b(?:mark(?:ed)?|set)\s+(?:it\s+|this\s+|the\s+ticket\s+)?(?:as|to)\s+(?P<s>" + _STATUS_WORDS + r")\b"]
    for pattern in patterns:
        m = re.search(pattern, text, re.I)
        if m:
            return " ".join(m.group("s").split()), _Span(m.start(), m.end())
    return None


_ASSIGN = r"\b(?:please\s+)?(?:assign(?:ed)?|give|hand|route)\s+(?:it\s+|this\s+|the\s+ticket\s+)?(?:over\s+)?to\s+"
_ME_PATTERNS = [
    _ASSIGN + r"(?:me|myself)\b",
    r"\bassign\s+(?:it\s+|this\s+)?(?:to\s+)?myself\b",
    r"\b(?:it'?s|this\s+is|that'?s)\s+mine\b",
    r"(?:^|(?<=[,;:.!\-–—]))\s*mine\s*(?=[,;.!\n]|$)",
    r"\bI'?ll\s+take\s+(?:it|this(?:\s+one)?)\b",
]


def _find_assignee(text: str) -> tuple[str, _Span] | None:
    for pattern in _ME_PATTERNS:
        m = re.search(pattern, text, re.I)
        if m:
            return "me", _Span(m.start(), m.end())
    m = re.search(_ASSIGN + r"@?(?P<n>[A-Za-z][\w.'\-]*)(?P<rest>\s+[A-Za-z][\w'\-]*)?", text, re.I)
    if m:
        name = m.group("n").rstrip(".'-")
        end = m.start("n") + len(name)
        rest = m.group("rest")
        if rest and rest.strip().lower() not in _STOP_AFTER_NAME and name.lower() not in _STOP_AFTER_NAME:
            name = name + " " + rest.strip()
            end = m.end("rest")
        if name.lower() in _STOP_AFTER_NAME:
            return None
        return name, _Span(m.start(), end)
    return None


# --- summary and description ---------------------------------------------------------------------

_LEAD_FILLER = re.compile(
    r"^\s*(?:(?:hi|hey|hello)[,!]?\s+)?(?:(?:please|pls|can\s+you|could\s+you)\s+)?"
    r"(?:(?:create|open|log|raise|make|add)\s+(?:an?\s+)?)?(?:new\s+)?ticket\b\s*(?:[:,\-–—]\s*)?",
    re.I,
)


def _clean(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"\s+([,;:.!?])", r"\1", text)
    text = re.sub(r"(?:[,;:]\s*)+([.!?])", r"\1", text)  # ", ." -> "."
    text = re.sub(r"([,;:])(?:\s*[,;:\-–—])+", r"\1", text)  # ", ," -> ","
    text = re.sub(r"(?:\s+[-–—])+\s*(?=[,;.!?]|$)", "", text)  # dangling dashes
    text = re.sub(r"\n\s*[,;:\-–—]\s*", "\n", text)
    text = re.sub(r"\s*\n\s*", "\n", text)
    text = text.strip(" \t\n,;:-–—").lstrip(".!? \t\n")
    text = re.sub(r"^(?:and|so|but|also)\s+", "", text, flags=re.I)
    return text.strip()


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


_ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "st", "no", "vs", "etc", "eg", "ie", "approx", "dept", "inc", "ltd", "corp",
                  "jr", "sr", "prof", "mt", "ave", "rd"}


def _first_sentence(text: str) -> str:
    """Up to the first sentence end ('.', '!', '?' then a space), newline or ';' - not after "Dr." or "e.g."."""
    for m in re.finditer(r"[.!?](?=\s)|\n|;", text):
        if m.group(0) == ".":
            word = re.search(r"([A-Za-z.]+)$", text[: m.start()])
            if word and (word.group(1).lower().replace(".", "") in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
        return text[: m.start()].strip()
    return text.strip()


def _first_clause(text: str) -> str:
    sentence = _first_sentence(text)
    sentence = sentence.rstrip(".!?").strip()
    parts = re.split(r",\s*|\s[-–—]\s|\s*:\s+", sentence, maxsplit=1)
    if len(parts) > 1 and len(parts[0].split()) >= 2:
        sentence = parts[0]
    if len(sentence) > SUMMARY_MAX:
        cut = sentence[: SUMMARY_MAX + 1]
        sentence = cut[: cut.rfind(" ")] if " " in cut else cut[:SUMMARY_MAX]
        sentence = sentence.rstrip(" ,;:-")
    return sentence.strip()


def split_summary(text: str) -> tuple[str | None, str | None]:
    """(summary, description): the summary is the first clause; the description is the whole text
    when it says more than the summary."""
    text = _clean(text)
    if not text:
        return None, None
    summary = _capitalise(_clean(_first_clause(text)))
    if not summary:
        return None, None
    description = _capitalise(text)
    if norm(description) == norm(summary):
        description = None
    return summary, description


def _remove(text: str, spans: list[_Span]) -> str:
    out, last = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < last:
            continue
        out.append(text[last:span.start])
        out.append(" ")
        last = span.end
    out.append(text[last:])
    return "".join(out)


def extract_offline(prompt: str, companies: Sequence[PSACompany] = (), boards: Sequence[PSABoard] = ()) -> Extraction:
    """Pull ticket words out of ``prompt``. ``companies``/``boards`` (optional) let it find names
    mentioned without a marker; without them only explicit markers ("for X", "X:", "@ X") work."""
    text = prompt.replace("\r\n", "\n").strip()
    result = Extraction()
    strip: list[_Span] = []

    lead = _LEAD_FILLER.match(text)
    company = _find_company(text, CompanyIndex(companies), boards)
    if company:
        result.company_name, span = company
        before = text[: span.start].rstrip()
        at_edge = not before or before[-1] in ",;:.!?\n(-–—" or (lead is not None and span.start <= lead.end())
        ends_clause = re.match(r"\s*(?:[,;:.!?\n)]|[-–—]\s|$)", text[span.end:]) is not None
        if at_edge or ends_clause:
            strip.append(span)
    if lead and lead.end() > 0 and not any(s.start == 0 for s in strip):
        strip.append(_Span(0, lead.end()))

    found = _find_priority(text)
    if found:
        result.priority_word, span = found
        if not any(span.overlaps(s) for s in strip):
            strip.append(span)
    found = _find_status(text)
    if found:
        result.status_word, span = found
        strip.append(span)
    found = _find_assignee(text)
    if found:
        result.assignee_ref, span = found
        strip.append(span)
    result.board_hint, board_spans = _find_board(text, boards)
    strip.extend(board_spans)

    spans = _merge(strip)
    result.summary, result.description = split_summary(_remove(text, spans))
    return result


def _merge(spans: list[_Span]) -> list[_Span]:
    merged: list[_Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end:
            merged[-1] = _Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(_Span(span.start, span.end))
    return merged


class OfflineEngine:
    """The default engine: no network, deterministic."""

    name = "offline"

    def extract(self, prompt: str, companies: Sequence[PSACompany] = (), boards: Sequence[PSABoard] = ()) -> Extraction:
        return extract_offline(prompt, companies, boards)


__all__ = ["Extraction", "OfflineEngine", "extract_offline", "split_summary", "PRIORITY_WORDS"]
