"""A tiny builder for ConnectWise ``conditions`` strings.

User text never reaches a ``conditions`` string unquoted: every string value is wrapped in double
quotes with backslash and double quote backslash-escaped, so a search for ``foo" OR 1=1`` stays a
literal search. Integers are checked to be integers, booleans render as ``true``/``false``,
datetimes as ``[YYYY-MM-DDTHH:MM:SSZ]`` (UTC) and ``None`` as ``null``. Field paths are checked
against ``name(/name)*`` so they cannot carry operators either.

    C.eq("board/id", 5) & (C.contains("summary", 'say "hi"') | C.eq("id", 7))
    # -> board/id = 5 and (summary contains "say \\"hi\\"" or id = 7)

``like`` patterns cannot be escaped in ConnectWise (``%`` is always a wildcard), so ``like`` only
accepts values the caller has validated; see :func:`member_identifier`. User text goes into a ``like`` only
through :meth:`C.like_text`, which turns every character ``like`` would read as a wildcard into one that
matches it (and more), so the caller keeps the rows that really contain the text (:func:`has_text`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from psa.quoting import quoted
from psa.schemas import TicketSearchQuery

_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# What ``like`` reads as wildcards: ``%`` and ``_`` (ConnectWise has no escape for them), and SQL Server's
# ``[``/``]`` character classes.
_LIKE_SPECIAL_RE = re.compile(r"[%_\[\]]")


def field(path: str) -> str:
    """A validated field path such as ``board/id`` or ``_info/dateEntered``."""
    if not isinstance(path, str) or not _FIELD_RE.match(path):
        raise ValueError(f"not a ConnectWise field path: {path!r}")
    return path


def quote(text: str) -> str:
    """A double-quoted ConnectWise string literal; control characters become spaces."""
    if not isinstance(text, str):
        raise TypeError("quote() takes a string")
    return quoted(_CONTROL_RE.sub(" ", text))


def literal(value: object) -> str:
    """Render a Python value as a ConnectWise literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return "[" + value.strftime("%Y-%m-%dT%H:%M:%SZ") + "]"
    if isinstance(value, date):
        return "[" + value.strftime("%Y-%m-%dT00:00:00Z") + "]"
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"unsupported literal type: {type(value).__name__}")


