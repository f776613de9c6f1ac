"""ConnectWise query language for the sandbox: ``conditions``, ``orderBy`` and ``fields``.

``conditions`` is parsed by a small tokenizer and a recursive-descent parser into an AST of small
frozen dataclasses, then evaluated against the JSON objects the sandbox serves::

    expr       := and_expr (OR and_expr)*
    and_expr   := unary (AND unary)*
    unary      := NOT unary | '(' expr ')' | comparison
    comparison := PATH op value
                | PATH [NOT] (LIKE | CONTAINS) value
                | PATH [NOT] IN '(' value (',' value)* ')'
    op         := = | != | <> | < | <= | > | >=
    value      := "string" | 'string' | number | [ISO datetime] | true | false | null

Keywords are case-insensitive; strings use backslash escapes (``\\"``, ``\\'``, ``\\\\``).
String comparison is case-insensitive, like SQL Server's default collation. A path slashes into
nested objects (``board/id``); a top-level name that is not a property is looked up in ``_info``
(``dateEntered``, ``lastUpdated``), as ConnectWise allows. A missing value is null: every positive
comparison with null is false, and ``!=`` / ``not ...`` are the plain negation of their positive form.

Every problem raises :class:`QueryError` (the sandbox answers 400); nothing else escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psa.quoting import read_quoted

MAX_DEPTH = 50
MAX_LENGTH = 8000


class QueryError(ValueError):
    """A ``conditions`` / ``orderBy`` / ``fields`` value the sandbox cannot accept (HTTP 400)."""


# --- tokenizer -----------------------------------------------------------------------------------

KEYWORDS = {"and", "or", "not", "like", "contains", "in", "null", "true", "false"}
_OPS = ("<=", ">=", "!=", "<>", "=", "<", ">")


@dataclass(frozen=True)
class Token:
    kind: str  # PATH KEYWORD OP STRING NUMBER DATE LPAREN RPAREN COMMA END
    value: Any
    pos: int


_PATH_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()," :
            tokens.append(Token({"(": "LPAREN", ")": "RPAREN", ",": "COMMA"}[ch], ch, i))
            i += 1
            continue
        if ch in "\"'":
            value, end = read_quoted(text, i)
            if end is None:
                raise QueryError(f"unterminated string starting at position {i}")
            i = end
            tokens.append(Token("STRING", value, i))
            continue
        if ch == "[":
            end = text.find("]", i + 1)
            if end < 0:
                raise QueryError(f"unterminated datetime literal starting at position {i}")
            tokens.append(Token("DATE", parse_datetime_literal(text[i + 1:end], i), i))
            i = end + 1
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op:
            tokens.append(Token("OP", "!=" if op == "<>" else op, i))
            i += len(op)
            continue
        m = _NUMBER_RE.match(text, i)
        if m and (ch != "-" or m.end() > i + 1):
            raw = m.group()
            tokens.append(Token("NUMBER", float(raw) if "." in raw else int(raw), i))
            i = m.end()
            continue
        m = _PATH_RE.match(text, i)
        if m:
            word = m.group()
            if word.lower() in KEYWORDS:
                tokens.append(Token("KEYWORD", word.lower(), i))
            else:
                tokens.append(Token("PATH", word, i))
            i = m.end()
            continue
        raise QueryError(f"unexpected character {ch!r} at position {i}")
    tokens.append(Token("END", None, n))
    return tokens


def parse_datetime_literal(raw: str, pos: int = 0) -> datetime:
    value = raw.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise QueryError(f"invalid datetime [{raw}] at position {pos}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- AST -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Or:
    left: Any
    right: Any

    def evaluate(self, obj: dict) -> bool:
        return self.left.evaluate(obj) or self.right.evaluate(obj)


@dataclass(frozen=True)
class And:
    left: Any
    right: Any

    def evaluate(self, obj: dict) -> bool:
        return self.left.evaluate(obj) and self.right.evaluate(obj)


@dataclass(frozen=True)
class Not:
    operand: Any

    def evaluate(self, obj: dict) -> bool:
        return not self.operand.evaluate(obj)


@dataclass(frozen=True)
class Comparison:
    path: str
    op: str  # = != < <= > >= like contains in
    value: Any  # literal, or a tuple of literals for "in"

    def evaluate(self, obj: dict) -> bool:
        return any(_compare(v, self.op, self.value) for v in resolve(obj, self.path))


# --- parser --------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_keyword(self, word: str) -> bool:
        return self.tok.kind == "KEYWORD" and self.tok.value == word

    def fail(self, expected: str):
        tok = self.tok
        found = "end of input" if tok.kind == "END" else repr(tok.value)
        raise QueryError(f"expected {expected} at position {tok.pos}, found {found}")

    def parse(self):
        node = self.expr()
        if self.tok.kind != "END":
            self.fail("'and', 'or' or end of input")
        return node

    def expr(self):
        node = self.and_expr()
        while self.is_keyword("or"):
            self.take()
            node = Or(node, self.and_expr())
        return node

    def and_expr(self):
        node = self.unary()
        while self.is_keyword("and"):
            self.take()
            node = And(node, self.unary())
        return node

    def unary(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"conditions nested deeper than {MAX_DEPTH} levels")
        try:
            if self.is_keyword("not"):
                self.take()
                return Not(self.unary())
            if self.tok.kind == "LPAREN":
                self.take()
                node = self.expr()
                if self.tok.kind != "RPAREN":
                    self.fail("')'")
                self.take()
                return node
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self):
        if self.tok.kind != "PATH":
            self.fail("a field name")
        path = self.take().value
        if self.tok.kind == "OP":
            op = self.take().value
            return Comparison(path, op, self.value())
        negate = False
        if self.is_keyword("not"):
            self.take()
            negate = True
        if self.is_keyword("like") or self.is_keyword("contains"):
            op = self.take().value
            literal = self.value()
            if op == "like" and not isinstance(literal, str):
                literal = _as_text(literal)
            node = Comparison(path, op, _LikePattern(literal) if op == "like" else literal)
        elif self.is_keyword("in"):
            self.take()
            if self.tok.kind != "LPAREN":
                self.fail("'(' after 'in'")
            self.take()
            values = [self.value()]
            while self.tok.kind == "COMMA":
                self.take()
                values.append(self.value())
            if self.tok.kind != "RPAREN":
                self.fail("',' or ')' in the 'in' list")
            self.take()
            node = Comparison(path, "in", tuple(values))
        else:
            self.fail("an operator (=, !=, <, <=, >, >=, like, contains, in)" if not negate
                      else "'like', 'contains' or 'in' after 'not'")
        return Not(node) if negate else node

    def value(self):
        tok = self.tok
        if tok.kind in ("STRING", "NUMBER", "DATE"):
            self.take()
            return tok.value
        if tok.kind == "KEYWORD" and tok.value in ("true", "false", "null"):
            self.take()
            return {"true": True, "false": False, "null": None}[tok.value]
        self.fail("a value (string, number, [datetime], true, false or null)")


def parse_conditions(text: str | None):
    """Parse a ``conditions`` string into an AST (``None`` for empty input)."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_LENGTH:
        raise QueryError(f"conditions longer than {MAX_LENGTH} characters")
    return _Parser(text).parse()


