"""/account/integrations: the account's PSA connection, Test connection, and the member mappings.

Everything is scoped by ``request.tenant`` (``psa.tenancy``). Account admins change the connection and every
mapping; any user of the account sees the page, tests the saved connection, and maps or unmaps
themselves. The members table loads as its own request, so a dead PSA (the usual reason to visit
this page) never holds up the connection form.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from psa import forms as psa_forms
from psa.autotask.client import AutotaskUnknownUserError
from psa.models import Membership, PSAConnection
from psa.providers.base import (
    PSAAuthError,
    PSAError,
    PSAMalformedResponseError,
    PSAPermissionError,
    PSATimeoutError,
    PSAUnavailableError,
    PSAUnknownCompanyError,
)
from psa.site_policy import PSASitePolicyError
from psa.tenancy import NoPSAConnection, Tenant
from psa.web import toast

logger = logging.getLogger(__name__)

PAGE = "psa/integrations.html"


# --- helpers ----------------------------------------------------------------------------------


def _tenant(request) -> Tenant:
    """The signed-in user's tenant; a user without an account has no integrations page."""
    if request.tenant.account is None:
        raise Http404("No account")
    return request.tenant


def _require_admin(request) -> None:
    if not request.tenant.is_admin:
        raise PermissionDenied("Only account admins can change this")


def psa_words(connection) -> dict:
    """The words the integrations page uses for the connection's PSA (ConnectWise unless it is Autotask):
    ``psa`` ("Autotask"), ``member`` ("resource"), ``members`` ("resources")."""
    if connection is not None and connection.is_autotask:
        return {"psa": "Autotask", "member": "resource", "members": "resources"}
    return {"psa": "ConnectWise", "member": "member", "members": "members"}


def _getting_started(tenant: Tenant) -> list[dict] | None:
    """An admin's remaining first-run steps (after setup named the team), or None when all are done."""
    words = psa_words(tenant.connection)
    steps = [
        {"label": "Name your team", "done": True},
        {"label": f"Connect {words['psa']}", "done": tenant.has_connection},
        {"label": f"Map yourself to your {words['psa']} {words['member']}", "done": tenant.mapping is not None},
        {"label": "Invite colleagues", "done": Membership.objects.filter(account_id=tenant.account.pk).count() > 1,
         "url": "team"},
    ]
    return None if all(step["done"] for step in steps) else steps


def _page_context(request, form=None, **extra) -> dict:
    tenant = _tenant(request)
    if form is None and tenant.is_admin:
        form = psa_forms.ConnectionForm(instance=tenant.connection, account=tenant.account,
                                        provider=request.GET.get("provider"))
    steps = _getting_started(tenant) if tenant.is_admin else None
    return {"connection": tenant.connection, "form": form, "is_admin": tenant.is_admin, "steps": steps,
            "psa_words": psa_words(tenant.connection), **extra}


# --- the page and the connection form ---------------------------------------------------------


@sensitive_post_parameters("private_key", "public_key", "integration_code")  # never in an error report or a debug page
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def integrations(request):
    """GET: the page. POST (admins): save the connection; takes effect on the next PSA call."""
    tenant = _tenant(request)
    if request.method == "GET":
        return render(request, PAGE, _page_context(request))
    _require_admin(request)
    # A fresh copy for the form: validation writes into its instance, and the page keeps showing the
    # saved connection until the new one is valid and saved.
    connection = PSAConnection.objects.filter(account_id=tenant.account.pk).first()
    form = psa_forms.ConnectionForm(request.POST, instance=connection, account=tenant.account)
    template = PAGE + "#connection" if request.htmx else PAGE
    if not form.is_valid():
        return render(request, template, _page_context(request, form=form), status=422)
    created = connection is None
    tenant.__dict__["connection"] = form.save()
    logger.info("PSA connection %s for account=%s by user=%s", "created" if created else "updated",
                tenant.account.pk, request.user.pk)
    if not request.htmx:
        return redirect("integrations")
    response = render(request, template, _page_context(request, saved=True))
    response = toast(response, "Connection created" if created else "Connection saved")
    # The members table depends on the connection: it reloads itself on this event.
    return trigger_client_event(response, "psaConnectionSaved", {})


def _autotask_usage(info) -> str:
    """" API requests: N of 10,000 in the last 60 minutes." (and Autotask's slow-down above half of it), or ""."""
    if info.api_requests_used is None or not info.api_requests_limit:
        return ""
    used, limit = info.api_requests_used, info.api_requests_limit
    window = f" in the last {info.api_window_minutes} minutes" if info.api_window_minutes else ""
    text = f" API requests: {used:,} of {limit:,}{window} (every integration on this Autotask database counts)."
    if used >= limit / 2:
        text += (" Above half of it Autotask slows every answer down (0.5 s; 1 s above three quarters), and at the "
                 "limit it refuses requests.")
    return text


