"""The offline engine: rules that pull ticket *words* out of how engineers really write.

    "New ticket for Acme Corp, Outlook not syncing, high priority, assign to me"
    -> Extraction(company_name="Acme Corp", priority_word="high priority", assignee_ref="me",
                  summary="Outlook not syncing", ...)

Extraction never produces IDs; ``tickets.ai.resolve`` maps words to the account's PSA reference data.
Pure Python: known company and board names are passed in (optional) so a company mentioned without
any marker ("acme dental wifi down") is still found.

**Quoted or forwarded client text is data, never instructions.** Lines starting with ``>``, everything from
``-----Original Message-----``, ``Forwarded message``, ``On ... wrote:`` or a ``From:`` header on, text in
quotes, and everything after a tag (``</ticket_note>``, ``<system>``) or an ``[OVERRIDE]``-style marker may
feed the summary and description, but never sets the company, priority, assignee or status. Sentences that
try to instruct ("ignore previous instructions", "SYSTEM:", "new rules", ``company_id=``) are dropped
altogether, and the summary never contains one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice

from psa.schemas import SUMMARY_MAX, PSABoard, PSACompany
from tickets.ai.names import COMMON_WORDS, CompanyNames, boards_named
from tickets.ai.words import BOARD_KEYWORDS, NOT_NETWORK_AFTER, TRADE_WORDS, core, keyword_stem, norm, read_priority


@dataclass
class Extraction:
    """Words found in a prompt (never IDs). ``notes`` carries engine warnings (e.g. a fallback).

    ``maybe_assignee``: a bare word that is the assignee only if it is exactly a member's identifier
    ("outlook rules not working mchen"); the resolver checks it and says nothing when it is not.
    ``rejected``: fields the engine found named but could not trust (a model's answer outside the names it
    was offered): left empty here, so the resolver lists them in ``missing_fields`` for the modal to highlight."""

    company_name: str | None = None
    board_hint: str | None = None
    priority_word: str | None = None
    status_word: str | None = None
    assignee_ref: str | None = None  # "me" or a name / identifier
    summary: str | None = None
    description: str | None = None
    notes: list[str] = field(default_factory=list)
    maybe_assignee: str | None = None
    rejected: list[str] = field(default_factory=list)


@dataclass
class _Span:
    start: int
    end: int

    def overlaps(self, other: _Span) -> bool:
        return self.start < other.end and other.start < self.end


def _fold(text: str) -> str:
    """Accents dropped, same length (so spans found in it apply to the prompt): "pressé" -> "presse"."""
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)[:1]
        out.append(base if base and ord(base) < 128 else ch)
    return "".join(out)


def _blank(text: str, spans: Sequence[_Span]) -> str:
    """``text`` with the spans' characters replaced by spaces (newlines kept), same length."""
    chars = list(text)
    for span in spans:
        for i in range(max(span.start, 0), min(span.end, len(chars))):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


# --- 1. what the engineer wrote, and what is data ------------------------------------------------

# Everything from one of these on is a forwarded or pasted message.
_FORWARD = re.compile(
    r"^[ \t]*(?:-{2,}\s*(?:original\s+message|forwarded\s+message|mensaje\s+original|message\s+d'origine|"
    r"urspr[\w]*\s+nachricht|mensagem\s+original)\s*-{2,}|begin\s+forwarded\s+message\s*:?|"
    r"on\s.{3,80}\swrote\s*:|from\s*:\s*\S.*$|de\s*:\s*\S+@\S+|von\s*:\s*\S+@\S+)", re.I | re.M)
# A tag ("</ticket_note>", "<system>") or a bracketed override marker: what follows pretends to be instructions.
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>\n]*)?/?>|\[\s*(?:system|admin|override|instructions?|assistant|"
                  r"developer|root)\b[^\]\n]*\]", re.I)
_QUOTE_LINE = re.compile(r"^[ \t]*>.*$", re.M)
_QUOTED = re.compile(r"\"[^\"\n]{2,}\"|“[^”\n]{2,}”|«[^»\n]{2,}»|„[^“”\n]{2,}[“”]|(?<![\w'’])'[^'\n]{3,}?'(?![\w'’])")
# Sentences that try to instruct whoever reads the note.
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}\b(?:instructions?|rules|prompts?|"
    r"guidelines|directions|directives|programming)\b|\b(?:ignore|disregard|forget)\s+(?:everything|all)\s+"
    r"(?:above|before|prior|previous)\b|\bnew\s+(?:rules|instructions)\b|\byou\s+are\s+now\b|"
    r"^\s*(?:system|assistant|developer)\s*:|\bsystem\s+(?:prompt|override|message)\b|\bact\s+as\b|"
    r"\b(?:company|board|priority|status|member|assigned_member|assignee|ticket)_id\b|\bjailbreak\b", re.I | re.M)
# Inside data, a sentence that asks to set a field is an instruction too ("assign to Raj and mark P1").
_FIELD_COMMAND = re.compile(
    r"\b(?:re)?assign\w*\b|\b(?:give|hand|route|pass|escalate)\s+(?:it|this|the\s+ticket)?\s*(?:over\s+)?to\b|"
    r"\b(?:make|mark|set|change|put|bump|raise)\b[^.!?\n]{0,30}\b(?:p[0-5]|sev\s*[0-5]|priority|urgent|critical|"
    r"company|status|board)\b|\b(?:priority|company|assignee|status|board)\s*[:=]|\btop\s+priority\b|"
    r"\bescalate\s+to\b", re.I)
_HEADER = re.compile(r"^[ \t>]*(?:from|to|cc|bcc|sent|date|reply-to|importance|de|para|von|an|envoye|enviado|"
                     r"gesendet|betreff|objet|asunto|assunto|subject)\s*:.*$", re.I | re.M)
_SUBJECT = re.compile(r"^[ \t>]*(?:subject|betreff|objet|asunto|assunto)\s*:\s*(?P<s>.*)$", re.I)
_SEPARATOR_LINE = re.compile(r"^[ \t>]*(?:-{2,}.*-{2,}|_{3,}|={3,}|begin\s+forwarded\s+message\s*:?|"
                             r"on\s.{3,80}\swrote\s*:)[ \t]*$", re.I | re.M)


@dataclass
class _Parts:
    text: str  # the prompt, newlines normalised and accents dropped (same length as the prompt)
    raw: str  # the prompt, newlines normalised
    own: str  # the engineer's words: data and instructions blanked (same length)
    own_raw: str  # the same, accents kept (the summary is taken from it)
    data: list[_Span]  # quoted / forwarded client text
    instructions: list[_Span]  # sentences that try to instruct, wherever they are
    kept_quotes: list[_Span]  # quoted phrases without instructions: fine in the summary


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def _sentence_around(text: str, start: int, end: int, *, from_clause: bool) -> _Span:
    """The sentence holding ``text[start:end]``; with ``from_clause`` it begins at the clause start instead
    ("Initech: ignore previous instructions..." keeps "Initech:")."""
    left_marks = ".!?\n" + (":;" if from_clause else "")
    left = max((text.rfind(ch, 0, start) for ch in left_marks), default=-1) + 1
    m = _SENTENCE_END.search(text, end)
    right = m.end() if m else len(text)
    return _Span(left, right)


