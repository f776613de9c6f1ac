"""Saved views: named queue filters, personal or shared with the account, and each user's default.

A view's filter is the queue's own URL query string, normalised (:func:`normalise_query`: the filter
parameters only, in the filter bar's order, defaults and empty values left out), so opening a view is
opening ``/tickets?<query>``: the same filter bar, the same checks and the same warning line. A filter that
names something the PSA no longer has (a deleted board, a member who left) still opens: the queue's filter
set ignores that part and names it in the warning line (:func:`open_view` gives the same problems).

Who may do what (the README's "Saved views"):

* A personal view is its owner's alone: nobody else sees it, reorders it or changes it.
* A shared view is listed for every member of the account. Any member may share a view they made; the
  view's creator and the account's admins rename, re-filter, un-share or delete it; only admins reorder the
  account's shared views (their order is everyone's).
* Each user may choose one view they can see as the default of a bare ``/tickets``.

Lists show the user's personal views (in their order), then the account's shared views (in the admins'
order). Names are unique, ignoring case, among the views one user sees.

Open-ticket counts (:func:`open_counts`): one ``/count`` per view, cached for ``COUNT_CACHE_SECONDS`` under the
connection and the PSA query the view becomes, so everybody whose view becomes the same query shares one
count ("Assigned to me" becomes a different query per user, so it is counted per user). A count never
includes closed tickets, whatever the view's "Include closed" says: the sidebar shows open work.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import QueryDict

from psa import concurrency
from psa.providers.base import PSAError
from psa.schemas import CONTROL_CHARACTERS
from psa.tenancy import MemberMappingRequired, Tenant
from tickets.filters import FILTER_CONFIG, TicketFilterSet, parts_to_check
from tickets.models import SAVED_VIEW_NAME_MAX, SAVED_VIEW_QUERY_MAX, DefaultSavedView, SavedView
from tickets.service.errors import InvalidInput
from tickets.service.queue import ID_MAX, SEARCH_MAX, TicketFilters, search_query

logger = logging.getLogger(__name__)

COUNT_CACHE_SECONDS = 60
FILTER_KEYS = tuple(spec.key for spec in FILTER_CONFIG)  # search, board, status, priority, company, assigned, closed
ID_KEYS = ("board", "status", "priority", "company")
ASSIGNED_WORDS = ("me", "unassigned", "all")
TRUE_WORDS = ("true", "1", "on", "yes")
FALSE_WORDS = ("", "false", "0", "off", "no")
VIEWS_MAX = 100  # views one user sees; more is not a sidebar


class SavedViewNotFound(Exception):
    """No such view, or not one the user sees (API: 404; the same answer for both)."""

    def __init__(self, message: str = "No such saved view"):
        self.message = message
        super().__init__(message)


class SavedViewForbidden(Exception):
    """The user sees the view but may not change it (API: 403)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# --- the filter as a query string ------------------------------------------------------------------


