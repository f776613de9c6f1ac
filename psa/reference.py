"""The account's PSA reference data for one request: boards (with their statuses), priorities,
members, and companies on demand.

``tenant.reference()`` returns one :class:`Reference` per request. Everything that needs reference
data takes it from there: the filter bar, the New Ticket form, the AI parse resolver, the drawer's
status select, the API's input checks. It reads every part it is asked for from the cache in one
``get_many`` and starts loading the missing parts at once, all in parallel (a board's statuses
follow its board list in the same load); an attribute waits only for its own part. So a view that
starts the reference and then searches tickets gets both in one round when the cache is cold.

Companies grow with the account (an MSP has thousands), so no screen loads them all (issue 17):

* ``company_choices``: the first ``PICK_MAX`` companies by name, one small call; no screen asks for it
  since the typeahead pickers (``tickets/pickers.py``) search as the user types, but a company found in it
  when it is cached needs no look-up of its own;
* ``company(id)``: one company, from a part already loaded, else one small cached look-up (part
  ``company:<id>``, which a caller can start with the rest: the filter bar does for a company in the URL);
* ``companies_named(text)``: a search (a small page, never cached) when a typed name must be resolved;
* ``companies``: every company's id, identifier and name, in pages: only for matching names in a note (the
  AI parse), loaded when it first parses and cached like the rest.

Caching: each part is cached per account and connection version (``connection.updated``: saving the
connection starts a fresh cache) for ``PSA_REFERENCE_CACHE_SECONDS``. Ticket mutations do not change
reference data, and ``is_rf_user`` (from member mappings) is applied after the cache, so nothing
needs invalidating. A load already running in this process is awaited, never repeated. PSA errors
surface where a part is used, and every later use in the request re-raises the same error.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from concurrent.futures import Future

from django.conf import settings
from django.core.cache import cache

from psa import concurrency
from psa.capacity import capacity_key
from psa.providers.base import PSANotFoundError
from psa.registry import provider_for
from psa.schemas import PSABoard, PSACompany, PSAMember, PSAPriority, PSAStatus, PSAWorkRole, PSAWorkType

ALL_PARTS = ("boards", "priorities", "members")
# Time entries' reference data (the Log time form): parts of their own, so a screen without time never
# loads them (nor counts them against its PSA call budget).
TIME_PARTS = ("work_types", "work_roles")
PICK_MAX = 50  # at most this many companies in a list a page ships
COMPANY_PART = "company:"  # + id: one company looked up by id
ID_MAX = 2**31 - 1


def _dump(items) -> list[dict]:
    return [item.model_dump(mode="json") for item in items]


def _fetch_boards(provider) -> dict:
    """The boards, then every board's statuses in parallel (two round trips)."""
    boards = provider.list_boards()
    futures = {board.id: concurrency.call(provider.get_ticket_statuses, board.id, key=provider.capacity_key)
               for board in boards}
    for future in futures.values():  # every call finishes (no retry left running) before any error is raised
        future.exception()
    return {"boards": _dump(boards), "statuses": {str(board_id): _dump(f.result()) for board_id, f in futures.items()}}


_FETCH = {
    "boards": _fetch_boards,
    "priorities": lambda provider: _dump(provider.list_priorities()),
    "members": lambda provider: _dump(provider.list_members()),
    "companies": lambda provider: _dump(provider.list_companies()),
    "company_choices": lambda provider: _dump(provider.search_companies(None, limit=PICK_MAX)),
    "work_types": lambda provider: _dump(provider.list_work_types()),
    "work_roles": lambda provider: _dump(provider.list_work_roles()),
}

# Loads in progress in this process, by cache key: a second request wanting the same part waits for
# the running load instead of fetching again.
_loading: dict[str, Future] = {}
_loading_lock = threading.Lock()


def cache_key(connection, part: str) -> str:
    return f"psa-ref:{connection.account_id}:{connection.updated.timestamp():.6f}:{part}"


def _load(connection, key: str, part: str) -> Future:
    """The running load of ``key`` in this process, or a new one started in the fan-out pool."""
    with _loading_lock:
        future = _loading.get(key)
        if future is not None:
            return future
        future = _loading[key] = Future()
    concurrency.fan_out(_run_load, connection, key, part, future, key=capacity_key(connection))
    return future


# Parts too big to unpickle and validate in every request that reads them (every company of an MSP: 5,000
# records cost ~30 ms): the cache holds a stamp under the part's key and the records under ``key:stamp``, and
# each process builds the records once per stamp (``_built``), then hands every request the same objects.
STAMPED = frozenset({"companies"})
BUILT_MAX = 32  # built stamped parts kept per process (one per account and part)
_built: OrderedDict[tuple[str, str], list] = OrderedDict()
_built_lock = threading.Lock()