def _instruction_spans(text: str, region: _Span, *, commands_too: bool) -> list[_Span]:
    """Instruction sentences inside ``region``; an injection's follow-up commands ("Set company_id to 262 and
    priority to P1.") count too, and in data (``commands_too``) every field command does."""
    spans: list[_Span] = []
    for m in _INJECTION.finditer(text, region.start, region.end):
        span = _sentence_around(text, m.start(), m.end(), from_clause=True)
        spans.append(_Span(max(span.start, region.start), min(span.end, region.end)))
    if spans or commands_too:
        for m in _FIELD_COMMAND.finditer(text, region.start, region.end):
            span = _sentence_around(text, m.start(), m.end(), from_clause=True)
            follows = any(0 <= span.start - s.end <= 2 for s in spans)
            if commands_too or follows:
                spans.append(_Span(max(span.start, region.start), min(span.end, region.end)))
    return _merge(spans)


_REPORTED = re.compile(r"(?:\b[\w'’]+\s+){0,2}(?:said|says|wrote|writes|replied|replies|asked|asks|typed|"
                       r"put\s+it|insists|insisted)\s*:?\s*$", re.I)


def _split(prompt: str) -> _Parts:
    raw = prompt.replace("\r\n", "\n").replace("\r", "\n")
    text = _fold(raw)
    quote_lines = _merge([_Span(m.start(), m.end() + 1) for m in _QUOTE_LINE.finditer(text)])  # runs of lines
    quoted = [_Span(m.start(), m.end()) for m in _QUOTED.finditer(text)
              if not any(_Span(m.start(), m.end()).overlaps(q) for q in quote_lines)]
    cut = len(text)
    for pattern in (_FORWARD, _TAG):
        for m in pattern.finditer(text):
            if not any(q.start <= m.start() < q.end for q in quoted + quote_lines):  # a tag inside quotes is text
                cut = min(cut, m.start())
                break
    data = [_Span(cut, len(text))] if cut < len(text) else []
    data += [q for q in quote_lines if q.start < cut]
    quotes = [q for q in quoted if q.end <= cut]
    # Reported speech ('the client said "..."'): the reporting words belong to the quote.
    reported = []
    for i, q in enumerate(quotes):
        m = _REPORTED.search(text, 0, q.start)
        if m and m.end() == q.start:
            quotes[i] = _Span(m.start(), q.end)
            reported.append(quotes[i])
    instructions: list[_Span] = []
    if _INJECTION.search(text):
        for region in _gaps(_merge(data + quotes), len(text)):
            instructions += _instruction_spans(text, region, commands_too=False)
    if _FIELD_COMMAND.search(text) or _INJECTION.search(text):
        for region in _merge(data + quotes):
            instructions += _instruction_spans(text, region, commands_too=True)
    kept = [q for q in quotes if q not in reported and not any(q.overlaps(s) for s in instructions)]
    hidden = _merge(data + quotes + instructions)
    return _Parts(text=text, raw=raw, own=_blank(text, hidden), own_raw=_blank(raw, hidden),
                  data=_merge(data + quotes), instructions=_merge(instructions), kept_quotes=kept)


def _gaps(spans: list[_Span], length: int) -> list[_Span]:
    out, last = [], 0
    for span in spans:
        if span.start > last:
            out.append(_Span(last, span.start))
        last = max(last, span.end)
    if last < length:
        out.append(_Span(last, length))
    return out


def _data_text(parts: _Parts) -> str:
    """The client's text as data for the summary and the board: no headers, no instructions, no ``>``."""
    text = _blank(parts.raw, parts.instructions)
    lines = []
    for span in parts.data:
        for line in text[span.start:span.end].split("\n"):
            subject = _SUBJECT.match(line)
            if subject:
                line = subject.group("s")
            elif _HEADER.match(line) or _SEPARATOR_LINE.match(line):
                continue
            line = line.lstrip(" \t>").strip(" \"'“”«»„")
            line = _TAG.sub(" ", line)
            if line.strip():
                lines.append(line.strip())
    return "\n".join(lines)


# --- 2. leading noise ----------------------------------------------------------------------------

_NOISE = re.compile(
    r"(?:(?:re|fw|fwd|aw|wg|tr|rv|sv)\s*(?::|(?=\s*#))|\[[^\]\n]{0,25}\]|#\s?\d+\b|"
    r"(?:ticket|case|req|request|sr|inc|incident)\s*#?\s*\d+\b(?:\s+follow[\s-]?up\b)?|follow[\s-]?up\b|"
    r"fwd?\s+from\s+[^:\n]{1,30}:|"
    r"(?:hi|hey|hello|morning|good\s+morning|afternoon|yo|hola|bonjour|hallo|ola)(?:\s+(?:team|all|guys|folks|"
    r"there|everyone|equipo|tous|zusammen))?\s*(?:[,!:.\-–—]|\n|$)|"
    r"(?:fyi|quick\s+one|quick\s+q|heads\s+up|psa|btw|note|update|todo|to\s+do)\b\s*[:,\-–—]?|"
    r"/{1,2}|\||[-–—]{1,2}|[:,;]|\s+)", re.I)