def normalise_query(data) -> str:
    """The filter parameters of ``data`` (a query string, ``QueryDict`` or mapping) as a normalised query string.

    Kept: the filter bar's parameters, in its order; left out: ``page``, ``ticket`` and anything else,
    empty values, ``assigned=all`` and a false ``closed``. Values must have the shape the filter bar gives
    (ids are whole numbers, ``assigned`` is me/unassigned/all/a member id, search at most ``SEARCH_MAX``
    characters); whether an id still exists in the PSA is not checked here (see :func:`open_view`).
    ``InvalidInput`` names the parameter otherwise."""
    if isinstance(data, str):
        data = QueryDict(data.lstrip("?"))
    pairs: list[tuple[str, str]] = []
    for key in FILTER_KEYS:
        value = _last(data, key)
        if value is None:
            continue
        value = value.strip()
        if key == "search":
            value = " ".join(value.split())
            if len(value) > SEARCH_MAX:
                raise InvalidInput(f"search is longer than {SEARCH_MAX} characters", field="search")
            if CONTROL_CHARACTERS.search(value):
                raise InvalidInput("search has control characters", field="search")
        elif key in ID_KEYS:
            if value and not (value.isascii() and value.isdigit() and 0 < int(value) <= ID_MAX):
                raise InvalidInput(f"{key} must be an id (a positive whole number)", field=key)
            value = str(int(value)) if value else ""
        elif key == "assigned":
            value = value.lower()
            if value in ("all", ""):
                continue
            if value not in ASSIGNED_WORDS and not (value.isascii() and value.isdigit() and 0 < int(value) <= ID_MAX):
                raise InvalidInput('assigned must be "me", "unassigned", "all" or a member id', field="assigned")
            value = value if value in ASSIGNED_WORDS else str(int(value))
        elif key == "closed":
            if value.lower() in FALSE_WORDS:
                continue
            if value.lower() not in TRUE_WORDS:
                raise InvalidInput("closed must be true or false", field="closed")
            value = "true"
        if value:
            pairs.append((key, value))
    query = urlencode(pairs)
    if len(query) > SAVED_VIEW_QUERY_MAX:
        raise InvalidInput(f"The filter is longer than {SAVED_VIEW_QUERY_MAX} characters", field="query")
    return query


def _last(data, key: str) -> str | None:
    if isinstance(data, QueryDict):
        values = data.getlist(key)
        return values[-1] if values else None
    value = data.get(key)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _clean_name(name) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise InvalidInput("Give the view a name", field="name")
    if len(name) > SAVED_VIEW_NAME_MAX:
        raise InvalidInput(f"Names are limited to {SAVED_VIEW_NAME_MAX} characters", field="name")
    if CONTROL_CHARACTERS.search(name):
        raise InvalidInput("The name has control characters", field="name")
    return name


# --- who sees and who changes --------------------------------------------------------------------------


def _visible(tenant: Tenant):
    if tenant.account is None or getattr(tenant.user, "pk", None) is None:
        return SavedView.objects.none()
    return SavedView.objects.filter(account_id=tenant.account.pk).filter(
        Q(shared=True) | Q(owner_id=tenant.user.pk, shared=False)
    )


def can_manage(tenant: Tenant, view: SavedView) -> bool:
    """Whether the user may rename, re-filter, share/un-share or delete ``view``."""
    return view.owner_id == getattr(tenant.user, "pk", None) or (view.shared and tenant.is_admin)


def list_views(tenant: Tenant) -> list[SavedView]:
    """The user's personal views, then the account's shared views, each group in its order."""
    return list(_visible(tenant).select_related("owner").order_by("shared", "position", "id")[:VIEWS_MAX])


def get_view(tenant: Tenant, view_id) -> SavedView:
    """A view the user sees, or ``SavedViewNotFound`` (another user's personal view, another account's view)."""
    try:
        return _visible(tenant).select_related("owner").get(pk=int(view_id))
    except (SavedView.DoesNotExist, TypeError, ValueError):
        raise SavedViewNotFound() from None


def _manageable(tenant: Tenant, view_id) -> SavedView:
    view = get_view(tenant, view_id)
    if not can_manage(tenant, view):
        raise SavedViewForbidden("Only the view's creator or an account admin can change a shared view")
    return view


