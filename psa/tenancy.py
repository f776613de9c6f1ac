"""Who is asking: the user's account, its PSA connection and member mappings, resolved once per request.

``TenancyMiddleware`` puts a :class:`Tenant` on ``request.tenant`` (and its account on
``request.account``). One query loads the membership, the account and the account's PSA connection
together; the account's member mappings load on first use (one more query) and answer both "which
PSA member am I" and "which PSA members are ResolutionFlow users". Everything below the view —
``tickets.service``, the reference data, the provider — takes the tenant instead of looking the
same rows up again.

Outside a request (management commands, tests, the API's token users) build one with
:func:`tenant_for` (a user) or :func:`tenant_for_account` (an account, optionally with a user).
"""

from __future__ import annotations

import threading
from functools import cached_property

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models.query import get_related_populators

from psa.models import Account, MemberMapping, Membership, PSAConnection
from psa.providers.base import PSAError
from psa.reference import Reference
from psa.registry import provider_for
from psa.vocabulary import words_for


class NoPSAConnection(PSAError):
    """The account has no PSA connection, or the user has no account (API: 409).

    A ``PSAError``, so every view that shows a PSA failure inline (drawer sections, status, notes,
    assignees) shows this one too instead of failing with a 500.
    """

    default_message = "This account has no PSA connection. An admin can add one under Account > Integrations."


NO_ACCOUNT_MESSAGE = "You are not in a team yet: ask your account admin for an invitation."


class MemberMappingRequired(Exception):
    """``assigned=me`` but the user is not mapped to a PSA member (API: 422)."""

    def __init__(self, message: str = "Your user is not mapped to a ConnectWise member, so \"Assigned to me\" is unavailable. "
                                      "An admin can map you under Account > Integrations."):
        self.message = message
        super().__init__(message)


class Tenant:
    """One user's view of one account: the account, its PSA connection, its member mappings.

    ``account`` is None for a user who belongs to no account (and for anonymous requests).
    """

    def __init__(self, user, account: Account | None, *, role: str | None = None, time_zone: str = ""):
        self.user = user
        self.account = account
        self.role = role
        self.time_zone = time_zone  # the zone the user picked (Membership.time_zone); "" = automatic

    def __repr__(self) -> str:
        return f"<Tenant account={getattr(self.account, 'pk', None)} user={getattr(self.user, 'pk', None)}>"

    @property
    def is_admin(self) -> bool:
        return self.role == Membership.Role.ADMIN

    # --- the PSA connection ---------------------------------------------------------------------

    @cached_property
    def connection(self) -> PSAConnection | None:
        """The account's PSA connection, or None (loaded with the membership by the middleware)."""
        if self.account is None:
            return None
        try:
            return self.account.psa_connection
        except PSAConnection.DoesNotExist:
            return None

    @property
    def has_connection(self) -> bool:
        return self.connection is not None

    @property
    def psa_words(self) -> dict[str, str]:
        """The connection's PSA vocabulary for labels (Autotask: Queue, Resource; see ``psa.vocabulary``)."""
        return words_for(self.connection.provider if self.connection is not None else None)

    def require_connection(self) -> PSAConnection:
        if self.account is None:
            raise NoPSAConnection(NO_ACCOUNT_MESSAGE)
        if self.connection is None:
            raise NoPSAConnection()
        return self.connection

    @property
    def provider(self):
        """The connection's provider (one pooled HTTP client per connection); ``NoPSAConnection`` without one."""
        return provider_for(self.require_connection())

    def reference(self, *parts: str):
        """The account's PSA reference data for this request (see ``psa.reference``).

        ``parts`` (from ``psa.reference.ALL_PARTS``) are read from the cache at once and, when not
        cached, fetched together in one parallel round; any other part loads when first used. One
        object per request: later calls add their parts to it.
        """
        reference = self.__dict__.get("_reference")
        if reference is None:
            reference = self.__dict__["_reference"] = Reference(self.require_connection(), self)
        reference.start(parts)
        return reference

    # --- member mappings ------------------------------------------------------------------------

    @cached_property
    def mappings(self) -> list[MemberMapping]:
        """The account's user -> PSA member mappings (one query, ordered by member identifier)."""
        if self.account is None:
            return []
        return list(MemberMapping.objects.filter(account_id=self.account.pk).select_related("user").order_by("identifier"))

    @cached_property
    def mapped_member_ids(self) -> frozenset[int]:
        return frozenset(m.psa_member_id for m in self.mappings)

    @cached_property
    def mapping(self) -> MemberMapping | None:
        """The requesting user's own mapping, or None."""
        user_id = getattr(self.user, "pk", None)
        if user_id is None:
            return None
        return next((m for m in self.mappings if m.user_id == user_id), None)

    def require_mapping(self) -> MemberMapping:
        if self.mapping is None:
            connection = self.connection
            if connection is not None and connection.is_autotask:  # Autotask's word for a member: a resource
                raise MemberMappingRequired(MemberMappingRequired().message.replace("a ConnectWise member",
                                                                                    "an Autotask resource"))
            raise MemberMappingRequired()
        return self.mapping

    def forget_mappings(self) -> None:
        """Drop the loaded mappings after a change to them in this request."""
        for name in ("mappings", "mapped_member_ids", "mapping"):
            self.__dict__.pop(name, None)


