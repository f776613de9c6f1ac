"""The tickets of a sandbox at MSP scale: an embedded SQLite index plus the records writes have changed.

A :class:`World` holds, for ``CWSandbox(scale=...)``:

* the reference data (members, boards, companies, contacts, configurations…) as ordinary dicts;
* every ticket's genome row (``scale.GENOME``) in an in-memory SQLite table ``base``, never changed;
* an index table ``idx`` with one row per live ticket: the values the common ticket queries filter and order
  on (closedFlag, board, status, priority, company, contact, owner, type, summary, resources, parent, the
  external reference, lastUpdated, dateEntered), typed the way the schema-typed evaluator reads them
  (``conditions.py``: numbers, 0/1, epoch seconds, casefolded text);
* the **overlay**: the tickets writes touched, with their whole family (notes, schedule entries, time entries,
  configuration links), as the same dicts the default seed holds. A ticket is *adopted* into the overlay the
  first time a write request reaches it or one of its records; from then on its family lives there.

The app's handlers see ``state["tickets"]``, ``["notes"]``, ``["entries"]``, ``["time_entries"]`` and
``["ticket_configurations"]`` as mappings over base + overlay (:class:`_View`): read, a base record is built
from its row and discarded; inside a write request (``World.writing``) it is adopted, so the handler's
in-place edits stay. After the request the touched tickets are indexed again (``World.finish``).

Queries (``World.page``/``count``/``forward_page``) are compiled against ConnectWise's schema by
``conditions.compile_filter``/``compile_order`` first (the same 400s for the same mistakes), then translated to
SQL where every comparison maps onto an index column (:data:`TICKET_COLUMNS`), with exactly the evaluator's
semantics: null fails every positive comparison, ``!=``/``not`` negate, strings compare casefolded, ``like``
is SQLite's ``LIKE`` on ASCII-only columns and patterns and the evaluator's own regex otherwise. What does
not translate (another field, childConditions, customFieldConditions, an orderBy on another field) is
evaluated by the generic evaluator over the tickets the translated part leaves: correct, only slower.
``tests/psa/test_sandbox_scale.py`` checks the two agree on random condition trees.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import pickle
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from . import conditions as q
from .scale import (
    ENTRIES_PER_TICKET,
    ENTRY_BASE,
    GENOME,
    NEXT_ENTRY_ID,
    NEXT_NOTE_ID,
    NEXT_TIME_ENTRY_ID,
    NOTE_BASE,
    NOTES_PER_TICKET,
    TIME_BASE,
    TIMES_PER_TICKET,
    Materializer,
    Scale,
    build_reference,
    entry_owner,
    generate_genome,
    note_owner,
    time_entry_owner,
)

FAMILY = ("tickets", "notes", "entries", "time_entries", "ticket_configurations")
_CHUNK = 500  # genome rows read (and tickets built) at a time when a query must be evaluated in Python
_TICKET_CHARGES = ("ServiceTicket", "ProjectTicket")

IDX = ("id", "closed", "board_id", "status_id", "priority_id", "priority_sort", "company_id", "contact_id",
       "owner_id", "type_id", "summary", "summary_f", "resources", "resources_f", "parent_id", "has_child", "xref_f",
       "last_updated", "entered")
_SCHEMA = f"""
CREATE TABLE base ({", ".join(f"{c}{' INTEGER PRIMARY KEY' if c == 'id' else ''}" for c in GENOME)});
CREATE TABLE idx ({", ".join(f"{c}{' INTEGER PRIMARY KEY' if c == 'id' else ''}" for c in IDX)});
CREATE TABLE lookup (tbl TEXT, id INTEGER, v TEXT, v_f TEXT, PRIMARY KEY (tbl, id)) WITHOUT ROWID;
"""
_INDEXES = """
CREATE INDEX idx_queue ON idx (closed, priority_sort, id DESC);
CREATE INDEX idx_order ON idx (priority_sort, id DESC);
CREATE INDEX idx_company ON idx (company_id, closed);
CREATE INDEX idx_parent ON idx (parent_id);
CREATE INDEX idx_xref ON idx (xref_f);
CREATE INDEX idx_updated ON idx (last_updated);
CREATE INDEX lookup_v ON lookup (tbl, v_f);
"""


@dataclass(frozen=True)
class Column:
    """Where a ticket field's value sits in ``idx``. ``sql``: the column compared (casefolded for text);
    ``raw``: the text as stored (``like``); ``ascii``: its values are ASCII only, so SQLite's LIKE (which folds
    ASCII case only) is exact for an ASCII pattern."""

    sql: str
    kind: str
    raw: str | None = None
    ascii: bool = False


@dataclass(frozen=True)
class Lookup:
    """A reference's attribute (``company/name``) found through its id column and a lookup table."""

    id_column: str
    table: str
    kind: str = "string"


