"""The JSON API's saved views and spin-off back-links (a django-ninja ``Router`` that ``tickets.api`` mounts).

Same conventions as ``tickets.api``: session or Bearer token, the caller's account only, JSON errors with
``detail`` (404 for a view the caller does not see, whoever owns it; 403 for one they see but may not change;
422 naming the field for bad input), never a 500. The rules (who sees and changes what, the default view, the
cached counts) are ``tickets.service.saved_views``'s; the back-links are ``tickets.service.backlinks``'s.
"""

from __future__ import annotations

import copy
import functools
from typing import Annotated

from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError

# ``tickets.api`` mounts ``router`` by its import path from its last line, so the router exists before this
# module reads the API's shared helpers (whichever of the two modules is imported first).
router = Router(tags=["saved views"])

from tickets import service  # noqa: E402
from tickets.api import _responses, _tenant  # noqa: E402
from tickets.models import SAVED_VIEW_NAME_MAX, SavedView  # noqa: E402
from tickets.service import backlinks, saved_views  # noqa: E402

QUERY_IN_MAX = 2000  # what a client may send; the normalised filter must fit SAVED_VIEW_QUERY_MAX
ViewId = Path(..., gt=0, le=service.ID_MAX)


class SavedViewOut(Schema):
    id: int
    name: str
    query: str = Field(description="The queue's filter as URL parameters, normalised (open `/tickets?<query>`)")
    url: str = Field(description="The queue with this view's filter")
    shared: bool = Field(description="Listed for everyone in the account (else only for its owner)")
    owner: str = Field(description="Username of the view's creator")
    can_manage: bool = Field(description="Whether the caller may rename, re-filter, share or delete it")
    is_default: bool = Field(description="The caller's default for a bare `/tickets`")
    position: int
    open_count: int | None = Field(None, description="Open tickets matching the view (cached for 60 s); "
                                                     "null when not asked for or when it could not be counted")
    count_error: str | None = Field(None, description="Why there is no count (a PSA failure, an unmapped user)")
    warnings: list[str] = Field(default_factory=list,
                                description="Parts of the filter the PSA no longer has (ignored, as the queue does)")


class SavedViewIn(Schema):
    name: str = Field(..., min_length=1, max_length=SAVED_VIEW_NAME_MAX)
    query: str = Field("", max_length=QUERY_IN_MAX,
                       description="The queue's URL query string (`board=1&status=11`); page and ticket are dropped")
    shared: bool = Field(False, description="Share with the account (creator and admins manage it)")


class SavedViewPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=SAVED_VIEW_NAME_MAX)
    query: str | None = Field(None, max_length=QUERY_IN_MAX)
    shared: bool | None = None


class ViewOrderIn(Schema):
    ids: list[Annotated[int, Field(gt=0, le=service.ID_MAX)]] = Field(..., min_length=1, max_length=saved_views.VIEWS_MAX,
                           description="Every view of one group, in the new order: all your personal views, "
                                       "or (admins) all the shared views")


class DefaultViewIn(Schema):
    view_id: int | None = Field(..., gt=0, le=service.ID_MAX, description="null: no default (the plain queue)")


class DefaultViewOut(Schema):
    view_id: int | None
    url: str = Field(description="Where a bare `/tickets` leads the caller")


class SpinOffLinksOut(Schema):
    spin_off_ticket_id: int
    original_ticket_id: int
    complete: bool = Field(description="Both back-link notes are in the PSA")
    detail: str


def _errors(view_func):
    """The services' own refusals as JSON errors (PSA and input errors are ``tickets.api``'s handlers')."""

    @functools.wraps(view_func)
    def wrapper(request, *args, **kwargs):
        try:
            return view_func(request, *args, **kwargs)
        except (saved_views.SavedViewNotFound, backlinks.SpinOffLinkNotFound) as error:
            raise HttpError(404, error.message) from None
        except saved_views.SavedViewForbidden as error:
            raise HttpError(403, error.message) from None

    return wrapper


def _queue_url(query: str | None) -> str:
    return f"/tickets?{query}" if query else "/tickets"


def _out(tenant, view: SavedView, default_id: int | None, count: saved_views.ViewCount | None = None) -> SavedViewOut:
    return SavedViewOut(
        id=view.pk, name=view.name, query=view.query, url=_queue_url(view.query), shared=view.shared,
        owner=view.owner.get_username(), can_manage=saved_views.can_manage(tenant, view),
        is_default=view.pk == default_id, position=view.position,
        open_count=count.count if count else None, count_error=count.error if count else None,
        warnings=count.problems if count else [],
    )


