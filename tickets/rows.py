"""Queue rows: a view-model built once per row, and the row's HTML written in Python.

``rows_for(tickets, list_query)`` turns a page of tickets into ``TicketRow`` objects: the deep link
and the drawer URL (their fixed parts reversed once per list, not per row), the status and priority
CSS classes (computed once per distinct name), the age (one clock reading per list), the entry date
as the row shows it, the assignees. ``row_html(row)`` writes the row's ``<a>``.

Why the row is not a Django template: the queue's 25 rows are the hot loop of the busiest page, and
the template engine costs several microseconds per variable it prints (lookup, localisation,
escaping) plus a node walk per tag; with ~20 values a row, the row template alone cost more CPU than
the rest of the request. Here each value is escaped once with ``html.escape`` (what Django's
``escape`` does) and the row is one f-string. Rule for this module: **every value that reaches the
HTML goes through ``escape()``**, except the integer id and the CSS classes, which come from the
fixed tables below. The list view passes ``rows_html(rows_for(...))`` to ``tickets/list.html#results``, and
``tickets/list.html#row`` (a single row, e.g. swapped out of band after a status change) writes one with
``{% ticket_row %}``; the markup lives only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from functools import lru_cache
from html import escape
from operator import attrgetter
from urllib.parse import quote_plus

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString

from tickets import shell

EMPTY = "—"  # shown for a missing board, status, company or assignee


# --- presentation rules (the template filters in tickets_ui apply them one value at a time) -------------


def compact(delta: timedelta) -> str:
    """``12m``, ``5h 20m``, ``14h``, ``3d`` (the sign is ignored)."""
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours}h {rest}m" if rest and hours < 10 else f"{hours}h"
    return f"{minutes // (24 * 60)}d"


_STATUS_CLASSES = [
    ("escalat", "st-red"),
    ("progress", "st-amber"),
    ("waiting", "st-purple"),
    ("schedul", "st-teal"),
    ("resolved", "st-green"),
    ("closed", "st-grey"),
    ("complete", "st-green"),
    ("new", "st-blue"),
]


@lru_cache(maxsize=1024)
def status_css(name: str | None) -> str:
    """The badge colour of a status name (``st-blue`` for "New", ...; ``st-grey`` when unknown)."""
    lowered = (name or "").lower()
    for fragment, css in _STATUS_CLASSES:
        if fragment in lowered:
            return css
    return "st-grey"


_PRIORITY_NUMBER = re.compile(r"priority\s*(\d)", re.IGNORECASE)


@lru_cache(maxsize=1024)
def _priority_css_by_name(name: str) -> str | None:
    match = _PRIORITY_NUMBER.search(name)
    return f"p{min(int(match.group(1)), 4)}" if match else None


def priority_css(name, sort: int | None = None) -> str:
    """``p1``..``p4`` from the convention "Priority N - ...", else from the sort order; ``p0`` if neither."""
    by_name = _priority_css_by_name(str(name or ""))
    if by_name is not None:
        return by_name
    if sort is None:
        return "p0"
    return "p1" if sort <= 1 else "p2" if sort <= 2 else "p3" if sort <= 6 else "p4"


# --- URLs -------------------------------------------------------------------------------------------------


_PLACEHOLDER_ID = 2147483647  # reversed in place of a ticket id, then split around


@lru_cache(maxsize=16)
def _row_urls(cls, prefix: str, urlconf) -> RowUrls:
    head, tail = reverse("ticket_panel", args=[_PLACEHOLDER_ID]).split(str(_PLACEHOLDER_ID))
    return cls(queue=reverse("ticket_list"), panel_head=head, panel_tail=tail, changes=reverse("queue_changes"))


@dataclass(frozen=True, slots=True)
class RowUrls:
    """The fixed parts of a row's URLs, from ``reverse()`` (so the script prefix applies), once per list."""

    queue: str  # /tickets
    panel_head: str  # /tickets/
    panel_tail: str  # /panel
    changes: str  # /tickets/changes, the live poll (list.html#results)

    @classmethod
    def reverse(cls) -> RowUrls:
        # What reverse() answers depends only on the script prefix and the URLconf: remembered per pair.
        return _row_urls(cls, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)

    def href(self, ticket_id, list_query: str = "") -> str:
        """The /tickets deep link that shows the queue with this ticket's drawer open."""
        query = f"ticket={_q(ticket_id)}"
        return f"{self.queue}?{query}&{list_query}" if list_query else f"{self.queue}?{query}"

    def panel(self, ticket) -> str:
        """The drawer URL carrying the row's data (``tickets.shell.FIELDS``), so opening the drawer needs
        no PSA call. Same query as ``shell.shell_query`` (``urlencode``)."""
        return f"{self.panel_head}{ticket.id}{self.panel_tail}?{_panel_query(_panel_values(ticket))}"


