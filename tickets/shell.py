"""The drawer's header (its "shell"): the row's fields, carried in the drawer URL, so opening the
drawer from a row needs no PSA call. One list of fields serves the URL, the view that reads it
back, and the deep link that builds the same header from a fetched ticket."""

from __future__ import annotations

from urllib.parse import urlencode

from psa.web import to_int

# query parameter -> ticket attribute
FIELDS = {
    "summary": "summary",
    "company": "company_name",
    "company_id": "company_id",
    "board": "board_name",
    "board_id": "board_id",
    "status": "status_name",
    "status_id": "status_id",
    "priority": "priority_name",
    "priority_id": "priority_id",
}
TEXT_MAX = 200


def shell_query(ticket) -> str:
    """The drawer URL's query string for a ticket row."""
    return urlencode({param: getattr(ticket, attribute) or "" for param, attribute in FIELDS.items()})


def shell_from_params(ticket_id: int, params) -> dict:
    """The drawer header from the row's query parameters (ids as ints, text capped)."""
    shell = {"id": ticket_id}
    for param in FIELDS:
        value = params.get(param, "")
        shell[param] = to_int(value) if param.endswith("_id") else value[:TEXT_MAX]
    return shell


def shell_from_ticket(ticket) -> dict:
    """The same header from a ticket read from the PSA (the deep link ``/tickets?ticket=N``)."""
    shell = {"id": ticket.id}
    for param, attribute in FIELDS.items():
        value = getattr(ticket, attribute)
        shell[param] = value if param.endswith("_id") else (value or "")
    return shell