def _lead_noise_end(own: str, start: int = 0, *, content: bool = True) -> int:
    """Where the prompt's content starts: after "Re:", "Fwd:", "[EXTERNAL]", "#1234", "Ticket #88 follow up -",
    greetings, "FYI", "Quick one:" and separators; with ``content=False``, where the last of that noise ends (the
    span to strip: blanks after it may be client text)."""
    pos = last = start
    while pos < len(own):
        m = _NOISE.match(own, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group(0).strip():
            last = pos  # trailing whitespace (or blanked data) is not noise to strip
    return pos if content else last


# --- 3. company ----------------------------------------------------------------------------------

# Words that look like a "Company:" prefix but are not companies.
_NOT_COMPANY = {"urgent", "fyi", "note", "re", "fw", "fwd", "ticket", "new ticket", "status", "priority", "board",
                "summary", "issue", "problem", "update", "todo", "asap", "critical", "emergency", "high", "low",
                "medium", "normal", "assign", "assignee", "description", "details", "user", "request", "help",
                "subject", "owner", "printer", "error", "question", "client", "customer", "company", "tech",
                "users", "reason", "cause", "symptom", "symptoms", "steps", "location", "site", "device", "phone",
                "email", "contact", "asunto", "objet", "betreff", "assunto", "prio", "sev", "notes", "info"}
# Stop words: a phrase holding one is a sentence, not a company name.
_STOPWORDS = {"the", "a", "an", "from", "to", "of", "for", "with", "at", "in", "on", "and", "or", "is", "are", "was",
              "see", "my", "our", "your", "their", "this", "that", "it", "says", "said", "wrote", "called", "has",
              "have", "can", "can't", "cannot", "won't", "not", "no", "please", "pls", "by", "via"}
_GENERIC_NOUN = {"firm", "office", "company", "people", "guys", "folks", "team", "place", "shop", "store", "clinic",
                 "practice", "lot", "crew", "side"}
_DOMAIN = re.compile(r"\.(?:com|net|org|io|co|uk|us|biz|info|local|lan|ca|de|fr|es|pt|br|mx|au|nl|eu)$", re.I)
_PREFIX_SEPARATOR = re.compile(r"\s*:\s*|\s+[-–—]{1,2}\s+|\s*--\s*|\s+/{1,2}\s+|\s*\|\s*|[ \t]*\n\s*|\.\s+|\s*,\s*")
_WORD = re.compile(r"[^\W_][\w&'’.\-]*")
_END = r"(?=\s*(?:[,;:.!?\n(]|\s[-–—]\s|$))"  # end of a clause


def _not_a_company(phrase: str, boards: Sequence[PSABoard]) -> bool:
    key = norm(phrase)
    return (not key or key in _NOT_COMPANY or key in {norm(b.name) for b in boards} or keyword_stem(key) is not None
            or read_priority(phrase) is not None and len(key.split()) <= 2)


_DIGITS = re.compile(r"\d{3,}")


def _name_like(phrase: str) -> bool:
    """Could be a company nobody has heard of ("Megacorp", "Foo Industries"): a few words, none a stop word."""
    words = norm(phrase).split()
    return 1 <= len(words) <= 3 and not any(w in _STOPWORDS for w in words) and not _DIGITS.search(phrase)


def _leading_match(text: str, start: int, end: int, companies: CompanyNames, *, alone_ok: bool) -> int | None:
    """The end of the longest run of words from ``start`` that names a company strictly. A single common first
    word ("umbrella", "stark") counts only when it is the whole phrase (``alone_ok``)."""
    words = list(_WORD.finditer(text, start, min(end, start + 100)))
    lead = 1 if words and words[0].group(0).lower() in ("for", "the") else 0
    for n in range(min(len(words), lead + 6), lead, -1):
        phrase = text[words[lead].start():words[n - 1].end()]
        one = n - lead == 1
        if one and (len(core(phrase)) < 3 or (core(phrase) in COMMON_WORDS and not (alone_ok and n == len(words)))):
            continue
        if companies.strict(phrase):
            return words[n - 1].end()
    return None


def _company_at(text: str, start: int, end: int, companies: CompanyNames, *, fuzzy: bool) -> tuple[int, int] | None:
    """The company phrase that ``text[start:end]`` begins with: strict, else (``fuzzy``) a typo of a whole name,
    else "the <trade>". Returns the phrase's (start, end)."""
    words = list(_WORD.finditer(text, start, min(end, start + 100)))
    if not words:
        return None
    first = 1 if words[0].group(0).lower() == "for" else 0
    if first >= len(words):
        return None
    begin = words[first].start()
    cut = _leading_match(text, begin, end, companies, alone_ok=True)
    whole = words[-1].end()
    if fuzzy and cut != whole and len(words) - first <= 4 and companies.fuzzy(text[begin:whole]):
        return begin, whole  # "Acme Dentl" is a typo of Acme Dental, not "Acme" plus a word
    if cut:
        skip_the = _THE.match(text[begin:cut])
        return (begin + skip_the.end() if skip_the and companies.strict(text[begin + skip_the.end():cut]) else begin,
                cut)
    if words[first].group(0).lower() == "the" and len(words) > first + 1:
        return _trade_at(text, words[first:], companies)
    return None


def _trade_at(text: str, words: list[re.Match], companies: CompanyNames) -> tuple[int, int] | None:
    """"the winery", "the law firm", "the bank's": the phrase from "the" to the trade word (and a generic noun)."""
    for i in range(1, min(len(words), 3)):
        word = norm(words[i].group(0))
        if word in _STOPWORDS:
            return None
        if (word in TRADE_WORDS or len(word) >= 3) and companies.by_trade("the " + word):
            end = words[i].end()
            if i + 1 < len(words) and norm(words[i + 1].group(0)) in _GENERIC_NOUN:
                end = words[i + 1].end()
            return words[0].start(), end
    return None


_MAX_TRIES = 30  # markers tried per kind ("for X", "X's"): bounded work for a pasted wall of them
_TICKET_FOR = re.compile(r"\b(?:(?:please\s+)?(?:create|open|log|raise|make|add)\s+(?:an?\s+)?)?(?:new\s+)?"
                         r"ticket\s+for\s+(?P<c>[^,:;.!?\n]+?)" + _END, re.I)
_COMPANY_LABEL = re.compile(r"\b(?:client|company|customer|account|cliente|kunde|societe|empresa)\s*[:=]\s*"
                            r"(?P<c>[^,;.!?\n]+?)" + _END, re.I)
_AT_SPACE = re.compile(r"(?<![\w.])@\s+(?P<c>[^,;:.!?\n]+?)" + _END, re.I)
_AT_ANY = re.compile(r"(?<![\w.])@\s*(?P<c>[^,;:.!?\n]+?)" + _END, re.I)
_THE = re.compile(r"^the\s+", re.I)
_COLON_PREFIX = re.compile(r"(?P<c>[^\W\d_][\w&'’.\- ]{1,40}?)\s*:\s+")
_POSSESSIVE = re.compile(r"(?P<c>\b[^\W_][\w&.\-]*(?:\s+[^\W_][\w&.\-]*){0,3}?)['’]s\b", re.I)
_MARKED = re.compile(r"\b(?:for|at|from|with|of)\s+(?=(?P<c>[^,;:.!?\n]{1,80}))", re.I)
_MARKER_BEFORE = re.compile(r"(?:\b(?:for|at|from|with)\s+|@\s*)$", re.I)
_SUFFIXED = re.compile(r"(?P<c>[^\W\d_][\w&'’.\-]*(?:\s+[^\W\d_][\w&'’.\-]*){0,2}?\s+(?:corp|corporation|inc|llc|"
                       r"ltd|llp|gmbh|co)\b\.?)", re.I)
_LEADING_PRIORITY = re.compile(r"(?:\[?\s*(?:p[0-5]|sev\s*[0-5])\s*\]?|urgent\b!*|asap\b!*|@[^\W\d_][\w.\-]*)\s*"
                               r"(?:/{1,2}|\||[-–—:,])?\s*", re.I)
_TOKEN = re.compile(r"(?<![@\w])[\w&]+(?:[.\-][\w&]+)*")


def _find_company(own: str, start: int, companies: CompanyNames,
                  boards: Sequence[PSABoard]) -> tuple[str | None, _Span | None, list[str]] | None:
    """The company phrase and the span to strip from the summary (marker included)."""
    if companies:
        found = _find_known_company(own, start, companies, boards)
        if found:
            return found
    # Explicit markers name a company even when it is unknown (resolution then says "No company matches").
    for pattern in (_TICKET_FOR, _COMPANY_LABEL, _AT_SPACE):
        m = pattern.search(own)
        if m and not _not_a_company(m.group("c"), boards) and len(m.group("c").split()) <= 4:
            phrase = _THE.sub("", m.group("c").strip())
            return phrase, _Span(m.start(), m.end("c")), []
    m = _COLON_PREFIX.match(own, start)
    if m and _name_like(m.group("c")) and not _not_a_company(m.group("c"), boards):
        return m.group("c").strip(), _Span(m.start(), m.end()), []
    return None


def _find_known_company(own: str, start: int, companies: CompanyNames,
                        boards: Sequence[PSABoard]) -> tuple[str | None, _Span | None, list[str]] | None:
    # "New ticket for Acme Corp, ..." / "client: Initech" / "@ Globex" / "@Hooli"
    for pattern in (_TICKET_FOR, _COMPANY_LABEL, _AT_ANY):
        for m in islice(pattern.finditer(own), _MAX_TRIES):
            at = _company_at(own, m.start("c"), m.end("c"), companies, fuzzy=True)
            if at and not _not_a_company(own[at[0]:at[1]], boards):
                return own[at[0]:at[1]].strip(), _Span(m.start(), at[1]), []
    # A prefix: "Contoso: ...", "proseware - ...", "Hooli\n...", "coho winery. ...", "Re: x / Wayne / ..."
    begin = _content_start(own, start)
    stops = [m for m in _PREFIX_SEPARATOR.finditer(own, begin, min(len(own), begin + 60)) if m.start() > begin]
    candidates = [(begin, m.start(), m.end()) for m in stops if 1 <= len(own[begin:m.start()].split()) <= 5]
    # Whole prefixes first (strict, then typos), then a company the prefix starts with ("Hooli HQ").
    for whole_only, fuzzy in ((True, False), (True, True), (False, False)):
        for c_start, c_end, span_end in reversed(candidates):
            phrase = own[c_start:c_end]
            if _not_a_company(phrase, boards):
                continue
            at = _company_at(own, c_start, c_end, companies, fuzzy=fuzzy)
            if at and (at[1] == c_end or not whole_only) and not _not_a_company(own[at[0]:at[1]], boards):
                whole = at[1] == c_end
                lead_in = own[begin:at[0]].strip().lower() in ("", "for", "the", "for the")
                return own[at[0]:at[1]].strip(), _Span(begin if lead_in else at[0], span_end if whole else at[1]), []
    # Possessives ("Hooli's CEO", "the bank's ATM") and "for X", "at X", "from X", "with X"
    for m in islice(_POSSESSIVE.finditer(own, start), _MAX_TRIES):
        words = list(_WORD.finditer(own, m.start("c"), m.end("c")))
        for i in range(len(words)):
            c_start = words[i].start()
            candidate = own[c_start:m.end("c")]
            if core(candidate) in COMMON_WORDS or _not_a_company(candidate, boards):
                continue
            if companies.strict(candidate) or (candidate.lower().startswith("the ")
                                               and companies.by_trade(candidate)):
                return candidate, _Span(c_start, m.end()), []
    for m in islice(_MARKED.finditer(own, start), _MAX_TRIES):
        at = _company_at(own, m.start("c"), m.end("c"), companies, fuzzy=False)
        if at and not _not_a_company(own[at[0]:at[1]], boards):
            return own[at[0]:at[1]].strip(), _Span(m.start(), at[1]), []
    # No marker: the longest company name, identifier, distinctive word or domain mentioned anywhere - unless
    # two companies are ("Contoso/Fabrikam VPN tunnel down"): then none, and a note.
    mentioned = _mentions(own, start, companies)
    if len({tuple(c.id for c in companies.strict(_DOMAIN.sub("", own[s:e]))) for s, e in mentioned}) > 1:
        shown = ", ".join(dict.fromkeys(own[s:e] for s, e in mentioned))
        return None, None, [f"Company: the prompt names {len(mentioned)} companies ({shown}); choose one"]
    found = _scan(own, start, companies)
    if found:
        marker = _MARKER_BEFORE.search(own, 0, found[0])
        phrase = own[found[0]:found[1]]
        return (_DOMAIN.sub("", phrase) if " " not in phrase else phrase,
                _Span(marker.start() if marker else found[0], found[1]), [])
    # "the winery says ...", "the law firm needs ..." at the start
    words = list(_WORD.finditer(own, begin, min(len(own), begin + 60)))
    if words and words[0].group(0).lower() == "the":
        at = _trade_at(own, words, companies)
        if at:
            return own[at[0]:at[1]], _Span(*at), []
    # A typo of a name with its legal suffix at the start: "acmee corp printer offline"
    m = _SUFFIXED.match(own, begin)
    if m and companies.fuzzy(m.group("c")):
        return m.group("c"), _Span(m.start(), m.end()), []
    return None


def _content_start(own: str, start: int) -> int:
    """After leading noise, a leading priority ("P2 //", "[P1]", "URGENT!!!") and a leading @mention."""
    pos = _lead_noise_end(own, start)
    while True:
        m = _LEADING_PRIORITY.match(own, pos)
        if not m or m.end() == pos:
            return pos
        pos = _lead_noise_end(own, m.end())


def _mentions(own: str, start: int, companies: CompanyNames) -> list[tuple[int, int]]:
    """Every company name, identifier, distinctive first word or domain in ``own``: the longest at each place,
    in order, not overlapping."""
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(own, start)]
    longest = min(companies.longest, 5)
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            s, e = tokens[i][0], tokens[i + n - 1][1]
            phrase = own[s:e]
            if n == 1 and _DOMAIN.search(phrase):
                phrase = _DOMAIN.sub("", phrase)
            if "\n" not in phrase and companies.names_a_company(phrase):
                found.append((s, e))
                i += n - 1
                break
        i += 1
    return found