def _autotask_test_result(connection, error: PSAError | None = None, info=None, zone_url: str = "") -> dict:
    """Test connection's words for an Autotask connection (the zone lookup, then the version)."""
    if info is not None:
        version = info.version or "unknown version"
        zone = f" (zone {info.cloud_region}: {zone_url})" if info.cloud_region and zone_url else (
            f" (zone {zone_url})" if zone_url else "")
        return {"ok": True, "message": f"Connected to Autotask {version}{zone}.{_autotask_usage(info)}"}
    site = connection.site
    if isinstance(error, PSASitePolicyError):
        message = f"Not allowed: {error.message}"
    elif isinstance(error, AutotaskUnknownUserError):
        message = (f"Unknown username: Autotask's zone lookup at {site} does not know \"{connection.username}\". "
                   "Check the API user's username.")
    elif isinstance(error, PSAAuthError):
        message = ("Bad credentials: Autotask found the API user's zone but refused the secret or the integration "
                   "code. Check them (and that the user's security level is API User).")
    elif isinstance(error, PSATimeoutError):
        message = f"Timeout: Autotask did not answer within {settings.PSA_TIMEOUT_SECONDS:g} seconds."
    elif isinstance(error, PSAUnavailableError) and error.status is None and not isinstance(error, PSAMalformedResponseError):
        message = f"Unreachable host: could not connect to Autotask at {site}. Check the site."
    elif isinstance(error, PSAUnavailableError) and error.status:
        message = f"Autotask is unavailable right now (HTTP {error.status}). Try again later."
    elif isinstance(error, PSAPermissionError):
        message = "Connected, but the API user's security level may not read the Autotask version."
    else:
        status = f" (HTTP {error.status})" if error.status else ""
        message = f"Test failed: {type(error).default_message}{status}."
    return {"ok": False, "message": message}


def _test_result(connection, error: PSAError | None = None, info=None, zone_url: str = "") -> dict:
    """What Test connection reports. Built from the site and the error type only: never a secret."""
    if connection.is_autotask:
        return _autotask_test_result(connection, error=error, info=info, zone_url=zone_url)
    if info is not None:
        version = info.version or "unknown version"
        where = f", {info.cloud_region} cloud" if info.is_cloud and info.cloud_region else ""
        return {"ok": True, "message": f"Connected to ConnectWise {version}{where}."}
    site = connection.site
    if isinstance(error, PSASitePolicyError):
        # Refused before anything was sent: the same answer whatever listens there (no port scanner).
        message = f"Not allowed: {error.message}"
    elif isinstance(error, PSAUnknownCompanyError):
        message = (f"Unknown company: {site} has no company with id \"{connection.company_id}\". "
                   "Check the company id (the one you type when you sign in to ConnectWise).")
    elif isinstance(error, PSAAuthError):
        message = ("Bad credentials: ConnectWise knows the company but refused the public and private key "
                   "(or the client id). Check the API member's keys.")
    elif isinstance(error, PSATimeoutError):
        message = f"Timeout: {site} did not answer within {settings.PSA_TIMEOUT_SECONDS:g} seconds."
    elif isinstance(error, PSAUnavailableError) and error.status is None and not isinstance(error, PSAMalformedResponseError):
        message = f"Unreachable host: could not connect to {site}. Check the site."
    elif isinstance(error, PSAUnavailableError) and error.status:
        message = f"ConnectWise at {site} is unavailable right now (HTTP {error.status}). Try again later."
    elif isinstance(error, PSAPermissionError):
        message = "Connected, but the API member's security role may not read system info."
    else:
        # The error type's own words, never the upstream's (a 400's ``message`` is whatever the host sent).
        status = f" (HTTP {error.status})" if error.status else ""
        message = f"Test failed: {type(error).default_message}{status}."
    return {"ok": False, "message": message}


@sensitive_post_parameters()
@require_POST
def test_connection(request):
    """Calls ConnectWise's system info with the saved connection and reports the outcome."""
    tenant = _tenant(request)
    connection = tenant.connection
    if connection is None:
        result = {"ok": False, "message": "Save a connection first."}
    else:
        try:
            result = _test_result(connection, info=tenant.provider.system_info(),
                                  zone_url=_store_zone(connection, tenant.provider))
        except PSAError as error:
            logger.info("Test connection failed for account=%s: %s", tenant.account.pk, type(error).__name__)
            result = _test_result(connection, error=error)
    if request.htmx:
        return render(request, PAGE + "#test_result", {"test_result": result})
    return render(request, PAGE, _page_context(request, test_result=result))