def paths_in(node) -> list[str]:
    """Every field path a parsed condition refers to."""
    if node is None:
        return []
    if isinstance(node, Comparison):
        return [node.path]
    if isinstance(node, Not):
        return paths_in(node.operand)
    return paths_in(node.left) + paths_in(node.right)


def rename_paths(node, rename):
    """A copy of ``node`` with every path passed through ``rename`` (e.g. to fix the letter case)."""
    if node is None:
        return None
    if isinstance(node, Comparison):
        return Comparison(rename(node.path), node.op, node.value)
    if isinstance(node, Not):
        return Not(rename_paths(node.operand, rename))
    return type(node)(rename_paths(node.left, rename), rename_paths(node.right, rename))


# --- evaluation ----------------------------------------------------------------------------------


class _LikePattern:
    __slots__ = ("text", "regex")

    def __init__(self, text: str):
        self.text = text
        parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in text]
        self.regex = re.compile("".join(parts), re.IGNORECASE | re.DOTALL)

    def __eq__(self, other):
        return isinstance(other, _LikePattern) and other.text == self.text

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return f"like({self.text!r})"


def resolve(obj: Any, path: str) -> list[Any]:
    """All values at ``path`` (several when the path crosses an array); ``[None]`` when missing."""
    parts = path.split("/")
    if isinstance(obj, dict) and parts[0] not in obj and isinstance(obj.get("_info"), dict):
        if parts[0] in obj["_info"]:
            obj = obj["_info"]
    values = [obj]
    for part in parts:
        nxt: list[Any] = []
        for v in values:
            if isinstance(v, list):
                nxt.extend(item.get(part) if isinstance(item, dict) else None for item in v)
            elif isinstance(v, dict):
                nxt.append(v.get(part))
            else:
                nxt.append(None)
        values = nxt
    flat: list[Any] = []
    for v in values:
        if isinstance(v, list):
            flat.extend(v or [None])
        else:
            flat.append(v)
    return flat or [None]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_datetime_literal(value)
        except QueryError:
            return None
    return None


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _ordered(field: Any, literal: Any) -> tuple[Any, Any] | None:
    """The two operands made comparable (case-folded strings, numbers, datetimes), or None."""
    if isinstance(literal, datetime) or isinstance(field, datetime):
        a, b = _to_datetime(field), _to_datetime(literal)
        return (a, b) if a is not None and b is not None else None
    if isinstance(field, bool) or isinstance(literal, bool):
        if isinstance(field, bool) and isinstance(literal, bool):
            return field, literal
        if isinstance(field, bool) and isinstance(literal, str) and literal.lower() in ("true", "false"):
            return field, literal.lower() == "true"
        return None
    if isinstance(field, int | float) or isinstance(literal, int | float):
        a, b = _to_number(field), _to_number(literal)
        return (a, b) if a is not None and b is not None else None
    if isinstance(field, str) and isinstance(literal, str):
        return field.casefold(), literal.casefold()
    return None