def _scan(own: str, start: int, companies: CompanyNames) -> tuple[int, int] | None:
    """The longest (then earliest) company mention in ``own``."""
    found = _mentions(own, start, companies)
    return max(found, key=lambda se: (se[1] - se[0], -se[0])) if found else None


# --- 4. priority ---------------------------------------------------------------------------------

_PNOUN = (r"(?:priority|priorities|prio|pri|prioridad|prioridade|priorite|prioritat|urgency|urgencia|urgence|"
          r"dringlichkeit)")
_RANKW = (r"(?:critical|crit|emergency|urgent|urgente|high|hi|medium|med|normal|moderate|low|lo|alta|alto|baja|"
          r"bajo|baixa|baixo|media|medio|hoch|hohe|hoher|niedrig|niedrige|mittel|mittlere|haute|elevee|eleve|basse|"
          r"faible|moyenne|normale|top|highest|lowest|standard)")
_INTENSE = r"(?:(?:very|super|really|extremely|muy|tres|sehr|muito|mega|ultra)\s+)"
_NOT_URGENT = (r"(?:no\s+rush|no\s+hurry|not\s+urgent|not\s+a\s+rush|not\s+time[\s-]sensitive|"
               r"not\s+(?:a\s+|high\s+|top\s+)?priority|not\s+important|low\s+on\s+the\s+list|"
               r"whenever(?:\s+(?:you\s+)?(?:get\s+a\s+chance|can|have\s+(?:a\s+)?(?:minute|moment|time)))?|"
               r"when\s+you\s+(?:can|get\s+a\s+chance|have\s+time)|pas\s+presse|pas\s+urgent|sin\s+prisa|"
               r"no\s+(?:es\s+)?urgente|nicht\s+(?:dringend|eilig)|keine\s+eile|sem\s+pressa|nao\s+(?:e\s+)?urgente|"
               r"sem\s+urgencia)")