def as_int(value: object) -> int:
    """``value`` as an int, refusing bools, floats with fractions and non-numeric strings."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
        return int(value.strip())
    raise ValueError(f"expected an integer, got {value!r}")


def like_literal(text: str) -> str:
    """``text`` for the inside of a ``like`` pattern, matching at least every value that contains it: ``%``,
    ``_``, ``[`` and ``]`` cannot be escaped, so each becomes ``_`` (any one character). A value with ``x_y``
    matches the pattern of ``x%y``; :func:`has_text` tells the two apart afterwards."""
    return _LIKE_SPECIAL_RE.sub("_", _CONTROL_RE.sub(" ", text))


def text_key(text: str | None) -> str:
    """Search text as compared: control characters dropped, whitespace collapsed, casefolded."""
    text = "".join(ch for ch in (text or "") if ch.isprintable() or ch.isspace())
    return " ".join(text.split()).casefold()


def has_text(value: object, text: str) -> bool:
    """Whether ``value`` contains ``text`` (any case, whitespace collapsed): the exact test behind a ``like_text``."""
    return isinstance(value, str) and text_key(text) in text_key(value)


def member_identifier(value: str) -> str:
    """A ConnectWise member identifier safe to put inside a ``like`` pattern (no ``%``, quotes, commas)."""
    if not isinstance(value, str) or not _IDENTIFIER_RE.match(value):
        raise ValueError("member identifiers may only contain letters, digits and . _ @ -")
    return value


class Condition:
    """One node of a conditions expression. Combine with ``&`` (and) and ``|`` (or)."""

    __slots__ = ("op", "parts", "text")

    def __init__(self, text: str = "", *, op: str = "leaf", parts: tuple[Condition, ...] = ()):
        self.text = text
        self.op = op
        self.parts = parts

    def __and__(self, other: Condition) -> Condition:
        return _combine("and", self, other)

    def __or__(self, other: Condition) -> Condition:
        return _combine("or", self, other)

    def render(self, parent: str | None = None) -> str:
        if self.op == "leaf":
            return self.text
        inner = f" {self.op} ".join(part.render(self.op) for part in self.parts)
        return f"({inner})" if parent is not None and parent != self.op else inner

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Condition({self.render()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def _combine(op: str, *conditions: Condition) -> Condition:
    parts: list[Condition] = []
    for cond in conditions:
        if not isinstance(cond, Condition):
            raise TypeError("conditions combine only with conditions")
        if cond.op == op:
            parts.extend(cond.parts)
        else:
            parts.append(cond)
    return parts[0] if len(parts) == 1 else Condition(op=op, parts=tuple(parts))


def _cmp(path: str, operator: str, value: object) -> Condition:
    return Condition(f"{field(path)} {operator} {literal(value)}")


class C:
    """Constructors for conditions. Every value passes through :func:`literal`."""

    @staticmethod
    def eq(path: str, value: object) -> Condition:
        return _cmp(path, "=", value)

    @staticmethod
    def ne(path: str, value: object) -> Condition:
        return _cmp(path, "!=", value)

    @staticmethod
    def id_eq(path: str, value: object) -> Condition:
        """``path = <int>``, validating the value as an integer (``"5"`` is fine, ``"5 or 1=1"`` is not)."""
        return _cmp(path, "=", as_int(value))

    @staticmethod
    def contains(path: str, text: str) -> Condition:
        if not isinstance(text, str):
            raise TypeError("contains() takes a string")
        return Condition(f"{field(path)} contains {quote(text)}")

    @staticmethod
    def like(path: str, pattern: str) -> Condition:
        """``path like "pattern"``. ``%`` cannot be escaped in ConnectWise: pass validated text only."""
        return Condition(f"{field(path)} like {quote(pattern)}")

    @staticmethod
    def like_text(path: str, text: str) -> Condition:
        """``path like "%<text>%"`` for user text (:func:`like_literal`): every value containing it matches,
        possibly with a few that do not (a wildcard where the text had ``%`` or ``_``); see :func:`has_text`."""
        if not isinstance(text, str):
            raise TypeError("like_text() takes a string")
        return Condition(f"{field(path)} like {quote('%' + like_literal(' '.join(text.split())) + '%')}")

    @staticmethod
    def is_null(path: str) -> Condition:
        return Condition(f"{field(path)} = null")

    @staticmethod
    def all(*conditions: Condition) -> Condition:
        return _combine("and", *conditions)

    @staticmethod
    def any(*conditions: Condition) -> Condition:
        return _combine("or", *conditions)


# --- what the product asks for ------------------------------------------------------------------


def search_text(text: str) -> Condition | None:
    """Free text matches the summary, the company name or (when it is a number) the ticket id."""
    # Control characters carry no meaning in a search box; drop them before collapsing whitespace.
    text = "".join(ch for ch in (text or "") if ch.isprintable() or ch.isspace())
    text = " ".join(text.split())
    if not text:
        return None
    options = [C.contains("summary", text), C.contains("company/name", text)]
    number = text.lstrip("#")
    if number.isascii() and number.isdigit() and len(number) <= 9:
        options.append(C.eq("id", int(number)))
    return C.any(*options)


def has_resource(identifier: str) -> Condition:
    """Exact membership of ``identifier`` in the ticket's comma-separated ``resources`` string."""
    ident = member_identifier(identifier)
    return C.any(
        C.eq("resources", ident),
        C.like("resources", f"{ident}, %"),
        C.like("resources", f"%, {ident}"),
        C.like("resources", f"%, {ident}, %"),
    )


def no_resources() -> Condition:
    return C.any(C.is_null("resources"), C.eq("resources", ""))


def ticket_conditions(query: TicketSearchQuery) -> str:
    """The ``conditions`` string for a ticket search (empty string when there is nothing to filter)."""
    parts: list[Condition] = []
    if not query.include_closed:
        parts.append(C.eq("closedFlag", False))
    if query.board_id is not None:
        parts.append(C.id_eq("board/id", query.board_id))
    if query.status_id is not None:
        parts.append(C.id_eq("status/id", query.status_id))
    elif query.status_name:
        parts.append(C.eq("status/name", query.status_name))
    if query.priority_id is not None:
        parts.append(C.id_eq("priority/id", query.priority_id))
    if query.company_id is not None:
        parts.append(C.id_eq("company/id", query.company_id))
    if query.unassigned:
        parts.append(no_resources())
    elif query.assigned_identifier:
        parts.append(has_resource(query.assigned_identifier))
    if query.exclude_ticket_id is not None:
        parts.append(C.ne("id", as_int(query.exclude_ticket_id)))
    if query.parent_ticket_id is not None:
        parts.append(C.id_eq("parentTicketId", query.parent_ticket_id))
    text = search_text(query.search or "")
    if text is not None:
        parts.append(text)
    return str(C.all(*parts)) if parts else ""