TICKET_COLUMNS: dict[str, Column | Lookup] = {
    "id": Column("id", "integer"),
    "closedFlag": Column("closed", "boolean"),
    "board/id": Column("board_id", "integer"),
    "status/id": Column("status_id", "integer"),
    "priority/id": Column("priority_id", "integer"),
    "priority/sort": Column("priority_sort", "integer"),
    "company/id": Column("company_id", "integer"),
    "contact/id": Column("contact_id", "integer"),
    "owner/id": Column("owner_id", "integer"),
    "type/id": Column("type_id", "integer"),
    "summary": Column("summary_f", "string", raw="summary"),
    "resources": Column("resources_f", "string", raw="resources", ascii=True),
    "parentTicketId": Column("parent_id", "integer"),
    "hasChildTicket": Column("has_child", "boolean"),
    "externalXRef": Column("xref_f", "string"),
    "lastUpdated": Column("last_updated", "date-time"),
    "_info/lastUpdated": Column("last_updated", "date-time"),
    "dateEntered": Column("entered", "date-time"),
    "_info/dateEntered": Column("entered", "date-time"),
    "board/name": Lookup("board_id", "board"),
    "status/name": Lookup("status_id", "status"),
    "priority/name": Lookup("priority_id", "priority"),
    "company/name": Lookup("company_id", "company"),
    "company/identifier": Lookup("company_id", "company_identifier"),
    "contact/name": Lookup("contact_id", "contact"),
    "owner/identifier": Lookup("owner_id", "member"),
}


# --- a ticket's index row ---------------------------------------------------------------------------------


def _path(obj: dict, *parts):
    for part in parts:
        if type(obj) is not dict:
            return None
        obj = obj.get(part)
    return obj


def _text(value) -> str | None:
    """The text ``like`` sees (the evaluator's ``_as_text``), None for null and objects."""
    if value is None or isinstance(value, dict | list):
        return None
    return value if isinstance(value, str) else q._as_text(value)


def _epoch(value) -> float | None:
    read = q._read_datetime(value)
    return None if read is None else read.timestamp()


def _flag(value) -> int | None:
    read = q._read_boolean(value)
    return None if read is None else int(read)


def index_row(ticket: dict) -> tuple:
    """``ticket``'s ``idx`` row, each value read as the typed evaluator reads the field (``conditions._READERS``)."""
    number = q._read_number
    info = ticket.get("_info") if type(ticket.get("_info")) is dict else {}
    summary, resources = ticket.get("summary"), ticket.get("resources")
    return (ticket["id"], _flag(ticket.get("closedFlag")), number(_path(ticket, "board", "id")),
            number(_path(ticket, "status", "id")), number(_path(ticket, "priority", "id")),
            number(_path(ticket, "priority", "sort")), number(_path(ticket, "company", "id")),
            number(_path(ticket, "contact", "id")), number(_path(ticket, "owner", "id")),
            number(_path(ticket, "type", "id")), _text(summary), q._read_text(summary), _text(resources),
            q._read_text(resources), number(ticket.get("parentTicketId")), _flag(ticket.get("hasChildTicket")),
            q._read_text(ticket.get("externalXRef")), _epoch(info.get("lastUpdated")), _epoch(info.get("dateEntered")))


# --- conditions -> SQL --------------------------------------------------------------------------------------


class _Untranslatable(Exception):
    pass


@functools.lru_cache(maxsize=4096)
def _like_regex(pattern: str):
    return q._LikePattern(pattern).regex


def _sql_like(pattern, text) -> int | None:
    """``cw_like(pattern, text)``: the evaluator's ``like`` (a regex over the text), for SQLite."""
    if pattern is None or text is None:
        return None
    return int(_like_regex(pattern).fullmatch(text) is not None)


def _param(kind: str, value):
    if isinstance(value, datetime):
        return value.timestamp()
    if kind == "boolean":
        return int(value)
    return value


def _leaf(target, spec, op: str, literal) -> tuple[str, list]:
    """SQL that is true exactly where the evaluator's ``_value_test`` is, NULL counting as false (as in a
    WHERE clause; :func:`_translate` makes NOT two-valued). Plain comparisons, so SQLite can use its indexes."""
    if isinstance(spec, Lookup):
        return _lookup_leaf(target, spec, op, literal)
    if spec.kind != target.kind:
        raise _Untranslatable
    col = spec.sql
    if op == "like":
        if spec.kind != "string" or spec.raw is None:
            raise _Untranslatable
        if spec.ascii and literal.text.isascii():
            return f"{spec.raw} LIKE ?", [literal.text]
        return f"cw_like(?, {spec.raw})", [literal.text]
    if op == "contains":
        if spec.kind != "string":
            raise _Untranslatable
        return f"instr({col}, ?) > 0", [q._as_text(literal).casefold()]
    if op in ("=", "!="):
        if literal is None:
            sql, params = f"{col} IS NULL", []
        else:
            value = q._literal(target, literal)
            if isinstance(value, datetime) and spec.kind != "date-time":
                raise _Untranslatable  # a date compared with text holding dates: instants (Python)
            sql, params = f"{col} = ?", [_param(spec.kind, value)]
        return (sql if op == "=" else _negate(sql)), params
    if op == "in":
        values = [q._literal(target, item) for item in literal if item is not None]
        if any(isinstance(v, datetime) for v in values) and spec.kind != "date-time":
            raise _Untranslatable
        parts = [f"{col} IN ({', '.join('?' * len(values))})"] if values else []
        if any(item is None for item in literal):
            parts.append(f"{col} IS NULL")
        return "(" + (" OR ".join(parts) or "0") + ")", [_param(spec.kind, v) for v in values]
    value = q._literal(target, literal)  # < <= > >=; null was refused when the filter was compiled
    if isinstance(value, datetime) and spec.kind != "date-time":
        raise _Untranslatable
    return f"{col} {op} ?", [_param(spec.kind, value)]