# Possessive and within a line: a pasted block of blank or quoted lines must not make these quadratic.
_CLAUSE_START = r"(?:^|(?<=[,;:(!?.\n])|(?<=\s[-–—])|(?<=//))[ \t]*+"
_CLAUSE_END = r"(?:[ \t]*+(?:pls|please|plz|!+))?[ \t]*+(?=[,;.!?)\n]|\s[-–—]\s|$)"
_PRIORITY_PATTERNS = [re.compile(p, re.I) for p in (
    r"\bp[0-5]\b|\bsev(?:erity)?\s*-?\s*[0-5]\b",
    r"\b" + _PNOUN + r"\s*(?:level\s*)?[:=#]?\s*(?:is\s+|of\s+)?[0-5]\b",
    r"\b" + _INTENSE + r"?" + _RANKW + r"(?:[\s-]*ish)?[\s-]*" + _PNOUN + r"\b",
    r"\b" + _PNOUN + r"\s*[:=]?\s*(?:is\s+|of\s+)?" + _INTENSE + r"?" + _RANKW + r"\b",
    r"\b" + _NOT_URGENT + r"\b",
    r"\b" + _INTENSE + r"?(?:urgent|urgente|emergency|asap|eilig|dringend|critical(?:[\s-]*ish)?)\b(?![\s-]*(?:"
    r"updates?|patch(?:es)?|vulnerabilit\w*|alerts?|errors?|events?|warnings?|fix(?:es)?|hotfix(?:es)?|security|"
    r"care|path|" + _PNOUN + r"))",
    _CLAUSE_START + r"(?P<w>" + _INTENSE + r"?(?:high|low|medium|normal|crit|critical|highest|lowest|med|"
    r"(?:lvl|level|nivel|niveau|stufe)\s*[1-5])(?:[\s-]*ish)?)" + _CLAUSE_END,
)]


_NEGATED = re.compile(r"\b(?:not|no|isn'?t|is\s+not|never|nicht|pas|nao|no\s+es)\s+(?:very\s+|that\s+|too\s+|so\s+)?$",
                      re.I)


_MAX_HITS = 12  # priority phrases read per pattern: enough for any real note, bounded for a pasted wall of them


def _find_priority(own: str) -> tuple[str | None, list[_Span], list[str]]:
    """The priority phrase (``None`` when there is none, or when the phrases disagree), every phrase's span
    (all are stripped from the summary), and notes."""
    hits: list[tuple[int, int, str]] = []
    for pattern in _PRIORITY_PATTERNS:
        for m in pattern.finditer(own):
            group = "w" if "w" in pattern.groupindex else 0
            start, end = m.start(group), m.end(group)
            if any(s < end and start < e for s, e, _ in hits) or _NEGATED.search(own, max(0, start - 30), start):
                continue
            hits.append((start, end, " ".join(own[start:end].split())))
            if len(hits) >= _MAX_HITS:
                break
    hits.sort()
    readings = [(word, read_priority(word)) for _, _, word in hits]
    readings = [(w, r) for w, r in readings if r is not None]
    spans = [_Span(s, e) for s, e, w in hits if read_priority(w) is not None]
    if not readings:
        return None, [], []
    numbered = [(w, r) for w, r in readings if r.number is not None or r.extreme == "first" and re.search(r"\d", w)]
    chosen = numbered or readings
    values = {(r.rank, r.number, r.extreme) for _, r in chosen}
    if len(values) > 1 and not numbered:
        ranks = [r.rank if r.rank else (1 if r.extreme == "first" else 4) for _, r in chosen]
        if max(ranks) - min(ranks) >= 2:
            words = " and ".join(f'"{w}"' for w, _ in chosen)
            return None, spans, [f"Priority: {words} disagree; choose it"]
        return min(chosen, key=lambda wr: wr[1].rank or 5)[0], spans, []
    if len(values) > 1:
        words = " and ".join(f'"{w}"' for w, _ in chosen)
        return None, spans, [f"Priority: {words} disagree; choose it"]
    return chosen[0][0], spans, []


# --- 5. board ------------------------------------------------------------------------------------


# One pass over the text for every board keyword: an alternation, longest phrases first, one group per keyword.
_KEYWORDS = sorted(((stem, word) for stem, words in BOARD_KEYWORDS.items() for word in words),
                   key=lambda sw: -len(sw[1]))
_KEYWORDS_RE = re.compile("|".join(
    rf"(?P<k{i}>(?<![\w-])" + r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", word))) + r"(?:s|es|ed|ing)?(?![\w-]))"
    for i, (_, word) in enumerate(_KEYWORDS)), re.I)
_NOT_NETWORK = re.compile(r"[\s-]+(?:" + "|".join(NOT_NETWORK_AFTER) + r")\b", re.I)


_BOARD_PATTERNS = [re.compile(p, re.I) for p in (
    r"\bboard\s*[:=]\s*(?P<b>[^,;.!?\n]+?)" + _END,
    r"\b(?:on|to|in|into)\s+(?:the\s+)?(?P<b>[^\W\d_]\w*(?:\s+[^\W\d_]\w*){0,2}?)\s+board\b",
    r"(?P<b>\b[^\W\d_][\w-]*(?:\s+[^\W\d_][\w-]*){0,2}?)\s+board\b",
)]


def _find_board(own: str, boards: Sequence[PSABoard]) -> tuple[str | None, list[_Span]]:
    """A board named explicitly wins; otherwise board keywords. A security incident goes to security even when
    it also mentions the network; other families pointing at several boards are all returned, so resolution
    says the hint is ambiguous instead of guessing."""
    for pattern in _BOARD_PATTERNS:
        for m in pattern.finditer(own):
            named = m.group("b").strip()
            words = named.split()
            # "netwrk ops board": the shortest tail of the words before "board" that names a board
            for i in range(len(words)):
                tail = " ".join(words[i:])
                if boards_named(tail, boards) or keyword_stem(tail) or not boards:
                    return tail, [_Span(m.start("b") + named.find(words[i]) if i else m.start(), m.end())]
    for board in boards:
        name = r"\s+".join(map(re.escape, board.name.split()))
        m = re.match(r"\s*" + name + r"\s*(?::|\s[-–—])\s*", own, re.I)  # "Service Desk: ..." prefix
        if m:
            return board.name, [_Span(m.start(), m.end())]
    keywords = _board_keywords(own)
    if keywords and keyword_stem(keywords.split(",")[0]) == "security":
        return keywords, []  # an incident: the security board even when a board's name appears in passing
    for board in boards:
        name = r"\s+".join(map(re.escape, board.name.split()))
        for m in re.finditer(r"(?<!\w)" + name + r"(?!\w)", own, re.I):
            if not _NOT_NETWORK.match(own, m.end()):
                return board.name, []
    return keywords, []


