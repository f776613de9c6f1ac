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

Typed queries (what the sandbox serves)
---------------------------------------
:func:`compile_filter`, :func:`compile_order` and :func:`check_fields` bind a query to one resource's
ConnectWise schema (``schema.py``), so every field the schema has can be named — not only what the seed
fills — and nothing else can (a 400 naming the field):

- ``conditions`` name scalar fields (``summary``, ``board/id``, ``closedFlag``) and the ``_info``
  entries ``dateEntered``/``lastUpdated``/``updatedBy``/``enteredBy`` (also as ``_info/…``). A field
  the sandbox does not store for a record is null. The literal is converted to the field's type once:
  numbers (``"10"`` converts, as SQL Server does), booleans (``true``/``'False'``/``1``), date-times
  (``[2025-05-16T08:00:00Z]`` or an ISO string; compared as instants), strings (case-insensitive; a
  ``[datetime]`` against a string field holding dates, such as ``closedDate``, compares instants). A
  literal that cannot be the field's type is a 400, as is ``board = 1`` (compare ``board/id``), an
  ordering operator with null, or a field inside an array.
- ``childConditions`` name fields inside arrays (``types/name``, ``communicationItems/value``,
  ``integratorTags``). A record matches when one element satisfies the whole expression (one element
  of each array, when it names several), as a SQL join would; a record with no elements matches nothing.
- ``customFieldConditions`` name the properties of a custom field (``caption``, ``value``, ``id``,
  ``type``…): a record matches when one entry of its ``customFields`` satisfies the whole expression
  (``caption = "Contract" and value = "Gold"``). ``value`` is free-form and compares by its own type.
  A resource without ``customFields`` answers 400.
- ``orderBy`` orders by the field's type (numbers numerically, dates as instants, strings
  case-insensitively), nulls first ascending as SQL Server does; objects and array fields are a 400.
- ``fields`` names must exist (a 400 otherwise: ConnectWise's behaviour is undocumented, and a sandbox
  that refuses cannot hide a typo); ``_info`` and ``x/_info`` are allowed.

The three filter parameters are ANDed. Compiled queries are cached by their text.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psa.quoting import read_quoted

from . import schema as cw_schema

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
            at = self.tok.pos
            literal = self.value()
            if literal is None:
                raise QueryError(f"'{op}' needs a text pattern, not null, at position {at}")
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


# --- typed queries: conditions, childConditions, customFieldConditions, orderBy and fields bound to a
# resource's ConnectWise schema ------------------------------------------------------------------

CONDITIONS, CHILD_CONDITIONS, CUSTOM_FIELD_CONDITIONS = "conditions", "childConditions", "customFieldConditions"
_SCALARS = ("string", "uuid", "integer", "number", "boolean", "date-time")


class Filter:
    """``conditions`` + ``childConditions`` + ``customFieldConditions`` bound to one resource:
    ``evaluate(obj)`` is true when ``obj`` satisfies all three."""

    __slots__ = ("evaluate",)

    def __init__(self, predicate):
        self.evaluate = predicate


@functools.lru_cache(maxsize=1024)
def compile_filter(resource: str, conditions: str | None = None, child_conditions: str | None = None,
                   custom_field_conditions: str | None = None) -> Filter | None:
    """The three filter parameters of a GET, typed by ``resource``'s schema (None: no filter).

    Raises :class:`QueryError` for a parse error, a field the schema does not have, a value of the wrong
    type for its field, or a field in the wrong parameter (an array's field belongs in childConditions)."""
    predicates = []
    for scope, text in ((CONDITIONS, conditions), (CHILD_CONDITIONS, child_conditions),
                        (CUSTOM_FIELD_CONDITIONS, custom_field_conditions)):
        node = parse_conditions(text)
        if node is not None:
            predicates.append(_compile_scope(resource, scope, node))
    if not predicates:
        return None
    if len(predicates) == 1:
        return Filter(predicates[0])
    return Filter(lambda obj: all(p(obj) for p in predicates))


@dataclass(frozen=True)
class _Target:
    """Where a path's value is read from (``head``: the array it crosses, for childConditions) and its type."""
    path: str  # canonical spelling
    kind: str
    get: Any  # obj (or array element) -> stored value
    head: str | None = None