def _negate(sql: str) -> str:
    return f"NOT IFNULL({sql}, 0)"


def _lookup_leaf(target, spec: Lookup, op: str, literal) -> tuple[str, list]:
    if target.kind != "string":
        raise _Untranslatable
    if op in ("=", "!=") and literal is None:
        sql = f"{spec.id_column} IS NULL"  # every looked-up record has the attribute
        return (sql if op == "=" else _negate(sql)), []
    if op == "like":
        inner, params = "cw_like(?, v)", [literal.text]
    elif op == "contains":
        inner, params = "instr(v_f, ?) > 0", [q._as_text(literal).casefold()]
    elif op == "in":
        values = [q._literal(target, item) for item in literal if item is not None]
        if any(isinstance(v, datetime) for v in values):
            raise _Untranslatable
        inner, params = (f"v_f IN ({', '.join('?' * len(values))})" if values else "0"), values
    else:
        value = q._literal(target, literal)
        if isinstance(value, datetime):
            raise _Untranslatable
        inner, params = f"v_f {'=' if op == '!=' else op} ?", [value]
    sql = f"{spec.id_column} IN (SELECT id FROM lookup WHERE tbl = ? AND {inner})"
    if op == "in" and any(item is None for item in literal):
        sql = f"({sql} OR {spec.id_column} IS NULL)"
    return (_negate(sql) if op == "!=" else sql), [spec.table, *params]


def _translate(node) -> tuple[str, list]:
    if isinstance(node, q.Comparison):
        target = q._target("Ticket", node.path)
        spec = TICKET_COLUMNS.get(target.path)
        if spec is None:
            raise _Untranslatable
        return _leaf(target, spec, node.op, node.value)
    if isinstance(node, q.Not):
        sql, params = _translate(node.operand)
        return _negate(sql), params
    left, lp = _translate(node.left)
    right, rp = _translate(node.right)
    return f"({left} {'AND' if isinstance(node, q.And) else 'OR'} {right})", lp + rp