def _check_name_free(tenant: Tenant, name: str, *, shared: bool, exclude: int | None = None) -> None:
    """Names are unique (ignoring case) among the views the owner sees; a shared one also among the shared."""
    clash = _visible(tenant).filter(name__iexact=name)
    if shared:
        clash = clash | SavedView.objects.filter(account_id=tenant.account.pk, shared=True, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise InvalidInput(f"There is already a view named “{name}”", field="name")


def _next_position(account_id: int, owner_id: int, shared: bool) -> int:
    group = SavedView.objects.filter(account_id=account_id, shared=shared)
    if not shared:
        group = group.filter(owner_id=owner_id)
    highest = group.aggregate(top=Max("position"))["top"]
    return 0 if highest is None else highest + 1


def _save(view: SavedView, **kwargs) -> SavedView:
    try:
        with transaction.atomic():
            view.save(**kwargs)
    except IntegrityError:  # two saves of the same name at once: the database's constraint decides
        raise InvalidInput(f"There is already a view named “{view.name}”", field="name") from None
    return view


# --- changes ----------------------------------------------------------------------------------------


def create_view(tenant: Tenant, name: str, query, *, shared: bool = False) -> SavedView:
    """Save ``query`` (the queue's filter URL parameters) under ``name``, personal or shared."""
    if tenant.account is None or getattr(tenant.user, "pk", None) is None:
        raise SavedViewForbidden("You are not in a team yet")
    name = _clean_name(name)
    normalised = normalise_query(query)
    _check_name_free(tenant, name, shared=shared)
    if _visible(tenant).count() >= VIEWS_MAX:
        raise InvalidInput(f"You can see at most {VIEWS_MAX} views: delete one first", field="name")
    view = SavedView(account_id=tenant.account.pk, owner_id=tenant.user.pk, name=name, query=normalised,
                     shared=bool(shared), position=_next_position(tenant.account.pk, tenant.user.pk, bool(shared)))
    return _save(view)


def update_view(tenant: Tenant, view_id, *, name: str | None = None, query=None, shared: bool | None = None) -> SavedView:
    """Rename, re-filter, share or un-share a view the user may manage (``None`` leaves a field as it is)."""
    view = _manageable(tenant, view_id)
    fields = []
    if shared is not None and bool(shared) != view.shared:
        view.shared = bool(shared)
        view.position = _next_position(view.account_id, view.owner_id, view.shared)  # last of its new group
        fields += ["shared", "position"]
    if name is not None:
        view.name = _clean_name(name)
        fields.append("name")
    if name is not None or "shared" in fields:
        _check_name_free(tenant, view.name, shared=view.shared, exclude=view.pk)
    if query is not None:
        view.query = normalise_query(query)
        fields.append("query")
    if fields:
        _save(view, update_fields=[*fields, "updated"])
    return view


def delete_view(tenant: Tenant, view_id) -> None:
    _manageable(tenant, view_id).delete()  # the users who had it as default get the plain queue again


def reorder_views(tenant: Tenant, view_ids: list[int]) -> list[SavedView]:
    """Put one group in this order: all of the user's personal views, or (admins) all the shared views.

    ``view_ids`` must be exactly the views of that group (nothing left out, nothing of the other group), so
    a list that was stale when it was sent changes nothing. Returns the whole list, as :func:`list_views`."""
    ids = []
    for view_id in view_ids:
        try:
            ids.append(int(view_id))
        except (TypeError, ValueError):
            raise InvalidInput("ids must be view ids", field="ids") from None
        if not 0 < ids[-1] <= ID_MAX:
            raise InvalidInput("ids must be view ids", field="ids")
    if not ids or len(set(ids)) != len(ids):
        raise InvalidInput("List each view of the group once", field="ids")
    views = {view.pk: view for view in _visible(tenant).filter(pk__in=ids)}
    if len(views) != len(ids):
        raise SavedViewNotFound("One of these views does not exist (or is not yours to see)")
    groups = {view.shared for view in views.values()}
    if len(groups) != 1:
        raise InvalidInput("Reorder your personal views and the shared views separately", field="ids")
    shared = groups.pop()
    if shared and not tenant.is_admin:
        raise SavedViewForbidden("Only account admins can reorder the shared views")
    group = _visible(tenant).filter(shared=shared)
    if set(group.values_list("pk", flat=True)) != set(ids):
        raise InvalidInput("The list is out of date: it must name every view of the group", field="ids")
    with transaction.atomic():
        for position, view_id in enumerate(ids):
            SavedView.objects.filter(pk=view_id).update(position=position)
    return list_views(tenant)


def set_default(tenant: Tenant, view_id) -> SavedView | None:
    """Make a view the user sees their default for ``/tickets`` (``None``: no default, the plain queue)."""
    if getattr(tenant.user, "pk", None) is None:
        raise SavedViewForbidden("Sign in first")
    if view_id is None:
        DefaultSavedView.objects.filter(user_id=tenant.user.pk).delete()
        return None
    view = get_view(tenant, view_id)
    DefaultSavedView.objects.update_or_create(user_id=tenant.user.pk, defaults={"view": view})
    return view


def default_view(tenant: Tenant) -> SavedView | None:
    """The user's default view, if they still see it (a default that was un-shared since is no default)."""
    if getattr(tenant.user, "pk", None) is None or tenant.account is None:
        return None
    choice = DefaultSavedView.objects.filter(user_id=tenant.user.pk).values_list("view_id", flat=True).first()
    if choice is None:
        return None
    return _visible(tenant).filter(pk=choice).first()


def default_query(tenant: Tenant) -> str | None:
    """What a bare ``/tickets`` should show: the default view's query string, or None (the plain queue)."""
    view = default_view(tenant)
    return view.query if view is not None else None


# --- opening and counting ---------------------------------------------------------------------------


def open_view(tenant: Tenant, view: SavedView, reference=None) -> tuple[TicketFilters, list[str]]:
    """The view's filters as the queue reads them, and the problems its warning line shows (a board or member
    that no longer exists is ignored and named there)."""
    data = QueryDict(view.query)
    if reference is None:
        reference = tenant.reference(*parts_to_check(data))
    filterset = TicketFilterSet(data, reference=reference)
    filters, _page = filterset.cleaned()
    return filters, filterset.problems


@dataclass
class ViewCount:
    """A view's open-ticket count, or why there is none (a PSA failure, an unmapped "Assigned to me")."""

    view_id: int
    count: int | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)  # stale parts of the filter, as the queue names them