def _default_id(tenant) -> int | None:
    view = saved_views.default_view(tenant)
    return view.pk if view is not None else None


# --- saved views -------------------------------------------------------------------------------------


@router.get("/views", response=_responses(_200=list[SavedViewOut]))
@_errors
def list_views(request, counts: bool = Query(True, description="Add each view's open-ticket count (one cached "
                                                                 "`/count` per view)")):
    """The caller's personal views (in their order), then the account's shared views (in the admins' order)."""
    tenant = _tenant(request)
    views = saved_views.list_views(tenant)
    found = saved_views.open_counts(tenant, views) if counts else {}
    default_id = _default_id(tenant)
    return [_out(tenant, view, default_id, found.get(view.pk)) for view in views]


@router.post("/views", response=_responses(_201=SavedViewOut))
@_errors
def create_view(request, data: SavedViewIn):
    """Save a filter under a name. Names are unique (ignoring case) among the views the caller sees."""
    tenant = _tenant(request)
    view = saved_views.create_view(tenant, data.name, data.query, shared=data.shared)
    return Status(201, _out(tenant, view, _default_id(tenant)))


@router.get("/views/default", response=_responses(_200=DefaultViewOut))
@_errors
def get_default_view(request):
    tenant = _tenant(request)
    view = saved_views.default_view(tenant)
    return DefaultViewOut(view_id=view.pk if view else None, url=_queue_url(view.query if view else None))


@router.put("/views/default", response=_responses(_200=DefaultViewOut))
@_errors
def set_default_view(request, data: DefaultViewIn):
    """Choose the view a bare `/tickets` opens (any view the caller sees), or none."""
    view = saved_views.set_default(_tenant(request), data.view_id)
    return DefaultViewOut(view_id=view.pk if view else None, url=_queue_url(view.query if view else None))


@router.put("/views/order", response=_responses(_200=list[SavedViewOut]))
@_errors
def reorder_views(request, data: ViewOrderIn):
    """Reorder one group: all your personal views, or (admins) all the shared views. Returns the whole list."""
    tenant = _tenant(request)
    views = saved_views.reorder_views(tenant, data.ids)
    default_id = _default_id(tenant)
    return [_out(tenant, view, default_id) for view in views]


@router.get("/views/{view_id}", response=_responses(_200=SavedViewOut))
@_errors
def get_view(request, view_id: int = ViewId):
    """One view with its open-ticket count and the parts of its filter the PSA no longer has."""
    tenant = _tenant(request)
    view = saved_views.get_view(tenant, view_id)
    return _out(tenant, view, _default_id(tenant), saved_views.open_counts(tenant, [view])[view.pk])


@router.patch("/views/{view_id}", response=_responses(_200=SavedViewOut))
@_errors
def update_view(request, data: SavedViewPatch, view_id: int = ViewId):
    """Rename, re-filter, share or un-share (the view's creator; for a shared view also the account's admins)."""
    tenant = _tenant(request)
    view = saved_views.update_view(tenant, view_id, name=data.name, query=data.query, shared=data.shared)
    return _out(tenant, view, _default_id(tenant))


@router.delete("/views/{view_id}", response=_responses(_204=None))
@_errors
def delete_view(request, view_id: int = ViewId):
    """Delete a view (the view's creator; for a shared view also the account's admins)."""
    saved_views.delete_view(_tenant(request), view_id)
    return Status(204, None)


# --- spin-off back-links --------------------------------------------------------------------------------


@router.post("/tickets/{ticket_id}/spin-off-links/retry", response=_responses(_200=SpinOffLinksOut),
             tags=["tickets"], url_name="retry_spin_off_links")
@_errors
def retry_spin_off_links(request, ticket_id: int = Path(..., gt=0, le=service.ID_MAX)):
    """Write the back-link notes still missing for spin-off ticket `ticket_id` (a note already there is never
    written again). 200 once both are in the PSA; 409 while another request writes them; otherwise the PSA's
    failure (502/503/504) naming the ticket whose note is missing."""
    result = backlinks.retry_back_links(_tenant(request), ticket_id)
    if result.busy:
        raise HttpError(409, "These link notes are being written right now; retry in a moment")
    if result.failed_ticket_ids:  # the PSA's failure, mapped like every other (429, 502, 503, 504, ...)
        numbers = " and ".join(f"#{number}" for number in result.failed_ticket_ids)
        error = copy.copy(result.error)
        error.message = f"The link note on {numbers} could not be added: {error.message}"
        raise error
    return SpinOffLinksOut(spin_off_ticket_id=result.spin_off_ticket_id, original_ticket_id=result.original_ticket_id,
                           complete=True, detail="Both link notes are in place")