def _conjuncts(node) -> list:
    if isinstance(node, q.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


@dataclass(frozen=True)
class Plan:
    """A ticket query made ready: SQL for what translates, a Python predicate for the rest (None: nothing),
    the ORDER BY (None: sort in Python with ``keys``)."""

    where: str
    params: tuple
    residual: object | None
    order_sql: str | None
    keys: tuple


@functools.lru_cache(maxsize=512)
def plan(conditions: str | None, child: str | None, custom: str | None, order: str | None) -> Plan:
    """Raises ``QueryError`` exactly where the default sandbox would (the same compile step)."""
    q.compile_filter("Ticket", conditions, child, custom)
    keys = q.compile_order("Ticket", order)
    sql_parts, params, residual = [], [], []
    node = q.parse_conditions(conditions)
    for part in _conjuncts(node) if node is not None else []:
        try:
            sql, part_params = _translate(part)
        except _Untranslatable:
            residual.append(q._compile_node(part, lambda path: q._target("Ticket", path)))
        else:
            sql_parts.append(sql)
            params += part_params
    for scope, text in ((q.CHILD_CONDITIONS, child), (q.CUSTOM_FIELD_CONDITIONS, custom)):
        parsed = q.parse_conditions(text)
        if parsed is not None:
            residual.append(q._compile_scope("Ticket", scope, parsed))
    predicate = None
    if residual:
        predicate = residual[0] if len(residual) == 1 else (lambda obj, tests=tuple(residual): all(t(obj) for t in tests))
    return Plan(" AND ".join(sql_parts) or "1", tuple(params), predicate, _order_sql(order), keys)


def _order_sql(text: str | None) -> str | None:
    terms = []
    for path, descending in q.parse_order_by(text) or [("id", False)]:
        target = q._target_for_order("Ticket", path)
        spec = TICKET_COLUMNS.get(target.path)
        if not isinstance(spec, Column) or spec.kind != target.kind:
            return None
        terms.append(f"{spec.sql} {'DESC' if descending else 'ASC'}")
        if spec.sql == "id":
            return ", ".join(terms)  # ids are unique: nothing after them can matter
    return ", ".join(terms + ["id ASC"])  # equal keys keep the tickets' own order (by id), as a stable sort does


# --- the world ---------------------------------------------------------------------------------------------


class World:
    """The tickets (and their families) of a sandbox built at ``scale``; see the module docstring."""

    def __init__(self, seed: int, now: datetime, scale: Scale):
        self.seed, self.now, self.scale = seed, now, scale
        reference = build_reference(seed, now, scale)
        self._reference_snapshot = pickle.dumps(reference, protocol=pickle.HIGHEST_PROTOCOL)
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.db.create_function("cw_like", 2, _sql_like, deterministic=True)
        self.db.create_function("cw_fold", 1, _fold, deterministic=True)
        self.db.executescript(_SCHEMA)
        self.materializer = Materializer(seed, now, scale, reference)
        rows = generate_genome(seed, now, scale, reference)
        self.db.execute("BEGIN")
        self.db.executemany(f"INSERT INTO base VALUES ({', '.join('?' * len(GENOME))})", rows)
        self.db.execute("COMMIT")
        self.first_id, self.last_id = rows[0][0], rows[-1][0]
        summary = GENOME.index("summary")
        self._fold_sql = "lower" if all(row[summary].isascii() for row in rows) else "cw_fold"  # ASCII: the same
        del rows
        self.writing = False  # inside a write request: records reached are adopted
        self.base_company_ids = frozenset(reference["companies"])
        self.changed: set[int] = set()  # ticket ids whose idx row differs from the base (undone by reset)
        self._start(reference)

    # --- life cycle ----------------------------------------------------------------------------------------

    def _start(self, reference: dict) -> None:
        self.reference = reference
        self.materializer.ref = reference
        self.overlay: dict[str, dict] = {name: {} for name in FAMILY}
        self.adopted: set[int] = set()  # base tickets whose family lives in the overlay (or was deleted)
        self.touched: set[int] = set()  # tickets a write request reached: indexed again when it ends
        self.next_ids = {"ticket": self.last_id + 1, "note": NEXT_NOTE_ID, "entry": NEXT_ENTRY_ID,
                         "company": max(reference["companies"]) + 1, "time_entry": NEXT_TIME_ENTRY_ID}
        self.views = {"tickets": _Tickets(self), "notes": _Listed(self, "notes"),
                      "entries": _Records(self, "entries", entry_owner),
                      "time_entries": _Records(self, "time_entries", time_entry_owner),
                      "ticket_configurations": _Listed(self, "ticket_configurations")}
        self._sync_lookups()
        self._index_base()
        self.changed = set()

    def _index_base(self) -> None:
        db = self.db
        if db.execute("SELECT 1 FROM idx LIMIT 1").fetchone() is None:
            self._fill_idx("")
            db.executescript(_INDEXES)  # after the rows: building an index once is faster than keeping it
            return
        if self.changed:  # a reset: only the rows writes changed go back to their base values
            ids = sorted(self.changed)
            db.execute("BEGIN")
            for chunk in _chunks(ids, 900):
                marks = ", ".join("?" * len(chunk))
                db.execute(f"DELETE FROM idx WHERE id IN ({marks})", chunk)
                self._fill_idx(f"WHERE b.id IN ({marks})", chunk)
            db.execute("COMMIT")

    def _fill_idx(self, where: str, params=()) -> None:
        # Base tickets' rows, computed in SQL from their genome exactly as index_row computes them from the
        # materialized ticket (a test checks the two agree).
        self.db.execute(f"""
            INSERT INTO idx SELECT b.id, b.closed, b.board_id, b.status_id, b.priority_id, CAST(p.v AS INTEGER), b.company_id,
                b.contact_id, b.owner_id, b.type_id, b.summary, {self._fold_sql}(b.summary), r.v, lower(r.v), b.parent_id,
                b.has_child, NULL, b.last_updated, b.entered
            FROM base b JOIN lookup p ON p.tbl = 'priority_sort' AND p.id = b.priority_id
            LEFT JOIN lookup r ON r.tbl = 'resources' AND r.id = b.id {where}""", params)

    def state(self) -> dict:
        """The sandbox's ``state``: the reference collections, the family views and the id counters."""
        return {**self.reference, **self.views, "next_ids": self.next_ids}

    def reset(self) -> None:
        """The seed back: the reference data from its snapshot, no overlay, the index as generated."""
        self._start(pickle.loads(self._reference_snapshot))

    def _sync_lookups(self) -> None:
        """The lookup tables the translated conditions read (names, identifiers, priority sort orders) and the
        base tickets' resources, from the reference data as it is now."""
        ref, db = self.reference, self.db
        rows = []
        for name, table, attr in (("board", "boards", "name"), ("status", "statuses", "name"),
                                  ("priority", "priorities", "name"), ("company", "companies", "name"),
                                  ("company_identifier", "companies", "identifier"),
                                  ("member", "members", "identifier")):
            rows += [(name, rid, r[attr], r[attr].casefold()) for rid, r in ref[table].items()]
        rows += [("contact", cid, f"{c['firstName']} {c['lastName']}", f"{c['firstName']} {c['lastName']}".casefold())
                 for cid, c in ref["contacts"].items()]
        rows += [("priority_sort", pid, p["sortOrder"], None) for pid, p in ref["priorities"].items()]
        db.execute("BEGIN")
        db.execute("DELETE FROM lookup WHERE tbl != 'resources'")
        db.executemany("INSERT INTO lookup VALUES (?, ?, ?, ?)", rows)
        if db.execute("SELECT 1 FROM lookup WHERE tbl = 'resources' LIMIT 1").fetchone() is None:
            idents = {mid: m["identifier"] for mid, m in ref["members"].items()}
            db.executemany("INSERT INTO lookup VALUES ('resources', ?, ?, NULL)",
                           ((tid, ", ".join(idents[int(m)] for m in assignees.split(",")))
                            for tid, assignees in db.execute("SELECT id, assignees FROM base "
                                                             "WHERE closed = 0 AND assignees != ''")))
        db.execute("COMMIT")
        self._companies_seen = len(ref["companies"])

    # --- requests ---------------------------------------------------------------------------------------------

    def begin(self, writing: bool) -> None:
        self.writing = writing
        self.touched = set()

    def finish(self) -> None:
        """After a request: the tickets a write reached indexed again (and companies created looked up)."""
        self.writing = False
        touched, self.touched = self.touched, set()
        if len(self.reference["companies"]) != self._companies_seen:
            self._sync_lookups()
        if not touched:
            return
        tickets = self.overlay["tickets"]
        self.db.execute("BEGIN")
        for tid in touched:
            self.db.execute("DELETE FROM idx WHERE id = ?", (tid,))
            if tid in tickets:
                self.db.execute(f"INSERT INTO idx VALUES ({', '.join('?' * len(IDX))})", index_row(tickets[tid]))
        self.db.execute("COMMIT")
        self.changed |= touched

    def is_base(self, ticket_id) -> bool:
        return type(ticket_id) is int and self.first_id <= ticket_id <= self.last_id

    def _row(self, ticket_id: int) -> tuple | None:
        return self.db.execute("SELECT * FROM base WHERE id = ?", (ticket_id,)).fetchone()

    def _rows(self, ids: list[int]) -> dict[int, tuple]:
        out = {}
        for chunk in _chunks(ids, 900):
            for row in self.db.execute(f"SELECT * FROM base WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
                out[row[0]] = row
        return out

    def adopt(self, ticket_id: int) -> bool:
        """Move a base ticket and its family into the overlay (no-op when it is there already or gone); True
        when the ticket exists afterwards."""
        if ticket_id in self.overlay["tickets"]:
            return True
        if not self.is_base(ticket_id) or ticket_id in self.adopted:
            return False
        row = self._row(ticket_id)
        self.adopted.add(ticket_id)
        ticket = self.materializer.ticket(row)
        family = self.materializer.family(row, ticket)
        over = self.overlay
        over["tickets"][ticket_id] = ticket
        if family["notes"]:
            over["notes"][ticket_id] = family["notes"]
        if family["configurations"]:
            over["ticket_configurations"][ticket_id] = family["configurations"]
        over["entries"].update(family["entries"])
        over["time_entries"].update(family["time_entries"])
        return True

    def base_ticket(self, ticket_id) -> dict | None:
        """A base ticket built from its row (not adopted: a copy nobody keeps), or None."""
        if not self.is_base(ticket_id) or ticket_id in self.adopted:
            return None
        row = self._row(ticket_id)
        return self.materializer.ticket(row) if row else None

    def base_family(self, ticket_id) -> dict | None:
        if not self.is_base(ticket_id) or ticket_id in self.adopted:
            return None
        row = self._row(ticket_id)
        return self.materializer.family(row, self.materializer.ticket(row)) if row else None

    def tickets(self, ids: list[int]) -> list[dict]:
        """The live tickets ``ids``, in that order (overlay records as they are, base ones built)."""
        over = self.overlay["tickets"]
        rows = self._rows([i for i in ids if i not in over and i not in self.adopted])
        build = self.materializer.ticket
        return [over[i] if i in over else build(rows[i]) for i in ids if i in over or i in rows]

    # --- what hangs off one ticket -------------------------------------------------------------------------

    def entries_of(self, ticket_id) -> list[dict]:
        """The schedule entries whose objectId is ``ticket_id`` (of any type), by id."""
        return self._records_of("entries", "objectId", ticket_id)

    def time_entries_of(self, ticket_id) -> list[dict]:
        """The time entries charged to ticket ``ticket_id``, by id."""
        return [e for e in self.time_entries_charged(ticket_id) if e.get("chargeToType") in _TICKET_CHARGES]

    def time_entries_charged(self, charge_id) -> list[dict]:
        """The time entries whose chargeToId is ``charge_id`` (a ticket's, or a company's), by id."""
        return self._records_of("time_entries", "chargeToId", charge_id)

    def _records_of(self, name: str, key: str, value) -> list[dict]:
        found = [e for e in self.overlay[name].values() if e.get(key) == value]
        if self.is_base(value) and value not in self.adopted:
            found += (self.base_family(value) or {}).get(name, {}).values()
        return sorted(found, key=lambda e: e["id"])

    def children_of(self, ticket_id) -> list[int]:
        """Ids of the tickets whose parentTicketId is ``ticket_id`` (writes of this request included)."""
        found = {tid for (tid,) in self.db.execute("SELECT id FROM idx WHERE parent_id = ?", (ticket_id,))}
        for tid in self.touched:  # not indexed again yet
            ticket = self.overlay["tickets"].get(tid)
            if ticket is None or ticket.get("parentTicketId") != ticket_id:
                found.discard(tid)
            else:
                found.add(tid)
        return sorted(found)

    # --- ticket queries ----------------------------------------------------------------------------------------

    def count(self, conditions, child, custom) -> int:
        p = plan(conditions, child, custom, None)
        if p.residual is None:
            return self.db.execute(f"SELECT COUNT(*) FROM idx WHERE {p.where}", p.params).fetchone()[0]
        return sum(1 for _ in self._matching(p))

    def page(self, conditions, child, custom, order, page: int, size: int) -> tuple[int, list[dict]]:
        """(how many match, the tickets of page ``page`` of ``size``) in ``order``."""
        p = plan(conditions, child, custom, order)
        offset = (page - 1) * size
        if p.residual is None and p.order_sql is not None:
            total = self.db.execute(f"SELECT COUNT(*) FROM idx WHERE {p.where}", p.params).fetchone()[0]
            ids = [i for (i,) in self.db.execute(
                f"SELECT id FROM idx WHERE {p.where} ORDER BY {p.order_sql} LIMIT ? OFFSET ?", (*p.params, size, offset))]
            return total, self.tickets(ids)
        # Evaluated in Python: keep (sort keys, id) of each match only, then build the page's tickets.
        keyed = [(tuple(key(t) for key, _ in p.keys), t["id"]) for t in self._matching(p)]
        for position in reversed(range(len(p.keys))):
            keyed.sort(key=lambda item, i=position: item[0][i], reverse=p.keys[position][1])
        return len(keyed), self.tickets([tid for _, tid in keyed[offset: offset + size]])

    def forward_page(self, conditions, child, custom, after: int, size: int) -> tuple[list[dict], bool]:
        """Forward-only paging: the first ``size`` matching tickets with an id above ``after``, by id, and
        whether more follow."""
        p = plan(conditions, child, custom, None)
        if p.residual is None:
            ids = [i for (i,) in self.db.execute(
                f"SELECT id FROM idx WHERE ({p.where}) AND id > ? ORDER BY id LIMIT ?", (*p.params, after, size + 1))]
            return self.tickets(ids[:size]), len(ids) > size
        found = list(itertools.islice((t for t in self._matching(p, after) if t["id"] > after), size + 1))
        return found[:size], len(found) > size

    def _matching(self, p: Plan, after: int = 0) -> Iterator[dict]:
        """The tickets the SQL part leaves that the residual predicate accepts, by id, built a chunk at a time."""
        cursor = self.db.execute(f"SELECT id FROM idx WHERE ({p.where}) AND id > ? ORDER BY id", (*p.params, after))
        while True:
            ids = [i for (i,) in cursor.fetchmany(_CHUNK)]
            if not ids:
                return
            for ticket in self.tickets(ids):
                if p.residual is None or p.residual(ticket):
                    yield ticket

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM idx").fetchone()[0]

    def ids(self) -> list[int]:
        return [i for (i,) in self.db.execute("SELECT id FROM idx ORDER BY id")]

    # --- persistence: the overlay only -----------------------------------------------------------------------

    def changes(self) -> dict:
        """What writes changed, JSON-able: the overlay, the adopted (or deleted) base tickets, companies created
        and the counters. With the seed (and the scale) it is the whole state."""
        base_companies = self.base_company_ids
        return {"overlay": self.overlay, "adopted": sorted(self.adopted), "next_ids": self.next_ids,
                "companies": [c for cid, c in self.reference["companies"].items() if cid not in base_companies]}

    def restore(self, changes: dict) -> None:
        """Start from the seed, then apply :meth:`changes` (raises ValueError/KeyError/TypeError when they do
        not fit)."""
        self.reset()
        overlay = changes["overlay"]
        keyed = {name: {int(k): v for k, v in overlay[name].items()} for name in FAMILY}
        for name in ("tickets", "entries", "time_entries"):
            if not all(isinstance(v, dict) for v in keyed[name].values()):
                raise TypeError(f"its {name} are not dicts")
        for name in ("notes", "ticket_configurations"):
            if not all(isinstance(v, list) for v in keyed[name].values()):
                raise TypeError(f"its {name} are not lists")
        self.overlay = keyed
        self.adopted = {int(t) for t in changes["adopted"]}
        for company in changes["companies"]:
            self.reference["companies"][int(company["id"])] = company
        counters = {k: int(v) for k, v in changes["next_ids"].items()}
        if set(counters) != set(self.next_ids):
            raise ValueError("its id counters are not the sandbox's")
        for name, kind in (("tickets", "ticket"), ("entries", "entry"), ("time_entries", "time_entry")):
            counters[kind] = max([counters[kind], *(i + 1 for i in keyed[name] if not self._derived(name, i))])
        counters["note"] = max([counters["note"], *(n["id"] + 1 for ns in keyed["notes"].values() for n in ns
                                                    if isinstance(n, dict) and type(n.get("id")) is int
                                                    and note_owner(n["id"]) is None)])
        counters["company"] = max(counters["company"], max(self.reference["companies"]) + 1)
        self.next_ids.clear()
        self.next_ids.update(counters)
        self.touched = self.adopted | set(keyed["tickets"])
        self.finish()

    def _derived(self, name: str, record_id: int) -> bool:
        if name == "tickets":
            return self.is_base(record_id)
        return (entry_owner if name == "entries" else time_entry_owner)(record_id) is not None


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start: start + size]


def _fold(text):
    return None if text is None else text.casefold()


sqlite3.register_adapter(bool, int)


# --- the mappings the handlers see ---------------------------------------------------------------------------


class _View:
    """A collection of the sandbox's ``state`` over base records and the overlay (see the module docstring).
    Iterating builds every base record: only fallbacks do that."""

    def __init__(self, world: World, name: str):
        self.world, self.name = world, name

    @property
    def over(self) -> dict:
        return self.world.overlay[self.name]

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def setdefault(self, key, default=None):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            self[key] = default
            return self.get(key)
        return value

    def pop(self, key, default=None):
        self._adopt_for(key)
        return self.over.pop(key, default)

    def __delitem__(self, key) -> None:
        self._adopt_for(key)
        del self.over[key]
        self._touch_for(key)

    def __setitem__(self, key, value) -> None:
        self._adopt_for(key)
        self.over[key] = value
        self._touch_for(key)

    def values(self):
        return [value for _, value in self.items()]

    def keys(self):
        return [key for key, _ in self.items()]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    # to be defined: get, items, _adopt_for (adopt the family a key belongs to), _touch_for


_MISSING = object()


class _Tickets(_View):
    def __init__(self, world: World):
        super().__init__(world, "tickets")

    def get(self, ticket_id, default=None):
        world = self.world
        if world.writing and world.adopt(ticket_id):
            world.touched.add(ticket_id)
        ticket = self.over.get(ticket_id)
        if ticket is not None:
            return ticket
        built = world.base_ticket(ticket_id)
        return default if built is None else built

    def _adopt_for(self, ticket_id) -> None:
        self.world.adopt(ticket_id)

    def _touch_for(self, ticket_id) -> None:
        self.world.touched.add(ticket_id)

    def items(self):
        ids = self.world.ids()
        return [(t["id"], t) for chunk in _chunks(ids, _CHUNK) for t in self.world.tickets(chunk)]

    def __len__(self) -> int:
        return len(self.world)

    def __contains__(self, ticket_id) -> bool:
        world = self.world
        return ticket_id in self.over or (world.is_base(ticket_id) and ticket_id not in world.adopted)


class _Listed(_View):
    """ticket id -> list (notes, configuration ids)."""

    def get(self, ticket_id, default=None):
        world = self.world
        if world.writing and world.adopt(ticket_id):
            world.touched.add(ticket_id)
        if ticket_id in self.over:
            return self.over[ticket_id]
        family = world.base_family(ticket_id)
        if not family:
            return default
        value = family["notes" if self.name == "notes" else "configurations"]
        return value if value else default

    def _adopt_for(self, ticket_id) -> None:
        self.world.adopt(ticket_id)

    def _touch_for(self, ticket_id) -> None:
        self.world.touched.add(ticket_id)

    def items(self):
        out = dict(self.over)
        for tid in self.world.ids():
            if tid not in out and tid not in self.world.overlay["tickets"]:
                value = self.get(tid)
                if value:
                    out[tid] = value
        return sorted(out.items())


class _Records(_View):
    """record id -> record (schedule entries, time entries); a derived record's id names its ticket."""

    def __init__(self, world: World, name: str, owner):
        super().__init__(world, name)
        self.owner = owner

    def get(self, record_id, default=None):
        world = self.world
        if record_id in self.over:
            return self.over[record_id]
        found = self.owner(record_id)
        if found is None or found[0] in world.adopted or not world.is_base(found[0]):
            return default
        if world.writing:
            world.adopt(found[0])
            world.touched.add(found[0])
            return self.over.get(record_id, default)
        family = world.base_family(found[0])
        return (family or {}).get(self.name, {}).get(record_id, default)

    def _adopt_for(self, record_id) -> None:
        found = self.owner(record_id)
        if found is not None:
            self.world.adopt(found[0])

    def _touch_for(self, record_id) -> None:
        pass  # the handler touches the ticket the record belongs to

    def items(self):
        out = dict(self.over)
        world = self.world
        # Only the tickets that can have such records: assigned ones (schedule entries), recent ones past New
        # (time entries).
        where = "assignees != ''" if self.name == "entries" else "assignees != '' AND entered >= ?"
        params = () if self.name == "entries" else (world.materializer.recent_since,)
        rows = [row for row in world.db.execute(f"SELECT * FROM base WHERE {where} ORDER BY id", params)
                if row[0] not in world.adopted]
        for row in rows:
            out.update(world.materializer.family(row, world.materializer.ticket(row))[self.name])
        return sorted(out.items())


# --- text columns: a collection's ``like`` searches without a scan in Python (issue 17) ----------------------

_SEPARATOR = "\x00"


class TextColumn:
    """One field of a collection's records as one string: every record's text (as ``like`` reads it,
    ``conditions._as_text``) end to end, a NUL between. A ``like`` pattern's longest literal run is searched in
    it with the evaluator's own regex flags (C speed, one search per record that holds it), so a typeahead
    over 5,000 companies or 20,000 contacts looks at the few records that can match, not at each in Python."""

    __slots__ = ("blob", "folded", "starts")

    def __init__(self, records: list[dict], get):
        texts = []
        for record in records:
            value = get(record)
            texts.append("" if value is None or isinstance(value, dict | list) else q._as_text(value))
        self.blob = _SEPARATOR.join(texts)
        # ASCII text (generated names): an ASCII run ignoring case is a plain find in the lowered text. Not
        # otherwise: ignoring case, "k" also matches the Kelvin sign and "s" the long s.
        self.folded = self.blob.lower() if self.blob.isascii() else None
        self.starts, position = [], 0
        for text in texts:
            self.starts.append(position)
            position += len(text) + 1

    def holding(self, run: str) -> set[int]:
        """The positions of the records whose text holds ``run`` (ignoring case as ``like`` does)."""
        if self.folded is not None and run.isascii():
            find, needle = self.folded.find, run.lower()
        else:
            search = _run_regex(run).search

            def find(_, position):
                match = search(self.blob, position)
                return -1 if match is None else match.start()

            needle = None
        starts, found, position = self.starts, set(), 0
        last = len(starts) - 1
        while (start := find(needle, position)) >= 0:
            index = bisect.bisect_right(starts, start) - 1
            found.add(index)
            if index >= last:
                break
            position = starts[index + 1]  # a match cannot cross a NUL: the next one is in a later record
        return found


@functools.lru_cache(maxsize=1024)
def _run_regex(run: str):
    return re.compile(re.escape(run), re.IGNORECASE | re.DOTALL)  # the flags of conditions._LikePattern


def like_run(pattern) -> str | None:
    """The longest run of plain characters of a ``like`` pattern (between ``%``/``_``): every text the pattern
    matches holds it. None when there is none to search for."""
    runs = re.split(r"[%_]", pattern.text)
    run = max(runs, key=len)
    return run if run and _SEPARATOR not in run else None


def like_candidates(node, column_of) -> set[int] | None:
    """The positions of the records that can satisfy ``node`` (a parsed ``conditions``) as far as its ``like``
    comparisons tell, or None when they do not narrow it. A superset: the caller still evaluates ``node`` on
    each, so the answer is the evaluator's, exactly. ``column_of(path)``: that field's :class:`TextColumn`, or
    None when it cannot have one."""
    if isinstance(node, q.And):
        left, right = like_candidates(node.left, column_of), like_candidates(node.right, column_of)
        return right if left is None else left if right is None else left & right
    if isinstance(node, q.Or):
        left = like_candidates(node.left, column_of)
        right = None if left is None else like_candidates(node.right, column_of)
        return None if right is None else left | right
    if isinstance(node, q.Comparison) and node.op == "like" and isinstance(node.value, q._LikePattern):
        run = like_run(node.value)
        column = column_of(node.path) if run is not None else None
        return None if column is None else column.holding(run)
    return None  # not, and every other comparison: no narrowing


__all__ = ["ENTRIES_PER_TICKET", "ENTRY_BASE", "NOTES_PER_TICKET", "NOTE_BASE", "TICKET_COLUMNS", "TIMES_PER_TICKET",
           "TIME_BASE", "TextColumn", "World", "index_row", "like_candidates", "plan"]