def _compare(field: Any, op: str, literal: Any) -> bool:
    if op == "in":
        return any(_compare(field, "=", item) for item in literal)
    if op == "!=":
        return not _compare(field, "=", literal)
    if literal is None:
        return op == "=" and field is None
    if field is None or isinstance(field, dict | list):
        return False
    if op == "like":
        return literal.regex.fullmatch(_as_text(field)) is not None
    if op == "contains":
        return _as_text(literal).casefold() in _as_text(field).casefold()
    pair = _ordered(field, literal)
    if pair is None:
        return False
    a, b = pair
    try:
        if op == "=":
            return a == b
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        if op == ">=":
            return a >= b
    except TypeError:
        return False
    return False


def matches(node, obj: dict) -> bool:
    return True if node is None else node.evaluate(obj)


# --- orderBy and fields --------------------------------------------------------------------------

_ORDER_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)\s*(?:\s(asc|desc))?\s*$", re.I)


def parse_order_by(text: str | None) -> list[tuple[str, bool]]:
    """``"priority/sort asc, id desc"`` -> ``[("priority/sort", False), ("id", True)]`` (path, descending)."""
    if text is None or not text.strip():
        return []
    keys = []
    for part in text.split(","):
        m = _ORDER_RE.match(part)
        if not m:
            raise QueryError(f"invalid orderBy clause {part.strip()!r}: expected '<field> [asc|desc]'")
        keys.append((m.group(1), (m.group(2) or "asc").lower() == "desc"))
    return keys


def _sort_key(value: Any) -> tuple:
    # SQL Server puts NULLs first in ascending order.
    if value is None or isinstance(value, dict | list):
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        dt = _to_datetime(value) if value[:1].isdigit() and len(value) >= 10 else None
        if dt is not None:
            return (2, dt.timestamp())
        return (3, value.casefold())
    return (4, str(value))


def order(items: list[dict], keys: list[tuple[str, bool]]) -> list[dict]:
    result = list(items)
    for path, descending in reversed(keys):
        result.sort(key=lambda obj: _sort_key(resolve(obj, path)[0]), reverse=descending)
    return result


def parse_fields(text: str | None) -> list[list[str]]:
    if text is None or not text.strip():
        return []
    out = []
    for part in text.split(","):
        part = part.strip().strip("/")
        if not part:
            continue
        if not _PATH_RE.fullmatch(part):
            raise QueryError(f"invalid field {part!r} in fields")
        out.append(part.split("/"))
    return out


def project(obj: Any, fields: list[list[str]]) -> Any:
    """Keep only the (nested) ``fields`` of ``obj``; arrays are projected element by element."""
    return _project(obj, field_tree(fields))


def field_tree(fields: list[list[str]]) -> dict:
    """``fields`` as a tree, worked out once for a whole page of objects: name -> ``None`` (the whole
    value) or the tree of its sub-fields, names in the order they first appear."""
    tree: dict = {}
    for name in dict.fromkeys(f[0] for f in fields):
        subs = [f[1:] for f in fields if f[0] == name]
        tree[name] = None if any(not s for s in subs) else field_tree(subs)
    return tree


def _project(obj: Any, tree: dict) -> Any:
    if not tree:
        return obj
    if isinstance(obj, list):
        return [_project(item, tree) for item in obj]
    if not isinstance(obj, dict):
        return obj
    return {name: obj[name] if sub is None else _project(obj[name], sub) for name, sub in tree.items() if name in obj}


def projector(fields: list[list[str]]):
    """``project(obj, fields)`` for many objects: the field tree is built once."""
    tree = field_tree(fields)
    return lambda obj: _project(obj, tree)