# (query parameter, ticket attribute): the one list is tickets/shell.py's
_PANEL_PARAMS = tuple(shell.FIELDS)
_panel_values = attrgetter(*shell.FIELDS.values())


@lru_cache(maxsize=4096)
def _panel_query(values: tuple) -> str:
    """The drawer query of one row's values. A page of rows comes back on the next request (paging,
    a refresh, the list after a change): the query of values seen before is remembered."""
    return "&".join([f"{param}={_q(value or '')}" for param, value in zip(_PANEL_PARAMS, values, strict=True)])


@lru_cache(maxsize=4096)
def _quote_text(value: str) -> str:
    return quote_plus(value)


def _q(value) -> str:
    """One value as ``urlencode`` writes it. Names repeat from row to row (boards, statuses, companies):
    their encoding is remembered; long texts are not kept."""
    if type(value) is int:
        return str(value)
    text = str(value)
    return _quote_text(text) if len(text) <= 120 else quote_plus(text)


# --- rows -----------------------------------------------------------------------------------------------


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each of its 15 fields through object.__setattr__
class TicketRow:
    """What one queue row shows, computed once (and not changed after). Texts are raw (not escaped):
    ``row_html`` escapes."""

    id: int
    closed: bool
    href: str  # the deep link (/tickets?ticket=N&<the queue's query>)
    panel_url: str  # the drawer URL with the row's data
    summary: str
    company: str | None
    board: str | None
    status: str | None
    status_css: str
    priority: str | None
    priority_css: str
    assignees: tuple[str, ...]  # member identifiers
    entered_iso: str  # "" when there is no date
    entered_text: str  # "Nov 3, 2026 14:05 CET" in the current time zone, which it names
    age: str  # "3d", "5h", "12m"

    def __getitem__(self, key):  # a template's ``row.x`` tries ``row["x"]`` first: answer it directly
        return getattr(self, key)


class _Clock:
    """One list's time facts: now, the current time zone, month abbreviations (resolved once)."""

    __slots__ = ("now", "zone", "language", "months")

    def __init__(self):
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        self.language = translation.get_language()  # the month names' language
        self.months: dict[int, str] = {}

    def entered(self, moment: datetime | None) -> tuple[str, str]:
        """The entry date as ``|date:'c'`` and ``|date:'M j, Y H:i'`` print it (in the current time zone)."""
        if moment is None:
            return "", ""
        if type(moment.tzinfo) is dt_timezone:  # a fixed offset (the PSA's UTC): the text depends on the instant only
            return _entered_text(moment, self.zone, self.language)
        return _entered(moment, self.zone, self.months)


@lru_cache(maxsize=4096)
def _entered_text(moment: datetime, zone, language) -> tuple[str, str]:
    """``_entered`` remembered per instant, zone and language: a page's rows come back on the next request."""
    return _entered(moment, zone, {})


def _entered(moment: datetime, zone, months: dict[int, str]) -> tuple[str, str]:
    if moment.utcoffset() is not None:  # aware: shown in the current time zone, like the date filter
        moment = moment.astimezone(zone)
    month = months.get(moment.month)
    if month is None:
        month = months[moment.month] = str(MONTHS_3[moment.month]).title()
    zone_name = (moment.tzname() or "") if moment.utcoffset() is not None else ""  # "CET", "EST", "UTC": named on hover
    text = f"{month} {moment.day}, {moment.year:04d} {moment.hour:02d}:{moment.minute:02d}"
    return moment.isoformat(), f"{text} {zone_name}" if zone_name else text


