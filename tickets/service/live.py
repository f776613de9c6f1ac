"""Calm live updates: has anything changed since the page was drawn? Cheap, and shared between viewers.

The queue asks :func:`changes_since` every poll interval; an open drawer asks :func:`ticket_changed_since`.
Neither changes what the engineer sees: they answer with ids and a count, and the page offers Refresh.

**One PSA query per interval, however many watch.** Engineers watching the same filters on one connection
share one query per interval (``POLL_INTERVAL_SECONDS``). The shared query cannot depend on each viewer's
own ``since`` (the moment their page was drawn), so it asks for everything updated in a window that ends now
and starts ``LOOKBACK`` before the interval began, with each ticket's ``lastUpdated``; every viewer then
keeps the tickets updated after *their* ``since``. A page older than the window gets an ``at_least`` count
(tickets updated between its ``since`` and the window are not known).

The shared query's cache key is the connection (and its version), the PSA query the filters become and
the interval, nothing else: two accounts never share (different connections), "Assigned to me" becomes a
different query per user, and every viewer of the same filters shares one query per interval whichever rows
their page shows. Rows matter because a ticket that *left* the filter (assigned away from "Unassigned",
moved to another status) no longer matches it: each poll registers the rows its page shows
(``visible_ids``) for the filter, and the shared query also watches every row registered in the last
``ROWS_KEEP_INTERVALS`` intervals (``... or id in (...)``, at most ``WATCHED_MAX``). A page's new rows are
watched from the next interval at the latest. The answer cannot tell a watched row that left the filter from
one still in it, so every viewer of the filter hears of both: a ticket that left the filter from a colleague's
(older) page, changed after this viewer's page was drawn, is counted for this viewer too (rare, and never a
missed ticket).

The first poller of an interval takes a lock (``cache.add``) and asks the PSA; the others wait up to
``LOCK_WAIT_SECONDS`` for its answer, and without one answer "not checked" (the page just asks again next
interval) instead of all asking the PSA at once. A PSA failure is shared the same way: one failed query per
interval, never a stampede of retries.

A ConnectWise query costs one GET (``fields=id,_info/lastUpdated``); the ``/count`` is only asked when the
page of changes came back full.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from psa.providers.base import PSAError
from psa.schemas import TicketSearchQuery
from psa.tenancy import Tenant
from tickets.service.queue import ID_MAX, TicketFilters, search_query

POLL_INTERVAL_SECONDS = 45  # the page polls every 45 s while visible; one shared PSA query per interval
LOOKBACK = timedelta(minutes=20)  # how far before an interval the shared query looks (see the module's doc)
CHANGES_LIMIT = 200  # changed tickets one query lists; beyond it only the count is known
VISIBLE_IDS_MAX = 100  # rows of one queue page (page size at most 100)
WATCHED_MAX = 100  # rows of a filter's pages the shared query also watches (the most recently shown)
ROWS_KEEP_INTERVALS = 2  # a row no page has shown for this many intervals is no longer watched
LOCK_SECONDS = 30  # a poller that died mid-query blocks its interval at most this long
LOCK_WAIT_SECONDS = 5.0  # how long the other pollers wait for the first one's answer
LOCK_POLL_SECONDS = 0.05
ASPECTS = ("status", "assignees", "notes")
SEEN_KEEP = 8  # states of a ticket remembered for the drawers that have it open (see ticket_changed_since)
SEEN_SECONDS = 60 * 60


@dataclass
class QueueChanges:
    """What changed in a queue since its page was drawn."""

    ticket_ids: list[int]  # changed tickets (newest first); at most CHANGES_LIMIT
    count: int
    at_least: bool = False  # more may have changed than ``count`` says (an old page, or a full list)
    checked: bool = True  # False: no answer this interval (the PSA failed or answered late); ask again later
    error: str | None = None  # the PSA's failure, when there was one


@dataclass
class TicketChange:
    """Whether an open drawer's ticket changed since it was drawn, and in which of its parts."""

    changed: bool
    aspects: tuple[str, ...] = ()  # of ASPECTS: status, assignees, notes (any other update shows as notes)
    last_updated: datetime | None = None
    checked: bool = True
    error: str | None = None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def interval_of(moment: datetime) -> int:
    """The poll interval ``moment`` falls in (the number of whole intervals since the epoch)."""
    return int(_utc(moment).timestamp() // POLL_INTERVAL_SECONDS)


def window_start(interval: int) -> datetime:
    """Where the shared query of ``interval`` starts looking: ``LOOKBACK`` before the interval began."""
    return datetime.fromtimestamp(interval * POLL_INTERVAL_SECONDS, UTC) - LOOKBACK


def _connection_part(tenant: Tenant) -> str:
    connection = tenant.require_connection()
    return f"{connection.pk}:{connection.updated.timestamp():.6f}"


def _filter_part(tenant: Tenant, query: TicketSearchQuery) -> str:
    return f"{_connection_part(tenant)}:{hashlib.sha256(query.model_dump_json().encode()).hexdigest()}"


def poll_cache_key(tenant: Tenant, query: TicketSearchQuery, interval: int) -> str:
    """The shared answer's key: connection (and version) + the PSA query of the filters + the interval."""
    return f"rf-poll:{_filter_part(tenant, query)}:{interval}"


def watch_rows(tenant: Tenant, query: TicketSearchQuery, ids: tuple[int, ...], interval: int) -> tuple[int, ...]:
    """Register ``ids`` (a page's rows) for the filter; the rows the filter's shared query watches now.

    A plain read-modify-write of the cache: two pages registering at the same instant may lose one's rows
    for one interval; every poll registers again."""
    key = f"rf-poll-rows:{_filter_part(tenant, query)}"
    rows = {int(i): n for i, n in (cache.get(key) or {}).items() if n >= interval - ROWS_KEEP_INTERVALS}
    fresh = any(rows.get(i) != interval for i in ids)
    for ticket_id in ids:
        rows[ticket_id] = interval
    if len(rows) > WATCHED_MAX:  # the most recently shown rows
        rows = dict(sorted(rows.items(), key=lambda item: (-item[1], item[0]))[:WATCHED_MAX])
    if fresh:
        cache.set(key, rows, POLL_INTERVAL_SECONDS * (ROWS_KEEP_INTERVALS + 1))
    return tuple(sorted(rows))


def _visible(ids: Iterable[int]) -> tuple[int, ...]:
    clean = sorted({int(i) for i in ids if 0 < int(i) <= ID_MAX})
    return tuple(clean[:VISIBLE_IDS_MAX])


def shared_answer(key: str, fetch: Callable[[], dict]) -> dict | None:
    """The cached answer under ``key``, or the one this caller fetches while holding the key's lock, or the one
    another caller fetched while this one waited; None when none came within ``LOCK_WAIT_SECONDS``.

    ``fetch`` returns a plain dict (it is cached); a ``PSAError`` it raises is cached as ``{"error": message}``
    for the interval, so a failing PSA is asked once per interval too."""
    answer = cache.get(key)
    if answer is not None:
        return answer
    lock = key + ":lock"
    if cache.add(lock, 1, LOCK_SECONDS):
        try:
            answer = cache.get(key)  # answered between our miss and our lock
            if answer is None:
                try:
                    answer = fetch()
                except PSAError as error:
                    answer = {"error": error.message}
                cache.set(key, answer, POLL_INTERVAL_SECONDS * 2)
            return answer
        finally:
            cache.delete(lock)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(LOCK_POLL_SECONDS)
        answer = cache.get(key)
        if answer is not None:
            return answer
    return cache.get(key)


def changes_since(tenant: Tenant, filters: TicketFilters, since: datetime, *, visible_ids: Iterable[int] = (),
                  now: datetime | None = None) -> QueueChanges:
    """Tickets of the queue ``filters`` (or on its pages: ``visible_ids`` are this page's rows) updated after
    ``since``.

    ``filters`` are checked ones (the filter bar's ``cleaned()``); an id the PSA does not have raises
    ``InvalidInput`` as the queue's search does. ``now`` is for tests and benchmarks (default: the clock)."""
    since = _utc(since)
    now = _utc(now or timezone.now())
    interval = interval_of(now)
    start = window_start(interval)
    query = search_query(tenant, filters)
    watched = watch_rows(tenant, query, _visible(visible_ids), interval)
    key = poll_cache_key(tenant, query, interval)
    provider = tenant.provider

    def fetch() -> dict:
        found = provider.changed_tickets(query, start, also_ids=watched, limit=CHANGES_LIMIT)
        return {"changes": [(ticket_id, updated.isoformat() if updated else None) for ticket_id, updated in found.changes],
                "total": found.total}

    answer = shared_answer(key, fetch)
    if answer is None:
        return QueueChanges([], 0, checked=False)
    if "error" in answer:
        return QueueChanges([], 0, checked=False, error=answer["error"])
    changed = [ticket_id for ticket_id, updated in answer["changes"]
               if updated is None or datetime.fromisoformat(updated) > since]
    cut_short = answer["total"] > len(answer["changes"])
    return QueueChanges(changed, len(changed), at_least=cut_short or since < start)


def ticket_changed_since(tenant: Tenant, ticket_id: int, since: datetime, *, status_id: int | None = None,
                         resources: Iterable[str] | None = None, now: datetime | None = None) -> TicketChange:
    """Whether ticket ``ticket_id`` changed after ``since`` (one cheap read of its last update, status and
    assignees, shared per connection, ticket and interval by everybody who has it open).

    ``status_id`` and ``resources`` (assignee identifiers) are what the drawer shows: a difference names the
    part to reload even when the PSA did not move ``lastUpdated``; any other update is reported as "notes"
    (the drawer's notes and details section).

    Without them, the drawer showed the ticket as it was at ``since``: every check remembers the states it
    sees (per connection and ticket, ``SEEN_KEEP`` of them for ``SEEN_SECONDS``), and an update after ``since``
    is compared with the last state seen at or before it, so an assignee-only change is told as "assignees"
    and a status change as "status". A ticket that changed before any check saw it as it was drawn (in the
    first interval after the drawer opened, when nobody else has it open) is told as "notes": the part is
    not known, and that Reload brings status, notes and details."""
    since = _utc(since)
    interval = interval_of(_utc(now or timezone.now()))
    key = f"rf-poll-ticket:{_connection_part(tenant)}:{int(ticket_id)}:{interval}"
    provider = tenant.provider

    def fetch() -> dict:
        stamp = provider.ticket_stamp(ticket_id)
        return {"last_updated": stamp.last_updated.isoformat() if stamp.last_updated else None,
                "status_id": stamp.status_id, "resources": list(stamp.resources)}

    answer = shared_answer(key, fetch)
    if answer is None:
        return TicketChange(False, checked=False)
    if "error" in answer:
        return TicketChange(False, checked=False, error=answer["error"])
    last_updated = datetime.fromisoformat(answer["last_updated"]) if answer["last_updated"] else None
    updated = last_updated is not None and last_updated > since
    if status_id is None and resources is None:  # the drawer did not say what it shows: what it was drawn with
        seen = remember_state(f"rf-live-seen:{_connection_part(tenant)}:{int(ticket_id)}", answer)
        drawn = state_as_of(seen, since) if updated else None
        if drawn is not None:
            status_id, resources = drawn["status_id"], drawn["resources"]
    aspects = []
    if status_id is not None and answer["status_id"] != status_id:
        aspects.append("status")
    if resources is not None and {r.lower() for r in answer["resources"]} != {r.lower() for r in resources}:
        aspects.append("assignees")
    if updated and not aspects:
        aspects.append("notes")
    return TicketChange(bool(aspects), tuple(aspects), last_updated)


def remember_state(key: str, answer: dict) -> list[dict]:
    """Add a ticket's state (a drawer check's shared answer) to the states remembered under ``key`` (the last
    ``SEEN_KEEP`` distinct ones, by ``last_updated``); return them. Written only when the state is new."""
    seen = cache.get(key) or []
    if answer.get("last_updated") is None:
        return seen
    state = {"last_updated": answer["last_updated"], "status_id": answer["status_id"],
             "resources": sorted(r.lower() for r in answer["resources"])}
    if state not in seen:
        seen = sorted([*seen, state], key=lambda s: datetime.fromisoformat(s["last_updated"]))[-SEEN_KEEP:]
        cache.set(key, seen, SEEN_SECONDS)
    return seen


def state_as_of(seen: list[dict], moment: datetime) -> dict | None:
    """The remembered state a drawer drawn at ``moment`` showed: the last one updated at or before it (None:
    none is remembered, e.g. the ticket changed before anybody's first check of it)."""
    before = [s for s in seen if datetime.fromisoformat(s["last_updated"]) <= moment]
    return before[-1] if before else None