def _board_keywords(text: str) -> str | None:
    found: list[tuple[int, str, str]] = []
    for m in _KEYWORDS_RE.finditer(text):
        stem, word = _KEYWORDS[int(m.lastgroup[1:])]
        if stem == "network" and _NOT_NETWORK.match(text, m.end()):
            continue
        found.append((m.start(), stem, word))
    if not found:
        return None
    security = [f for f in found if f[1] == "security"]
    if security:
        return min(security)[2].lower()
    found.sort()
    seen: dict[str, str] = {}
    for _, stem, word in found:
        seen.setdefault(stem, word.lower())
    return ", ".join(seen.values())


# --- 6. status -----------------------------------------------------------------------------------

_STATUS_WORDS = r"new|in\s+progress|waiting\s+on\s+client|waiting|scheduled|escalated|resolved|closed|on\s+hold"


_STATUS_PATTERNS = [
    re.compile(r"\bstatus\s*(?:[:=]|is|to|of|as)?\s*(?P<s>[A-Za-z][\w ]{0,30}?)" + _END, re.I),
    re.compile(r"\b(?:mark(?:ed)?|set)\s+(?:it\s+|this\s+|the\s+ticket\s+)?(?:as|to)\s+(?P<s>" + _STATUS_WORDS + r")\b",
               re.I),
]


def _find_status(own: str) -> tuple[str, _Span] | None:
    for pattern in _STATUS_PATTERNS:
        m = pattern.search(own)
        if m:
            return " ".join(m.group("s").split()), _Span(m.start(), m.end())
    return None


# --- 7. assignee ---------------------------------------------------------------------------------

_NAME = r"@?(?P<n>[^\W\d_][\w.'’\-]*)(?P<rest>[ \t]+[A-Z][\w'’\-]*)?"
_NOT_A_NAME = {"the", "a", "an", "it", "this", "that", "them", "him", "her", "us", "you", "someone", "somebody",
               "anyone", "team", "everyone", "everybody", "whoever", "la", "el", "le", "les", "los", "las", "der",
               "die", "das", "o", "os", "as", "support", "network", "helpdesk", "desk", "client", "customer",
               "user", "users", "which", "what", "who", "reception", "finance", "accounts", "accounting", "marketing",
               "sales", "hr", "on", "in", "at", "for", "to", "and", "or", "with", "his", "our", "their",
               "me", "myself", "mine", "i", "i'll", "i'm", "i've", "i'd", "we", "we'll", "we're", "im", "ill"}
_ME = [re.compile(p, re.I) for p in (
    r"\b(?:(?:re)?assign(?:ed|ing)?|give|hand|pass|route|send)\s+(?:it\s+|this\s+(?:one\s+)?|the\s+ticket\s+)?"
    r"(?:over\s+)?to\s+(?:me|myself)\b",
    r"\bassign\s+(?:it\s+|this\s+)?(?:to\s+)?myself\b",
    r"\b(?:it'?s|this\s+is|that'?s|its)\s+mine\b",
    r"(?:^|(?<=[,;:.!\-–—]))\s*mine\s*(?=[,;.!\n]|$)",
    r"\bI'?(?:ll|\s+will)\s+(?:take|handle|grab|do|look\s+at|check|own)\s+(?:it|this(?:\s+one)?|that)\b",
    r"\bI'?ve\s+got\s+(?:it|this(?:\s+one)?)\b|\bI\s+got\s+(?:it|this(?:\s+one)?)\b",
    r"\bI'?m\s+on\s+(?:it|this)\b|\b(?:taking|grabbing|handling)\s+(?:it|this(?:\s+one)?)\b",
    _CLAUSE_START + r"on\s+me\s*(?=[,;.!\n]|$)",
    _CLAUSE_START + r"me\s+to\s+(?:look|check|handle|fix|take)\b",
    r"\b(?:para|a)\s+mi\b(?=\s*(?:[,;.!\n]|$))|\bpour\s+moi\b|\bfur\s+mich\b|\bpara\s+mim\b|\bje\s+m'en\s+occupe\b|"
    r"\bich\s+(?:ubernehme|mach(?:e)?\s+das)\b|\blo\s+tomo\s+yo\b|\bme\s+lo\s+quedo\b|\beu\s+pego\b",
)]
_TO_VERBS = r"(?:look|check|handle|take|fix|investigate|review|sort|see|set\s+up|setup|have\s+a\s+look|deal|follow\s+up)"
_OTHERS = [re.compile(p, re.I) for p in (
    r"\b(?:please\s+)?(?:re)?assign(?:ed|ing)?\s+(?:it\s+|this\s+(?:one\s+|ticket\s+)?|the\s+ticket\s+)?(?:over\s+)?"
    r"to\s+" + _NAME,
    r"\b(?:give|hand|pass|route|send|throw|toss)\s+(?:it\s+|this\s+(?:one\s+)?|the\s+ticket\s+)?(?:over\s+)?to\s+"
    + _NAME,
    r"\b(?:assign(?:ee)?|owner|tech|engineer|assigned|zustandig|responsable|responsavel|asignado|encargado|"
    r"assigne|zugewiesen)\s*[:=]\s*" + _NAME,
    r"(?:->|=>|→)\s*" + _NAME,
    r"\bover\s+to\s+(?:you\s+)?" + _NAME + r"(?=" + _CLAUSE_END + r")",
    _CLAUSE_START + _NAME + r",?\s+(?:can|could|would|will)\s+you\s+(?:please\s+|pls\s+)?" + _TO_VERBS + r"\b",
    r"\b(?:(?:se\s+)?(?:lo|la|le)\s+)?(?:paso|pasa|passe|passo|gebe|gib)\s+(?:es\s+)?(?:a|al|an|para|ao|au)\s+"
    r"(?:o\s+|a\s+)?" + _NAME,
    r"\b(?:can\s+you\s+)?get\s+" + _NAME + r"\s+on\s+(?:this|it)\b",
    r"\bfor\s+" + _NAME + r"\s+to\s+" + _TO_VERBS + r"\b",
    r"\bescalate\s+(?:it\s+|this\s+)?to\s+" + _NAME,
    # Spanish / Portuguese / French / German
    r"\bas[ií]gn\w*\s+(?:a|al)\s+" + _NAME,
    r"\bque\s+lo\s+(?:vea|revise|mire|haga|tome|atienda)\s+" + _NAME,
    r"\b(?:assigner|attribuer|affecter|assigne|attribue|affecte)\s+(?:a|au)\s+" + _NAME,
    r"\ban\s+" + _NAME + r"\s+(?:zuweisen|zuordnen|geben|ubergeben|weiterleiten)\b",
    r"\b(?:zuweisen|zuordnen|ubergeben)\s+an\s+" + _NAME,
    r"\batribu\w*\s+(?:a|ao|para)\s+(?:o\s+|a\s+)?" + _NAME,
    _CLAUSE_START + r"(?:para|pour|fur)\s+(?:el\s+|la\s+|le\s+|o\s+|a\s+)?" + _NAME + r"(?=" + _CLAUSE_END + r")",
    _CLAUSE_START + _NAME + r"\s+(?:to|can|should|will|could|pls|please|plz)?\s*(?:pls\s+|please\s+)?"
    + _TO_VERBS + r"\b",
)]
_MENTION = re.compile(r"(?<![\w.])@(?P<n>[^\W\d_][\w.\-]*)")
_NOT_ASSIGNEE_BEFORE = re.compile(r"\b(?:cc|bcc|copy|cc:)\s*$", re.I)
_BARE_END = re.compile(r"(?:^|\s)(?P<n>[a-z][a-z0-9._-]{3,15})\s*(?:pls|please|plz|thx|thanks|ty)?[\s.!]*$")