class _Evicted(Exception):
    """A stamped part's records left the cache before its stamp did: load it again."""


def _run_load(connection, key: str, part: str, future: Future) -> None:
    try:
        data = cache.get(key)  # finished by another process between our miss and this load
        if data is None or (part in STAMPED and cache.get(f"{key}:{data['stamp']}") is None):
            data = _fetch(part, provider_for(connection))
            if part in STAMPED:
                stamp = uuid.uuid4().hex
                # the records first, and kept a little longer: whoever reads the stamp finds them
                cache.set(f"{key}:{stamp}", data, settings.PSA_REFERENCE_CACHE_SECONDS + 60)
                cache.set(key, {"stamp": stamp}, settings.PSA_REFERENCE_CACHE_SECONDS)
                data = {"stamp": stamp, "rows": data}
            else:
                cache.set(key, data, settings.PSA_REFERENCE_CACHE_SECONDS)
    except BaseException as exc:  # noqa: BLE001 - delivered to every waiter through the future
        future.set_exception(exc)
    else:
        future.set_result(data)
    finally:
        with _loading_lock:
            if _loading.get(key) is future:
                del _loading[key]


def _fetch(part: str, provider):
    if part.startswith(COMPANY_PART):
        try:
            found = provider.get_company(int(part[len(COMPANY_PART):]))
        except PSANotFoundError:
            found = None  # remembered too: a stale id in a link costs one look-up, not one per request
        return {"company": found.model_dump(mode="json") if found else None}
    return _FETCH[part](provider)


def company_part(company_id: int) -> str:
    """The reference part of one company looked up by id (``Reference.start([company_part(250)])``)."""
    return f"{COMPANY_PART}{int(company_id)}"


def _is_id(value) -> bool:
    return type(value) is int and 1 <= value <= ID_MAX