def build_row(ticket, list_query: str, urls: RowUrls, clock: _Clock) -> TicketRow:
    """``ticket``: a queue row DTO (``PSATicketSearchResult``) or a ticket detail (same fields)."""
    iso, text = clock.entered(ticket.date_entered)
    return TicketRow(
        id=ticket.id,
        closed=bool(ticket.closed),
        href=urls.href(ticket.id, list_query),
        panel_url=urls.panel(ticket),
        summary=ticket.summary,
        company=ticket.company_name,
        board=ticket.board_name,
        status=ticket.status_name,
        status_css=status_css(ticket.status_name),
        priority=ticket.priority_name,
        priority_css=priority_css(ticket.priority_name, getattr(ticket, "priority_sort", None)),
        assignees=tuple(ticket.resources),
        entered_iso=iso,
        entered_text=text,
        age=compact(clock.now - ticket.date_entered) if ticket.date_entered is not None else "",
    )


def rows_for(tickets, list_query: str = "") -> list[TicketRow]:
    """The rows of one list: URL prefixes reversed once, one clock reading for every age."""
    urls, clock = RowUrls.reverse(), _Clock()
    return [build_row(ticket, list_query, urls, clock) for ticket in tickets]


_OOB = ' hx-swap-oob="true"'


@lru_cache(maxsize=4096)
def _escape_name(text: str) -> str:
    """``escape`` of a text that repeats from row to row and list to list (a company, board, status,
    priority or member name; an age): each is escaped once."""
    return escape(text)


def assignees_cell(ticket_id: int, assignees, oob: bool = False) -> str:
    """The Assignees cell (also swapped on its own, out of band, after a drawer change)."""
    names = ", ".join([_escape_name(str(name)) for name in assignees or ()]) or EMPTY
    return f'<span id="ticket-assignees-{int(ticket_id)}" class="c-assignees"{_OOB if oob else ""}>{names}</span>'


def row_html(row: TicketRow, oob: bool = False) -> str:
    """The row's ``<a>``: a link to the deep link that opens the drawer in place (htmx)."""
    href, summary, company, priority = escape(row.href), escape(row.summary), _escape_name(row.company or ""), row.priority
    return (
        f'<a class="row{" is-closed" if row.closed else ""}" id="ticket-row-{row.id}" data-row\n'
        f'         href="{href}" hx-get="{escape(row.panel_url)}" hx-target="#drawer" hx-swap="innerHTML"\n'
        f'         hx-push-url="{href}"{_OOB if oob else ""}>\n'
        f'        <span class="c-id">#{row.id}</span>\n'
        f'        <span class="c-summary" title="{summary}">{summary}</span>\n'
        f'        <span class="c-company" title="{company}">{company or EMPTY}</span>\n'
        f'        <span class="c-board">{_escape_name(row.board) if row.board else EMPTY}</span>\n'
        f'        <span class="c-status"><span class="badge {row.status_css}">'
        f"{_escape_name(row.status) if row.status else EMPTY}</span></span>\n"
        f'        <span class="c-priority" title="{_escape_name(priority or "")}"><span class="dot {row.priority_css}"'
        f' aria-hidden="true"></span><span class="prio-label">{row.priority_css.upper()}</span>'
        f'<span class="sr-only">{_escape_name(str(priority))}</span></span>\n'
        f"        {assignees_cell(row.id, row.assignees)}\n"
        f'        <time class="c-age" datetime="{escape(row.entered_iso)}" title="Entered {escape(row.entered_text)}">'
        f"{_escape_name(row.age)}</time>\n"
        f"      </a>"
    )


def row_line_html(row: TicketRow) -> str:
    """The row with its bulk-selection checkbox beside it (not inside: a link holds no controls). The
    checkbox belongs to the bulk bar's form (``tickets/bulk.html``) through ``form=``; an out-of-band
    row swap replaces only the ``<a>``, so a selection survives it."""
    return (
        f'<div class="row-line"><input type="checkbox" class="row-check" name="ids" value="{row.id}" form="bulk-form"'
        f' aria-label="Select #{row.id}" data-bulk-check>{row_html(row)}</div>'
    )


def rows_html(rows: list[TicketRow]) -> SafeString:
    """Every row of the list (each with its selection checkbox), one after the other."""
    return SafeString("\n      ".join([row_line_html(row) for row in rows]))
