"""The session's user is loaded with membership, account and PSA connection in one query (psa.tenancy's
TenantUserBackend, whose SQL is compiled once per thread): the same objects the ORM builds, fresh on every
request, and nobody for an id that no longer exists."""

from __future__ import annotations

from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from psa.tenancy import TENANT_RELATED, TenantUserBackend


def _orm(user_id):
    from django.contrib.auth import get_user_model

    return get_user_model()._default_manager.select_related(TENANT_RELATED).get(pk=user_id)


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_user_membership_account_and_connection_are_the_orms_in_one_query(alice, connection):
    TenantUserBackend().get_user(alice.pk)  # compiled once; the request below is any later one
    with CaptureQueriesContext(db_connection) as queries:
        user = TenantUserBackend().get_user(alice.pk)
        loaded = (user.membership, user.membership.account, user.membership.account.psa_connection)
    expected = _orm(alice.pk)

    assert len(queries.captured_queries) == 1
    assert _fields(user) == _fields(expected)
    assert _fields(loaded[0]) == _fields(expected.membership)
    assert _fields(loaded[1]) == _fields(expected.membership.account)
    assert _fields(loaded[2]) == _fields(expected.membership.account.psa_connection)
    assert loaded[2].get_private_key() == expected.membership.account.psa_connection.get_private_key()


def test_each_load_sees_what_changed_since_the_last(alice, connection):
    from psa.models import Membership

    before = TenantUserBackend().get_user(alice.pk).membership
    assert before.time_zone == ""
    Membership.objects.filter(user=alice).update(role=Membership.Role.MEMBER, time_zone="Asia/Tokyo")

    again = TenantUserBackend().get_user(alice.pk)

    assert again.membership.role == Membership.Role.MEMBER and again.membership.time_zone == "Asia/Tokyo"


def test_a_user_in_no_team_loads_without_a_membership(db, django_user_model):
    from psa.models import Membership

    lone = django_user_model.objects.create_user("lone", password="x")
    user = TenantUserBackend().get_user(lone.pk)

    assert user.pk == lone.pk and not Membership.objects.filter(user=user).exists()
    assert not hasattr(user, "membership") or user.membership is None


def test_an_id_that_no_longer_exists_or_is_no_id_loads_nobody(alice, connection):
    assert TenantUserBackend().get_user(999_999) is None
    assert TenantUserBackend().get_user(2**70) is None


def test_an_inactive_user_is_refused(alice, connection):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert TenantUserBackend().get_user(alice.pk) is None
