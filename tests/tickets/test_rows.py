"""Queue rows (tickets/rows.py): what a row shows, written once per row in Python instead of a template."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

from django.template import engines
from django.utils import timezone

from psa.schemas import PSATicketSearchResult
from tickets import rows

HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'


def _ticket(**fields) -> PSATicketSearchResult:
    values = {
        "id": 1630,
        "summary": "Switch port flapping",
        "board_id": 2,
        "board_name": "Network Operations",
        "status_id": 21,
        "status_name": "In Progress",
        "priority_id": 1,
        "priority_name": "Priority 1 - Emergency Response",
        "company_id": 254,
        "company_name": "Initech",
        "resources": ["pwilliams", "jsmith"],
        "date_entered": datetime(2026, 11, 30, 0, 12, tzinfo=UTC),
    }
    values.update(fields)
    return PSATicketSearchResult(**values)


def _html(ticket, list_query: str = "") -> str:
    return rows.rows_html(rows.rows_for([ticket], list_query))


def _attr(html: str, name: str) -> str:
    return unescape(re.search(rf'\s{name}="([^"]*)"', html).group(1))


def test_a_row_shows_the_ticket_with_its_badge_and_priority_classes():
    html = _html(_ticket())
    assert 'id="ticket-row-1630" data-row' in html
    assert '<span class="c-summary" title="Switch port flapping">Switch port flapping</span>' in html
    assert '<span class="badge st-amber">In Progress</span>' in html
    assert '<span class="dot p1" aria-hidden="true"></span><span class="prio-label">P1</span>' in html
    assert '<span id="ticket-assignees-1630" class="c-assignees">pwilliams, jsmith</span>' in html
    assert 'datetime="2026-11-30T00:12:00+00:00" title="Entered Nov 30, 2026 00:12 UTC"' in html


def test_the_row_links_to_its_deep_link_and_opens_the_drawer_with_its_own_data():
    html = _html(_ticket(summary="Printer & scanner"), list_query="board=2&page=3")
    assert _attr(html, "href") == "/tickets?ticket=1630&board=2&page=3"
    assert _attr(html, "hx-push-url") == "/tickets?ticket=1630&board=2&page=3"
    panel = urlsplit(_attr(html, "hx-get"))
    assert panel.path == "/tickets/1630/panel"
    assert parse_qs(panel.query) == {
        "summary": ["Printer & scanner"],
        "company": ["Initech"],
        "company_id": ["254"],
        "board": ["Network Operations"],
        "board_id": ["2"],
        "status": ["In Progress"],
        "status_id": ["21"],
        "priority": ["Priority 1 - Emergency Response"],
        "priority_id": ["1"],
    }


def test_text_from_the_psa_is_escaped_in_every_cell_and_attribute():
    html = _html(
        _ticket(
            summary=HOSTILE,
            company_name=HOSTILE,
            board_name=HOSTILE,
            status_name=HOSTILE,
            priority_name=HOSTILE,
            resources=[HOSTILE],
        )
    )
    assert "<script>" not in html and "<img" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 9  # 5 cells, 3 titles, the screen-reader text
    assert _attr(html, "title") == HOSTILE


def test_a_row_without_company_board_status_priority_or_assignee_shows_dashes():
    html = _html(
        _ticket(
            company_name=None,
            company_id=None,
            board_name=None,
            status_name=None,
            priority_name=None,
            priority_sort=None,
            resources=[],
        )
    )
    assert '<span class="c-company" title="">—</span>' in html
    assert '<span class="c-board">—</span>' in html
    assert '<span class="badge st-grey">—</span>' in html
    assert '<span class="dot p0" aria-hidden="true"></span><span class="prio-label">P0</span>' in html
    assert 'class="c-assignees">—</span>' in html
    assert "company=&amp;company_id=&amp;" in html


def test_a_priority_without_a_number_takes_its_class_from_the_sort_order():
    html = _html(_ticket(priority_name="Urgent", priority_sort=2))
    assert '<span class="dot p2" aria-hidden="true"></span>' in html


def test_a_closed_ticket_is_marked_closed_and_a_ticket_without_a_date_has_no_age():
    html = _html(_ticket(closed=True, date_entered=None))
    assert '<a class="row is-closed" id="ticket-row-1630"' in html
    assert '<time class="c-age" datetime="" title="Entered "></time>' in html


def test_the_entry_date_is_shown_in_the_current_time_zone():
    with timezone.override("America/New_York"):
        html = _html(_ticket())
    assert 'datetime="2026-11-29T19:12:00-05:00" title="Entered Nov 29, 2026 19:12 EST"' in html


def test_the_row_partial_renders_one_row_out_of_band_for_a_status_change():
    template = engines["django"].from_string(
        '{% include "tickets/list.html#row" with ticket=ticket list_query="board=2" oob=True %}'
    )
    html = template.render({"ticket": _ticket()})
    assert 'id="ticket-row-1630" data-row' in html and 'hx-swap-oob="true"' in html
    assert _attr(html, "href") == "/tickets?ticket=1630&board=2"


def test_the_assignees_cell_partial_swaps_alone_out_of_band():
    template = engines["django"].from_string(
        '{% include "tickets/list.html#assignees_cell" with ticket_id=7 assignees=names oob=True %}'
    )
    html = template.render({"names": ["ana", HOSTILE]})
    assert html.startswith('<span id="ticket-assignees-7" class="c-assignees" hx-swap-oob="true">ana, &lt;script&gt;')
