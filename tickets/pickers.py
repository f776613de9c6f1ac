"""The typeahead pickers' items (issue 17): a few matches for the typed text, as HTML for htmx to swap in.

    GET /tickets/pick/company?q=acm                      companies whose name or identifier contains "acm"
    GET /tickets/pick/contact?company=250&q=ana          that company's contacts named "ana…"
    GET /tickets/pick/contact?within=company&company_id= none until a company is chosen (New Ticket's)
    GET /tickets/pick/member?q=ana                       members (from the cached list: no PSA call)
    GET /tickets/pick/member?q=m&fixed=assigned          the same after the Assigned filter's All/Me/Unassigned
    GET /tickets/pick/member?q=s&exclude=101,104         members but those (the drawer's: already assigned)
    GET /tickets/pick/configuration?company=250&q=ws     that company's configurations

Each answers ``tickets/pick.html#listbox``: ``<li role="option">`` items for a combobox's listbox (``id`` from
``for``, the input's id, so ``aria-activedescendant`` can point at them; ``data-value`` the id to submit,
``data-label`` the text to show), or with ``format=options`` ``<option>``s for a ``<datalist>``/``<select>``.
At most ``pick.PICK_LIMIT`` items; an empty answer, a PSA failure or a missing connection is one disabled item
that says so (200, so htmx swaps it where the user is looking).
"""

from __future__ import annotations

import re

from django.shortcuts import render
from django.views.decorators.http import require_GET

from psa.providers.base import PSAError
from psa.web import to_int
from tickets.service import NoPSAConnection, pick

TEMPLATE = "tickets/pick.html"
EXCLUDE_MAX = 50  # member ids a picker leaves out (a ticket's assignees)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,40}$")


def _render(request, kind: str, noun: str, search, fixed=()):
    """Run ``search(text)`` (a list of ``pick.Choice``) and render its items, or why there are none."""
    text = pick.clean_text(request.GET.get("q"))
    for_id = request.GET.get("for", "")
    context = {"query": text, "noun": noun, "prefix": f"{for_id if _ID.match(for_id) else 'pick-' + kind}-opt",
               "choices": [], "error": ""}
    try:
        context["choices"] = [*fixed, *search(text)[: pick.PICK_LIMIT]]
    except NoPSAConnection:
        context["error"] = "No PSA connection"
    except _NoCompany as error:
        context["error"] = error.message
    except PSAError as error:
        context["error"] = f"Could not search {noun}: {error.message}"
    part = "options" if request.GET.get("format") == "options" else "listbox"
    return render(request, f"{TEMPLATE}#{part}", context)


def _company_id(request) -> int | None:
    """``company`` (the filter bar's name for it) or ``company_id`` (the New Ticket form's)."""
    company_id = to_int(request.GET.get("company") or request.GET.get("company_id"))
    return company_id if company_id is not None and 0 < company_id < 2**31 else None


@require_GET
def pick_company(request):
    return _render(request, "company", "companies",
                   lambda text: pick.company_choices(pick.companies(request.tenant, text)))


@require_GET
def pick_contact(request):
    company_id = _company_id(request)
    if company_id is None and request.GET.get("within") == "company":
        return _render(request, "contact", "contacts", _choose_a_company_first)
    return _render(request, "contact", "contacts",
                   lambda text: pick.contact_choices(pick.contacts(request.tenant, company_id, text)))


class _NoCompany(Exception):
    message = "Choose the company first"


def _choose_a_company_first(text):
    raise _NoCompany


@require_GET
def pick_member(request):
    fixed = pick.assigned_choices(request.GET.get("q")) if request.GET.get("fixed") == "assigned" else ()
    exclude = {number for number in map(to_int, request.GET.get("exclude", "").split(",")[:EXCLUDE_MAX]) if number}
    return _render(request, "member", "members",
                   lambda text: pick.member_choices(pick.members(request.tenant, text, exclude=exclude)), fixed)


@require_GET
def pick_configuration(request):
    company_id = _company_id(request)
    return _render(request, "configuration", "configurations",
                   lambda text: pick.configuration_choices(pick.configurations(request.tenant, company_id, text)))