def tenant_for(user) -> Tenant:
    """The tenant of ``user``: one query for membership, account and PSA connection together, or none
    when they were loaded with the user (:class:`TenantUserBackend`, a signed-in request's user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Tenant(user, None)
    if _membership_loaded(user):
        try:
            membership = user.membership
        except Membership.DoesNotExist:
            membership = None
    else:  # user is unique on Membership: at most one row, no ORDER BY needed
        membership = next(
            iter(Membership.objects.select_related("account", "account__psa_connection").filter(user_id=user.pk)[:1]),
            None,
        )
    if membership is None:
        return Tenant(user, None)
    return Tenant(user, membership.account, role=membership.role, time_zone=membership.time_zone)


# The user's membership, account and PSA connection: what tenant_for needs, loaded with the user.
TENANT_RELATED = "membership__account__psa_connection"


def _membership_loaded(user) -> bool:
    descriptor = getattr(user.__class__, "membership", None)  # __class__: request.user is a lazy proxy
    return descriptor is not None and descriptor.is_cached(user)


class TenantUserBackend(ModelBackend):
    """Django's ``ModelBackend`` whose ``get_user`` (every signed-in request) loads the user together with
    the membership, account and PSA connection, so :class:`TenancyMiddleware` adds no query of its own.

    ``ModelBackend`` stays in ``AUTHENTICATION_BACKENDS`` after this one only for sessions it signed in
    (before this backend, and ``teams``' invitation sign-in); a password this backend refused is not
    checked a second time by it (``PermissionDenied`` ends ``authenticate()`` with the same failure)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        model = get_user_model()
        user = _user_with_tenant(model, user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


# --- the signed-in user's query, compiled once per thread and database connection ------------------------
#
# ``model._default_manager.select_related(TENANT_RELATED).get(pk=user_id)`` costs ~0.6 ms of CPU per
# request, of which the SQL itself ~0.1: Django compiles the same four-table join (38 columns) again on
# every request. The query below is that same queryset, compiled by Django once per thread and
# connection; each request runs its SQL with the user's id through the connection's cursor (so query
# logging and ``CaptureQueriesContext`` see it) and builds the user, membership, account and connection
# the way ``QuerySet`` does (the compiler's converters, ``Model.from_db``, Django's related populators:
# the same objects, signals and cached relations as before). Anything unexpected (the compiled
# parameters are not exactly the one id) falls back to the ORM.

_compiled = threading.local()
_PROBE_PK = 987654321  # a value to find the id among the compiled parameters


class _CompiledUserQuery:
    def __init__(self, model, db: str):
        self.model, self.db = model, db
        self.connection = connections[db]
        queryset = model._default_manager.using(db).select_related(TENANT_RELATED).filter(pk=_PROBE_PK)
        self.compiler = queryset.query.get_compiler(using=db)
        self.sql, params = self.compiler.as_sql()
        self.usable = tuple(params) == (_PROBE_PK,) and not self.compiler.annotation_col_map
        select, klass_info = self.compiler.select, self.compiler.klass_info
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start:self.end]]
        self.populators = get_related_populators(klass_info, select, db)
        # What results_iter() would look up again for every row set: the columns' converters.
        self.converters = self.compiler.get_converters([s[0] for s in select[0:self.compiler.col_count]])

    def get(self, pk):
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, (pk,))
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        for row in rows:
            user = self.model.from_db(self.db, self.init_list, row[self.start:self.end])
            for populator in self.populators:
                populator.populate(row, user)
            return user
        return None


def _user_with_tenant(model, user_id):
    """The user ``user_id`` with membership, account and PSA connection loaded, or None."""
    pk = model._meta.pk.get_prep_value(user_id)  # what filter(pk=...) does: a bad id raises the same way
    if not isinstance(pk, int) or not -(2**63) <= pk < 2**63:  # the ORM answers "no such row" for these
        return model._default_manager.select_related(TENANT_RELATED).filter(pk=pk).first()
    db = router.db_for_read(model)
    connection = connections[db]
    query = getattr(_compiled, "query", None)
    if query is None or query.model is not model or query.db != db or query.connection is not connection:
        query = _compiled.query = _CompiledUserQuery(model, db)
    if not query.usable:
        return model._default_manager.select_related(TENANT_RELATED).filter(pk=pk).first()
    return query.get(pk)


def tenant_for_account(account: Account, user=None) -> Tenant:
    """A tenant for ``account`` (management commands, tests); ``user`` only when the work needs one."""
    role = None
    if user is not None and getattr(user, "pk", None) is not None:
        role = Membership.objects.filter(account_id=account.pk, user_id=user.pk).values_list("role", flat=True).first()
    return Tenant(user, account, role=role)


class TenancyMiddleware:
    """Sets ``request.tenant`` and ``request.account`` once per request (after authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "tenant"):
            request.tenant = tenant_for(getattr(request, "user", None))
            request.account = request.tenant.account
        return self.get_response(request)