def count_cache_key(connection, query) -> str:
    """Per connection (and its version) and the PSA query itself: colleagues whose views become the same
    query share the count; two accounts never do (different connections)."""
    digest = hashlib.sha256(query.model_dump_json().encode()).hexdigest()
    return f"rf-view-count:{connection.pk}:{connection.updated.timestamp():.6f}:{digest}"


def open_counts(tenant: Tenant, views: list[SavedView]) -> dict[int, ViewCount]:
    """Each view's open-ticket count: cached ones from one cache read, the rest one ``/count`` each, in parallel."""
    results = {view.pk: ViewCount(view.pk) for view in views}
    if not views:
        return results
    try:
        connection = tenant.require_connection()
        parts = {part for view in views for part in parts_to_check(QueryDict(view.query))}
        reference = tenant.reference(*parts)
    except PSAError as error:
        for result in results.values():
            result.error = error.message
        return results
    keys: dict[int, tuple[str, object]] = {}
    for view in views:
        result = results[view.pk]
        try:
            filters, result.problems = open_view(tenant, view, reference)
            filters.closed = False  # open work only (see the module's doc)
            query = search_query(tenant, filters, reference)
        except MemberMappingRequired as error:
            result.error = error.message
            continue
        except PSAError as error:
            result.error = error.message
            continue
        keys[view.pk] = (count_cache_key(connection, query), query)
    cached = cache.get_many([key for key, _ in keys.values()])
    provider = tenant.provider if keys else None
    pending = {}
    for view_id, (key, query) in keys.items():
        if key in cached:
            results[view_id].count = cached[key]
        elif key in pending:  # two views of one user that become the same query: one count
            pending[key][1].append(view_id)
        else:
            pending[key] = (concurrency.call(provider.count_tickets, query, key=provider.capacity_key), [view_id])
    for key, (future, view_ids) in pending.items():
        try:
            count = future.result()
        except PSAError as error:
            for view_id in view_ids:
                results[view_id].error = error.message
            continue
        cache.set(key, count, COUNT_CACHE_SECONDS)
        for view_id in view_ids:
            results[view_id].count = count
    return results