def _compile_scope(resource: str, scope: str, node) -> Any:
    if scope == CUSTOM_FIELD_CONDITIONS:
        if "customFields" not in cw_schema.fields(resource):
            raise QueryError(f"{resource} has no custom fields: customFieldConditions cannot apply")
        expr = _compile_node(node, lambda path: _custom_target(path))

        def custom(obj: dict) -> bool:
            entries = obj.get("customFields")
            return isinstance(entries, list) and any(isinstance(e, dict) and expr(e) for e in entries)

        return custom
    if scope == CHILD_CONDITIONS:
        heads: dict[str, None] = {}

        def child_target(path: str) -> _Target:
            target = _child_target(resource, path)
            heads[target.head] = None
            return target

        expr = _compile_node(node, child_target)
        names = list(heads)
        if len(names) == 1:
            only = names[0]

            def child(obj: dict) -> bool:
                items = obj.get(only)
                return isinstance(items, list) and any(expr({only: item}) for item in items)

            return child

        def children(obj: dict) -> bool:  # several arrays: some combination of one element of each
            lists = [obj.get(name) for name in names]
            if not all(isinstance(items, list) for items in lists):
                return False
            return any(expr(dict(zip(names, combo, strict=True))) for combo in itertools.product(*lists))

        return children
    return _compile_node(node, lambda path: _target(resource, path))


def _compile_node(node, target_of):
    if isinstance(node, Comparison):
        target = target_of(node.path)
        test = _value_test(target, node.op, node.value)
        get = target.get
        return lambda obj: test(get(obj))
    if isinstance(node, Not):
        inner = _compile_node(node.operand, target_of)
        return lambda obj: not inner(obj)
    left, right = _compile_node(node.left, target_of), _compile_node(node.right, target_of)
    if isinstance(node, And):
        return lambda obj: left(obj) and right(obj)
    return lambda obj: left(obj) or right(obj)


def _getter(parts: list[str]):
    if len(parts) == 1:
        key = parts[0]
        return lambda obj: obj.get(key)
    if len(parts) == 2:
        first, second = parts

        def get2(obj):
            inner = obj.get(first)
            return inner.get(second) if isinstance(inner, dict) else None

        return get2

    def get(obj):
        for part in parts:
            if not isinstance(obj, dict):
                return None
            obj = obj.get(part)
        return obj

    return get


def _info_target(path: str) -> _Target:
    """``_info/lastUpdated`` (or a bare ``lastUpdated`` that is no property): read from ``_info``."""
    name = path.split("/", 1)[1] if "/" in path else path
    canonical = next((n for n in cw_schema.INFO_FIELDS if n.lower() == name.lower()), name)
    kind = cw_schema.INFO_FIELDS.get(canonical, "string")

    def get(obj):
        info = obj.get("_info")
        return info.get(canonical) if isinstance(info, dict) else None

    return _Target(f"_info/{canonical}" if "/" in path else canonical, kind, get)


def _unknown(resource: str, path: str, scope: str) -> QueryError:
    return QueryError(f"Unknown field '{path}' in {scope}: {resource} has no such field.")


def _target(resource: str, path: str) -> _Target:
    if path.lower().startswith("_info/") and path.count("/") == 1:
        return _info_target(path)
    ft = cw_schema.field(resource, path)
    if ft is None:
        raise _unknown(resource, path, CONDITIONS)
    if ft.info:
        return _info_target(ft.path)
    if ft.in_array or ft.kind == "array":
        head = ft.path.split("/")[0]
        where = CUSTOM_FIELD_CONDITIONS if head == "customFields" else CHILD_CONDITIONS
        raise QueryError(f"'{ft.path}' is in the array '{head}' of {resource}: filter it with {where}, not conditions")
    return _Target(ft.path, ft.kind, _getter(ft.path.split("/")))


def _child_target(resource: str, path: str) -> _Target:
    ft = cw_schema.field(resource, path)
    if ft is None or ft.info:
        raise _unknown(resource, path, CHILD_CONDITIONS)
    parts = ft.path.split("/")
    fields = cw_schema.fields(resource)
    cut = next((i for i in range(1, len(parts) + 1) if fields["/".join(parts[:i])].kind == "array"), None)
    if cut is None:
        raise QueryError(f"'{ft.path}' is not in an array of {resource}: childConditions filter the elements "
                         "of an array field (types/name, communicationItems/value); use conditions")
    head, rest = "/".join(parts[:cut]), parts[cut:]
    if head == "customFields":
        raise QueryError("custom fields are filtered with customFieldConditions (caption=\"X\" and value=\"Y\")")
    array = fields[head]
    kind = ft.kind if rest else (array.items or "object")
    if kind not in _SCALARS:
        raise QueryError(f"'{ft.path}' holds objects: compare one of its fields ({ft.path}/id, {ft.path}/name)")
    if not rest:  # an array of plain values (integratorTags): the element itself
        return _Target(ft.path, kind, lambda row: row[head], head)
    element = _getter(rest)

    def get(row):
        item = row[head]
        return element(item) if isinstance(item, dict) else None

    return _Target(ft.path, kind, get, head)