class Reference:
    """Reference data of one account, for one request. Build it with ``tenant.reference()``."""

    def __init__(self, connection, tenant):
        self._connection = connection
        self._tenant = tenant
        self._data: dict[str, object] = {}
        self._loads: dict[str, Future] = {}

    def start(self, parts) -> None:
        """Read ``parts`` from the cache (one ``get_many``) and start loading the missing ones."""
        wanted = [part for part in parts if part not in self._data and part not in self._loads]
        if not wanted:
            return
        keys = {part: cache_key(self._connection, part) for part in wanted}
        cached = cache.get_many(list(keys.values()))
        for part in wanted:
            if keys[part] in cached:
                try:
                    self._data[part] = self._build(part, cached[keys[part]])
                    continue
                except _Evicted:
                    cache.delete(keys[part])
            self._loads[part] = _load(self._connection, keys[part], part)

    @property
    def loading(self) -> bool:
        """Whether any part is still being fetched from the PSA (a cold cache)."""
        return any(not future.done() for future in self._loads.values())

    def _part(self, part: str):
        if part not in self._data:
            if part not in self._loads:
                self.start([part])
            if part not in self._data:
                self._data[part] = self._build(part, self._loads[part].result())  # raises the load's PSAError
                del self._loads[part]
        return self._data[part]

    def _build(self, part: str, data):
        if part in STAMPED:
            return self._stamped(part, data)
        if part == "boards":
            boards = [PSABoard.model_validate(b) for b in data["boards"]]
            statuses = {int(board_id): [PSAStatus.model_validate(s) for s in items]
                        for board_id, items in data["statuses"].items()}
            return boards, statuses
        if part == "priorities":
            return [PSAPriority.model_validate(p) for p in data]
        if part == "company_choices":
            return [PSACompany.model_validate(c) for c in data]
        if part.startswith(COMPANY_PART):
            return PSACompany.model_validate(data["company"]) if data["company"] else None
        if part == "work_types":
            return [PSAWorkType.model_validate(w) for w in data]
        if part == "work_roles":
            return [PSAWorkRole.model_validate(r) for r in data]
        return [PSAMember.model_validate(m) for m in data]

    def _stamped(self, part: str, data: dict) -> list:
        """A stamped part's records, built once per process and stamp (shared: never change them)."""
        memo_key = (cache_key(self._connection, part), data["stamp"])
        with _built_lock:
            built = _built.get(memo_key)
            if built is not None:
                _built.move_to_end(memo_key)
                return built
        rows = data.get("rows")
        if rows is None:
            rows = cache.get(f"{memo_key[0]}:{data['stamp']}")
            if rows is None:
                raise _Evicted
        built = [PSACompany.model_validate(c) for c in rows]
        with _built_lock:
            _built[memo_key] = built
            while len(_built) > BUILT_MAX:
                _built.popitem(last=False)
        return built

    # --- the parts ------------------------------------------------------------------------------

    @property
    def boards(self) -> list[PSABoard]:
        return self._part("boards")[0]

    @property
    def statuses_by_board(self) -> dict[int, list[PSAStatus]]:
        return self._part("boards")[1]

    @property
    def priorities(self) -> list[PSAPriority]:
        """Most urgent first (the PSA's sort order, then id)."""
        return sorted(self._part("priorities"), key=lambda p: (p.sort, p.id))

    @property
    def members(self) -> list[PSAMember]:
        """All PSA members, those mapped to ResolutionFlow users first (``is_rf_user`` set from the
        tenant's mappings as they are now, so a mapping changed in this request shows at once)."""
        members = self._part("members")
        mapped = self._tenant.mapped_member_ids
        for member in members:
            member.is_rf_user = member.id in mapped
        return sorted(members, key=lambda m: not m.is_rf_user)  # stable: PSA order within each group

    @property
    def companies(self) -> list[PSACompany]:
        """Every company of the account (id, identifier, name): for matching names in a note only. The other
        screens use ``company_choices``, ``company(id)`` and ``companies_named(text)``."""
        return self._part("companies")

    @property
    def company_choices(self) -> list[PSACompany]:
        """At most ``PICK_MAX`` companies, by name: what a page's company suggestions list."""
        return self._part("company_choices")

    def companies_named(self, text: str, limit: int = PICK_MAX) -> list[PSACompany]:
        """Companies whose name or identifier contains ``text``, by name (one small search, not cached)."""
        return provider_for(self._connection).search_companies(text, limit=limit)

    @property
    def work_types(self) -> list[PSAWorkType]:
        """Active work types by name (the PSA's overall default has ``is_default``)."""
        return self._part("work_types")

    @property
    def work_roles(self) -> list[PSAWorkRole]:
        return self._part("work_roles")

    # --- look-ups -------------------------------------------------------------------------------

    def statuses(self, board_id: int | None) -> list[PSAStatus]:
        """The statuses of ``board_id`` (empty for an unknown board or None)."""
        return self.statuses_by_board.get(board_id, []) if board_id is not None else []

    @property
    def all_statuses(self) -> list[PSAStatus]:
        """Every board's statuses, in board order."""
        by_board = self.statuses_by_board
        return [status for board in self.boards for status in by_board.get(board.id, [])]

    def board(self, board_id) -> PSABoard | None:
        return next((b for b in self.boards if b.id == board_id), None)

    def status(self, status_id, board_id: int | None = None) -> PSAStatus | None:
        """The status ``status_id`` (of ``board_id`` when given, else of any board)."""
        candidates = self.statuses(board_id) if board_id is not None else self.all_statuses
        return next((s for s in candidates if s.id == status_id), None)

    def priority(self, priority_id) -> PSAPriority | None:
        return next((p for p in self._part("priorities") if p.id == priority_id), None)

    def member(self, member_id) -> PSAMember | None:
        return next((m for m in self._part("members") if m.id == member_id), None)

    def want_company(self, company_id) -> None:
        """Start looking ``company_id`` up now, unless the company suggestions (when cached) or another part
        already loaded have it (``company`` then waits for that look-up only)."""
        if not _is_id(company_id):
            return
        if "company_choices" not in self._data and "company_choices" not in self._loads:
            cached = cache.get(cache_key(self._connection, "company_choices"))  # a look, never a load
            if cached is not None:
                self._data["company_choices"] = self._build("company_choices", cached)
        if not any(part in self._data and any(c.id == company_id for c in self._data[part])
                   for part in ("company_choices", "companies")):
            self.start([company_part(company_id)])

    def company(self, company_id) -> PSACompany | None:
        """The company ``company_id``: from a part already loaded, else one small cached look-up by id."""
        if not _is_id(company_id):
            return None
        for part in ("company_choices", "companies"):
            if part in self._data:
                found = next((c for c in self._data[part] if c.id == company_id), None)
                if found is not None:
                    return found
        return self._part(company_part(company_id))

    def work_type(self, work_type_id) -> PSAWorkType | None:
        return next((w for w in self.work_types if w.id == work_type_id), None)

    def work_role(self, work_role_id) -> PSAWorkRole | None:
        return next((r for r in self.work_roles if r.id == work_role_id), None)