def _find_assignee(own: str, companies: CompanyNames) -> tuple[str, _Span] | None:
    hits = []
    for pattern in _ME:
        m = pattern.search(own)
        if m:
            hits.append((m.start(), "me", _Span(m.start(), m.end())))
    for pattern in _OTHERS:
        for m in pattern.finditer(own):
            name = m.group("n").rstrip(".'’-")
            if name.lower() in _NOT_A_NAME or read_priority(name) is not None:
                continue
            if _NOT_ASSIGNEE_BEFORE.search(own[:m.start()]):
                continue
            end = m.start("n") + len(name)
            rest = m.group("rest")
            if rest and rest.strip().lower() not in _NOT_A_NAME and not companies.strict(rest):
                name, end = name + " " + rest.strip(), m.end("rest")
            span_end = max(end, m.end()) if "n" in pattern.groupindex and m.end() > end else end
            hits.append((m.start("n"), name, _Span(m.start(), span_end)))
            break
    # "@lbrown", "@Sam": a mention that is not a company
    for m in _MENTION.finditer(own):
        if not companies.strict(m.group("n")):
            hits.append((m.start(), m.group("n").rstrip(".-"), _Span(m.start(), m.end())))
            break
    if not hits:
        return None
    hits.sort(key=lambda h: h[0])
    _, name, span = hits[0]
    return name, span


def _maybe_assignee(own: str, spans: Sequence[_Span]) -> str | None:
    """The last word, when it could be a member's identifier ("... not working mchen", "emartin pls")."""
    first_line = own.strip().split("\n")[0]
    m = _BARE_END.search(first_line)
    if not m:
        return None
    offset = own.find(first_line)
    start = offset + m.start("n")
    if any(s.start <= start < s.end for s in spans) or m.group("n") in _NOT_A_NAME:
        return None
    return m.group("n")


# --- 8. summary and description ------------------------------------------------------------------

_LEAD_FILLER = re.compile(
    r"^\s*(?:(?:hi|hey|hello)[,!]?\s+)?(?:(?:please|pls|can\s+you|could\s+you)\s+)?"
    r"(?:(?:create|open|log|raise|make|add)\s+(?:an?\s+)?)?(?:new\s+)?ticket\b\s*(?:[:,\-–—]\s*)?",
    re.I,
)
# Clauses that only say where the text came from ("the user wrote", "Michael called", "see below").
_REPORTING = re.compile(
    r"^(?:(?:the\s+|our\s+|their\s+|a\s+)?[\w'’]+(?:\s+[\w'’]+)?"
    r"(?:\s+(?:from|at|of|in)\s+[\w'’.&]+(?:\s+[\w'’.&]+){0,2})?\s+(?:says|said|wrote|writes|replied|replies|called|"
    r"rang|phoned|emailed|mailed|reports|reported|asked|asks|mentioned|messaged|texted)|"
    r"(?:please\s+)?see\s+(?:below|above|the\s+.{0,30}|attached)|forwarding\b.*|fwd?\s+from\b.*|"
    r"(?:a\s+)?note\s+from\b.*|from\s+(?:the\s+)?(?:client|customer|user|caller)\b.*|"
    r"client\s+(?:note|email|mail|message)|from\s+the\s+.{0,30}\s+call|"
    r"(?:thanks|thank\s+you|thx|cheers|ty|regards)\b.*|details\s+below|as\s+below|"
    r"(?:as\s+)?per\s+(?:the|our|their|my|your)\s+.{0,40}|according\s+to\s+.{0,40}|"
    r"(?:after\s+)?(?:talking|speaking|spoke)\s+(?:to|with)\s+.{0,40}|(?:please\s+)?(?:ignore|disregard)\b.*)$", re.I)
_LABEL = re.compile(r"^(?P<k>issue|problem|summary|subject|symptom|request|error|asunto|objet|betreff|assunto)\s*:\s*"
                    r"(?P<v>.+)$", re.I)
_OTHER_LABEL = re.compile(r"^[A-Z][\w ]{0,20}:\s+\S")
_TRAILING = re.compile(r"(?:[\s,;:\-–—]+(?:thanks|thank\s+you|thx|ty|cheers|pls|please|plz|asap))+\s*[.!]*$", re.I)
_DANGLING = {"a", "an", "and", "because", "but", "by", "for", "from", "its", "of", "or", "so", "that", "the", "their",
             "which", "with", "to", "when", "while", "since", "if", "as", "at", "in", "on", "our", "my", "your"}
_BOUNDARY = re.compile(r"\s+(?=(?:because|since|when|while|which|but|and|so|that|after|before|as|if|even\s+though|"
                       r"though|although|where|whenever|until|unless|usually|however|then)\b)|\s*[,;:]\s+|\s[-–—]\s",
                       re.I)


_CLEANUPS = [(re.compile(p, f), r) for p, r, f in (
    (r"[ \t]+", " ", 0),
    (r"\(\s*\)|\[\s*\]|\{\s*\}|<\s*>|\"\s*\"|“\s*”|'\s*'(?!\w)", "", 0),
    (r"\s+([,;:.!?])", r"\1", 0),
    (r"(?:[,;:]\s*)+([.!?])", r"\1", 0),  # ", ." -> "."
    (r"([,;:])(?:\s*[,;:\-–—])+", r"\1", 0),  # ", ," -> ","
    (r"(?:\s+(?:[-–—]{1,2}|/{1,2}|\||->|=>))+\s*(?=[,;.!?\n]|$)", "", 0),  # dangling separators
    (r"\n\s*(?:[,;:\-–—|/]+\s*)+", "\n", 0),
    (r"\s*\n\s*", "\n", 0),
)]
_LEADING_CONJUNCTION = re.compile(r"^(?:and|so|but|also)\s+", re.I)


def _clean(text: str) -> str:
    for pattern, replacement in _CLEANUPS:
        text = pattern.sub(replacement, text)
    text = text.strip(" \t\n,;:-–—|/").lstrip(".!? \t\n")
    text = _LEADING_CONJUNCTION.sub("", text)
    return text.strip()


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


_ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "st", "no", "vs", "etc", "eg", "ie", "approx", "dept", "inc", "ltd", "corp",
                  "jr", "sr", "prof", "mt", "ave", "rd"}


_SENTENCE_BREAK = re.compile(r"[.!?]+(?=\s)|\n|;")
_LAST_WORD = re.compile(r"([A-Za-z.]+)$")
_CLAUSE_SPLIT = re.compile(r",\s*|\s[-–—]\s|\s*:\s+|\s+/{1,2}\s+|\s*\|\s*")
_KEY_VALUE_WORDS = re.compile(r"^\w+\s*:\s*\w+\s+\w+")
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def _sentences(text: str) -> list[str]:
    """Sentences ('.', '!', '?' then a space, a newline or ';') - "Dr." and "e.g." do not end one."""
    out, last = [], 0
    for m in _SENTENCE_BREAK.finditer(text):
        if m.group(0) == ".":
            word = _LAST_WORD.search(text, 0, m.start())
            if word and (word.group(1).lower().replace(".", "") in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
        out.append(text[last:m.start()])
        last = m.end()
    out.append(text[last:])
    return [s.strip() for s in out if s.strip()]


def _trim_to_fit(sentence: str) -> str:
    """A sentence cut to ``SUMMARY_MAX`` at a clause boundary ("..., because", " when ", " - "), else at a word,
    never ending on "and", "the", "to"..."""
    if len(sentence) <= SUMMARY_MAX:
        return sentence
    cuts = [m.start() for m in _BOUNDARY.finditer(sentence)
            if 20 <= m.start() <= SUMMARY_MAX and not _REPORTING.match(sentence[:m.start()])]
    if cuts:
        sentence = sentence[:cuts[-1]]
    else:
        head = sentence[: SUMMARY_MAX + 1]
        sentence = head[: head.rfind(" ")] if " " in head else head[:SUMMARY_MAX]
    words = sentence.rstrip(" ,;:-–—").split(" ")
    while len(words) > 3 and words[-1].lower().strip(",;:") in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(" ,;:-–—")


def _first_clause(sentence: str) -> str | None:
    """The summary a sentence gives: its label's value ("Issue: x"), its first clause when that has two words
    or more, else the sentence; ``None`` when it only says where the text came from."""
    sentence = _TRAILING.sub("", sentence.rstrip(".!? ")).strip()
    label = _LABEL.match(sentence)
    if label:
        sentence = label.group("v").strip()
    elif _OTHER_LABEL.match(sentence) and not _KEY_VALUE_WORDS.match(sentence):
        return None  # "User: Mary" is detail, not a summary
    parts = [p.strip() for p in _CLAUSE_SPLIT.split(sentence) if p.strip()]
    parts = [p for p in parts if not _REPORTING.match(p)]
    if not parts:
        return None
    head = parts[0] if len(parts[0].split()) >= 2 or len(parts) == 1 else None
    if head is None:
        return sentence if not _REPORTING.match(sentence) else None
    return _trim_to_fit(head)


def _summary_from(text: str) -> str | None:
    for sentence in _sentences(_clean(text)):
        clause = _first_clause(sentence)
        clause = _clean(clause or "")
        if (clause and _LETTERS.search(clause) and not _REPORTING.match(clause)
                and not (len(clause.split()) <= 3 and read_priority(clause) is not None)):
            return _capitalise(clause)
    return None


def split_summary(text: str) -> tuple[str | None, str | None]:
    """(summary, description): the summary is the first clause that says what is wrong; the description is
    the whole text when it says more than the summary."""
    text = _clean(text)
    if not text:
        return None, None
    summary = _summary_from(text)
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


def _merge(spans: list[_Span]) -> list[_Span]:
    merged: list[_Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end:
            merged[-1] = _Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(_Span(span.start, span.end))
    return merged


# --- the engine ----------------------------------------------------------------------------------


_ENDS_CLAUSE = re.compile(r"\s*(?:[,;:.!?\n)|/]|[-–—]\s|$)")


def extract_offline(prompt: str, companies: Sequence[PSACompany] = (), boards: Sequence[PSABoard] = ()) -> Extraction:
    """Pull ticket words out of ``prompt``. ``companies``/``boards`` (optional) let it find names
    mentioned without a marker; without them only explicit markers ("for X", "X:", "@ X") work."""
    parts = _split(prompt.strip())
    own = parts.own
    names = CompanyNames(companies)
    result = Extraction()
    strip: list[_Span] = [_Span(0, _lead_noise_end(own, content=False))]

    lead = _LEAD_FILLER.match(own)
    if lead and lead.end() > 0:
        strip.append(_Span(0, lead.end()))
    start = lead.end() if lead else 0
    company = _find_company(own, start, names, boards)
    if company:
        result.company_name, span, notes = company
        result.notes += notes
    if company and span is not None:
        before = own[: span.start].rstrip()
        at_edge = (not before or before[-1] in ",;:.!?\n(-–—/|]" or span.start <= _content_start(own, 0)
                   or (lead is not None and span.start <= lead.end()))
        ends_clause = _ENDS_CLAUSE.match(own, span.end) is not None
        if at_edge or ends_clause:
            strip.append(span)

    result.priority_word, spans, notes = _find_priority(own)
    strip += spans
    result.notes += notes
    found = _find_status(own)
    if found:
        result.status_word, span = found
        strip.append(span)
    found = _find_assignee(own, names)
    if found:
        result.assignee_ref, span = found
        strip.append(span)
    result.board_hint, board_spans = _find_board(own, boards)
    strip.extend(board_spans)
    data = _data_text(parts)
    if result.board_hint is None and data:
        result.board_hint = _board_keywords(data)
    if result.assignee_ref is None:
        result.maybe_assignee = _maybe_assignee(own, strip)

    spans = _merge(strip)
    # The summary: the engineer's words minus the field phrases (quotes without instructions kept), else the
    # client's text; never an instruction.
    own_with_quotes = list(parts.own_raw)
    for q in parts.kept_quotes:
        own_with_quotes[q.start:q.end] = parts.raw[q.start:q.end]
    mine = _remove("".join(own_with_quotes), spans)
    summary = _summary_from(_lead_cleanup(mine)) or (_summary_from(data) if data else None)
    result.summary = summary
    # The description: everything else, the client's text included (as data), instructions left out.
    described = _TAG.sub(" ", _remove(_blank(parts.raw, parts.instructions), spans))
    description = _capitalise(_clean(_lead_cleanup(described)))
    result.description = None if not description or norm(description) == norm(summary or "") else description
    return result


def _lead_cleanup(text: str) -> str:
    """Leading noise left after the fields were taken out ("Re #1234 ", "FW: | ")."""
    return text[_lead_noise_end(text):]


class OfflineEngine:
    """The default engine: no network, deterministic."""

    name = "offline"

    def extract(self, prompt: str, companies: Sequence[PSACompany] = (), boards: Sequence[PSABoard] = (),
                **_ignored) -> Extraction:
        return extract_offline(prompt, companies, boards)


__all__ = ["Extraction", "OfflineEngine", "extract_offline", "split_summary"]