def _custom_target(path: str) -> _Target:
    relative = path.split("/", 1)[1] if path.lower().startswith("customfields/") else path
    ft = cw_schema.field("CustomFieldValue", relative)
    if ft is None or ft.info:
        raise QueryError(f"Unknown field '{path}' in {CUSTOM_FIELD_CONDITIONS}: a custom field has "
                         "id, caption, type, entryMethod, numberOfDecimals, value and connectWiseId")
    return _Target(ft.path, ft.kind, _getter(ft.path.split("/")))


# Reading stored values as a kind: the comparable value, or None (null, or a value of another type).

@functools.lru_cache(maxsize=65536)
def _stored_datetime(text: str) -> datetime | None:
    return cw_schema.parse_datetime(text)


def _read_number(v):
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return v
    return _to_number(v) if isinstance(v, str) else None


def _read_boolean(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return None


def _read_datetime(v):
    if isinstance(v, str):
        return _stored_datetime(v)
    return v if isinstance(v, datetime) else None


def _read_text(v):
    if isinstance(v, str):
        return v.casefold()
    if v is None or isinstance(v, dict | list):
        return None
    return _as_text(v).casefold()


_READERS = {"integer": _read_number, "number": _read_number, "boolean": _read_boolean,
            "date-time": _read_datetime, "string": _read_text, "uuid": _read_text}


def _literal(target: _Target, literal: Any) -> Any:
    """A condition's literal as a value of the field's kind (a 400 when it cannot be one)."""
    kind = target.kind

    def wrong(expected: str) -> QueryError:
        shown = "[" + _as_text(literal) + "]" if isinstance(literal, datetime) else repr(literal)
        return QueryError(f"'{target.path}' is {expected}; {shown} cannot be compared with it")

    if kind in ("integer", "number"):
        value = _read_number(literal) if not isinstance(literal, datetime) else None
        if value is None:
            raise wrong("a number")
        return value
    if kind == "boolean":
        value = _read_boolean(literal)
        if value is None and isinstance(literal, int) and not isinstance(literal, bool) and literal in (0, 1):
            value = bool(literal)
        if value is None:
            raise wrong("a boolean (true or false)")
        return value
    if kind == "date-time":
        value = _read_datetime(literal)
        if value is None:
            raise wrong("a date-time ([2025-05-16T08:00:00Z])")
        return value
    if isinstance(literal, datetime):
        return literal  # a string field holding dates (closedDate, dateResolved): compared as instants
    return _read_text(literal)


def _value_test(target: _Target, op: str, literal: Any):
    """``stored value -> bool`` for one comparison on a typed field."""
    kind = target.kind
    if kind in ("reference", "array") or (kind not in _SCALARS and kind != "object"):
        if literal is None and op in ("=", "!="):
            return (lambda v: v is None) if op == "=" else (lambda v: v is not None)
        raise QueryError(f"'{target.path}' is an object: compare one of its fields "
                         f"({target.path}/id, {target.path}/name)")
    if kind == "object":  # free-form (a custom field's value): compared by the value's own type
        return lambda v: _compare(v, op, literal)
    if op == "like":
        regex = literal.regex
        return lambda v: v is not None and not isinstance(v, dict | list) and regex.fullmatch(_as_text(v)) is not None
    if op == "contains":
        needle = _as_text(literal).casefold()
        return lambda v: v is not None and not isinstance(v, dict | list) and needle in _as_text(v).casefold()
    if op in ("=", "!="):
        equal = _equality(target, literal)
        return equal if op == "=" else (lambda v: not equal(v))
    if op == "in":
        tests = [_equality(target, item) for item in literal]
        plain = [item for item in literal if item is not None]
        if len(plain) == len(literal) and not any(isinstance(i, datetime) for i in plain) and kind in _READERS:
            read = _READERS[kind]
            wanted = frozenset(_literal(target, item) for item in plain)
            return lambda v: read(v) in wanted
        return lambda v: any(t(v) for t in tests)
    if literal is None:
        raise QueryError(f"'{op}' cannot compare '{target.path}' with null; use = null or != null")
    value = _literal(target, literal)
    read = _READERS[kind] if not isinstance(value, datetime) else _read_datetime
    compare = {"<": lambda a: a < value, "<=": lambda a: a <= value,
               ">": lambda a: a > value, ">=": lambda a: a >= value}[op]

    def ordered(v):
        a = read(v)
        return a is not None and compare(a)

    return ordered


def _equality(target: _Target, literal: Any):
    if literal is None:
        return lambda v: v is None
    value = _literal(target, literal)
    read = _READERS[target.kind] if not isinstance(value, datetime) else _read_datetime
    return lambda v: read(v) == value


# --- typed orderBy and fields -----------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def compile_order(resource: str, text: str | None, default: tuple[tuple[str, bool], ...] = (("id", False),)):
    """``orderBy`` typed by ``resource``'s schema: a list of ``(key function, descending)``, applied by
    :func:`sort`. Nulls sort first ascending (SQL Server). ``default`` is used when ``text`` is empty."""
    keys = parse_order_by(text) or list(default)
    out = []
    for path, descending in keys:
        target = _target_for_order(resource, path)
        out.append((_sort_key_of(target), descending))
    return tuple(out)


def _target_for_order(resource: str, path: str) -> _Target:
    if path.lower().startswith("_info/") and path.count("/") == 1:
        return _info_target(path)
    ft = cw_schema.field(resource, path)
    if ft is None:
        raise _unknown(resource, path, "orderBy")
    if ft.info:
        return _info_target(ft.path)
    if ft.in_array or ft.kind == "array":
        raise QueryError(f"orderBy '{ft.path}': a field inside an array ('{ft.path.split('/')[0]}') cannot "
                         "order the list")
    if ft.kind not in _SCALARS and ft.kind != "object":
        raise QueryError(f"orderBy '{ft.path}': an object cannot be ordered; order by one of its fields "
                         f"({ft.path}/id, {ft.path}/name)")
    return _Target(ft.path, ft.kind, _getter(ft.path.split("/")))


def _sort_key_of(target: _Target):
    get = target.get
    read = _READERS.get(target.kind)
    if read is None:  # free-form values: by their own type, as the untyped order does
        return lambda obj: _sort_key(get(obj))
    if target.kind == "date-time":
        def date_key(obj):
            value = read(get(obj))
            return (0, 0.0) if value is None else (1, value.timestamp())
        return date_key

    def key(obj):
        value = read(get(obj))
        return (0, 0) if value is None else (1, value)

    return key


def untyped_order(text: str | None):
    """``orderBy`` for a path no schema describes: values ordered by their own type (``_sort_key``)."""
    return tuple((lambda obj, p=path: _sort_key(resolve(obj, p)[0]), descending)
                 for path, descending in (parse_order_by(text) or [("id", False)]))


def sort(items: list[dict], keys) -> list[dict]:
    """``items`` ordered by compiled ``keys`` (see :func:`compile_order`)."""
    result = list(items)
    for key, descending in reversed(keys):
        result.sort(key=key, reverse=descending)
    return result


def check_fields(resource: str, fields: list[list[str]]) -> list[list[str]]:
    """``fields=`` paths in the schema's spelling; an unknown name is a :class:`QueryError` (400).

    ConnectWise's behaviour for an unknown name in ``fields`` is not documented (API-NOTES §2.2); the
    sandbox refuses it like an unknown name in ``conditions``, so a typo cannot pass unnoticed here and
    silently return objects without that field from a real server. ``_info`` and ``x/_info`` are allowed;
    an ``_info`` entry asked for by its bare name (``lastUpdated``) is served as ``_info/lastUpdated``."""
    out = []
    for parts in fields:
        cut = next((i for i, part in enumerate(parts) if part.lower() == "_info"), None)
        head = parts[:cut] if cut is not None else parts
        if not head:
            out.append(["_info", *parts[1:]])
            continue
        ft = cw_schema.field(resource, "/".join(head))
        if ft is None:
            raise QueryError(f"Unknown field '{'/'.join(parts)}' in fields: {resource} has no such field.")
        if ft.info:  # dateEntered, lastUpdated…: not properties, they are served in _info
            out.append(["_info", ft.path])
            continue
        spelled = ft.path.split("/")
        out.append(spelled + (["_info", *parts[cut + 1:]] if cut is not None else []))
    return out
