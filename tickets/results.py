"""The queue's results (``tickets/list.html#results``) below its notices: written in Python, as its rows are.

``results_html(...)`` writes the live poll, the list head ("Showing 1–25 of 507 tickets"), the table with its
rows (``tickets/rows.py``) and the pager. ``#results`` keeps the section, the notices (no connection, no member
mapping, a PSA failure, ignored filter values) and the out-of-band status select in the template, and prints
this in place.

Why not the template engine: after the rows moved to Python, the ~30 values and tags around them were the
partial's largest cost left (~0.2 ms of a 2.4 ms list render in-process, README "List render cost"); each
printed value costs the engine a lookup, localisation and escaping. Same rule as ``tickets/rows.py``: **every
value that reaches the HTML goes through ``escape()``**, except integers and the fixed texts here.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString

from tickets.rows import RowUrls, rows_for, rows_html
from tickets.service import live

PAGE_LEFT_OUT = frozenset({"page", "ticket"})  # the pager carries every other parameter of the queue's URL


def results_html(request, result, *, page: int, page_size: int, list_query: str, urls: RowUrls, drawn_at: int,
                 psa_words: dict[str, str]) -> SafeString:
    """``result``: the page of tickets (``TicketListResponse``) for ``page`` of ``page_size`` rows."""
    items, total = result.items, result.total
    query = request.GET
    queue = escape(urls.queue)
    ids = ",".join([str(ticket.id) for ticket in items])
    parts = [
        f'<div class="live-poll" data-live-poll hx-get="{escape(urls.changes)}?{escape(query.urlencode())}"'
        ' hx-include="find input"\n'
        f'         hx-trigger="every {live.POLL_INTERVAL_SECONDS}s, liveVisible" hx-target="find [data-live-message]"'
        ' hx-swap="innerHTML">\n'
        f'      <input type="hidden" name="since" value="{int(drawn_at)}">\n'
        f'      <input type="hidden" name="ids" value="{ids}">\n'
        '      <div class="live-notice" role="status" data-live-message></div>\n'
        '    </div>\n'
        '    <div class="list-head">\n'
    ]
    if items:
        first = (page - 1) * page_size + 1
        parts.append(
            '      <label class="check bulk-all"><input type="checkbox" data-bulk-all> Select all on this page</label>\n'
            f'      <p class="count" id="results-count">Showing {first}–{first + len(items) - 1} of {int(total)} tickets</p>\n'
        )
    elif total:
        first_page = "&".join([*(p for p in list_query.split("&") if p and not p.startswith("page=")), "page=1"])
        parts.append(
            f'      <p class="count" id="results-count">No tickets on page {int(page)}. '
            f'<a href="{queue}?{escape(first_page)}">Go to the first page</a></p>\n'
        )
    else:
        parts.append('      <p class="count" id="results-count">No tickets match these filters.</p>\n')
    parts.append('    </div>\n')
    if items:
        board = escape(psa_words.get("Board", "Board"))  # the PSA's word for a board (Autotask: Queue)
        parts.append(
            '    <div class="ticket-table" id="ticket-table">\n'
            '      <div class="row row-head" aria-hidden="true">\n'
            f'        <span>ID</span><span>Summary</span><span>Company</span><span class="h-board">{board}</span>'
            '<span>Status</span><span>Pri</span><span class="h-assignees">Assignees</span><span class="c-age">Age</span>\n'
            '      </div>\n'
            f'      {rows_html(rows_for(items, list_query))}\n'
            '    </div>\n'
        )
    if total:
        pages = max(1, -(-total // page_size))
        previous_page = page - 1 if page > 1 else None
        next_page = page + 1 if page * page_size < total else None
        carried = "".join([f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">'
                           for key, value in query.items() if key not in PAGE_LEFT_OUT])
        parts.append(
            f'    <form class="pager" method="get" action="{queue}" hx-get="{queue}" hx-target="#results"'
            ' hx-swap="outerHTML" hx-push-url="true" hx-indicator="#results" data-clean-params>\n'
            f'      {carried}\n'
            f'      <button type="submit" class="btn btn-sm" name="page" value="{previous_page or 1}"'
            f'{"" if previous_page else " disabled"}>Previous</button>\n'
            f'      <span class="pager-info">Page {int(page)} of {pages}</span>\n'
            f'      <button type="submit" class="btn btn-sm" name="page" value="{next_page or int(page)}"'
            f'{"" if next_page else " disabled"}>Next</button>\n'
            '    </form>\n'
        )
    return SafeString("".join(parts))