def _store_zone(connection, provider) -> str:
    """An Autotask connection's discovered zone URL, stored on the connection for the page and for the next
    provider (which then skips the lookup). Stored without bumping ``updated``: the provider in use already
    knows its zone. "" for ConnectWise."""
    zone = getattr(getattr(provider, "client", None), "zone", None)
    if not connection.is_autotask or zone is None:
        return ""
    url = zone().url
    if url != connection.zone_url:
        PSAConnection.objects.filter(pk=connection.pk).update(zone_url=url)
        connection.zone_url = url
    return url


# --- member mappings --------------------------------------------------------------------------


def _mappings_context(request, *, error: str | None = None) -> dict:
    tenant = _tenant(request)
    context = {"is_admin": tenant.is_admin, "mapping_error": error, "psa_words": psa_words(tenant.connection)}
    if not tenant.has_connection:
        context["no_connection"] = True
        return context
    tenant.forget_mappings()  # this request may have just changed them
    mappings = {m.psa_member_id: m for m in tenant.mappings}
    try:
        members = tenant.reference("members").members
    except PSAError as load_error:
        context["members_error"] = load_error
        members = []
    known = {member.id for member in members}
    by_user = {mapping.user_id: mapping for mapping in mappings.values()}
    context.update(
        rows=[{"member": member, "mapping": mappings.get(member.id)} for member in members],
        # Mappings whose member ConnectWise no longer lists (or could not list): still shown, so they can be removed.
        orphans=[mapping for member_id, mapping in mappings.items() if member_id not in known],
        users=[(user, by_user.get(user.pk)) for user in psa_forms.account_users(tenant.account)],
        own_mapping=tenant.mapping,
        free_members=[member for member in members if member.id not in mappings],
    )
    return context


def _render_mappings(request, *, error: str | None = None, message: str | None = None):
    context = _mappings_context(request, error=error)
    status = 422 if error else 200
    if request.htmx:
        response = render(request, PAGE + "#mappings", context, status=status)
    else:
        response = render(request, PAGE, _page_context(request, **context, mappings_inline=True), status=status)
    return toast(response, message) if message else response


def _find_member(tenant: Tenant, member_id):
    """The PSA member with this id, or None. Raises PSAError when ConnectWise cannot list members."""
    return next((m for m in tenant.reference("members").members if str(m.id) == str(member_id)), None)


def _members_words(tenant: Tenant) -> str:
    words = psa_words(tenant.connection)
    return f"{words['psa']} {words['members']}"


@require_GET
def mappings(request):
    return _render_mappings(request)


@require_POST
def map_me(request):
    """Any user: map yourself to a PSA member nobody else has."""
    tenant = _tenant(request)
    member_id = request.POST.get("member", "")
    try:
        member = _find_member(tenant, member_id) if member_id else None
    except (PSAError, NoPSAConnection) as error:
        return _render_mappings(request, error=f"Could not load {_members_words(tenant)}: {error.message}")
    if member is None:
        words = psa_words(tenant.connection)
        return _render_mappings(request, error=f"Choose your {words['psa']} {words['member']}.")
    try:
        psa_forms.map_member(tenant.account, request.user, member)
    except psa_forms.MappingError as error:
        return _render_mappings(request, error=error.message)
    return _render_mappings(request, message=f"You are now mapped to {member.name} ({member.identifier})")


@require_POST
def unmap_me(request):
    mapping = psa_forms.unmap_user(_tenant(request).account, request.user)
    return _render_mappings(request, message="Your PSA member mapping was removed" if mapping else None)


@require_POST
def member_mapping(request, member_id: int):
    """Admins: set (``user`` = a user id of the account) or clear (``user`` empty) the user of one member."""
    tenant = _tenant(request)
    account = tenant.account
    _require_admin(request)
    user_id = request.POST.get("user", "")
    if not user_id:
        mapping = psa_forms.unmap_member(account, member_id)
        return _render_mappings(request, message=f"{mapping.name or mapping.identifier} unmapped" if mapping else None)
    user = next((u for u in psa_forms.account_users(account) if str(u.pk) == user_id), None)
    if user is None:
        return _render_mappings(request, error="Choose a user of this account.")
    try:
        member = _find_member(tenant, member_id)
    except (PSAError, NoPSAConnection) as error:
        return _render_mappings(request, error=f"Could not load {_members_words(tenant)}: {error.message}")
    if member is None:
        words = psa_words(tenant.connection)
        return _render_mappings(request, error=f"{words['psa']} has no such {words['member']}.")
    current = next((m for m in tenant.mappings if m.user_id == user.pk), None)
    if current is not None and current.psa_member_id == member.id:
        return _render_mappings(request)
    try:
        psa_forms.map_member(account, user, member, replace_user=True)
    except psa_forms.MappingError as error:
        return _render_mappings(request, error=error.message)
    return _render_mappings(request, message=f"{psa_forms.user_label(user)} mapped to {member.name}")
